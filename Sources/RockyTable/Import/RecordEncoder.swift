import RockyBase

/// Encodes a record straight into its row's key and value bytes, the
/// encoding of `RowCodec`, without making a `Value` per cell: the import's
/// hot path.
///
/// Cells of the common forms are parsed and written in one step: ASCII
/// TEXT, INTEGER, DATE, TIMESTAMP, BOOLEAN, and DECIMALs of up to 18
/// digits without an exponent. Any other cell goes through
/// `ValueParser` and the codecs on its own. A field that does not parse,
/// or a NULL where the column forbids one, sends the whole row through
/// `RowDecoder` and `RowCodec`, which report the error exactly as they
/// always have. The bytes are the same either way (tested against the
/// general path).
final class RecordEncoder {
    let decoder: RowDecoder
    let codec: RowCodec
    private let keyCells: [Cell]
    private let valueCells: [Cell]
    /// Where a row's bytes are put together before one copy into the
    /// caller's arrays.
    private let scratch: UnsafeMutablePointer<UInt8>
    private let scratchSize = 64 * 1024
    private var row: [Value] = []
    /// The field whose position names a row in errors: its first key column
    /// (the first field when the table is keyless).
    private let originField: Int

    private struct Cell {
        /// The record field holding the column.
        var field: Int
        var type: ColumnType
        var nullable: Bool
        /// The column id, written (as a varint) before a non-NULL value.
        var id: UInt64
    }

    init(decoder: RowDecoder, codec: RowCodec) {
        self.decoder = decoder
        self.codec = codec
        let columns = codec.schema.columns
        keyCells = codec.keyIndices.map { Cell(field: decoder.fieldIndex[$0], type: columns[$0].type, nullable: columns[$0].nullable, id: 0) }
        valueCells = codec.valueColumns.map {
            Cell(field: decoder.fieldIndex[$0.index], type: $0.type, nullable: columns[$0.index].nullable, id: UInt64($0.id))
        }
        originField = codec.schema.keyIndices.first.map { decoder.fieldIndex[$0] } ?? 0
        scratch = .allocate(capacity: scratchSize)
        row.reserveCapacity(columns.count)
    }

    deinit { scratch.deallocate() }

    /// Appends the key of `record`'s row to `key` and, unless the table is
    /// keyless, its value to `value`; returns the row's origin (`Origin`:
    /// where its first key field is in the file).
    func encode(_ record: Record, key: inout [UInt8], value: inout [UInt8]) throws(ImportError) -> Int {
        if !fastEncode(record, key: &key, value: &value) {
            row.removeAll(keepingCapacity: true)
            try decoder.decode(record, into: &row)
            codec.appendKey(of: row, to: &key)
            if !codec.isKeyless { codec.appendValue(of: row, to: &value) }
        }
        let position = originField < record.count ? record[originField] : nil
        return Origin.pack(line: position?.line ?? record.line, column: position?.column ?? 1)
    }

    /// The one-step path; false (with nothing appended) when the row needs the general one.
    private func fastEncode(_ record: Record, key: inout [UInt8], value: inout [UInt8]) -> Bool {
        // Each cell takes at most twice its bytes plus 20 (escaped text, or a
        // number's tags and 16 bytes); beyond the scratch space, the general path.
        guard record.bytes.count * 2 + 20 * (keyCells.count + valueCells.count) <= scratchSize else { return false }
        let slots = record.slots
        return record.bytes.withUnsafeBufferPointer { storage -> Bool in
            var n = 0
            for cell in keyCells {
                guard cell.field < slots.count else { return false }
                let slot = slots[cell.field]
                if slot.isNull {
                    guard cell.nullable else { return false }
                    scratch[n] = 0
                    n += 1
                    continue
                }
                let b = UnsafeBufferPointer(rebasing: storage[slot.start..<(slot.start + slot.count)])
                guard let written = writeKey(b, cell.type, at: n) else { return false }
                n = written
            }
            let keyLength = n
            if !codec.isKeyless {
                for cell in valueCells {
                    guard cell.field < slots.count else { return false }
                    let slot = slots[cell.field]
                    if slot.isNull {
                        guard cell.nullable else { return false }
                        continue
                    }
                    n = writeVarint(cell.id, at: n)
                    let b = UnsafeBufferPointer(rebasing: storage[slot.start..<(slot.start + slot.count)])
                    guard let written = writeValue(b, cell.type, at: n) else { return false }
                    n = written
                }
            }
            key.append(contentsOf: UnsafeBufferPointer(start: scratch, count: keyLength))
            if n > keyLength { value.append(contentsOf: UnsafeBufferPointer(start: scratch + keyLength, count: n - keyLength)) }
            return true
        }
    }

    /// A field as the one-step path reads it.
    private enum Parsed {
        /// INTEGER, DATE (days) or TIMESTAMP (microseconds).
        case number(Int64)
        case boolean(Bool)
        /// DECIMAL units at the column's scale.
        case decimal(Int64)
        /// TEXT that is all ASCII: written as it is.
        case ascii
        /// A form this path leaves to `ValueParser` (DOUBLE, non-ASCII TEXT, large or exponent DECIMALs).
        case general
        /// Not a value of the type.
        case invalid
    }

