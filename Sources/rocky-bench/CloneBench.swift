import Foundation

/// Issue 10's goal: cloning a repository that holds a 10M-row table takes
/// under 0.5 s and under 5% extra disk, beside `git clone --local` of a git
/// repository holding the same CSV. Also: the same clone at a tenth of the
/// size (time must not grow with the data), a copying clone, a fetch of the
/// whole table into an empty repository, and gc of the clone.
enum CloneBench {
    static func run(_ arguments: [String]) throws {
        let rocky = ProcessInfo.processInfo.environment["ROCKY"] ?? ".build/release/rocky"
        let rows = Int(arguments.first ?? "") ?? 10_000_000
        let dir = Bench.temporaryDirectory("clone")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let env = "ROCKY_ACTOR=bench ROCKY_COMMIT_TIME=2026-05-20T16:00:00Z"

        func makeSource(_ rows: Int, _ name: String) throws -> (csv: String, repo: String) {
            let csv = try Bench.pricesCSV(rows: rows)
            let repo = dir + "/" + name
            _ = try Bench.measure("\(rocky) init '\(repo)' > /dev/null")
            _ = try Bench.measure("\(env) \(rocky) import prices '\(csv)' --key symbol,ts --time-column ts > /dev/null && "
                + "\(env) \(rocky) commit -m load > /dev/null", in: repo)
            return (csv, repo)
        }
        /// Best of three runs of `command`, each into a fresh destination; the extra disk of the last.
        func clone(_ command: (String) -> String, source: String, tag: String) throws -> (seconds: Double, extra: Int) {
            var best = Double.infinity
            var extra = 0
            for i in 0..<3 {
                let dest = dir + "/\(tag)-\(i)"
                best = min(best, try Bench.measure(command(dest), in: dir).seconds)
                extra = try extraBytes(dest, beside: source)
                if i < 2 { try FileManager.default.removeItem(atPath: dest) }
            }
            return (best, extra)
        }

        let (csv, repo) = try makeSource(rows, "repo")
        let git = dir + "/git"
        try FileManager.default.createDirectory(atPath: git, withIntermediateDirectories: true)
        _ = try Bench.measure("git init -q . && git config user.email b@example.com && git config user.name bench && "
            + "cp '\(csv)' prices.csv && git add prices.csv && git commit -q -m load", in: git)
        let rockySize = try diskBytes([repo])
        let gitSize = try diskBytes([git])

        let rockyClone = try clone({ "\(env) \(rocky) clone '\(repo)' '\($0)' > /dev/null" }, source: repo, tag: "rocky")
        let gitClone = try clone({ "git clone -q --local '\(git)' '\($0)'" }, source: git, tag: "git")
        let copying = try clone({ "\(env) \(rocky) clone --no-hardlinks '\(repo)' '\($0)' > /dev/null" }, source: repo, tag: "copy")

        // Time must not grow with the data: the same clone of a tenth of the rows.
        let (_, small) = try makeSource(rows / 10, "small")
        let smallClone = try clone({ "\(env) \(rocky) clone '\(small)' '\($0)' > /dev/null" }, source: small, tag: "small")

        // Fetch of the whole table into an empty repository (the pack is linked, every object verified).
        let empty = dir + "/empty"
        _ = try Bench.measure("\(rocky) init '\(empty)' > /dev/null")
        _ = try Bench.measure("\(rocky) remote add origin '\(repo)' > /dev/null", in: empty)
        let fetch = try Bench.measure("\(env) \(rocky) fetch > /dev/null 2>&1", in: empty)
        let gc = try Bench.measure("\(env) \(rocky) gc --prune now > /dev/null", in: dir + "/rocky-2")

        Bench.header("Clone: a repository holding \(rows.formatted()) price rows (\(Bench.megabytes(fileSize(csv))) of CSV)")
        Bench.row("clone on one file system: time", rocky: Bench.format(rockyClone.seconds * 1000, 0) + " ms",
                  other: "git clone --local: " + Bench.format(gitClone.seconds * 1000, 0) + " ms",
                  ratio: Bench.format(rockyClone.seconds / gitClone.seconds * 100, 1) + "% of git's time", goal: "< 500 ms")
        Bench.row("clone on one file system: extra disk", rocky: "\(Bench.megabytes(rockyClone.extra)) ("
                    + Bench.format(Double(rockyClone.extra) / Double(rockySize) * 100, 3) + "% of \(Bench.megabytes(rockySize)))",
                  other: "git: \(Bench.megabytes(gitClone.extra)) ("
                    + Bench.format(Double(gitClone.extra) / Double(gitSize) * 100, 1) + "% of \(Bench.megabytes(gitSize)))",
                  ratio: "", goal: "< 5%")
        Bench.row("clone of \((rows / 10).formatted()) rows: time", rocky: Bench.format(smallClone.seconds * 1000, 0) + " ms",
                  other: "", ratio: Bench.format(rockyClone.seconds / smallClone.seconds, 2) + "x for 10x the rows", goal: "~1x")
        Bench.row("clone --no-hardlinks (copies, verifies every object)", rocky: Bench.format(copying.seconds, 2) + " s, "
                    + Bench.megabytes(copying.extra), other: "", ratio: "", goal: "")
        Bench.row("fetch of the table into an empty repository (pack linked, every object verified)",
                  rocky: Bench.format(fetch.seconds, 2) + " s", other: "", ratio: "", goal: "")
        Bench.row("gc --prune now in the clone", rocky: Bench.format(gc.seconds * 1000, 0) + " ms", other: "", ratio: "", goal: "")
    }

    static func fileSize(_ path: String) -> Int {
        (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
    }

    /// Disk blocks used by the files below `paths`, each inode counted once (`du`).
    static func diskBytes(_ paths: [String]) throws -> Int {
        try du(paths).reduce(0, +)
    }

    /// Blocks `dest` uses that `source` does not share (hard links count once).
    static func extraBytes(_ dest: String, beside source: String) throws -> Int {
        try du([source, dest])[1]
    }

    /// `du -s -B1` of each path in one run, so that hard-linked files count for the first path only.
    static func du(_ paths: [String]) throws -> [Int] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/du")
        process.arguments = ["-s", "-B1"] + paths
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let text = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        let sizes = text.split(separator: "\n").compactMap { Int($0.split(separator: "\t").first ?? "") }
        guard sizes.count == paths.count else { throw BenchError("du printed: \(text)") }
        return sizes
    }
}
