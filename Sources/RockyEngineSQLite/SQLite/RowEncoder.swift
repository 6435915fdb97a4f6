import CSQLite
import RockyBase
import RockyEngine
import RockyTable

/// Encodes the current row of a SQLite statement straight into Rocky's row
/// bytes (Docs/format.md "Keys" and "Values"), without building `Value`s:
/// the hot path of reading results back. It produces exactly what
/// `RowCodec` produces for the same row (the tests check this), and checks
/// the representation as it goes (a DECIMAL that came back as REAL is an
/// overflow, precision is enforced, a key column may not be NULL).
///
/// Result column `i` of the statement is column `i` of `schema`.
struct RowEncoder {
    private struct Slot {
        var index: Int32
        var id: Int
        var type: ColumnType
        var kind: UInt8
        var scale: UInt8
        var limit: UInt64
        /// A DECIMAL of precision over 18: a 16-byte BLOB, at most `wideLimit`.
        var wide: Bool
        var wideLimit: UInt128
    }

    let schema: Schema
    let table: String
    let isKeyless: Bool
    private let keySlots: [Slot]
    private let valueSlots: [Slot]

    private static let boolean: UInt8 = 1, integer: UInt8 = 2, double: UInt8 = 3, decimal: UInt8 = 4,
        text: UInt8 = 5, date: UInt8 = 6, timestamp: UInt8 = 7

    init(schema: Schema, table: String) {
        self.schema = schema
        self.table = table
        isKeyless = schema.isKeyless
        func slot(_ position: Int) -> Slot {
            let column = schema.columns[position]
            var scale: UInt8 = 0
            let kind: UInt8
            switch column.type {
            case .boolean: kind = RowEncoder.boolean
            case .integer: kind = RowEncoder.integer
            case .double: kind = RowEncoder.double
            case let .decimal(_, s): kind = RowEncoder.decimal; scale = UInt8(s)
            case .text: kind = RowEncoder.text
            case .date: kind = RowEncoder.date
            case .timestamp: kind = RowEncoder.timestamp
            }
            var wideLimit: UInt128 = 0
            if case let .decimal(p, _) = column.type { wideLimit = WideDecimal.limit(precision: p) }
            return Slot(index: Int32(position), id: column.id, type: column.type, kind: kind, scale: scale,
                        limit: Representation.decimalLimit(column.type), wide: Representation.isWide(column.type),
                        wideLimit: wideLimit)
        }
        let byID = schema.columns.indices.sorted { schema.columns[$0].id < schema.columns[$1].id }
        if schema.isKeyless {
            keySlots = byID.map(slot)
            valueSlots = []
        } else {
            keySlots = schema.keyIndices.map(slot)
            let keySet = Set(schema.key)
            valueSlots = byID.filter { !keySet.contains(schema.columns[$0].id) }.map(slot)
        }
    }

    /// Appends the row's key to `key` and, for a keyed table, its value to
    /// `value` (a keyless row's value is its multiplicity, which the caller adds).
    @inline(__always)
    func encode(_ s: some Cells, key: inout [UInt8], value: inout [UInt8]) throws {
        for slot in keySlots { try appendKey(s, slot, &key) }
        for slot in valueSlots { try appendValue(s, slot, &value) }
    }

    private func place(_ slot: Slot) -> Representation.Place {
        Representation.Place(table: table, column: schema.columns[Int(slot.index)].name)
    }

    @inline(__always)
    private func integer(_ s: some Cells, _ slot: Slot, _ storage: Int32) throws -> Int64 {
        guard storage == SQLITE_INTEGER else {
            throw Representation.mismatch(storage: storage, type: slot.type, real: s.double(slot.index), place: place(slot))
        }
        let v = s.int64(slot.index)
        if slot.kind == RowEncoder.decimal, v.magnitude > slot.limit {
            throw EngineError.decimalPrecision(table: table, column: schema.columns[Int(slot.index)].name,
                                               value: ExactDecimal(units: Int128(v), scale: Int(slot.scale)).description,
                                               type: slot.type.name)
        }
        return v
    }

    /// The units of a wide DECIMAL cell, its precision checked.
    private func wideUnits(_ s: some Cells, _ slot: Slot, _ storage: Int32) throws -> Int128 {
        guard storage == SQLITE_BLOB else {
            throw Representation.mismatch(storage: storage, type: slot.type, real: s.double(slot.index), place: place(slot))
        }
        let bytes = s.blobBytes(slot.index)
        guard bytes.count == WideDecimal.byteCount, let base = bytes.baseAddress else {
            throw Representation.mismatch(storage: SQLITE_TEXT, type: slot.type, real: 0, place: place(slot))
        }
        let units = WideDecimal.units(base)
        if units.magnitude > slot.wideLimit {
            throw EngineError.decimalPrecision(table: table, column: schema.columns[Int(slot.index)].name,
                                               value: ExactDecimal(units: units, scale: Int(slot.scale)).description,
                                               type: slot.type.name)
        }
        return units
    }

    @inline(__always)
    private func real(_ s: some Cells, _ slot: Slot, _ storage: Int32) throws -> Double {
        guard storage == SQLITE_FLOAT || storage == SQLITE_INTEGER else {
            throw Representation.mismatch(storage: storage, type: slot.type, real: s.double(slot.index), place: place(slot))
        }
        let d = s.double(slot.index)
        return d == 0 ? 0 : d
    }

    @inline(__always)
    private func textBytes(_ s: some Cells, _ slot: Slot, _ storage: Int32) throws -> UnsafeRawBufferPointer {
        guard storage != SQLITE_BLOB else {
            throw Representation.mismatch(storage: storage, type: slot.type, real: s.double(slot.index), place: place(slot))
        }
        return s.textBytes(slot.index)
    }

