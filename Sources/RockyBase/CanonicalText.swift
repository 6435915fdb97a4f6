/// The canonical text of values (`description`'s bytes) appended to a byte
/// buffer without building a String per value: what the engines' bulk
/// loads (PostgreSQL's COPY text, Spark's stage CSV) write per row.
public enum CanonicalText {
    public static func appendInteger(_ n: Int64, to out: inout [UInt8]) {
        if n < 0 { out.append(UInt8(ascii: "-")) }
        appendDigits(UInt64(n.magnitude), to: &out, minimum: 1)
    }

    /// Decimal digits of `value`, at least `minimum` of them (zero-padded).
    public static func appendDigits(_ value: UInt64, to out: inout [UInt8], minimum: Int) {
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)  // room for 20 digits, no allocation
        var count = 0
        var rest = value
        withUnsafeMutableBytes(of: &digits) { buffer in
            repeat {
                buffer[count] = UInt8(ascii: "0") + UInt8(rest % 10)
                rest /= 10
                count += 1
            } while rest > 0
            while count < minimum {
                buffer[count] = UInt8(ascii: "0")
                count += 1
            }
            for i in stride(from: count - 1, through: 0, by: -1) { out.append(buffer[i]) }
        }
    }

    /// `units` at `scale` as plain digits (`-0.0050`), no exponent, built
    /// backwards in a stack buffer (no allocation).
    public static func appendDecimal(_ d: ExactDecimal, to out: inout [UInt8]) {
        if d.units < 0 { out.append(UInt8(ascii: "-")) }
        var magnitude = d.units.magnitude
        let scale = d.scale
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 96) { buffer in
            var position = buffer.count
            var written = 0  // digits written so far
            func digit(_ value: UInt8) {
                if written == scale, scale > 0 {
                    position -= 1
                    buffer[position] = UInt8(ascii: ".")
                }
                position -= 1
                buffer[position] = UInt8(ascii: "0") + value
                written += 1
            }
            let chunk: UInt128 = 10_000_000_000_000_000_000  // 10^19
            while magnitude > UInt128(UInt64.max) {
                var part = UInt64(magnitude % chunk)
                magnitude /= chunk
                for _ in 0..<19 {
                    digit(UInt8(part % 10))
                    part /= 10
                }
            }
            var rest = UInt64(magnitude)
            repeat {
                digit(UInt8(rest % 10))
                rest /= 10
            } while rest > 0
            while written <= scale { digit(0) }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: buffer[position...]))
        }
    }

    /// `CivilDate.description`, written without building strings.
    public static func appendDate(_ d: CivilDate, to out: inout [UInt8]) {
        let (year, month, day) = d.components
        guard (0...9999).contains(year) else {
            out.append(contentsOf: d.description.utf8)
            return
        }
        appendDigits(UInt64(year), to: &out, minimum: 4)
        out.append(UInt8(ascii: "-"))
        appendDigits(UInt64(month), to: &out, minimum: 2)
        out.append(UInt8(ascii: "-"))
        appendDigits(UInt64(day), to: &out, minimum: 2)
    }

    /// `Timestamp.description` (`2026-05-20T16:00:00.250000Z`), written without building strings.
    public static func appendTimestamp(_ t: Timestamp, to out: inout [UInt8]) {
        let day = t.date
        appendDate(day, to: &out)
        let rest = t.microseconds - day.daysSinceEpoch * 86_400_000_000
        let seconds = UInt64(rest / 1_000_000), fraction = UInt64(rest % 1_000_000)
        out.append(UInt8(ascii: "T"))
        appendDigits(seconds / 3600, to: &out, minimum: 2)
        out.append(UInt8(ascii: ":"))
        appendDigits(seconds / 60 % 60, to: &out, minimum: 2)
        out.append(UInt8(ascii: ":"))
        appendDigits(seconds % 60, to: &out, minimum: 2)
        if fraction != 0 {
            out.append(UInt8(ascii: "."))
            appendDigits(fraction, to: &out, minimum: 6)
        }
        out.append(UInt8(ascii: "Z"))
    }
}
