import Foundation
import Testing

/// SQL that Rocky knows and does not support is refused with E0102, naming
/// the construct, with the caret on it: never a generic "expected ';'" or
/// "unknown function".
@Suite struct UnsupportedSQLTests {
    /// (statement, the text the caret must point at, a word the message must name)
    static let cases: [(String, String, String)] = [
        ("SELECT SUM(quantity) OVER w AS s FROM trades WINDOW w AS (ORDER BY trade_id)", "w AS s", "named windows"),
        ("SELECT symbol, COUNT(*) AS n FROM trades GROUP BY GROUPING SETS ((symbol), ())", "GROUPING", "GROUPING SETS"),
        ("SELECT symbol, COUNT(*) AS n FROM trades GROUP BY ROLLUP (symbol)", "ROLLUP", "ROLLUP"),
        ("SELECT symbol, COUNT(*) AS n FROM trades GROUP BY CUBE (symbol)", "CUBE", "CUBE"),
        ("SELECT symbol, GROUPING(symbol) AS g FROM trades GROUP BY symbol", "GROUPING", "GROUPING()"),
        ("SELECT trade_id FROM trades WHERE (symbol, account_id) IN (SELECT symbol, account_id FROM positions)", "(symbol, account_id)", "row values"),
        ("SELECT LISTAGG(side, ',') AS s FROM trades", "LISTAGG", "LISTAGG"),
        ("SELECT MEDIAN(price) OVER (ORDER BY trade_id) AS s FROM trades", "MEDIAN", "MEDIAN"),
        ("SELECT TRUNC(risk_score, 2) AS t FROM positions", "TRUNC", "TRUNC of a DOUBLE"),
        ("SELECT TRUNC(fee / 3, 2) AS t FROM trades", "TRUNC", "TRUNC of a DECIMAL quotient"),
        ("SELECT executed_at - executed_at AS d FROM trades", "executed_at - executed_at", "TIMESTAMP - TIMESTAMP"),
        ("CREATE TABLE z AS SELECT 1 AS a RETURNING a", "RETURNING", "RETURNING"),
        ("CREATE TABLE z (a INTEGER DEFAULT 1)", "DEFAULT", "DEFAULT"),
        ("CREATE TABLE z (a INTEGER UNIQUE)", "UNIQUE", "UNIQUE"),
        ("CREATE TABLE z (a INTEGER, CHECK (a > 0))", "CHECK", "CHECK"),
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
        ("SELECT trade_id FROM trades WHERE is_algo IS UNKNOWN", "UNKNOWN", "IS UNKNOWN"),
        ("WITH RECURSIVE r(n) AS (SELECT 1) SELECT n FROM r", "RECURSIVE", "WITH RECURSIVE"),
        ("SELECT SUM(quantity) OVER (ORDER BY trade_id RANGE BETWEEN 1 PRECEDING AND CURRENT ROW) AS s FROM trades", "RANGE", "RANGE"),
        ("SELECT SUM(quantity) OVER (ORDER BY trade_id GROUPS BETWEEN 1 PRECEDING AND CURRENT ROW) AS s FROM trades", "GROUPS", "GROUPS"),
        ("SELECT LOWER(side) FILTER (WHERE side = 'buy') AS n FROM trades", "FILTER", "FILTER"),
        ("SELECT DISTINCT ON (symbol) symbol, trade_id FROM trades", "ON", "DISTINCT ON"),
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
}
