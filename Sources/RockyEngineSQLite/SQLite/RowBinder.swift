import CSQLite
import RockyBase
import RockyEngine
import RockyStore
import RockyTable

/// Binds a stored row (key and value bytes, Docs/format.md "Keys" and
/// "Values") straight to the parameters of an INSERT whose parameter `i+1`
/// is schema column `i`, in the SQLite representation, without building
/// `Value`s: the hot path of loading a table version into the cache.
/// Returns the row's multiplicity (1 for a keyed table).
struct RowBinder {
    private let schema: Schema
    private let label: String
    /// Key columns in key order (keyed) or all columns by ascending id (keyless): (position, type).
    private let keyColumns: [(Int32, ColumnType)]
    /// Column id -> (position, type), for value entries.
    private let byID: [Int: (Int32, ColumnType)]
    /// Positions of the non-key columns (bound NULL unless the value has them).
    private let valuePositions: [Int32]
    private var scratch: [UInt8] = []

    init(schema: Schema, label: String) {
        self.schema = schema
        self.label = label
        let order = schema.isKeyless
            ? schema.columns.indices.sorted { schema.columns[$0].id < schema.columns[$1].id }
            : schema.keyIndices
        keyColumns = order.map { (Int32($0), schema.columns[$0].type) }
        var map: [Int: (Int32, ColumnType)] = [:]
        for (i, column) in schema.columns.enumerated() { map[column.id] = (Int32(i), column.type) }
        byID = map
        let keySet = Set(order)
        valuePositions = schema.isKeyless ? [] : schema.columns.indices.filter { !keySet.contains($0) }.map { Int32($0) }
    }

    mutating func bind(key: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer, to statement: PreparedStatement) throws -> Int {
        var p = 0
        for (position, type) in keyColumns { try bindKey(key, &p, type, position, statement) }
        guard p == key.count else { throw StoredRowError.malformed("key") }
        var q = 0
        if schema.isKeyless { return Int(try readVarint(value, &q)) }
        for position in valuePositions { statement.bindNull(at: position + 1) }
        while q < value.count {
            let id = Int(try readVarint(value, &q))
            guard let (position, type) = byID[id] else { throw StoredRowError.malformed("value for unknown column id \(id)") }
            try bindValue(value, &q, type, position, statement)
        }
        return 1
    }

    private func fail(_ position: Int32, _ detail: String) -> EngineError {
        .decimalOverflow(table: label, column: schema.columns[Int(position)].name, detail: detail)
    }

    private mutating func bindKey(_ bytes: UnsafeRawBufferPointer, _ p: inout Int, _ type: ColumnType, _ position: Int32,
                                  _ s: PreparedStatement) throws {
        guard p < bytes.count else { throw StoredRowError.malformed("truncated key") }
        let marker = bytes[p]
        p += 1
        let index = position + 1
        if marker == 0 { s.bindNull(at: index); return }
        switch type {
        case .boolean:
            guard p < bytes.count else { throw StoredRowError.malformed("truncated key") }
            s.bind(Int64(bytes[p] != 0 ? 1 : 0), at: index)
            p += 1
        case .double:
            let v = try readBigEndian(bytes, &p)
            s.bind(Double(bitPattern: v & (1 << 63) != 0 ? v ^ (1 << 63) : ~v), at: index)
        case let .decimal(precision, _) where precision > 18:
            // The key encoding is the BLOB form (WideDecimal).
            guard p + WideDecimal.byteCount <= bytes.count else { throw StoredRowError.malformed("truncated key") }
            s.bind(blobBytes: UnsafeRawBufferPointer(rebasing: bytes[p..<(p + WideDecimal.byteCount)]), at: index)
            p += WideDecimal.byteCount
        case let .decimal(_, scale):
            let high = try readBigEndian(bytes, &p), low = try readBigEndian(bytes, &p)
            let units = Int128(bitPattern: (UInt128(high) << 64 | UInt128(low)) ^ (1 << 127))
            guard let small = Int64(exactly: units) else {
                throw fail(position, "\(ExactDecimal(units: units, scale: scale)) does not fit SQLite's 64-bit representation of \(type)")
            }
            s.bind(small, at: index)
        case .text:
            // Escaped: 00 is written 00 FF; the text ends at 00 00.
            let start = p
            var escaped = false
            while true {
                guard p < bytes.count else { throw StoredRowError.malformed("unterminated text in key") }
                if bytes[p] != 0 { p += 1; continue }
                guard p + 1 < bytes.count else { throw StoredRowError.malformed("unterminated text in key") }
                if bytes[p + 1] == 0 { break }
                escaped = true
                p += 2
            }
            let raw = UnsafeRawBufferPointer(rebasing: bytes[start..<p])
            p += 2
            if !escaped {
                s.bind(textBytes: raw, at: index)
            } else {
                scratch.removeAll(keepingCapacity: true)
                var i = 0
                while i < raw.count {
                    scratch.append(raw[i])
                    i += raw[i] == 0 ? 2 : 1
                }
                scratch.withUnsafeBytes { s.bind(textBytes: $0, at: index) }
            }
        default:
            s.bind(Int64(bitPattern: try readBigEndian(bytes, &p) ^ (1 << 63)), at: index)
        }
    }

