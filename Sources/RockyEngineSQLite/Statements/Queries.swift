import RockyBase
import RockyEngine
import RockySQL
import RockyStore
import RockyTable

extension SQLiteBackend {
    /// SELECT: prepared inside a read transaction that the stream holds
    /// until it is closed; the first row is computed here, so run-time errors
    /// of the first row surface from `execute`.
    public func query(_ sql: String, columns: [OutputColumn], tables: [BackendTable]) throws -> RowStream {
        try operation(table: nil) {
            try inCachedTransaction(tables, immediate: false) {
                var views: [String] = []
                do {
                    views = try createViews(tables)
                    guard let prepared = try connection.prepare(sql) else { throw EngineError.invalid("empty query") }
                    let hasRow = try prepared.step()
                    markResultOpen(true)
                    let source = SQLiteRows(statement: prepared, hasPendingRow: hasRow) { [views, connection] in
                        for name in views { try? connection.execute("DROP VIEW IF EXISTS temp.\(quote(name))") }
                        if connection.isInTransaction { try? connection.execute("COMMIT") }
                        self.markResultOpen(false)
                    }
                    return RowStream(columns: columns, source: source, exhausted: !hasRow)
                } catch {
                    dropViews(views)
                    throw error
                }
            }
        }
    }

    /// CREATE TABLE [AS] and DROP COLUMN: the query runs into a staging
    /// table of the result's schema (which enforces the key) while the tree
    /// is built from the same rows, and the staging table becomes the cached
    /// copy of the new version, all in one transaction.
    public func materialize(_ sql: String?, schema: Schema, target: String, tables: [BackendTable], writer: TreeWriter,
                            commit: (BuiltTree) throws -> ObjectID) throws {
        try operation(table: target) {
            let protecting = Set(tables.map(\.id))
            try writeTransaction(tables) {
                let views = try createViews(tables)
                defer { dropViews(views) }
                let staging = cache.stagingName()
                try connection.execute(TableCache.createSQL(staging, schema: schema))
                guard let sql else {
                    // An empty version (CREATE TABLE): adopted, or dropped when cached already.
                    try cache.adopt(staging, as: try commit(BuiltTree()), rows: 0, bytes: 0, digest: 0, protecting: [])
                    return
                }
                let built = try fill(staging, schema: schema, target: target, query: sql, writer: writer)
                let id = try commit(built)
                try cache.adopt(staging, as: id, rows: built.engineRows, bytes: built.encodedBytes,
                                digest: try cache.digest(of: staging, schema: schema), protecting: protecting)
            }
        }
    }

    /// Runs the query into the staging table and builds the result's tree
    /// from the same rows in one pass (`RowTap`; the tree is built on a
    /// second thread while SQLite computes); when the rows did not come in
    /// key order, builds it from the staging table read in key order (its
    /// primary key's order).
    func fill(_ staging: String, schema: Schema, target: String, query sql: String, writer: TreeWriter) throws -> BuiltTree {
        let names = schema.columns.map { quote($0.name) }
        let encoder = RowEncoder(schema: schema, table: target)
        func readBack() throws -> BuiltTree {
            try writer.build { ordered, feed in
                let select = try connection.statement(SQLiteBackend.selectAll(staging, schema: schema, ordered: ordered))
                while try select.step() { try feed.add { key, value in try encoder.encode(select, key: &key, value: &value) } }
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
        let tap = RowTap(feed: feed, encoder: encoder, schema: schema)
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
}

/// A query's rows, read from a prepared SQLite statement.
final class SQLiteRows: RowSource {
    private var statement: PreparedStatement?
    private var hasPendingRow: Bool
    private let onClose: () -> Void

    init(statement: PreparedStatement, hasPendingRow: Bool, onClose: @escaping () -> Void) {
        self.statement = statement
        self.hasPendingRow = hasPendingRow
        self.onClose = onClose
    }

    func nextRow(columns: [OutputColumn]) throws -> [Value]? {
        guard let statement, hasPendingRow else { return nil }
        do {
            var row: [Value] = []
            row.reserveCapacity(columns.count)
            for (i, column) in columns.enumerated() {
                row.append(try Representation.read(statement, Int32(i), type: column.type,
                                                   place: Representation.Place(table: "result", column: column.name)))
            }
            hasPendingRow = try statement.step()
            return row
        } catch let error as SQLiteError {
            throw EngineError.sqlite(error)
        }
    }

    func close() {
        statement = nil
        hasPendingRow = false
        onClose()
    }
}
