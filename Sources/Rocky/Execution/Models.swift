import Foundation
import RockyBase
import RockyEngine
import RockySQL
import RockyStore

/// A model: `models/<name>.sql` holds one SELECT whose result is the table
/// `<name>`. Header comments may declare its key, time column and
/// description:
///
///     -- key: symbol, ts
///     -- time_column: ts
///     -- description: Daily returns per symbol
public struct Model: Equatable, Sendable {
    public var name: String
    public var sql: String
    public var key: [String]?
    public var timeColumn: String?
    public var description: String?

    /// Parses the header comments (lines starting with `--` before the first other line).
    public init(name: String, sql: String) {
        self.name = name
        self.sql = sql
        for line in sql.split(separator: "\n", omittingEmptySubsequences: false) {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty { continue }
            guard trimmed.hasPrefix("--") else { break }
            let body = trimmed.dropFirst(2).trimmingCharacters(in: .whitespaces)
            guard let colon = body.firstIndex(of: ":") else { continue }
            let field = body[..<colon].trimmingCharacters(in: .whitespaces).lowercased()
            let value = body[body.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            switch field {
            case "key": key = value.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            case "time_column", "time column": timeColumn = value
            case "description": description = value
            default: break
            }
        }
    }
}

extension Repository {
    /// The models of the working directory, by name.
    public func models() throws -> [Model] {
        let context = try gate(.models); defer { context.end() }
        let folder = workDirectory + "/models"
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else { return [] }
        return try names.filter { $0.hasSuffix(".sql") && !$0.hasPrefix(".") }.sorted().map { file in
            let name = String(file.dropLast(4))
            try Repository.validateTableName(name)
            let data = try Data(contentsOf: URL(fileURLWithPath: folder + "/" + file))
            return Model(name: name, sql: try UTF8Text.decode([UInt8](data), file: "models/" + file))
        }
    }
}

/// Models that reference each other in a circle.
public struct ModelCycle: Error, Sendable, CustomStringConvertible {
    public var path: [String]
    public var description: String { "models form a cycle: " + path.joined(separator: " -> ") }
}

extension Repository {
    /// The models to run, ordered so that each comes after the models it
    /// reads. `names` selects models (nil: all); a cycle is an error naming it.
    public func modelOrder(_ names: [String]? = nil) throws -> [Model] {
        let context = try gate(.modelOrder); defer { context.end() }
        let all = try models()
        let byName = Dictionary(uniqueKeysWithValues: all.map { ($0.name.lowercased(), $0) })
        if let names {
            for name in names where byName[name.lowercased()] == nil {
                throw RepositoryError.invalidArgument("no model named '\(name)' (models: \(all.map(\.name).joined(separator: ", ")))")
            }
        }
        let dependencies = all.reduce(into: [String: [String]]()) { deps, model in
            deps[model.name.lowercased()] = SQLCompiler.referencedTables(in: model.sql).filter { byName[$0] != nil }
        }
        var order: [Model] = []
        var state: [String: Int] = [:] // 1: visiting, 2: done
        func visit(_ name: String, _ path: [String]) throws {
            if state[name] == 2 { return }
            if state[name] == 1 {
                let start = path.firstIndex(of: name) ?? 0
                throw ModelCycle(path: (path[start...] + [name]).map { byName[$0]!.name })
            }
            state[name] = 1
            for dependency in dependencies[name] ?? [] { try visit(dependency, path + [name]) }
            state[name] = 2
            order.append(byName[name]!)
        }
        for model in all { try visit(model.name.lowercased(), []) }
        guard let names else { return order }
        let wanted = Set(names.map { $0.lowercased() })
        return order.filter { wanted.contains($0.name.lowercased()) }
    }

    /// `rocky run`: orders the models by their references, compiles them all
    /// (any error stops the run before anything runs), and
    /// runs each as `CREATE OR REPLACE TABLE <model> AS <its SELECT>`,
    /// recording each as a transformation. A failing model stops the run and
    /// leaves the working set as it was before the run.
    @discardableResult
    public func runModels(_ names: [String]? = nil, commitMessage: String? = nil, retries: Int = 0,
                          onModel: (Model) -> Void = { _ in }) throws -> ExecutionSummary {
        let context = try gate(.runModels); defer { context.end() }
        let target = try currentTarget()
        try context.authorizeRevisionOrWorkingSet(nil)
        try context.authorizeRevisionOrWorkingSet(nil, for: .write)
        try context.authorize(.use, branch: target.branch)
        let order = try modelOrder(names)
        return try retrying(retries, branch: target.branch) {
            let target = try currentTarget()
            var records: [(ObjectID, Transformation)] = []
            let entry = { (_: Void) in
                AuditEntry(operation: "run", branch: target.branch, rows: records.reduce(0) { $0 + $1.1.rowsWritten },
                           statements: records.compactMap(\.1.model),
                           details: .object(["transformations": .array(records.map { .string($0.0.hex) })]))
            }
            let (_, commit) = try updateWorkingSet(target, message: "run", commit: commitMessage, entry: entry) { set in
                records = []
                let options = try compileOptions()
                // Every model compiles before any runs: a refusal writes nothing.
                // The models' reads of history (AS OF, system tables), resolved and authorized once.
                let history = try historyInputs(for: order.map { Repository.strippingTrailingSemicolon($0.sql) }.joined(separator: ";\n"),
                                                tables: set.tables, context: context)
                let failed = try compileModels(order, tables: set.tables, history: history.tables, options: options).filter(\.hasErrors)
                if !failed.isEmpty {
                    throw CompileFailure(diagnostics: failed.flatMap(\.diagnostics), rendered: failed.map(\.rendered).joined(separator: "\n"))
                }
                let adapter = try engine()
                for model in order {
                    onModel(model)
                    var catalog = try catalogInForce(tables: set.tables)
                    catalog.add(history.tables)
                    let compiled = Repository.compileModel(model, catalog: catalog, options: options)
                    guard let statement = compiled.statement else {
                        throw CompileFailure(diagnostics: compiled.diagnostics, rendered: compiled.rendered)
                    }
                    if var record = try execute(statement, adapter: adapter, tables: &set.tables, history: history.ids, model: model.name,
                                                options: ExecutionOptions(targetKey: model.key, targetTimeColumn: model.timeColumn),
                                                onRows: { _, r in r.close() }) {
                        record.statement = model.sql
                        let id = try objects.write(record)
                        set.transforms.append(id)
                        records.append((id, record))
                    }
                }
            }
            return ExecutionSummary(transformations: records, commit: commit?.id)
        }
    }

    static func strippingTrailingSemicolon(_ sql: String) -> String {
        var text = sql
        while let last = text.last, last.isWhitespace || last == ";" { text.removeLast() }
        return text
    }
}