    private func bindValue(_ bytes: UnsafeRawBufferPointer, _ p: inout Int, _ type: ColumnType, _ position: Int32,
                           _ s: PreparedStatement) throws {
        guard p < bytes.count else { throw StoredRowError.malformed("truncated value") }
        let tag = bytes[p]
        p += 1
        let index = position + 1
        switch tag {
        case 1, 2: s.bind(Int64(tag - 1), at: index)
        case 3, 7, 8: s.bind(try readZigzag(bytes, &p), at: index)
        case 4: s.bind(Double(bitPattern: try readBigEndian(bytes, &p)), at: index)
        case 5:
            guard p < bytes.count else { throw StoredRowError.malformed("truncated decimal") }
            let stored = Int(bytes[p])
            p += 1
            var units = try readZigzag128(bytes, &p)
            if case let .decimal(_, scale) = type, scale != stored, stored <= ExactDecimal.maxScale {
                let d = ExactDecimal(units: units, scale: stored)
                units = (d.rescaled(to: scale) ?? d.rounded(toScale: scale)).units
            }
            if Representation.isWide(type) { return s.bind(wideDecimal: units, at: index) }
            guard let small = Int64(exactly: units) else {
                throw fail(position, "\(ExactDecimal(units: units, scale: stored)) does not fit SQLite's 64-bit representation of \(type)")
            }
            s.bind(small, at: index)
        case 6:
            let n = Int(try readVarint(bytes, &p))
            guard n <= bytes.count - p else { throw StoredRowError.malformed("truncated text") }
            s.bind(textBytes: UnsafeRawBufferPointer(rebasing: bytes[p..<(p + n)]), at: index)
            p += n
        default:
            throw StoredRowError.malformed("unknown value tag \(tag)")
        }
    }
}

/// A stored row that does not decode: the object is damaged.
enum StoredRowError: Error, CustomStringConvertible {
    case malformed(String)
    var description: String {
        switch self { case let .malformed(what): "a stored row does not decode: \(what)" }
    }
}

@inline(__always)
private func readBigEndian(_ bytes: UnsafeRawBufferPointer, _ p: inout Int) throws -> UInt64 {
    guard p + 8 <= bytes.count else { throw StoredRowError.malformed("truncated key") }
    var v: UInt64 = 0
    for i in 0..<8 { v = v << 8 | UInt64(bytes[p + i]) }
    p += 8
    return v
}

@inline(__always)
private func readVarint(_ bytes: UnsafeRawBufferPointer, _ p: inout Int) throws -> UInt64 {
    var result: UInt64 = 0, shift: UInt64 = 0
    while true {
        guard p < bytes.count, shift < 64 else { throw StoredRowError.malformed("bad varint") }
        let b = bytes[p]
        p += 1
        result |= UInt64(b & 0x7F) << shift
        if b & 0x80 == 0 { return result }
        shift += 7
    }
}

@inline(__always)
private func readZigzag(_ bytes: UnsafeRawBufferPointer, _ p: inout Int) throws -> Int64 {
    let v = try readVarint(bytes, &p)
    return Int64(bitPattern: v >> 1) ^ -Int64(bitPattern: v & 1)
}

private func readZigzag128(_ bytes: UnsafeRawBufferPointer, _ p: inout Int) throws -> Int128 {
    var result: UInt128 = 0, shift: UInt128 = 0
    while true {
        guard p < bytes.count, shift < 128 else { throw StoredRowError.malformed("bad varint") }
        let b = bytes[p]
        p += 1
        result |= UInt128(b & 0x7F) << shift
        if b & 0x80 == 0 { break }
        shift += 7
    }
    return Int128(bitPattern: result >> 1) ^ -Int128(bitPattern: result & 1)
}
