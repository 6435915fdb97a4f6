import RockyBase
import RockyStore
import RockyTable

/// The rows of a table version as a server engine uploads them: read in key
/// order and decoded into one reused array, each with its multiplicity (a
/// keyless row's count), counting the encoded bytes read. A row that does
/// not decode is `EngineError.invalid` naming the table and version.
public struct VersionRows {
    /// The row `next()` decoded last.
    public private(set) var row: [Value] = []
    /// The encoded bytes (keys and values) read so far.
    public private(set) var bytes = 0
    private var cursor: RowCursor
    private let codec: RowCodec
    private let input: BackendTable

    public init(_ input: BackendTable, store: any ObjectStore) {
        self.input = input
        codec = RowCodec(schema: input.table.schema)
        cursor = TreeReader(store: store).rows(input.table.root)
    }

    /// Decodes the next row into `row` and returns its multiplicity; nil after the last.
    public mutating func next() throws -> Int? {
        guard let (key, value) = try cursor.nextRow() else { return nil }
        bytes += key.count + value.count
        do {
            return try key.withUnsafeBytes { k in try value.withUnsafeBytes { v in try codec.decode(key: k, value: v, into: &row) } }
        } catch {
            throw EngineError.invalid("table \(input.name) (\(input.id.short())): \(error)")
        }
    }
}
