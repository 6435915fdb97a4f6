import RockyBase

/// What one dialect writes its own way. `SQLEmitter` writes everything else
/// once for every dialect (statements, queries, joins, CASE, aggregates,
/// windows, DECIMAL typing) and asks the dialect's emitter, one file per
/// dialect under Emit/Dialects, for these. Each method gets the
/// `SQLEmitter`, which writes the sub-expressions.
protocol DialectEmitter: Sendable {
    var dialect: Dialect { get }
    /// Quotes an identifier (always, so reserved words and case survive).
    func quote(_ name: String) -> String
    /// A string literal.
    func string(_ text: String) -> String
    /// The dialect's name for a Rocky column type.
    func typeName(_ type: ColumnType) -> String
    /// The masking strategies whose SQL gives exactly Rocky's value
    /// (Docs/sql.md, "Governance"); compiling for the dialect refuses the
    /// others (E0504).
    var exactMaskingStrategies: Set<MaskingStrategy> { get }
    /// `hash` masking of a TEXT expression.
    func maskHash(_ text: String, _ e: SQLEmitter) -> String
    /// The 1-based position of `needle` in `haystack`, 0 when absent.
    func position(_ needle: String, in haystack: String) -> String
    /// INTEGER / INTEGER, truncated toward zero; NULL for 0.
    func integerDivide(_ x: String, _ y: String) -> String
    /// The quotient of two exact numbers (SQL of their values and scales),
    /// rounded half away from zero to `scale` digits, of type `type`.
    func exactQuotient(numerator: String, numeratorScale: Int, denominator: String, denominatorScale: Int,
                       scale: Int, type: ColumnType, _ e: SQLEmitter) -> String
    /// CAST between two different types; `range` is the cast's place in the statement.
    func cast(_ value: BoundExpr, from: ColumnType, to: ColumnType, at range: SourceRange, _ e: SQLEmitter) -> String
    func dateTrunc(_ part: DatePart, _ value: BoundExpr, _ e: SQLEmitter) -> String
    func extract(_ part: DatePart, _ value: BoundExpr, _ e: SQLEmitter) -> String
    func addInterval(_ value: BoundExpr, _ interval: Interval, _ e: SQLEmitter) -> String
    /// DATE + INTEGER days.
    func addDays(_ date: String, _ days: String) -> String
    /// DATE - DATE in days.
    func daysBetween(_ a: String, _ b: String) -> String
    /// TIMESTAMP `a` - TIMESTAMP `b` in microseconds (BIGINT), exact.
    func microsecondsBetween(_ a: String, _ b: String) -> String
    /// TIMESTAMP `value` plus BIGINT `micros` microseconds, exact.
    func addMicroseconds(_ value: String, _ micros: String) -> String
    /// BIGINT `micros` as seconds, a DECIMAL of scale 6 (`type`), exact.
    func secondsOfMicroseconds(_ micros: String, type: ColumnType, _ e: SQLEmitter) -> String
    /// Whether the dialect has QUALIFY (else the select is wrapped and filtered).
    var hasQualify: Bool { get }
    /// Whether the dialect has DISTINCT ON (else ROW_NUMBER() = 1 filters).
    var hasDistinctOn: Bool { get }
    /// A RANGE frame offset over a number key: the constant, of the key's type.
    func rangeNumber(_ value: BoundExpr, _ e: SQLEmitter) -> String
    /// A RANGE frame offset over a DATE (whole days) or TIMESTAMP key.
    func rangeInterval(microseconds: Int64, date: Bool) -> String
}

extension DialectEmitter {
    func quote(_ name: String) -> String { "\"" + name.replacingAll("\"", with: "\"\"") + "\"" }
    func string(_ text: String) -> String { "'" + text.replacingAll("'", with: "''") + "'" }
    func position(_ needle: String, in haystack: String) -> String { "instr(\(haystack), \(needle))" }
    func integerDivide(_ x: String, _ y: String) -> String { "(\(x) / NULLIF(\(y), 0))" }
    func addDays(_ date: String, _ days: String) -> String { "(\(date) + \(days))" }
    func daysBetween(_ a: String, _ b: String) -> String { "(\(a) - \(b))" }
    var hasQualify: Bool { false }
    var hasDistinctOn: Bool { false }
    func rangeNumber(_ value: BoundExpr, _ e: SQLEmitter) -> String { e.expr(value) }
    /// PostgreSQL's and DuckDB's interval.
    func rangeInterval(microseconds: Int64, date: Bool) -> String {
        date ? "INTERVAL '\(microseconds / 86_400_000_000) days'" : "INTERVAL '\(microseconds) microseconds'"
    }
}

