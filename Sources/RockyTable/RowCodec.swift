import RockyBase

/// Turns a row (values in schema column order) into the bytes stored in a
/// chunk, and back.
///
/// A keyed row is `key` = the key columns in key order through `KeyCodec`,
/// and `value` = for each non-key column that is not NULL, in ascending
/// column id: varint(column id), then the value through `ValueCodec`. A NULL
/// cell is an absent entry, so adding a nullable column rewrites nothing.
///
/// A keyless row is identified by its content: `key` = every column in
/// ascending column id through `KeyCodec`, `value` = varint(multiplicity).
public struct RowCodec: Sendable {
    public let schema: Schema
    let keyIndices: [Int]
    private let keyTypes: [ColumnType]
    /// Non-key columns by ascending id: (column id, position in the row, type).
    let valueColumns: [(id: Int, index: Int, type: ColumnType)]
    /// Column id -> position in the row (-1: not in the schema); ids are small.
    private let positionByID: [Int]

    public init(schema: Schema) {
        self.schema = schema
        if schema.isKeyless {
            let byID = schema.columns.enumerated().sorted { $0.element.id < $1.element.id }
            keyIndices = byID.map(\.offset)
            valueColumns = []
        } else {
            keyIndices = schema.keyIndices
            let keySet = Set(schema.key)
            valueColumns = schema.columns.enumerated()
                .filter { !keySet.contains($0.element.id) }
                .sorted { $0.element.id < $1.element.id }
                .map { (id: $0.element.id, index: $0.offset, type: $0.element.type) }
        }
        keyTypes = keyIndices.map { schema.columns[$0].type }
        var positions = [Int](repeating: -1, count: (schema.columns.map(\.id).max() ?? 0) + 1)
        for (i, c) in schema.columns.enumerated() { positions[c.id] = i }
        positionByID = positions
    }

    public var isKeyless: Bool { schema.isKeyless }

    /// The key bytes of a row.
    public func key(of row: [Value]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(32)
        appendKey(of: row, to: &out)
        return out
    }

    /// Appends the key bytes of a row to `out`.
    public func appendKey(of row: [Value], to out: inout [UInt8]) {
        for (i, index) in keyIndices.enumerated() { KeyCodec.append(row[index], type: keyTypes[i], to: &out) }
    }

    /// The value bytes of a keyed row.
    public func value(of row: [Value]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(48)
        appendValue(of: row, to: &out)
        return out
    }

    /// Appends the value bytes of a keyed row to `out`. A DECIMAL of another
    /// scale is rescaled to its column's; one that cannot be without losing
    /// digits is rounded, or, with `roundingUnfit` false, written as it is.
    public func appendValue(of row: [Value], to out: inout [UInt8], roundingUnfit: Bool = true) {
        for column in valueColumns {
            let v = row[column.index]
            guard !v.isNull else { continue }
            Varint.append(column.id, to: &out)
            if case let .decimal(d) = v, case let .decimal(_, s) = column.type, d.scale != s {
                ValueCodec.append(d.rescaled(to: s).map(Value.decimal) ?? (roundingUnfit ? .decimal(d.rounded(toScale: s)) : v), to: &out)
            } else {
                ValueCodec.append(v, to: &out)
            }
        }
    }

    /// The value bytes of a keyless row with its multiplicity.
    public static func multiplicity(_ count: Int) -> [UInt8] {
        var out: [UInt8] = []
        Varint.append(count, to: &out)
        return out
    }

    /// The multiplicity a keyless row's stored value holds: one varint, at
    /// least 1, nothing after it; anything else is a decode error.
    public static func multiplicity(of value: UnsafeRawBufferPointer) throws -> Int {
        var p = 0
        let n = try Varint.readInt(value, &p)
        guard p == value.count, n > 0 else { throw DecodeError("bad multiplicity") }
        return n
    }

    public static func multiplicity(of value: ArraySlice<UInt8>) throws -> Int {
        try value.withUnsafeBytes { try multiplicity(of: $0) }
    }

    /// Decodes the key columns into `row` (which has one slot per column).
    public func decodeKey(_ key: UnsafeRawBufferPointer, into row: inout [Value]) throws {
        var p = 0
        for (i, index) in keyIndices.enumerated() { row[index] = try KeyCodec.decode(key, &p, type: keyTypes[i]) }
        guard p == key.count else { throw DecodeError("key has \(key.count - p) trailing bytes") }
    }

    /// Decodes a stored row: its values in schema order, and its multiplicity
    /// (1 for keyed tables).
    public func decode(key: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer) throws -> (row: [Value], count: Int) {
        var row = [Value](repeating: .null, count: schema.columns.count)
        let count = try decode(key: key, value: value, into: &row)
        return (row, count)
    }

    /// Decodes a stored row into `row` (one slot per column, overwritten;
    /// reuse it across rows to avoid an allocation each) and returns its multiplicity.
    public func decode(key: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer, into row: inout [Value]) throws -> Int {
        if row.count != schema.columns.count {
            row = [Value](repeating: .null, count: schema.columns.count)
        } else if !isKeyless {
            for i in row.indices { row[i] = .null }
        }
        try decodeKey(key, into: &row)
        var p = 0
        if isKeyless { return try Self.multiplicity(of: value) }
        while p < value.count {
            let id = try Varint.readInt(value, &p)
            guard id < positionByID.count, case let index = positionByID[id], index >= 0 else {
                throw DecodeError("value for unknown column id \(id)")
            }
            row[index] = try ValueCodec.decode(value, &p)
        }
        return 1
    }
}

/// memcmp order of byte sequences: the order of encoded keys.
@inline(__always)
func compareBytes(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Int {
    let n = min(a.count, b.count)
    if n > 0 {
        let c = memcmpRaw(a.baseAddress!, b.baseAddress!, n)
        if c != 0 { return c < 0 ? -1 : 1 }
    }
    return a.count == b.count ? 0 : (a.count < b.count ? -1 : 1)
}

func compareBytes(_ a: [UInt8], _ b: [UInt8]) -> Int {
    a.withUnsafeBytes { x in b.withUnsafeBytes { y in compareBytes(x, y) } }
}
