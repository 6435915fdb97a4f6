import Foundation
import Testing

@Suite struct HistoryVerbTests {
    /// main: base (t with ids 1-3), then one change per statement given.
    func repo(_ changes: String...) -> Sandbox {
        let box = Sandbox()
        box.ok("init")
        box.write("t.csv", "id,v\n1,a\n2,b\n3,c\n")
        box.ok("import", "t", "t.csv", "--key", "id")
        box.ok("commit", "-m", "base")
        for sql in changes { box.ok("sql", sql, "-m", sql) }
        return box
    }

    func head(_ box: Sandbox) -> [String: Any] {
        box.json(box.rocky("show", "--json"))["commit"] as? [String: Any] ?? [:]
    }

    func commitCount(_ box: Sandbox) -> Int {
        (box.json(box.rocky("log", "--json"))["commits"] as? [Any])?.count ?? -1
    }

    static let policy = """
        [access]
        protected = ["main"]
        [access.roles.writer]
        allow = ["read", "create", "write", "use"]
        branches = ["work/*"]
        [access.roles.admin]
        allow = ["*"]
        [access.principals]
        alice = ["admin"]
        bob = ["writer"]

        """

    // MARK: revert, cherry-pick

    @Test func revertUndoesOneCommitCellByCellKeepingLaterChanges() {
        let box = repo("UPDATE t SET v = 'x' WHERE id = 1", "UPDATE t SET v = 'y' WHERE id = 2")
        let run = box.rocky("revert", "HEAD~1")
        #expect(run.code == 0, "\(run)")
        #expect(box.ok("export", "t") == "id,v\n1,a\n2,y\n3,c\n", "the undone cell is back, the later change stays")
        let commit = head(box)
        #expect((commit["parents"] as? [String])?.count == 1)
        #expect((commit["transforms"] as? [Any])?.isEmpty == true, "a revert records no transformation")
        #expect(((commit["meta"] as? [String: Any])?["revert"] as? [String: Any])?["commit"] as? String != nil)
        #expect((commit["message"] as? String)?.hasPrefix("Revert \"UPDATE t SET v = 'x'") == true)
        #expect(box.ok("audit", "--json").contains("\"revert\""), "audited")
        #expect(box.ok("status").contains("clean"))
    }

    @Test func revertConflictsLikeMergeAndWritesNothing() {
        let box = repo("UPDATE t SET v = 'x' WHERE id = 1", "UPDATE t SET v = 'z' WHERE id = 1")
        let before = box.ok("rev-parse", "HEAD")
        let run = box.rocky("revert", "HEAD~1", "--json")
        #expect(run.code == 3, "\(run)")
        let conflicts = box.json(run)["conflicts"] as? [[String: Any]] ?? []
        #expect(conflicts.count == 1 && conflicts.first?["column"] as? String == "v")
        #expect(box.ok("rev-parse", "HEAD") == before)
        #expect(box.ok("export", "t") == "id,v\n1,z\n2,b\n3,c\n")
        #expect(box.rocky("revert", "HEAD~1", "--strategy", "theirs").code == 0)
        #expect(box.ok("export", "t") == "id,v\n1,a\n2,b\n3,c\n")
    }

    @Test func revertIsRefusedWithUncommittedChanges() {
        let box = repo("UPDATE t SET v = 'x' WHERE id = 1")
        box.ok("sql", "UPDATE t SET v = 'q' WHERE id = 3")
        let run = box.rocky("revert", "HEAD")
        #expect(run.code != 0 && run.err.contains("uncommitted"), "\(run)")
        #expect(box.ok("export", "t") == "id,v\n1,x\n2,b\n3,q\n")
    }

    @Test func revertOfAMergeUndoesWhatItBroughtToTheFirstParent() {
        let box = repo()
        box.ok("branch", "feat")
        box.ok("sql", "UPDATE t SET v = 'm' WHERE id = 1", "-m", "main change")
        box.ok("checkout", "feat")
        box.ok("sql", "UPDATE t SET v = 'f' WHERE id = 2", "-m", "feat change")
        box.ok("checkout", "main")
        box.ok("merge", "feat")
        #expect(box.ok("export", "t") == "id,v\n1,m\n2,f\n3,c\n")
        #expect(box.rocky("revert", "HEAD").code == 0)
        #expect(box.ok("export", "t") == "id,v\n1,m\n2,b\n3,c\n", "default: against the first parent")
        #expect(box.rocky("revert", "HEAD~1", "-m", "2").code == 0, "-m 2 reverts what main brought to feat")
        #expect(box.ok("export", "t") == "id,v\n1,a\n2,b\n3,c\n")
        #expect(box.rocky("revert", "HEAD", "-m", "3").code == 2)
    }

