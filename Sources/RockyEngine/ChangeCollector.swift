import RockyStore
import RockyTable

/// The rows a DML statement touched, as its backend captured them: the old
/// image of every row updated or deleted and the new image of every row
/// inserted or updated, in Rocky's encoding (Docs/format.md "Keys" and
/// "Values"). `StatementExecutor` turns them into key-ordered tree changes
/// (keyed: delete the old key, upsert the new row; keyless: multiplicity
/// deltas) that `TreeEditor` applies to the old tree, so every engine
/// changes a table the same way, at a cost that follows the rows changed.
///
/// The images go through a `RowSorter` (memory bounded, spilling to disk).
/// A backend adds every old image before any new one, so that for one key
/// the new image wins (keyed) or the images add up to a multiplicity delta
/// (keyless).
public final class ChangeCollector {
    public let schema: Schema
    private let sorter: RowSorter
    private var key: [UInt8] = []
    private var value: [UInt8] = []
    private var origin = 0
    private var sorted: SortedRows?
    /// The change in encoded bytes and in rows (a keyless copy counts once) of the table.
    public private(set) var byteDelta = 0
    public private(set) var rowDelta = 0

    public init(schema: Schema, temporaryDirectory: String) {
        self.schema = schema
        sorter = RowSorter(temporaryDirectory: temporaryDirectory)
    }

    /// Adds one image: `new` false for an old image (the row as it was), true
    /// for a new one. `encode` appends the row's key and value bytes.
    public func add(new: Bool, encoding encode: (_ key: inout [UInt8], _ value: inout [UInt8]) throws -> Void) throws {
        key.removeAll(keepingCapacity: true)
        value.removeAll(keepingCapacity: true)
        value.append(new ? 1 : 0)
        try encode(&key, &value)
        let sign = new ? 1 : -1
        rowDelta += sign
        byteDelta += sign * (schema.isKeyless ? key.count + 1 : key.count + value.count - 1)
        origin += 1
        try sorter.add(key: key, value: value, origin: origin)
    }

    /// Adds one image from `Value`s in the schema's column order.
    public func add(new: Bool, row: [Value]) throws {
        let codec = RowCodec(schema: schema)
        try add(new: new) { key, value in
            codec.appendKey(of: row, to: &key)
            codec.appendValue(of: row, to: &value)
        }
    }

    /// The key-ordered changes (once, after the last `add`).
    func changes() throws -> AnyIterator<KeyedChange> {
        let sorted = try sorter.finish()
        self.sorted = sorted
        var pending = sorted.next()
        let keyless = schema.isKeyless
        return AnyIterator<KeyedChange> {
            while let first = pending {
                var last = first
                var delta = first.value.first == 0 ? -1 : 1
                pending = sorted.next()
                while let next = pending, next.key == first.key {
                    last = next
                    delta += next.value.first == 0 ? -1 : 1
                    pending = sorted.next()
                }
                if keyless {
                    if delta != 0 { return KeyedChange(key: first.key, change: .addCount(delta)) }
                    continue
                }
                let change: RowChange = last.value.first == 0 ? .delete : .upsert(last.value.dropFirst())
                return KeyedChange(key: first.key, change: change)
            }
            return nil
        }
    }

    /// Throws when the sorted runs could not all be read back.
    func checkComplete() throws { try sorted?.checkComplete() }
}