    @inline(__always)
    private static func parse(_ b: UnsafeBufferPointer<UInt8>, _ type: ColumnType) -> Parsed {
        switch type {
        case .text: b.allSatisfy { $0 < 0x80 } ? .ascii : .general
        case .integer: ValueParser.integer(b).map(Parsed.number) ?? .invalid
        case .date: ValueParser.date(b).map { .number($0.daysSinceEpoch) } ?? .invalid
        case .timestamp: ValueParser.timestamp(b).map { .number($0.microseconds) } ?? .invalid
        case .boolean: ValueParser.boolean(b).map(Parsed.boolean) ?? .invalid
        case let .decimal(p, s):
            if case let .units(units) = ValueParser.fixedPoint(b, precision: p, scale: s, as: Int64.self) { .decimal(units) } else { .general }
        case .double: .general
        }
    }

    /// Writes `b` as a non-NULL key component of `type` at `n`; the new end, or nil when it does not parse.
    private func writeKey(_ b: UnsafeBufferPointer<UInt8>, _ type: ColumnType, at start: Int) -> Int? {
        let n = start + 1
        switch Self.parse(b, type) {
        case let .number(v):
            scratch[start] = 1
            return writeBigEndian(UInt64(bitPattern: v) ^ (1 << 63), at: n)
        case let .boolean(v):
            scratch[start] = 1
            scratch[n] = v ? 1 : 0
            return n + 1
        case let .decimal(units):
            scratch[start] = 1
            return writeBigEndian(UInt64(bitPattern: units), at: writeBigEndian(units < 0 ? 0x7FFF_FFFF_FFFF_FFFF : 0x8000_0000_0000_0000, at: n))
        case .ascii:
            scratch[start] = 1
            var end = n
            for c in b {
                scratch[end] = c
                end += 1
                if c == 0 { scratch[end] = 0xFF; end += 1 }
            }
            scratch[end] = 0
            scratch[end + 1] = 0
            return end + 2
        case .general: return writeGeneralKey(b, type, at: start)
        case .invalid: return nil
        }
    }

    /// Writes `b` as a non-NULL value of `type` at `n`; the new end, or nil when it does not parse.
    private func writeValue(_ b: UnsafeBufferPointer<UInt8>, _ type: ColumnType, at start: Int) -> Int? {
        switch Self.parse(b, type) {
        case let .number(v):
            scratch[start] = type == .integer ? 3 : type == .date ? 7 : 8
            return writeSigned(v, at: start + 1)
        case let .boolean(v):
            scratch[start] = v ? 2 : 1
            return start + 1
        case let .decimal(units):
            guard case let .decimal(_, s) = type else { return nil }
            scratch[start] = 5
            scratch[start + 1] = UInt8(s)
            return writeSigned(units, at: start + 2)
        case .ascii:
            scratch[start] = 6
            var end = writeVarint(UInt64(b.count), at: start + 1)
            (scratch + end).update(from: b.baseAddress!, count: b.count)
            end += b.count
            return end
        case .general: return writeGeneralValue(b, type, at: start)
        case .invalid: return nil
        }
    }

    /// A cell the one-step path does not cover, through `ValueParser` and `KeyCodec`.
    private func writeGeneralKey(_ b: UnsafeBufferPointer<UInt8>, _ type: ColumnType, at n: Int) -> Int? {
        guard let v = ValueParser.value(b, as: type) else { return nil }
        var out: [UInt8] = []
        KeyCodec.append(v, type: type, to: &out)
        return copy(out, at: n)
    }

    /// A cell the one-step path does not cover, through `ValueParser` and `ValueCodec`.
    private func writeGeneralValue(_ b: UnsafeBufferPointer<UInt8>, _ type: ColumnType, at n: Int) -> Int? {
        guard let v = ValueParser.value(b, as: type) else { return nil }
        var out: [UInt8] = []
        ValueCodec.append(v, to: &out)
        return copy(out, at: n)
    }

    private func copy(_ bytes: [UInt8], at n: Int) -> Int? {
        // A general cell may be longer than the bound the scratch space was checked for.
        guard n + bytes.count + 20 * (keyCells.count + valueCells.count) <= scratchSize else { return nil }
        bytes.withUnsafeBufferPointer { (scratch + n).update(from: $0.baseAddress!, count: $0.count) }
        return n + bytes.count
    }

    @inline(__always)
    private func writeBigEndian(_ v: UInt64, at n: Int) -> Int {
        UnsafeMutableRawPointer(scratch + n).storeBytes(of: v.bigEndian, as: UInt64.self)
        return n + 8
    }

    @inline(__always)
    private func writeVarint(_ value: UInt64, at start: Int) -> Int {
        var v = value, n = start
        while v >= 0x80 {
            scratch[n] = UInt8(truncatingIfNeeded: v) | 0x80
            v >>= 7
            n += 1
        }
        scratch[n] = UInt8(v)
        return n + 1
    }

    @inline(__always)
    private func writeSigned(_ v: Int64, at n: Int) -> Int {
        writeVarint(UInt64(bitPattern: (v << 1) ^ (v >> 63)), at: n)
    }

}
