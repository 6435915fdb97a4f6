import Foundation
import Testing

/// The audit trail is complete and crash-consistent (DESIGN.md "Audit"): a
/// branch move and its entry are one step, and the reflogs anchor the chain.
@Suite struct AuditIntegrityTests {

    private func entries(_ box: Sandbox) -> [[String: Any]] {
        box.json(box.rocky("audit", "--json"))["entries"] as? [[String: Any]] ?? []
    }

    /// The ids main's reflog recorded, oldest first.
    private func mainHistory(_ box: Sandbox) -> [String] {
        (box.read(".rocky/logs/refs/heads/main") ?? "").split(separator: "\n").map { String($0.split(separator: "\t")[1]) }
    }

    /// A crash between appending an entry and updating audit.head leaves a
    /// log one entry longer than its head: that is an interrupted append, not
    /// truncation, and the next entry records it. A log shorter than its head
    /// is truncation.
    @Test func tornTailIsNotTruncation() throws {
        let box = Sandbox()
        box.ok("init")
        box.ok("branch", "b1")
        let head = box.read(".rocky/audit.head")!
        box.ok("branch", "b2")
        box.write(".rocky/audit.head", head)  // the crash point: entry 3 appended, head not updated
        let verify = box.rocky("audit", "--verify")
        #expect(verify.code == 0, "\(verify)")
        #expect(verify.out.hasPrefix("ok: 3 entries"))
        #expect(verify.err.contains("audit.head not yet updated"))
        #expect(box.rocky("fsck").code == 0)

        // A partial line (killed mid-write) is cut off by the next append.
        let log = box.path + "/.rocky/audit.log"
        let handle = try #require(FileHandle(forWritingAtPath: log))
        handle.seekToEndOfFile()
        handle.write(Data("{\"actor\":\"tes".utf8))
        try handle.close()
        #expect(box.rocky("audit", "--verify").code == 0)
        box.ok("branch", "b3")
        #expect(box.ok("audit", "--verify").hasPrefix("ok: 4 entries"))
        #expect(box.read(".rocky/audit.head")?.hasPrefix("4 ") == true)
        #expect(entries(box).map { $0["operation"] as? String } == ["init", "create", "create", "create"])

        // Genuinely truncated: the head records entries the log no longer has.
        var lines = (box.read(".rocky/audit.log") ?? "").split(separator: "\n").map(String.init)
        lines.removeLast()
        box.write(".rocky/audit.log", lines.joined(separator: "\n") + "\n")
        let truncated = box.rocky("audit", "--verify")
        #expect(truncated.code == 1)
        #expect(truncated.out.contains("line 4") && truncated.out.contains("truncated"), "\(truncated)")
        #expect(box.rocky("fsck").out.contains("truncated"))
    }

    /// What the old write order could leave when killed: the branch moved and
    /// its reflog says so, but the log has no entry. Detected by both checks,
    /// and `audit --recover` records it as a `recovered` entry.
    @Test func aMoveWithoutAnEntryIsDetectedAndRecovered() {
        let box = Sandbox()
        box.loadFixtures()
        box.ok("branch", "b1")
        let history = mainHistory(box)
        let (root, tip) = (history[0], history[1])
        // Move b1 from tip to root the way a bypassing writer would: ref file and reflog, no entry.
        box.write(".rocky/refs/heads/b1", root + "\n")
        let reflog = box.read(".rocky/logs/refs/heads/b1")!
        box.write(".rocky/logs/refs/heads/b1", reflog + "\(tip)\t\(root)\t2026-05-20T16:30:00Z\tmallory\tmoved by hand\n")
        let before = entries(box).count

        let verify = box.rocky("audit", "--verify")
        #expect(verify.code == 1)
        #expect(verify.out.contains("ref refs/heads/b1: reflog entry 2") && verify.out.contains("has no audit entry"), "\(verify)")
        #expect(verify.err.contains("audit --recover"))
        let fsck = box.rocky("fsck")
        #expect(fsck.code == 1)
        #expect(fsck.out.contains("ref refs/heads/b1: reflog entry 2"), "\(fsck)")

        #expect(box.ok("audit", "--recover").contains("recorded: ref refs/heads/b1"))
        #expect(box.ok("audit", "--verify").hasPrefix("ok: \(before + 1) entries"))
        #expect(box.rocky("fsck").code == 0)
        let recovered = entries(box).last ?? [:]
        #expect(recovered["operation"] as? String == "recovered")
        #expect(recovered["ref"] as? String == "refs/heads/b1")
        #expect(recovered["old"] as? String == tip && recovered["new"] as? String == root)
        #expect((recovered["details"] as? [String: Any])?["reflog_actor"] as? String == "mallory")
        // Recovery is not repeated, and later moves are anchored as usual.
        #expect(box.ok("audit", "--recover").contains("nothing to recover"))
        box.ok("branch", "-d", "b1")
        #expect(box.rocky("audit", "--verify").code == 0)
    }