    @Test func revertOfAFiveThousandRowChangeIsOneCommit() {
        let box = Sandbox()
        box.ok("init")
        box.write("big.csv", "id,v\n" + (1...5000).map { "\($0),\($0)\n" }.joined())
        box.ok("import", "big", "big.csv", "--key", "id")
        box.ok("commit", "-m", "base")
        box.ok("sql", "UPDATE big SET v = v + 1", "-m", "bump")
        let before = commitCount(box)
        #expect(box.rocky("revert", "HEAD").code == 0)
        #expect(commitCount(box) == before + 1, "one commit")
        #expect((head(box)["transforms"] as? [Any])?.isEmpty == true, "no transformation recorded")
        #expect(box.ok("diff", "HEAD~2", "HEAD", "--stat").contains("0 table(s) changed"), "back to the base state")
    }

    @Test func cherryPickAppliesACommitFromAnotherBranch() {
        let box = repo()
        box.ok("branch", "feat")
        box.ok("checkout", "feat")
        box.ok("sql", "UPDATE t SET v = 'f' WHERE id = 2", "-m", "fix two")
        box.ok("sql", "UPDATE t SET v = 'g' WHERE id = 3", "-m", "other")
        box.ok("checkout", "main")
        let run = box.rocky("cherry-pick", "feat~1")
        #expect(run.code == 0, "\(run)")
        #expect(box.ok("export", "t") == "id,v\n1,a\n2,f\n3,c\n", "only that commit's change")
        #expect((head(box)["message"] as? String)?.contains("cherry picked from commit") == true)
        #expect(box.rocky("cherry-pick", "feat~1").code == 1, "picking it again changes nothing: refused")
    }

    // MARK: reset, reflog

    @Test func resetMovesTheBranchAndTheReflogKeepsTheOldID() {
        let box = repo("UPDATE t SET v = 'x' WHERE id = 1")
        let old = box.ok("rev-parse", "HEAD").trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(box.rocky("reset", "HEAD~1").code == 0)
        #expect(box.ok("export", "t") == "id,v\n1,a\n2,b\n3,c\n")
        let reflog = box.json(box.rocky("reflog", "--json"))["reflog"] as? [[String: Any]] ?? []
        #expect(reflog.first?["message"] as? String == "reset: moving to HEAD~1")
        #expect(reflog.first?["old"] as? String == old, "the reflog keeps the old id")
        #expect(box.rocky("reset", old).code == 0, "and it undoes the reset")
        #expect(box.ok("export", "t") == "id,v\n1,x\n2,b\n3,c\n")
        #expect(box.ok("fsck").contains("ok") || box.rocky("fsck").code == 0)
    }

    @Test func resetIsRefusedWithUncommittedChangesUnlessHard() {
        let box = repo("UPDATE t SET v = 'x' WHERE id = 1")
        box.ok("sql", "UPDATE t SET v = 'q' WHERE id = 3")
        let head = box.ok("rev-parse", "HEAD")
        let run = box.rocky("reset", "HEAD~1")
        #expect(run.code != 0 && run.err.contains("uncommitted"), "\(run)")
        #expect(box.ok("rev-parse", "HEAD") == head)
        #expect(box.rocky("reset", "--hard", "HEAD~1").code == 0)
        #expect(box.ok("export", "t") == "id,v\n1,a\n2,b\n3,c\n")
        #expect(box.ok("status").contains("clean"))
    }

    @Test func softResetKeepsTheOldStateAsUncommittedChanges() {
        let box = repo("UPDATE t SET v = 'x' WHERE id = 1")
        #expect(box.rocky("reset", "--soft", "HEAD~1").code == 0)
        #expect(box.ok("export", "t") == "id,v\n1,x\n2,b\n3,c\n")
        #expect(box.ok("status").contains("t"))
        #expect(box.rocky("commit", "-m", "again").code == 0)
    }

    @Test func resettingTheProtectedBranchNeedsAdmin() {
        let box = repo()
        box.write("rocky.toml", Self.policy)
        box.ok("commit", "-m", "policy", "--as", "alice")
        box.ok("branch", "work/a", "--as", "alice")
        let refused = box.rocky(["reset", "HEAD~1", "--as", "bob"])
        #expect(refused.code == 5 && refused.err.contains("'write'"), "\(refused)")
        box.ok("checkout", "work/a", "--as", "bob")
        box.ok("sql", "UPDATE t SET v = 'w' WHERE id = 1", "-m", "w", "--as", "bob")
        #expect(box.rocky(["reset", "HEAD~1", "--as", "bob"]).code == 0, "bob may reset his own branch")
        box.ok("checkout", "main", "--as", "alice")
        let admin = box.rocky(["reset", "--hard", "HEAD~1", "--as", "alice"])
        #expect(admin.code == 0, "\(admin)")
    }

