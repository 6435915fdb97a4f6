import Foundation
import Testing

/// Every table operation a user runs, SIGKILLed at random moments: import,
/// commit, `sql -m`, merge, replay and gc, in a loop over two branches. After
/// each kill, with nothing cleaned up by hand (a lock the dead process left
/// must be broken by the next command, not removed by the test), `fsck` and
/// `audit --verify` pass and every table of every branch reads back whole.
///
/// The default suite runs 25 rounds; `make stress` runs 200 or more
/// (`ROCKY_STRESS_ROUNDS`). Docs/reliability.md records the last stress run.
@Suite struct CrashStressTests {
    static let rows = 5_000

    static var rounds: Int {
        ProcessInfo.processInfo.environment["ROCKY_STRESS_ROUNDS"].flatMap(Int.init) ?? 25
    }

    @Test func killingEveryWritingCommandLeavesAVerifiableRepository() throws {
        let box = Sandbox()
        box.ok("init")
        var lines = ["id,name,amount"]
        for i in 0..<Self.rows { lines.append("\(i),name \(i),\(i).50") }
        box.write("base.csv", lines.joined(separator: "\n") + "\n")
        box.ok("import", "ledger", "base.csv", "--key", "id")
        box.ok("commit", "-m", "base")
        box.ok("checkout", "-b", "agent")
        box.ok("sql", "CREATE TABLE large AS SELECT id, amount * 2 AS doubled FROM ledger WHERE amount > 100", "-m", "derive")
        box.ok("checkout", "main")
        // One round of the writer touches every command under test; each
        // round changes the data, so none of them is a no-op.
        box.write("writer.sh", """
            i=0
            while true; do
              i=$((i + 1))
              printf 'id,name,amount\\n%d,changed %d,%d.25\\n' $((i % \(Self.rows))) $i $i > delta.csv
              "$ROCKY" import ledger delta.csv --mode upsert > /dev/null 2>&1
              "$ROCKY" commit -m "import $i" > /dev/null 2>&1
              "$ROCKY" sql "UPDATE ledger SET amount = amount + 1 WHERE id = $((i * 7 % \(Self.rows)))" -m "sql $i" > /dev/null 2>&1
              "$ROCKY" merge main --into agent -m "sync $i" > /dev/null 2>&1
              "$ROCKY" replay agent --at 2026-05-20T16:00:00Z --name "replay/r$i" > /dev/null 2>&1
              "$ROCKY" gc --prune now > /dev/null 2>&1
            done
            """)
        var generator = SystemRandomNumberGenerator()
        for round in 0..<Self.rounds {
            let writer = try runScript(box, "writer.sh")
            usleep(UInt32.random(in: 30_000...600_000, using: &generator))
            killTree(writer)
            let fsck = box.rocky("fsck")
            #expect(fsck.code == 0, "round \(round): \(fsck)")
            let audit = box.rocky("audit", "--verify")
            #expect(audit.code == 0, "round \(round): \(audit)")
            for branch in branches(box) {
                for table in tables(box, branch) {
                    let export = box.rocky("export", table, branch)
                    #expect(export.code == 0, "round \(round): \(branch):\(table) does not read back: \(export.err)")
                    if table == "ledger" {
                        #expect(export.out.split(separator: "\n").count == Self.rows + 1, "round \(round): \(branch):ledger lost rows")
                    }
                }
            }
            // The working set of main survives too, and the next command works.
            let working = box.rocky("export", "ledger")
            #expect(working.code == 0 && working.out.split(separator: "\n").count == Self.rows + 1, "round \(round): \(working.err)")
            let status = box.rocky("status")
            #expect(status.code == 0, "round \(round): \(status)")
            if fsck.code != 0 || audit.code != 0 || status.code != 0 { break }
        }
    }

    private func branches(_ box: Sandbox) -> [String] {
        box.rocky("branch").out.split(separator: "\n").map {
            $0.trimmingCharacters(in: .whitespaces).replacingOccurrences(of: "* ", with: "")
        }.filter { !$0.isEmpty }
    }

    private func tables(_ box: Sandbox, _ revision: String) -> [String] {
        let run = box.rocky("tables", revision, "--json")
        guard let object = try? JSONSerialization.jsonObject(with: Data(run.out.utf8)) else { return [] }
        let list = (object as? [String: Any])?["tables"] as? [Any] ?? []
        return list.compactMap { ($0 as? [String: Any])?["name"] as? String ?? $0 as? String }
    }
}
