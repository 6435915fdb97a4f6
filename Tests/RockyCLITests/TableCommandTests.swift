import Foundation
import Testing

@Suite struct TableCommandTests {
    @Test(arguments: ["prices.csv", "positions.csv", "risk_scores.csv", "customers.csv", "accounts.csv", "trades.csv"])
    func everyFixtureRoundTripsByteForByte(name: String) {
        let box = Sandbox()
        box.ok("init")
        box.ok("import", "t", fixture(name))
        let exported = box.ok("export", "t")
        // Keyless tables export in content order; compare as sets of lines for those, bytes for keyed ones.
        #expect(Set(exported.split(separator: "\n")) == Set(fixtureText(name).split(separator: "\n")))
        box.write("again.csv", exported)
        box.ok("import", "u", "again.csv")
        #expect(box.ok("export", "u") == exported, "a CSV Rocky wrote round-trips byte for byte")
    }

    @Test func keyedExportIsTheFixtureItself() {
        let box = Sandbox()
        box.loadFixtures()
        #expect(box.ok("export", "prices") == fixtureText("prices.csv"))
        box.ok("export", "prices", "-o", "out.jsonl")
        box.ok("import", "prices2", "out.jsonl", "--key", "symbol,ts")
        #expect(box.ok("export", "prices2") == fixtureText("prices.csv"), "JSON Lines round-trips too")
    }

    @Test func everyTypeRoundTrips() {
        let box = Sandbox()
        box.ok("init")
        let csv = everyTypeCSV
        box.write("types.csv", csv)
        let run = box.rocky("import", "types", "types.csv", "--key", "id")
        #expect(run.code == 0, "\(run)")
        #expect(run.out.contains("amount") && run.out.contains("DECIMAL"))
        #expect(box.ok("export", "types") == csv, "NULL stays NULL, \"\" stays the empty string, every value exact")
        let json = box.ok("export", "types", "--format", "jsonl")
        #expect(json.contains("\"label\":\"\"") && json.contains("\"label\":null"))
        #expect(json.contains("\"amount\":-0.0100"), "decimals are exact JSON numbers")
    }

    @Test func theSameRowsInAnotherOrderGiveTheSameTable() {
        let box = Sandbox()
        box.ok("init")
        var lines = fixtureText("prices.csv").split(separator: "\n").map(String.init)
        let header = lines.removeFirst()
        var generator = SystemRandomNumberGenerator()
        box.write("shuffled.csv", ([header] + lines.shuffled(using: &generator)).joined(separator: "\n") + "\n")
        box.ok("import", "a", fixture("prices.csv"), "--key", "symbol,ts")
        box.ok("import", "b", "shuffled.csv", "--key", "symbol,ts")
        let tables = box.json(box.rocky("tables", "--json"))["tables"] as? [[String: Any]] ?? []
        #expect(tables.count == 2)
        #expect(tables[0]["id"] as? String == tables[1]["id"] as? String)
    }

    @Test func theDeliveryTimelineRebuildsTheFixtureAndTimeTravelSeesEachDay() throws {
        let box = Sandbox()
        box.ok("init")
        let manifest = fixtureText("deliveries.tsv").split(separator: "\n").dropFirst()
        for line in manifest {
            let f = line.split(separator: "\t").map(String.init)
            let env = ["ROCKY_COMMIT_TIME": f[0]]
            #expect(box.rocky(["import", "prices", fixture(f[1]), "--key", "symbol,ts", "--time-column", "ts", "--mode", f[2]], env: env).code == 0)
            #expect(box.rocky(["commit", "-m", f[3]], env: env).code == 0)
        }
        box.ok("import", "reference", fixture("prices.csv"), "--key", "symbol,ts", "--time-column", "ts")
        #expect(box.tableID("prices") == box.tableID("reference"), "deliveries and one import give the same table id")
        box.ok("checkout", "--force", "main")
        box.ok("checkout", "--at", "2026-05-20T16:00:00Z")
        let rows = (box.json(box.rocky("tables", "--json", "HEAD"))["tables"] as? [[String: Any]])?.first?["rows"] as? Int
        #expect(rows == 110, "at 2026-05-20T16:00Z main held the backfill and 05-18")
        #expect(box.ok("status").contains("HEAD detached"))
        #expect(box.ok("log", "--oneline", "-n", "3", "main").split(separator: "\n").count == 3)
    }

