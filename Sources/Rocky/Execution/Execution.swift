import Foundation
import RockyBase
import RockyEngine
import RockyEnginePostgres
import RockyEngineSQLite
import RockyEngineSpark
import RockySQL
import RockyStore
import RockyTable

/// A script that did not compile: every diagnostic, rendered with carets.
public struct CompileFailure: Error, Sendable, CustomStringConvertible {
    public var diagnostics: [Diagnostic]
    public var rendered: String
    /// A column the environment denies reaches an output (exit code 5).
    public var refusedByGovernance: Bool { diagnostics.contains { $0.severity == .error && $0.code.isGovernanceRefusal } }
    public var description: String { rendered }
}

/// A statement that failed while running: which one, where, and why.
public struct ExecutionFailure: Error, Sendable, CustomStringConvertible {
    public var statement: Int
    public var line: Int
    public var column: Int
    public var model: String?
    /// What the engine threw (a `StoreError`, an engine error, ...).
    public var underlying: any Error
    /// The engine's message, phrased for the statement.
    public var reason: String
    /// The file the statement came from (`sql -f`): then named first, as `file:line:column:`.
    public var file: String? = nil
    public var description: String {
        if let file { return "\(file):\(line):\(column): statement \(statement): \(reason)" }
        return (model.map { "model \($0): " } ?? "") + "statement \(statement) (line \(line), column \(column)): \(reason)"
    }
}

extension ExecutionFailure {
    /// `statement` failed with `error`: placed at the statement, or, for an
    /// overflow inside it (`EngineError.arithmeticOverflow`), at the
    /// expression that overflowed, with its source line and a caret under it
    /// (as compile errors show theirs).
    init(_ statement: CompiledStatement, error: any Error, reason: String, model: String?, file: String? = nil) {
        var line = statement.range.start.line, column = statement.range.start.column
        var reason = reason
        if case let EngineError.arithmeticOverflow(detail, l, c) = error {
            line = l
            column = c
            reason = detail
            let lines = statement.text.split(separator: "\n", omittingEmptySubsequences: false)
            let index = l - statement.range.start.line
            if lines.indices.contains(index) {
                // The statement's first line starts at its column.
                let indent = index == 0 ? String(repeating: " ", count: statement.range.start.column - 1) : ""
                let text = indent + lines[index].replacingOccurrences(of: "\r", with: "")
                let gutter = String(repeating: " ", count: String(l).count)
                reason += "\n\(gutter) |\n\(l) | \(text)\n\(gutter) | \(String(repeating: " ", count: max(c - 1, 0)))^"
            }
        }
        self.init(statement: statement.index + 1, line: line, column: column, model: model, underlying: error, reason: reason,
                  file: file)
    }
}

/// What a `rocky sql` script or a `rocky run` did.
public struct ExecutionSummary: Sendable {
    public var transformations: [(id: ObjectID, record: Transformation)]
    /// The commit, when the run was committed at once.
    public var commit: ObjectID?
}

extension Repository {
    /// The engine this command runs statements on: `--engine` /
    /// `ROCKY_ENGINE`, else the environment's `engine` in rocky.toml, else
    /// the embedded sqlite.
    func engine() throws -> StatementExecutor {
        try engine(try engineChoice())
    }

    /// The configured engine this command chose (see `engine()`).
    func engineChoice() throws -> EngineConfig {
        let config = try workingConfig()
        if let name = settings.engine { return try config.engine(named: name) }
        if let name = config.environmentEngines[settings.environment] { return try config.engine(named: name) }
        return EngineConfig(name: EngineConfig.embedded, kind: .sqlite)
    }

