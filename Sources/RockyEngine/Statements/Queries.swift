import RockyBase
import RockySQL
import RockyStore
import RockyTable

extension StatementRun {
    /// SELECT: prepared inside a read transaction that the result holds
    /// until it is closed; the first row is computed here, so run-time errors
    /// of the first row surface from `execute`.
    func query() throws -> StatementEffect {
        guard let sql = statement.querySQL(for: .sqlite) else { throw EngineError.invalid("not a query") }
        let inputs = try inputs()
        return try inCachedTransaction(inputs, immediate: false) {
            var views: [String] = []
            do {
                views = try createViews(inputs)
                guard let prepared = try connection.prepare(sql) else { throw EngineError.invalid("empty query") }
                let hasRow = try prepared.step()
                let adapter = self.adapter
                let connection = self.connection
                adapter.markResultOpen(true)
                let result = QueryResult(columns: statement.outputColumns, statement: prepared, hasPendingRow: hasRow) { [views] in
                    for name in views { try? connection.execute("DROP VIEW IF EXISTS temp.\(quote(name))") }
                    if connection.isInTransaction { try? connection.execute("COMMIT") }
                    adapter.markResultOpen(false)
                }
                return .rows(result)
            } catch {
                dropViews(views)
                throw error
            }
        }
    }

    /// CREATE [OR REPLACE] TABLE ... AS: the query runs into a staging table
    /// of the result's schema (which enforces the key) while the tree is built
    /// from the same rows, and the staging table becomes the cached copy of
    /// the new version, all in one transaction.
    func createTableAs(_ target: String) throws -> StatementEffect {
        guard let sql = statement.querySQL(for: .sqlite) else { throw EngineError.invalid("CREATE TABLE AS without a query") }
        let previous = try lookup(target).map { try store.readTable($0.1).schema }
        let schema = try resultSchema(previous: previous)
        let inputs = try inputs()
        let protecting = Set(inputs.map(\.id))
        let (id, table) = try writeTransaction(inputs) { () throws -> (ObjectID, Table) in
            let views = try createViews(inputs)
            defer { dropViews(views) }
            let staging = cache.stagingName()
            try connection.execute(TableCache.createSQL(staging, schema: schema))
            let built = try fill(staging, schema: schema, target: target, query: sql)
            let (id, table) = try write(schema, built)
            try cache.adopt(staging, as: id, rows: built.sqliteRows, bytes: built.encodedBytes,
                            digest: try cache.digest(of: staging, schema: schema), protecting: protecting)
            return (id, table)
        }
        metrics.rowsWritten = table.rowCount
        return .tableWritten(name: lookup(target)?.0 ?? target, id: id, table: table)
    }

    /// Runs the query into the staging table and builds the result's tree
    /// from the same rows in one pass (`RowTap`; the tree is built on a
    /// second thread while SQLite computes); when the rows did not come in
    /// key order, builds it from the staging table read in key order (its
    /// primary key's order).
    func fill(_ staging: String, schema: Schema, target: String, query sql: String) throws -> BuiltTree {
        let names = schema.columns.map { quote($0.name) }
        let writer = treeWriter(schema, label: target)
        func readBack() throws -> BuiltTree {
            try writer.build { ordered in
                try connection.statement(StatementRun.selectAll(staging, schema: schema, ordered: ordered))
            }
        }
        let columns = names.joined(separator: ", ")
        guard names.count <= RowTap.maximumArity else {
            try insertFailing(into: target, schema: schema, query: sql) {
                try connection.execute("INSERT INTO main.\(quote(staging)) (\(columns)) SELECT * FROM (\(sql))")
            }
            return try readBack()
        }
        let feed = writer.feed()
        let tap = RowTap(feed: feed, schema: schema)
        do {
            try insertFailing(into: target, schema: schema, query: sql, cause: { tap.error }) {
                try tap.attached(to: connection, arity: names.count) {
                    try connection.execute("INSERT INTO main.\(quote(staging)) (\(columns)) SELECT \(tap.projection(names)) FROM (\(sql))")
                }
            }
        } catch {
            feed.drain()
            throw error
        }
        if let tapped = try feed.finish() { return tapped }
        return try readBack()
    }

    /// Runs an INSERT of a query's rows into a table being built for
    /// `target`, mapping constraint failures to errors about `target` and
    /// naming the query (not the engine's INSERT) as the SQL that failed.
    private func insertFailing(into target: String, schema: Schema, query sql: String, cause: () -> Error? = { nil },
                               _ body: () throws -> Void) throws {
        do {
            try body()
        } catch let error as SQLiteError {
            if let cause = cause() { throw cause }
            throw EngineError.from(SQLiteError(code: error.code, message: error.message, sql: sql), table: target,
                                   keyColumns: schema.keyColumnNames)
        }
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
        if let key = options.targetKey { try schema.setKey(key) }
        if let time = options.targetTimeColumn { try schema.setTimeColumn(time) }
        try schema.validate()
        return schema
    }

    /// CREATE TABLE: an empty version with the declared columns and key.
    func createTable(_ target: String, columns: [ColumnDefinition], primaryKey: [String], ifNotExists: Bool) throws -> StatementEffect {
        if ifNotExists, lookup(target) != nil { return .nothing }
        var schema = Schema(columns: columns.enumerated().map { i, c in
            Column(id: i + 1, name: c.name, type: c.type, nullable: !c.notNull)
        })
        let key = primaryKey.isEmpty ? options.targetKey ?? [] : primaryKey
        try schema.setKey(key)
        if let time = options.targetTimeColumn { try schema.setTimeColumn(time) }
        try schema.validate()
        let (id, table) = try write(schema, BuiltTree())
        try writeTransaction([]) {
            if try cache.entry(id) == nil {
                let staging = cache.stagingName()
                try connection.execute(TableCache.createSQL(staging, schema: schema))
                try cache.adopt(staging, as: id, rows: 0, bytes: 0, digest: 0, protecting: [])
            }
        }
        return .tableWritten(name: target, id: id, table: table)
    }
}
