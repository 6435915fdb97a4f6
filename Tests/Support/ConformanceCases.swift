import RockyBase
import RockySQL
import RockyTable

/// The cases of the dialect conformance suites (PostgreSQL's in
/// RockyEnginePostgresTests, Spark's in RockyEngineSparkTests): queries over
/// one table `t` (`columns`, `rows`) whose results on the engine must be
/// those of Rocky's SQLite SQL.
public enum ConformanceCases {
    public static let expressions: [String] = [
        // Arithmetic: INTEGER, DECIMAL (exact, rounded once), DOUBLE, mixed.
        "i + j", "i - j", "i * j", "i / j", "i % j", "-i", "i + 2147483647", "2147483647 + 1", "i * 1000000000",
        "d + e", "d - e", "d * e", "d / e", "e / d", "d / j", "i / d", "d / 3", "-d", "d * 100 / 3",
        "ROUND(d / e, 2)", "ROUND(d / e, 0)", "CAST(d / e AS INTEGER)", "d / e * 100", "CAST(d / 7 AS DECIMAL(12,3))",
        "d + 1.005", "d * 1.5", "e * e * e",
        "f + g", "f - g", "f * g", "f / g", "f / i", "f + i", "d + f", "f * 0.1", "i / 2.0e0",
        // DECIMALs of more than 18 digits (a 16-byte BLOB in SQLite).
        "d * 123456789012345678901", "CAST(d AS DECIMAL(38,2)) * 1234567890123456789012345", "e * 12345678901234567890 / 7",
        "ROUND(d * 123456789012345678901 / 7, 2)", "CAST(d AS DECIMAL(30,2)) + 99999999999999999999.99",
        "CAST(i AS DECIMAL(30,0)) % 4", "-(d * 123456789012345678901)", "ABS(d * -123456789012345678901)",
        "FLOOR(e * 12345678901234567890)", "CEIL(e * 12345678901234567890)", "d * 123456789012345678901 > e * 12345678901234567890",
        "CAST(d * 123456789012345678901 AS DOUBLE)", "CAST(d * 12345678901 AS INTEGER)",
        // Functions.
        "ABS(i)", "ABS(d)", "ABS(f)", "LOWER(s)", "UPPER(s)", "LENGTH(s)", "TRIM(w)", "CONCAT(s, w, i)", "s || w", "s || i",
        "SUBSTR(s, 2)", "SUBSTR(s, -3)", "SUBSTR(s, 2, 3)", "SUBSTR(s, 0, 2)", "SUBSTR(s, -10, 8)", "SUBSTR(s, 3, -2)",
        "SUBSTR(s, i)", "SUBSTR(s, j, i)", "SUBSTRING(s, 1, 1)", "SUBSTR(s, 100)",
        "COALESCE(i, j, 0)", "COALESCE(d, e)", "COALESCE(s, 'none')", "NULLIF(i, 0)", "NULLIF(s, 'b')",
        "SQRT(f)", "SQRT(g)", "SQRT(i)", "LN(f)", "LN(g)", "LN(0.0e0)", "EXP(f)", "EXP(g)", "EXP(1000.0e0)", "EXP(-1000.0e0)",
        "POWER(f, 2)", "POWER(f, g)", "POWER(i, j)", "POW(2, 0.5)", "POWER(0.0e0, -1)", "POWER(-8.0e0, 1.0e0 / 3)",
        "POWER(10.0e0, 400)", "POWER(10.0e0, -400)",
        "ROUND(f)", "ROUND(f, 1)", "ROUND(f, 2)", "ROUND(g, 2)", "ROUND(2.675e0, 2)", "ROUND(1.005e0, 2)", "ROUND(-2.5e0)",
        "ROUND(0.49999999999999994e0)", "ROUND(d)", "ROUND(d, 1)", "ROUND(e, 2)", "ROUND(e, 3)", "ROUND(i)", "ROUND(f, 0)",
        "FLOOR(f)", "CEIL(f)", "CEILING(g)", "FLOOR(d)", "CEIL(e)", "FLOOR(e)", "FLOOR(i)",
        // Comparisons, logic, NULL handling.
        "s < 'b'", "s > w", "s <= 'B'", "s BETWEEN 'a' AND 'c'", "s NOT BETWEEN 'B' AND 'b'", "i < j", "d > e", "f <= g",
        "b = TRUE", "NOT b", "b AND i > 0", "b OR i > 0", "i IS NULL", "s IS NOT NULL", "i IN (7, 0)", "i NOT IN (7, 3)",
        "s IN ('b', 'B')", "dt < DATE '2024-02-01'", "ts >= TIMESTAMP '2024-01-01 00:00:00'", "dt = ts", "d = 2.5", "f = i",
        "s LIKE 'a%'", "s LIKE '%_b%'", "s NOT LIKE 'A%'", "s LIKE w", "s LIKE '%\\%'", "s LIKE '_'", "s LIKE '%ß%'",
        "CASE WHEN i > 0 THEN 'pos' WHEN i < 0 THEN 'neg' ELSE 'zero' END", "CASE i WHEN 7 THEN d ELSE e END",
        "CASE WHEN b THEN f END", "CASE WHEN s < 'b' THEN 1 ELSE 2 END",
        // Dates and timestamps.
        "dt + 1", "dt - 3", "dt + i", "dt - DATE '2024-01-01'", "dt + INTERVAL '1' MONTH", "dt - INTERVAL '1 month'",
        "ts + INTERVAL '1 month'", "dt + INTERVAL '3 hours'", "ts - INTERVAL '90 minutes'", "ts + INTERVAL '2' DAY",
        "dt + INTERVAL '1' YEAR", "ts + INTERVAL '10 seconds'", "ts + INTERVAL '1' WEEK",
        // TIMESTAMP - TIMESTAMP: an interval used by EXTRACT, moved timestamps and comparisons.
        "EXTRACT(EPOCH FROM ts - TIMESTAMP '2024-01-01 00:00:00')", "EXTRACT(DAY FROM ts - TIMESTAMP '2023-12-30 12:00:00')",
        "EXTRACT(HOUR FROM TIMESTAMP '2024-01-01 12:00:00' - ts)", "EXTRACT(MINUTE FROM ts - dt)",
        "EXTRACT(SECOND FROM ts - TIMESTAMP '2024-01-01 00:00:00.25')", "ts + (ts - dt)", "dt + (ts - TIMESTAMP '2024-01-01 00:00:00')",
        "ts - (ts - dt) * 2", "ts - dt > INTERVAL '12 hours'", "EXTRACT(EPOCH FROM (ts - dt) + INTERVAL '1 day 2 hours')",
    ] + DatePart.allCases.filter { $0 != .week }.map { "EXTRACT(\($0.rawValue) FROM ts)" }
      + ["year", "quarter", "month", "dow", "doy", "day", "epoch"].map { "EXTRACT(\($0) FROM dt)" }
      + ["year", "quarter", "month", "week", "day", "hour", "minute", "second"].map { "DATE_TRUNC('\($0)', ts)" }
      + ["year", "quarter", "month", "week", "day"].map { "DATE_TRUNC('\($0)', dt)" }