/// A dialect with native BOOLEAN, DECIMAL, DATE and TIMESTAMP types: the
/// common SQL of those, which each native dialect overrides where it differs.
protocol NativeDialectEmitter: DialectEmitter {
    /// A dialect's own CAST of `x` (nil: the common one).
    func specialCast(_ x: String, from: ColumnType, to: ColumnType, target: String) -> String?
}

extension NativeDialectEmitter {
    /// `hash` is keyed (HMAC under the repository key); a native SHA-256 is not that value.
    var exactMaskingStrategies: Set<MaskingStrategy> { Set(MaskingStrategy.allCases).subtracting([.hash]) }

    func specialCast(_ x: String, from: ColumnType, to: ColumnType, target: String) -> String? { nil }

    func exactQuotient(numerator: String, numeratorScale: Int, denominator: String, denominatorScale: Int,
                       scale s: Int, type: ColumnType, _ e: SQLEmitter) -> String {
        e.conform("ROUND(\(numerator) / NULLIF(\(denominator), 0), \(s))", type)
    }

    func cast(_ value: BoundExpr, from: ColumnType, to: ColumnType, at range: SourceRange, _ e: SQLEmitter) -> String {
        let x = e.expr(value)
        let target = typeName(to)
        if let special = specialCast(x, from: from, to: to, target: target) { return special }
        if from == .double, to == .integer { return "CAST(round(\(x)) AS \(target))" }
        return "CAST(\(x) AS \(target))"
    }

    func dateTrunc(_ part: DatePart, _ value: BoundExpr, _ e: SQLEmitter) -> String {
        let sql = "date_trunc('\(part.rawValue)', \(e.expr(value)))"
        return value.type == .date ? "CAST(\(sql) AS DATE)" : sql
    }

    func extract(_ part: DatePart, _ value: BoundExpr, _ e: SQLEmitter) -> String {
        "EXTRACT(\(part.rawValue.uppercased()) FROM \(e.expr(value)))"
    }

    /// The interval as a quantity of months, days or its own unit.
    func quantityAndUnit(_ interval: Interval) -> (Int64, String) {
        interval.months.map { ($0, "month") } ?? interval.days.map { ($0, "day") } ?? (interval.quantity, interval.unit.rawValue)
    }

    /// Exact in every native dialect: the integer cast to DECIMAL and
    /// multiplied by a DECIMAL (products of DECIMALs are exact).
    func secondsOfMicroseconds(_ micros: String, type: ColumnType, _ e: SQLEmitter) -> String {
        e.conform("(CAST(\(micros) AS \(typeName(.decimal(precision: 18, scale: 0)))) * 0.000001)", type)
    }

    func addInterval(_ value: BoundExpr, _ interval: Interval, _ e: SQLEmitter) -> String {
        let x = e.expr(value)
        let isDate = value.type == .date
        let (quantity, unit) = quantityAndUnit(interval)
        if isDate && unit == "day" { return "(\(x) + \(quantity))" }
        let sql = "(\(x) + INTERVAL '\(quantity) \(unit)s')"
        return isDate ? "CAST(\(sql) AS DATE)" : sql
    }
}

extension Dialect {
    /// The dialect's emitter.
    var emitter: any DialectEmitter {
        switch self {
        case .sqlite: SQLiteEmitter()
        case .postgres: PostgresEmitter()
        case .duckdb: DuckDBEmitter()
        case .snowflake: SnowflakeEmitter()
        case .bigquery: BigQueryEmitter()
        case .databricks: DatabricksEmitter()
        }
    }
}
