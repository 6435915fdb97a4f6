import RockyBase
import RockySQL
import RockyTable
import Testing
@testable import RockyEngine
@testable import RockyEngineSQLite

/// Where SQLite's own semantics used to leak through as silent wrong answers:
/// casts, scalar subqueries, case mapping, variance, DECIMAL quotients, and
/// SQL that compiled but failed in SQLite.
@Suite struct CheckedSemanticsTests {
    func workspace() throws -> Workspace {
        let w = try Workspace()
        try w.add("items", try Schema(named: [("id", .integer), ("code", .text), ("qty", .integer), ("x", .double)], key: ["id"]), [
            [.integer(1), .text("12"), .integer(10), .double(2.5)],
            [.integer(2), .text(" -7 "), .integer(20), .double(-2.5)],
            [.integer(3), .text("12abc"), .integer(33), .double(1e20)],
            [.integer(4), .text(""), .integer(1000), .double(0.4999)],
        ])
        return w
    }

    /// The message of the SQLite error `sql` fails with.
    func failure(_ w: Workspace, _ sql: String) throws -> String {
        do {
            _ = try w.query(sql)
        } catch let EngineError.backend(error) {
            return error.message
        }
        Issue.record("no error: \(sql)")
        return ""
    }

    // MARK: Casts

    @Test(arguments: [
        ("CAST('abc' AS INTEGER)", "invalid input for INTEGER: 'abc' (cast at line 1, column 8)"),
        ("CAST('12abc' AS INTEGER)", "invalid input for INTEGER: '12abc' (cast at line 1, column 8)"),
        ("CAST('' AS INTEGER)", "invalid input for INTEGER: '' (cast at line 1, column 8)"),
        ("CAST('3.7' AS INTEGER)", "invalid input for INTEGER: '3.7' (cast at line 1, column 8)"),
        ("CAST('9223372036854775808' AS INTEGER)", "'9223372036854775808' is out of range for INTEGER (cast at line 1, column 8)"),
        ("CAST(1e20 AS INTEGER)", "'1e+20' is out of range for INTEGER (cast at line 1, column 8)"),
        ("CAST(1e30 AS DECIMAL(10,2))", "'1e+30' does not fit DECIMAL(10,2) (cast at line 1, column 8)"),
        ("CAST(123456789.0e0 AS DECIMAL(10,2))", "'123456789.0' does not fit DECIMAL(10,2) (cast at line 1, column 8)"),
        ("CAST('yes please' AS BOOLEAN)", "invalid input for BOOLEAN: 'yes please' (cast at line 1, column 8)"),
        ("CAST('1,5' AS DOUBLE)", "invalid input for DOUBLE: '1,5' (cast at line 1, column 8)"),
        ("'x' || CAST('1 2' AS INTEGER)", "invalid input for INTEGER: '1 2' (cast at line 1, column 15)"),
    ])
    func aCastThatCannotRepresentTheValueFailsNamingItAndWhere(cast: String, message: String) throws {
        let w = try workspace()
        #expect(try failure(w, "SELECT \(cast) AS v") == "rocky_cast: " + message)
    }