    /// A statement executor on the engine `choice` configures. SQLite keeps
    /// its table cache in `.rocky/cache`; its `hash` masking is HMAC-SHA-256
    /// under the repository's masking key (MaskingKey.swift;
    /// `ROCKY_MASKING_KEY` overrides it for `admin`). A postgres engine
    /// connects to its server (Docs/postgres.md), a spark engine to its
    /// Thrift server (Docs/spark.md); a failure to connect is an
    /// `engineFailure` naming the engine, before anything runs.
    func engine(_ choice: EngineConfig) throws -> StatementExecutor {
        switch choice.kind {
        case .sqlite: return StatementExecutor(backend: try sqliteBackend(), name: choice.name)
        case .postgres: return StatementExecutor(backend: try postgresBackend(choice), name: choice.name)
        case .spark: return StatementExecutor(backend: try sparkBackend(choice), name: choice.name)
        }
    }

    /// A backend on the Spark Thrift server `choice` configures: host, port
    /// (default 10000), auth (`nosasl`, or `plain` with `user` and the
    /// password from `ROCKY_SPARK_PASSWORD`), database (default `rocky`),
    /// stage (uploads as files there), statement_timeout and retries.
    func sparkBackend(_ choice: EngineConfig) throws -> SparkBackend {
        guard let host = choice.host else {
            throw RepositoryError.malformedConfig(file: ProjectConfig.fileName, reason: "engines.\(choice.name): a spark engine needs host")
        }
        var authentication = HiveAuthentication.noSASL
        if choice.auth == "plain" {
            let password = ProcessInfo.processInfo.environment["ROCKY_SPARK_PASSWORD"] ?? ""
            authentication = .plain(user: choice.user ?? "", password: password)
        }
        let options = SparkEngineOptions(name: choice.name, host: host, port: choice.port ?? 10000, authentication: authentication,
                                         user: choice.user, database: choice.database ?? "rocky",
                                         statementTimeout: choice.statementTimeoutSeconds.map { .seconds($0) }, retries: choice.retries,
                                         stage: choice.stage, maskingKey: try maskingKey())
        do {
            return try SparkBackend(store: objects, options: options, temporaryDirectory: temporaryDirectory())
        } catch let error as EngineError {
            throw RepositoryError.engineFailure("engine '\(choice.name)' (spark) is not available, nothing was run: \(error)")
        }
    }

    /// A backend on the PostgreSQL server `choice` configures: its
    /// conninfo (a password only from `PGPASSWORD` or `~/.pgpass`, which
    /// libpq reads), its schema (default `rocky`), statement_timeout and
    /// retries; keyed-hash masking under the repository's masking key.
    func postgresBackend(_ choice: EngineConfig) throws -> PostgresBackend {
        guard let conninfo = choice.conninfo else {
            throw RepositoryError.malformedConfig(file: ProjectConfig.fileName, reason: "engines.\(choice.name): a postgres engine needs conninfo")
        }
        let options = PostgresEngineOptions(name: choice.name, conninfo: conninfo, schema: choice.schema ?? "rocky",
                                            statementTimeout: choice.statementTimeoutSeconds.map { .seconds($0) },
                                            retries: choice.retries, maskingKey: try maskingKey())
        do {
            return try PostgresBackend(store: objects, options: options, temporaryDirectory: temporaryDirectory())
        } catch let error as EngineError {
            throw RepositoryError.engineFailure("engine '\(choice.name)' (postgres) is not available, nothing was run: \(error)")
        }
    }

    /// The SQLite backend and its table cache in `.rocky/cache`.
    func sqliteBackend() throws -> SQLiteBackend {
        let key = try maskingKey()
        let cache = rockyDirectory + "/cache"
        try FileManager.default.createDirectory(atPath: cache, withIntermediateDirectories: true)
        return try SQLiteBackend(store: objects, cacheDirectory: cache, maskingKey: key)
    }

