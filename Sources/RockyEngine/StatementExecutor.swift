import Glibc
import RockyBase
import RockySQL
import RockyStore
import RockyTable

/// Runs compiled statements on an `ExecutionBackend` and owns what a
/// statement means, the same on every engine: the schema of a CREATE TABLE
/// AS result (column ids carried over by name, as import does), CREATE and
/// ALTER rules, how DML changes a table (`ChangeCollector`), how results
/// become table objects (`TreeWriter`), metrics and typed errors. So one
/// statement over the same inputs gives the same table id on every engine
/// that computes the same rows.
///
/// It knows tables only by name and object id, as the caller passes them;
/// it knows nothing of branches, commits, refs or the working directory.
/// The caller wraps each `execute` in `ObjectStore.batch`, so a statement
/// that throws leaves no object behind; the backend leaves its own state as
/// it was too.
public final class StatementExecutor {
    public let backend: any ExecutionBackend
    /// The engine's name as the project configures it ("sqlite", "pg"),
    /// recorded with each transformation.
    public let name: String
    /// The row deltas of the versions this executor's incremental runs wrote.
    let deltas = DeltaMemo()

    public init(backend: any ExecutionBackend, name: String? = nil) {
        self.backend = backend
        self.name = name ?? backend.kind.rawValue
    }

    public var kind: EngineKind { backend.kind }
    public var dialect: Dialect { backend.dialect }
    public var store: any ObjectStore { backend.store }

    /// Runs one compiled statement with the tables as they are now (name ->
    /// table object id). A query's rows stream back in `StatementEffect.rows`;
    /// the backend runs nothing else until that stream is consumed or closed.
    public func execute(_ statement: CompiledStatement, tables: [String: ObjectID],
                        options: ExecutionOptions = ExecutionOptions()) throws -> StatementOutcome {
        let start = monotonicMicroseconds()
        let run = StatementRun(executor: self, statement: statement, tables: tables, options: options)
        let effect: StatementEffect
        backend.beginStatement()
        do {
            defer { run.metrics.remote = backend.endStatement() }
            effect = try run.execute()
        } catch let error as SchemaError {
            throw EngineError.invalid("\(statement.targetTable.map { "table \($0): " } ?? "")\(error.description)")
        } catch TreeError.duplicateKey(_, _) {
            throw EngineError.duplicateKey(table: statement.targetTable ?? "result", detail: "two rows have the same key")
        }
        var metrics = run.metrics
        metrics.durationSeconds = Double(monotonicMicroseconds() - start) / 1e6
        var outcome = StatementOutcome(effect: effect, metrics: metrics)
        if let rows = run.returned {
            outcome.returned = RowStream(columns: statement.outputColumns, source: BufferedRows(rows))
        }
        return outcome
    }
}

extension StatementExecutor {
    /// Checks a table version against its schema's UNIQUE and CHECK
    /// constraints, the same way on every engine: for each constraint Rocky
    /// compiles a query over the version (CHECK: a row whose condition is
    /// FALSE; UNIQUE: values of its columns, none NULL, that two rows
    /// share) and the engine runs it; the first such row, in column order,
    /// is the violation. Statements, imports and merges call it before
    /// they keep a version. Reads the whole version: the cost of a scan.
    public func checkConstraints(of name: String, id: ObjectID, table: Table) throws {
        let schema = table.schema
        guard !schema.constraints.isEmpty, table.rowCount > 0 else { return }
        let version = BackendTable(name: name, id: id, table: table)
        _ = try backend.makeAvailable([version])
        var catalog = InMemoryCatalog()
        catalog.add(CatalogTable(name: name, schema: schema))
        func quote(_ identifier: String) -> String { "\"" + identifier.split(separator: "\"", omittingEmptySubsequences: false).joined(separator: "\"\"") + "\"" }
        let everyColumn = schema.columns.map { quote($0.name) }.joined(separator: ", ")
        for constraint in schema.constraints {
            let columns = constraint.columns.compactMap { schema.column(id: $0)?.name }
            let sql: String
            switch constraint.rule {
            case let .check(condition):
                sql = "SELECT \(everyColumn) FROM \(quote(name)) WHERE NOT (\(condition)) ORDER BY \(everyColumn) LIMIT 1"
            case .unique:
                let list = columns.map(quote).joined(separator: ", ")
                let present = columns.map { "\(quote($0)) IS NOT NULL" }.joined(separator: " AND ")
                sql = "SELECT \(list) FROM \(quote(name)) WHERE \(present) GROUP BY \(list) HAVING COUNT(*) > 1 ORDER BY \(list) LIMIT 1"
            }
            let compiled = SQLCompiler.compile(sql, catalog: catalog, options: CompileOptions(dialect: backend.dialect))
            guard !compiled.hasErrors, let query = compiled.statements.first, let text = query.querySQL(for: backend.dialect) else {
                throw EngineError.invalid("constraint \(constraint.name) of table \(name) does not compile: "
                                          + compiled.diagnostics.map(\.message).joined(separator: "; "))
            }
            let rows = try backend.query(text, columns: query.outputColumns, tables: [version])
            defer { rows.close() }
            guard let row = try rows.nextRow() else { continue }
            if constraint.checkCondition != nil {
                throw EngineError.constraintViolation(table: name, constraint: constraint.name, rule: "CHECK",
                                                      columns: schema.columns.map(\.name), values: row)
            }
            throw EngineError.constraintViolation(table: name, constraint: constraint.name, rule: "UNIQUE", columns: columns, values: row)
        }
    }
}

