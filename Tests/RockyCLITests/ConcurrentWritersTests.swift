import Foundation
import Glibc
import Testing

/// Several processes writing one branch at once: a command that loses a race
/// exits 3 and changes nothing, every later command works, and with
/// `--retry N` every write lands. Lock files left by killed processes are
/// broken (and audited); a lock of a live process names it.
@Suite struct ConcurrentWritersTests {
    private func committedRows(_ box: Sandbox, _ table: String = "t") -> Int {
        let run = box.rocky("sql", "SELECT count(*) AS n FROM \(table)", "--format", "csv")
        return Int(run.out.split(separator: "\n").last ?? "") ?? -1
    }

    private func commitCount(_ box: Sandbox) -> Int {
        box.ok("log", "--oneline").split(separator: "\n").count
    }

    /// Runs the argument lists as rocky processes started together.
    private func together(_ box: Sandbox, _ commands: [[String]]) -> [Run] {
        let results = Results(count: commands.count)
        DispatchQueue.concurrentPerform(iterations: commands.count) { i in results.set(i, box.rocky(commands[i])) }
        return results.all
    }

    @Test func aCommandThatLosesARaceChangesNothingAndEverythingStillWorks() throws {
        let box = Sandbox()
        box.ok("init")
        box.ok("sql", "CREATE TABLE t (w INTEGER, i INTEGER)", "-m", "create")
        box.ok("branch", "side")
        var landed = 0
        var lost = 0
        for round in 0..<8 {
            let commands = (0..<2).map { w in ["sql", "INSERT INTO t VALUES (\(w), \(round))", "-m", "w\(w) round \(round)"] }
            for (command, run) in zip(commands, together(box, commands)) {
                if run.code == 3 {
                    lost += 1
                    #expect(run.err.contains("nothing was written") && run.err.contains("run the command again, or pass --retry N"), "\(run)")
                    // The working set is as the loser found it: clean.
                    #expect(box.ok("status").contains("nothing to commit"))
                    let again = box.rocky(command)
                    #expect(again.code == 0, "\(again)")
                } else {
                    #expect(run.code == 0, "\(run)")
                }
                landed += 1
            }
            #expect(box.ok("status").contains("nothing to commit"), "round \(round)")
        }
        #expect(landed == 16)
        #expect(committedRows(box) == 16, "every statement landed once, the lost ones when run again (\(lost) lost)")
        #expect(commitCount(box) == 2 + 16)
        // Every command a jammed branch used to refuse works.
        box.ok("sql", "INSERT INTO t VALUES (9, 9)")
        box.ok("commit", "-m", "one more")
        box.ok("checkout", "side")
        box.ok("sql", "INSERT INTO t VALUES (7, 7)", "-m", "on side")
        box.ok("merge", "side", "--into", "main")
        box.ok("checkout", "--force", "main")
        #expect(committedRows(box) == 18)
        #expect(box.rocky("fsck").code == 0)
    }

    @Test func eightWritersWithRetryAllLand() throws {
        let box = Sandbox()
        box.ok("init")
        box.ok("sql", "CREATE TABLE t (w INTEGER, i INTEGER)", "-m", "create")
        box.write("writer.sh", """
            w=$1
            for i in $(seq 1 25); do
              "$ROCKY" sql "INSERT INTO t VALUES ($w, $i)" -m "writer $w statement $i" --retry 50 > /dev/null 2> "err.$w" \\
                || { echo "writer $w statement $i: exit $?: $(cat err.$w)"; exit 1; }
            done
            """)
        let writers = try (0..<8).map { w -> (Process, Pipe) in
            let pipe = Pipe()
            return (try runScript(box, "writer.sh", arguments: [String(w)], output: pipe), pipe)
        }
        for (process, pipe) in writers {
            let out = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            #expect(process.terminationStatus == 0, "\(out)")
        }
        #expect(committedRows(box) == 200)
        #expect(commitCount(box) == 2 + 200, "one commit per statement")
        let distinct = box.rocky("sql", "SELECT count(*) FROM (SELECT DISTINCT w, i FROM t)", "--format", "csv")
        #expect(distinct.out.hasSuffix("200\n"), "no statement ran twice: \(distinct)")
        #expect(box.ok("status").contains("nothing to commit"))
    }