    /// Runs a SQL script on the working set of the current branch.
    ///
    /// The whole script is compiled first (types, lineage, governance): any
    /// error stops it before anything runs. Statements then run in order; each
    /// one that changes a table is recorded as a transformation for the next
    /// commit. `onRows` receives each SELECT's rows as they stream. If a
    /// statement fails, the working set is left exactly as it was. With
    /// `commitMessage`, the result is committed at once, together with the
    /// rest of the working set (the working set never holds it alone); when
    /// another process changed the branch or its working set meanwhile,
    /// nothing is written (`concurrentChange`), or with `retries` the script
    /// runs again on the new state.
    @discardableResult
    public func runSQL(_ script: String, commitMessage: String? = nil, retries: Int = 0, sourceName: String? = nil,
                       onRows: (CompiledStatement, RowStream) throws -> Void = { _, r in r.close() }) throws -> ExecutionSummary {
        let context = try gate(.runSQL); defer { context.end() }
        let target = try currentTarget()
        try context.authorizeRevisionOrWorkingSet(nil)
        try context.authorize(.use, branch: target.branch)
        return try retrying(retries, branch: target.branch) {
            let target = try currentTarget()
            var records: [(ObjectID, Transformation)] = []
            let entry = { (_: Void) in
                AuditEntry(operation: "sql", branch: target.branch, rows: records.reduce(0) { $0 + $1.1.rowsWritten },
                           statements: records.map(\.1.statement),
                           details: .object(["transformations": .array(records.map { .string($0.0.hex) })]))
            }
            let (_, commit) = try updateWorkingSet(target, message: "sql", commit: commitMessage, entry: entry) { set in
                records = []
                var catalog = try catalogInForce(tables: set.tables)
                let history = try historyInputs(for: script, tables: set.tables, context: context)
                catalog.add(history.tables)
                let compiled = SQLCompiler.compile(script, catalog: catalog, options: try compileOptions())
                if compiled.hasErrors {
                    throw CompileFailure(diagnostics: compiled.diagnostics, rendered: compiled.renderedDiagnostics(sourceName: sourceName))
                }
                if compiled.statements.contains(where: { $0.kind != .query }) { try context.authorizeRevisionOrWorkingSet(nil, for: .write) }
                let adapter = try engine()
                for statement in compiled.statements {
                    let executed: Transformation?
                    do {
                        executed = try execute(statement, adapter: adapter, tables: &set.tables, history: history.ids, model: nil,
                                               options: ExecutionOptions(), onRows: onRows)
                    } catch var failure as ExecutionFailure {
                        failure.file = sourceName
                        throw failure
                    } catch let error as EngineError where sourceName != nil {
                        // A row of a query's result failed while it was read.
                        throw ExecutionFailure(statement, error: error, reason: Repository.engineErrorText(error, statement: statement),
                                               model: nil, file: sourceName)
                    }
                    if let record = executed {
                        let id = try objects.write(record)
                        set.transforms.append(id)
                        records.append((id, record))
                    }
                }
            }
            return ExecutionSummary(transformations: records, commit: commit?.id)
        }
    }

