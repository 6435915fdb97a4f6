import RockyStore

extension ObjectKind {
    /// Rows of a table: `varint(n)`, then n times `varint(len) key varint(len) value`, keys ascending.
    public static let chunk = ObjectKind("chunk")
    /// An inner node of a table tree: `varint(level) varint(n)`, then n times
    /// `varint(len) lastKey, 32-byte child id, varint(rows)`.
    public static let index = ObjectKind("index")
    public static let schema = ObjectKind("schema")
    public static let table = ObjectKind("table")
}

/// A decoded chunk: keys and values are slices of the payload (no copies).
public struct Chunk: Sendable {
    /// The chunk's encoded bytes (see `Docs/format.md`).
    public let payload: [UInt8]
    /// Per row, where it starts (its key's length), where its key starts and
    /// ends, and where its value starts; then where the last row ends. Rows
    /// are read as slices of `payload` when asked for, so decoding a chunk
    /// costs one small array, not two slices per row.
    private let offsets: [UInt32]
    public let count: Int

    public init(payload: [UInt8]) throws {
        var offsets: [UInt32] = []
        var n = 0
        try payload.withUnsafeBytes { raw in
            guard raw.count <= Int(UInt32.max) else { throw DecodeError("a chunk of \(raw.count) bytes is too large") }
            var p = 0
            n = try Varint.readInt(raw, &p)
            guard n <= raw.count else { throw DecodeError("row count \(n) exceeds the chunk size") }
            offsets.reserveCapacity(4 * n + 1)
            for _ in 0..<n {
                offsets.append(UInt32(p))
                let kl = try Varint.readInt(raw, &p)
                guard kl <= raw.count - p else { throw DecodeError("truncated key") }
                offsets.append(UInt32(p))
                p += kl
                offsets.append(UInt32(p))
                let vl = try Varint.readInt(raw, &p)
                guard vl <= raw.count - p else { throw DecodeError("truncated value") }
                offsets.append(UInt32(p))
                p += vl
            }
            guard p == raw.count else { throw DecodeError("\(raw.count - p) trailing bytes in a chunk") }
            offsets.append(UInt32(p))
        }
        self.payload = payload
        self.offsets = offsets
        count = n
    }

    /// Where row `i`'s key lies in `payload`.
    @inline(__always)
    public func keyRange(_ i: Int) -> Range<Int> { Int(offsets[4 * i + 1])..<Int(offsets[4 * i + 2]) }

    /// Where row `i`'s value lies in `payload`.
    @inline(__always)
    public func valueRange(_ i: Int) -> Range<Int> { Int(offsets[4 * i + 3])..<Int(offsets[4 * i + 4]) }

    /// Where row `i`'s whole encoding (key length, key, value length, value) lies in `payload`.
    @inline(__always)
    public func rowRange(_ i: Int) -> Range<Int> { Int(offsets[4 * i])..<Int(offsets[4 * i + 4]) }

    public func key(_ i: Int) -> ArraySlice<UInt8> { payload[keyRange(i)] }

    public func value(_ i: Int) -> ArraySlice<UInt8> { payload[valueRange(i)] }

    /// Whether row `i` here and row `j` of `other` have the same key and
    /// value: their encodings (length-prefixed, so unambiguous) are compared
    /// byte for byte.
    func sameRow(_ i: Int, as other: Chunk, _ j: Int) -> Bool {
        let a = Int(offsets[4 * i])..<Int(offsets[4 * i + 4])
        let b = Int(other.offsets[4 * j])..<Int(other.offsets[4 * j + 4])
        guard a.count == b.count else { return false }
        return payload.withUnsafeBytes { x in
            other.payload.withUnsafeBytes { y in memcmpRaw(x.baseAddress! + a.lowerBound, y.baseAddress! + b.lowerBound, a.count) == 0 }
        }
    }
}