    public static let aggregates = [
        "COUNT(*)", "COUNT(i)", "COUNT(DISTINCT s)", "SUM(i)", "SUM(d)", "SUM(e)", "SUM(f)", "AVG(i)", "AVG(d)", "AVG(e)", "AVG(f)",
        "MIN(i)", "MAX(i)", "MIN(d)", "MAX(e)", "MIN(f)", "MAX(f)", "MIN(s)", "MAX(s)", "MIN(b)", "MAX(b)", "MIN(dt)", "MAX(ts)",
        "ROUND(AVG(d), 2)", "SUM(d) / COUNT(*)", "SUM(DISTINCT i)", "AVG(DISTINCT d)",
        "STDDEV(f)", "STDDEV_POP(f)", "VARIANCE(d)", "VAR_POP(i)", "VAR_SAMP(e)", "STDDEV_SAMP(i)",
    ]

    public static let grouped = [
        "SELECT b, SUM(i) AS si, AVG(d) AS ad, MIN(s) AS ms, COUNT(*) AS n FROM t GROUP BY b ORDER BY b",
        "SELECT LOWER(s) AS l, COUNT(*) AS n FROM t GROUP BY LOWER(s) ORDER BY l",
        "SELECT id, ROW_NUMBER() OVER (ORDER BY s, id) AS v FROM t ORDER BY id",
        "SELECT id, RANK() OVER (ORDER BY b) AS v FROM t ORDER BY id",
        "SELECT id, DENSE_RANK() OVER (PARTITION BY b ORDER BY i) AS v FROM t ORDER BY id",
        "SELECT id, LAG(i) OVER (ORDER BY id) AS v FROM t ORDER BY id",
        "SELECT id, LAG(d, 2, 0) OVER (ORDER BY id) AS v FROM t ORDER BY id",
        "SELECT id, LEAD(s, 2, 'x') OVER (ORDER BY id) AS v FROM t ORDER BY id",
        "SELECT id, FIRST_VALUE(s) OVER (ORDER BY s, id) AS v FROM t ORDER BY id",
        "SELECT id, LAST_VALUE(d) OVER (ORDER BY id ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) AS v FROM t ORDER BY id",
        "SELECT id, SUM(d) OVER (ORDER BY id ROWS BETWEEN 1 PRECEDING AND CURRENT ROW) AS v FROM t ORDER BY id",
        "SELECT id, AVG(d) OVER (PARTITION BY b ORDER BY id) AS v FROM t ORDER BY id",
        "SELECT id, SUM(i) OVER (PARTITION BY b) AS v FROM t ORDER BY id",
        "SELECT id, MIN(s) OVER (ORDER BY id ROWS BETWEEN 2 PRECEDING AND 1 FOLLOWING) AS v FROM t ORDER BY id",
        "SELECT id, MAX(b) OVER (ORDER BY id) AS v FROM t ORDER BY id",
        "SELECT id, COUNT(*) OVER (ORDER BY dt) AS v FROM t ORDER BY id",
        "SELECT id, STDDEV(f) OVER (ORDER BY id ROWS BETWEEN 2 PRECEDING AND CURRENT ROW) AS v FROM t ORDER BY id",
        "SELECT (SELECT MAX(i) FROM t) AS v",
        "SELECT id FROM t WHERE EXISTS (SELECT 1 FROM t AS u WHERE u.i > t.i) ORDER BY id",
        "SELECT id FROM t WHERE i IN (SELECT j FROM t) ORDER BY id",
        // Query shapes (issue 21): frames, named windows, QUALIFY, DISTINCT ON, ROLLUP, WITH RECURSIVE.
        "SELECT id, SUM(i) OVER w AS v FROM t WINDOW w AS (ORDER BY id ROWS 1 PRECEDING) ORDER BY id",
        "SELECT id, SUM(d) OVER (ORDER BY d RANGE BETWEEN 1.5 PRECEDING AND 0.25 FOLLOWING) AS v FROM t ORDER BY id",
        "SELECT id, COUNT(*) OVER (ORDER BY dt RANGE BETWEEN INTERVAL '31 days' PRECEDING AND CURRENT ROW) AS v FROM t ORDER BY id",
        "SELECT id, COUNT(*) OVER (ORDER BY ts RANGE BETWEEN INTERVAL '12 hours' PRECEDING AND INTERVAL '1 day' FOLLOWING) AS v FROM t ORDER BY id",
        "SELECT id, SUM(i) OVER (ORDER BY b GROUPS BETWEEN 1 PRECEDING AND CURRENT ROW) AS v FROM t ORDER BY id",
        "SELECT id, s FROM t QUALIFY ROW_NUMBER() OVER (PARTITION BY b ORDER BY id DESC) = 1 ORDER BY id",
        "SELECT DISTINCT ON (b) b, id FROM t ORDER BY b, id DESC",
        "SELECT b, s, SUM(d) AS v, GROUPING(b, s) AS g FROM t GROUP BY ROLLUP (b, s) ORDER BY g, b, s",
        "WITH RECURSIVE r(k, v) AS (SELECT 1, CAST(1 AS DECIMAL(10,2)) UNION ALL SELECT k + 1, CAST(v * 2 AS DECIMAL(10,2)) FROM r WHERE k < 5) SELECT k, v FROM r ORDER BY k",
    ]

