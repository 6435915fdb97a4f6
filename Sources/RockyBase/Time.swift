/// A calendar date: days since 1970-01-01 (proleptic Gregorian, no time zone).
public struct CivilDate: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var daysSinceEpoch: Int64

    public init(daysSinceEpoch: Int64) { self.daysSinceEpoch = daysSinceEpoch }

    public init?(year: Int64, month: Int64, day: Int64) {
        guard (1...12).contains(month), (1...CivilDate.daysIn(month: month, year: year)).contains(day),
              (-9999...9999).contains(year) else { return nil }
        daysSinceEpoch = CivilDate.days(year: year, month: month, day: day)
    }

    /// Parses `YYYY-MM-DD`.
    public init?(parsing text: some StringProtocol) {
        let b = Array(text.utf8)
        guard b.count == 10, b[4] == 45, b[7] == 45,
              let y = parseDigits(b[0..<4]), let m = parseDigits(b[5..<7]), let d = parseDigits(b[8..<10])
        else { return nil }
        self.init(year: y, month: m, day: d)
    }

    public var components: (year: Int64, month: Int64, day: Int64) {
        // Howard Hinnant's civil_from_days.
        let z = daysSinceEpoch + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
    }

    public var description: String {
        let (y, m, d) = components
        return pad(y, 4) + "-" + pad(m, 2) + "-" + pad(d, 2)
    }

    public static func < (a: CivilDate, b: CivilDate) -> Bool { a.daysSinceEpoch < b.daysSinceEpoch }

    static func days(year: Int64, month: Int64, day: Int64) -> Int64 {
        // Howard Hinnant's days_from_civil.
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = month > 2 ? month - 3 : month + 9
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    static func daysIn(month: Int64, year: Int64) -> Int64 {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }
}

/// A point in time: microseconds since 1970-01-01T00:00:00Z.
///
/// Text form (ISO 8601, always UTC): `2026-05-20T16:00:00Z`, with six fraction
/// digits when the microseconds are not zero (`2026-05-20T16:00:00.250000Z`).
/// Parsing also accepts a space for `T`, 1-6 fraction digits, a `±HH:MM` offset
/// (converted to UTC), no zone at all (read as UTC) and a bare date (midnight).
public struct Timestamp: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var microseconds: Int64

    public init(microseconds: Int64) { self.microseconds = microseconds }

    /// Parses an ISO 8601 time; traps on malformed text. For literals in code,
    /// such as `Timestamp("2026-05-20T16:00:00Z")`; use `init?(parsing:)` for input.
    public init(_ literal: String) {
        guard let t = Timestamp(parsing: literal) else { preconditionFailure("not an ISO 8601 time: \(literal)") }
        self = t
    }

    public init?(parsing text: some StringProtocol) {
        let b = Array(text.utf8)
        guard b.count >= 10, let date = CivilDate(parsing: String(decoding: b[0..<10], as: UTF8.self)) else { return nil }
        var micros = date.daysSinceEpoch * 86_400_000_000
        if b.count == 10 { self.init(microseconds: micros); return }
        guard b.count >= 19, b[10] == UInt8(ascii: "T") || b[10] == UInt8(ascii: " ") || b[10] == UInt8(ascii: "t"),
              b[13] == 58, b[16] == 58,
              let h = parseDigits(b[11..<13]), let mi = parseDigits(b[14..<16]), let s = parseDigits(b[17..<19]),
              h < 24, mi < 60, s < 60 else { return nil }
        micros += (h * 3600 + mi * 60 + s) * 1_000_000
        var i = 19
        if i < b.count, b[i] == UInt8(ascii: ".") {
            i += 1
            let start = i
            while i < b.count, b[i] >= 48, b[i] <= 57 { i += 1 }
            let n = i - start
            guard (1...6).contains(n), let f = parseDigits(b[start..<i]) else { return nil }
            var fraction = f
            for _ in n..<6 { fraction *= 10 }
            micros += fraction
        }
        if i == b.count { self.init(microseconds: micros); return }
        if b.count == i + 1, b[i] == UInt8(ascii: "Z") || b[i] == UInt8(ascii: "z") { self.init(microseconds: micros); return }
        guard b.count == i + 6, b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-"), b[i + 3] == 58,
              let oh = parseDigits(b[(i + 1)..<(i + 3)]), let om = parseDigits(b[(i + 4)..<(i + 6)]), oh < 24, om < 60
        else { return nil }
        let offset = (oh * 3600 + om * 60) * 1_000_000
        self.init(microseconds: b[i] == UInt8(ascii: "+") ? micros - offset : micros + offset)
    }

    public var date: CivilDate {
        CivilDate(daysSinceEpoch: microseconds >= 0 ? microseconds / 86_400_000_000 : (microseconds + 1) / 86_400_000_000 - 1)
    }

    public var description: String {
        let day = date
        let rest = microseconds - day.daysSinceEpoch * 86_400_000_000
        let seconds = rest / 1_000_000, fraction = rest % 1_000_000
        var text = day.description + "T" + pad(seconds / 3600, 2) + ":" + pad(seconds / 60 % 60, 2) + ":" + pad(seconds % 60, 2)
        if fraction != 0 { text += "." + pad(fraction, 6) }
        return text + "Z"
    }

    public static func < (a: Timestamp, b: Timestamp) -> Bool { a.microseconds < b.microseconds }
}

private func parseDigits(_ bytes: ArraySlice<UInt8>) -> Int64? {
    var value: Int64 = 0
    for b in bytes {
        guard b >= 48 && b <= 57 else { return nil }
        value = value * 10 + Int64(b - 48)
    }
    return bytes.isEmpty ? nil : value
}

private func pad(_ value: Int64, _ width: Int) -> String {
    let digits = String(value.magnitude)
    let sign = value < 0 ? "-" : ""
    return sign + String(repeating: "0", count: max(0, width - digits.count)) + digits
}
