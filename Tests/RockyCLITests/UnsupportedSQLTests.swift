import Foundation
import Testing

/// SQL that Rocky knows and does not support is refused with E0102, naming
/// the construct, with the caret on it: never a generic "expected ';'" or
/// "unknown function".
@Suite struct UnsupportedSQLTests {
    /// (statement, the text the caret must point at, a word the message must name)
    static let cases: [(String, String, String)] = [
        ("SELECT trade_id FROM trades WHERE (symbol, account_id) IN (SELECT symbol, account_id FROM positions)", "(symbol, account_id)", "row values"),
        ("SELECT LISTAGG(side, ',') AS s FROM trades", "LISTAGG", "LISTAGG"),
        ("SELECT MEDIAN(price) OVER (ORDER BY trade_id) AS s FROM trades", "MEDIAN", "MEDIAN"),
        ("SELECT TRUNC(risk_score, 2) AS t FROM positions", "TRUNC", "TRUNC of a DOUBLE"),
        ("SELECT TRUNC(fee / 3, 2) AS t FROM trades", "TRUNC", "TRUNC of a DECIMAL quotient"),
        ("SELECT executed_at - executed_at AS d FROM trades", "executed_at - executed_at", "TIMESTAMP - TIMESTAMP"),
        ("CREATE TABLE z AS SELECT 1 AS a RETURNING a", "RETURNING", "RETURNING"),
        ("CREATE TABLE z (a INTEGER REFERENCES trades)", "REFERENCES", "REFERENCES"),
        ("CREATE TABLE z (a INTEGER, FOREIGN KEY (a) REFERENCES trades (trade_id))", "FOREIGN", "FOREIGN KEY"),
        ("ALTER TABLE trades ADD COLUMN z INTEGER DEFAULT 1", "1", "DEFAULT"),
        ("ALTER TABLE trades ADD COLUMN z INTEGER CHECK (z > 0)", "CHECK", "CHECK"),
        ("ALTER TABLE trades ADD CONSTRAINT k UNIQUE (side)", "CONSTRAINT", "ADD CONSTRAINT"),
        ("ALTER TABLE trades DROP CONSTRAINT k", "CONSTRAINT", "DROP CONSTRAINT"),
        ("SELECT LOCALTIMESTAMP AS d", "LOCALTIMESTAMP", "LOCALTIMESTAMP"),
        ("SELECT NOW() AS t", "NOW", "NOW()"),
        ("SELECT trade_id FROM trades WHERE side ILIKE 'B%' AND quantity > 1", "ILIKE", "ILIKE"),
        ("SELECT trade_id FROM trades WHERE (side NOT ILIKE 'B%')", "ILIKE", "NOT ILIKE"),
        ("SELECT trade_id FROM trades WHERE side SIMILAR TO 'b%'", "SIMILAR", "SIMILAR TO"),
        ("SELECT trade_id FROM trades WHERE quantity > ANY (SELECT quantity FROM positions)", "ANY", "ANY"),
        ("SELECT trade_id FROM trades WHERE quantity >= ALL (SELECT quantity FROM positions)", "ALL", "ALL"),
        ("SELECT trade_id FROM trades FOR UPDATE", "FOR", "FOR UPDATE"),
        ("SELECT trade_id FROM trades t TABLESAMPLE BERNOULLI (10)", "TABLESAMPLE", "TABLESAMPLE"),
        ("SELECT trade_id FROM trades ORDER BY side COLLATE \"C\"", "COLLATE", "COLLATE"),
        ("SELECT x FROM trades, LATERAL (SELECT trade_id AS x) l", "LATERAL", "LATERAL"),
        ("SELECT trade_id FROM trades ORDER BY quantity FETCH FIRST 3 ROWS WITH TIES", "WITH", "WITH TIES"),
        ("TRUNCATE trades", "TRUNCATE", "TRUNCATE"),
        // The shapes of issue 21's query features that stay refused.
        ("SELECT SUM(quantity) OVER (ORDER BY executed_at RANGE BETWEEN INTERVAL '1' MONTH PRECEDING AND CURRENT ROW) AS s FROM trades",
         "INTERVAL '1' MONTH", "RANGE offset of months"),
        ("SELECT SUM(quantity) OVER (ORDER BY trade_id ROWS 1 PRECEDING EXCLUDE TIES) AS s FROM trades", "EXCLUDE", "EXCLUDE"),
        ("SELECT DISTINCT ON (symbol) symbol FROM trades ORDER BY trade_id", "trade_id", "DISTINCT ON"),
        ("SELECT symbol, RANK() OVER (ORDER BY symbol) AS r FROM trades GROUP BY ROLLUP (symbol)", "RANK()", "GROUPING SETS"),
        ("WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT COUNT(*) FROM r) SELECT n FROM r", "SELECT COUNT(*)", "recursive part"),
        ("WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 0.5 FROM r WHERE n < 3) SELECT n FROM r", "n + 0.5", "recursive part"),
        ("SELECT trade_id FROM trades WHERE is_algo IS UNKNOWN", "UNKNOWN", "IS UNKNOWN"),
        ("SELECT LOWER(side) FILTER (WHERE side = 'buy') AS n FROM trades", "FILTER", "FILTER"),
    ]

