import Foundation
import Testing

@Suite struct ExecutionCommandTests {
    @Test func everyStatementKindThroughTheCLI() {
        let box = Sandbox()
        box.loadFixtures()
        box.ok("sql", "CREATE TABLE watch (symbol TEXT NOT NULL, note TEXT, PRIMARY KEY (symbol))")
        box.ok("sql", "INSERT INTO watch VALUES ('AAPL', 'core'), ('JPM', NULL)")
        box.ok("sql", "INSERT INTO watch SELECT DISTINCT symbol, 'all' FROM prices WHERE symbol = 'XOM'")
        box.ok("sql", "UPDATE watch SET note = 'bank' WHERE symbol = 'JPM'")
        box.ok("sql", "DELETE FROM watch WHERE symbol = 'AAPL'")
        box.ok("sql", "ALTER TABLE watch ADD COLUMN weight DECIMAL(5,2)")
        box.ok("sql", "ALTER TABLE watch RENAME COLUMN note TO label")
        #expect(box.ok("export", "watch") == "symbol,label,weight\nJPM,bank,\nXOM,all,\n")
        box.ok("sql", "ALTER TABLE watch DROP COLUMN weight")
        box.ok("sql", "CREATE OR REPLACE TABLE watch AS SELECT symbol, label FROM watch WHERE symbol = 'JPM'")
        #expect(box.ok("export", "watch") == "symbol,label\nJPM,bank\n")
        let select = box.ok("sql", "SELECT symbol, label FROM watch")
        #expect(select.contains("JPM") && select.contains("(1 row)"))
        #expect(box.ok("sql", "SELECT symbol FROM watch", "--format", "csv") == "symbol\nJPM\n")
        box.ok("sql", "DROP TABLE watch")
        #expect(box.rocky("schema", "watch").code == 1)
        box.ok("sql", "DROP TABLE IF EXISTS watch")
        let status = box.json(box.rocky("status", "--json"))
        #expect(status["pending_transforms"] as? Int == 10, "every change was recorded (DROP IF EXISTS of nothing changes nothing)")
        box.ok("commit", "-m", "watch list")
        let show = box.json(box.rocky("show", "--json"))
        #expect((show["transformations"] as? [[String: Any]])?.count == 10)
    }

    @Test func everyTypeRoundTripsThroughSQLite() {
        let box = Sandbox()
        box.ok("init")
        let csv = everyTypeCSV
        box.write("types.csv", csv)
        box.ok("import", "types", "types.csv", "--key", "id")
        box.ok("sql", "CREATE TABLE copy AS SELECT * FROM types")
        box.ok("import", "keyed", "types.csv", "--key", "id")
        let copied = box.ok("export", "copy")
        #expect(Set(copied.split(separator: "\n", omittingEmptySubsequences: false)) == Set(csv.split(separator: "\n", omittingEmptySubsequences: false)))
        let run = box.ok("sql", "SELECT amount, at FROM types WHERE id = 2", "--format", "csv")
        #expect(run == "amount,at\n99999999.9999,1969-12-31T23:59:59.999999Z\n")
    }

