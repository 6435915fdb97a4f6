import Foundation

/// Timing and side-by-side helpers shared by the suites.
enum Bench {
    /// Wall-clock seconds of `body`, the best of `repeats` runs.
    static func seconds(repeats: Int = 3, _ body: () throws -> Void) rethrows -> Double {
        var best = Double.infinity
        for _ in 0..<repeats {
            let start = DispatchTime.now().uptimeNanoseconds
            try body()
            best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        return best
    }

    /// Runs a shell command and returns its best wall-clock seconds; fails loudly if it fails.
    static func shell(_ command: String, repeats: Int = 3, in directory: String? = nil) throws -> Double {
        let full = directory.map { "cd '\($0)' && " + command } ?? command
        return try seconds(repeats: repeats) {
            // posix_spawn and waitpid: Foundation's Process adds tens of
            // milliseconds of polling, which would swamp short commands.
            var pid: pid_t = 0
            let args = ["/bin/sh", "-c", full]
            var argv: [UnsafeMutablePointer<CChar>?] = args.map { strdup($0) } + [nil]
            defer { for a in argv { free(a) } }
            let status = posix_spawn(&pid, "/bin/sh", nil, nil, &argv, environ)
            guard status == 0 else { throw BenchError("cannot run: \(command)") }
            var result: Int32 = 0
            waitpid(pid, &result, 0)
            guard result == 0 else { throw BenchError("command failed (\(result)): \(command)") }
        }
    }

    /// Runs a shell command once; returns wall seconds and the peak resident
    /// memory (bytes) of the largest process it ran, as GNU time reports it.
    ///
    /// Not this process's own wait4: Linux folds the high-water mark of the
    /// memory a process replaces at exec into its peak, and posix_spawn's
    /// child shares this benchmark's memory until it execs, so the figure
    /// would be this process's heap (hundreds of MiB once it has read a
    /// CSV). GNU time forks from its own 1 MiB.
    static func measure(_ command: String, in directory: String? = nil) throws -> (seconds: Double, peakBytes: Int) {
        let full = directory.map { "cd '\($0)' && " + command } ?? command
        let folder = temporaryDirectory("rusage")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var pid: pid_t = 0
        let args = ["/usr/bin/time", "-f", "%M", "-o", folder + "/peak", "/bin/sh", "-c", full]
        var argv: [UnsafeMutablePointer<CChar>?] = args.map { strdup($0) } + [nil]
        defer { for a in argv { free(a) } }
        let start = DispatchTime.now().uptimeNanoseconds
        guard posix_spawn(&pid, args[0], nil, nil, &argv, environ) == 0 else { throw BenchError("cannot run: \(command)") }
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        guard status == 0 else { throw BenchError("command failed (\(status)): \(command)") }
        let report = try String(contentsOfFile: folder + "/peak", encoding: .utf8)
        guard let kilobytes = Int(report.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw BenchError("unreadable GNU time report: \(report)")
        }
        return (seconds, kilobytes * 1024)
    }

    /// The median of some measurements.
    static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
    }

    /// Total size of the files below a folder.
    static func diskBytes(_ path: String) -> Int {
        if let size = (try? FileManager.default.attributesOfItem(atPath: path))?[.type] as? FileAttributeType, size == .typeRegular {
            return (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
        }
        var total = 0
        for case let name as String in FileManager.default.enumerator(atPath: path)?.allObjects ?? [] {
            total += (try? FileManager.default.attributesOfItem(atPath: path + "/" + name)[.size] as? Int) ?? 0
        }
        return total
    }

    /// Paths of the files below a folder.
    static func files(_ path: String) -> Set<String> {
        Set((FileManager.default.enumerator(atPath: path)?.allObjects as? [String]) ?? [])
    }

    static func megabytes(_ bytes: Int) -> String { format(Double(bytes) / 1_048_576, 1) + " MiB" }

    /// A large prices CSV from the fixture generator (cached in build/bench-data).
    static func pricesCSV(rows: Int) throws -> String {
        let folder = FileManager.default.currentDirectoryPath + "/build/bench-data"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let path = folder + "/prices-\(rows).csv"
        if !FileManager.default.fileExists(atPath: path) {
            _ = try measure("python3 Fixtures/generate.py prices --rows \(rows) -o '\(path)'")
        }
        return path
    }

    static func temporaryDirectory(_ name: String) -> String {
        let path = NSTemporaryDirectory() + "rocky-bench-\(name)-\(getpid())"
        try? FileManager.default.removeItem(atPath: path)
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// CPU, cores, memory, kernel and date, for the report's header.
    static func machineDescription() -> String {
        let cpu = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8))?
            .split(separator: "\n").first { $0.hasPrefix("model name") }?
            .split(separator: ":").last?.trimmingCharacters(in: .whitespaces) ?? "unknown CPU"
        let memory = ProcessInfo.processInfo.physicalMemory / (1 << 30)
        var name = utsname()
        uname(&name)
        let kernel = withUnsafeBytes(of: name.release) { String(cString: $0.baseAddress!.assumingMemoryBound(to: CChar.self)) }
        return "Machine: \(cpu), \(ProcessInfo.processInfo.activeProcessorCount) cores, \(memory) GiB, Linux \(kernel). "
            + "Date: \(ISO8601DateFormatter().string(from: Date())). Command: `make bench`."
    }

    static func format(_ value: Double, _ digits: Int = 2) -> String { String(format: "%.\(digits)f", value) }

    /// Prints one result row: what, Rocky's figure, the alternative's, and the ratio.
    static func row(_ what: String, rocky: String, other: String, ratio: String, goal: String) {
        print("| \(what) | \(rocky) | \(other) | \(ratio) | \(goal) |")
    }

    static func header(_ title: String) {
        print("\n### \(title)\n")
        print("| measure | rocky | alternative | ratio | goal |")
        print("|---|---|---|---|---|")
    }
}

struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}
