import Foundation
import Rocky
import RockyBase
import RockyEngine
import RockySQL

/// `rocky check`.
struct CheckCommand: Command {
    static let name = "check"
    static let abstract = "Compile SQL against a revision's tables without running it"
    static let usage = ["check [<file.sql> | -e <sql>] [<rev>] [--dialect <d>] [--emit] [--schema <file.sql>]"]
    static let help = """
    Binds every name, infers every type and applies the environment's
    masking (--env), printing each diagnostic with its position and a caret.
    Exits 1 when any is an error, 5 when a column the environment denies
    reaches an output. Without a file or -e, checks every models/*.sql in
    dependency order as 'rocky run' would build them (each model sees the
    tables of the models it reads), and lists every violation.

    options:
      -e <sql>           the statements to check, inline
      --dialect <d>      sqlite, postgres, duckdb, snowflake, bigquery, databricks (default: the --engine's, else sqlite)
      --emit             print the SQL emitted for the dialect
      --schema <file>    a catalog of CREATE TABLE statements instead of the repository's tables
    """

    let file: String?
    let inline: String?
    let revision: String?
    /// `--dialect`; nil: the dialect of the `--engine` chosen, else sqlite.
    let chosenDialect: Dialect?
    let emit: Bool
    let schema: String?

    init(parsing arguments: inout Arguments) throws {
        inline = try arguments.option("-e")
        emit = arguments.flag("--emit")
        schema = try arguments.option("--schema")
        if let d = try arguments.option("--dialect") {
            guard let parsed = Dialect(rawValue: d.lowercased()) else {
                throw arguments.usage("--dialect is one of \(Dialect.allCases.map(\.rawValue).joined(separator: ", ")), not '\(d)'")
            }
            chosenDialect = parsed
        } else {
            chosenDialect = nil
        }
        let names = try arguments.positionals(max: 2, names: "[<file.sql>] [<rev>]")
        if inline != nil {
            file = nil
            revision = names.first
        } else {
            file = names.first
            revision = names.count > 1 ? names[1] : nil
        }
    }

    /// The dialect `--emit` writes: `--dialect`, else that of the engine
    /// `--engine` / `ROCKY_ENGINE` names (a spark engine's is databricks), else sqlite.
    func dialect(_ context: CommandContext) throws -> Dialect {
        if let chosenDialect { return chosenDialect }
        guard emit, let engine = context.settings.engine else { return .sqlite }
        return try context.repository().workingConfig().engine(named: engine).kind.dialect
    }

    func run(_ context: CommandContext) throws {
        let dialect = try dialect(context)
        if inline == nil, file == nil, schema == nil { return try checkModels(context, dialect: dialect) }
        let sources: [(name: String, sql: String)]
        if let inline {
            sources = [("<command line>", inline)]
        } else if let file {
            sources = [(file, try SQLFile.read(file, context))]
        } else {
            let repo = try context.repository()
            sources = try repo.models().map { ("models/\($0.name).sql", $0.sql) }
            if sources.isEmpty { context.note("no models to check (models/*.sql)") }
        }
        let catalog: any Catalog
        var options = CompileOptions(environment: context.settings.environment)
        if let schema {
            let text = try SQLFile.read(schema, context)
            let parsed = SchemaCatalog.parse(text)
            if let bad = parsed.diagnostics.first(where: { $0.severity == .error }) {
                throw RepositoryError.invalidArgument(bad.rendered(in: text, sourceName: schema))
            }
            catalog = parsed.catalog
        } else {
            let repo = try context.repository()
            try repo.authorize(.use, branch: try repo.currentBranch(), environment: context.settings.environment)
            catalog = try repo.catalog(at: revision, for: sources.map(\.sql))
            options = try repo.compileOptions()
        }
        // Masking is checked against the dialect emitted (else the engine's).
        if emit { options.dialect = dialect }
        var documents: [JSON] = []
        var worst: Int32 = 0
        for source in sources {
            let report = SQLTools.check(sql: source.sql, catalog: catalog, dialect: emit ? dialect : nil, options: options)
            let refused = report.diagnostics.contains { $0.code.isGovernanceRefusal && $0.severity == .error }
            worst = max(worst, refused ? ExitCode.refused.rawValue : report.exitCode)
            if context.json {
                documents.append(JSONContract.normalized(report.json(sourceName: source.name)))
            } else {
                context.out.write(report.text(sourceName: source.name))
            }
        }
        if context.json { context.emit(sources.count == 1 && (inline != nil || file != nil) ? documents[0] : .object(["files": .array(documents)])) }
        if worst != 0 {
            throw ExitStatus(code: ExitCode(rawValue: worst) ?? .failure, message: worst == ExitCode.refused.rawValue
                ? "refused by governance: a denied column reaches an output" : "",
                             error: worst == ExitCode.refused.rawValue ? "refused_by_governance" : "compile_error")
        }
    }
}

