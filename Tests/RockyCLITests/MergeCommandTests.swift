import Foundation
import Rocky
import RockyBase
import Testing

@Suite struct MergeCommandTests {
    /// main with a small keyed table; `left` and `right` branched from it.
    func forked(_ csv: String = "id,region,qty,note\n1,eu,10,a\n2,us,20,b\n3,ap,30,c\n", key: String = "id") -> Sandbox {
        let box = Sandbox()
        box.ok("init")
        box.write("t.csv", csv)
        box.ok("import", "t", "t.csv", "--key", key)
        box.ok("commit", "-m", "base")
        box.ok("branch", "left")
        box.ok("branch", "right")
        return box
    }

    func on(_ box: Sandbox, _ branch: String, _ sql: String) {
        box.ok("checkout", branch)
        box.ok("sql", sql, "-m", sql)
    }

    @Test func aMergeIntoTheWorkingDirectoryKeepsUncommittedTransformations() {
        let box = forked()
        on(box, "right", "UPDATE t SET qty = 31 WHERE id = 3")
        box.ok("checkout", "left")
        box.ok("sql", "CREATE TABLE copy AS SELECT * FROM t")
        let run = box.rocky("merge", "right")
        #expect(run.code != 0)
        #expect(run.err.contains("table copy") && run.err.contains("1 transformation(s)"), "\(run.err)")
        #expect(run.err.contains("--into"), "the way out that this command has: \(run.err)")
        #expect(box.rocky("merge", "right", "--into", "main").code == 0, "--into another branch leaves the working directory alone")
        #expect(box.ok("status").contains("copy"))
    }

    @Test func differentCellsOfOneRowCombine() {
        let box = forked()
        on(box, "left", "UPDATE t SET qty = 11 WHERE id = 1")
        on(box, "right", "UPDATE t SET note = 'z' WHERE id = 1")
        box.ok("checkout", "left")
        let run = box.rocky("merge", "right")
        #expect(run.code == 0, "\(run)")
        #expect(box.ok("export", "t") == "id,region,qty,note\n1,eu,11,z\n2,us,20,b\n3,ap,30,c\n")
        let head = box.json(box.rocky("show", "--json"))["commit"] as? [String: Any]
        #expect((head?["parents"] as? [String])?.count == 2, "a merge commit with two parents")
    }