/// The state of one `execute` call.
final class StatementRun {
    let backend: any ExecutionBackend
    let executor: StatementExecutor
    let statement: CompiledStatement
    let tables: [String: ObjectID]
    let options: ExecutionOptions
    var metrics: ExecutionMetrics
    /// RETURNING's rows, read just before the statement ran.
    var returned: [[Value]]?

    init(executor: StatementExecutor, statement: CompiledStatement, tables: [String: ObjectID], options: ExecutionOptions) {
        backend = executor.backend
        self.executor = executor
        self.statement = statement
        self.tables = tables
        self.options = options
        metrics = ExecutionMetrics(adapter: backend.kind.rawValue, engineVersion: backend.serverVersion)
    }

    var store: any ObjectStore { backend.store }

    func execute() throws -> StatementEffect {
        switch statement.ir {
        case .query: return try query()
        case let .createTable(table, columns, primaryKey, ifNotExists, constraints):
            return try createTable(table, columns: columns, primaryKey: primaryKey, ifNotExists: ifNotExists, constraints: constraints)
        case let .createTableAs(table, _, _): return try createTableAs(table)
        case let .insert(insert): return try modify(insert.table)
        case let .update(update): return try modify(update.target.table)
        case let .delete(delete): return try modify(delete.target.table)
        case let .dropTable(table, _, _):
            guard let (name, _) = lookup(table) else { return .nothing }
            return .tableDropped(name: name)
        case let .alterTable(table, action): return try alter(table, action)
        }
    }

    /// The caller's name and id of a table, matched case-insensitively.
    func lookup(_ name: String) -> (String, ObjectID)? {
        if let id = tables[name] { return (name, id) }
        let lower = name.lowercased()
        return tables.first { $0.key.lowercased() == lower }.map { ($0.key, $0.value) }
    }

    /// The statement's input tables, read from the store and made available
    /// to the engine. Adds their rows and bytes to the metrics.
    func inputs() throws -> [BackendTable] {
        var seen = Set<String>()
        var result: [BackendTable] = []
        for name in statement.inputTables where seen.insert(name.lowercased()).inserted {
            guard let (_, id) = lookup(name) else { throw EngineError.unknownTable(name) }
            result.append(BackendTable(name: name, id: id, table: try store.readTable(id)))
        }
        let available = try backend.makeAvailable(result)
        metrics.tablesLoaded += available.tablesLoaded
        metrics.rowsLoaded += available.rowsLoaded
        for input in result {
            metrics.rowsRead += input.table.rowCount
            metrics.bytesScanned += available.bytes[input.id] ?? 0
        }
        return result
    }

    func treeWriter(_ schema: Schema, label: String) -> TreeWriter {
        TreeWriter(store: store, schema: schema, label: label, temporaryDirectory: backend.temporaryDirectory)
    }

    /// Writes a built table; records what was written.
    func write(_ schema: Schema, _ built: BuiltTree) throws -> (ObjectID, Table) {
        let table = Table(schema: schema, root: built.root)
        let (id, bytes) = try store.writeCounting(table)
        metrics.bytesWritten += built.bytesWritten + bytes
        return (id, table)
    }

    // MARK: Queries

    /// SELECT: the backend streams the rows, typed by the IR's output columns.
    func query() throws -> StatementEffect {
        guard let sql = statement.querySQL(for: backend.dialect) else { throw EngineError.invalid("not a query") }
        let inputs = try inputs()
        return .rows(try backend.query(sql, columns: statement.outputColumns, tables: inputs))
    }

    /// CREATE [OR REPLACE] TABLE ... AS: the backend runs the query into a
    /// copy of the result's schema (which enforces the key) while the tree
    /// is built from the same rows.
    func createTableAs(_ target: String) throws -> StatementEffect {
        guard let sql = statement.querySQL(for: backend.dialect) else { throw EngineError.invalid("CREATE TABLE AS without a query") }
        let previous = try lookup(target).map { try store.readTable($0.1).schema }
        let schema = try resultSchema(previous: previous)
        let inputs = try inputs()
        var written: (ObjectID, Table)?
        try backend.materialize(sql, schema: schema, target: target, tables: inputs, writer: treeWriter(schema, label: target)) { built in
            let result = try write(schema, built)
            written = result
            return result.0
        }
        guard let (id, table) = written else { throw EngineError.invalid("the engine wrote no result for \(target)") }
        metrics.rowsWritten = table.rowCount
        return .tableWritten(name: lookup(target)?.0 ?? target, id: id, table: table)
    }

