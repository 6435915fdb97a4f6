import Foundation
import Testing

/// Tables made by CREATE TABLE AS and models get the key the compiler can
/// prove (or the one declared), so their diffs are cell by cell.
@Suite struct DerivedKeyTests {
    func repo() -> Sandbox {
        let box = Sandbox()
        box.ok("init")
        box.write("t.csv", "id,region,qty\n1,eu,10\n2,eu,20\n3,us,30\n4,,40\n")
        box.ok("import", "t", "t.csv", "--key", "id")
        box.write("r.csv", "region,name\neu,Europe\nus,United States\n")
        box.ok("import", "r", "r.csv", "--key", "region")
        box.ok("commit", "-m", "base")
        return box
    }

    func key(_ box: Sandbox, _ table: String, sourceLocation: SourceLocation = #_sourceLocation) -> [String] {
        let json = box.json(box.rocky("tables", "--json"), sourceLocation: sourceLocation)
        let tables = json["tables"] as? [[String: Any]] ?? []
        return tables.first { $0["name"] as? String == table }?["key"] as? [String] ?? ["(no table \(table))"]
    }

    func diffRows(_ box: Sandbox, _ table: String) -> [[String: Any]] {
        let json = box.json(box.rocky("diff", "--json", "--table", table))
        return (json["tables"] as? [[String: Any]])?.first { $0["table"] as? String == table }?["rows"] as? [[String: Any]] ?? []
    }

    @Test func aGroupByResultIsKeyedByItsGroupColumnsAndDiffsCellByCell() {
        let box = repo()
        box.ok("sql", "CREATE TABLE totals AS SELECT region, SUM(qty) AS qty, COUNT(*) AS n FROM t WHERE region IS NOT NULL GROUP BY region",
               "-m", "totals")
        #expect(key(box, "totals") == ["region"])
        box.ok("sql", "UPDATE t SET qty = 15 WHERE id = 1")
        box.ok("sql", "CREATE OR REPLACE TABLE totals AS SELECT region, SUM(qty) AS qty, COUNT(*) AS n FROM t WHERE region IS NOT NULL GROUP BY region")
        let rows = diffRows(box, "totals")
        #expect(rows.count == 1, "\(rows)")
        #expect(rows.first?["change"] as? String == "modified")
        #expect((rows.first?["key"] as? [String: Any])?["region"] as? String == "eu")
        let cells = rows.first?["cells"] as? [[String: Any]]
        #expect(cells?.count == 1 && cells?.first?["column"] as? String == "qty"
                && cells?.first?["old"] as? Int == 30 && cells?.first?["new"] as? Int == 35, "\(cells ?? [])")
    }

    @Test func aGroupColumnThatMayBeNullLeavesTheResultKeyless() throws {
        let box = repo()
        // Row 4 has no region: one group is NULL, which no key column may hold.
        box.ok("sql", "CREATE TABLE totals AS SELECT region, SUM(qty) AS qty FROM t GROUP BY region")
        #expect(key(box, "totals") == [])
        #expect(box.ok("sql", "SELECT COUNT(*) AS n FROM totals", "--json").contains("3"))
        // An aggregate without GROUP BY, a group column left out of the result, VALUES: no key.
        box.ok("sql", "CREATE TABLE a AS SELECT SUM(qty) AS q FROM t")
        box.ok("sql", "CREATE TABLE b AS SELECT SUM(qty) AS q FROM t WHERE region IS NOT NULL GROUP BY region")
        box.ok("sql", "CREATE TABLE c AS VALUES (1, 2)")
        #expect(key(box, "a") == [] && key(box, "b") == [] && key(box, "c") == [])
    }

    @Test func aSourceKeyIsCarriedThroughProjectionFilterAndAManyToOneJoin() {
        let box = repo()
        box.ok("sql", """
            CREATE TABLE big AS SELECT qty, id AS ident FROM t WHERE qty > 10;
            CREATE TABLE named AS SELECT t.id, t.qty, r.name FROM t JOIN r ON t.region = r.region;
            CREATE TABLE lefty AS SELECT t.id, r.name FROM t LEFT JOIN r ON r.region = t.region;
            CREATE TABLE pairs AS SELECT t.id, r.region AS rr FROM t CROSS JOIN r;
            CREATE TABLE nested AS WITH x AS (SELECT id, qty FROM t) SELECT s.id FROM (SELECT id FROM x) AS s;
            CREATE TABLE dropped AS SELECT qty FROM t;
            CREATE TABLE onmany AS SELECT r.region, t.id FROM r JOIN t ON r.region = t.region;
            CREATE TABLE shown AS SELECT DISTINCT qty FROM t
            """)
        #expect(key(box, "big") == ["ident"])
        #expect(key(box, "named") == ["id"])
        #expect(key(box, "lefty") == ["id"])
        #expect(key(box, "pairs") == ["id", "rr"])
        #expect(key(box, "nested") == ["id"])
        #expect(key(box, "dropped") == [], "the key column is not in the result")
        #expect(key(box, "onmany") == ["id"], "r's key is not carried (several t rows per region); t's is")
        #expect(key(box, "shown") == [], "DISTINCT over a column that may be NULL")
        box.ok("sql", "CREATE TABLE regions AS SELECT DISTINCT region FROM t WHERE region <> ''")
        #expect(key(box, "regions") == ["region"])
    }

    @Test func anExplicitKeyWinsAndAWrongOneIsRefusedWithNothingWritten() {
        let box = repo()
        box.ok("sql", "CREATE TABLE byq (PRIMARY KEY (qty)) AS SELECT id, qty FROM t")
        #expect(key(box, "byq") == ["qty"])
        box.ok("sql", "CREATE OR REPLACE TABLE byq (PRIMARY KEY (qty, id)) AS SELECT id, qty FROM t")
        #expect(key(box, "byq") == ["qty", "id"])
        let before = box.snapshot(".rocky/refs")
        let wrong = box.rocky("sql", "CREATE TABLE z (PRIMARY KEY (nope)) AS SELECT id FROM t")
        #expect(wrong.code == 1 && wrong.err.contains("nope"), "\(wrong)")
        let duplicate = box.rocky("sql", "CREATE TABLE z (PRIMARY KEY (region)) AS SELECT region FROM t WHERE region IS NOT NULL")
        #expect(duplicate.code != 0, "two rows with region eu: \(duplicate)")
        #expect(box.snapshot(".rocky/refs") == before, "no branch or working set moved")
        // A plain CREATE TABLE with a table constraint still parses as before.
        box.ok("sql", "CREATE TABLE p (PRIMARY KEY (a), a INTEGER, b TEXT)")
        #expect(key(box, "p") == ["a"])
    }

    @Test func aModelTakesItsHeaderKeyElseTheDerivedOne() {
        let box = repo()
        box.write("models/by_region.sql", "SELECT region, SUM(qty) AS qty FROM t WHERE region IS NOT NULL GROUP BY region\n")
        box.write("models/by_id.sql", "-- key: qty\nSELECT id, qty FROM t\n")
        box.ok("run")
        #expect(key(box, "by_region") == ["region"])
        #expect(key(box, "by_id") == ["qty"])
    }
}
