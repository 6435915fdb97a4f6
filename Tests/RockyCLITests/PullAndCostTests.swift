import Foundation
import Testing

@Suite struct PullAndCostTests {
    @Test func pullFastForwardsThenMergesAndConflictsAreReported() {
        let box = Sandbox()
        box.originAndClone("id,qty\n1,10\n2,20\n", clone: "agent")
        box.ok("sql", "UPDATE t SET qty = 11 WHERE id = 1", "-m", "origin moves", in: "origin")
        let ff = box.rocky(["pull"], in: "agent")
        #expect(ff.code == 0 && ff.out.contains("Fast-forwarded"), "\(ff)")
        #expect(box.ok("export", "t", in: "agent") == "id,qty\n1,11\n2,20\n")
        box.ok("sql", "UPDATE t SET qty = 21 WHERE id = 2", "-m", "agent change", in: "agent")
        box.ok("sql", "INSERT INTO t VALUES (3, 30)", "-m", "origin change", in: "origin")
        let merged = box.rocky(["pull"], in: "agent")
        #expect(merged.code == 0 && merged.out.contains("Merged"), "\(merged)")
        #expect(box.ok("export", "t", in: "agent") == "id,qty\n1,11\n2,21\n3,30\n")
        #expect(box.rocky(["push"], in: "agent").code == 0)
        #expect(box.ok("export", "t", "main", in: "origin") == "id,qty\n1,11\n2,21\n3,30\n")
        box.ok("sql", "UPDATE t SET qty = 0 WHERE id = 3", "-m", "agent", in: "agent")
        box.ok("sql", "UPDATE t SET qty = 99 WHERE id = 3", "-m", "origin", in: "origin")
        let conflict = box.rocky(["pull"], in: "agent")
        #expect(conflict.code == 3)
        #expect(conflict.out.contains("qty") && conflict.out.contains("99"))
        let json = box.rocky(["pull", "--json"], in: "agent")
        #expect(json.code == 3)
        #expect(box.json(json)["outcome"] as? String == "conflicts", "one JSON document: \(json.out)")
        #expect((box.json(json)["conflicts"] as? [[String: Any]])?.first?["column"] as? String == "qty")
        #expect(box.ok("export", "t", in: "agent") == "id,qty\n1,11\n2,21\n3,0\n", "nothing written")
        #expect(box.ok("rev-parse", "origin/main", in: "agent") == box.ok("rev-parse", "main", in: "origin"), "origin/main names the tracking ref")
    }

    @Test func costSumsTransformationsAtTheConfiguredRates() {
        let box = Sandbox()
        box.loadFixtures()
        box.write("rocky.toml", "[cost.sqlite]\nper_million_rows = 100\nper_second = 0\ncurrency = \"EUR\"\n")
        box.ok("commit", "-m", "rates")
        box.ok("checkout", "-b", "agent/costly")
        box.write("models/daily.sql", "SELECT symbol, COUNT(*) AS n FROM prices GROUP BY symbol\n")
        box.ok("run", "-m", "model")
        box.ok("sql", "CREATE TABLE big AS SELECT * FROM trades", "-m", "copy")
        let report = box.json(box.rocky("cost", "--json", "--by", "model"))
        let total = report["total"] as? [String: Any]
        #expect(total?["transformations"] as? Int == 2)
        #expect(total?["rows_read"] as? Int == 400, "200 prices rows and 200 trades rows")
        #expect((total?["cost"] as? NSNumber)?.doubleValue == 0.04, "400 rows at 100 EUR per million")
        #expect(report["currency"] as? String == "EUR")
        let models = (report["by_model"] as? [[String: Any]])?.map { $0["name"] as? String }
        #expect(models == ["(sql)", "daily"])
        let one = box.json(box.rocky("cost", "--json", "HEAD"))
        #expect((one["total"] as? [String: Any])?["transformations"] as? Int == 1)
        #expect(box.ok("cost").contains("branch agent/costly since"))
    }
}
