import RockyBase

/// DATE and TIMESTAMP functions. In SQLite a DATE is an INTEGER of days
/// since 1970-01-01 and a TIMESTAMP an INTEGER of microseconds; calendar
/// work goes through `strftime(..., 'unixepoch', ...)` and back to integers.
/// Floor division and positive remainders use a fixed offset (`offset`, a
/// multiple of every unit, larger than any timestamp's magnitude before
/// year -11000) so that each operand appears once: `(t + O) / U - O / U`.
extension SQLEmitter {
    /// 700,000 weeks in microseconds: a multiple of seconds, minutes, hours, days and weeks.
    static let offset: Int64 = 423_360_000_000_000_000
    static let dayMicros: Int64 = 86_400_000_000

    private static func micros(_ unit: DatePart) -> Int64 {
        switch unit {
        case .second: 1_000_000
        case .minute: 60_000_000
        case .hour: 3_600_000_000
        default: dayMicros
        }
    }

    /// Whole seconds since the epoch of a SQLite DATE or TIMESTAMP expression.
    private func seconds(_ x: String, _ type: ColumnType?) -> String {
        type == .date ? "(\(x) * 86400)" : "((\(x) + \(Self.offset)) / 1000000 - \(Self.offset / 1_000_000))"
    }

    private func days(ofTimestamp x: String) -> String {
        "((\(x) + \(Self.offset)) / \(Self.dayMicros) - \(Self.offset / Self.dayMicros))"
    }

    /// SQLite: the unix seconds of `seconds` after calendar `modifiers`, as INTEGER.
    private func strftimeSeconds(_ seconds: String, _ modifiers: [String]) -> String {
        "CAST(strftime('%s', \(seconds), 'unixepoch'\(modifiers.map { ", " + $0 }.joined())) AS INTEGER)"
    }

    private func field(_ format: String, _ seconds: String) -> String {
        "CAST(strftime('\(format)', \(seconds), 'unixepoch') AS INTEGER)"
    }

    /// The calendar modifiers truncating to `part` (year, quarter or month).
    private func calendarTrunc(_ part: DatePart, _ seconds: String) -> [String] {
        switch part {
        case .year: ["'start of year'"]
        case .quarter: ["'start of month'", "'-' || ((\(field("%m", seconds)) - 1) % 3) || ' months'"]
        default: ["'start of month'"]
        }
    }

    func dateTrunc(_ part: DatePart, _ value: BoundExpr) -> String { emitter.dateTrunc(part, value, self) }

    func extract(_ part: DatePart, _ value: BoundExpr) -> String { emitter.extract(part, value, self) }

    func addInterval(_ value: BoundExpr, _ interval: Interval) -> String { emitter.addInterval(value, interval, self) }

    func addDays(_ date: String, _ days: String) -> String { emitter.addDays(date, days) }

    func daysBetween(_ a: String, _ b: String) -> String { emitter.daysBetween(a, b) }

    func sqliteDateTrunc(_ part: DatePart, _ value: BoundExpr) -> String {
        let x = expr(value)
        let isDate = value.type == .date
        switch part {
        case .year, .quarter, .month:
            let s = seconds(x, value.type)
            let truncated = strftimeSeconds(s, calendarTrunc(part, s))
            return isDate ? "(\(truncated) / 86400)" : "(\(truncated) * 1000000)"
        case .week:
            if isDate { return "((((\(x)) + 7000003) / 7) * 7 - 7000003)" }
            let shift = 3 * Self.dayMicros
            return "((((\(x)) + \(Self.offset + shift)) / \(7 * Self.dayMicros)) * \(7 * Self.dayMicros) - \(Self.offset + shift))"
        case .day where isDate:
            return x
        default:
            let u = Self.micros(part)
            return "((((\(x)) + \(Self.offset)) / \(u)) * \(u) - \(Self.offset))"
        }
    }

    func sqliteExtract(_ part: DatePart, _ value: BoundExpr) -> String {
        let x = expr(value)
        let s = seconds(x, value.type)
        switch part {
        case .year: return field("%Y", s)
        case .month: return field("%m", s)
        case .day: return field("%d", s)
        case .dayOfYear: return field("%j", s)
        case .quarter: return "((\(field("%m", s)) + 2) / 3)"
        case .dayOfWeek:
            let d = value.type == .date ? x : days(ofTimestamp: x)
            return "(((\(d)) + 7000004) % 7)"
        case .epoch, .week: return s
        case .hour, .minute, .second:
            let u = Self.micros(part)
            let modulus = part == .hour ? Self.dayMicros : part == .minute ? 3_600_000_000 : 60_000_000
            return "((((\(x)) + \(Self.offset)) % \(modulus)) / \(u))"
        }
    }

    // MARK: Arithmetic

    /// SQLite: DATE `days` plus `months` calendar months, with the day of
    /// month clamped to the target month's last day (Jan 31 + 1 month = Feb 28/29).
    private func addMonthsSQLite(days d: String, months: Int64) -> String {
        let s = "(\(d) * 86400)"
        func modifier(_ n: Int64) -> String { "'\(n >= 0 ? "+" : "")\(n) months'" }
        let sameDay = strftimeSeconds(s, ["'start of month'", modifier(months),
                                          "'+' || (\(field("%d", s)) - 1) || ' days'"])
        let lastDay = strftimeSeconds(s, ["'start of month'", modifier(months + 1), "'-1 days'"])
        return "(min(\(sameDay), \(lastDay)) / 86400)"
    }

    func sqliteAddInterval(_ value: BoundExpr, _ interval: Interval) -> String {
        let x = expr(value)
        let isDate = value.type == .date
        if let days = interval.days {
            return isDate ? "(\(x) + \(days))" : "(\(x) + \(days * Self.dayMicros))"
        }
        if let micros = interval.microseconds { return "(\(x) + \(micros))" }
        let months = interval.months!
        if isDate { return addMonthsSQLite(days: x, months: months) }
        let timeOfDay = "((\(x) + \(Self.offset)) % \(Self.dayMicros))"
        return "(\(addMonthsSQLite(days: days(ofTimestamp: x), months: months)) * \(Self.dayMicros) + \(timeOfDay))"
    }
}
