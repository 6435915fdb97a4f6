import RockyBase

/// PostgreSQL: native types, and SQL that gives on PostgreSQL exactly the
/// value Rocky gives on SQLite (Docs/sql.md, "PostgreSQL"). Where
/// PostgreSQL's own function or cast differs, the SQL calls a helper of
/// the session's `pg_temp` schema (`HelperFunction`, created by
/// `PostgresSessionSetup`). Text comparisons and sorts use `COLLATE "C"`
/// (byte order, as SQLite), whatever the database's collation.
struct PostgresEmitter: NativeDialectEmitter {
    var dialect: Dialect { .postgres }

    func typeName(_ type: ColumnType) -> String {
        switch type {
        case .boolean: "BOOLEAN"
        case .integer: "BIGINT"
        case .double: "DOUBLE PRECISION"
        case let .decimal(p, s): "NUMERIC(\(p),\(s))"
        case .text: "TEXT"
        case .date: "DATE"
        case .timestamp: "TIMESTAMP"
        }
    }

    /// Every strategy: `hash` is the session helper's HMAC.
    var exactMaskingStrategies: Set<MaskingStrategy> { Set(MaskingStrategy.allCases) }

    func maskHash(_ text: String, _ e: SQLEmitter) -> String { e.helper(.maskHash, text) }
    var hasDistinctOn: Bool { true }

    func position(_ needle: String, in haystack: String) -> String { "strpos(\(haystack), \(needle))" }

    /// Exact: the scaled values divided as integers (`div`) at one extra
    /// digit, then rounded (`round(trunc(x, s+1), s) = round(x, s)` half away).
    func exactQuotient(numerator: String, numeratorScale: Int, denominator: String, denominatorScale: Int,
                       scale s: Int, type: ColumnType, _ e: SQLEmitter) -> String {
        let n = "(CAST(\(numerator) AS NUMERIC) * \(SQLEmitter.pow10(s + denominatorScale + 1)))"
        let d = "(CAST(\(denominator) AS NUMERIC) * \(SQLEmitter.pow10(denominatorScale)))"
        return e.conform("ROUND(div(\(n), NULLIF(\(d), 0)) * \(SQLEmitter.fraction(s + 1)), \(s))", type)
    }

    func cast(_ value: BoundExpr, from: ColumnType, to: ColumnType, at range: SourceRange, _ e: SQLEmitter) -> String {
        e.postgresCast(value, from: from, to: to, at: range)
    }

    func dateTrunc(_ part: DatePart, _ value: BoundExpr, _ e: SQLEmitter) -> String {
        // A DATE would be taken for a timestamptz, in the session's time zone.
        guard value.type == .date else { return "date_trunc('\(part.rawValue)', \(e.expr(value)))" }
        return "CAST(date_trunc('\(part.rawValue)', CAST(\(e.expr(value)) AS TIMESTAMP)) AS DATE)"
    }

    func extract(_ part: DatePart, _ value: BoundExpr, _ e: SQLEmitter) -> String {
        // PostgreSQL refuses hours of a DATE: a DATE is its midnight.
        let x = value.type == .date ? "CAST(\(e.expr(value)) AS TIMESTAMP)" : e.expr(value)
        return "CAST(floor(EXTRACT(\(part.rawValue.uppercased()) FROM \(x))) AS BIGINT)"
    }

    /// DATE + BIGINT has no operator.
    func addDays(_ date: String, _ days: String) -> String { "(\(date) + CAST(\(days) AS INTEGER))" }

    /// DATE - DATE is a 32-bit INTEGER.
    func daysBetween(_ a: String, _ b: String) -> String { "CAST((\(a) - \(b)) AS BIGINT)" }

    /// The epoch of an interval is an exact NUMERIC with 6 places.
    func microsecondsBetween(_ a: String, _ b: String) -> String {
        "CAST(EXTRACT(EPOCH FROM (\(a) - \(b))) * 1000000 AS BIGINT)"
    }

    /// Whole days and the rest in microseconds: `interval * number` multiplies
    /// in floating point, exact only below 2^53.
    func addMicroseconds(_ value: String, _ micros: String) -> String {
        "(\(value) + (\(micros)) / 86400000000 * INTERVAL '1 day' + (\(micros)) % 86400000000 * INTERVAL '1 microsecond')"
    }
}

extension SQLEmitter {
    var isPostgres: Bool { dialect == .postgres }

    /// `sql` in byte order when the dialect is PostgreSQL and the type TEXT.
    func collated(_ sql: String, _ type: ColumnType?) -> String {
        isPostgres && type == .text ? "\(sql) COLLATE \"C\"" : sql
    }

    /// The position text a checked cast names in its error.
    func castPosition(_ range: SourceRange) -> String {
        dialect.string("line \(range.start.line), column \(range.start.column)")
    }