    @Test func importsAndCommitsWithRetryAllLand() throws {
        let box = Sandbox()
        box.ok("init")
        box.write("seed.csv", "id,w\n0,0\n")
        box.ok("import", "t", "seed.csv", "--key", "id", "-m", "seed")
        // Committing imports: each one commit.
        box.write("importer.sh", """
            w=$1
            for i in $(seq 1 5); do
              printf 'id,w\\n%d,%d\\n' $((w * 100 + i)) $w > "in.$w.csv"
              "$ROCKY" import t "in.$w.csv" --mode append -m "importer $w file $i" --retry 50 > /dev/null 2> "err.$w" \\
                || { echo "importer $w file $i: exit $?: $(cat err.$w)"; exit 1; }
            done
            """)
        // Imports into the working set and commits of whatever it holds.
        box.write("committer.sh", """
            w=$1
            for i in $(seq 1 5); do
              printf 'id,w\\n%d,%d\\n' $((w * 100 + i)) $w > "in.$w.csv"
              "$ROCKY" import t "in.$w.csv" --mode append --retry 50 > /dev/null 2> "err.$w" \\
                || { echo "committer $w file $i: exit $?: $(cat err.$w)"; exit 1; }
              "$ROCKY" commit -m "committer $w round $i" --retry 50 > /dev/null 2> "err.$w"
              status=$?
              # Another committer may have committed this import already.
              if [ $status -ne 0 ] && ! grep -q "nothing to commit" "err.$w"; then
                echo "committer $w round $i: exit $status: $(cat err.$w)"; exit 1
              fi
            done
            """)
        let workers = try (0..<8).map { w -> (Process, Pipe) in
            let pipe = Pipe()
            return (try runScript(box, w < 4 ? "importer.sh" : "committer.sh", arguments: [String(w + 1)], output: pipe), pipe)
        }
        for (process, pipe) in workers {
            let out = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            #expect(process.terminationStatus == 0, "\(out)")
        }
        let log = box.ok("log", "--oneline")
        #expect((1...4).allSatisfy { w in (1...5).allSatisfy { log.contains("importer \(w) file \($0)") } }, "one commit per committing import")
        #expect(box.ok("status").contains("nothing to commit"), "every import was committed")
        #expect(committedRows(box) == 1 + 40)
    }

    @Test func aLockLeftByAKilledProcessIsBrokenAndAudited() throws {
        let box = Sandbox()
        box.ok("init")
        box.ok("sql", "CREATE TABLE t (w INTEGER, i INTEGER)", "-m", "create")
        let child = Process()
        child.executableURL = URL(fileURLWithPath: "/bin/sleep")
        child.arguments = ["60"]
        try child.run()
        let pid = child.processIdentifier
        let owner = "pid=\(pid) host=\(hostName()) started=\(startTime(pid) ?? 0)\n"
        for lock in ["refs/heads/main.lock", "refs/worksets/main.lock", "audit.log.lock"] {
            box.write(".rocky/" + lock, owner)
            try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSinceNow: -3600)],
                                                  ofItemAtPath: box.path + "/.rocky/" + lock)
        }
        kill(pid, SIGKILL)
        child.waitUntilExit()
        box.ok("sql", "INSERT INTO t VALUES (1, 1)", "-m", "after the crash")
        #expect(committedRows(box) == 1)
        for lock in ["refs/heads/main.lock", "refs/worksets/main.lock", "audit.log.lock"] {
            #expect(!FileManager.default.fileExists(atPath: box.path + "/.rocky/" + lock), "\(lock) was broken")
        }
        let entries = box.json(box.rocky("audit", "--json"))["entries"] as? [[String: Any]] ?? []
        let breaks = entries.filter { $0["operation"] as? String == "break-lock" }.compactMap { $0["details"] as? [String: Any] }
        #expect(Set(breaks.compactMap { $0["lock"] as? String }) == ["refs/heads/main.lock", "refs/worksets/main.lock", "audit.log.lock"],
                "\(entries)")
        #expect(breaks.allSatisfy { $0["pid"] as? Int == Int(pid) })
        #expect(box.rocky("audit", "--verify").code == 0)
    }

    @Test func aLockHeldByALiveProcessNamesItAndChangesNothing() throws {
        let box = Sandbox()
        box.ok("init")
        box.ok("sql", "CREATE TABLE t (w INTEGER, i INTEGER)", "-m", "create")
        let head = box.ok("rev-parse", "main")
        // This test's own process: alive, and it will not finish the update.
        let pid = getpid()
        box.write(".rocky/refs/heads/main.lock", "pid=\(pid) host=\(hostName()) started=\(startTime(pid) ?? 0)\n")
        try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSinceNow: -3600)],
                                              ofItemAtPath: box.path + "/.rocky/refs/heads/main.lock")
        let run = box.rocky("sql", "INSERT INTO t VALUES (1, 1)", "-m", "blocked")
        #expect(run.code != 0)
        #expect(run.err.contains("process \(pid) on \(hostName()) holds its lock"), "\(run)")
        #expect(run.err.contains("kill \(pid)"), "\(run)")
        #expect(box.ok("rev-parse", "main") == head)
        #expect(box.ok("status").contains("nothing to commit"), "the working set is as it was")
        #expect(FileManager.default.fileExists(atPath: box.path + "/.rocky/refs/heads/main.lock"), "a live process's lock is kept")
        let audit = box.read(".rocky/audit.log") ?? ""
        #expect(!audit.contains("break-lock"))
    }
}

private func hostName() -> String {
    var buffer = [CChar](repeating: 0, count: 256)
    gethostname(&buffer, buffer.count - 1)
    return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

/// Field 22 of /proc/<pid>/stat: when the process started.
private func startTime(_ pid: Int32) -> UInt64? {
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
          let close = stat.lastIndex(of: ")") else { return nil }
    let fields = stat[stat.index(after: close)...].split(separator: " ")
    return fields.count > 19 ? UInt64(fields[19]) : nil
}

private final class Results: @unchecked Sendable {
    private let lock = NSLock()
    private var runs: [Run?]
    init(count: Int) { runs = Array(repeating: nil, count: count) }
    func set(_ i: Int, _ run: Run) { lock.withLock { runs[i] = run } }
    var all: [Run] { lock.withLock { runs.map { $0! } } }
}