    // MARK: tag

    @Test func tagsAreAnnotatedImmutableAndDeletedOnlyByAdmins() {
        let box = repo("UPDATE t SET v = 'x' WHERE id = 1")
        #expect(box.rocky("tag", "v1", "HEAD~1", "-m", "first release").code == 0)
        let tags = box.json(box.rocky("tag", "--json"))["tags"] as? [[String: Any]] ?? []
        #expect(tags.count == 1 && tags.first?["tagger"] as? String == "tester" && tags.first?["message"] as? String == "first release")
        #expect(box.ok("rev-parse", "v1") == box.ok("rev-parse", "HEAD~1"), "a tag is a revision")
        #expect(box.ok("export", "t", "v1") == "id,v\n1,a\n2,b\n3,c\n")
        let again = box.rocky("tag", "v1", "-m", "moved")
        #expect(again.code == 1 && again.err.contains("already exists"), "\(again)")
        #expect(box.rocky("fsck").code == 0, "fsck knows tag objects: \(box.rocky("fsck"))")
        box.write("rocky.toml", Self.policy)
        box.ok("commit", "-m", "policy", "--as", "alice")
        let bob = box.rocky(["tag", "-d", "v1", "--as", "bob"])
        #expect(bob.code == 5 && bob.err.contains("'admin'"), "\(bob)")
        let bobTag = box.rocky(["tag", "v2", "--as", "bob"])
        #expect(bobTag.code == 5 && bobTag.err.contains("'create'"), "tags need create on tags/<name>: \(bobTag)")
        #expect(box.rocky(["tag", "-d", "v1", "--as", "alice"]).code == 0)
        #expect(box.rocky("rev-parse", "v1").code != 0)
    }

    // MARK: stash

    @Test func stashSetsChangesAsideAndPopBringsThemBack() {
        let box = repo()
        box.ok("sql", "UPDATE t SET v = 's' WHERE id = 1")
        box.write("models/m.sql", "SELECT * FROM t")
        #expect(box.rocky("stash", "-m", "wip").code == 0)
        #expect(box.ok("status").contains("clean"))
        #expect(box.read("models/m.sql") == nil, "project files go into the stash too")
        #expect(box.ok("stash", "list").contains("stash@{0}: wip"))
        #expect(box.rocky("stash", "pop").code == 0)
        #expect(box.ok("export", "t") == "id,v\n1,s\n2,b\n3,c\n")
        #expect(box.read("models/m.sql") == "SELECT * FROM t")
        #expect(box.ok("stash", "list").isEmpty)
        #expect(box.rocky("stash", "pop").code == 1, "nothing left")
        #expect(box.rocky("fsck").code == 0)
    }

    @Test func stashPopRefusesConflictsAndUncommittedChanges() {
        let box = repo()
        box.ok("sql", "UPDATE t SET v = 's' WHERE id = 1")
        box.ok("stash")
        box.ok("sql", "UPDATE t SET v = 'o' WHERE id = 3")
        let dirty = box.rocky("stash", "pop")
        #expect(dirty.code != 0 && dirty.err.contains("uncommitted"), "\(dirty)")
        box.ok("commit", "-m", "other row")
        #expect(box.rocky("stash", "pop").code == 0, "a change to another row merges")
        #expect(box.ok("export", "t") == "id,v\n1,s\n2,b\n3,o\n")
        box.ok("stash")
        box.ok("sql", "UPDATE t SET v = 'c' WHERE id = 1", "-m", "same cell")
        let conflict = box.rocky("stash", "pop")
        #expect(conflict.code == 3, "\(conflict)")
        #expect(box.ok("stash", "list").contains("stash@{0}"), "the entry stays")
        #expect(box.ok("export", "t") == "id,v\n1,c\n2,b\n3,o\n")
    }

    // MARK: branch

    @Test func branchDeleteRefusesAnUnmergedBranchUnlessForced() {
        let box = repo()
        box.ok("branch", "feat")
        box.ok("branch", "done")
        box.ok("checkout", "feat")
        box.ok("sql", "UPDATE t SET v = 'f' WHERE id = 2", "-m", "feat")
        box.ok("checkout", "main")
        let run = box.rocky("branch", "-d", "feat")
        #expect(run.code == 1 && run.err.contains("not merged"), "\(run)")
        #expect(box.rocky("rev-parse", "feat").code == 0, "still there")
        #expect(box.rocky("branch", "-d", "done").code == 0, "a merged branch goes")
        #expect(box.rocky("branch", "-D", "feat").code == 0)
    }