    @Test func badInputStopsWithAPositionAndWritesNothing() {
        let box = Sandbox()
        box.loadFixtures()
        let h = "symbol,ts,open,high,low,close,volume\n"
        let good = "AAPL,2026-06-01T20:00:00Z,1.0000,1.0000,1.0000,1.5000,10\n"
        let cases: [(String, String, String)] = [
            ("fields.csv", h + good + "MSFT,2026-06-01T20:00:00Z,1.0,1.0\n", "fields.csv:3:"),
            ("value.csv", h + good + "MSFT,2026-06-0x,1.0,1.0,1.0,1.0,1\n", "value.csv:3:6"),
            ("decimal.csv", h + good + "MSFT,2026-06-01T20:00:00Z,1.0,1.0,1.0,1.23456,1\n", "value.csv:3:"),
            ("dup.csv", h + good + good, "dup.csv:3:1"),
            ("nullkey.csv", h + good + ",2026-06-01T20:00:00Z,1.0,1.0,1.0,1.0,1\n", "nullkey.csv:3:1"),
            ("quote.csv", h + "\"AAPL,2026-06-01T20:00:00Z,1.0,1.0,1.0,1.0,1\n", "quote.csv:2:1"),
        ]
        for (file, text, position) in cases {
            box.write(file, text)
            let before = box.snapshot()
            let run = box.rocky(["import", "prices", file, "--mode", "upsert"])
            #expect(run.code == 1, "\(file): \(run)")
            #expect(run.err.contains(position.replacingOccurrences(of: "value.csv", with: file)), "\(file): \(run.err)")
            #expect(box.snapshot() == before, "\(file): the repository changed")
        }
        box.write("reserved.csv", h + good)
        let reserved = box.rocky(["import", "__rocky_table_cache", "reserved.csv", "--key", "symbol,ts"])
        #expect(reserved.code != 0 && reserved.err.contains("__rocky"), "\(reserved)")
        // A new table: duplicates in a file in key order (streamed) and out of order (sorted).
        let later = "MSFT,2026-06-01T20:00:00Z,1.0000,1.0000,1.0000,1.5000,10\n"
        for (file, text, position) in [("inorder.csv", h + good + good + later, "inorder.csv:3:1"),
                                       ("unordered.csv", h + later + good + later, "unordered.csv:4:1")] {
            box.write(file, text)
            let before = box.snapshot()
            let run = box.rocky(["import", "fresh", file, "--key", "symbol,ts"])
            #expect(run.code == 1, "\(file): \(run)")
            #expect(run.err.contains(position) && run.err.contains("duplicate key (symbol=") && run.err.contains("the same key is on line"),
                    "\(file): \(run.err)")
            #expect(box.snapshot() == before, "\(file): the repository changed")
        }
        box.write("existing.csv", "symbol,ts,open,high,low,close,volume\nAAPL,2026-05-04T20:00:00Z,1.0000,1.0000,1.0000,1.0000,1\n")
        let before = box.snapshot()
        let append = box.rocky("import", "prices", "existing.csv", "--mode", "append")
        #expect(append.code == 1)
        #expect(append.err.contains("existing.csv:2:1") && append.err.contains("already has a row"))
        #expect(box.snapshot() == before)
        let decimal = box.rocky("import", "prices", "existing.csv", "--mode", "append", "--schema", "missing.json")
        #expect(decimal.code != 0)
        #expect(box.snapshot() == before)
    }

    @Test func declaredTypesAreEnforced() {
        let box = Sandbox()
        box.ok("init")
        box.write("schema.json", #"{"columns":[{"name":"id","type":"INTEGER"},{"name":"amount","type":"DECIMAL(6,2)"}],"key":["id"]}"#)
        box.write("ok.csv", "id,amount\n1,12.5\n2,-3\n")
        box.ok("import", "money", "ok.csv", "--schema", "schema.json")
        #expect(box.ok("export", "money") == "id,amount\n1,12.50\n2,-3.00\n")
        box.write("bad.csv", "id,amount\n1,12.505\n")
        let run = box.rocky("import", "money", "bad.csv", "--schema", "schema.json")
        #expect(run.code == 1)
        #expect(run.err.contains("bad.csv:2:3") && run.err.contains("DECIMAL(6,2)"))
    }

    @Test func commitLogShowStatusAndTablesAgree() {
        let box = Sandbox()
        box.loadFixtures()
        #expect(box.ok("status").contains("nothing to commit"))
        let empty = box.rocky("commit", "-m", "nothing")
        #expect(empty.code == 1)
        #expect(empty.err.contains("nothing to commit"))
        box.write("fix.csv", "symbol,ts,open,high,low,close,volume\nJPM,2026-05-14T20:00:00Z,261.6700,262.0100,257.2700,259.0000,5670000\n")
        box.ok("import", "prices", "fix.csv", "--mode", "upsert")
        #expect(box.ok("status").contains("modified:  prices (200 -> 200 rows)"))
        box.rocky(["commit", "-m", "Correct a close"], env: ["ROCKY_COMMIT_TIME": "2026-05-22T22:00:00Z"])
        box.ok("import", "risk", fixture("risk_scores.csv"), "--key", "symbol")
        box.rocky(["commit", "-m", "Add risk scores"], env: ["ROCKY_COMMIT_TIME": "2026-05-23T10:00:00Z"])
        let log = box.ok("log", "--oneline")
        #expect(log.split(separator: "\n").count == 4)
        #expect(log.contains("(HEAD -> main) Add risk scores"))
        #expect(box.ok("log", "--oneline", "--", "prices").split(separator: "\n").count == 2, "only commits that changed prices")
        #expect(box.ok("log", "-n", "1").contains("Actor:  tester"))
        let logJSON = box.json(box.rocky("log", "--json", "-n", "2"))
        #expect((logJSON["commits"] as? [[String: Any]])?.count == 2)
        #expect(box.ok("show", "HEAD~1").contains("modified:  prices"))
        #expect(box.ok("show").contains("new table: risk (10 rows)"))
        #expect(box.ok("rev-parse", "main@{2026-05-22T23:00:00Z}") == box.ok("rev-parse", "HEAD~1"))
        let tables = box.json(box.rocky("tables", "--json", "HEAD~2"))["tables"] as? [[String: Any]]
        #expect(tables?.count == 4)
        let schema = box.json(box.rocky("schema", "prices", "--json"))
        #expect((schema["columns"] as? [[String: Any]])?.count == 7)
        #expect(box.rocky("schema", "nope").err.contains("no table named 'nope'"))
    }

    @Test func checkoutSwitchesBranchesWritesProjectFilesAndGuardsChanges() {
        let box = Sandbox()
        box.loadFixtures()
        box.write("rocky.toml", "[environments.dev.masking]\npii = \"none\"\n")
        box.write("models/returns.sql", "SELECT symbol, close FROM prices\n")
        #expect(box.ok("status").contains("new file:  rocky.toml"))
        box.ok("commit", "-m", "Project files")
        box.ok("checkout", "-b", "agent/rebalance")
        box.write("models/returns.sql", "SELECT symbol FROM prices\n")
        let refused = box.rocky("checkout", "main")
        #expect(refused.code == 1)
        #expect(refused.err.contains("models/returns.sql"))
        box.ok("commit", "-m", "Narrow the model")
        box.ok("import", "prices", fixture("deliveries/prices-2026-05-18.csv"))
        #expect(box.rocky("checkout", "main").err.contains("table prices"))
        box.ok("checkout", "--force", "main")
        #expect(box.read("models/returns.sql") == "SELECT symbol, close FROM prices\n", "checkout writes main's files")
        box.ok("checkout", "agent/rebalance")
        #expect(box.read("models/returns.sql") == "SELECT symbol FROM prices\n")
        #expect(box.ok("status").contains("nothing to commit"), "--force discarded the import")
        let first = box.ok("rev-parse", "main~1").trimmingCharacters(in: .whitespacesAndNewlines)
        box.ok("checkout", String(first.prefix(8)))
        #expect(box.ok("status").contains("HEAD detached at \(first.prefix(12))"))
        #expect(!FileManager.default.fileExists(atPath: box.path + "/rocky.toml"), "files absent at that commit are removed")
        box.ok("checkout", "main")
        #expect(FileManager.default.fileExists(atPath: box.path + "/rocky.toml"))
    }
}
