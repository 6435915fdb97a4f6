import Foundation
import Testing

/// DECIMAL up to 38 digits (issue 21): values past 64 bits load into,
/// compute in and come back from the SQLite engine exactly (a DECIMAL of
/// more than 18 digits is a 16-byte BLOB there, Docs/sql.md), and a result
/// past 38 digits is an error at the expression that overflowed.
@Suite struct WideDecimalTests {
    /// A repository with `t` (a, b): b is inferred DECIMAL(38,1).
    func repository() -> Sandbox {
        let box = Sandbox()
        box.ok("init")
        box.write("t.csv", "a,b\n1,99999999999999999999999999999999999.5\n2,12.5\n3,-99999999999999999999999999999999999.5\n4,\n")
        box.ok("import", "t", "t.csv", "--key", "a")
        return box
    }

    @Test func thirtyEightDigitValuesImportOrderAndComputeExactly() {
        let box = repository()
        #expect(box.ok("schema", "t").contains("DECIMAL(38,1)"))
        let ordered = box.ok("sql", "--format", "csv", "SELECT a, b FROM t ORDER BY b NULLS FIRST")
        #expect(ordered == "a,b\n4,\n3,-99999999999999999999999999999999999.5\n2,12.5\n1,99999999999999999999999999999999999.5\n",
                "\(ordered)")
        let computed = box.ok("sql", "--format", "csv", """
            SELECT a, b + b AS twice, b - 12.5 AS less, -b AS negated, ABS(b) AS magnitude,
                   ROUND(b, 0) AS r0, TRUNC(b) AS t0, FLOOR(b) AS f0, CEIL(b) AS c0, b % 7 AS m7, SIGN(b) AS s,
                   CAST(b AS TEXT) AS text, CAST(b AS DOUBLE) AS d, b > 12.5 AS above
            FROM t WHERE a IN (1, 3) ORDER BY a
            """)
        #expect(computed == """
            a,twice,less,negated,magnitude,r0,t0,f0,c0,m7,s,text,d,above
            1,199999999999999999999999999999999999.0,99999999999999999999999999999999987.0,-99999999999999999999999999999999999.5,\
            99999999999999999999999999999999999.5,100000000000000000000000000000000000,\
            99999999999999999999999999999999999,99999999999999999999999999999999999,100000000000000000000000000000000000,4.5,1,\
            99999999999999999999999999999999999.5,1e+35,true
            3,-199999999999999999999999999999999999.0,-100000000000000000000000000000000012.0,99999999999999999999999999999999999.5,\
            99999999999999999999999999999999999.5,-100000000000000000000000000000000000,\
            -99999999999999999999999999999999999,-100000000000000000000000000000000000,-99999999999999999999999999999999999,-4.5,-1,\
            -99999999999999999999999999999999999.5,-1e+35,false

