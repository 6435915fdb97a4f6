import RockyBase

/// The compact, self-describing encoding of non-key values: a tag byte, then
/// - 1 FALSE, 2 TRUE (nothing more);
/// - 3 INTEGER: zigzag varint;
/// - 4 DOUBLE: 8 bytes big-endian IEEE bits (canonical `0.0` and NaN);
/// - 5 DECIMAL: a scale byte, then the units as a zigzag varint (up to 128 bits);
/// - 6 TEXT: varint byte length, UTF-8 bytes;
/// - 7 DATE: zigzag varint days since 1970-01-01;
/// - 8 TIMESTAMP: zigzag varint microseconds since 1970-01-01T00:00:00Z.
/// NULL is never written: a NULL cell is an absent column (see `RowCodec`).
enum ValueCodec {
    static func append(_ value: Value, to out: inout [UInt8]) {
        switch value.canonical {
        case .null: preconditionFailure("NULL has no value encoding")
        case let .boolean(b): out.append(b ? 2 : 1)
        case let .integer(i): out.append(3); Varint.appendSigned(i, to: &out)
        case let .double(d):
            out.append(4)
            let bits = d.bitPattern
            for shift in stride(from: 56, through: 0, by: -8) { out.append(UInt8(truncatingIfNeeded: bits >> UInt64(shift))) }
        case let .decimal(d):
            out.append(5)
            out.append(UInt8(d.scale))
            Varint.appendSigned(d.units, to: &out)
        case let .text(s):
            out.append(6)
            Varint.append(s.utf8.count, to: &out)
            out.append(contentsOf: s.utf8)
        case let .date(d): out.append(7); Varint.appendSigned(d.daysSinceEpoch, to: &out)
        case let .timestamp(t): out.append(8); Varint.appendSigned(t.microseconds, to: &out)
        }
    }

    static func decode(_ bytes: UnsafeRawBufferPointer, _ p: inout Int) throws -> Value {
        guard p < bytes.count else { throw DecodeError("truncated value") }
        let tag = bytes[p]
        p += 1
        switch tag {
        case 1: return .boolean(false)
        case 2: return .boolean(true)
        case 3: return .integer(try Varint.readSigned(bytes, &p))
        case 4:
            guard p + 8 <= bytes.count else { throw DecodeError("truncated double") }
            var bits: UInt64 = 0
            for i in 0..<8 { bits = bits << 8 | UInt64(bytes[p + i]) }
            p += 8
            return .double(Double(bitPattern: bits))
        case 5:
            guard p < bytes.count else { throw DecodeError("truncated decimal") }
            let scale = Int(bytes[p])
            p += 1
            guard scale <= ExactDecimal.maxScale else { throw DecodeError("decimal scale \(scale) out of range") }
            return .decimal(ExactDecimal(units: try Varint.readSigned128(bytes, &p), scale: scale))
        case 6:
            let n = try Varint.readInt(bytes, &p)
            guard n <= bytes.count - p else { throw DecodeError("truncated text") }
            guard let s = String(validating: UnsafeRawBufferPointer(rebasing: bytes[p..<(p + n)]), as: UTF8.self) else {
                throw DecodeError("invalid UTF-8 in text")
            }
            p += n
            return .text(s)
        case 7: return .date(CivilDate(daysSinceEpoch: try Varint.readSigned(bytes, &p)))
        case 8: return .timestamp(Timestamp(microseconds: try Varint.readSigned(bytes, &p)))
        default: throw DecodeError("unknown value tag \(tag)")
        }
    }
}