    @Test func theSameCellChangedTwoWaysConflictsAndWritesNothing() {
        let box = forked()
        on(box, "left", "UPDATE t SET qty = 11 WHERE id = 1")
        on(box, "right", "UPDATE t SET qty = 12 WHERE id = 1; DELETE FROM t WHERE id = 2")
        box.ok("checkout", "left")
        on(box, "left", "UPDATE t SET qty = 21 WHERE id = 2")
        let before = box.snapshot()
        let run = box.rocky("merge", "right", "--json")
        #expect(run.code == 3)
        let conflicts = box.json(run)["conflicts"] as? [[String: Any]] ?? []
        #expect(conflicts.count == 2)
        let cell = conflicts.first { $0["kind"] as? String == "cell" }
        #expect(cell?["column"] as? String == "qty")
        #expect(cell?["base"] as? Int == 10 && cell?["ours"] as? Int == 11 && cell?["theirs"] as? Int == 12)
        #expect((cell?["key"] as? [String: Any])?["id"] as? Int == 1)
        let deleteModify = conflicts.first { $0["kind"] as? String == "delete-modify" }
        #expect(deleteModify?["theirs_present"] as? Bool == false)
        let after = box.snapshot().filter { $0.key != "audit.log" && $0.key != "audit.head" && !$0.key.hasPrefix("cache") && !$0.key.hasPrefix("tmp") }
        #expect(after == before.filter { $0.key != "audit.log" && $0.key != "audit.head" && !$0.key.hasPrefix("cache") && !$0.key.hasPrefix("tmp") },
                "nothing written")
        let resolved = box.rocky("merge", "right", "--strategy", "theirs")
        #expect(resolved.code == 0)
        #expect(box.ok("export", "t") == "id,region,qty,note\n1,eu,12,a\n3,ap,30,c\n")
        let meta = ((box.json(box.rocky("show", "--json"))["commit"] as? [String: Any])?["meta"] as? [String: Any])?["merge"] as? [String: Any]
        #expect(meta?["strategy"] as? String == "theirs", "the commit records the strategy")
    }

    @Test func schemaChangesMergeByColumnID() {
        let box = forked()
        on(box, "left", "ALTER TABLE t ADD COLUMN desk TEXT")
        on(box, "right", "ALTER TABLE t RENAME COLUMN note TO comment")
        box.ok("checkout", "left")
        #expect(box.rocky("merge", "right").code == 0)
        let columns = (box.json(box.rocky("schema", "t", "--json"))["columns"] as? [[String: Any]])?.map { $0["name"] as? String ?? "" }
        #expect(columns == ["id", "region", "qty", "comment", "desk"])

        let clash = forked()
        on(clash, "left", "ALTER TABLE t RENAME COLUMN note TO memo")
        on(clash, "right", "ALTER TABLE t DROP COLUMN note")
        clash.ok("checkout", "left")
        let run = clash.rocky("merge", "right", "--json")
        #expect(run.code == 3, "rename against drop conflicts")
        #expect((clash.json(run)["conflicts"] as? [[String: Any]])?.first?["kind"] as? String == "schema")

        let both = forked()
        on(both, "left", "ALTER TABLE t ADD COLUMN desk TEXT")
        on(both, "right", "ALTER TABLE t ADD COLUMN desk TEXT")
        both.ok("checkout", "left")
        #expect(both.rocky("merge", "right").code == 0, "the same column added on both sides converges")
        let typed = forked()
        on(typed, "left", "ALTER TABLE t ADD COLUMN desk TEXT")
        on(typed, "right", "ALTER TABLE t ADD COLUMN desk INTEGER")
        typed.ok("checkout", "left")
        #expect(typed.rocky("merge", "right").code == 3, "the same name with different types conflicts")
    }

    @Test func keylessTablesMergeByMultiplicity() {
        let box = forked("a,b\n1,x\n1,x\n2,y\n", key: "")
        box.ok("checkout", "main")
        box.write("k.csv", "a,b\n1,x\n1,x\n2,y\n")
        box.ok("import", "k", "k.csv")
        box.ok("commit", "-m", "keyless")
        box.ok("branch", "-d", "left")
        box.ok("branch", "-d", "right")
        box.ok("branch", "left")
        box.ok("branch", "right")
        on(box, "left", "INSERT INTO k VALUES (3, 'z')")
        on(box, "right", "INSERT INTO k VALUES (1, 'x')")
        box.ok("checkout", "left")
        #expect(box.rocky("merge", "right").code == 0)
        let lines = box.ok("export", "k").split(separator: "\n").dropFirst().map(String.init)
        #expect(lines.sorted() == ["1,x", "1,x", "1,x", "2,y", "3,z"])
    }

    @Test func intoDryRunFastForwardAndCrissCross() {
        let box = forked()
        on(box, "left", "UPDATE t SET qty = 11 WHERE id = 1")
        box.ok("checkout", "main")
        box.write("rocky.toml", "# project\n")
        let before = box.snapshot()
        let dry = box.rocky("merge", "left", "--dry-run")
        #expect(dry.code == 0 && dry.out.contains("Would"))
        #expect(box.snapshot().filter { !$0.key.hasPrefix("audit") && !$0.key.hasPrefix("tmp") } == before.filter { !$0.key.hasPrefix("audit") && !$0.key.hasPrefix("tmp") })
        box.rocky(["checkout", "--force", "main"])
        #expect(box.rocky("merge", "left", "--ff").out.contains("Fast-forwarded"))
        #expect(box.ok("rev-parse", "main") == box.ok("rev-parse", "left"))
        // Criss-cross: each side merges the other, then both change, then merge again.
        on(box, "right", "UPDATE t SET note = 'r' WHERE id = 3")
        box.ok("checkout", "left")
        box.ok("branch", "left2")
        #expect(box.rocky("merge", "right", "--into", "left2").code == 0, "--into leaves the working directory alone")
        #expect(box.rocky("merge", "left", "--into", "right").code == 0)
        on(box, "left2", "UPDATE t SET qty = 99 WHERE id = 2")
        on(box, "right", "UPDATE t SET region = 'xx' WHERE id = 3")
        box.ok("checkout", "left2")
        let run = box.rocky("merge", "right", "--json")
        #expect(run.code == 0, "\(run)")
        #expect((box.json(run)["bases"] as? [String])?.count == 2, "criss-cross: two best common ancestors")
        #expect(box.ok("export", "t") == "id,region,qty,note\n1,eu,11,a\n2,us,99,b\n3,xx,30,r\n")
        #expect(box.ok("fsck").hasPrefix("ok"))
    }

    @Test func aMergeThatBreaksAModelFailsWithTheCompilerDiagnostic() {
        let box = forked()
        box.ok("checkout", "main")
        box.write("models/by_region.sql", "SELECT region, SUM(qty) AS qty FROM t GROUP BY region\n")
        box.ok("commit", "-m", "model")
        box.ok("branch", "-d", "right")
        box.ok("branch", "right")
        on(box, "right", "ALTER TABLE t DROP COLUMN region")
        box.ok("checkout", "main")
        let run = box.rocky("merge", "right")
        #expect(run.code == 3, "\(run)")
        #expect(run.err.contains("models/by_region.sql") && run.err.contains("region"))
        #expect(box.ok("rev-parse", "main") == box.ok("rev-parse", "main@{2030-01-01}"))
    }

    /// 8 processes merge 25 branches each into main at once. Afterwards every
    /// merge that reported success is reachable from main with its row, every
    /// failure reported a conflict, and fsck is clean.
    @Test func concurrentMergesLoseNothing() throws {
        let box = Sandbox()
        box.ok("init")
        box.write("ledger.csv", "id,owner,amount\n0,seed,0\n")
        box.ok("import", "ledger", "ledger.csv", "--key", "id")
        box.ok("commit", "-m", "ledger")
        let repo = try Repository.open(discoveringFrom: box.path, settings: Settings(actor: "setup", fixedTime: Timestamp("2026-05-20T16:00:00Z")))
        for b in 0..<200 {
            let branch = try repo.createBranch("s/b\(b)", from: "main")
            // Every tenth branch also changes row 0: those conflict with each other.
            let extra = b % 10 == 0 ? "; UPDATE ledger SET amount = \(b) WHERE id = 0" : ""
            try repo.execute(on: branch, "INSERT INTO ledger VALUES (\(b + 1), 'w\(b)', \(b))" + extra)
        }
        box.write("merger.sh", """
            w=$1
            for i in $(seq 0 24); do
              b=$((w * 25 + i))
              "$ROCKY" merge "s/b$b" --into main --retry 100 > /dev/null 2>&1
              echo "$b $?"
            done
            """)
        let workers = try (0..<8).map { w -> (Process, Pipe) in
            let pipe = Pipe()
            return (try runScript(box, "merger.sh", arguments: [String(w)], output: pipe), pipe)
        }
        var results: [Int: Int32] = [:]
        for (p, pipe) in workers {
            let out = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            p.waitUntilExit()
            for line in out.split(separator: "\n") {
                let parts = line.split(separator: " ")
                results[Int(parts[0])!] = Int32(parts[1])!
            }
        }
        #expect(results.count == 200)
        #expect(results.values.allSatisfy { $0 == 0 || $0 == 3 }, "every failure is a conflict")
        let exported = box.ok("export", "ledger", "main")
        let owners = Set(exported.split(separator: "\n").dropFirst().map { String($0.split(separator: ",")[1]) })
        for (b, code) in results where code == 0 {
            #expect(owners.contains("w\(b)"), "merge of s/b\(b) reported success but its row is missing")
        }
        #expect(results.filter { $0.value == 0 }.count >= 181, "only the branches that all change row 0 can conflict")
        #expect(box.ok("fsck").hasPrefix("ok"))
    }
}
