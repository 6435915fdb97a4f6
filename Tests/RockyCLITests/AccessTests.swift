import Foundation
import Testing

@Suite struct AccessTests {
    static let policy = """
        [access]
        protected = ["main"]
        [access.roles.analyst]
        allow = ["read", "create", "write", "replay", "use"]
        branches = ["agent/*"]
        environments = ["dev"]
        [access.roles.reader]
        allow = ["read"]
        [access.roles.admin]
        allow = ["*"]
        [access.principals]
        alice = ["admin"]
        "agent:rebalancer" = ["analyst", "reader"]

        """

    func governed() -> Sandbox {
        let box = Sandbox()
        box.loadFixtures()
        box.write("rocky.toml", Self.policy)
        box.ok("commit", "-m", "Access policy", "--as", "alice")
        return box
    }

    func refused(_ run: Run, _ permission: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(run.code == 5, "\(run)", sourceLocation: sourceLocation)
        #expect(run.err.contains("lacks the '\(permission)' permission"), "\(run.err)", sourceLocation: sourceLocation)
    }

    @Test func everythingIsAllowedBeforeAPolicyIsCommitted() {
        let box = Sandbox()
        box.loadFixtures()
        #expect(box.rocky(["branch", "anything", "--as", "nobody"]).code == 0)
    }

    @Test func analystsWorkOnAgentBranchesOnly() {
        let box = governed()
        let agent = ["--as", "agent:rebalancer"]
        #expect(box.rocky(["branch", "agent/x"] + agent).code == 0)
        refused(box.rocky(["branch", "risk/x"] + agent), "create")
        #expect(box.rocky(["checkout", "agent/x"] + agent).code == 0)
        box.write("delta.csv", "symbol,ts,open,high,low,close,volume\nAAPL,2026-06-01T20:00:00Z,1.0000,1.0000,1.0000,1.0000,1\n")
        #expect(box.rocky(["import", "prices", "delta.csv", "--mode", "upsert"] + agent).code == 0)
        #expect(box.rocky(["commit", "-m", "agent work"] + agent).code == 0)
        #expect(box.rocky(["log", "-n", "1"] + agent).code == 0, "reading is allowed")
        #expect(box.rocky(["checkout", "main"] + agent).code == 0, "reader may read main")
        box.write("rocky.toml", Self.policy + "\n# touched\n")
        refused(box.rocky(["commit", "-m", "write main"] + agent), "write")
        box.ok("checkout", "--force", "agent/x", "--as", "alice")
        refused(box.rocky(["branch", "-d", "agent/x"] + agent), "delete")
        refused(box.rocky(["log", "--as", "mallory"]), "read")
    }

    @Test func aRefusalInJSONNamesThePermissionTheActorLacks() {
        let box = governed()
        let before = box.snapshot()
        let run = box.rocky(["--json", "branch", "risk/x", "--as", "agent:rebalancer"])
        #expect(run.code == 5, "\(run)")
        let error = box.json(run)["error"] as? [String: Any] ?? [:]
        #expect(error["code"] as? String == "access_denied" && error["permission"] as? String == "create", "\(error)")
        #expect(error["actor"] as? String == "agent:rebalancer" && error["branch"] as? String == "risk/x")
        #expect(error["roles"] as? [String] == ["analyst", "reader"])
        #expect(box.snapshot() == before)
    }

    @Test func anAnalystCannotGrantThemselvesARole() {
        let box = governed()
        let agent = ["--as", "agent:rebalancer"]
        box.rocky(["branch", "agent/escalate"] + agent)
        box.rocky(["checkout", "agent/escalate"] + agent)
        box.write("rocky.toml", Self.policy.replacingOccurrences(of: "\"agent:rebalancer\" = [\"analyst\", \"reader\"]",
                                                                  with: "\"agent:rebalancer\" = [\"admin\"]"))
        #expect(box.rocky(["commit", "-m", "make me admin"] + agent).code == 0, "their own branch accepts the edit")
        refused(box.rocky(["branch", "risk/now-allowed"] + agent), "create")
        #expect(box.rocky(["checkout", "--force", "main"] + agent).code == 0)
        box.write("rocky.toml", Self.policy.replacingOccurrences(of: "\"agent:rebalancer\" = [\"analyst\", \"reader\"]",
                                                                  with: "\"agent:rebalancer\" = [\"admin\"]"))
        refused(box.rocky(["commit", "-m", "again, on main"] + agent), "write")
    }

