import Foundation
import Testing

/// The expression features of issue 21, item 2, as a user runs them: LIKE
/// ... ESCAPE, STRING_AGG with its defined order, and CURRENT_DATE /
/// CURRENT_TIMESTAMP bound to the transformation's recorded time (the
/// corpus compares many more answers with DuckDB and PostgreSQL).
@Suite struct SQLExpressionTests {
    @Test func likeEscapeMakesTheWildcardAfterItLiteral() {
        let box = Sandbox()
        box.ok("init")
        let run = box.ok("sql", "--format", "csv", """
            SELECT x, x LIKE '50!%' ESCAPE '!' AS exact, x LIKE '50%' AS prefix, x NOT LIKE 'a\\_%' ESCAPE '\\' AS other
            FROM (VALUES ('50%'), ('500'), ('a_b'), ('ab')) AS v(x) ORDER BY x
            """)
        #expect(run == "x,exact,prefix,other\n50%,true,true,true\n500,false,true,true\na_b,false,false,false\nab,false,false,true\n", "\(run)")
    }

    @Test func aBadEscapeIsACompileErrorWithACaret() {
        let box = Sandbox()
        box.ok("init")
        let before = box.snapshot()
        for (sql, code, word) in [
            ("SELECT 'a' LIKE 'a' ESCAPE '!!' AS m", "E0104", "one character"),
            ("SELECT 'a' LIKE 'a!' ESCAPE '!' AS m", "E0104", "must not end with its escape"),
            ("SELECT 'a' LIKE 'a' ESCAPE 'x' || 'y' AS m", "E0311", "string literal"),
        ] {
            let run = box.rocky("--json", "check", "-e", sql)
            #expect(run.code == 1, "\(sql)\n\(run)")
            let first = (box.json(run)["diagnostics"] as? [[String: Any]])?.first
            #expect(first?["code"] as? String == code, "\(sql): \(first ?? [:])")
            #expect((first?["message"] as? String ?? "").contains(word), "\(sql): \(first ?? [:])")
        }
        #expect(box.snapshot().filter { !$0.key.hasPrefix("audit") } == before.filter { !$0.key.hasPrefix("audit") })
    }

    @Test func stringAggJoinsInItsOrderAndByTheValueWithoutOne() {
        let box = Sandbox()
        box.loadFixtures()
        let ordered = box.ok("sql", "--format", "csv", """
            SELECT STRING_AGG(x, ',' ORDER BY k DESC) AS a, STRING_AGG(x, ',') AS b, STRING_AGG(x, '' ORDER BY k NULLS FIRST) AS c,
                   STRING_AGG(DISTINCT x, '|') AS d, STRING_AGG(DISTINCT x, '|' ORDER BY x DESC) AS e
            FROM (VALUES ('b', 1), ('a', 2), (NULL, 3), ('c', NULL), ('a', 1)) AS v(x, k)
            """)
        // Ties of the order (k = 1) are broken by the value.
        #expect(ordered == "a,b,c,d,e\n\"c,a,a,b\",\"a,a,b,c\",caba,a|b|c,c|b|a\n", "\(ordered)")
        let none = box.ok("sql", "--format", "json", "SELECT STRING_AGG(symbol, ',') AS s FROM positions WHERE symbol = 'none'")
        #expect(none.contains("null"), "no values: NULL\n\(none)")
        let grouped = box.ok("sql", "--format", "csv", """
            SELECT account_id, STRING_AGG(symbol, ' ' ORDER BY quantity DESC) AS s FROM positions
            WHERE account_id = 'ACC-1001' GROUP BY account_id
            """)
        #expect(grouped.hasPrefix("account_id,s\nACC-1001,"), "\(grouped)")
        for (sql, code) in [
            ("SELECT STRING_AGG(symbol, ',') OVER () AS s FROM positions", "E0102"),
            ("SELECT STRING_AGG(symbol, symbol) AS s FROM positions", "E0311"),
            ("SELECT STRING_AGG(quantity, ',') AS s FROM positions", "E0301"),
            ("SELECT STRING_AGG(DISTINCT symbol, ',' ORDER BY quantity) AS s FROM positions", "E0102"),
            ("SELECT STRING_AGG(symbol, ',' ORDER BY symbol) OVER (PARTITION BY account_id) AS s FROM positions", "E0102"),
            ("SELECT SUM(quantity ORDER BY symbol) AS s FROM positions", "E0102"),
        ] {
            let run = box.rocky("--json", "check", "-e", sql)
            #expect(run.code == 1, "\(sql)\n\(run)")
            #expect((box.json(run)["diagnostics"] as? [[String: Any]])?.first?["code"] as? String == code, "\(sql)\n\(run)")
        }
    }

