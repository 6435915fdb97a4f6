import RockyStore

/// Where one key lives in a tree: the chunk that covers it, and its stored
/// value when present.
///
/// Two trees whose paths to a key end in the same chunk id hold the same row
/// for it (and for every key that chunk covers) without reading the chunk:
/// what `blame` uses to skip commits that did not touch a row.
public struct KeyLocation: Sendable {
    /// The chunk that covers the key, nil when the tree is empty or the key
    /// is past its last key (then the row is absent).
    public var chunk: ObjectID?
    /// The stored value (keyed tables) or multiplicity bytes (keyless), nil when absent.
    public var value: [UInt8]?
}

extension TreeReader {
    /// Descends from `root` to the chunk that covers `key` (the first whose
    /// last key is not below it), reading one index node per level. `readChunk`: false stops at the chunk id
    /// without reading it (`value` is then nil).
    public func locate(_ key: [UInt8], in root: TreeRoot?, readChunk: Bool = true) throws -> KeyLocation {
        guard let root else { return KeyLocation(chunk: nil, value: nil) }
        var id = root.id
        var level = root.level
        while level > 0 {
            let node = try index(id)
            guard let entry = node.entries.first(where: { compareBytes($0.lastKey, key) >= 0 }) else {
                return KeyLocation(chunk: nil, value: nil)
            }
            id = entry.child
            level -= 1
        }
        guard readChunk else { return KeyLocation(chunk: id, value: nil) }
        let c = try chunk(id)
        var low = 0, high = c.count
        while low < high {
            let mid = (low + high) / 2
            if compareSlices(c.key(mid), key) < 0 { low = mid + 1 } else { high = mid }
        }
        let found = low < c.count && compareSlices(c.key(low), key) == 0
        return KeyLocation(chunk: id, value: found ? Array(c.value(low)) : nil)
    }
}

extension Value {
    /// The value's self-describing stored encoding (`ValueCodec`), for
    /// records that keep values outside rows; NULL is the empty array.
    public var encoded: [UInt8] {
        if isNull { return [] }
        var out: [UInt8] = []
        ValueCodec.append(self, to: &out)
        return out
    }

    /// The value of `encoded` bytes.
    public init(encoded bytes: [UInt8]) throws {
        if bytes.isEmpty { self = .null; return }
        self = try bytes.withUnsafeBytes { raw in
            var p = 0
            let value = try ValueCodec.decode(raw, &p)
            guard p == raw.count else { throw DecodeError("value has \(raw.count - p) trailing bytes") }
            return value
        }
    }
}