    /// The schema of a CREATE TABLE AS result: the IR's output columns;
    /// column ids (and their other governance fields) carried over by name
    /// from the table's previous version, new ones numbered from its
    /// `nextColumnID` (1, 2, ... for a new table); each column's
    /// classification from lineage; key and time column from the options.
    func resultSchema(previous: Schema?) throws -> Schema {
        var next = previous?.nextColumnID ?? 1
        var columns: [Column] = []
        for (i, output) in statement.outputColumns.enumerated() {
            var column = Column(id: 0, name: output.name, type: output.type, nullable: output.nullable)
            if let old = previous?.column(named: output.name), old.name.lowercased() == output.name.lowercased() {
                column.id = old.id
                column.governance = old.governance
            } else {
                column.id = next
                next += 1
            }
            column.governance.classification = i < statement.lineage.columns.count ? statement.lineage.columns[i].classification : nil
            columns.append(column)
        }
        var schema = Schema(columns: columns, nextColumnID: max(next, (columns.map(\.id).max() ?? 0) + 1))
        // The caller's key (a model's header) first, else the statement's own
        // (declared or proven by the compiler); none: keyless.
        try schema.setKey(options.targetKey ?? statement.resultKey)
        if let time = options.targetTimeColumn { try schema.setTimeColumn(time) }
        try schema.validate()
        return schema
    }

    /// CREATE TABLE: an empty version with the declared columns, key,
    /// defaults and constraints (columns by id, so a rename keeps them).
    func createTable(_ target: String, columns: [ColumnDefinition], primaryKey: [String], ifNotExists: Bool,
                     constraints: [ConstraintDefinition]) throws -> StatementEffect {
        if ifNotExists, lookup(target) != nil { return .nothing }
        var schema = Schema(columns: columns.enumerated().map { i, c in
            Column(id: i + 1, name: c.name, type: c.type, nullable: !c.notNull, defaultValue: c.defaultValue?.sql)
        })
        schema.constraints = try constraints.map { c in
            let ids = try c.columns.map { name in
                guard let column = schema.column(named: name) else { throw EngineError.invalid("constraint \(c.name) reads no column \(name)") }
                return column.id
            }
            switch c.rule {
            case .unique: return TableConstraint(name: c.name, rule: .unique, columns: ids)
            case let .check(sql, _): return TableConstraint(name: c.name, rule: .check(sql), columns: ids.sorted())
            }
        }
        let key = primaryKey.isEmpty ? options.targetKey ?? [] : primaryKey
        try schema.setKey(key)
        if let time = options.targetTimeColumn { try schema.setTimeColumn(time) }
        try schema.validate()
        var written: (ObjectID, Table)?
        try backend.materialize(nil, schema: schema, target: target, tables: [], writer: treeWriter(schema, label: target)) { built in
            let result = try write(schema, built)
            written = result
            return result.0
        }
        guard let (id, table) = written else { throw EngineError.invalid("the engine wrote no table for \(target)") }
        return .tableWritten(name: target, id: id, table: table)
    }

    // MARK: Modifications

    /// INSERT, UPDATE and DELETE, at a cost that follows the rows changed:
    /// the backend runs the statement against its copy of the target and
    /// captures the touched rows' old and new images; they become
    /// key-ordered changes that `TreeEditor` applies to the old tree,
    /// rewriting only the chunks and index nodes on their paths.
    func modify(_ target: String) throws -> StatementEffect {
        guard let (callerName, oldID) = lookup(target) else { throw EngineError.unknownTable(target) }
        let inputs = try inputs()
        if let sql = statement.returningSQL(for: backend.dialect) {
            // RETURNING reads the same versions, just before the statement changes the target.
            returned = try backend.query(sql, columns: statement.outputColumns, tables: inputs).all()
        }
        let old = try store.readTable(oldID)
        let schema = old.schema
        let changes = ChangeCollector(schema: schema, temporaryDirectory: backend.temporaryDirectory)
        var written: (ObjectID, Table)?
        let edit: () throws -> ObjectID = {
            let builder = TreeBuilder(store: self.store)
            let root = try TreeEditor(store: self.store).apply(try changes.changes(), to: old.root, builder: builder)
            try changes.checkComplete()
            let table = Table(schema: schema, root: root)
            let (id, bytes) = try self.store.writeCounting(table)
            self.metrics.bytesWritten += builder.bytesWritten + bytes
            written = (id, table)
            return id
        }
        let copy = BackendTable(name: target, id: oldID, table: old)
        let changed: Int
        if backend.modifiesThroughQueries {
            guard let queries = statement.dmlQueries(for: backend.dialect) else { throw EngineError.invalid("not a DML statement") }
            changed = try backend.modify(queries: queries, target: copy, tables: inputs, changes: changes, commit: edit)
        } else {
            changed = try backend.modify(statement.sql(for: backend.dialect), target: copy, tables: inputs, changes: changes, commit: edit)
        }
        guard let (id, table) = written else { throw EngineError.invalid("the engine wrote no version of \(target)") }
        metrics.rowsWritten = changed
        if statement.kind != .delete, id != oldID { try executor.checkConstraints(of: callerName, id: id, table: table) }
        return .tableWritten(name: callerName, id: id, table: table)
    }

