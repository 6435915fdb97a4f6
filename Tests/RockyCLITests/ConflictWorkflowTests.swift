import Foundation
import Testing

/// `merge --keep-conflicts`, `rocky conflicts [resolve]`, `merge --continue|--abort`.
@Suite struct ConflictWorkflowTests {
    /// main and right both change rows 1-3 of t (and main deletes row 4,
    /// which right changes); right also adds a model file.
    func conflicted() -> Sandbox {
        let box = Sandbox()
        box.ok("init")
        box.write("t.csv", "id,qty,note\n1,10,a\n2,20,b\n3,30,c\n4,40,d\n5,50,e\n")
        box.ok("import", "t", "t.csv", "--key", "id")
        box.ok("commit", "-m", "base")
        box.ok("branch", "right")
        box.ok("sql", "UPDATE t SET qty = 11 WHERE id = 1; UPDATE t SET qty = 21, note = 'x' WHERE id = 2; "
            + "UPDATE t SET qty = 31 WHERE id = 3; DELETE FROM t WHERE id = 4", "-m", "main side")
        box.ok("checkout", "right")
        box.ok("sql", "UPDATE t SET qty = 12 WHERE id = 1; UPDATE t SET qty = 22, note = 'y' WHERE id = 2; "
            + "UPDATE t SET qty = 32 WHERE id = 3; UPDATE t SET qty = 42 WHERE id = 4; UPDATE t SET note = 'E' WHERE id = 5",
            "-m", "right side")
        box.write("models/extra.sql", "SELECT id FROM t")
        box.ok("commit", "-m", "a model")
        box.ok("checkout", "main")
        return box
    }

    func conflicts(_ box: Sandbox) -> [[String: Any]] {
        box.json(box.rocky("conflicts", "--json"))["conflicts"] as? [[String: Any]] ?? []
    }