    public static let ordered = [
        "SELECT id, s FROM t ORDER BY s, id",
        "SELECT id, s FROM t ORDER BY s DESC, id",
        "SELECT id, s FROM t ORDER BY s NULLS FIRST, id",
        "SELECT DISTINCT s FROM t ORDER BY 1",
        "SELECT DISTINCT s AS name FROM t ORDER BY name DESC",
        "SELECT s FROM t UNION SELECT w FROM t ORDER BY 1",
        "SELECT s FROM t UNION ALL SELECT w FROM t ORDER BY s DESC NULLS LAST",
        "SELECT s FROM t EXCEPT ALL SELECT 'b' ORDER BY 1",
        "SELECT s FROM t INTERSECT ALL SELECT s FROM t WHERE i > 0 ORDER BY 1",
        "SELECT id, UPPER(s) AS u FROM t ORDER BY u, id",
        "SELECT s, COUNT(*) AS n FROM t GROUP BY s ORDER BY s",
        "SELECT id FROM t ORDER BY s || w, id",
        "SELECT id, s FROM t WHERE s > 'B' ORDER BY 2, 1",
        "SELECT MIN(s) AS a, MAX(s) AS z FROM t",
        "SELECT * FROM (VALUES ('b', 1), ('B', 2), ('a', 3)) AS v(x, n) ORDER BY x",
        "SELECT id, s FROM t ORDER BY s LIMIT 3 OFFSET 1",
    ]