    @Test func changingThePolicyOnMainNeedsAdmin() {
        let box = governed()
        box.ok("--as", "alice", "branch", "helper")
        box.write("rocky.toml", Self.policy + "[access.roles.writer]\nallow = [\"write\"]\n[access.principals.extra]\n")
        let policy = Self.policy.replacingOccurrences(of: "alice = [\"admin\"]", with: "alice = [\"admin\"]\nbob = [\"writer\", \"reader\"]")
            + "[access.roles.writer]\nallow = [\"write\"]\n"
        box.write("rocky.toml", policy)
        #expect(box.rocky(["commit", "-m", "add bob", "--as", "alice"]).code == 0)
        box.write("rocky.toml", policy.replacingOccurrences(of: "bob = [\"writer\", \"reader\"]", with: "bob = [\"admin\"]"))
        refused(box.rocky(["commit", "-m", "bob promotes himself", "--as", "bob"]), "admin")
        box.write("models/a.sql", "SELECT symbol FROM prices\n")
        box.write("rocky.toml", policy)
        #expect(box.rocky(["commit", "-m", "bob writes a model", "--as", "bob"]).code == 0)
    }

    @Test func plumbingAndPushFollowThePolicyToo() {
        let box = governed()
        let agent = ["--as", "agent:rebalancer"]
        box.ok("branch", "agent/x", "--as", "alice")
        box.ok("checkout", "agent/x", "--as", "alice")
        box.write("rocky.toml", Self.policy.replacingOccurrences(of: "\"agent:rebalancer\" = [\"analyst\", \"reader\"]",
                                                                  with: "\"agent:rebalancer\" = [\"admin\"]"))
        box.ok("commit", "-m", "promote the agent", "--as", "alice")
        let main = box.ok("rev-parse", "main", "--as", "alice").trimmingCharacters(in: .whitespacesAndNewlines)
        let escalated = box.ok("rev-parse", "agent/x", "--as", "alice").trimmingCharacters(in: .whitespacesAndNewlines)

        refused(box.rocky(["update-ref", "main", escalated] + agent), "write")
        refused(box.rocky(["update-ref", "refs/worksets/main", escalated] + agent), "admin")
        refused(box.rocky(["update-ref", "-d", "agent/x"] + ["--as", "mallory"]), "delete")
        #expect(box.ok("rev-parse", "main", "--as", "alice").trimmingCharacters(in: .whitespacesAndNewlines) == main, "main did not move")

        // Pushing into a governed repository is a write there.
        box.ok("clone", ".", "work", "--as", "alice")
        box.ok("checkout", "-b", "agent/y", "--as", "alice", in: "work")
        box.ok("commit", "-m", "agent work", "--allow-empty", "--as", "alice", in: "work")
        refused(box.rocky(["push", "origin", "agent/y:main"] + agent, in: "work"), "write")
        #expect(box.rocky(["push", "origin", "agent/y"] + agent, in: "work").code == 0, "its own branches take the push")

        // A writer on main still needs admin to bring in an [access] change.
        let policy = Self.policy.replacingOccurrences(of: "alice = [\"admin\"]", with: "alice = [\"admin\"]\nbob = [\"writer\", \"reader\"]")
            + "[access.roles.writer]\nallow = [\"write\"]\n"
        box.ok("checkout", "main", "--force", "--as", "alice")
        box.write("rocky.toml", policy)
        box.ok("commit", "-m", "add bob", "--as", "alice")
        let withBob = box.ok("rev-parse", "main", "--as", "alice").trimmingCharacters(in: .whitespacesAndNewlines)
        refused(box.rocky(["update-ref", "main", escalated, "--as", "bob"]), "admin")
        #expect(box.rocky(["update-ref", "main", escalated, withBob, "--as", "alice"]).code == 0)
        let entries = box.json(box.rocky("audit", "--json"))["entries"] as? [[String: Any]] ?? []
        #expect(entries.last?["operation"] as? String == "update-ref")
        #expect(entries.last?["branch"] as? String == "main")
    }

    @Test func environmentsNeedTheUsePermission() {
        let box = governed()
        let agent = ["--as", "agent:rebalancer"]
        box.rocky(["branch", "agent/y"] + agent)
        box.rocky(["checkout", "agent/y"] + agent)
        #expect(box.rocky(["check", "-e", "SELECT symbol FROM prices", "--env", "dev"] + agent).code == 0)
        refused(box.rocky(["check", "-e", "SELECT symbol FROM prices", "--env", "prod"] + agent), "use")
    }
}
