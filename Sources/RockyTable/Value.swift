import RockyBase

/// One cell of a table.
///
/// DECIMAL values are exact (`ExactDecimal`) and, inside a table, always at
/// their column's scale. DOUBLE is IEEE 754 binary64; `-0.0` is stored as
/// `0.0` and every NaN as one canonical NaN, so equal-looking tables hash
/// equally.
public enum Value: Hashable, Sendable {
    case null
    case boolean(Bool)
    case integer(Int64)
    case double(Double)
    case decimal(ExactDecimal)
    case text(String)
    case date(CivilDate)
    case timestamp(Timestamp)

    public var isNull: Bool { if case .null = self { true } else { false } }

    /// The canonical text form: what CSV export writes and import reads back.
    /// NULL has no text form (nil).
    public var text: String? {
        switch self {
        case .null: nil
        case let .boolean(b): b ? "true" : "false"
        case let .integer(i): String(i)
        case let .double(d): Value.format(d)
        case let .decimal(d): d.description
        case let .text(s): s
        case let .date(d): d.description
        case let .timestamp(t): t.description
        }
    }

    /// Shortest round-tripping text of a double; integers keep a `.0` so the
    /// column reads back as DOUBLE; `inf`, `-inf`, `nan` for the specials.
    static func format(_ d: Double) -> String {
        if d.isNaN { return "nan" }
        if d.isInfinite { return d < 0 ? "-inf" : "inf" }
        let text = "\(d == 0 ? 0.0 : d)"
        return text
    }

    /// The same value in its canonical stored form (see the type comment).
    public var canonical: Value {
        if case let .double(d) = self {
            if d.isNaN { return .double(.nan) }
            if d == 0 { return .double(0) }
        }
        return self
    }

    /// Whether the value may be stored in a column of `type`.
    public func fits(_ type: ColumnType) -> Bool {
        switch (self, type) {
        case (.null, _), (.boolean, .boolean), (.integer, .integer), (.double, .double),
             (.text, .text), (.date, .date), (.timestamp, .timestamp):
            true
        case let (.decimal(d), .decimal(p, s)):
            d.fits(precision: p, scale: s)
        default:
            false
        }
    }
}

extension Value: CustomStringConvertible {
    public var description: String { text ?? "NULL" }
}
