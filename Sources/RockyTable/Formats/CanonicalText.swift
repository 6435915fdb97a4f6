import RockyBase

/// Appends a value's canonical text (`Value.text`) as UTF-8 bytes, without
/// making a String for the common types: the writers' hot path.
///
/// The bytes are exactly `value.text!.utf8` (tests check it value by value);
/// unusual cases (decimals beyond 64 bits, years outside 0...9999) take
/// `Value.text` itself.
enum CanonicalText {
    /// Appends the text of a non-NULL value; returns false (appending nothing) for NULL.
    @inline(__always)
    static func append(_ value: Value, to out: inout [UInt8]) -> Bool {
        switch value {
        case .null:
            return false
        case let .boolean(b):
            out.append(contentsOf: b ? trueBytes : falseBytes)
        case let .integer(n):
            if n < 0 { out.append(UInt8(ascii: "-")) }
            appendDigits(n.magnitude, to: &out)
        case let .decimal(d):
            appendDecimal(d, to: &out)
        case let .double(d):
            out.append(contentsOf: Value.format(d).utf8)
        case let .text(s):
            out.append(contentsOf: s.utf8)
        case let .date(d):
            appendDate(d, value, to: &out)
        case let .timestamp(t):
            appendTimestamp(t, value, to: &out)
        }
        return true
    }

    private static let trueBytes = Array("true".utf8), falseBytes = Array("false".utf8)

    @inline(__always)
    static func appendDigits(_ value: UInt64, to out: inout [UInt8]) {
        if value < 10 { out.append(UInt8(truncatingIfNeeded: value) + 48); return }
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { buffer in
            var v = value, i = 20
            while v > 0 {
                i -= 1
                buffer[i] = UInt8(truncatingIfNeeded: v % 10) + 48
                v /= 10
            }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: buffer[i..<20]))
        }
    }

    static func appendDecimal(_ d: ExactDecimal, to out: inout [UInt8]) {
        let magnitude = d.units.magnitude
        guard magnitude <= UInt64.max else { out.append(contentsOf: d.description.utf8); return }
        if d.units < 0 { out.append(UInt8(ascii: "-")) }
        if d.scale == 0 { appendDigits(UInt64(magnitude), to: &out); return }
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { buffer in
            var v = UInt64(magnitude), i = 20
            repeat {
                i -= 1
                buffer[i] = UInt8(truncatingIfNeeded: v % 10) + 48
                v /= 10
            } while v > 0
            let count = 20 - i
            if count <= d.scale {
                out.append(UInt8(ascii: "0"))
                out.append(UInt8(ascii: "."))
                for _ in count..<d.scale { out.append(UInt8(ascii: "0")) }
                out.append(contentsOf: UnsafeBufferPointer(rebasing: buffer[i..<20]))
            } else {
                let point = 20 - d.scale
                out.append(contentsOf: UnsafeBufferPointer(rebasing: buffer[i..<point]))
                out.append(UInt8(ascii: "."))
                out.append(contentsOf: UnsafeBufferPointer(rebasing: buffer[point..<20]))
            }
        }
    }

    @inline(__always)
    private static func appendPadded(_ value: Int64, width: Int, to out: inout [UInt8]) {
        var divisor: Int64 = 1
        for _ in 1..<width { divisor *= 10 }
        var v = value
        while divisor > 0 {
            out.append(UInt8(truncatingIfNeeded: v / divisor) + 48)
            v %= divisor
            divisor /= 10
        }
    }

    private static func appendDate(_ d: CivilDate, _ value: Value, to out: inout [UInt8]) {
        let (y, m, day) = d.components
        guard (0...9999).contains(y) else { out.append(contentsOf: value.text!.utf8); return }
        appendPadded(y, width: 4, to: &out)
        out.append(UInt8(ascii: "-"))
        appendPadded(m, width: 2, to: &out)
        out.append(UInt8(ascii: "-"))
        appendPadded(day, width: 2, to: &out)
    }

    private static func appendTimestamp(_ t: Timestamp, _ value: Value, to out: inout [UInt8]) {
        let day = t.date
        guard (0...9999).contains(day.components.year) else { out.append(contentsOf: value.text!.utf8); return }
        appendDate(day, value, to: &out)
        let rest = t.microseconds - day.daysSinceEpoch * 86_400_000_000
        let seconds = rest / 1_000_000, fraction = rest % 1_000_000
        out.append(UInt8(ascii: "T"))
        appendPadded(seconds / 3600, width: 2, to: &out)
        out.append(UInt8(ascii: ":"))
        appendPadded(seconds / 60 % 60, width: 2, to: &out)
        out.append(UInt8(ascii: ":"))
        appendPadded(seconds % 60, width: 2, to: &out)
        if fraction != 0 {
            out.append(UInt8(ascii: "."))
            appendPadded(fraction, width: 6, to: &out)
        }
        out.append(UInt8(ascii: "Z"))
    }
}
