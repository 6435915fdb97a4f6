import Foundation
import RockyBase
import RockyStore
import RockyTable
import Testing

/// `rocky blame`: the commit, actor, time and transformation that last set each row or cell.
@Suite struct BlameTests {
    func rows(_ run: Run, _ box: Sandbox, _ field: String = "rows") -> [[String: Any]] {
        #expect(run.code == 0, "\(run)")
        return box.json(run)[field] as? [[String: Any]] ?? []
    }

    func commitID(_ box: Sandbox, _ rev: String) -> String {
        box.ok("rev-parse", rev).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test func eachRowAndCellNamesTheCommitThatLastSetIt() {
        let box = Sandbox()
        box.ok("init")
        box.write("t.csv", "id,qty,note\n1,10,a\n2,20,b\n3,30,c\n")
        box.rocky(["import", "t", "t.csv", "--key", "id", "-m", "base"], env: ["ROCKY_ACTOR": "ann"])
        let base = commitID(box, "HEAD")
        box.rocky(["sql", "UPDATE t SET qty = 11 WHERE id = 1", "-m", "qty of 1"], env: ["ROCKY_ACTOR": "bob", "ROCKY_COMMIT_TIME": "2026-05-21T10:00:00Z"])
        let c1 = commitID(box, "HEAD")
        box.rocky(["sql", "UPDATE t SET note = 'z' WHERE id = 2; INSERT INTO t VALUES (4, 40, 'd')", "-m", "note of 2, row 4"],
                  env: ["ROCKY_ACTOR": "cat", "ROCKY_COMMIT_TIME": "2026-05-22T10:00:00Z"])
        let c2 = commitID(box, "HEAD")
        box.rocky(["sql", "UPDATE t SET note = 'y' WHERE id = 1", "-m", "note of 1"], env: ["ROCKY_ACTOR": "dan", "ROCKY_COMMIT_TIME": "2026-05-23T10:00:00Z"])
        let c3 = commitID(box, "HEAD")
        box.write("other.csv", "k\n1\n")
        box.ok("import", "other", "other.csv", "--key", "k", "-m", "another table")

        let byRow = rows(box.rocky("blame", "t", "--json"), box)
        func row(_ id: Int) -> [String: Any]? { byRow.first { ($0["key"] as? [String: Any])?["id"] as? Int == id } }
        #expect(byRow.count == 4)
        #expect(row(1)?["commit"] as? String == c3 && row(1)?["actor"] as? String == "dan", "row 1's newest change is its note")
        #expect(row(2)?["commit"] as? String == c2 && row(2)?["statement"] as? String == "UPDATE t SET note = 'z' WHERE id = 2")
        #expect(row(3)?["commit"] as? String == base && row(3)?["actor"] as? String == "ann" && row(3)?["transformation"] is NSNull)
        #expect(row(4)?["commit"] as? String == c2 && row(4)?["statement"] as? String == "INSERT INTO t VALUES (4, 40, 'd')",
                "the transformation that set the row, not the commit's last one")
        #expect(row(2)?["time"] as? String == "2026-05-22T10:00:00Z")

        let cells = rows(box.rocky("blame", "t", "1", "--cells", "--json"), box, "cells")
        func cell(_ column: String) -> [String: Any]? { cells.first { $0["column"] as? String == column } }
        #expect(cells.count == 3)
        #expect(cell("id")?["commit"] as? String == base)
        #expect(cell("qty")?["commit"] as? String == c1 && cell("qty")?["value"] as? Int == 11 && cell("qty")?["actor"] as? String == "bob")
        #expect(cell("note")?["commit"] as? String == c3 && cell("note")?["value"] as? String == "y")

        let text = box.ok("blame", "t", "2")
        #expect(text.contains(String(c2.prefix(12))) && text.contains("cat") && !text.contains("id=1"), "\(text)")
        #expect(box.rocky("blame", "t", "9").code == 2, Comment(rawValue: "a key with no row"))
        #expect(box.rocky("blame", "nope").code != 0)
        let earlier = rows(box.rocky("blame", "t", "1", "--at", c1, "--json"), box)
        #expect(earlier.first?["commit"] as? String == c1, "--at blames an older state")
    }