            """, "\(computed)")
        let aggregates = box.ok("sql", "--format", "csv", "SELECT SUM(b) AS s, MIN(b) AS lo, MAX(b) AS hi, AVG(b) AS mean, COUNT(DISTINCT b) AS n FROM t")
        #expect(aggregates == "s,lo,hi,mean,n\n12.5,-99999999999999999999999999999999999.5,99999999999999999999999999999999999.5,4.166667,3\n",
                "\(aggregates)")
    }

    @Test func aSumOfManyRowsPast64BitsIsExact() {
        let box = Sandbox()
        box.ok("init")
        // 3,000 values of DECIMAL(18,2) whose sum needs 20 digits (64 bits hold 18).
        let rows = (1...3000).map { "\($0),\($0 % 3 == 0 ? "-" : "")9999999999999999.99" }
        box.write("m.csv", "id,amount\n" + rows.joined(separator: "\n") + "\n")
        box.ok("import", "m", "m.csv", "--key", "id")
        // The CAST keeps the summed values in SQLite's 64-bit form; the sum itself is wide.
        let sums = box.ok("sql", "--format", "csv", """
            SELECT SUM(amount) AS s, SUM(ABS(CAST(amount AS DECIMAL(18,2)))) AS a, SUM(amount * 100) AS h,
                   AVG(ABS(CAST(amount AS DECIMAL(18,2)))) AS mean, SUM(amount) > 9223372036854775807 AS past FROM m
            """)
        #expect(sums == "s,a,h,mean,past\n9999999999999999990.00,29999999999999999970.00,999999999999999999000.00,9999999999999999.990000,true\n",
                "\(sums)")
        // Grouped and as a running total over a window.
        let grouped = box.ok("sql", "--format", "csv", """
            SELECT id % 2 AS parity, SUM(ABS(amount)) AS s FROM m GROUP BY id % 2 ORDER BY parity
            """)
        #expect(grouped == "parity,s\n0,14999999999999999985.00\n1,14999999999999999985.00\n", "\(grouped)")
        let running = box.ok("sql", "--format", "csv", """
            SELECT id, SUM(ABS(amount)) OVER (ORDER BY id ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS r FROM m
            WHERE id <= 1000 ORDER BY id DESC LIMIT 1
            """)
        #expect(running == "id,r\n1000,9999999999999999990.00\n", "\(running)")
    }

    @Test func aSumOfProductsPast64BitsIsExact() {
        let box = Sandbox()
        box.ok("init")
        // price DECIMAL(18,2) × qty INTEGER: most products and the sum need more than 64 bits.
        let rows = (1...3000).map { i in
            "\(i),\(i == 7 ? "" : (i % 3 == 0 ? "-" : "") + "9999999999999999.99"),\(i == 5 ? "" : String(i * 1_000_003))"
        }
        box.write("m.csv", "id,price,qty\n" + rows.joined(separator: "\n") + "\n")
        box.write("m.json", #"{"columns":[{"name":"id","type":"INTEGER"},{"name":"price","type":"DECIMAL(18,2)"},{"name":"qty","type":"INTEGER"}],"key":["id"]}"#)
        box.ok("import", "m", "m.csv", "--schema", "m.json")
        // The CAST sums the per-row wide products; the others sum the products in one step. All agree.
        let sums = box.ok("sql", "--format", "csv", """
            SELECT SUM(price * qty) AS s, SUM(qty * price) AS r, SUM(CAST(price * qty AS DECIMAL(38,2))) AS c,
                   AVG(price * qty) AS mean, SUM(price * 3) AS small FROM m WHERE id <> 4
            """)
        let total = "14984924954639999985015075045.36"
        let without4 = "14984884954519999985015115045.48"
        #expect(sums == "s,r,c,mean,small\n\(without4),\(without4),\(without4),4999961613119786448119824.840000,29939999999999999970.06\n",
                "\(sums)")
        let all = box.ok("sql", "--format", "csv", "SELECT SUM(price * qty) AS s FROM m")
        #expect(all == "s\n\(total)\n", "\(all)")
        // A sliding window frame removes products as it moves; NULL products are skipped.
        let window = box.ok("sql", "--format", "csv", """
            SELECT id, SUM(price * qty) OVER (ORDER BY id ROWS BETWEEN 2 PRECEDING AND CURRENT ROW) AS w FROM m ORDER BY id DESC LIMIT 1
            """)
        #expect(window == "id,w\n3000,29970089909999999970029910.09\n", "\(window)")
        let empty = box.ok("sql", "--format", "csv", "SELECT SUM(price * qty) AS s FROM m WHERE id IN (5, 7)")
        #expect(empty == "s\n\n", "\(empty)")
        // Past 38 digits the SUM is an error at the SUM, as before.
        box.write("big.csv", "id,price,qty\n" + (1...40).map { "\($0),9999999999999999.99,9223372036854775807" }.joined(separator: "\n") + "\n")
        box.ok("import", "big", "big.csv", "--schema", "m.json")
        let overflow = box.rocky("sql", "SELECT\n  SUM(price * qty) AS s FROM big")
        #expect(overflow.code == 1, "\(overflow)")
        #expect(overflow.err.contains("statement 1 (line 2, column 3): DECIMAL overflow: SUM has more than 38 digits"), "\(overflow)")
    }

    @Test func aDecimal38KeyJoinsGroupsAndUpdates() {
        let box = Sandbox()
        box.ok("init")
        box.write("k.csv", "k,v\n12345678901234567890123456789012345678,1\n-12345678901234567890123456789012345678,2\n7,3\n")
        box.write("l.csv", "k,label\n12345678901234567890123456789012345678,big\n7,small\n")
        box.ok("import", "k", "k.csv", "--key", "k")
        box.ok("import", "l", "l.csv", "--key", "k")
        #expect(box.ok("schema", "k").contains("DECIMAL(38,0)"))
        let joined = box.ok("sql", "--format", "csv", "SELECT k.k, k.v, l.label FROM k JOIN l ON l.k = k.k ORDER BY k.k")
        #expect(joined == "k,v,label\n7,3,small\n12345678901234567890123456789012345678,1,big\n", "\(joined)")
        box.ok("sql", "UPDATE k SET v = v * 10 WHERE k = 12345678901234567890123456789012345678")
        let grouped = box.ok("sql", "--format", "csv", "SELECT k > 0 AS positive, SUM(v) AS v, MAX(k) AS top FROM k GROUP BY k > 0 ORDER BY positive")
        #expect(grouped == "positive,v,top\nfalse,2,-12345678901234567890123456789012345678\ntrue,13,12345678901234567890123456789012345678\n",
                "\(grouped)")
        let distinct = box.ok("sql", "--format", "csv", "SELECT DISTINCT k * 0 + k AS k FROM k ORDER BY k DESC")
        #expect(distinct == "k\n12345678901234567890123456789012345678\n7\n-12345678901234567890123456789012345678\n", "\(distinct)")
    }

    @Test func anOverflowPast38DigitsIsAnErrorAtTheExpression() {
        let box = repository()
        let before = box.snapshot()
        let run = box.rocky("sql", "CREATE TABLE x AS\nSELECT a, b * 1000 AS x FROM t")
        #expect(run.code == 1, "\(run)")
        #expect(run.err.contains("statement 1 (line 2, column 11): DECIMAL overflow: the result has more than 38 digits"), "\(run)")
        #expect(run.err.contains("2 | SELECT a, b * 1000 AS x FROM t\n  |           ^"), "\(run)")
        #expect(!run.err.contains("line 1, column 1"), "\(run)")
        // The product of two DECIMAL(38,0) near 10^37, in JSON: the same error and position.
        let json = box.rocky("--json", "sql", "SELECT CAST(b AS DECIMAL(38,0)) * CAST(b AS DECIMAL(38,0)) AS sq FROM t")
        #expect(json.code == 1, "\(json)")
        let error = box.json(json)["error"] as? [String: Any]
        #expect(error?["code"] as? String == "execution_failed")
        #expect((error?["message"] as? String ?? "").hasPrefix("statement 1 (line 1, column 8): DECIMAL overflow"), "\(json)")
        // A SUM past 38 digits names the SUM.
        let sum = box.rocky("sql", "SELECT\n  SUM(x) AS s FROM (SELECT b * 90 AS x FROM t UNION ALL SELECT b * 90 FROM t) AS u WHERE x > 0")
        #expect(sum.code == 1, "\(sum)")
        #expect(sum.err.contains("statement 1 (line 2, column 3): DECIMAL overflow: SUM has more than 38 digits"), "\(sum)")
        // Nothing was written (the table cache is derived state).
        func kept(_ files: [String: Data]) -> [String: Data] { files.filter { !$0.key.hasPrefix("audit") && !$0.key.hasPrefix("cache") } }
        #expect(kept(box.snapshot()) == kept(before))
    }
}
