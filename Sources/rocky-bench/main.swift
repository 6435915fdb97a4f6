// rocky-bench: the benchmarks behind `make bench`, each side by side with what
// a user would use instead, in one run. `rocky-bench <suite> [options]`.
import Foundation

let suites: [String: ([String]) throws -> Void] = [
    "objects": ObjectBench.run,
    "history": HistoryBench.run,
    "tables": TableBench.run,
    "sql": SQLBench.run,
    "engine": EngineBench.run,
    "clone": CloneBench.run,
    "workflow": WorkflowBench.run,
]

/// The suites `all` runs, in order.
let order = ["objects", "history", "tables", "sql", "engine", "workflow", "clone"]

let arguments = Array(CommandLine.arguments.dropFirst())
if arguments.first == "all" {
    print("# rocky-bench report\n")
    print(Bench.machineDescription())
    for name in order {
        do { try suites[name]!([]) } catch { print("\n**\(name) failed: \(error)**"); exit(1) }
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
