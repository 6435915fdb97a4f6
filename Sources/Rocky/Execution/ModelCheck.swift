import RockyBase
import RockySQL
import RockyStore

/// A model compiled as the table it builds: `CREATE OR REPLACE TABLE
/// "<name>" AS <its SELECT>`. The diagnostics point into the model's own
/// file, and a denied column is named as the output it would reach
/// (`report.customer_ssn <- customers.ssn (pii): ...`).
public struct CompiledModel: Sendable {
    public var model: Model
    /// The CREATE TABLE AS to run; nil when the model did not compile.
    public var statement: CompiledStatement?
    /// Every diagnostic, positioned in `model.sql`.
    public var diagnostics: [Diagnostic]
    /// Set when the file does not hold exactly one SELECT.
    public var shapeError: String?

    public var file: String { "models/\(model.name).sql" }
    public var hasErrors: Bool { statement == nil }
    /// A column the environment denies reaches the model's table.
    public var refusedByGovernance: Bool { diagnostics.contains { $0.isError && $0.code.isGovernanceRefusal } }

    /// The diagnostics with carets, as `rocky check` and `rocky run` print them.
    public var rendered: String {
        (diagnostics.map { $0.rendered(in: model.sql, sourceName: file) } + [shapeError].compactMap { $0 }).joined(separator: "\n")
    }
}

extension Repository {
    /// Compiles a model against `catalog`: its text must hold exactly one
    /// SELECT, compiled as the CREATE OR REPLACE TABLE AS that `rocky run`
    /// executes.
    public static func compileModel(_ model: Model, catalog: any Catalog, options: CompileOptions) -> CompiledModel {
        let body = strippingTrailingSemicolon(model.sql)
        let prefix = "CREATE OR REPLACE TABLE \"\(model.name.replacingOccurrences(of: "\"", with: "\"\""))\" AS\n"
        let wrapped = SQLCompiler.compile(prefix + body, catalog: catalog, options: options)
        // A CREATE TABLE AS that compiles cleanly as one statement has one
        // SELECT as its body; otherwise the body compiled on its own tells
        // whether the file holds exactly one SELECT (an editor's every
        // keystroke compiles a model: the clean case compiles it once).
        if wrapped.hasErrors || wrapped.statementCount != 1 {
            let alone = SQLCompiler.compile(body, catalog: catalog, options: options)
            guard alone.statementCount == 1, alone.hasErrors || alone.statements.first?.kind == .query else {
                return CompiledModel(model: model, statement: nil, diagnostics: alone.diagnostics.filter { !$0.code.isGovernanceRefusal },
                                     shapeError: "models/\(model.name).sql must hold exactly one SELECT")
            }
        }
        let shift = prefix.utf8.count
        let diagnostics = wrapped.diagnostics.map { diagnostic in
            var d = diagnostic
            d.range = SourceRange(start: unwrapped(d.range.start, shift: shift), end: unwrapped(d.range.end, shift: shift))
            return d
        }
        let statement = wrapped.hasErrors ? nil : wrapped.statements.first
        return CompiledModel(model: model, statement: statement, diagnostics: diagnostics, shapeError: nil)
    }

    /// A position in `prefix + body` as a position in `body` (the prefix is one line).
    private static func unwrapped(_ p: SourcePosition, shift: Int) -> SourcePosition {
        guard p.line > 1 else { return .start }
        return SourcePosition(offset: p.offset - shift, line: p.line - 1, column: p.column)
    }

    /// `rocky check` without a file: every model compiled in dependency
    /// order against a revision's tables (nil: the working set) in the
    /// settings' environment, without running anything.
    public func checkModels(at revision: String? = nil) throws -> [CompiledModel] {
        let context = try gate(.checkModels); defer { context.end() }
        try context.authorizeRevisionOrWorkingSet(revision)
        let order = try modelOrder(), tables = try tableIDs(at: revision)
        let history = try historyInputs(for: order.map { Repository.strippingTrailingSemicolon($0.sql) }.joined(separator: ";\n"),
                                        tables: tables, context: context)
        return try compileModels(order, tables: tables, history: history.tables, options: try compileOptions())
    }

    /// Compiles models in order over `tables`, each seeing the tables the
    /// models before it would build. A model refused by governance still
    /// gives later models its table (its denied columns unmasked and
    /// classified), so they report their own violations rather than an
    /// unknown table.
    func compileModels(_ order: [Model], tables: [String: ObjectID], history: [CatalogTable] = [],
                       options: CompileOptions) throws -> [CompiledModel] {
        var base = try catalogInForce(tables: tables, environment: options.environment)
        base.add(history)
        var catalog = CatalogOverlay(base)
        let permissive = CompileOptions(environment: options.environment, masking: MaskingPolicy { governance, environment in
            let strategy = options.masking.strategy(for: governance, environment: environment)
            return strategy == .deny ? .none : strategy
        })
        var results: [CompiledModel] = []
        for model in order {
            let compiled = Repository.compileModel(model, catalog: catalog, options: options)
            if let statement = compiled.statement {
                catalog.apply(statement)
            } else if compiled.refusedByGovernance,
                      let statement = Repository.compileModel(model, catalog: catalog, options: permissive).statement {
                catalog.apply(statement)
            }
            results.append(compiled)
        }
        return results
    }
}
