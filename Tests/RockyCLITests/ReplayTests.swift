import Foundation
import Testing

@Suite struct ReplayTests {
    /// main receives the fixture deliveries day by day; an agent branches
    /// after the last one and runs `steps`.
    func timeline(steps: [String]) -> Sandbox {
        let box = Sandbox()
        box.ok("init")
        box.rocky(["import", "positions", fixture("positions.csv"), "--key", "account_id,symbol"], env: ["ROCKY_COMMIT_TIME": "2026-05-15T21:00:00Z"])
        box.rocky(["commit", "-m", "positions"], env: ["ROCKY_COMMIT_TIME": "2026-05-15T21:00:00Z"])
        for line in fixtureText("deliveries.tsv").split(separator: "\n").dropFirst() {
            let f = line.split(separator: "\t").map(String.init)
            let env = ["ROCKY_COMMIT_TIME": f[0]]
            box.rocky(["import", "prices", fixture(f[1]), "--key", "symbol,ts", "--time-column", "ts", "--mode", f[2]], env: env)
            box.rocky(["commit", "-m", f[3]], env: env)
        }
        let env = ["ROCKY_COMMIT_TIME": "2026-05-30T09:00:00Z"]
        box.rocky(["checkout", "-b", "agent/x"], env: env)
        for sql in steps { #expect(box.rocky(["sql", sql, "-m", sql], env: env).code == 0, "\(sql)") }
        return box
    }

    static let steps = [
        "CREATE TABLE closes AS SELECT symbol, ts, close FROM prices",
        "CREATE TABLE avg_close AS SELECT symbol, AVG(close) AS avg_close, COUNT(*) AS days FROM closes GROUP BY symbol",
    ]

    @Test func theLateDayAndTheCorrectionAreReportedExactlyAndNothingIsWritten() {
        let box = timeline(steps: Self.steps)
        let before = box.snapshot().filter { !$0.key.hasPrefix("cache") && !$0.key.hasPrefix("tmp") }
        let run = box.rocky("replay", "agent/x", "--at", "2026-05-20T16:00:00Z", "--json")
        #expect(run.code == 4)
        let gap = (box.json(run)["gaps"] as? [[String: Any]])?.first
        #expect(gap?["table"] as? String == "prices")
        let late = gap?["arrived_later"] as? [[String: Any]] ?? []
        #expect(late.count == 10)
        #expect(late.allSatisfy { $0["ts"] as? String == "2026-05-19T20:00:00Z" })
        #expect(Set(late.compactMap { $0["symbol"] as? String }) == ["AAPL", "AMZN", "GOOGL", "JNJ", "JPM", "META", "MSFT", "NVDA", "TSLA", "XOM"])
        let corrected = gap?["corrected"] as? [[String: Any]] ?? []
        #expect(corrected.count == 1)
        #expect((corrected.first?["key"] as? [String: Any])?["symbol"] as? String == "JPM")
        #expect((corrected.first?["key"] as? [String: Any])?["ts"] as? String == "2026-05-14T20:00:00Z")
        let cell = (corrected.first?["cells"] as? [[String: Any]])?.first
        #expect(cell?["column"] as? String == "close")
        #expect((cell?["old"] as? NSNumber)?.stringValue == "260.23" && (cell?["new"] as? NSNumber)?.stringValue == "258.45")
        #expect((gap?["removed_later"] as? [Any])?.isEmpty == true)
        #expect(box.snapshot().filter { !$0.key.hasPrefix("cache") && !$0.key.hasPrefix("tmp") && !$0.key.hasPrefix("audit") }
                == before.filter { !$0.key.hasPrefix("audit") }, "nothing written")
    }

