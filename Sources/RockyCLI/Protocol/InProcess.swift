import Foundation
import RockyBase

/// The standard streams `rocky lsp` and `rocky mcp` serve on: 0 and 1, or
/// the descriptors `RockyCLI.serve` was given.
struct ServerStreams: Sendable {
    var input: Int32 = 0
    var output: Int32 = 1
    @TaskLocal static var current = ServerStreams()
}

extension RockyCLI {
    /// Runs one command line in this process and returns its exit code and
    /// what it printed: `rocky-bench` times `rocky sql` this way, beside the
    /// same call through `rocky mcp`.
    public static func runCapturing(_ arguments: [String], environment: [String: String], directory: String)
        -> (code: Int32, out: String, err: String) {
        let out = OutputStream(.capture), err = OutputStream(.capture)
        let code = run(arguments, environment: environment, directory: directory, out: out, err: err)
        out.flush()
        err.flush()
        return (code, out.capturedText, err.capturedText)
    }

    /// Runs a command line whose server (`lsp`, `mcp`) reads `input` and
    /// writes `output` instead of the standard streams, in this process,
    /// until its input ends or it is told to exit: how `rocky-bench`
    /// measures the servers without a process in between.
    public static func serve(_ arguments: [String], environment: [String: String], directory: String,
                             input: Int32, output: Int32) -> (code: Int32, err: String) {
        ServerStreams.$current.withValue(ServerStreams(input: input, output: output)) {
            let out = OutputStream(.capture), err = OutputStream(.capture)
            let code = run(arguments, environment: environment, directory: directory, out: out, err: err)
            out.flush()
            err.flush()
            return (code, err.capturedText + out.capturedText)
        }
    }
}
