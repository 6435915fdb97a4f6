import RockyBase
import RockyTable

/// How values appear in JSON output and in SQL text.
enum ValueRendering {
    /// INTEGER and DECIMAL as exact JSON numbers, DOUBLE as a number (specials
    /// as the strings "nan", "inf", "-inf"), BOOLEAN as true/false, NULL as null,
    /// everything else as its canonical text.
    static func json(_ value: Value) -> JSON {
        switch value {
        case .null: return .null
        case let .boolean(b): return .bool(b)
        case let .integer(i): return .int(i)
        case let .decimal(d): return .number(d.description)
        case let .double(d):
            if d.isNaN || d.isInfinite { return .string(value.text ?? "") }
            var text = value.text ?? "0"
            if !text.contains(".") && !text.contains("e") { text += ".0" }
            return .number(text)
        default: return .string(value.text ?? "")
        }
    }

    /// An object of the named columns.
    static func json(_ row: [Value], schema: Schema, only ids: [Int]? = nil) -> JSON {
        .object(schema.columns.enumerated().compactMap { i, c in
            guard ids?.contains(c.id) ?? true else { return nil }
            return JSON.Member(c.name, json(row[i]))
        })
    }

    /// A SQL literal that reads back as the same value.
    static func sql(_ value: Value) -> String {
        switch value {
        case .null: return "NULL"
        case let .boolean(b): return b ? "TRUE" : "FALSE"
        case let .integer(i): return String(i)
        case let .decimal(d): return d.description
        case let .double(d):
            if d.isNaN { return "CAST('NaN' AS DOUBLE)" }
            if d.isInfinite { return d < 0 ? "CAST('-Infinity' AS DOUBLE)" : "CAST('Infinity' AS DOUBLE)" }
            let text = value.text ?? "0"
            return text.contains(".") || text.contains("e") ? text : text + ".0"
        case let .text(s): return "'" + s.replacingOccurrences(of: "'", with: "''") + "'"
        case let .date(d): return "DATE '\(d)'"
        case let .timestamp(t): return "TIMESTAMP '\(t)'"
        }
    }

    /// An identifier, double-quoted unless it is a plain lower-case name.
    static func identifier(_ name: String) -> String {
        let plain = name.first.map { $0 == "_" || ($0.isLetter && $0.isLowercase && $0.isASCII) } ?? false
            && name.allSatisfy { ($0.isLetter && $0.isLowercase && $0.isASCII) || $0.isNumber || $0 == "_" }
            && !reservedWords.contains(name.uppercased())
        return plain ? name : "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    static let reservedWords: Set<String> = [
        "SELECT", "FROM", "WHERE", "GROUP", "ORDER", "BY", "HAVING", "LIMIT", "OFFSET", "JOIN", "ON", "USING", "AS",
        "AND", "OR", "NOT", "NULL", "TRUE", "FALSE", "TABLE", "CREATE", "DROP", "ALTER", "INSERT", "UPDATE", "DELETE",
        "INTO", "VALUES", "SET", "UNION", "ALL", "DISTINCT", "CASE", "WHEN", "THEN", "ELSE", "END", "IN", "IS",
        "BETWEEN", "LIKE", "WITH", "PRIMARY", "KEY", "DEFAULT", "CAST", "LEFT", "RIGHT", "FULL", "INNER", "OUTER",
        "CROSS", "EXISTS", "INTERSECT", "EXCEPT", "COLUMN", "RENAME", "TO", "ADD", "DATE", "TIMESTAMP", "ASC", "DESC",
    ]
}