    /// ALTER TABLE. ADD COLUMN (id `schema.nextColumnID`) and RENAME COLUMN
    /// (same id) keep every row as it is (a NULL cell is an absent value), so
    /// the new version shares the old tree and the backend may derive its
    /// copy; DROP COLUMN rewrites the rows: the remaining columns of the old
    /// version, materialized as a new one.
    func alter(_ target: String, _ action: AlterTableAction) throws -> StatementEffect {
        guard let (callerName, oldID) = lookup(target) else { throw EngineError.unknownTable(target) }
        let old = try store.readTable(oldID)
        var schema = old.schema
        switch action {
        case let .addColumn(definition):
            let column = Column(id: schema.nextColumnID, name: definition.name, type: definition.type, nullable: !definition.notNull)
            schema.columns.append(column)
            schema.nextColumnID += 1
            try schema.validate()
            return try reuseRows(callerName, old: BackendTable(name: target, id: oldID, table: old), schema: schema,
                                 alteration: .addColumn(column))
        case let .renameColumn(from, to):
            guard let index = schema.columns.firstIndex(where: { $0.name.lowercased() == from.lowercased() }) else {
                throw EngineError.invalid("table \(target) has no column '\(from)'")
            }
            let oldName = schema.columns[index].name
            schema.columns[index].name = to
            try schema.validate()
            return try reuseRows(callerName, old: BackendTable(name: target, id: oldID, table: old), schema: schema,
                                 alteration: .renameColumn(from: oldName, to: to))
        case let .dropColumn(name):
            guard let index = schema.columns.firstIndex(where: { $0.name.lowercased() == name.lowercased() }) else { return .nothing }
            let dropped = schema.columns.remove(at: index)
            if schema.timeColumn == dropped.id { schema.timeColumn = nil }
            try schema.validate()
            let inputs = try inputs()
            guard let source = inputs.first(where: { $0.id == oldID }) else { throw EngineError.unknownTable(target) }
            let dialect = backend.dialect
            let sql = "SELECT \(schema.columns.map { dialect.quote($0.name) }.joined(separator: ", ")) FROM \(dialect.quote(source.name))"
            var written: (ObjectID, Table)?
            try backend.materialize(sql, schema: schema, target: target, tables: [source], writer: treeWriter(schema, label: target)) { built in
                let result = try write(schema, built)
                if result.0 == oldID { throw EngineError.invalid("dropping a column left the table unchanged") }
                written = result
                return result.0
            }
            guard let (id, newTable) = written else { throw EngineError.invalid("the engine wrote no version of \(target)") }
            metrics.rowsWritten = newTable.rowCount
            return .tableWritten(name: callerName, id: id, table: newTable)
        }
    }

    /// A new version with the old rows under a new schema.
    private func reuseRows(_ name: String, old: BackendTable, schema: Schema, alteration: Alteration) throws -> StatementEffect {
        let (id, table) = try write(schema, BuiltTree(root: old.table.root))
        if id != old.id { try backend.derive(id, from: old, schema: schema, alteration: alteration) }
        return .tableWritten(name: name, id: id, table: table)
    }
}

/// Rows already read (RETURNING's), as a row source.
final class BufferedRows: RowSource {
    private var rows: [[Value]]
    private var next = 0

    init(_ rows: [[Value]]) { self.rows = rows }

    func nextRow(columns: [OutputColumn]) throws -> [Value]? {
        guard next < rows.count else { return nil }
        defer { next += 1 }
        return rows[next]
    }

    func close() { rows = [] }
}

/// Microseconds of a monotonic clock: statement durations.
func monotonicMicroseconds() -> Int64 {
    var time = timespec()
    clock_gettime(CLOCK_MONOTONIC, &time)
    return Int64(time.tv_sec) * 1_000_000 + Int64(time.tv_nsec) / 1000
}