    /// Rolling main back to an older, valid commit by editing the ref file.
    @Test func aRolledBackBranchIsDetected() {
        let box = Sandbox()
        box.loadFixtures()
        let history = mainHistory(box)
        box.write(".rocky/refs/heads/main", history[0] + "\n")
        let verify = box.rocky("audit", "--verify")
        #expect(verify.code == 1)
        #expect(verify.out.contains("ref refs/heads/main: holds \(history[0])") && verify.out.contains("changed outside rocky"),
                "\(verify)")
        let json = box.json(box.rocky("audit", "--verify", "--json"))
        #expect(json["intact"] as? Bool == false)
        #expect((json["problems"] as? [[String: Any]])?.first?["ref"] as? String == "refs/heads/main")
        let fsck = box.rocky("fsck")
        #expect(fsck.code == 1)
        #expect(fsck.out.contains("ref refs/heads/main: holds"), "\(fsck)")

        // Recorded, the rollback stays visible in the trail and the checks pass.
        box.ok("audit", "--recover")
        #expect(box.rocky("audit", "--verify").code == 0)
        let last = entries(box).last ?? [:]
        #expect(last["operation"] as? String == "recovered" && last["new"] as? String == history[0])
    }

    /// Deleting both audit.log and audit.head no longer verifies as an empty
    /// log: the reflogs name entries the log should hold. Nothing can record
    /// that, so recovery refuses.
    @Test func aDeletedLogIsDetected() throws {
        let box = Sandbox()
        box.loadFixtures()
        box.ok("branch", "b1")
        try FileManager.default.removeItem(atPath: box.path + "/.rocky/audit.log")
        try FileManager.default.removeItem(atPath: box.path + "/.rocky/audit.head")
        let verify = box.rocky("audit", "--verify")
        #expect(verify.code == 1)
        #expect(verify.out.contains("ref refs/heads/main: reflog entry 1") && verify.out.contains("the audit log was deleted or truncated"),
                "\(verify)")
        let fsck = box.rocky("fsck")
        #expect(fsck.code == 1)
        #expect(fsck.out.contains("the audit log was deleted or truncated"))
        let recover = box.rocky("audit", "--recover")
        #expect(recover.code == 1)
        #expect(recover.out.contains("cannot record: ref refs/heads/b1"))
    }

    /// With the audit lock held, `rocky branch` fails before it changes anything.
    @Test func aHeldAuditLockChangesNothing() {
        let box = Sandbox()
        box.ok("init")
        box.write(".rocky/audit.log.lock", "")
        let before = box.snapshot()
        let run = box.rocky("branch", "x")
        #expect(run.code == 1)
        #expect(run.err.contains("audit.log"), "\(run)")
        #expect(box.snapshot() == before)
        #expect(box.read(".rocky/refs/heads/x") == nil)
        try? FileManager.default.removeItem(atPath: box.path + "/.rocky/audit.log.lock")
        box.ok("branch", "x")
        #expect(box.ok("audit", "--verify").hasPrefix("ok: 2 entries"))
    }

    /// A crash after the entry but before the ref moved leaves an entry whose
    /// move never happened: the trail stays valid, and the next entry is
    /// preceded by an `aborted` entry naming it.
    @Test func anEntryWhoseMoveNeverHappenedIsMarkedAborted() throws {
        let box = Sandbox()
        box.ok("init")
        box.ok("branch", "b1")
        // Undo the move but keep the entry: the state a crash between the two leaves.
        try FileManager.default.removeItem(atPath: box.path + "/.rocky/refs/heads/b1")
        try FileManager.default.removeItem(atPath: box.path + "/.rocky/logs/refs/heads/b1")
        #expect(box.ok("audit", "--verify").hasPrefix("ok: 2 entries"))
        box.ok("branch", "b2")
        let all = entries(box)
        try #require(all.map { $0["operation"] as? String } == ["init", "create", "aborted", "create"])
        #expect((all[2]["details"] as? [String: Any])?["sequence"] as? Int == 2)
        #expect(all[3]["branch"] as? String == "b2")
        #expect(box.rocky("fsck").code == 0)
    }
}