    func postgresCast(_ value: BoundExpr, from: ColumnType, to: ColumnType, at range: SourceRange) -> String {
        let x = expr(value)
        let target = dialect.typeName(to)
        let position = castPosition(range)
        switch (from, to) {
        case (.double, .integer):
            // Half away from zero, exactly; out of range (or not finite): an error.
            return "CAST(\(helper(.roundAway, x)) AS BIGINT)"
        case let (.double, .decimal(p, s)) where p > 18:
            // As SQLite's wide DECIMAL: (x · 10^s) rounded half away from zero, up to 38 digits.
            let units = "CAST(CAST(\(helper(.roundAway, "(\(x) * CAST(1e\(s) AS DOUBLE PRECISION))")) AS TEXT) AS NUMERIC)"
            return "CAST(\(units) / \(Self.pow10(s)) AS \(target))"
        case let (.double, .decimal(_, s)):
            // As SQLite: (x · 10^s) rounded half away from zero, in 64 bits.
            let units = "CAST(\(helper(.roundAway, "(\(x) * CAST(1e\(s) AS DOUBLE PRECISION))")) AS BIGINT)"
            return "CAST(CAST(\(units) AS NUMERIC) / \(Self.pow10(s)) AS \(target))"
        case (.double, .text):
            return helper(.doubleText, x)
        case (.double, .boolean):
            return "(\(x) <> CAST(0 AS DOUBLE PRECISION))"
        case (.boolean, .integer):
            return "CAST(CAST(\(x) AS INTEGER) AS BIGINT)"
        case (.boolean, .double), (.boolean, .decimal):
            return "CAST(CAST(\(x) AS INTEGER) AS \(target))"
        case (.integer, .boolean), (.decimal, .boolean):
            return "(\(x) <> 0)"
        case (.text, .integer):
            return helper(.castInteger, x, position)
        case (.text, .double):
            return helper(.castDouble, x, position)
        case (.text, .boolean):
            return helper(.castBoolean, x, position)
        case let (.text, .decimal(p, s)) where p > 18:
            // As SQLite's wide DECIMAL: 38 digits, not 64 bits.
            return "CAST(\(helper(.fromTextDecimal, x, String(s), position, "TRUE")) AS \(target))"
        case let (.text, .decimal(_, s)):
            return "CAST(\(helper(.fromTextDecimal, x, String(s), position)) AS \(target))"
        case (.text, .date):
            return helper(.fromTextDate, x, position)
        case (.text, .timestamp):
            return helper(.fromTextTimestamp, x, position)
        case (.timestamp, .text):
            // DateStyle ISO prints a space and the fraction without trailing zeros; say so explicitly.
            return "(CASE WHEN \(x) IS NULL THEN NULL ELSE to_char(\(x), 'YYYY-MM-DD HH24:MI:SS') || "
                + "rtrim(rtrim(to_char(\(x), '.US'), '0'), '.') END)"
        case (.date, .text):
            return "to_char(\(x), 'YYYY-MM-DD')"
        default:
            return "CAST(\(x) AS \(target))"
        }
    }

    /// The functions whose PostgreSQL built-in differs from Rocky's (nil: the common SQL is right).
    func postgresFunction(_ function: ScalarFunction, _ args: [BoundExpr], _ a: [String], type: ColumnType) -> String? {
        switch function {
        case .lower, .upper:
            // Unicode case mapping (ICU's root locale), whatever the database's LC_CTYPE.
            return "\(function == .lower ? "lower" : "upper")(\(a[0]) COLLATE \"und-x-icu\")"
        case .substr:
            return a.count == 2 ? helper(.substr, a[0], a[1]) : helper(.substr, a[0], a[1], a[2])
        case .sqrt: return helper(.sqrt, a[0])
        case .ln: return helper(.ln, a[0])
        case .exp: return helper(.exp, a[0])
        case .power: return helper(.power, a[0], a[1])
        case let .round(places) where args[0].type == .double:
            return helper(.round, a[0], String(places))
        default:
            return nil
        }
    }

    /// PostgreSQL's ORDER BY when an item sorts TEXT by its output position:
    /// a position cannot take COLLATE, and a set operation or DISTINCT
    /// cannot sort by an expression, so the body becomes a subquery whose
    /// columns are sorted by name.
    func needsSortedWrap(_ query: BoundQuery) -> Bool {
        if case let .select(select) = query.body, !select.distinctOn.isEmpty { return false }
        guard isPostgres, query.orderBy.contains(where: { $0.outputPosition != nil && $0.expr.type == .text }),
              query.orderBy.allSatisfy({ $0.outputPosition != nil }) else { return false }
        return true
    }
}
