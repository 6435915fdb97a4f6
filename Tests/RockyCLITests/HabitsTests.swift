import Foundation
import Testing

/// The small habits of git that users type without thinking: `-n1`,
/// did-you-mean for a typo, and a replay branch named as documented.
@Suite struct HabitsTests {
    @Test(arguments: [["-n1"], ["-n", "1"], ["-n=1"], ["--max-count=1"], ["--max-count", "1"]])
    func logTakesTheCountAsGitDoes(count: [String]) {
        let box = Sandbox()
        box.loadFixtures()
        box.ok("sql", "DELETE FROM prices WHERE symbol = 'AAPL'", "-m", "second")
        let run = box.rocky(["log", "--oneline"] + count)
        #expect(run.code == 0, "\(run)")
        #expect(run.out.split(separator: "\n").count == 1 && run.out.contains("second"), "\(run.out)")
    }

    @Test func aMistypedBranchGetsADidYouMean() {
        let box = Sandbox()
        box.loadFixtures()
        box.ok("branch", "feature")
        for arguments in [["checkout", "featrue"], ["merge", "featrue"], ["diff", "mian"], ["log", "mian"], ["branch", "-d", "featuer"]] {
            let run = box.rocky(arguments)
            #expect(run.code != 0, "\(arguments)")
            let meant = arguments.last == "mian" ? "main" : "feature"
            #expect(run.err.contains("did you mean '\(meant)'?"), "\(arguments): \(run.err)")
        }
        #expect(!box.rocky("checkout", "zzzzzzzz").err.contains("did you mean"), "nothing close: no suggestion")
    }

    @Test func aMistypedTableOrColumnGetsADidYouMean() {
        let box = Sandbox()
        box.loadFixtures()
        for arguments in [["export", "pricse"], ["schema", "pricse"], ["log", "--", "pricse"]] {
            let run = box.rocky(arguments)
            #expect(run.code == 1 && run.err.contains("did you mean 'prices'?"), "\(arguments): \(run)")
        }
        let sql = box.rocky("sql", "SELECT * FROM pricse")
        #expect(sql.err.contains("did you mean 'prices'?"), "\(sql.err)")
        box.write("more.csv", "symbol,ts,close\nX,2026-05-20T16:00:00Z,1.5\n")
        let key = box.rocky("import", "more", "more.csv", "--key", "symbl")
        #expect(key.code == 2 && key.err.contains("did you mean 'symbol'?"), "\(key)")
        let lineage = box.rocky("lineage", "prices.clsoe")
        #expect(lineage.err.contains("did you mean 'close'?"), "\(lineage)")
    }

    @Test func aMistypedOptionGetsADidYouMean() {
        let box = Sandbox()
        box.loadFixtures()
        box.write("more.csv", "symbol,ts,close\nX,2026-05-20T16:00:00Z,1.5\n")
        let run = box.rocky("import", "more", "more.csv", "--keyy", "symbol")
        #expect(run.code == 2, "\(run)")
        #expect(run.err.contains("unknown option --keyy; did you mean '--key'?"), "\(run.err)")
        #expect(box.rocky("log", "--onelin").err.contains("did you mean '--oneline'?"))
        #expect(box.rocky("status", "--jsno").err.contains("did you mean '--json'?"), "global options are candidates too")
        #expect(!box.rocky("log", "-x").err.contains("did you mean"), "a lone short option suggests nothing")
    }

    @Test func aMistypedEnvironmentGetsADidYouMean() {
        let box = Sandbox()
        box.loadFixtures()
        box.write("rocky.toml", "[environments.dev]\n[environments.prod]\n")
        for arguments in [["export", "prices", "--env", "prdo"], ["diff", "--env", "prdo"]] {
            let run = box.rocky(arguments)
            #expect(run.code == 2 && run.err.contains("unknown environment 'prdo'") && run.err.contains("did you mean 'prod'?"), "\(run)")
        }
    }

    @Test func theReplayBranchIsNamedAfterTheBranchAndTheTime() {
        let box = Sandbox()
        box.loadFixtures()
        box.ok("checkout", "-b", "agent/x")
        box.ok("sql", "CREATE TABLE closes AS SELECT symbol, ts, close FROM prices", "-m", "closes")
        // The time is written in UTC without separators, so the name is a valid ref.
        let run = box.rocky("replay", "agent/x", "--at", "2026-05-21T11:30:00+02:00", "--allow-gaps")
        #expect(run.code == 0, "\(run)")
        #expect(run.out.contains("replay/agent/x/20260521T093000Z"), "\(run.out)")
        #expect(box.ok("branch").contains("replay/agent/x/20260521T093000Z"))
    }
}
