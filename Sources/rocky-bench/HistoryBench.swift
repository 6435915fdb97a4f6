import Foundation
import Rocky
import RockyBase
import RockyStore

/// `rocky log -n 10` and `rocky checkout --at` on branches of 1,000 and
/// 10,000 commits: both must stay under 100 ms and not grow with history.
/// And a query `AS OF` a cached revision against the same query now.
enum HistoryBench {
    static func run(_ arguments: [String]) throws {
        let rocky = ProcessInfo.processInfo.environment["ROCKY"] ?? ".build/release/rocky"
        Bench.header("History: log and checkout --at (each a whole `rocky` process)")
        var results: [Int: (Double, Double)] = [:]
        for count in [1_000, 10_000] {
            let dir = Bench.temporaryDirectory("history-\(count)")
            defer { try? FileManager.default.removeItem(atPath: dir) }
            let settings = Settings(actor: "bench", fixedTime: Timestamp("2026-01-01T00:00:00Z"))
            let repo = try Repository.initialize(at: dir, settings: settings)
            let main = try RefName.branch("main")
            var head = try repo.resolve("main")
            // The commits are written straight into the store, below the library.
            let objects = DiskObjectStore(directory: dir + "/.rocky/objects"), refs = FileRefStore(root: dir + "/.rocky")
            let tree = try objects.readCommit(head).tree
            let start = try objects.readCommit(head).time.microseconds
            try objects.batch {
                for i in 1...count {
                    head = try objects.write(commit: Commit(
                        tree: tree, parents: [head], actor: "bench",
                        time: Timestamp(microseconds: start + Int64(i) * 60_000_000), message: "commit \(i)"))
                }
            }
            try refs.update(main, from: try repo.resolve("main"), to: head, note: RefNote(actor: "bench", time: "", message: "bench"))
            let middle = Timestamp(microseconds: start + Int64(count / 2) * 60_000_000 + 1)
            let log = try Bench.shell("\(rocky) log -n 10 > /dev/null", repeats: 5, in: dir)
            let at = try Bench.shell("\(rocky) checkout --at \(middle) > /dev/null 2>&1 && \(rocky) checkout main > /dev/null 2>&1",
                                     repeats: 5, in: dir)
            // The second command (back to main) is timed too; half is one checkout.
            results[count] = (log, at / 2)
            Bench.row("log -n 10, \(count) commits", rocky: Bench.format(log * 1000, 1) + " ms", other: "", ratio: "", goal: "< 100 ms")
            Bench.row("checkout --at (middle), \(count) commits", rocky: Bench.format(at / 2 * 1000, 1) + " ms", other: "", ratio: "",
                      goal: "< 100 ms")
        }
        if let a = results[1_000], let b = results[10_000] {
            Bench.row("10,000 vs 1,000 commits", rocky: "log " + Bench.format(b.0 / a.0) + "x, checkout --at " + Bench.format(b.1 / a.1) + "x",
                      other: "", ratio: "", goal: "no slower")
        }
        try asOf(rocky)
    }

    /// `SELECT ... FROM t AS OF '<rev>'` of a version the table cache holds
    /// already, against the same query on the current version (each cached
    /// by a first run): reading history costs what reading the present does.
    static func asOf(_ rocky: String) throws {
        let dir = Bench.temporaryDirectory("as-of")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var csv = "id,v\n"
        for i in 0..<200_000 { csv += "\(i),\(i % 1000)\n" }
        try csv.write(toFile: dir + "/t.csv", atomically: true, encoding: .utf8)
        _ = try Bench.shell("\(rocky) init > /dev/null && \(rocky) import t t.csv --key id -m base > /dev/null"
                            + " && \(rocky) sql 'UPDATE t SET v = v + 1 WHERE id < 10' -m change > /dev/null", repeats: 1, in: dir)
        let present = "\(rocky) sql 'SELECT COUNT(*) AS n, SUM(v) AS s FROM t' > /dev/null"
        let past = "\(rocky) sql \"SELECT COUNT(*) AS n, SUM(v) AS s FROM t AS OF 'HEAD~1'\" > /dev/null"
        _ = try Bench.shell(present + " && " + past, repeats: 1, in: dir)
        let now = try Bench.shell(present, repeats: 5, in: dir), then = try Bench.shell(past, repeats: 5, in: dir)
        Bench.row("SELECT ... AS OF 'HEAD~1' (cached), 200,000 rows", rocky: Bench.format(then * 1000, 1) + " ms",
                  other: Bench.format(now * 1000, 1) + " ms (same query, current version)", ratio: Bench.format(then / now) + "x",
                  goal: "no slower")
    }
}
