import Foundation
import Rocky
import RockyBase
import RockyStore
import RockyTable

/// `rocky log -n 10` and `rocky checkout --at` on branches of 1,000 and
/// 10,000 commits: both must stay under 100 ms and not grow with history.
/// A query `AS OF` a cached revision against the same query now. And, on
/// the 1M-row prices table (issue 20): `revert` of a 10-row commit against
/// the table's import, and `blame` of one key after 1,000 commits.
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
        try revertAndBlame(rocky, rows: Int(arguments.first ?? "") ?? 1_000_000)
    }

    /// Issue 20's goals on the prices table of `Fixtures/generate.py`:
    /// `rocky revert` of a commit that changed 10 rows, against the table's
    /// import + commit (goal < 5%); then 1,000 commits each changing 5 rows
    /// spread over the table, and `rocky blame` of one key (goal < 100 ms):
    /// a key last changed 100 commits back, and one that no commit since the
    /// import touched (the walk then reaches the import).
    static func revertAndBlame(_ rocky: String, rows: Int) throws {
        let csv = try Bench.pricesCSV(rows: rows)
        let dir = Bench.temporaryDirectory("revert-blame")
        // ROCKY_BENCH_KEEP=1 keeps the repository (to profile blame in it).
        defer { if ProcessInfo.processInfo.environment["ROCKY_BENCH_KEEP"] == nil { try? FileManager.default.removeItem(atPath: dir) } }
        let env = "ROCKY_ACTOR=bench ROCKY_COMMIT_TIME=2026-05-20T16:00:00Z"
        _ = try Bench.measure("\(rocky) init > /dev/null", in: dir)
        let load = try Bench.measure("\(env) \(rocky) import prices '\(csv)' --key symbol,ts -m load > /dev/null", in: dir)

        // 10 rows spread over the table change in one commit (the one
        // reverted), then 10 others in the next, so the revert is a real
        // three-way merge onto a head that moved on.
        let lines = try String(contentsOfFile: csv, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
        for (name, offset) in [("change", 7), ("later", 11)] {
            var delta = String(lines[0]) + "\n"
            for i in 0..<10 {
                var fields = lines[1 + (rows / 10) * i + offset].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
                fields[5] = "1234.5678"
                delta += fields.joined(separator: ",") + "\n"
            }
            try delta.write(toFile: dir + "/\(name).csv", atomically: true, encoding: .utf8)
            _ = try Bench.measure("\(env) \(rocky) import prices \(name).csv --mode upsert -m \(name) > /dev/null", in: dir)
        }
        // Best of 3: each run reverts the 10-row commit, then (untimed) a
        // hard reset takes the revert back off.
        var revert = Double.infinity
        for _ in 0..<3 {
            revert = min(revert, try Bench.shell("\(env) \(rocky) revert HEAD~1 > /dev/null", repeats: 1, in: dir))
            _ = try Bench.shell("\(env) \(rocky) reset --hard HEAD~1 > /dev/null", repeats: 1, in: dir)
        }
        Bench.header("History verbs on \(rows.formatted()) price rows (each a whole `rocky` process)")
        Bench.row("revert of a commit that changed 10 rows, under a later one (best of 3)", rocky: Bench.format(revert * 1000, 1) + " ms",
                  other: "import + commit: " + Bench.format(load.seconds, 2) + " s",
                  ratio: Bench.format(revert / load.seconds * 100, 2) + "% of the import", goal: "< 5%")

        // 1,000 commits of 5 rows each, written straight into the store
        // (below the library, as the log benchmark's are): row r changes in
        // commits whose rows include it; `touched` is changed in commits 300
        // and 900 only, `untouched` in none.
        let repo = try Repository.open(discoveringFrom: dir, settings: Settings(actor: "bench"))
        let objects = DiskObjectStore(directory: dir + "/.rocky/objects"), refs = FileRefStore(root: dir + "/.rocky")
        let main = try RefName.branch("main")
        let start = try repo.resolve("main")
        var head = start
        let startCommit = try objects.readCommit(head)
        var tree = try objects.readTree(startCommit.tree)
        var table = try objects.readTable(tree.tables["prices"]!)
        let codec = RowCodec(schema: table.schema)
        let volume = table.schema.columns.firstIndex { $0.name == "volume" }!
        let commits = 1_000, perCommit = 5
        let touched = rows / 2 + 3, untouched = rows / 3 + 11
        func position(_ commit: Int, _ j: Int) -> Int {
            if j == 0, commit == 300 || commit == 900 { return touched }
            let p = ((commit * perCommit + j) * 7_919) % rows
            return p == touched || p == untouched ? (p + 1) % rows : p
        }
        var wanted = Set<Int>()
        for c in 1...commits { for j in 0..<perCommit { wanted.insert(position(c, j)) } }
        wanted.insert(untouched)
        var rowAt: [Int: (key: [UInt8], row: [Value])] = [:]
        var cursor = TreeReader(store: objects).rows(table.root)
        var at = 0
        while let (key, value) = try cursor.nextRow() {
            if wanted.contains(at) {
                rowAt[at] = (Array(key), try key.withUnsafeBytes { k in try value.withUnsafeBytes { v in try codec.decode(key: k, value: v).row } })
            }
            at += 1
        }
        try objects.batch {
            for c in 1...commits {
                var changes: [KeyedChange] = []
                for j in 0..<perCommit {
                    var (key, row) = rowAt[position(c, j)]!
                    if case let .integer(v) = row[volume] { row[volume] = .integer(v + Int64(c)) }
                    rowAt[position(c, j)] = (key, row)
                    changes.append(KeyedChange(key: key, change: .upsert(codec.value(of: row))))
                }
                changes.sort { $0.key.lexicographicallyPrecedes($1.key) }
                let root = try TreeEditor(store: objects).apply(changes.makeIterator(), to: table.root)
                table = Table(schema: table.schema, root: root)
                tree.tables["prices"] = try objects.write(table: table)
                head = try objects.write(commit: Commit(
                    tree: try objects.write(tree), parents: [head], actor: "bench-\(c % 7)",
                    time: Timestamp(microseconds: startCommit.time.microseconds + Int64(c) * 60_000_000), message: "commit \(c)"))
            }
        }
        try refs.update(main, from: start, to: head, note: RefNote(actor: "bench", time: "", message: "bench"))
        func keyText(_ p: Int) -> String {
            let row = rowAt[p]!.row
            return table.schema.keyIndices.map { "\(row[$0])" }.joined(separator: ",")
        }
        // Wall time, and the CPU time (user + system) GNU time reports: on a
        // shared machine the wall time is mostly waiting for a core.
        func cpu(_ command: String) throws -> Double {
            let report = dir + "/cpu-time"
            _ = try Bench.shell("/usr/bin/time -f '%U %S' -o '\(report)' \(command)", repeats: 1, in: dir)
            let parts = try String(contentsOfFile: report, encoding: .utf8).split(whereSeparator: \.isWhitespace).compactMap { Double($0) }
            return parts.reduce(0, +)
        }
        let log = try Bench.shell("\(rocky) log -n 10 > /dev/null", repeats: 5, in: dir)
        for (p, what) in [(touched, "a key last changed 100 commits back"), (untouched, "a key no commit since the import touched")] {
            let command = "\(rocky) blame prices '\(keyText(p))' > /dev/null"
            let blame = try Bench.shell(command, repeats: 5, in: dir)
            let time = try (0..<5).map { _ in try cpu(command) }.min()!
            Bench.row("blame of one key after 1,000 commits of 5 rows: \(what)",
                      rocky: Bench.format(blame * 1000, 1) + " ms (CPU " + Bench.format(time * 1000, 0) + " ms)",
                      other: "log -n 10: " + Bench.format(log * 1000, 1) + " ms", ratio: Bench.format(blame / log) + "x", goal: "< 100 ms")
        }
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