    /// A TIMESTAMP difference compared with an interval of fixed length runs
    /// (as `a > b + interval`); with months, or as a value, it is E0102.
    @Test func aTimestampDifferenceComparedWithAnIntervalRuns() {
        let box = Sandbox()
        box.ok("init")
        let run = box.ok("sql", "--format", "csv", """
            SELECT t, t - TIMESTAMP '2026-05-01 00:00:00' >= INTERVAL '1 day 2 hours' AS late,
                   INTERVAL '30 minutes' > t - DATE '2026-05-02' AS early
            FROM (VALUES (TIMESTAMP '2026-05-02 02:00:00'), (TIMESTAMP '2026-05-02 00:10:00')) AS v(t) ORDER BY t
            """)
        #expect(run == "t,late,early\n2026-05-02T00:10:00Z,false,true\n2026-05-02T02:00:00Z,true,false\n", "\(run)")
        for sql in ["SELECT TIMESTAMP '2026-05-02 00:00:00' - TIMESTAMP '2026-05-01 00:00:00' > INTERVAL '1 month' AS m",
                    "SELECT TIMESTAMP '2026-05-02 00:00:00' - TIMESTAMP '2026-05-01 00:00:00' AS d"] {
            let check = box.rocky("--json", "check", "-e", sql)
            #expect((box.json(check)["diagnostics"] as? [[String: Any]])?.first?["code"] as? String == "E0102", "\(sql)\n\(check)")
        }
    }

    static let pairs = """
        (VALUES (1, TIMESTAMP '2026-05-03 04:05:06.5', TIMESTAMP '2026-05-01 00:00:00'),
                (2, TIMESTAMP '2026-05-01 00:00:00', TIMESTAMP '2026-05-03 04:05:06.5')) AS v(id, a, b)
        """

