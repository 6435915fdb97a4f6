/// LEB128 varints, as used throughout the table encodings: 7 bits per byte,
/// least significant group first, high bit set on every byte but the last.
/// Signed integers go through zigzag first (0, -1, 1, -2, ... -> 0, 1, 2, 3, ...).
enum Varint {
    static func append(_ value: UInt64, to out: inout [UInt8]) {
        var v = value
        while v >= 0x80 {
            out.append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        out.append(UInt8(v))
    }

    static func append(_ value: Int, to out: inout [UInt8]) { append(UInt64(value), to: &out) }

    static func appendSigned(_ value: Int64, to out: inout [UInt8]) {
        append(UInt64(bitPattern: (value << 1) ^ (value >> 63)), to: &out)
    }

    static func appendSigned(_ value: Int128, to out: inout [UInt8]) {
        var v = UInt128(bitPattern: (value << 1) ^ (value >> 127))
        while v >= 0x80 {
            out.append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        out.append(UInt8(v))
    }

    static func read(_ bytes: UnsafeRawBufferPointer, _ position: inout Int) throws -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard position < bytes.count else { throw DecodeError("truncated varint") }
            let b = bytes[position]
            position += 1
            guard shift < 64 else { throw DecodeError("varint too long") }
            result |= UInt64(b & 0x7F) << shift
            if b & 0x80 == 0 { return result }
            shift += 7
        }
    }

    static func readInt(_ bytes: UnsafeRawBufferPointer, _ position: inout Int) throws -> Int {
        let v = try read(bytes, &position)
        guard v <= UInt64(Int.max) else { throw DecodeError("length out of range") }
        return Int(v)
    }

    static func readSigned(_ bytes: UnsafeRawBufferPointer, _ position: inout Int) throws -> Int64 {
        let v = try read(bytes, &position)
        return Int64(bitPattern: v >> 1) ^ -Int64(bitPattern: v & 1)
    }

    static func readSigned128(_ bytes: UnsafeRawBufferPointer, _ position: inout Int) throws -> Int128 {
        var result: UInt128 = 0
        var shift: UInt128 = 0
        while true {
            guard position < bytes.count else { throw DecodeError("truncated varint") }
            let b = bytes[position]
            position += 1
            guard shift < 128 else { throw DecodeError("varint too long") }
            result |= UInt128(b & 0x7F) << shift
            if b & 0x80 == 0 { break }
            shift += 7
        }
        return Int128(bitPattern: result >> 1) ^ -Int128(bitPattern: result & 1)
    }
}

/// Bytes that do not decode as the format says: the object is damaged or
/// was written by something else. Callers add which object it was.
public struct DecodeError: Error, CustomStringConvertible, Sendable {
    public let description: String
    init(_ message: String) { description = message }
}