/// One child of an index node: the last (largest) key below it, its id and
/// how many rows it holds.
public struct IndexEntry: Equatable, Sendable {
    public var lastKey: [UInt8]
    public var child: ObjectID
    public var rows: Int
}

public struct IndexNode: Sendable {
    /// 1 when the children are chunks.
    public let level: Int
    public let entries: [IndexEntry]

    init(level: Int, entries: [IndexEntry]) {
        self.level = level
        self.entries = entries
    }

    public init(payload: [UInt8]) throws {
        var entries: [IndexEntry] = []
        var level = 0
        try payload.withUnsafeBytes { raw in
            var p = 0
            level = try Varint.readInt(raw, &p)
            let n = try Varint.readInt(raw, &p)
            guard level >= 1, level < 64, n >= 1, n <= raw.count else { throw DecodeError("bad index node header") }
            entries.reserveCapacity(n)
            for _ in 0..<n {
                let kl = try Varint.readInt(raw, &p)
                guard kl <= raw.count - p, 32 <= raw.count - p - kl else { throw DecodeError("truncated index entry") }
                let key = Array(payload[p..<(p + kl)])
                p += kl
                let child = ObjectID(bytes: payload[p..<(p + 32)])
                p += 32
                entries.append(IndexEntry(lastKey: key, child: child, rows: try Varint.readInt(raw, &p)))
            }
            guard p == raw.count else { throw DecodeError("trailing bytes in an index node") }
        }
        self.level = level
        self.entries = entries
    }

    var payload: [UInt8] {
        var out: [UInt8] = []
        Varint.append(level, to: &out)
        Varint.append(entries.count, to: &out)
        for e in entries {
            Varint.append(e.lastKey.count, to: &out)
            out += e.lastKey
            out += e.child.bytes
            Varint.append(e.rows, to: &out)
        }
        return out
    }
}

/// Where chunks end. After appending a row (level 0) or an entry (level L),
/// the node ends when
///   n >= minimum and hash(L, key) % pattern == 0,  or  n >= maximum,
/// (and, for chunks, when the encoded rows reach `leafMaxBytes`), where n
/// counts rows or entries since the last boundary and `key` is the row's key
/// or the entry's last key. `hash` is FNV-1a 64 over the byte L followed by
/// the key, finished with MurmurHash3's fmix64. Boundaries thus depend on the
/// keys alone (except for very wide rows): editing values never moves one,
/// and the same rows give the same tree whatever the order of edits. A chunk
/// minimum as large as its pattern keeps chunk sizes close to their mean, so
/// that a small change touches small chunks (`Docs/format.md`).
public enum ChunkBoundary {
    public static let leafMinRows = 96
    public static let leafPattern: UInt64 = 96
    public static let leafMaxRows = 4096
    public static let leafMaxBytes = 256 * 1024
    public static let indexMinEntries = 4
    public static let indexPattern: UInt64 = 32
    public static let indexMaxEntries = 256

    @inline(__always)
    static func hash(level: Int, key: UnsafeRawBufferPointer) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        h = (h ^ UInt64(level & 0xFF)) &* 0x0000_0100_0000_01B3
        for b in key { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01B3 }
        h ^= h >> 33
        h = h &* 0xff51_afd7_ed55_8ccd
        h ^= h >> 33
        h = h &* 0xc4ce_b9fe_1a85_ec53
        h ^= h >> 33
        return h
    }

    @inline(__always)
    static func endsLeaf(key: UnsafeRawBufferPointer, rows: Int, bytes: Int) -> Bool {
        if rows >= leafMaxRows || bytes >= leafMaxBytes { return true }
        return rows >= leafMinRows && hash(level: 0, key: key) % leafPattern == 0
    }

    static func endsIndex(level: Int, key: [UInt8], entries: Int) -> Bool {
        if entries >= indexMaxEntries { return true }
        return entries >= indexMinEntries && key.withUnsafeBytes { hash(level: level, key: $0) } % indexPattern == 0
    }
}
