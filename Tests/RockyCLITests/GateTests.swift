import Foundation
import Testing

/// Issue 17: one gate for access and audit; permissions that match the
/// product; errors with their own codes.
@Suite struct GateTests {
    /// alice administers; `agent` reads, writes and replays agent/* only;
    /// `compliance` may replay, read and use anywhere and nothing else;
    /// `writer` may write main; mallory has no role.
    static let policy = """
        [access]
        protected = ["main"]
        [access.roles.admin]
        allow = ["*"]
        [access.roles.analyst]
        allow = ["read", "create", "write", "replay", "merge", "delete", "use"]
        branches = ["agent/*"]
        [access.roles.compliance]
        allow = ["replay", "read", "use"]
        [access.roles.writer]
        allow = ["read", "write", "use"]
        [access.principals]
        alice = ["admin"]
        agent = ["analyst"]
        compliance = ["compliance"]
        writer = ["writer"]

        """

    func governed() -> Sandbox {
        let box = Sandbox()
        box.loadFixtures()
        box.write("rocky.toml", Self.policy)
        box.ok("commit", "-m", "Access policy", "--as", "alice")
        box.ok("branch", "agent/a", "--as", "alice")
        box.ok("branch", "agent/b", "--as", "alice")
        box.ok("checkout", "agent/b", "--as", "alice")
        box.ok("sql", "DELETE FROM prices WHERE symbol = 'AAPL'", "-m", "agent b work", "--as", "alice")
        box.ok("checkout", "-b", "secret", "--as", "alice")
        box.ok("sql", "DELETE FROM prices WHERE symbol = 'MSFT'", "-m", "secret work", "--as", "alice")
        box.ok("checkout", "main", "--as", "alice")
        return box
    }

