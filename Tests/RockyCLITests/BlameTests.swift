import Foundation
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
}
