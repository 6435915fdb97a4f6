import RockyBase

/// The typing rules for numbers, shared by the binder and documented in
/// Docs/sql.md ("DECIMAL arithmetic"). Precision is capped at 38.
enum TypeRules {
    static let maxPrecision = ColumnType.maxDecimalPrecision
    /// The digits of the largest INTEGER (`9223372036854775807`).
    static let integerDigits = 19

    /// A decimal type with precision and scale clamped into range.
    static func decimal(_ precision: Int, _ scale: Int) -> ColumnType {
        let s = max(0, min(scale, maxPrecision))
        let p = max(1, min(max(precision, s), maxPrecision))
        return .decimal(precision: p, scale: min(s, p))
    }

    /// The (precision, scale) an exact number contributes when mixed with a
    /// DECIMAL: an INTEGER literal its own digits, any other INTEGER 19 digits.
    static func shape(_ expr: BoundExpr) -> (precision: Int, scale: Int)? {
        switch expr.type {
        case let .decimal(p, s)?: return (p, s)
        case .integer?:
            if case let .literal(.integer(value)) = expr.kind {
                return (String(value.magnitude).count, 0)
            }
            return (integerDigits, 0)
        default: return nil
        }
    }

    /// `+` and `-`: scale max(s1, s2); integer digits max(p1-s1, p2-s2) + 1.
    static func additive(_ a: (Int, Int), _ b: (Int, Int)) -> ColumnType {
        let s = max(a.1, b.1)
        let digits = max(a.0 - a.1, b.0 - b.1)
        return decimal(digits + s + 1, s)
    }

    /// `*`: precision p1+p2, scale s1+s2. Past 38 digits the integer digits
    /// are kept and the scale shrinks, but never below min(s1+s2, 6).
    static func multiplicative(_ a: (Int, Int), _ b: (Int, Int)) -> ColumnType {
        let p = a.0 + b.0
        let s = a.1 + b.1
        if p <= maxPrecision { return decimal(p, s) }
        let digits = p - s
        let scale = max(min(s, 6), maxPrecision - digits)
        return decimal(maxPrecision, min(scale, s))
    }

    /// `/`: scale max(6, s1+s2); integer digits (p1-s1) + s2. Past 38 digits
    /// the scale shrinks, but never below 6.
    static func division(_ a: (Int, Int), _ b: (Int, Int)) -> ColumnType {
        let digits = a.0 - a.1 + b.1
        let s = min(max(6, a.1 + b.1), maxPrecision)
        if digits + s <= maxPrecision { return decimal(digits + s, s) }
        return decimal(maxPrecision, max(6, maxPrecision - digits))
    }

    /// The type both sides of a comparison, CASE, COALESCE, IN or set
    /// operation convert to; nil when there is none.
    static func common(_ a: BoundExpr, _ b: BoundExpr) -> ColumnType? {
        guard let ta = a.type else { return b.type }
        guard let tb = b.type else { return ta }
        if ta == tb { return ta }
        switch (ta, tb) {
        case (.double, _) where tb.isNumeric, (_, .double) where ta.isNumeric:
            return .double
        case (.decimal, .decimal), (.decimal, .integer), (.integer, .decimal):
            let x = shape(a)!, y = shape(b)!
            let s = max(x.scale, y.scale)
            return decimal(max(x.precision - x.scale, y.precision - y.scale) + s, s)
        case (.date, .timestamp), (.timestamp, .date):
            return .timestamp
        case (.text, .date), (.text, .timestamp):
            return isTextLiteral(a) ? tb : nil
        case (.date, .text), (.timestamp, .text):
            return isTextLiteral(b) ? ta : nil
        default:
            return nil
        }
    }

    static func isTextLiteral(_ expr: BoundExpr) -> Bool {
        if case .literal(.text) = expr.kind { return true }
        return false
    }

    /// Whether a value of type `from` may be stored in a column of type `to`
    /// without an explicit CAST: identical types, numeric widening, any exact
    /// number into a DECIMAL (rounded to its scale) and DATE into TIMESTAMP.
    static func isAssignable(_ from: ColumnType, to: ColumnType) -> Bool {
        if from == to { return true }
        switch (from, to) {
        case (.integer, .decimal), (.decimal, .decimal), (.integer, .double), (.decimal, .double), (.date, .timestamp):
            return true
        default:
            return false
        }
    }

    /// Whether an explicit CAST from `from` to `to` is allowed.
    static func isCastable(_ from: ColumnType, to: ColumnType) -> Bool {
        if from == to { return true }
        switch (from, to) {
        case (_, .text), (.text, _): return true
        case (.boolean, .integer), (.integer, .boolean): return true
        case (.date, .timestamp), (.timestamp, .date): return true
        default: return from.isNumeric && to.isNumeric
        }
    }

    /// SUM: DECIMAL(38, s) for DECIMAL(p, s); INTEGER and DOUBLE unchanged.
    static func sum(_ type: ColumnType) -> ColumnType {
        if case let .decimal(_, s) = type { return decimal(maxPrecision, s) }
        return type
    }

    /// AVG: DECIMAL(p-s+s', s') with s' = max(s, 6) for DECIMAL; DOUBLE otherwise.
    static func average(_ type: ColumnType) -> ColumnType {
        if case let .decimal(p, s) = type {
            let scale = min(max(s, 6), maxPrecision)
            return decimal(p - s + scale, scale)
        }
        return .double
    }

    /// ROUND(x, n) of DECIMAL(p, s): DECIMAL(p-s+n+1, n) when n < s, else unchanged.
    static func round(_ type: ColumnType, places: Int) -> ColumnType {
        if case let .decimal(p, s) = type, places < s {
            return decimal(p - s + max(places, 0) + 1, max(places, 0))
        }
        return type
    }

    /// FLOOR and CEIL of DECIMAL(p, s): DECIMAL(p-s+1, 0).
    static func integral(_ type: ColumnType) -> ColumnType {
        if case let .decimal(p, s) = type, s > 0 { return decimal(p - s + 1, 0) }
        return type
    }
}