    @Test func aFailingStatementLeavesTheWorkingSetUnchanged() {
        let box = Sandbox()
        box.loadFixtures()
        box.ok("sql", "CREATE TABLE t AS SELECT symbol FROM prices")
        let before = box.snapshot()
        let status = box.ok("status")
        let run = box.rocky("sql", "DELETE FROM prices WHERE symbol = 'AAPL'; INSERT INTO positions SELECT * FROM positions")
        #expect(run.code == 1, "\(run)")
        #expect(run.err.contains("statement 2"))
        #expect(box.ok("status") == status)
        #expect(box.snapshot().filter { !$0.key.hasPrefix("cache") && !$0.key.hasPrefix("tmp") && $0.key != "audit.log" && $0.key != "audit.head" }
                == before.filter { !$0.key.hasPrefix("cache") && !$0.key.hasPrefix("tmp") && $0.key != "audit.log" && $0.key != "audit.head" })
        let compile = box.rocky("sql", "DELETE FROM prices; SELECT nope FROM prices")
        #expect(compile.code == 1)
        #expect(compile.err.contains("unknown column 'nope'"))
        #expect(box.ok("status") == status, "a compile error anywhere runs nothing")
    }

    @Test func whatPassesCheckRunsAndABadCastNamesItsValueAndPlace() {
        let box = Sandbox()
        box.loadFixtures()
        let statements = [
            "SELECT v.code, v.n FROM (VALUES ('a', 1), ('b', 2)) AS v(code, n) ORDER BY v.code",
            "WITH trades AS (SELECT * FROM trades WHERE quantity > 100) SELECT COUNT(*) AS n FROM trades",
            "SELECT symbol FROM trades EXCEPT ALL SELECT symbol FROM positions",
            "SELECT symbol FROM trades INTERSECT ALL SELECT symbol FROM positions",
        ]
        for sql in statements {
            box.ok("check", "-e", sql)
            box.ok("sql", sql)
        }
        #expect(box.ok("sql", statements[0]).contains("b     2"))
        let status = box.ok("status")
        let run = box.rocky("sql", "CREATE TABLE sides AS\nSELECT trade_id, CAST(side AS INTEGER) AS s FROM trades")
        #expect(run.code == 1 && run.err.contains("invalid input for INTEGER: 'buy' (cast at line 2, column 18)"), "\(run)")
        let many = box.rocky("sql", "SELECT trade_id, (SELECT symbol FROM positions) AS s FROM trades")
        #expect(many.code == 1 && many.err.contains("more than one row returned by a subquery used as an expression"), "\(many)")
        #expect(box.ok("status") == status)
        let lineage = box.ok("lineage", "--sql",
                             "SELECT trade_id, EXISTS (SELECT 1 FROM positions p WHERE p.account_id = t.account_id) AS holds FROM trades t")
        #expect(lineage.contains("positions.account_id  INDIRECT conditional") && lineage.contains("trades.account_id  INDIRECT conditional"),
                "\(lineage)")
    }

    @Test func modelsRunInDependencyOrderAndCyclesAreNamed() {
        let box = Sandbox()
        box.loadFixtures()
        box.write("models/exposure.sql", """
            -- key: symbol
            -- description: Exposure per symbol
            SELECT p.symbol, SUM(p.quantity * l.close) AS exposure FROM positions p JOIN last_close l ON p.symbol = l.symbol GROUP BY p.symbol
            """)
        box.write("models/last_close.sql", """
            -- key: symbol
            SELECT symbol, MAX(close) AS close FROM prices GROUP BY symbol;
            """)
        let run = box.rocky("run", "-m", "models")
        #expect(run.code == 0, "\(run)")
        #expect(run.err.range(of: "running last_close")!.lowerBound < run.err.range(of: "running exposure")!.lowerBound)
        let schema = box.json(box.rocky("schema", "exposure", "--json"))
        #expect((schema["key"] as? [Int])?.count == 1, "the header's key")
        #expect(box.tableID("exposure") != nil)
        box.write("models/last_close.sql", "SELECT symbol, close FROM exposure")
        let cycle = box.rocky("run")
        #expect(cycle.code == 1)
        #expect(cycle.err.contains("cycle") && cycle.err.contains("exposure -> last_close -> exposure"))
        box.write("models/last_close.sql", "SELECT symbol, MAX(close) AS close FROM prices GROUP BY symbol")
        box.write("models/broken.sql", "SELECT symbol, 1 / 0 AS x FROM nowhere")
        let before = box.ok("status")
        #expect(box.rocky("run").code == 1)
        #expect(box.ok("status") == before, "a failing model leaves the working set as it was")
    }

    @Test func theSQLFormatOfADiffReproducesTheNewSide() {
        let box = Sandbox()
        box.loadFixtures()
        box.ok("branch", "old")
        box.ok("sql", "UPDATE prices SET close = close + 1 WHERE symbol = 'JPM'")
        box.ok("sql", "DELETE FROM prices WHERE symbol = 'XOM'")
        box.ok("sql", "INSERT INTO prices VALUES ('ZZZ', TIMESTAMP '2026-06-01T20:00:00Z', 1.0, 2.0, 0.5, 1.5, 10)")
        box.ok("sql", "ALTER TABLE positions ADD COLUMN note TEXT")
        box.ok("sql", "UPDATE positions SET note = 'big' WHERE quantity > 500")
        box.ok("commit", "-m", "changes")
        let script = box.ok("diff", "old", "main", "--format", "sql")
        box.ok("checkout", "old")
        box.write("change.sql", script)
        let applied = box.rocky("sql", "-f", "change.sql")
        #expect(applied.code == 0, "\(applied)")
        #expect(box.tableID("prices") == box.tableID("prices", at: "main"), "the statements turn old into new, table id for table id")
        #expect(box.tableID("positions") == box.tableID("positions", at: "main"))
    }
}