    @Test func castsOfColumnsFailOnTheFirstBadRow() throws {
        let w = try workspace()
        #expect(try failure(w, "SELECT id,\n  CAST(code AS INTEGER) AS n FROM items") == "rocky_cast: invalid input for INTEGER: '12abc' (cast at line 2, column 3)")
        #expect(try failure(w, "SELECT CAST(x AS INTEGER) AS n FROM items") == "rocky_cast: '1e+20' is out of range for INTEGER (cast at line 1, column 8)")
        #expect(try failure(w, "SELECT CAST(code AS DATE) AS d FROM items WHERE id = 1")
                    == "rocky_from_text: '12' is not a date (YYYY-MM-DD) (cast at line 1, column 8)")
    }

    @Test func castsThatCanRepresentTheValue() throws {
        let w = try workspace()
        #expect(try w.query("SELECT CAST(code AS INTEGER) AS n FROM items WHERE id <= 2 ORDER BY id") == [[.integer(12)], [.integer(-7)]])
        // DOUBLE -> INTEGER and DECIMAL round half away from zero.
        #expect(try w.query("SELECT CAST(x AS INTEGER) AS n, CAST(x AS DECIMAL(5,0)) AS d FROM items WHERE id IN (1, 2, 4) ORDER BY id")
                    == [[.integer(3), dec("3")], [.integer(-3), dec("-3")], [.integer(0), dec("0")]])
        let spellings = ["true", "T", " yes ", "Y", "on", "1", "FALSE", "f", "No", "n", "OFF", "0"]
        let select = spellings.enumerated().map { "CAST('\($1)' AS BOOLEAN) AS b\($0)" }.joined(separator: ", ")
        #expect(try w.query("SELECT \(select)") == [spellings.indices.map { .boolean($0 < 6) }])
        #expect(try w.query("SELECT CAST(' +42 ' AS INTEGER) AS i, CAST('-1.5e3' AS DOUBLE) AS d, CAST('.5' AS DOUBLE) AS h, CAST('-Infinity' AS DOUBLE) AS m")
                    == [[.integer(42), .double(-1500), .double(0.5), .double(-.infinity)]])
        #expect(try w.query("SELECT CAST(NULL AS INTEGER) AS n, CAST(CAST(NULL AS TEXT) AS BOOLEAN) AS b") == [[.null, .null]])
    }

    // MARK: Scalar subqueries

    @Test func aScalarSubqueryOfSeveralRowsIsAnError() throws {
        let w = try workspace()
        #expect(try failure(w, "SELECT id, (SELECT qty FROM items) AS q FROM items")
                    == "more than one row returned by a subquery used as an expression (subquery at line 1, column 12)")
        // Correlated: only the rows whose subquery has several rows fail.
        #expect(try failure(w, "SELECT id, (SELECT i.qty FROM items i WHERE i.id >= o.id) AS q FROM items o")
                    == "more than one row returned by a subquery used as an expression (subquery at line 1, column 12)")
        #expect(try w.query("SELECT id, (SELECT i.qty FROM items i WHERE i.id = o.id + 1) AS q FROM items o ORDER BY id")
                    == [[.integer(1), .integer(20)], [.integer(2), .integer(33)], [.integer(3), .integer(1000)], [.integer(4), .null]])
        #expect(try w.query("SELECT (SELECT qty FROM items ORDER BY qty DESC LIMIT 1) AS a, (SELECT MAX(qty) FROM items) AS b")
                    == [[.integer(1000), .integer(1000)]])
    }

    // MARK: Text, variance, quotients

    @Test func upperAndLowerAreUnicodeAware() throws {
        let w = try workspace()
        #expect(try w.query("SELECT UPPER('héllo') AS u, LOWER('ÉCOLE Ωμέγα') AS l") == [[.text("HÉLLO"), .text("école ωμέγα")]])
    }

    @Test func varianceIsNumericallyStable() throws {
        let w = try workspace()
        // qty = 10, 20, 33, 1000: sample stddev 491.2593..., the same shifted by 1e9.
        let rows = try w.query("SELECT STDDEV(qty + 1000000000) AS s, STDDEV(qty) AS t, VAR_POP(qty + 1000000000) AS v, VARIANCE(qty) AS w FROM items")
        guard case let .double(s) = rows[0][0], case let .double(t) = rows[0][1], case let .double(v) = rows[0][2],
              case let .double(sv) = rows[0][3] else { Issue.record("\(rows)"); return }
        let values = [10.0, 20, 33, 1000]
        let mean = values.reduce(0, +) / 4
        let squares = values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +)
        #expect(abs(s - (squares / 3).squareRoot()) < 1e-9 && abs(t - s) < 1e-9)
        #expect(abs(v - squares / 4) < 1e-6 && abs(sv - squares / 3) < 1e-6)
        #expect(try w.query("SELECT STDDEV(qty) AS s, VAR_POP(qty) AS p FROM items WHERE id = 1") == [[.null, .double(0)]])
    }

    @Test func aQuotientIsRoundedOnce() throws {
        let w = try workspace()
        try w.add("fills", try Schema(named: [("id", .integer), ("price", .decimal(precision: 12, scale: 4)), ("qty", .integer)], key: ["id"]),
                  [[.integer(1), dec("197.0800"), .integer(100_001)], [.integer(2), dec("197.0900"), .integer(99_999)]])
        // The exact weighted average is 197.0849995.
        #expect(try w.query("SELECT ROUND(SUM(price * qty) / SUM(qty), 2) AS w, SUM(price * qty) / SUM(qty) AS q FROM fills")
                    == [[dec("197.08"), dec("197.085000")]])
        #expect(try w.query("SELECT CAST(SUM(price * qty) / SUM(qty) AS DECIMAL(10,3)) AS c, ROUND(AVG(price), 2) AS a FROM fills")
                    == [[dec("197.085"), dec("197.09")]])
        // (b - a) / a * 100 for a = 3, b = 4: 33.333333 (the quotient rounded first gave 33.333300).
        #expect(try w.query("SELECT (CAST(4 AS DECIMAL(5,2)) - CAST(3 AS DECIMAL(5,2))) / CAST(3 AS DECIMAL(5,2)) * 100 AS pct")
                    == [[dec("33.333333")]])
    }

    // MARK: What compiles runs

    @Test func constructsThatUsedToFailInSQLite() throws {
        let w = try workspace()
        #expect(try w.query("SELECT y, x FROM (VALUES (1, 'a'), (2, 'b')) AS v(x, y) ORDER BY x") == [[.text("a"), .integer(1)], [.text("b"), .integer(2)]])
        #expect(try w.query("WITH items AS (SELECT * FROM items WHERE qty > 15) SELECT COUNT(*) AS n FROM items") == [[.integer(3)]])
        #expect(try w.query("WITH items AS (SELECT id FROM items WHERE qty > 15) SELECT i.id FROM items AS i ORDER BY i.id")
                    == [[.integer(2)], [.integer(3)], [.integer(4)]])
        #expect(try w.query("SELECT x FROM (VALUES (1), (1), (1), (2)) AS a(x) EXCEPT ALL SELECT x FROM (VALUES (1), (3)) AS b(x) ORDER BY x")
                    == [[.integer(1)], [.integer(1)], [.integer(2)]])
        #expect(try w.query("SELECT x FROM (VALUES (1), (1), (1), (2)) AS a(x) INTERSECT ALL SELECT x FROM (VALUES (1), (1), (3)) AS b(x) ORDER BY x")
                    == [[.integer(1)], [.integer(1)]])
    }
}
