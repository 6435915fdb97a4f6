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
        try seconds(repeats: repeats) {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/bin/bash")
            p.arguments = ["-c", command]
            if let directory { p.currentDirectoryURL = URL(fileURLWithPath: directory) }
            try p.run()
            p.waitUntilExit()
            guard p.terminationStatus == 0 else { throw BenchError("command failed (\(p.terminationStatus)): \(command)") }
        }
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
