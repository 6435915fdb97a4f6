/// The type of a table column, shared by the table store and the SQL compiler.
///
/// These are the seven types of DESIGN.md. `DECIMAL(p, s)` is exact: precision
/// `p` is the number of significant digits (1...38) and scale `s` the number of
/// digits after the point (0...p). TIMESTAMP is UTC with microsecond resolution.
public enum ColumnType: Hashable, Sendable {
    case boolean
    case integer
    case double
    case decimal(precision: Int, scale: Int)
    case text
    case date
    case timestamp

    /// The largest DECIMAL precision Rocky supports (values fit in 128 bits).
    public static let maxDecimalPrecision = 38

    /// The canonical spelling, as written in schemas and in `Docs/format.md`:
    /// `BOOLEAN`, `INTEGER`, `DOUBLE`, `DECIMAL(p,s)`, `TEXT`, `DATE`, `TIMESTAMP`.
    public var name: String {
        switch self {
        case .boolean: "BOOLEAN"
        case .integer: "INTEGER"
        case .double: "DOUBLE"
        case let .decimal(p, s): "DECIMAL(\(p),\(s))"
        case .text: "TEXT"
        case .date: "DATE"
        case .timestamp: "TIMESTAMP"
        }
    }

    public var isNumeric: Bool {
        switch self {
        case .integer, .double, .decimal: true
        default: false
        }
    }

    /// Parses a type name, case-insensitively, accepting the common synonyms
    /// (`INT`, `BIGINT`, `BOOL`, `REAL`, `FLOAT`, `NUMERIC`, `VARCHAR`, ...).
    /// Returns nil for anything else, or for a DECIMAL whose precision or scale
    /// is out of range.
    public init?(parsing text: String) {
        let upper = text.uppercased().filter { !$0.isWhitespace }
        switch upper {
        case "BOOLEAN", "BOOL": self = .boolean
        case "INTEGER", "INT", "BIGINT", "INT8", "INT64", "SMALLINT", "TINYINT": self = .integer
        case "DOUBLE", "REAL", "FLOAT", "FLOAT8", "FLOAT64", "DOUBLEPRECISION": self = .double
        case "TEXT", "VARCHAR", "STRING", "CHAR": self = .text
        case "DATE": self = .date
        case "TIMESTAMP", "DATETIME", "TIMESTAMPTZ": self = .timestamp
        default:
            for prefix in ["DECIMAL", "NUMERIC"] where upper.hasPrefix(prefix) {
                let rest = upper.dropFirst(prefix.count)
                if rest.isEmpty { self = .decimal(precision: 18, scale: 0); return }
                guard rest.first == "(", rest.last == ")" else { return nil }
                let parts = rest.dropFirst().dropLast().split(separator: ",", omittingEmptySubsequences: false)
                guard (1...2).contains(parts.count), let p = Int(parts[0]) else { return nil }
                let s = parts.count == 2 ? Int(parts[1]) : 0
                guard let s, (1...ColumnType.maxDecimalPrecision).contains(p), (0...p).contains(s) else { return nil }
                self = .decimal(precision: p, scale: s)
                return
            }
            if upper.hasPrefix("VARCHAR(") || upper.hasPrefix("CHAR(") { self = .text; return }
            return nil
        }
    }
}

extension ColumnType: CustomStringConvertible {
    public var description: String { name }
}
