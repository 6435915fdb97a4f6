import RockyBase
import RockyStore
import RockyTable

/// A table as `rocky tables` lists it.
public struct TableSummary: Equatable, Sendable {
    public var name: String
    public var id: ObjectID
    public var rows: Int
    public var columns: Int
    public var key: [String]
}

extension Repository {
    /// The tables of a revision, or of the working set when `revision` is nil.
    public func tableIDs(at revision: String?) throws -> [String: ObjectID] {
        let context = try gate(.tableIDs); defer { context.end() }
        try context.authorizeRevisionOrWorkingSet(revision)
        guard let revision else { return try workingSet(try currentTarget()).set.tables }
        return try objects.readTree(try objects.readCommit(try resolveRevision(revision)).tree).tables
    }

    public func tables(at revision: String?) throws -> [TableSummary] {
        let context = try gate(.tables); defer { context.end() }
        try context.authorizeRevisionOrWorkingSet(revision)
        return try tableIDs(at: revision).sorted { $0.key < $1.key }.map { name, id in
            let table = try objects.readTable(id)
            return TableSummary(name: name, id: id, rows: table.rowCount, columns: table.schema.columns.count,
                                key: table.schema.keyColumnNames)
        }
    }

    /// One table of a revision (nil: the working set).
    public func table(_ name: String, at revision: String?) throws -> (id: ObjectID, table: Table) {
        let context = try gate(.table); defer { context.end() }
        try context.authorizeRevisionOrWorkingSet(revision)
        let ids = try tableIDs(at: revision)
        guard let id = ids[name] else { throw RepositoryError.noSuchTable(name, available: ids.keys.sorted()) }
        return (id, try objects.readTable(id))
    }

    /// The rows of table `name` of a revision (nil: the working set) in key
    /// order, decoded, one chunk in memory at a time.
    public func rows(of name: String, at revision: String?) throws -> TableRows {
        let context = try gate(.rows); defer { context.end() }
        try context.authorizeRevisionOrWorkingSet(revision)
        return rows(of: try table(name, at: revision).table)
    }

    /// The rows of a table value an operation has read.
    func rows(of table: Table) -> TableRows {
        TableRows(cursor: TreeReader(store: objects).rows(table.root), codec: RowCodec(schema: table.schema))
    }
}

/// Decoded rows of a table, in key order; a keyless row repeats its multiplicity.
public struct TableRows: Sequence, IteratorProtocol {
    var cursor: RowCursor
    let codec: RowCodec
    private var repeatRow: [Value]?
    private var repeatsLeft = 0
    private var row: [Value] = []

    init(cursor: RowCursor, codec: RowCodec) {
        self.cursor = cursor
        self.codec = codec
    }

    public mutating func next() -> [Value]? { try? nextRow() }

    /// The next row, throwing on a damaged object rather than stopping.
    public mutating func nextRow() throws -> [Value]? {
        if repeatsLeft > 0, let row = repeatRow {
            repeatsLeft -= 1
            return row
        }
        guard let (key, value) = try cursor.nextRow() else { return nil }
        let count = try key.withUnsafeBytes { k in try value.withUnsafeBytes { v in try codec.decode(key: k, value: v, into: &row) } }
        if count > 1 {
            repeatRow = row
            repeatsLeft = count - 1
        }
        return row
    }
}
