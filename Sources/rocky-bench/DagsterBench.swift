import Foundation

/// `rocky-bench dagster [--rows N]`: the goal of issue 22. The 15-step chain
/// of `rocky-bench engine`, as 15 models over the same prices, run once by
/// `rocky run` and once materialized as 15 assets through Dagster
/// (integrations/dagster/bench/chain_bench.py, with `$ROCKY_PYTHON` and the
/// binary `$ROCKY`). Goal: Dagster <= 1.3x `rocky run`; Dagster's own
/// start-up (imports, loading the definitions) is reported on its own row.
enum DagsterBench {
    static func run(_ arguments: [String]) throws {
        var rows = 1_000_000
        if let i = arguments.firstIndex(of: "--rows"), i + 1 < arguments.count, let n = Int(arguments[i + 1]) { rows = n }
        let environment = ProcessInfo.processInfo.environment
        let python = environment["ROCKY_PYTHON"] ?? "build/venv/bin/python"
        let rocky = environment["ROCKY"] ?? ".build/release/rocky"
        let dir = Bench.temporaryDirectory("dagster")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let csv = try Bench.pricesCSV(rows: rows)
        let symbols = dir + "/symbols.csv"
        try EngineBench.symbolsText().write(toFile: symbols, atomically: true, encoding: .utf8)
        let models = dir + "/models"
        try FileManager.default.createDirectory(atPath: models, withIntermediateDirectories: true)
        for step in EngineBench.chain() {
            let prefix = "CREATE TABLE \(step.name) AS "
            guard step.rocky.hasPrefix(prefix) else { throw BenchError("step \(step.name) is not a CREATE TABLE AS") }
            let header = step.key.map { "-- key: " + $0.joined(separator: ", ") + "\n" } ?? ""
            try (header + step.rocky.dropFirst(prefix.count) + "\n").write(toFile: "\(models)/\(step.name).sql", atomically: true, encoding: .utf8)
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [python, "integrations/dagster/bench/chain_bench.py", "--rocky", rocky, "--prices", csv,
                             "--symbols", symbols, "--models", models, "--work", dir + "/work"]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        Bench.header("Dagster: the 15-step chain as 15 assets over \(rows) prices rows")
        do { try process.run() } catch {
            Bench.row("15 assets through Dagster", rocky: "", other: "skipped: cannot run \(python) (set ROCKY_PYTHON)", ratio: "", goal: "<= 1.3x")
            return
        }
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0,
              let result = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let plain = result["rocky_run"] as? Double, let dagster = result["dagster"] as? Double,
              let startup = result["startup"] as? Double else {
            Bench.row("15 assets through Dagster", rocky: "", other: "skipped: the benchmark failed (is dagster installed? make venv)",
                      ratio: "", goal: "<= 1.3x")
            return
        }
        Bench.row("15 models: Dagster materialize vs rocky run", rocky: "\(Bench.format(plain)) s (rocky run)",
                  other: "\(Bench.format(dagster)) s (Dagster)", ratio: Bench.format(dagster / plain) + "x", goal: "<= 1.3x")
        Bench.row("Dagster start-up: imports and loading the definitions", rocky: "", other: "\(Bench.format(startup)) s",
                  ratio: "", goal: "reported")
    }
}