extension CheckCommand {
    /// Every models/*.sql in dependency order, each compiled as the CREATE
    /// TABLE AS that `rocky run` executes and seeing the tables the models
    /// before it build; nothing runs.
    func checkModels(_ context: CommandContext, dialect: Dialect) throws {
        let repo = try context.repository()
        try repo.authorize(.use, branch: try repo.currentBranch(), environment: context.settings.environment)
        let models = try repo.checkModels(at: revision)
        if models.isEmpty { context.note("no models to check (models/*.sql)") }
        var documents: [JSON] = []
        for compiled in models {
            let warnings = compiled.diagnostics.filter { !$0.isError }.count
            let sql = emit ? compiled.statement.map { $0.sql(for: dialect) } : nil
            if context.json {
                let statements: [JSON] = compiled.statement.map { statement in
                    [.object([
                        JSON.Member("index", .int(0)),
                        JSON.Member("kind", .string(JSONContract.snakeCase(statement.kind.rawValue))),
                        JSON.Member("target", .string(compiled.model.name)),
                        JSON.Member("columns", .array(statement.outputColumns.map { column in
                            .object(["name": .string(column.name), "type": .string(column.type.name), "nullable": .bool(column.nullable)])
                        })),
                        JSON.Member("sql", sql.map { .array($0.map { .string($0) }) } ?? .null),
                        // What an orchestrator needs before running: the
                        // tables the model reads and its column lineage.
                        JSON.Member("input_tables", .array(statement.inputTables.map { .string($0) })),
                        JSON.Member("lineage", JSONContract.normalized(statement.lineage.json)),
                    ])]
                } ?? []
                documents.append(.object([
                    JSON.Member("file", .string(compiled.file)),
                    JSON.Member("model", .string(compiled.model.name)),
                    JSON.Member("ok", .bool(!compiled.hasErrors)),
                    JSON.Member("refused", .bool(compiled.refusedByGovernance)),
                    JSON.Member("dialect", emit ? .string(dialect.rawValue) : .null),
                    JSON.Member("statements", .array(statements)),
                    JSON.Member("diagnostics", .array(compiled.diagnostics.map { JSONContract.normalized($0.json(in: compiled.model.sql, sourceName: compiled.file)) })),
                    JSON.Member("error", compiled.shapeError.map(JSON.string) ?? .null),
                ]))
            } else {
                let rendered = compiled.rendered
                if !rendered.isEmpty { context.out.write(rendered + (rendered.hasSuffix("\n") ? "\n" : "\n\n")) }
                if let sql { context.out.write("-- \(compiled.file)\n" + sql.map { $0 + ";" }.joined(separator: "\n") + "\n") }
                context.out.line("\(compiled.file): \(compiled.hasErrors ? "error" : "ok"), \(warnings) warning\(warnings == 1 ? "" : "s")")
            }
        }
        let refused = models.filter(\.refusedByGovernance).count
        let failed = models.filter(\.hasErrors).count
        if context.json {
            context.emit(.object(["files": .array(documents)]))
        } else if !models.isEmpty {
            context.out.line("\(models.count) model\(models.count == 1 ? "" : "s"): \(models.count - failed) ok, \(failed) with errors"
                + (refused > 0 ? " (\(refused) refused by governance in environment \(context.settings.environment))" : ""))
        }
        if refused > 0 {
            throw ExitStatus(code: .refused, message: "refused by governance: a denied column reaches a model's output in environment \(context.settings.environment)",
                             error: "refused_by_governance")
        }
        if failed > 0 { throw ExitStatus(code: .failure, message: "", error: "compile_error") }
    }
}

/// A SQL file named on the command line (`sql -f`, `check`; `-` is standard
/// input): read as bytes
/// and decoded strictly, so a byte that is not UTF-8 is an error at its
/// position (`file:line:column`, and the byte offset), not a replacement character.
enum SQLFile {
    static func read(_ file: String, _ context: CommandContext) throws -> String {
        guard let data = context.readFile(file) else {
            throw RepositoryError.invalidArgument("cannot read \(file)")
        }
        return try UTF8Text.decode([UInt8](data), file: file == "-" ? "<stdin>" : file)
    }
}