    @Test func allowGapsUsesTheDataKnownThenAndCorrectedUsesTheLatestRows() {
        let box = timeline(steps: Self.steps)
        let allowed = box.rocky("replay", "agent/x", "--at", "2026-05-20T16:00:00Z", "--allow-gaps", "--name", "then")
        #expect(allowed.code == 0, "\(allowed)")
        #expect(box.ok("sql", "SELECT days FROM avg_close WHERE symbol = 'JPM'", "--format", "csv", in: nil).contains("20"), "the branch itself saw all 20 days")
        box.ok("checkout", "then")
        #expect(box.ok("sql", "SELECT days FROM avg_close WHERE symbol = 'JPM'", "--format", "csv") == "days\n11\n", "11 days were known at T")
        #expect(box.ok("sql", "SELECT close FROM closes WHERE symbol = 'JPM' AND ts = TIMESTAMP '2026-05-14T20:00:00Z'", "--format", "csv")
                == "close\n260.2300\n", "the value known at T, before its correction")
        let meta = ((box.json(box.rocky("show", "--json"))["commit"] as? [String: Any])?["meta"] as? [String: Any])?["replay"] as? [String: Any]
        #expect(meta?["source"] as? String == "agent/x")
        #expect(meta?["at"] as? String == "2026-05-20T16:00:00Z")
        #expect((meta?["original"] as? String)?.count == 64)
        #expect((meta?["gaps"] as? [[String: Any]])?.first?["arrived_later"] as? Int == 10, "the gaps are recorded in the commit")
        box.ok("checkout", "agent/x")
        #expect(box.rocky("replay", "agent/x", "--at", "2026-05-20T16:00:00Z", "--corrected", "--name", "corrected").code == 0)
        box.ok("checkout", "corrected")
        #expect(box.ok("sql", "SELECT days FROM avg_close WHERE symbol = 'JPM'", "--format", "csv") == "days\n12\n", "the late day filled in")
        #expect(box.ok("sql", "SELECT close FROM closes WHERE symbol = 'JPM' AND ts = TIMESTAMP '2026-05-14T20:00:00Z'", "--format", "csv")
                == "close\n258.4500\n", "the corrected value")
    }

    @Test func aFifteenStepBranchReplaysAndASecondReplayRunsNoSQL() {
        var steps = ["CREATE TABLE s1 AS SELECT symbol, ts, close FROM prices"]
        for i in 2...15 { steps.append("CREATE TABLE s\(i) AS SELECT symbol, ts, close + \(i) AS close FROM s\(i - 1)") }
        let box = timeline(steps: steps)
        let first = box.json(box.rocky("replay", "agent/x", "--at", "2026-05-29T23:00:00Z", "--name", "r1", "--json"))
        #expect(first["steps"] as? Int == 15)
        #expect(first["reused"] as? Int == 15, "nothing changed since the fork point: every step is reused")
        let second = box.json(box.rocky("replay", "agent/x", "--at", "2026-05-28T23:00:00Z", "--name", "r2", "--json"))
        #expect(second["steps"] as? Int == 15)
        #expect(second["reused"] as? Int == 0, "other inputs: every step runs")
        let third = box.json(box.rocky("replay", "agent/x", "--at", "2026-05-28T23:00:00Z", "--name", "r3", "--json"))
        #expect(third["reused"] as? Int == 15, "the same replay again runs no SQL")
        #expect(box.tableID("s15", at: "r2") == box.tableID("s15", at: "r3"))
        #expect(box.ok("diff", "agent/x", "r1").isEmpty)
        let rows = box.json(box.rocky("tables", "--json", "r2"))["tables"] as? [[String: Any]]
        #expect(rows?.first { $0["name"] as? String == "s15" }?["rows"] as? Int == 190, "19 trading days known on 05-28 at 23:00")
        let log = box.ok("log", "--oneline", "-n", "15", "r2")
        #expect(log.split(separator: "\n").allSatisfy { $0.contains("Replay at 2026-05-28T23:00:00Z of ") })
    }

    @Test func verifyIsBitExactOnADeterministicBranch() {
        let box = timeline(steps: Self.steps + ["CREATE TABLE top AS SELECT symbol FROM avg_close WHERE avg_close > 200"])
        let run = box.rocky("replay", "agent/x", "--verify", "--json")
        #expect(run.code == 0, "\(run)")
        let json = box.json(run)
        #expect(json["outcome"] as? String == "bit_exact")
        #expect((json["outputs"] as? [[String: Any]])?.map { $0["result"] as? String } == ["bit_exact", "bit_exact", "bit_exact"])
        #expect(box.ok("branch").split(separator: "\n").count == 2, "--verify writes no branch")
    }

    @Test func aStepThatNoLongerCompilesAtTFailsWithTheDiagnosticAndWritesNothing() {
        let box = Sandbox()
        box.ok("init")
        box.write("t.csv", "id,ts,v\n1,2026-05-01T00:00:00Z,1\n")
        box.rocky(["import", "t", "t.csv", "--key", "id", "--time-column", "ts"], env: ["ROCKY_COMMIT_TIME": "2026-05-01T10:00:00Z"])
        box.rocky(["commit", "-m", "t"], env: ["ROCKY_COMMIT_TIME": "2026-05-01T10:00:00Z"])
        box.rocky(["sql", "ALTER TABLE t ADD COLUMN desk TEXT", "-m", "desk"], env: ["ROCKY_COMMIT_TIME": "2026-05-10T10:00:00Z"])
        box.rocky(["checkout", "-b", "agent/y"], env: ["ROCKY_COMMIT_TIME": "2026-05-11T10:00:00Z"])
        box.rocky(["sql", "CREATE TABLE d AS SELECT id, desk FROM t", "-m", "uses desk"], env: ["ROCKY_COMMIT_TIME": "2026-05-11T10:00:00Z"])
        let branches = box.ok("branch")
        let run = box.rocky("replay", "agent/y", "--at", "2026-05-05T00:00:00Z")
        #expect(run.code == 1, "\(run)")
        #expect(run.err.contains("unknown column 'desk'"))
        #expect(box.ok("branch") == branches, "no replay branch")
    }
}