    @Test func oneKeyOfALargeTableReadsOnlyTheCommitsThatTouchedItsChunk() throws {
        let box = Sandbox()
        box.ok("init")
        var csv = "id,v,note\n"
        for i in 0..<100_000 { csv += "\(i),\(i % 97),n\(i)\n" }
        box.write("big.csv", csv)
        box.ok("import", "t", "big.csv", "--key", "id", "-m", "base")
        // 50 commits, each changing rows far apart; row 50000 changes in
        // commits 10 and 30 only.
        var script = "set -e\n"
        for c in 1...50 {
            let id = c == 10 || c == 30 ? 50_000 : (c * 1_999) % 100_000 < 45_000 ? (c * 1_999) % 100_000 : (c * 1_999) % 40_000 + 60_000
            script += "printf 'id,v,note\\n\(id),-\(c),c\(c)\\n' > u.csv\n\"$ROCKY\" import t u.csv --mode upsert -m 'c\(c)' >/dev/null 2>&1\n"
        }
        box.write("history.sh", script)
        let process = try runScript(box, box.path + "/history.sh")
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        let log = box.json(box.rocky("log", "--json", "-n", "25"))["commits"] as? [[String: Any]] ?? []
        let c30 = log.first { $0["message"] as? String == "c30" }?["id"] as? String
        #expect(c30 != nil)

        let run = box.rocky("blame", "t", "50000", "--cells", "--json")
        let cells = rows(run, box, "cells")
        #expect(cells.first { $0["column"] as? String == "v" }?["commit"] as? String == c30)
        #expect(cells.first { $0["column"] as? String == "note" }?["value"] as? String == "c30")
        #expect(cells.first { $0["column"] as? String == "id" }?["message"] as? String == "base")
        let doc = box.json(run)
        #expect(doc["commits_compared"] as? Int ?? 99 <= 3,
                "the 20 newer commits changed other chunks and were passed over: \(doc["commits_compared"] ?? "")")
    }

    /// Issue 20's "blame after 1,000 commits touching a handful of rows",
    /// at a scale that keeps the suite fast: 1,000 commits of 3 rows each,
    /// by 7 actors, on a 20,000-row table (~75 chunks, so most commits leave
    /// a key's chunk alone). The commits are written straight into the store
    /// in one batch, as the benchmark's are: through `rocky` (or the library)
    /// every commit costs its fsyncs, 0.15-0.3 s on this machine, which would
    /// make the test take minutes. Blame runs through the CLI. Every blamed
    /// key must name the last commit that set it and that commit's actor; a
    /// key no commit touched names the import.
    @Test func afterAThousandCommitsEachKeyNamesItsLastCommitAndActor() throws {
        let box = Sandbox()
        box.ok("init")
        let rowCount = 20_000
        var csv = "id,v,note\n"
        for i in 0..<rowCount { csv += "\(i),\(i % 97),n\(i)\n" }
        box.write("big.csv", csv)
        box.ok("import", "t", "big.csv", "--key", "id", "-m", "base")
        let base = commitID(box, "HEAD")

        let objects = DiskObjectStore(directory: box.path + "/.rocky/objects"), refs = FileRefStore(root: box.path + "/.rocky")
        let main = try RefName.branch("main")
        let start = try #require(try refs.read(main))
        let startCommit = try objects.readCommit(start)
        var tree = try objects.readTree(startCommit.tree)
        var table = try objects.readTable(try #require(tree.tables["t"]))
        let codec = RowCodec(schema: table.schema)
        var head = start
        var ids: [Int: String] = [:]
        var last: [Int: Int] = [:]
        try objects.batch {
            for c in 1...1_000 {
                // Row 777 changes in commit 3 only; row 12345 in 500 and 998; row 4321 never.
                var rows = Set([(c * 7_919) % rowCount, (c * 104_729 + 13) % rowCount]).subtracting([777, 12_345, 4_321])
                if c == 3 { rows.insert(777) }
                if c == 500 || c == 998 { rows.insert(12_345) }
                let changes = rows.sorted().map { r -> KeyedChange in
                    last[r] = c
                    let row: [Value] = [.integer(Int64(r)), .integer(Int64(-c)), .text("c\(c)")]
                    return KeyedChange(key: codec.key(of: row), change: .upsert(codec.value(of: row)))
                }
                table = Table(schema: table.schema, root: try TreeEditor(store: objects).apply(changes.makeIterator(), to: table.root))
                tree.tables["t"] = try objects.write(table: table)
                head = try objects.write(commit: Commit(
                    tree: try objects.write(tree), parents: [head], actor: "actor\(c % 7)",
                    time: Timestamp(microseconds: startCommit.time.microseconds + Int64(c) * 1_000_000), message: "c\(c)"))
                ids[c] = head.hex
            }
        }
        try refs.update(main, from: start, to: head, note: RefNote(actor: "test", time: "", message: "1,000 commits"))

        let probes = [777, 12_345, 4_321, (1_000 * 7_919) % rowCount, (17 * 104_729 + 13) % rowCount]
        let run = box.rocky(["blame", "t"] + probes.map(String.init) + ["--json"])
        let lines = rows(run, box)
        #expect(lines.count == probes.count)
        for probe in probes {
            let line = lines.first { ($0["key"] as? [String: Any])?["id"] as? Int == probe }
            if let c = last[probe] {
                #expect(line?["commit"] as? String == ids[c] && line?["actor"] as? String == "actor\(c % 7)",
                        "row \(probe) was last set by commit \(c): \(String(describing: line))")
            } else {
                #expect(line?["commit"] as? String == base && line?["actor"] as? String == "tester", "row \(probe): \(String(describing: line))")
            }
        }
        #expect(last[777] == 3 && last[12_345] == 998 && last[4_321] == nil)
        let cells = rows(box.rocky("blame", "t", "12345", "--cells", "--json"), box, "cells")
        #expect(cells.first { $0["column"] as? String == "note" }?["commit"] as? String == ids[998]
                && cells.first { $0["column"] as? String == "note" }?["value"] as? String == "c998")
        #expect(cells.first { $0["column"] as? String == "id" }?["commit"] as? String == base)
    }
}