    @Test func conflictsResolvedPerKeyThenContinueCommitsBothParents() {
        let box = conflicted()
        let kept = box.rocky("merge", "right", "--keep-conflicts")
        #expect(kept.code == 3, "conflicts kept still say conflict: \(kept)")
        #expect(box.ok("status").contains("merge of right is in progress"))
        #expect(box.read("models/extra.sql") == "SELECT id FROM t", "the cleanly merged project files are written")
        let listed = conflicts(box)
        #expect(listed.count == 5, "qty of 1, 2, 3; note of 2; delete-modify of 4: \(listed)")
        let one = listed.first { ($0["key"] as? [String: Any])?["id"] as? Int == 1 }
        #expect(one?["base"] as? Int == 10 && one?["ours"] as? Int == 11 && one?["theirs"] as? Int == 12 && one?["column"] as? String == "qty")

        #expect(box.rocky("conflicts", "resolve", "t", "9", "--ours").code == 2, "a key without a conflict is refused")
        #expect(box.rocky("conflicts", "resolve", "t", "2", "--set", "qty=99").code == 2, "--set must cover every conflicting cell")
        box.ok("conflicts", "resolve", "t", "1", "--ours")
        box.ok("conflicts", "resolve", "t", "2", "--set", "qty=99", "--set", "note=z")
        box.ok("conflicts", "resolve", "t", "3", "4", "--theirs")
        #expect(conflicts(box).isEmpty)
        #expect(box.ok("status").contains("every conflict is resolved"))

        let done = box.rocky("merge", "--continue", "--json")
        #expect(done.code == 0, "\(done)")
        #expect(box.ok("export", "t") == "id,qty,note\n1,11,a\n2,99,z\n3,32,c\n4,42,d\n5,50,E\n",
                "ours for 1, the set values for 2, theirs for 3 and 4 (restored row), the clean change to 5")
        let commit = box.json(box.rocky("show", "--json"))["commit"] as? [String: Any]
        let parents = commit?["parents"] as? [String] ?? []
        #expect(parents.count == 2)
        #expect(parents.last == box.ok("rev-parse", "right").trimmingCharacters(in: .whitespacesAndNewlines), "the second parent is the merged branch")
        #expect(box.ok("status").contains("nothing to commit"))
        let entries = box.json(box.rocky("audit", "--json"))["entries"] as? [[String: Any]] ?? []
        let operations = entries.map { $0["operation"] as? String ?? "" }
        #expect(operations.filter { $0 == "resolve" }.count == 3)
        #expect(operations.suffix(5) == ["merge", "resolve", "resolve", "resolve", "merge"], "\(operations)")
        #expect(box.ok("audit", "--verify").hasPrefix("ok"))
    }

    @Test func continueIsRefusedWhileConflictsRemain() {
        let box = conflicted()
        #expect(box.rocky("merge", "right", "--keep-conflicts").code == 3)
        let refused = box.rocky("merge", "--continue", "--json")
        #expect(refused.code == 3)
        #expect(((box.json(refused)["error"] as? [String: Any])?["code"] as? String) == "conflicts_remain")
        box.ok("conflicts", "resolve", "t", "1", "2", "3", "--ours")
        #expect(box.rocky("merge", "--continue").code == 3, "the delete-modify of 4 still stands")
        #expect(box.rocky("commit", "-m", "sneak").code != 0, "a plain commit would drop the merge's second parent")
        #expect(box.rocky("merge", "right").code != 0, "no second merge over one in progress")
        #expect(conflicts(box).count == 1)
        box.ok("conflicts", "resolve", "t", "--ours")
        box.ok("merge", "--continue")
        #expect(box.ok("export", "t") == "id,qty,note\n1,11,a\n2,21,x\n3,31,c\n5,50,E\n")
    }

    @Test func abortRestoresTheWorkingSetByteForByte() {
        let box = conflicted()
        let refsBefore = box.snapshot(".rocky/refs/worksets"), headsBefore = box.snapshot(".rocky/refs/heads")
        let filesBefore = box.snapshot("models")
        #expect(box.rocky("merge", "right", "--keep-conflicts").code == 3)
        box.ok("conflicts", "resolve", "t", "1", "--theirs")
        #expect(box.snapshot(".rocky/refs/worksets") != refsBefore)
        box.ok("merge", "--abort")
        #expect(box.snapshot(".rocky/refs/worksets") == refsBefore)
        #expect(box.snapshot(".rocky/refs/heads") == headsBefore)
        #expect(box.snapshot("models") == filesBefore, "the model merged from right is gone again")
        #expect(box.read("models/extra.sql") == nil)
        #expect(box.ok("status").contains("nothing to commit"))
        #expect(box.ok("export", "t") == "id,qty,note\n1,11,a\n2,21,x\n3,31,c\n5,50,e\n")
        #expect(box.rocky("merge", "--abort").code == 1, "nothing left to abort")
        #expect(box.rocky("merge", "right", "--strategy", "theirs").code == 0, "merging again works after an abort")
    }

    @Test func keptConflictsAreMaskedInAMaskingEnvironment() {
        let box = Sandbox()
        box.ok("init")
        box.write("rocky.toml", """
        [environments.dev.masking]
        pii = "none"

        [environments.prod.masking]
        pii = "redact"

        [columns."people.email"]
        classification = "pii"
        """)
        box.write("p.csv", "id,email\n1,alice@example.com\n")
        box.ok("import", "people", "p.csv", "--key", "id")
        box.ok("commit", "-m", "base")
        box.ok("branch", "right")
        box.ok("sql", "UPDATE people SET email = 'bob@example.com' WHERE id = 1", "-m", "main")
        box.ok("checkout", "right")
        box.ok("sql", "UPDATE people SET email = 'carol@example.com' WHERE id = 1", "-m", "right")
        box.ok("checkout", "main")
        #expect(box.rocky(["merge", "right", "--keep-conflicts", "--env", "prod"]).code == 3)
        let listed = box.rocky(["conflicts", "--json", "--env", "prod"])
        #expect(listed.code == 0, "\(listed)")
        #expect(!listed.out.contains("@example.com"), "\(listed.out)")
        #expect(box.ok("conflicts").contains("carol@example.com"), "dev shows raw values")
    }

    /// Revert and cherry-pick use the same workflow: kept, resolved per key, continued or aborted.
    @Test func aRevertOrCherryPickKeepsItsConflictsToo() {
        let box = Sandbox()
        box.ok("init")
        box.write("t.csv", "id,qty\n1,10\n2,20\n3,30\n")
        box.ok("import", "t", "t.csv", "--key", "id", "-m", "base")
        box.ok("sql", "UPDATE t SET qty = 11 WHERE id IN (1, 2, 3)", "-m", "bump")
        let bump = box.ok("rev-parse", "HEAD").trimmingCharacters(in: .whitespacesAndNewlines)
        box.ok("sql", "UPDATE t SET qty = 12 WHERE id IN (1, 2)", "-m", "later")
        let head = box.ok("rev-parse", "HEAD").trimmingCharacters(in: .whitespacesAndNewlines)

        // Row 3 reverts cleanly; rows 1 and 2 changed since: conflicts, kept.
        let worksets = box.snapshot(".rocky/refs/worksets"), heads = box.snapshot(".rocky/refs/heads")
        let kept = box.rocky("revert", bump, "--keep-conflicts")
        #expect(kept.code == 3 && kept.out.contains("2 conflict(s) kept"), "\(kept)")
        #expect(box.ok("status").contains("revert of \(bump) is in progress"), "\(box.ok("status"))")
        #expect(conflicts(box).count == 2)
        #expect(box.rocky("commit", "-m", "x").code != 0, "a plain commit may not bypass the revert")
        box.ok("merge", "--abort")
        #expect(box.ok("rev-parse", "HEAD").trimmingCharacters(in: .whitespacesAndNewlines) == head)
        #expect(box.snapshot(".rocky/refs/worksets") == worksets && box.snapshot(".rocky/refs/heads") == heads,
                "--abort leaves the working set and the branch as they were")
        #expect(box.ok("export", "t") == "id,qty\n1,12\n2,12\n3,11\n")

        #expect(box.rocky("revert", bump, "--keep-conflicts").code == 3)
        box.ok("conflicts", "resolve", "t", "1", "--ours")
        box.ok("conflicts", "resolve", "t", "2", "--theirs")
        box.ok("merge", "--continue")
        #expect(box.ok("export", "t") == "id,qty\n1,12\n2,20\n3,30\n", "1: ours (later), 2: theirs (before the bump), 3: reverted")
        let log = box.json(box.rocky("log", "--json", "-n", "1"))["commits"] as? [[String: Any]] ?? []
        #expect((log.first?["parents"] as? [String])?.count == 1, "a revert's commit has one parent: \(log)")
        #expect((log.first?["message"] as? String)?.hasPrefix("Revert \"bump\"") == true, "\(log)")

        // A cherry-pick of the bump onto a branch that changed row 1.
        box.ok("checkout", "-b", "side", "HEAD~3")
        box.ok("sql", "UPDATE t SET qty = 99 WHERE id = 1", "-m", "side")
        #expect(box.rocky("cherry-pick", bump, "--keep-conflicts").code == 3)
        box.ok("conflicts", "resolve", "t", "1", "--set", "qty=50")
        box.ok("merge", "--continue")
        #expect(box.ok("export", "t") == "id,qty\n1,50\n2,11\n3,11\n")
        #expect(box.rocky("revert", bump, "--keep-conflicts", "--strategy", "ours").code == 2)
    }
}