    @Test func unsupportedConstructsAreE0102WithTheConstructNamedAndACaret() throws {
        let box = Sandbox()
        box.loadFixtures()
        let before = box.snapshot()
        for (sql, at, word) in Self.cases {
            let run = box.rocky("--json", "check", "-e", sql)
            #expect(run.code == 1, "\(sql)\n\(run)")
            let diagnostics = (box.json(run)["diagnostics"] as? [[String: Any]]) ?? []
            guard let first = diagnostics.first else {
                Issue.record("no diagnostic for \(sql)\n\(run)")
                continue
            }
            let message = first["message"] as? String ?? ""
            #expect(first["code"] as? String == "E0102", "\(sql): \(message)")
            #expect(message.contains(word), "\(sql): \(message)")
            let column = sql.utf8.distance(from: sql.startIndex, to: sql.range(of: at)!.lowerBound) + 1
            #expect(first["column"] as? Int == column, "\(sql): caret at column \(first["column"] ?? "?"), expected \(column) ('\(at)')")
            #expect((first["rendered"] as? String ?? "").contains("^"), "\(sql)")
        }
        // The text form: the code, the construct, the caret under it.
        let text = box.rocky("check", "-e", "SELECT trade_id FROM trades WHERE side ILIKE 'b%'")
        #expect(text.code == 1 && text.out.contains("error[E0102]: ILIKE is not supported"), "\(text)")
        #expect(text.out.contains(" --> <command line>:1:40\n") && text.out.contains("|                                        ^~~~~\n"), "\(text)")
        #expect(!box.rocky("sql", "SELECT trade_id FROM trades FOR UPDATE").err.contains("expected ';'"))
        #expect(box.snapshot().filter { !$0.key.hasPrefix("cache") && !$0.key.hasPrefix("tmp") && $0.key != "audit.log" && $0.key != "audit.head" }
                == before.filter { !$0.key.hasPrefix("cache") && !$0.key.hasPrefix("tmp") && $0.key != "audit.log" && $0.key != "audit.head" })
    }

    /// The constructs of issue 21 that are now supported run, with the
    /// answers PostgreSQL gives (the corpus compares many more).
    @Test func newlySupportedConstructsRun() {
        let box = Sandbox()
        box.loadFixtures()
        let run = box.ok("sql", "--format", "csv", """
            SELECT NULL IS DISTINCT FROM 1 AS a, NULL IS NOT DISTINCT FROM NULL AS b, 2 IS DISTINCT FROM 2 AS c,
                   CAST(NULL AS BOOLEAN) IS NOT TRUE AS d, FALSE IS FALSE AS e, MOD(-7, 3) AS f, 7.5 % 2 AS g,
                   SIGN(-2.5) AS h, REPLACE('a-b-c', '-', '') AS i, LTRIM('  x') || RTRIM('y  ') AS j, LOG10(1000) AS k,
                   POSITION('é' IN 'José') AS l, GREATEST(1, NULL, 2.5) AS m, LEAST(NULL, 'b', 'a') AS n
            """)
        #expect(run == "a,b,c,d,e,f,g,h,i,j,k,l,m,n\ntrue,true,false,true,true,-1,1.5,-1,abc,xy,3.0,4,2.5,a\n", "\(run)")
        let fetch = box.ok("sql", "--format", "csv", "SELECT trade_id FROM trades ORDER BY trade_id OFFSET 2 ROWS FETCH NEXT 2 ROWS ONLY")
        #expect(fetch == "trade_id\n3\n4\n")
    }

    /// Named windows, QUALIFY, DISTINCT ON, ROLLUP with GROUPING(), RANGE
    /// and GROUPS frames and WITH RECURSIVE run in the SQLite engine with
    /// PostgreSQL's answers (the corpus compares many more).
    @Test func queryShapesRun() {
        let box = Sandbox()
        box.loadFixtures()
        let csv = { (sql: String) in box.ok("sql", "--format", "csv", sql) }
        #expect(csv("""
            WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 5),
                 t(k, v) AS (SELECT i % 2, i FROM n)
            SELECT k, SUM(v) AS s, GROUPING(k) AS g FROM t GROUP BY ROLLUP (k) ORDER BY k NULLS LAST
            """) == "k,s,g\n0,6,0\n1,9,0\n,15,1\n")
        #expect(csv("""
            WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 6)
            SELECT i, SUM(i) OVER w AS r, COUNT(*) OVER (ORDER BY i / 3 GROUPS BETWEEN 1 PRECEDING AND CURRENT ROW) AS g
            FROM n WINDOW w AS (ORDER BY i RANGE BETWEEN 1 PRECEDING AND 1 FOLLOWING) QUALIFY r > 6 ORDER BY i
            """) == "i,r,g\n3,9,5\n4,12,5\n5,15,5\n6,11,4\n")
        #expect(csv("SELECT DISTINCT ON (symbol) symbol, trade_id FROM trades ORDER BY symbol, quantity DESC, trade_id LIMIT 2")
                .hasPrefix("symbol,trade_id\n"))
        // A recursion that does not end stops with an error, not a hung or exhausted machine.
        let runaway = box.rocky("sql", "WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM r) SELECT COUNT(*) AS n FROM r")
        #expect(runaway.code == 1 && runaway.err.contains("WITH RECURSIVE 'r' produced more than 1000000 rows"), "\(runaway)")
    }
}