    @Test func branchRenameMovesTheRefHeadAndReflog() {
        let box = repo()
        box.ok("branch", "old")
        box.ok("checkout", "old")
        box.ok("sql", "UPDATE t SET v = 'o' WHERE id = 2", "-m", "on old")
        box.ok("sql", "UPDATE t SET v = 'p' WHERE id = 3")
        #expect(box.rocky("branch", "-m", "old", "new").code == 0)
        #expect(box.ok("status").contains("On branch new"))
        #expect(box.ok("status").contains("t"), "the working set moved along")
        #expect(box.rocky("rev-parse", "old").code != 0)
        let reflog = box.ok("reflog")
        #expect(reflog.contains("renamed from old") && reflog.contains("on old") && reflog.contains("created from"), "\(reflog)")
        #expect(box.rocky("branch", "-m", "new", "main").code == 1, "an existing name is refused")
        #expect(box.rocky("audit", "--verify").code == 0, "\(box.rocky("audit", "--verify"))")
    }

    // MARK: log

    func history() -> Sandbox {
        let box = repo()
        box.ok("branch", "feat")
        box.ok("sql", "UPDATE t SET v = 'm' WHERE id = 1", "-m", "main work")
        box.ok("checkout", "feat")
        box.write("u.csv", "k,w\n1,x\n")
        box.ok("import", "u", "u.csv", "--key", "k")
        box.ok("commit", "-m", "feat table", "--as", "carol")
        box.ok("checkout", "main")
        box.ok("merge", "feat")
        return box
    }

    /// The subjects of `log --oneline`, without ids and branch names.
    func subjects(_ out: String) -> [String] {
        out.split(separator: "\n").map { line in
            var rest = line.split(separator: " ", maxSplits: 1).last.map(String.init) ?? ""
            if rest.hasPrefix("("), let close = rest.range(of: ") ") { rest = String(rest[close.upperBound...]) }
            return rest
        }
    }

    @Test func logRangesShowWhatOneSideLacks() {
        let box = history()
        #expect(subjects(box.ok("log", "--oneline", "main..feat")).isEmpty, "main contains feat")
        #expect(subjects(box.ok("log", "--oneline", "feat..main")) == ["Merge feat into main", "main work"])
        #expect(subjects(box.ok("log", "--oneline", "HEAD~1..")) .count == 2, "merge and feat's commit")
        #expect(box.rocky("log", "a...b").code == 2)
    }

    @Test func logFiltersByAuthorTimeAndTable() {
        let box = history()
        #expect(subjects(box.ok("log", "--oneline", "--author", "carol")) == ["feat table"])
        #expect(subjects(box.ok("log", "--oneline", "--", "u")) == ["Merge feat into main", "feat table"])
        box.ok("sql", "UPDATE t SET v = 'later' WHERE id = 3", "-m", "later", "--as", "dave")
        #expect(box.ok("log", "--oneline", "--since", "2026-05-21").isEmpty, "every commit is at 2026-05-20T16:00")
        #expect(subjects(box.ok("log", "--oneline", "--until", "2026-05-20T16:00:00Z", "-n", "1")) == ["later"])
        #expect(box.rocky("log", "--since", "yesterday").code == 2)
    }

    @Test func logGraphStatAndPatch() {
        let box = history()
        let graph = box.ok("log", "--graph")
        #expect(graph.hasPrefix("* "), "\(graph)")
        #expect(graph.contains("|\\"), "a merge opens a lane: \(graph)")
        #expect(graph.contains("|/"), "and it joins again: \(graph)")
        let stat = box.ok("log", "--stat", "-n", "1", "feat")
        #expect(stat.contains("u | +1 -0 ~0 (added)"), "\(stat)")
        let patch = box.ok("log", "-p", "-n", "1")
        #expect(patch.contains("table u: added") && patch.contains("+ 1"), "\(patch)")
        let main = box.ok("log", "-p", "-n", "1", "HEAD~1")
        #expect(main.contains("~ 1  v: a -> m"), "\(main)")
        let show = box.ok("show", "--stat", "HEAD~1")
        #expect(show.contains("t | +0 -0 ~1"), "\(show)")
    }

    @Test func costTakesARange() {
        let box = history()
        let run = box.rocky("cost", "feat..main", "--json")
        #expect(run.code == 0, "\(run)")
        #expect(box.json(run)["commits"] as? Int == 2)
        #expect((box.json(run)["total"] as? [String: Any])?["transformations"] as? Int == 1)
    }
}