    /// TIMESTAMP - TIMESTAMP is an interval while compiling: EXTRACT gives
    /// PostgreSQL's parts of it (days and time of one sign, seconds with the
    /// fraction), it moves a TIMESTAMP, adds, multiplies by an INTEGER,
    /// compares and sorts.
    @Test func aTimestampDifferenceIsAnIntervalForExtractArithmeticComparisonAndOrder() {
        let box = Sandbox()
        box.ok("init")
        let parts = box.ok("sql", "--format", "csv", """
            SELECT id, EXTRACT(EPOCH FROM a - b) AS e, EXTRACT(DAY FROM a - b) AS d, EXTRACT(HOUR FROM a - b) AS h,
                   EXTRACT(MINUTE FROM a - b) AS m, EXTRACT(SECOND FROM a - b) AS s, b + (a - b) = a AS back,
                   a - b > INTERVAL '2 days' AS long, a - b BETWEEN b - a AND INTERVAL '3 days' AS within
            FROM \(Self.pairs) ORDER BY a - b
            """)
        #expect(parts == """
            id,e,d,h,m,s,back,long,within
            2,-187506.500000,-2,-4,-5,-6.500000,true,false,false
            1,187506.500000,2,4,5,6.500000,true,true,true

            """, "\(parts)")
        let sums = box.ok("sql", "--format", "csv", """
            SELECT EXTRACT(EPOCH FROM (a - b) + (a - b) * 2 - INTERVAL '1 day') AS e, a + (a - b) AS later,
                   DATE '2026-05-01' + (a - b) AS from_date, a - (a - b) = b AS undone
            FROM \(Self.pairs) WHERE id = 1
            """)
        #expect(sums == "e,later,from_date,undone\n476119.500000,2026-05-05T08:10:13Z,2026-05-03T04:05:06.500000Z,true\n", "\(sums)")
    }

    /// An interval is never a result value (Rocky stores no INTERVAL): E0102
    /// with the caret on it and a hint naming EXTRACT(EPOCH FROM ...); so
    /// are the interval operations PostgreSQL does not compute exactly.
    @Test func anIntervalAsAResultColumnOrAnInexactOperationIsE0102() {
        let box = Sandbox()
        box.ok("init")
        box.ok("sql", "SELECT 1 AS x")  // (the first command lays out the object store)
        let before = box.snapshot()
        let run = box.rocky("sql", "CREATE TABLE z AS SELECT id, a - b AS d FROM \(Self.pairs)", "-m", "z")
        #expect(run.code == 1, "\(run)")
        #expect(run.err.contains("E0102") && run.err.contains("TIMESTAMP - TIMESTAMP") && run.err.contains("EXTRACT(EPOCH FROM ...)"), "\(run)")
        #expect(run.err.contains("^~~~~"), "a caret under a - b: \(run)")
        #expect(box.snapshot().filter { !$0.key.hasPrefix("audit") } == before.filter { !$0.key.hasPrefix("audit") })
        for (sql, word) in [
            ("SELECT a - b AS d FROM \(Self.pairs)", "TIMESTAMP - TIMESTAMP"),
            ("SELECT -(a - b) AS d FROM \(Self.pairs)", "TIMESTAMP - TIMESTAMP"),
            ("SELECT EXTRACT(HOUR FROM (a - b) + (a - b)) AS h FROM \(Self.pairs)", "of a sum"),
            ("SELECT EXTRACT(YEAR FROM a - b) AS y FROM \(Self.pairs)", "of an interval"),
            ("SELECT EXTRACT(EPOCH FROM (a - b) / 2) AS e FROM \(Self.pairs)", "dividing an interval"),
            ("SELECT EXTRACT(EPOCH FROM (a - b) * 1.5) AS e FROM \(Self.pairs)", "only times an INTEGER"),
            ("SELECT EXTRACT(EPOCH FROM (a - b) + INTERVAL '1 month') AS e FROM \(Self.pairs)", "months"),
        ] {
            let check = box.rocky("--json", "check", "-e", sql)
            let first = (box.json(check)["diagnostics"] as? [[String: Any]])?.first
            #expect(first?["code"] as? String == "E0102", "\(sql)\n\(check)")
            #expect((first?["message"] as? String ?? "").contains(word), "\(sql): \(first ?? [:])")
        }
    }

    /// CURRENT_DATE and CURRENT_TIMESTAMP are the transformation's time
    /// (ROCKY_COMMIT_TIME here), recorded with it: a replay long after gives
    /// the same values and so the same table.
    @Test func currentDateAndTimestampAreTheRecordedTimeAndAReplayReproducesThem() {
        let box = Sandbox()
        box.ok("init")
        box.write("t.csv", "id,ts,v\n1,2026-05-01T00:00:00Z,1\n2,2026-05-02T00:00:00Z,2\n")
        let early = ["ROCKY_COMMIT_TIME": "2026-05-03T10:00:00Z"]
        box.rocky(["import", "t", "t.csv", "--key", "id", "--time-column", "ts"], env: early)
        box.rocky(["commit", "-m", "t"], env: early)
        box.rocky(["checkout", "-b", "agent/clock"], env: early)
        let then = ["ROCKY_COMMIT_TIME": "2026-05-04T11:22:33.5Z"]
        let made = box.rocky(["sql", "CREATE TABLE stamped AS SELECT id, CURRENT_DATE AS d, CURRENT_TIMESTAMP AS at, CURRENT_DATE - 1 AS y FROM t",
                              "-m", "stamped"], env: then)
        #expect(made.code == 0, "\(made)")
        #expect(box.ok("sql", "--format", "csv", "SELECT * FROM stamped ORDER BY id")
                == "id,d,at,y\n1,2026-05-04,2026-05-04T11:22:33.500000Z,2026-05-03\n2,2026-05-04,2026-05-04T11:22:33.500000Z,2026-05-03\n")
        let later = ["ROCKY_COMMIT_TIME": "2026-09-01T00:00:00Z"]
        let verify = box.rocky(["replay", "agent/clock", "--verify", "--json"], env: later)
        #expect(verify.code == 0, "\(verify)")
        #expect(box.json(verify)["outcome"] as? String == "bit_exact", "\(verify)")
        let replay = box.rocky(["replay", "agent/clock", "--at", "2026-05-05T00:00:00Z", "--name", "again"], env: later)
        #expect(replay.code == 0, "\(replay)")
        #expect(box.tableID("stamped", at: "again") != nil)
        #expect(box.tableID("stamped", at: "again") == box.tableID("stamped", at: "agent/clock"), "the same table id")
        // A new statement reads the time it runs at.
        let now = box.rocky(["sql", "--format", "csv", "SELECT CURRENT_DATE AS d"], env: later)
        #expect(now.out == "d\n2026-09-01\n", "\(now)")
    }
}

/// UPDATE ... FROM: the target's rows that the WHERE matches with the other
/// relations take values computed from them; a row that would match several
/// is an error (its new value would depend on row order), and the
/// repository is unchanged.
@Suite struct UpdateFromTests {
    func box() -> Sandbox {
        let box = Sandbox()
        box.ok("init")
        box.ok("sql", "-m", "tables", """
            CREATE TABLE book (id INTEGER PRIMARY KEY, px DECIMAL(10,2), note TEXT);
            INSERT INTO book VALUES (1, 10.00, 'a'), (2, 20.00, 'b'), (3, 30.00, 'c');
            CREATE TABLE marks (id INTEGER, px DECIMAL(10,2), src TEXT);
            INSERT INTO marks VALUES (1, 11.50, 'x'), (3, 29.25, 'y'), (4, 1.00, 'z')
            """)
        return box
    }

    @Test func matchedRowsTakeTheValuesOfTheirMatch() {
        let box = box()
        box.ok("sql", "-m", "marks", "UPDATE book AS b SET px = m.px, note = b.note || '/' || m.src FROM marks m WHERE m.id = b.id")
        #expect(box.ok("sql", "--format", "csv", "SELECT * FROM book ORDER BY id") == "id,px,note\n1,11.50,a/x\n2,20.00,b\n3,29.25,c/y\n")
        // A join and a filter in the FROM and WHERE.
        box.ok("sql", "-m", "again", """
            UPDATE book SET px = book.px + s.px FROM marks s JOIN marks t ON s.id = t.id WHERE s.id = book.id AND t.src = 'y'
            """)
        #expect(box.ok("sql", "--format", "csv", "SELECT id, px FROM book ORDER BY id") == "id,px\n1,11.50\n2,20.00\n3,58.50\n")
    }

    @Test func aRowMatchingSeveralRowsIsAnErrorAndNothingChanges() {
        let box = box()
        box.ok("sql", "-m", "dup", "INSERT INTO marks VALUES (2, 21.00, 'p'), (2, 22.00, 'q')")
        let before = box.snapshot().filter { !$0.key.hasPrefix("audit") && !$0.key.hasPrefix("cache") && !$0.key.hasPrefix("tmp") }
        let run = box.rocky("sql", "-m", "bad", "UPDATE book SET px = marks.px FROM marks WHERE marks.id = book.id")
        #expect(run.code == 1, "\(run)")
        #expect(run.err.contains("more than one row"), "\(run)")
        #expect(box.snapshot().filter { !$0.key.hasPrefix("audit") && !$0.key.hasPrefix("cache") && !$0.key.hasPrefix("tmp") } == before)
        #expect(box.ok("sql", "--format", "csv", "SELECT px FROM book WHERE id = 2") == "px\n20.00\n")
    }

    @Test func everyDialectEmitsIt() {
        let box = box()
        let sql = "UPDATE book SET px = m.px FROM marks m WHERE m.id = book.id"
        let pg = box.ok("check", "--emit", "--dialect", "postgres", "-e", sql)
        #expect(pg.contains("UPDATE \"book\" SET \"px\" = ") && pg.contains(" FROM \"marks\" AS \"m\" WHERE "), "\(pg)")
        let duck = box.ok("check", "--emit", "--dialect", "duckdb", "-e", sql)
        #expect(duck.contains(" FROM \"marks\" AS \"m\" WHERE "), "\(duck)")
        let spark = box.ok("check", "--emit", "--dialect", "databricks", "-e", sql)
        #expect(spark.contains("MERGE INTO `book` USING `marks` AS `m` ON ") && spark.contains("WHEN MATCHED THEN UPDATE SET `px` = "), "\(spark)")
    }
}

/// INSERT, UPDATE and DELETE ... RETURNING: the rows written (or deleted)
/// are the statement's result rows, masked in a masking environment.
@Suite struct ReturningTests {
    @Test func theRowsWrittenAreTheResult() {
        let box = Sandbox()
        box.ok("init")
        box.ok("sql", "-m", "t", "CREATE TABLE book (id INTEGER PRIMARY KEY, px DECIMAL(10,2), note TEXT)")
        let inserted = box.ok("sql", "--format", "csv", "-m", "ins",
                              "INSERT INTO book (id, px) VALUES (1, 10.5), (2, 20) RETURNING id, px * 2 AS twice, note")
        #expect(inserted == "id,twice,note\n1,21.00,\n2,40.00,\n", "\(inserted)")
        let updated = box.ok("sql", "--format", "csv", "-m", "upd", "UPDATE book b SET px = b.px + 1, note = 'x' WHERE b.id = 2 RETURNING *")
        #expect(updated == "id,px,note\n2,21.00,x\n", "\(updated)")
        let deleted = box.ok("sql", "--format", "csv", "-m", "del", "DELETE FROM book WHERE id = 1 RETURNING book.id, px")
        #expect(deleted == "id,px\n1,10.50\n", "\(deleted)")
        #expect(box.ok("sql", "--format", "csv", "SELECT * FROM book") == "id,px,note\n2,21.00,x\n")
        let none = box.ok("sql", "--format", "csv", "-m", "none", "DELETE FROM book WHERE id = 9 RETURNING id")
        #expect(none == "id\n", "\(none)")
        // A failing statement returns nothing and changes nothing.
        let dup = box.rocky("sql", "--format", "csv", "-m", "dup", "INSERT INTO book VALUES (2, 1, 'y') RETURNING id")
        #expect(dup.code != 0 && !dup.out.contains("id\n2"), "\(dup)")
        #expect(box.ok("sql", "--format", "csv", "SELECT * FROM book") == "id,px,note\n2,21.00,x\n")
        for (sql, code) in [
            ("DELETE FROM book RETURNING COUNT(*) AS n", "E0402"),
            ("DELETE FROM book RETURNING nope", "E0202"),
            ("CREATE TABLE z AS SELECT 1 AS a RETURNING a", "E0102"),
        ] {
            let run = box.rocky("--json", "check", "-e", sql)
            #expect(run.code == 1, "\(sql)\n\(run)")
            #expect((box.json(run)["diagnostics"] as? [[String: Any]])?.first?["code"] as? String == code, "\(sql)\n\(run)")
        }
    }
}

extension ReturningTests {
    /// In prod, RETURNING shows a classified column masked, as a SELECT of
    /// the table would; dev shows the value.
    @Test func returnedValuesAreMaskedInAMaskingEnvironment() {
        let box = Sandbox()
        box.loadFixtures()
        box.write("rocky.toml", "[environments.dev]\n[environments.prod.masking]\npii = \"hash\"\n")
        box.ok("classify", "customers.email", "pii")
        let dev = box.rocky(["sql", "--format", "csv", "UPDATE customers SET segment = 'x' WHERE customer_id = 1 RETURNING email, segment"])
        #expect(dev.out == "email,segment\nemma.johnson@example.com,x\n", "\(dev)")
        let prod = box.rocky(["--env", "prod", "sql", "--format", "csv",
                              "DELETE FROM customers WHERE customer_id = 2 RETURNING customer_id, email"])
        #expect(prod.code == 0, "\(prod)")
        let masked = box.rocky(["--env", "prod", "sql", "--format", "csv", "SELECT email FROM customers WHERE customer_id = 1"])
        #expect(!prod.out.contains("@example.com") && prod.out.hasPrefix("customer_id,email\n2,"), "\(prod)")
        #expect(masked.out.split(separator: "\n").count == 2, "\(masked)")
    }
}
