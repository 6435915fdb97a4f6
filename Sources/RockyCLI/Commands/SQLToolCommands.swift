import Foundation
import Rocky
import RockyBase
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
    reaches an output. Without a file or -e, checks every models/*.sql.

    options:
      -e <sql>           the statements to check, inline
      --dialect <d>      sqlite (default), postgres, duckdb, snowflake, bigquery, databricks
      --emit             print the SQL emitted for the dialect
      --schema <file>    a catalog of CREATE TABLE statements instead of the repository's tables
    """

    let file: String?
    let inline: String?
    let revision: String?
    let dialect: Dialect
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
            dialect = parsed
        } else {
            dialect = .sqlite
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

    func run(_ context: CommandContext) throws {
        let sources: [(name: String, sql: String)]
        if let inline {
            sources = [("<command line>", inline)]
        } else if let file {
            guard let data = FileManager.default.contents(atPath: context.path(file)) else {
                throw RepositoryError.invalidArgument("cannot read \(file)")
            }
            sources = [(file, String(decoding: data, as: UTF8.self))]
        } else {
            let repo = try context.repository()
            sources = try repo.models().map { ("models/\($0.name).sql", $0.sql) }
            if sources.isEmpty { context.note("no models to check (models/*.sql)") }
        }
        let catalog: any Catalog
        var options = CompileOptions(environment: context.settings.environment)
        if let schema {
            guard let data = FileManager.default.contents(atPath: context.path(schema)) else {
                throw RepositoryError.invalidArgument("cannot read \(schema)")
            }
            let text = String(decoding: data, as: UTF8.self)
            let parsed = SchemaCatalog.parse(text)
            if let bad = parsed.diagnostics.first(where: { $0.severity == .error }) {
                throw RepositoryError.invalidArgument(bad.rendered(in: text, sourceName: schema))
            }
            catalog = parsed.catalog
        } else {
            let repo = try context.repository()
            try repo.authorize(.use, branch: try repo.currentBranch(), environment: context.settings.environment)
            catalog = try repo.catalog(at: revision)
            options = try repo.compileOptions()
        }
        var documents: [JSON] = []
        var worst: Int32 = 0
        for source in sources {
            let report = SQLTools.check(sql: source.sql, catalog: catalog, dialect: emit ? dialect : nil, options: options)
            let refused = report.diagnostics.contains { $0.code.rawValue.hasPrefix("E05") && $0.severity == .error }
            worst = max(worst, refused ? ExitCode.refused.rawValue : report.exitCode)
            if context.json {
                documents.append(report.json(sourceName: source.name))
            } else {
                context.out.write(report.text(sourceName: source.name))
            }
        }
        if context.json { context.emit(sources.count == 1 && (inline != nil || file != nil) ? documents[0] : .object(["files": .array(documents)])) }
        if worst != 0 {
            throw ExitStatus(code: ExitCode(rawValue: worst) ?? .failure, message: worst == ExitCode.refused.rawValue
                ? "refused by governance: a denied column reaches an output" : "")
        }
    }
}
