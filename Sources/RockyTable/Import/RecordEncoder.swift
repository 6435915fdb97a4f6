import RockyBase

/// Encodes a record straight into its row's key and value bytes, the
/// encoding of `RowCodec`, without making a `Value` per cell: the import's
/// hot path.
///
/// Cells of the common forms are parsed and written in one step: ASCII
/// TEXT, INTEGER, DATE, canonical TIMESTAMPs, BOOLEAN, and DECIMALs of up
/// to 18 digits without an exponent. Any other cell goes through
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
        scratch = .allocate(capacity: scratchSize)
        row.reserveCapacity(columns.count)
    }

    deinit { scratch.deallocate() }

    /// Appends the key of `record`'s row to `key` and, unless the table is
    /// keyless, its value to `value`.
    func encode(_ record: Record, key: inout [UInt8], value: inout [UInt8]) throws(ImportError) {
        if fastEncode(record, key: &key, value: &value) { return }
        row.removeAll(keepingCapacity: true)
        try decoder.decode(record, into: &row)
        codec.appendKey(of: row, to: &key)
        if !codec.isKeyless { codec.appendValue(of: row, to: &value) }
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

    /// Writes `b` as a non-NULL key component of `type` at `n`; the new end, or nil when it does not parse.
    private func writeKey(_ b: UnsafeBufferPointer<UInt8>, _ type: ColumnType, at start: Int) -> Int? {
        var n = start
        scratch[n] = 1
        n += 1
        switch type {
        case .text:
            for c in b {
                guard c < 0x80 else { return writeGeneralKey(b, type, at: start) }
                scratch[n] = c
                n += 1
                if c == 0 { scratch[n] = 0xFF; n += 1 }
            }
            scratch[n] = 0
            scratch[n + 1] = 0
            return n + 2
        case .integer:
            guard let v = ValueParser.integer(b) else { return nil }
            return writeBigEndian(UInt64(bitPattern: v) ^ (1 << 63), at: n)
        case .date:
            guard let d = ValueParser.date(b) else { return nil }
            return writeBigEndian(UInt64(bitPattern: d.daysSinceEpoch) ^ (1 << 63), at: n)
        case .timestamp:
            guard let t = ValueParser.timestamp(b) else { return nil }
            return writeBigEndian(UInt64(bitPattern: t.microseconds) ^ (1 << 63), at: n)
        case .boolean:
            guard let v = ValueParser.boolean(b) else { return nil }
            scratch[n] = v ? 1 : 0
            return n + 1
        case let .decimal(p, s):
            guard let units = Self.smallDecimal(b, precision: p, scale: s) else { return writeGeneralKey(b, type, at: start) }
            n = writeBigEndian(units < 0 ? 0x7FFF_FFFF_FFFF_FFFF : 0x8000_0000_0000_0000, at: n)
            return writeBigEndian(UInt64(bitPattern: units), at: n)
        case .double:
            return writeGeneralKey(b, type, at: start)
        }
    }

    /// Writes `b` as a non-NULL value of `type` at `n`; the new end, or nil when it does not parse.
    private func writeValue(_ b: UnsafeBufferPointer<UInt8>, _ type: ColumnType, at start: Int) -> Int? {
        var n = start
        switch type {
        case .text:
            scratch[n] = 6
            n = writeVarint(UInt64(b.count), at: n + 1)
            for c in b {
                guard c < 0x80 else { return writeGeneralValue(b, type, at: start) }
                scratch[n] = c
                n += 1
            }
            return n
        case .integer:
            guard let v = ValueParser.integer(b) else { return nil }
            scratch[n] = 3
            return writeSigned(v, at: n + 1)
        case .date:
            guard let d = ValueParser.date(b) else { return nil }
            scratch[n] = 7
            return writeSigned(d.daysSinceEpoch, at: n + 1)
        case .timestamp:
            guard let t = ValueParser.timestamp(b) else { return nil }
            scratch[n] = 8
            return writeSigned(t.microseconds, at: n + 1)
        case .boolean:
            guard let v = ValueParser.boolean(b) else { return nil }
            scratch[n] = v ? 2 : 1
            return n + 1
        case let .decimal(p, s):
            guard let units = Self.smallDecimal(b, precision: p, scale: s) else { return writeGeneralValue(b, type, at: start) }
            scratch[n] = 5
            scratch[n + 1] = UInt8(s)
            return writeSigned(units, at: n + 2)
        case .double:
            return writeGeneralValue(b, type, at: start)
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

    /// The units at scale `s` of a DECIMAL(p,s) written `[sign] digits [. digits]`
    /// with at most 18 digits in all; nil for anything else (other forms, or
    /// values that do not fit, which `ValueParser.decimal` then decides).
    @inline(__always)
    static func smallDecimal(_ b: UnsafeBufferPointer<UInt8>, precision p: Int, scale s: Int) -> Int64? {
        let n = b.count
        guard n > 0, n <= 19, s <= 18 else { return nil }
        var i = 0
        let negative = b[0] == UInt8(ascii: "-")
        if negative || b[0] == UInt8(ascii: "+") { i = 1 }
        var units: Int64 = 0
        var integerDigits = 0   // significant digits before the point
        var sawDigit = false
        while i < n {
            let d = b[i] &- 48
            guard d < 10 else { break }
            sawDigit = true
            if integerDigits > 0 || d != 0 {
                integerDigits += 1
                units = units &* 10 &+ Int64(d)
            }
            i += 1
        }
        var fractionDigits = 0
        if i < n && b[i] == UInt8(ascii: ".") {
            i += 1
            while i < n {
                let d = b[i] &- 48
                guard d < 10 else { return nil }
                sawDigit = true
                if fractionDigits < s {
                    units = units &* 10 &+ Int64(d)
                } else if d != 0 {
                    return nil
                }
                fractionDigits += 1
                i += 1
            }
        }
        guard sawDigit, i == n, integerDigits <= p - s, integerDigits + s <= 18 else { return nil }
        if fractionDigits < s { units = units &* RecordEncoder.powersOf10[s - fractionDigits] }
        return negative ? -units : units
    }

    /// 10^0 ... 10^18.
    private static let powersOf10: [Int64] = (0...18).map { (0..<$0).reduce(1) { r, _ in r * 10 } }
}