    /// Runs one compiled statement and returns its transformation record
    /// (nil for a query, whose rows go to `onRows`). `history`: the reads
    /// of history the statement may make, by catalog name (inputs like any
    /// table, never part of `tables`).
    func execute(_ statement: CompiledStatement, adapter: StatementExecutor, tables: inout [String: ObjectID],
                 history: [String: ObjectID] = [:], model: String?,
                 options: ExecutionOptions, onRows: (CompiledStatement, RowStream) throws -> Void) throws -> Transformation? {
        if statement.kind == .createTable || statement.kind == .createTableAs, let name = statement.targetTable {
            // The same rule as import: a table is named by an identifier, never a path.
            try Repository.validateTableName(name)
        }
        let available = history.isEmpty ? tables : tables.merging(history) { table, _ in table }
        let inputs = Dictionary(uniqueKeysWithValues: statement.inputTables.compactMap { name in
            available.first { $0.key.lowercased() == name.lowercased() }.map { ($0.key, $0.value) }
        })
        let outcome: StatementOutcome
        let execution: JSON?
        do {
            (outcome, execution) = try executeMaybeIncrementally(statement, adapter: adapter, tables: available, model: model, options: options)
        } catch let error as IncrementalMismatch {
            throw error
        } catch {
            let shown = try maskedViolation(error, tables: available)
            throw ExecutionFailure(statement, error: shown, reason: Repository.engineErrorText(shown, statement: statement), model: model)
        }
        var outputs: [String: ObjectID] = [:]
        var dropped: [String] = []
        switch outcome.effect {
        case let .rows(result):
            try onRows(statement, result)
            result.close()
            return nil
        case let .tableWritten(name, written, _):
            let id = try carryingClassification(of: statement, into: written)
            tables[name] = id
            outputs[name] = id
        case let .tableDropped(name):
            tables[name] = nil
            dropped.append(name)
        case .nothing:
            return nil
        }
        let m = outcome.metrics
        let rates = try workingConfig().costRates[m.adapter] ?? CostRates(perSecond: ExactDecimal(0), perGBScanned: ExactDecimal(0),
                                                                         perGBWritten: ExactDecimal(0), perMillionRows: ExactDecimal(0),
                                                                         currency: "USD")
        let record = Transformation(
            statement: statement.text, kind: statement.kind.rawValue, executedSQL: statement.sql(for: adapter.dialect),
            environment: settings.environment, model: model, inputs: inputs, outputs: outputs, dropped: dropped,
            lineage: statement.lineage.json, rowsRead: m.rowsRead, rowsWritten: m.rowsWritten,
            bytesScanned: m.bytesScanned, bytesWritten: m.bytesWritten,
            durationMicroseconds: Int64(m.durationSeconds * 1_000_000), adapter: m.adapter,
            engine: adapter.name, engineVersion: m.engineVersion,
            remote: m.remote.map {
                Transformation.Remote(queryIDs: $0.queryIDs, serverMicroseconds: Int64($0.serverSeconds * 1_000_000), rowsUploaded: $0.rowsUploaded,
                                      bytesUploaded: $0.bytesUploaded, rowsDownloaded: $0.rowsDownloaded, bytesDownloaded: $0.bytesDownloaded)
            },
            cost: rates.estimate(seconds: m.durationSeconds, bytesScanned: m.bytesScanned, bytesWritten: m.bytesWritten, rowsRead: m.rowsRead),
            currency: rates.currency, execution: execution, statementTime: statement.statementTime)
        if let returned = outcome.returned {
            // INSERT | UPDATE | DELETE ... RETURNING: its rows are the statement's result.
            defer { returned.close() }
            try onRows(statement, returned)
        }
        rememberExecution(record)
        return record
    }

    /// The library API: runs `sql` on `branch` (which need not be checked
    /// out) and commits the result at once, as one transformation commit.
    @discardableResult
    public func execute(on branch: some RevisionRepresentable, _ sql: String, message: String? = nil) throws -> ObjectID {
        let context = try gate(.execute); defer { context.end() }
        let name = branch.revisionText
        let target = try self.target(branch: name)
        try context.authorize(.read, branch: name)
        try context.authorize(.write, branch: name)
        try context.authorize(.use, branch: name)
        let head = try objects.readCommit(target.head)
        var tables = try objects.readTree(head.tree).tables
        let catalog = try catalogInForce(tables: tables)
        let compiled = SQLCompiler.compile(sql, catalog: catalog, options: try compileOptions())
        if compiled.hasErrors {
            throw CompileFailure(diagnostics: compiled.diagnostics, rendered: compiled.renderedDiagnostics(sourceName: nil))
        }
        let adapter = try engine()
        var transforms: [ObjectID] = []
        let commitID = try objects.batch { () -> ObjectID in
            for statement in compiled.statements {
                if let record = try execute(statement, adapter: adapter, tables: &tables, model: nil, options: ExecutionOptions(),
                                            onRows: { _, r in r.close() }) {
                    transforms.append(try objects.write(record))
                }
            }
            let tree = try objects.write(Tree(tables: tables, files: try objects.readTree(head.tree).files))
            return try objects.write(commit: Commit(tree: tree, parents: [target.head], actor: settings.actor, time: settings.now,
                                                    message: message ?? sql, transforms: transforms, runID: settings.runID))
        }
        try moveRef(try RefName.branch(name), from: target.head, to: commitID, note: settings.note("execute"),
                    entry: AuditEntry(operation: "sql", branch: name, statements: [sql]))
        return commitID
    }
}
