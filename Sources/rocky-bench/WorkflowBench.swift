import Foundation

/// The merge and replay goals, through the `rocky` command on a 1M-row
/// prices table: merging two branches that each changed 100 rows (goal:
/// under 5% of the import), and replaying the engine suite's 15-step chain
/// when nothing changed (every step reused: under 10% of the original run)
/// and when every input changed (at most 1.2x the original run).
enum WorkflowBench {
    static func run(_ arguments: [String]) throws {
        let rocky = ProcessInfo.processInfo.environment["ROCKY"] ?? ".build/release/rocky"
        let rows = Int(arguments.first ?? "") ?? 1_000_000
        let csv = try Bench.pricesCSV(rows: rows)
        let dir = Bench.temporaryDirectory("workflow")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let repo = dir + "/repo"
        func at(_ time: String) -> String { "ROCKY_ACTOR=bench ROCKY_COMMIT_TIME=\(time) \(rocky)" }
        _ = try Bench.measure("\(rocky) init '\(repo)' > /dev/null")
        try EngineBench.symbolsText().write(toFile: dir + "/symbols.csv", atomically: true, encoding: .utf8)
        let importCommand = "\(at("2026-01-01T00:00:00Z")) import prices '\(csv)' --key symbol,ts --time-column ts > /dev/null"
        // The import, as the denominator: the median of three (two into scratch repositories).
        var loads = [try Bench.measure(importCommand, in: repo).seconds]
        for i in 0..<2 {
            let scratch = dir + "/load-\(i)"
            _ = try Bench.measure("\(rocky) init '\(scratch)' > /dev/null")
            loads.append(try Bench.measure(importCommand, in: scratch).seconds)
            try? FileManager.default.removeItem(atPath: scratch)
        }
        let loadSeconds = Bench.median(loads)
        _ = try Bench.measure("\(at("2026-01-01T00:00:00Z")) import symbols '\(dir)/symbols.csv' --key symbol > /dev/null && "
            + "\(at("2026-01-01T00:00:00Z")) commit -m load > /dev/null", in: repo)

        // Merge: two branches, 100 changed rows each, in different places.
        let lines = try String(contentsOfFile: csv, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
        func delta(_ offset: Int, _ close: String) -> String {
            var out = String(lines[0]) + "\n"
            for i in 0..<100 {
                var f = lines[1 + (rows / 100) * i + offset].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
                f[5] = close
                out += f.joined(separator: ",") + "\n"
            }
            return out
        }
        try delta(3, "1111.1111").write(toFile: dir + "/a.csv", atomically: true, encoding: .utf8)
        try delta(5, "2222.2222").write(toFile: dir + "/b.csv", atomically: true, encoding: .utf8)
        let t1 = at("2026-01-02T00:00:00Z")
        _ = try Bench.measure("\(t1) branch a > /dev/null && \(t1) branch b > /dev/null && \(t1) checkout a > /dev/null && "
            + "\(t1) import prices '\(dir)/a.csv' --mode upsert > /dev/null && \(t1) commit -m a > /dev/null && "
            + "\(t1) checkout b > /dev/null && \(t1) import prices '\(dir)/b.csv' --mode upsert > /dev/null && "
            + "\(t1) commit -m b > /dev/null && \(t1) checkout main > /dev/null", in: repo)
        // The merge: the median of five, each on a fresh copy of the
        // repository as it stands (a single run moves by +-15 ms).
        var merges: [Double] = []
        for i in 0..<5 {
            let copy = dir + "/merge-\(i)"
            _ = try Bench.measure("cp -a '\(repo)' '\(copy)'")
            merges.append(try Bench.shell("\(t1) merge b --into a > /dev/null", repeats: 1, in: copy))
            if i < 4 { try? FileManager.default.removeItem(atPath: copy) }
        }
        try FileManager.default.removeItem(atPath: repo)
        try FileManager.default.moveItem(atPath: dir + "/merge-4", toPath: repo)
        let mergeSeconds = Bench.median(merges)
        Bench.header("Merge: two branches that each changed 100 rows of \(rows.formatted()) (medians of 5 merges, 3 imports)")
        Bench.row("rocky merge b --into a", rocky: Bench.format(mergeSeconds * 1000, 0) + " ms",
                  other: "rocky import: " + Bench.format(loadSeconds * 1000, 0) + " ms",
                  ratio: Bench.format(mergeSeconds / loadSeconds * 100, 2) + "% of the import", goal: "< 5%")

        // Replay: the 15-step chain on an agent branch.
        let chain = EngineBench.chain().map(\.rocky).joined(separator: ";\n") + ";\n"
        try chain.write(toFile: dir + "/chain.sql", atomically: true, encoding: .utf8)
        let t2 = at("2026-01-03T00:00:00Z")
        _ = try Bench.measure("\(t2) checkout -b agent > /dev/null", in: repo)
        let original = try Bench.measure("\(t2) sql -f '\(dir)/chain.sql' -m chain > /dev/null 2>&1", in: repo)
        let unchanged = try Bench.measure("\(t2) replay agent --at 2026-01-03T00:00:00Z --name r1 > /dev/null", in: repo)
        // Every input changes on main afterwards: prices and symbols both.
        try delta(7, "3333.3333").write(toFile: dir + "/c.csv", atomically: true, encoding: .utf8)
        let t3 = at("2026-01-04T00:00:00Z")
        _ = try Bench.measure("\(t3) checkout main > /dev/null && \(t3) import prices '\(dir)/c.csv' --mode upsert > /dev/null && "
            + "\(t3) sql \"UPDATE symbols SET beta = beta + 0.01 WHERE symbol = 'S00001'\" > /dev/null 2>&1 && "
            + "\(t3) commit -m changes > /dev/null", in: repo)
        let changed = try Bench.measure("\(t3) replay agent --at 2026-01-04T00:00:00Z --name r2 --allow-gaps > /dev/null", in: repo)
        Bench.header("Replay: the 15-step chain over \(rows.formatted()) prices")
        Bench.row("original run (rocky sql -f chain.sql -m)", rocky: Bench.format(original.seconds, 2) + " s", other: "", ratio: "", goal: "")
        Bench.row("replay, nothing changed (15 of 15 reused)", rocky: Bench.format(unchanged.seconds * 1000, 0) + " ms",
                  other: "original: " + Bench.format(original.seconds, 2) + " s",
                  ratio: Bench.format(unchanged.seconds / original.seconds * 100, 2) + "% of the original", goal: "< 10%")
        Bench.row("replay, every input changed", rocky: Bench.format(changed.seconds, 2) + " s",
                  other: "original: " + Bench.format(original.seconds, 2) + " s",
                  ratio: Bench.format(changed.seconds / original.seconds) + "x the original", goal: "<= 1.2x")
    }
}
