import Foundation
import Testing

/// Crash safety and concurrency, with real processes: the features that make
/// "nothing is ever lost" true.
@Suite struct CrashAndConcurrencyTests {
    /// A writer that stores large blobs and moves `main` by compare-and-swap,
    /// in a loop; it is SIGKILLed at random moments, many times. After each
    /// kill, fsck must be clean and main must name a complete commit.
    @Test func killingAWriterNeverCorruptsTheRepository() throws {
        let box = Sandbox()
        box.ok("init")
        let tree = (box.json(box.rocky("cat-object", "-p", "main", "--json"))["content"] as? [String: Any])?["tree"] as? String ?? ""
        for i in 0..<3 {
            let blob = Data((0..<(1 << 21)).map { UInt8(truncatingIfNeeded: ($0 &* 2654435761) >> (i + 3)) })
            try blob.write(to: URL(fileURLWithPath: box.path + "/blob\(i)"))
        }
        box.write("writer.sh", """
            set -e
            i=0
            while true; do
              i=$((i + 1))
              "$ROCKY" hash-object -w "blob$((i % 3))" > /dev/null
              old=$("$ROCKY" rev-parse main)
              new=$("$ROCKY" commit-tree \(tree) -p "$old" -m "round $i")
              "$ROCKY" update-ref main "$new" "$old"
            done
            """)
        var generator = SystemRandomNumberGenerator()
        for round in 0..<25 {
            let writer = try runScript(box, "writer.sh")
            usleep(UInt32.random(in: 20_000...250_000, using: &generator))
            // The shell and the rocky it is running die, wherever they are.
            killTree(writer)
            usleep(20_000)
            let fsck = box.rocky("fsck")
            #expect(fsck.code == 0, "round \(round): \(fsck)")
            let head = box.rocky("cat-object", "-p", "main")
            #expect(head.code == 0 && head.out.contains("\"tree\""), "round \(round): \(head)")
            // A lock the killed process left names it; the next writer (the
            // next round's) breaks it, and the audit log records that.
        }
        box.ok("commit", "--allow-empty", "-m", "after the kills")
        #expect(!FileManager.default.fileExists(atPath: box.path + "/.rocky/refs/heads/main.lock"))
    }

    /// A ref's next value is written beside it under a dot name before the
    /// rename: one a kill left behind is never taken for a branch, and fsck
    /// names it as safe to remove.
    @Test func aNewRefValueLeftByAKillIsNoBranchAndFsckNamesIt() {
        let box = Sandbox()
        box.ok("init")
        box.write(".rocky/refs/heads/.new-1a2b3c-4242", String(repeating: "0", count: 63) + "1\n")
        #expect(box.ok("branch").split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) } == ["* main"])
        let fsck = box.rocky("fsck")
        #expect(fsck.code == 0, "\(fsck)")
        #expect(fsck.err.contains(".new-1a2b3c-4242 is a ref value written by an update that was interrupted"), "\(fsck)")
    }

    /// Several processes race compare-and-swap updates of one ref. Every update
    /// that reported success is in the reflog and in main's history; none is lost.
    @Test func concurrentCompareAndSwapLosesNoUpdate() throws {
        let box = Sandbox()
        box.ok("init")
        let tree = (box.json(box.rocky("cat-object", "-p", "main", "--json"))["content"] as? [String: Any])?["tree"] as? String ?? ""
        box.write("worker.sh", """
            w=$1
            for j in $(seq 1 12); do
              while true; do
                old=$("$ROCKY" rev-parse main)
                new=$("$ROCKY" commit-tree \(tree) -p "$old" -m "worker $w update $j")
                "$ROCKY" update-ref main "$new" "$old" 2>/dev/null
                status=$?
                if [ $status -eq 0 ]; then echo "$new"; break; fi
                if [ $status -ne 3 ]; then echo "unexpected exit $status" >&2; exit 1; fi
              done
            done
            """)
        let workers = try (0..<4).map { w -> (Process, Pipe) in
            let pipe = Pipe()
            return (try runScript(box, "worker.sh", arguments: [String(w)], output: pipe), pipe)
        }
        var successes: [String] = []
        for (p, pipe) in workers {
            let out = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            p.waitUntilExit()
            #expect(p.terminationStatus == 0)
            successes += out.split(separator: "\n").map(String.init)
        }
        #expect(successes.count == 48)
        let reflog = box.read(".rocky/logs/refs/heads/main") ?? ""
        for id in successes { #expect(reflog.contains("\t" + id + "\t") || reflog.contains(id + "\t"), "\(id) missing from the reflog") }
        var history: Set<String> = []
        var rev = "main"
        while true {
            let run = box.rocky("rev-parse", rev)
            guard run.code == 0 else { break }
            history.insert(run.out.trimmingCharacters(in: .whitespacesAndNewlines))
            rev += "^"
        }
        #expect(history.count == 49, "48 updates and the root, one linear history")
        #expect(Set(successes).isSubset(of: history))
    }
}

/// Crash safety of the table operations users run: imports, SQL and commits
/// killed at random moments never leave a damaged repository, and the branch
/// always holds a complete, readable state.
@Suite struct TableCrashTests {
    @Test func killingImportsSQLAndCommitsNeverCorruptsTheRepository() throws {
        let box = Sandbox()
        box.ok("init")
        var lines = ["id,name,amount"]
        for i in 0..<20_000 { lines.append("\(i),name \(i),\(i).50") }
        box.write("base.csv", lines.joined(separator: "\n") + "\n")
        box.ok("import", "ledger", "base.csv", "--key", "id")
        box.ok("commit", "-m", "base")
        box.write("writer.sh", """
            i=0
            while true; do
              i=$((i + 1))
              printf 'id,name,amount\\n%d,changed %d,%d.25\\n' $((i % 20000)) $i $i > delta.csv
              "$ROCKY" import ledger delta.csv --mode upsert > /dev/null 2>&1
              "$ROCKY" sql "UPDATE ledger SET amount = amount + 1 WHERE id = $((i * 7 % 20000))" > /dev/null 2>&1
              "$ROCKY" commit -m "round $i" > /dev/null 2>&1
            done
            """)
        var generator = SystemRandomNumberGenerator()
        for round in 0..<15 {
            let writer = try runScript(box, "writer.sh")
            usleep(UInt32.random(in: 50_000...400_000, using: &generator))
            killTree(writer)
            // A killed rocky may still be running its last system call; let it die.
            usleep(50_000)
            // Locks the killed processes left are broken by the next command
            // that needs them (the branch's, the working set's, the audit log's).
            box.ok("commit", "--allow-empty", "-m", "after round \(round)")
            let fsck = box.rocky("fsck")
            #expect(fsck.code == 0, "round \(round): \(fsck)")
            let committed = box.rocky("export", "ledger", "main")
            #expect(committed.code == 0 && committed.out.split(separator: "\n").count == 20_001, "round \(round): \(committed.err)")
            let working = box.rocky("export", "ledger")
            #expect(working.code == 0 && working.out.split(separator: "\n").count == 20_001, "round \(round): \(working.err)")
            // A kill during an audit append is repaired by the next append.
            box.ok("branch", "probe-\(round)")
            let audit = box.rocky("audit", "--verify")
            #expect(audit.code == 0, "round \(round): \(audit)")
        }
    }
}
