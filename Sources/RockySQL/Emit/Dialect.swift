import RockyBase

/// A SQL dialect the compiler emits.
///
/// `sqlite` follows Rocky's SQLite representation contract (Docs/sql.md):
/// BOOLEAN, DECIMAL, DATE and TIMESTAMP are stored as INTEGERs and every
/// expression is emitted over that representation. The other dialects use
/// their native types.
public enum Dialect: String, CaseIterable, Hashable, Sendable {
    case sqlite, postgres, duckdb, snowflake, bigquery, databricks

    /// The masking strategies whose SQL in this dialect gives exactly the
    /// value Rocky defines (Docs/sql.md, "Governance"). `hash` is keyed
    /// (HMAC-SHA-256 under the repository key): SQLite and PostgreSQL compute
    /// it through a session helper; the others would give an unkeyed SHA-256,
    /// so compiling for them refuses it (E0504).
    public var exactMaskingStrategies: Set<MaskingStrategy> {
        switch self {
        case .sqlite, .postgres: Set(MaskingStrategy.allCases)
        case .duckdb, .snowflake, .bigquery, .databricks: Set(MaskingStrategy.allCases).subtracting([.hash])
        }
    }

    /// Quotes an identifier (always, so reserved words and case survive).
    public func quote(_ name: String) -> String {
        switch self {
        case .bigquery:
            return "`" + name.replacingAll("\\", with: "\\\\").replacingAll("`", with: "\\`") + "`"
        case .databricks:
            return "`" + name.replacingAll("`", with: "``") + "`"
        default:
            return "\"" + name.replacingAll("\"", with: "\"\"") + "\""
        }
    }

    /// A string literal.
    public func string(_ text: String) -> String {
        switch self {
        case .bigquery, .databricks:
            return "'" + text.replacingAll("\\", with: "\\\\").replacingAll("'", with: "\\'") + "'"
        default:
            return "'" + text.replacingAll("'", with: "''") + "'"
        }
    }

    /// The dialect's name for a Rocky column type.
    public func typeName(_ type: ColumnType) -> String {
        switch (self, type) {
        case (.sqlite, .double): return "REAL"
        case (.sqlite, .text): return "TEXT"
        case (.sqlite, _): return "INTEGER"
        case (.bigquery, .boolean): return "BOOL"
        case (_, .boolean): return "BOOLEAN"
        case (.postgres, .integer), (.duckdb, .integer), (.snowflake, .integer), (.databricks, .integer): return "BIGINT"
        case (.bigquery, .integer): return "INT64"
        case (.postgres, .double): return "DOUBLE PRECISION"
        case (.snowflake, .double): return "FLOAT"
        case (.bigquery, .double): return "FLOAT64"
        case (_, .double): return "DOUBLE"
        case let (.postgres, .decimal(p, s)): return "NUMERIC(\(p),\(s))"
        case let (.snowflake, .decimal(p, s)): return "NUMBER(\(p),\(s))"
        case let (.bigquery, .decimal(p, s)):
            return s <= 9 && p - s <= 29 ? "NUMERIC(\(p),\(s))" : "BIGNUMERIC(\(p),\(s))"
        case let (_, .decimal(p, s)): return "DECIMAL(\(p),\(s))"
        case (.postgres, .text): return "TEXT"
        case (.bigquery, .text), (.databricks, .text): return "STRING"
        case (_, .text): return "VARCHAR"
        case (_, .date): return "DATE"
        case (.snowflake, .timestamp): return "TIMESTAMP_NTZ"
        case (_, .timestamp): return "TIMESTAMP"
        }
    }
}

extension String {
    func replacingAll(_ target: String, with replacement: String) -> String {
        guard contains(target) else { return self }
        var result = ""
        var rest = Substring(self)
        while let range = rest.firstRange(of: target) {
            result += rest[..<range.lowerBound]
            result += replacement
            rest = rest[range.upperBound...]
        }
        return result + rest
    }
}
