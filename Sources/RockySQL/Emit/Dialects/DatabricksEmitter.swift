import RockyBase

/// Spark SQL and Databricks SQL: native types, and SQL that gives on Spark
/// (ANSI mode, session time zone UTC: `DatabricksSessionSetup`) exactly the
/// value Rocky gives on SQLite, except where Docs/sql.md ("Spark SQL and
/// Databricks") says Spark's floating point differs. Where Spark's own
/// function or cast differs, the SQL calls a temporary SQL function of the
/// session (`HelperFunction`, created by `DatabricksSessionSetup`). Spark
/// compares and sorts STRING by UTF-8 bytes (the UTF8_BINARY collation), as
/// SQLite does, so text needs no collation.
struct DatabricksEmitter: NativeDialectEmitter {
    var dialect: Dialect { .databricks }

    func quote(_ name: String) -> String { "`" + name.replacingAll("`", with: "``") + "`" }

    func string(_ text: String) -> String {
        "'" + text.replacingAll("\\", with: "\\\\").replacingAll("'", with: "\\'") + "'"
    }

    func typeName(_ type: ColumnType) -> String {
        switch type {
        case .boolean: "BOOLEAN"
        case .integer: "BIGINT"
        case .double: "DOUBLE"
        case let .decimal(p, s): "DECIMAL(\(p),\(s))"
        case .text: "STRING"
        case .date: "DATE"
        case .timestamp: "TIMESTAMP"
        }
    }

    /// Every strategy: `hash` is the session helper's HMAC (built on `sha2`).
    var exactMaskingStrategies: Set<MaskingStrategy> { Set(MaskingStrategy.allCases) }

    func maskHash(_ text: String, _ e: SQLEmitter) -> String { e.helper(.maskHash, text) }

    func integerDivide(_ x: String, _ y: String) -> String { "(\(x) DIV NULLIF(\(y), 0))" }

    /// Exact, as on PostgreSQL: the scaled numerator divided as an integer
    /// (`n - n % d` is a multiple of `d`, so the division is exact) at one
    /// extra digit, then rounded half away from zero. Spark's own DECIMAL
    /// division rounds at a scale of its choosing, and a second ROUND would
    /// round twice.
    func exactQuotient(numerator: String, numeratorScale: Int, denominator: String, denominatorScale: Int,
                       scale s: Int, type: ColumnType, _ e: SQLEmitter) -> String {
        let n = "(\(numerator) * \(SQLEmitter.pow10(s + denominatorScale + 1))BD)"
        let d = "NULLIF(\(denominator) * \(SQLEmitter.pow10(denominatorScale))BD, 0)"
        // At most 21 digits when the result fits 64 bits at scale s; a DECIMAL of more than 18
        // digits takes 38 (past that, Spark's ANSI mode raises an overflow), so the scaling below stays exact.
        let digits = e.isWide(type) ? 38 : 21
        let units = "CAST(((\(n) - \(n) % \(d)) / \(d)) AS DECIMAL(\(digits),0))"
        return e.conform("ROUND(\(units) * \(SQLEmitter.fraction(s + 1))BD, \(s))", type)
    }

    func cast(_ value: BoundExpr, from: ColumnType, to: ColumnType, at range: SourceRange, _ e: SQLEmitter) -> String {
        e.databricksCast(value, from: from, to: to, at: range)
    }

    func extract(_ part: DatePart, _ value: BoundExpr, _ e: SQLEmitter) -> String {
        let x = e.expr(value)
        switch part {
        case .dayOfWeek: return "CAST(EXTRACT(DOW FROM \(x)) - 1 AS BIGINT)"
        case .epoch where value.type == .date: return "(CAST(unix_date(\(x)) AS BIGINT) * 86400L)"
        case .epoch:
            // Floor of the seconds (unix_timestamp would truncate toward zero).
            return "((unix_micros(\(x)) - pmod(unix_micros(\(x)), 1000000L)) DIV 1000000L)"
        case .second: return "CAST(floor(EXTRACT(SECOND FROM \(x))) AS BIGINT)"
        default: return "CAST(EXTRACT(\(part.rawValue.uppercased()) FROM \(x)) AS BIGINT)"
        }
    }

    func microsecondsBetween(_ a: String, _ b: String) -> String { "(unix_micros(\(a)) - unix_micros(\(b)))" }

    func addMicroseconds(_ value: String, _ micros: String) -> String { "timestamp_micros(unix_micros(\(value)) + \(micros))" }

    func addInterval(_ value: BoundExpr, _ interval: Interval, _ e: SQLEmitter) -> String {
        let x = e.expr(value)
        let (quantity, unit) = quantityAndUnit(interval)
        if value.type == .date && interval.microseconds == nil {
            return unit == "month" ? "add_months(\(x), \(quantity))" : "date_add(\(x), \(quantity))"
        }
        let timestamp = value.type == .date ? "CAST(\(x) AS TIMESTAMP)" : x
        return "(\(timestamp) + INTERVAL \(quantity) \(unit.uppercased()))"
    }

    /// date_add takes an INT number of days.
    func addDays(_ date: String, _ days: String) -> String { "date_add(\(date), CAST(\(days) AS INT))" }