    /// The columns (and NULL) cast to every target in `castTargets`.
    public static let castSources = ["i", "d", "e", "f", "s", "n", "w", "x", "y", "b", "dt", "ts", "NULL"]
    public static let castTargets = ["INTEGER", "DOUBLE", "DECIMAL(12,2)", "DECIMAL(20,0)", "DECIMAL(38,6)", "TEXT", "BOOLEAN", "DATE",
                                     "TIMESTAMP"]

    /// Text literals cast to each of `textCastTargets`: most are refused by Rocky's checked casts.
    public static let castTexts = ["12", " -7 ", "+42", "12abc", "", "3.7", "9223372036854775807", "9223372036854775808", "0x1F", "1_000",
                                   "1.5", ".5", "5.", "-1.5e3", "1e400", "1e-400", "inf", "-Infinity", "nan", "1,5", "1e", "e5",
                                   "true", "T", " yes ", "on", "OFF", "0", "tr", "of", "yes please",
                                   "2024-02-29", "2023-02-29", "2024-1-5", "today", "Jan 5 2024", " 2024-01-05 ",
                                   "2024-01-05T10:30:00", "2024-01-05 10:30:00.123456", "2024-01-05T10:30:00Z", "2024-01-05t10:30:00z",
                                   "2024-01-05T10:30:00+02:00", "2024-01-05T10:30:00-05:30", "2024-01-05T24:00:00", "2024-01-05T10:30",
                                   "2024-01-05T10:30:00.1234567", "2024-01-05 10:30:00 UTC", "epoch"]
    public static let textCastTargets = ["INTEGER", "DOUBLE", "BOOLEAN", "DECIMAL(10,2)", "DATE", "TIMESTAMP"]

