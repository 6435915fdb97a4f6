import Foundation
import Testing

/// Options Docs/commands.md documents that no other test drives through the binary.
@Suite struct OptionTests {
    /// main: base, then main1 and a merge of `side` (side1), each a day apart.
    func mergedHistory() -> Sandbox {
        let box = Sandbox()
        func at(_ day: Int, _ arguments: String...) {
            let run = box.rocky(arguments, env: ["ROCKY_COMMIT_TIME": "2026-05-0\(day)T00:00:00Z"])
            #expect(run.code == 0, "\(run)")
        }
        at(1, "init")
        box.write("t.csv", "id,qty\n1,10\n2,20\n")
        at(1, "import", "t", "t.csv", "--key", "id")
        at(1, "commit", "-m", "base")
        at(1, "branch", "side")
        at(1, "checkout", "side")
        at(2, "sql", "UPDATE t SET qty = 11 WHERE id = 1", "-m", "side1")
        at(2, "checkout", "main")
        at(3, "sql", "UPDATE t SET qty = 22 WHERE id = 2", "-m", "main1")
        at(4, "merge", "side", "-m", "merge side")
        return box
    }

    func subjects(_ log: String) -> [String] {
        log.split(separator: "\n").map { line in
            String(line.split(separator: " ").last!)
        }
    }

    @Test func logFirstParentShowsTheStatesTheBranchHeld() {
        let box = mergedHistory()
        #expect(subjects(box.ok("log", "--oneline")).contains("side1"))
        let first = box.ok("log", "--oneline", "--first-parent")
        #expect(!first.contains("side1"), "\(first)")
        #expect(first.contains("main1") && first.contains("base"), "\(first)")
    }

    @Test func auditSinceKeepsLaterEntriesOnly() {
        let box = mergedHistory()
        let entries = box.json(box.rocky("audit", "--since", "2026-05-03T00:00:00Z", "--json"))["entries"] as? [[String: Any]] ?? []
        #expect(entries.map { $0["operation"] as? String } == ["sql", "commit", "merge"], "\(entries)")
        #expect(entries.allSatisfy { ($0["time"] as? String ?? "") >= "2026-05-03" })
    }

    @Test func dashCRunsInAnotherDirectory() {
        let box = mergedHistory()
        let run = box.rocky(["-C", box.path, "log", "-n", "1", "--oneline"], in: nil, env: [:])
        #expect(run.code == 0)
        let elsewhere = Sandbox()
        let remote = elsewhere.rocky(["-C", box.path, "log", "-n", "1", "--oneline"])
        #expect(remote.code == 0 && remote.out.contains("merge side"), "\(remote)")
        #expect(elsewhere.rocky(["log"]).code != 0, "without -C the empty folder is no repository")
    }

    @Test func checkEmitsTheChosenDialect() {
        let box = mergedHistory()
        let run = box.rocky("check", "-e", "SELECT id, qty FROM t WHERE qty > 10", "--dialect", "bigquery", "--emit")
        #expect(run.code == 0, "\(run)")
        #expect(run.out.contains("`t`.`qty`"), "BigQuery quotes with backticks: \(run.out)")
        let sqlite = box.ok("check", "-e", "SELECT id, qty FROM t WHERE qty > 10", "--emit")
        #expect(sqlite.contains("\"t\".\"qty\""), "\(sqlite)")
    }

    @Test func gcNoRepackLeavesLooseObjects() {
        let box = mergedHistory()
        let loose = { box.names(".rocky/objects").filter { $0.count == 65 && $0.dropFirst(2).first == "/" }.count }
        let before = loose()
        #expect(before > 0)
        let report = box.json(box.rocky("gc", "--no-repack", "--json"))
        #expect(report["packs_written"] as? Int == 0, "\(report)")
        #expect(loose() == before)
        box.ok("gc")
        #expect(loose() == 0)
    }

    @Test func pullNoFFMakesAMergeCommitWhereAFastForwardWouldDo() {
        let box = Sandbox()
        box.originAndClone("id,qty\n1,10\n", clone: "work")
        box.ok("sql", "UPDATE t SET qty = 11 WHERE id = 1", "-m", "origin moves", in: "origin")
        let run = box.rocky(["pull", "--no-ff", "--json"], in: "work")
        #expect(run.code == 0, "\(run)")
        #expect(box.json(run)["outcome"] as? String == "merged")
        let head = box.json(box.rocky(["show", "--json"], in: "work"))["commit"] as? [String: Any]
        #expect((head?["parents"] as? [Any])?.count == 2, "\(String(describing: head))")
        #expect(box.ok("export", "t", in: "work") == "id,qty\n1,11\n")
    }
}