    /// datediff is an INT.
    func daysBetween(_ a: String, _ b: String) -> String { "CAST(datediff(\(a), \(b)) AS BIGINT)" }
    func rangeInterval(microseconds: Int64, date: Bool) -> String {
        date ? "INTERVAL '\(microseconds / 86_400_000_000)' DAY" : "INTERVAL '\(seconds(microseconds))' SECOND"
    }
    private func seconds(_ microseconds: Int64) -> String {
        let fraction = String(microseconds % 1_000_000)
        return "\(microseconds / 1_000_000).\(String(repeating: "0", count: 6 - fraction.count))\(fraction)"
    }
}

extension SQLEmitter {
    var isDatabricks: Bool { dialect == .databricks }

    func databricksCast(_ value: BoundExpr, from: ColumnType, to: ColumnType, at range: SourceRange) -> String {
        let x = expr(value)
        let target = dialect.typeName(to)
        let position = castPosition(range)
        switch (from, to) {
        case (.double, .integer):
            // Spark's round of a DOUBLE is half away from zero, exactly; out of range: an error (ANSI).
            return "CAST(round(\(x)) AS BIGINT)"
        case let (.double, .decimal(_, s)):
            // As SQLite: (x · 10^s) rounded half away from zero, in 64 bits (Spark's own cast
            // rounds the shortest decimal form of x instead).
            // A DECIMAL of more than 18 digits: up to 38 digits of units.
            let units = isWide(to) ? "round(\(x) * 1.0E\(s)D)" : "CAST(round(\(x) * 1.0E\(s)D) AS BIGINT)"
            return "CAST(CAST(\(units) AS DECIMAL(\(isWide(to) ? 38 : 20),0)) * \(Self.fraction(s))BD AS \(target))"
        case (.double, .text):
            return helper(.doubleText, x)
        case (.double, .boolean):
            return "(\(x) <> 0.0D)"
        case let (.decimal(_, s), .integer) where s > 0:
            // Half away from zero (Spark's cast truncates).
            return "CAST(round(\(x), 0) AS BIGINT)"
        case (.integer, .boolean), (.decimal, .boolean):
            return "(\(x) <> 0)"
        case (.text, .integer):
            return helper(.castInteger, x, position)
        case (.text, .double):
            return helper(.castDouble, x, position)
        case (.text, .boolean):
            return helper(.castBoolean, x, position)
        case let (.text, .decimal(_, s)):
            // Validated by the helper (at scale 19); rounded half away from zero here, where the
            // scale is a literal (as Spark's round needs); then checked against 64 bits.
            let rounded = "round(\(helper(.fromTextDecimal, x, String(s), position)), \(s))"
            let overflow = "raise_error(concat('rocky_from_text: \\'', \(x), '\\' does not fit 64 bits at scale \(s) "
                + "(DECIMAL overflow) (cast at ', \(position), ')'))"
            return "CAST(CASE WHEN abs(\(rounded)) <= \(Self.decimalLimit(scale: s)) OR \(x) IS NULL THEN \(rounded) "
                + "ELSE \(overflow) END AS \(target))"
        case (.text, .date):
            return helper(.fromTextDate, x, position)
        case (.text, .timestamp):
            return helper(.fromTextTimestamp, x, position)
        default:
            return "CAST(\(x) AS \(target))"
        }
    }

    /// The largest DECIMAL of scale `s` whose units fit 64 bits, as a literal.
    static func decimalLimit(scale s: Int) -> String {
        var digits = "9223372036854775807"
        if s > 0 {
            if digits.count <= s { digits = String(repeating: "0", count: s - digits.count + 1) + digits }
            digits.insert(".", at: digits.index(digits.endIndex, offsetBy: -s))
        }
        return digits + "BD"
    }

    /// The functions whose Spark built-in differs from Rocky's (nil: the common SQL is right).
    func databricksFunction(_ function: ScalarFunction, _ args: [BoundExpr], _ a: [String], type: ColumnType) -> String? {
        switch function {
        case .substr:
            // SQLite's SUBSTR: position 0 and negative lengths count differently from Spark's.
            return helper(.substr, a[0], a[1], a.count == 3 ? a[2] : "2147483647L")
        case let .round(places) where args[0].type == .double && places >= 0:
            // As SQLite's round: 0 places adds 0.5 and truncates; more round the 15 significant digits.
            return places == 0 ? helper(.round, a[0]) : "round(\(helper(.doubleDigits, a[0])), \(places))"
        case .floor where args[0].type == .double, .ceil where args[0].type == .double:
            // Spark's floor and ceil of a DOUBLE are BIGINTs (saturating); these stay DOUBLE, and
            // are exact: x % 1 is exact, and so is x minus it.
            let (x, whole) = (a[0], "(\(a[0]) - \(a[0]) % 1.0D)")
            return function == .floor ? "(CASE WHEN \(x) % 1.0D < 0 THEN \(whole) - 1.0D ELSE \(whole) END)"
                : "(CASE WHEN \(x) % 1.0D > 0 THEN \(whole) + 1.0D ELSE \(whole) END)"
        default:
            return nil
        }
    }

    /// Rocky's LIKE has no escape character; Spark's escapes with a
    /// backslash, so each backslash of the pattern is doubled.
    func databricksPattern(_ pattern: String) -> String { "replace(\(pattern), '\\\\', '\\\\\\\\')" }
}