    private func appendKey(_ s: some Cells, _ slot: Slot, _ out: inout [UInt8]) throws {
        let storage = s.type(slot.index)
        if storage == SQLITE_NULL {
            guard isKeyless else { throw EngineError.nullKey(table: table, column: schema.columns[Int(slot.index)].name) }
            out.append(0)
            return
        }
        out.append(1)
        switch slot.kind {
        case RowEncoder.boolean: out.append(try integer(s, slot, storage) != 0 ? 1 : 0)
        case RowEncoder.double:
            let bits = try real(s, slot, storage).bitPattern
            appendBigEndian(bits & (1 << 63) != 0 ? ~bits : bits | (1 << 63), &out)
        case RowEncoder.decimal where slot.wide:
            let (high, low) = WideDecimal.bytes(try wideUnits(s, slot, storage))
            appendBigEndian(UInt64(bigEndian: high), &out)
            appendBigEndian(UInt64(bigEndian: low), &out)
        case RowEncoder.decimal:
            let v = try integer(s, slot, storage)
            appendBigEndian(v < 0 ? 0x7FFF_FFFF_FFFF_FFFF : 0x8000_0000_0000_0000, &out)
            appendBigEndian(UInt64(bitPattern: v), &out)
        case RowEncoder.text:
            for b in try textBytes(s, slot, storage) {
                out.append(b)
                if b == 0 { out.append(0xFF) }
            }
            out.append(0)
            out.append(0)
        default:
            appendBigEndian(UInt64(bitPattern: try integer(s, slot, storage)) ^ (1 << 63), &out)
        }
    }

    private func appendValue(_ s: some Cells, _ slot: Slot, _ out: inout [UInt8]) throws {
        let storage = s.type(slot.index)
        if storage == SQLITE_NULL { return }
        appendVarint(UInt64(slot.id), &out)
        switch slot.kind {
        case RowEncoder.boolean: out.append(try integer(s, slot, storage) != 0 ? 2 : 1)
        case RowEncoder.integer: out.append(3); appendZigzag(try integer(s, slot, storage), &out)
        case RowEncoder.double: out.append(4); appendBigEndian(try real(s, slot, storage).bitPattern, &out)
        case RowEncoder.decimal where slot.wide:
            out.append(5); out.append(slot.scale); appendZigzag128(try wideUnits(s, slot, storage), &out)
        case RowEncoder.decimal: out.append(5); out.append(slot.scale); appendZigzag(try integer(s, slot, storage), &out)
        case RowEncoder.text:
            let bytes = try textBytes(s, slot, storage)
            out.append(6)
            appendVarint(UInt64(bytes.count), &out)
            out.append(contentsOf: bytes)
        case RowEncoder.date: out.append(7); appendZigzag(try integer(s, slot, storage), &out)
        default: out.append(8); appendZigzag(try integer(s, slot, storage), &out)
        }
    }
}

/// Where an encoder reads a row's cells: a statement's result columns or a
/// function's arguments (`sqlite3_column_*` / `sqlite3_value_*`).
protocol Cells {
    func type(_ i: Int32) -> Int32
    func int64(_ i: Int32) -> Int64
    func double(_ i: Int32) -> Double
    func textBytes(_ i: Int32) -> UnsafeRawBufferPointer
    func blobBytes(_ i: Int32) -> UnsafeRawBufferPointer
}

extension PreparedStatement: Cells {}

/// The arguments of a SQL function call.
struct ArgumentCells: Cells {
    let arguments: UnsafeMutablePointer<OpaquePointer?>

    @inline(__always) func type(_ i: Int32) -> Int32 { sqlite3_value_type(arguments[Int(i)]) }
    @inline(__always) func int64(_ i: Int32) -> Int64 { sqlite3_value_int64(arguments[Int(i)]) }
    @inline(__always) func double(_ i: Int32) -> Double { sqlite3_value_double(arguments[Int(i)]) }
    @inline(__always) func textBytes(_ i: Int32) -> UnsafeRawBufferPointer {
        let value = arguments[Int(i)]
        guard let pointer = sqlite3_value_text(value) else { return UnsafeRawBufferPointer(start: nil, count: 0) }
        return UnsafeRawBufferPointer(start: pointer, count: Int(sqlite3_value_bytes(value)))
    }
    @inline(__always) func blobBytes(_ i: Int32) -> UnsafeRawBufferPointer {
        let value = arguments[Int(i)]
        let pointer = sqlite3_value_blob(value)
        return UnsafeRawBufferPointer(start: pointer, count: pointer == nil ? 0 : Int(sqlite3_value_bytes(value)))
    }
}

@inline(__always)
func appendBigEndian(_ v: UInt64, _ out: inout [UInt8]) {
    withUnsafeBytes(of: v.bigEndian) { out.append(contentsOf: $0) }
}

@inline(__always)
func appendVarint(_ value: UInt64, _ out: inout [UInt8]) {
    var v = value
    while v >= 0x80 {
        out.append(UInt8(truncatingIfNeeded: v) | 0x80)
        v >>= 7
    }
    out.append(UInt8(v))
}

/// An Int128 zigzag varint (Docs/format.md "Values": a DECIMAL's units).
func appendZigzag128(_ v: Int128, _ out: inout [UInt8]) {
    var u = UInt128(bitPattern: (v << 1) ^ (v >> 127))
    while u >= 0x80 {
        out.append(UInt8(truncatingIfNeeded: u) | 0x80)
        u >>= 7
    }
    out.append(UInt8(u))
}

@inline(__always)
func appendZigzag(_ v: Int64, _ out: inout [UInt8]) {
    appendVarint(UInt64(bitPattern: (v << 1) ^ (v >> 63)), &out)
}