    func id(_ box: Sandbox, _ revision: String) -> String {
        box.ok("rev-parse", revision, "--as", "alice").trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Refused with exit code 5, and nothing in .rocky or the work tree changed.
    func refusedAndUnchanged(_ box: Sandbox, _ arguments: [String], sourceLocation: SourceLocation = #_sourceLocation) {
        let before = box.snapshot(), files = box.snapshot(".")
        let run = box.rocky(arguments)
        #expect(run.code == 5, "rocky \(arguments.joined(separator: " "))\n\(run)", sourceLocation: sourceLocation)
        #expect(run.err.contains("refused:"), "\(run.err)", sourceLocation: sourceLocation)
        #expect(box.snapshot() == before, "rocky \(arguments.joined(separator: " ")) changed .rocky", sourceLocation: sourceLocation)
        #expect(box.snapshot(".") == files, "rocky \(arguments.joined(separator: " ")) changed the work tree", sourceLocation: sourceLocation)
    }

    @Test func everyCommandRefusesWhatThePrincipalMayNotTouch() {
        let box = governed()
        let secret = id(box, "secret"), agentB = id(box, "agent/b")
        let secretTree = (box.json(box.rocky("cat-object", "-p", secret, "--json", "--as", "alice"))["content"] as? [String: Any])?["tree"] as? String ?? ""
        box.write("new.csv", "symbol,ts,open,high,low,close,volume\nAAPL,2026-06-01T20:00:00Z,1.0000,1.0000,1.0000,1.0000,1\n")
        let m = ["--as", "mallory"], a = ["--as", "agent"]
        let commands: [[String]] = [
            // Reads by a principal with no role, of the checked-out branch.
            ["log"] + m, ["show", "main"] + m, ["status"] + m, ["tables"] + m, ["schema", "prices"] + m,
            ["diff", "main", "agent/a"] + m, ["export", "prices"] + m, ["sql", "SELECT * FROM prices"] + m,
            ["check", "-e", "SELECT symbol FROM prices"] + m, ["lineage", "prices.close"] + m, ["cost"] + m,
            ["rev-parse", "main"] + m, ["cat-object", "-p", agentB] + m, ["checkout", "agent/a"] + m,
            // Reads by agent, of revisions outside agent/*: named, by id, by time.
            ["log", "main"] + a, ["log", secret] + a, ["show", secret] + a, ["show", "secret~1"] + a,
            ["show", "main@{2030-01-01T00:00:00Z}"] + a, ["diff", "agent/a", "secret"] + a, ["diff", secret, "agent/a"] + a,
            ["tables", "main"] + a, ["export", "prices", secret] + a, ["cat-object", "-p", secret] + a,
            ["checkout", secret] + a, ["cost", "main"] + a, ["lineage", "prices.close", "main"] + a,
            ["rev-parse", secret] + a,
            // Writes.
            ["import", "prices", "new.csv", "--mode", "upsert"] + a, ["commit", "-m", "x", "--allow-empty"] + a,
            ["sql", "DELETE FROM prices", "-m", "x"] + a, ["branch", "other"] + a, ["branch", "agent/c", "secret"] + a,
            ["branch", "-d", "secret"] + a, ["merge", "agent/a"] + a, ["merge", "secret", "--into", "agent/a"] + a,
            ["replay", "secret", "--at", "2030-01-01T00:00:00Z"] + a, ["update-ref", "agent/a", secret] + a,
            ["update-ref", "main", agentB] + a, ["commit-tree", secretTree, "-m", "x"] + a, ["commit-tree", secretTree, "-p", "agent/a", "-m", "x"] + a, ["hash-object", "-w", "new.csv"] + m,
            ["classify", "prices.close", "confidential"] + a, ["run"] + a,
            ["gc", "--prune", "now", "--expire-reflogs", "now"] + a,
        ]
        for arguments in commands { refusedAndUnchanged(box, arguments) }
    }

    @Test func diffNeedsReadOnTheRevisionsItComparesNotOnTheCheckedOutBranch() {
        let box = governed()
        // main is checked out, and agent may not read it.
        let run = box.rocky("diff", "agent/a", "agent/b", "--as", "agent")
        #expect(run.code == 0, "\(run)")
        #expect(run.out.contains("prices"))
        refusedAndUnchanged(box, ["diff", "main", "agent/b", "--as", "agent"])
        refusedAndUnchanged(box, ["diff", "agent/a", "--as", "agent"])
    }

    @Test func aCommitIdIsReadableThroughABranchThatContainsIt() {
        let box = governed()
        let shared = id(box, "agent/a"), secret = id(box, "secret")
        #expect(box.rocky("show", shared, "--as", "agent").code == 0, "agent/a holds it")
        #expect(box.rocky("show", String(shared.prefix(8)), "--as", "agent").code == 0, "a prefix too")
        let run = box.rocky("show", secret, "--as", "agent")
        #expect(run.code == 5)
        #expect(run.err.contains("may not read"))
        let json = box.json(box.rocky("show", secret, "--as", "agent", "--json"))
        #expect((json["error"] as? [String: Any])?["code"] as? String == "commit_not_readable")
        #expect(box.rocky("show", secret, "--as", "alice").code == 0, "admin reads any commit")
    }

    @Test func complianceReplaysIntoReplayBranchesAndWritesNothingElse() {
        let box = governed()
        let c = ["--as", "compliance"]
        let run = box.rocky(["replay", "agent/b", "--at", "2030-01-01T00:00:00Z", "--json"] + c)
        #expect(run.code == 0, "\(run)")
        let branch = box.json(run)["branch"] as? String ?? ""
        #expect(branch.hasPrefix("replay/agent/b/"), "\(run.out)")
        #expect(box.ok("branch", "--as", "alice").contains(branch))
        refusedAndUnchanged(box, ["replay", "agent/b", "--at", "2030-01-01T00:00:00Z", "--name", "elsewhere"] + c)
        refusedAndUnchanged(box, ["branch", "mine"] + c)
        refusedAndUnchanged(box, ["sql", "DELETE FROM prices", "-m", "x"] + c)
        refusedAndUnchanged(box, ["commit", "-m", "x", "--allow-empty"] + c)
        refusedAndUnchanged(box, ["merge", "agent/a", "--into", "agent/b"] + c)
        refusedAndUnchanged(box, ["update-ref", branch, id(box, "main")] + c)
        let entry = (box.json(box.rocky("audit", "--json"))["entries"] as? [[String: Any]])?.last
        #expect(entry?["operation"] as? String == "replay" && entry?["actor"] as? String == "compliance")
    }

    @Test func gcNeedsAdmin() {
        let box = governed()
        refusedAndUnchanged(box, ["gc", "--prune", "now", "--expire-reflogs", "now", "--as", "writer"])
        #expect(box.rocky("gc", "--prune", "now", "--expire-reflogs", "now", "--as", "alice").code == 0)
    }

    @Test func changingWhoSeesWhatOnMainNeedsAdmin() {
        let box = governed()
        // dev is declared beside prod: once rocky.toml declares environments, dev needs one too.
        for section in ["[environments.dev]\n[environments.prod.masking]\npii = \"none\"\n", "[columns.\"customers.email\"]\nclassification = \"public\"\n",
                        "[engines.sqlite]\nthreads = 4\n"] {
            box.write("rocky.toml", Self.policy + section)
            let before = box.snapshot()
            let run = box.rocky("commit", "-m", "loosen", "--as", "writer")
            #expect(run.code == 5, "\(section)\n\(run)")
            #expect(run.err.contains("lacks the 'admin' permission"))
            #expect(box.snapshot() == before)
        }
        box.write("rocky.toml", Self.policy + "# a comment\n")
        #expect(box.rocky("commit", "-m", "a comment", "--as", "writer").code == 0, "other edits need write only")
        box.write("rocky.toml", Self.policy + "[environments.dev]\n[environments.prod.masking]\npii = \"redact\"\n")
        #expect(box.rocky("commit", "-m", "environments", "--as", "alice").code == 0)
    }

    @Test func failuresHaveTheirOwnCodesAndExitCodes() {
        let box = Sandbox()
        box.loadFixtures()
        box.write("rocky.toml", "[environments.prod.masking\npii = \"redact\"\n")
        let malformed = box.rocky("commit", "-m", "x", "--json")
        #expect(malformed.code == 1, "\(malformed)")
        #expect((box.json(malformed)["error"] as? [String: Any])?["code"] as? String == "malformed_config")
        #expect(malformed.err.contains("rocky.toml:"))
        box.write("rocky.toml", "")
        // A root commit of its own: no history shared with main.
        let tree = (box.json(box.rocky("cat-object", "-p", "main", "--json"))["content"] as? [String: Any])?["tree"] as? String ?? ""
        let orphan = box.ok("commit-tree", tree, "-m", "unrelated").trimmingCharacters(in: .whitespacesAndNewlines)
        box.ok("update-ref", "orphan", orphan)
        let before = box.snapshot()
        let replay = box.rocky("replay", "orphan", "--at", "2030-01-01T00:00:00Z", "--json")
        #expect(replay.code == 1, "\(replay)")
        #expect((box.json(replay)["error"] as? [String: Any])?["code"] as? String == "no_fork_point")
        #expect(box.snapshot() == before)
    }
}
