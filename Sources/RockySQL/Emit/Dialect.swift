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
    public var exactMaskingStrategies: Set<MaskingStrategy> { emitter.exactMaskingStrategies }

    /// The SQL a session of this dialect's engine runs once, before the SQL
    /// emitted for it: PostgreSQL's `pg_temp.rocky_*` helpers and settings
    /// (`PostgresSessionSetup`), Spark's temporary `rocky_*` functions and
    /// settings (`DatabricksSessionSetup`), with `hash` masking keyed by
    /// `maskingKey` (nil: plain SHA-256). Empty for the dialects whose SQL needs none.
    /// SQLite's helpers are functions of Rocky's own SQLite engine, so its
    /// SQL runs only there.
    public func sessionSetup(maskingKey: [UInt8]? = nil) -> [String] {
        switch self {
        case .postgres: PostgresSessionSetup.statements(maskingKey: maskingKey)
        case .databricks: DatabricksSessionSetup.statements(maskingKey: maskingKey)
        default: []
        }
    }

    /// Quotes an identifier (always, so reserved words and case survive).
    public func quote(_ name: String) -> String { emitter.quote(name) }

    /// A string literal.
    public func string(_ text: String) -> String { emitter.string(text) }

    /// The dialect's name for a Rocky column type.
    public func typeName(_ type: ColumnType) -> String { emitter.typeName(type) }
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
