import RockyBase

/// A constant in the IR, already checked and converted to its Rocky type.
public enum Literal: Hashable, Sendable {
    case null
    case boolean(Bool)
    case integer(Int64)
    case decimal(ExactDecimal)
    case double(Double)
    case text(String)
    case date(CivilDate)
    case timestamp(Timestamp)
}

/// A unit of `DATE_TRUNC`, `EXTRACT` and interval literals.
public enum DatePart: String, Hashable, Sendable, CaseIterable {
    case year, quarter, month, week, day, dayOfWeek = "dow", dayOfYear = "doy", hour, minute, second, epoch

    /// Parses a unit name, accepting plurals and common synonyms.
    public init?(_ text: String) {
        switch text.lowercased() {
        case "year", "years", "yr": self = .year
        case "quarter", "quarters": self = .quarter
        case "month", "months", "mon": self = .month
        case "week", "weeks": self = .week
        case "day", "days": self = .day
        case "dow", "dayofweek": self = .dayOfWeek
        case "doy", "dayofyear": self = .dayOfYear
        case "hour", "hours": self = .hour
        case "minute", "minutes", "min": self = .minute
        case "second", "seconds", "sec": self = .second
        case "epoch": self = .epoch
        default: return nil
        }
    }

    /// Whether the part is below a day (meaningful for TIMESTAMP only).
    public var isTimeOfDay: Bool { self == .hour || self == .minute || self == .second }
}

/// The unit of an interval literal.
public enum IntervalUnit: String, Hashable, Sendable {
    case year, month, week, day, hour, minute, second

    init?(_ text: String) {
        switch DatePart(text) {
        case .year: self = .year
        case .month: self = .month
        case .week: self = .week
        case .day: self = .day
        case .hour: self = .hour
        case .minute: self = .minute
        case .second: self = .second
        default: return nil
        }
    }
}

/// A constant interval: a signed quantity of one unit (`INTERVAL '3' MONTH`).
public struct Interval: Hashable, Sendable {
    public var quantity: Int64
    public var unit: IntervalUnit

    public init(quantity: Int64, unit: IntervalUnit) {
        self.quantity = quantity
        self.unit = unit
    }

    /// Calendar months for year and month units, else nil.
    public var months: Int64? {
        switch unit {
        case .year: quantity * 12
        case .month: quantity
        default: nil
        }
    }

    /// Whole days for week and day units, else nil.
    public var days: Int64? {
        switch unit {
        case .week: quantity * 7
        case .day: quantity
        default: nil
        }
    }

    /// Microseconds for hour, minute and second units, else nil.
    public var microseconds: Int64? {
        switch unit {
        case .hour: quantity * 3_600_000_000
        case .minute: quantity * 60_000_000
        case .second: quantity * 1_000_000
        default: nil
        }
    }

    public var negated: Interval { Interval(quantity: -quantity, unit: unit) }
}