    /// The columns of `t` masked by every strategy.
    public static let maskedColumns = ["i", "d", "e", "f", "s", "b", "dt", "ts", "x"]

    /// The 32-byte masking key of the suites.
    public static let key = Array("0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0".utf8)

    public static let columns: [(String, ColumnType)] = [
        ("id", .integer), ("i", .integer), ("j", .integer), ("d", .decimal(precision: 10, scale: 2)),
        ("e", .decimal(precision: 12, scale: 4)), ("f", .double), ("g", .double), ("s", .text), ("w", .text),
        ("n", .text), ("x", .text), ("y", .text), ("b", .boolean), ("dt", .date), ("ts", .timestamp),
    ]

    /// Rows chosen for ties, signs, NULLs, Unicode, byte order and calendar edges; `n`, `x` and `y` hold
    /// text that every row converts to INTEGER/DOUBLE/BOOLEAN, DATE and TIMESTAMP respectively.
    public static let rows: [[Value]] = {
        func dec(_ t: String) -> Value { .decimal(ExactDecimal(parsing: t)!) }
        func date(_ t: String) -> Value { .date(CivilDate(parsing: t)!) }
        func ts(_ t: String) -> Value { .timestamp(Timestamp(t)) }
        return [
            [.integer(1), .integer(7), .integer(2), dec("2.50"), dec("-1.0050"), .double(2.5), .double(0.1), .text("abcdef"),
             .text("a%"), .text("12"), .text("2024-01-31"), .text("2024-01-31T10:30:15.5Z"), .boolean(true),
             date("2024-01-31"), ts("2024-01-31T10:30:15.5Z")],
            [.integer(2), .integer(-7), .integer(-2), dec("-2.50"), dec("3.3333"), .double(-2.5), .double(1e20), .text("Éclair"),
             .text(" pad "), .text("-3"), .text("1969-12-31"), .text("1969-12-31 23:59:59.999999"), .boolean(false),
             date("2024-02-29"), ts("1969-12-31T23:59:59.999999Z")],
            [.integer(3), .integer(0), .integer(3), dec("0.00"), dec("0.0001"), .double(0.49999999999999994), .double(-1e-7),
             .text("b"), .text("b"), .text("0"), .text("2000-02-29"), .text("2000-02-29T00:00:00+05:30"), .null,
             date("2000-02-29"), ts("2000-02-29T00:00:00Z")],
            [.integer(4), .null, .null, .null, .null, .null, .null, .null, .null, .null, .null, .null, .null, .null, .null],
            [.integer(5), .integer(-3), .integer(5), dec("99999999.99"), dec("-0.0050"), .double(-1.5), .double(123456789.123),
             .text("B"), .text("a\\%"), .text("1"), .text("1970-01-01"), .text("1970-01-01"), .boolean(true),
             date("1969-12-31"), ts("1970-01-01T00:00:00Z")],
            [.integer(6), .integer(4), .integer(-3), dec("-0.01"), dec("12.3456"), .double(1e-5), .double(3.0), .text("straße ß"),
             .text("_"), .text("-0"), .text("2023-12-25"), .text("2023-12-25t08:00:00z"), .boolean(false),
             date("2023-12-25"), ts("2023-12-25T08:00:00.000001Z")],
            [.integer(7), .integer(10), .integer(4), dec("0.05"), dec("-12.3456"), .double(1e15), .double(-0.0), .text("a"),
             .text("Z"), .text("42"), .text("1999-03-01"), .text("1999-03-01T23:59:59-01:00"), .boolean(true),
             date("1999-03-01"), ts("2024-03-31T12:00:00Z")],
            [.integer(8), .integer(-9), .integer(2), dec("7.77"), dec("0.5000"), .double(-2.675), .double(1.005), .text("Z"),
             .text("é"), .text("5"), .text("2024-12-31"), .text("2024-12-31T00:00:00.5"), .boolean(false),
             date("2024-12-31"), ts("2024-12-31T23:59:59Z")],
        ]
    }()
}
