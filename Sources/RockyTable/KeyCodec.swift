import RockyBase

/// The order-preserving encoding of key values: comparing two encoded keys
/// byte by byte (memcmp) orders them as their values, column by column. Each
/// component is self-delimiting, so a composite key is the concatenation.
///
/// Per value: `0x00` for NULL; otherwise `0x01` then
/// - BOOLEAN: `0x00` / `0x01`;
/// - INTEGER, DATE (days), TIMESTAMP (microseconds): 8 bytes big-endian of the
///   value with its sign bit flipped;
/// - DOUBLE: 8 bytes big-endian of the IEEE bits, all bits flipped when
///   negative, else only the sign bit (`-0.0` is stored as `0.0`);
/// - DECIMAL(p,s): the units at scale `s` as 16 bytes big-endian, sign bit flipped;
/// - TEXT: the UTF-8 bytes with each `0x00` written `0x00 0xFF`, then `0x00 0x00`.
enum KeyCodec {
    static func append(_ value: Value, type: ColumnType, to out: inout [UInt8]) {
        guard !value.isNull else { out.append(0); return }
        out.append(1)
        switch value.canonical {
        case .null: break
        case let .boolean(b): out.append(b ? 1 : 0)
        case let .integer(i): appendFlipped(UInt64(bitPattern: i), to: &out)
        case let .date(d): appendFlipped(UInt64(bitPattern: d.daysSinceEpoch), to: &out)
        case let .timestamp(t): appendFlipped(UInt64(bitPattern: t.microseconds), to: &out)
        case let .double(d):
            let bits = d.bitPattern
            appendBigEndian(bits & (1 << 63) != 0 ? ~bits : bits | (1 << 63), to: &out)
        case let .decimal(d):
            let scale: Int
            if case let .decimal(_, s) = type { scale = s } else { scale = d.scale }
            let units = (d.rescaled(to: scale) ?? d.rounded(toScale: scale)).units
            let bits = UInt128(bitPattern: units) ^ (1 << 127)
            appendBigEndian(UInt64(truncatingIfNeeded: bits >> 64), to: &out)
            appendBigEndian(UInt64(truncatingIfNeeded: bits), to: &out)
        case let .text(s):
            for b in s.utf8 {
                out.append(b)
                if b == 0 { out.append(0xFF) }
            }
            out.append(0)
            out.append(0)
        }
    }

    private static func appendFlipped(_ bits: UInt64, to out: inout [UInt8]) {
        appendBigEndian(bits ^ (1 << 63), to: &out)
    }

    private static func appendBigEndian(_ v: UInt64, to out: inout [UInt8]) {
        for shift in stride(from: 56, through: 0, by: -8) { out.append(UInt8(truncatingIfNeeded: v >> UInt64(shift))) }
    }

    private static func readBigEndian(_ bytes: UnsafeRawBufferPointer, _ p: inout Int) throws -> UInt64 {
        guard p + 8 <= bytes.count else { throw DecodeError("truncated key") }
        var v: UInt64 = 0
        for i in 0..<8 { v = v << 8 | UInt64(bytes[p + i]) }
        p += 8
        return v
    }

    static func decode(_ bytes: UnsafeRawBufferPointer, _ p: inout Int, type: ColumnType) throws -> Value {
        guard p < bytes.count else { throw DecodeError("truncated key") }
        let marker = bytes[p]
        p += 1
        if marker == 0 { return .null }
        guard marker == 1 else { throw DecodeError("bad key marker \(marker)") }
        switch type {
        case .boolean:
            guard p < bytes.count else { throw DecodeError("truncated key") }
            p += 1
            return .boolean(bytes[p - 1] != 0)
        case .integer: return .integer(Int64(bitPattern: try readBigEndian(bytes, &p) ^ (1 << 63)))
        case .date: return .date(CivilDate(daysSinceEpoch: Int64(bitPattern: try readBigEndian(bytes, &p) ^ (1 << 63))))
        case .timestamp: return .timestamp(Timestamp(microseconds: Int64(bitPattern: try readBigEndian(bytes, &p) ^ (1 << 63))))
        case .double:
            let v = try readBigEndian(bytes, &p)
            return .double(Double(bitPattern: v & (1 << 63) != 0 ? v ^ (1 << 63) : ~v))
        case let .decimal(_, scale):
            let high = try readBigEndian(bytes, &p), low = try readBigEndian(bytes, &p)
            let bits = (UInt128(high) << 64 | UInt128(low)) ^ (1 << 127)
            return .decimal(ExactDecimal(units: Int128(bitPattern: bits), scale: scale))
        case .text:
            // Fast path: no escaped NUL, so the text is the bytes up to `00 00`.
            var end = p
            while end + 1 < bytes.count, !(bytes[end] == 0) { end += 1 }
            if end + 1 < bytes.count, bytes[end + 1] == 0 {
                let text = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[p..<end]), as: UTF8.self)
                p = end + 2
                return .text(text)
            }
            var out: [UInt8] = []
            while true {
                guard p < bytes.count else { throw DecodeError("unterminated text in key") }
                let b = bytes[p]
                p += 1
                if b != 0 { out.append(b); continue }
                guard p < bytes.count else { throw DecodeError("unterminated text in key") }
                let next = bytes[p]
                p += 1
                if next == 0 { break }
                guard next == 0xFF else { throw DecodeError("bad escape in key text") }
                out.append(0)
            }
            guard let s = String(validating: out, as: UTF8.self) else { throw DecodeError("invalid UTF-8 in key") }
            return .text(s)
        }
    }
}
