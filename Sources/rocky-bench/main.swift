// rocky-bench: the benchmarks behind `make bench`, each side by side with what
// a user would use instead, in one run. `rocky-bench <suite> [options]`.
import Foundation

let suites: [String: ([String]) throws -> Void] = [
    "objects": ObjectBench.run,
    "history": HistoryBench.run,
    "tables": TableBench.run,
    "sql": SQLBench.run,
    "engine": EngineBench.run,
    "incremental": IncrementalBench.run,
    "clone": CloneBench.run,
    "workflow": WorkflowBench.run,
    "dagster": DagsterBench.run,
    "protocol": ProtocolBench.run,
    "https": HTTPSBench.run,
]

/// The suites `all` runs, in order.
let order = ["objects", "history", "tables", "sql", "engine", "incremental", "workflow", "clone", "https", "dagster", "protocol"]

let arguments = Array(CommandLine.arguments.dropFirst())
if arguments.first == "all" {
    print("# rocky-bench report\n")
    print(Bench.machineDescription())
    // Each suite in a fresh process, after the previous one's writes reached
    // the disk: one suite's heap, threads and write-back never land in
    // another's figures.
    for name in order {
        fflush(nil)
        sync()
        let child = Process()
        child.executableURL = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        child.arguments = [name]
        do { try child.run() } catch { print("\n**\(name) failed to start: \(error)**"); exit(1) }
        child.waitUntilExit()
        guard child.terminationStatus == 0 else { print("\n**\(name) failed (exit \(child.terminationStatus))**"); exit(1) }
    }
    exit(0)
}
guard let name = arguments.first, let suite = suites[name] else {
    FileHandle.standardError.write(Data("usage: rocky-bench <\(suites.keys.sorted().joined(separator: "|"))> [options]\n".utf8))
    exit(2)
}
do {
    try suite(Array(arguments.dropFirst()))
} catch {
    FileHandle.standardError.write(Data("rocky-bench \(name): \(error)\n".utf8))
    exit(1)
}
