import Glibc
import RockyBase
import RockyStore
import RockyTable

/// A table tree built from rows read back from SQLite.
struct BuiltTree {
    var root: TreeRoot?
    /// Rows of the SQLite table (a keyless row counted once per copy).
    var sqliteRows = 0
    /// Encoded bytes of the tree's rows (keys and values): the version's size in the cache catalog.
    var encodedBytes = 0
    var bytesWritten = 0
}

/// Reads the rows of a SQLite table (or any SELECT over the representation)
/// and builds the table tree of `schema` from them.
///
/// Keyed: the SELECT orders by the key; SQLite's order of the representation
/// is Rocky's key order for every type (NULL first, integers and REALs
/// numerically, text by bytes, shorter first), so rows go straight into the
/// `TreeBuilder`. Should a key ever arrive out of order, the rows are read
/// again through a `RowSorter`. Keyless: every row's key (all columns by
/// ascending id) goes through a `RowSorter`; equal keys fold into one row
/// with their multiplicity.
struct TreeWriter {
    let store: any ObjectStore
    let schema: Schema
    /// The table's name, for messages.
    let label: String
    let temporaryDirectory: String

    /// `select(ordered)` prepares the SELECT to read: ordered by the key when
    /// `ordered` is true. Its columns are the schema's columns, in order.
    func build(_ select: (_ ordered: Bool) throws -> PreparedStatement) throws -> BuiltTree {
        if !schema.isKeyless {
            do {
                return try buildInOrder(try select(true))
            } catch TreeError.keysOutOfOrder {
                // Not expected (see the type comment); sorting is always correct.
            }
        }
        return try buildSorted(try select(false))
    }

    private func buildInOrder(_ statement: PreparedStatement) throws -> BuiltTree {
        let encoder = RowEncoder(schema: schema, table: label)
        let builder = TreeBuilder(store: store)
        var key: [UInt8] = [], value: [UInt8] = []
        key.reserveCapacity(64)
        value.reserveCapacity(256)
        var built = BuiltTree()
        while try statement.step() {
            key.removeAll(keepingCapacity: true)
            value.removeAll(keepingCapacity: true)
            try encoder.encode(statement, key: &key, value: &value)
            built.encodedBytes += key.count + value.count
            built.sqliteRows += 1
            try builder.append(key: key, value: value)
        }
        built.root = try builder.finish()
        built.bytesWritten = builder.bytesWritten
        return built
    }

    private func buildSorted(_ statement: PreparedStatement) throws -> BuiltTree {
        let encoder = RowEncoder(schema: schema, table: label)
        let sorter = RowSorter(temporaryDirectory: temporaryDirectory)
        var key: [UInt8] = [], value: [UInt8] = []
        var built = BuiltTree()
        while try statement.step() {
            key.removeAll(keepingCapacity: true)
            value.removeAll(keepingCapacity: true)
            try encoder.encode(statement, key: &key, value: &value)
            built.sqliteRows += 1
            try sorter.add(key: key, value: value, origin: built.sqliteRows)
        }
        let builder = TreeBuilder(store: store)
        let sorted = try sorter.finish()
        var pending: RowSorter.Record?
        var count = 0
        func flush() throws {
            guard let record = pending else { return }
            if schema.isKeyless {
                let multiplicity = RowCodec.multiplicity(count)
                built.encodedBytes += record.key.count + multiplicity.count
                try builder.append(key: record.key, value: multiplicity[...])
            } else {
                built.encodedBytes += record.key.count + record.value.count
                try builder.append(key: record.key, value: record.value)
            }
        }
        while let record = sorted.next() {
            if let previous = pending, previous.key == record.key {
                guard schema.isKeyless else {
                    throw EngineError.duplicateKey(table: label, detail: "two rows have the same (\(schema.keyColumnNames.joined(separator: ", ")))")
                }
                count += 1
                continue
            }
            try flush()
            pending = record
            count = 1
        }
        try flush()
        built.root = try builder.finish()
        built.bytesWritten = builder.bytesWritten
        return built
    }
}

extension ObjectStore {
    /// Writes a table's schema and table objects; returns its id and the
    /// payload bytes of those two objects when they are new.
    func writeCounting(_ table: Table) throws -> (id: ObjectID, bytes: Int) {
        let schemaPayload = Array(table.schema.json.canonicalText.utf8)
        let schemaIsNew = !contains(objectID(.schema, schemaPayload))
        let id = try write(table: table)
        let tableBytes = (try? header(id).size) ?? 0
        return (id, tableBytes + (schemaIsNew ? schemaPayload.count : 0))
    }
}

/// Where sort runs spill: `$TMPDIR`, else /tmp.
func defaultTemporaryDirectory() -> String {
    if let value = getenv("TMPDIR"), let text = String(validatingCString: value), !text.isEmpty { return text }
    return "/tmp"
}
