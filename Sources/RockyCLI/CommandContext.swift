import Foundation
import Rocky
import RockyBase

/// Everything a command may touch: its streams, the folder it runs in, the
/// global options and the settings. Commands never print or read the process
/// environment directly, so tests can run them in-process.
final class CommandContext {
    let out: OutputStream
    let err: OutputStream
    /// The folder given by `-C`, or the current directory.
    let directory: String
    /// `--json`: one JSON document on stdout, messages on stderr.
    let json: Bool
    let settings: Settings
    let environment: [String: String]

    init(out: OutputStream, err: OutputStream, directory: String, json: Bool, settings: Settings,
         environment: [String: String]) {
        self.out = out
        self.err = err
        self.directory = directory
        self.json = json
        self.settings = settings
        self.environment = environment
    }

    /// Colors on a terminal, unless NO_COLOR is set.
    var useColor: Bool { out.isTerminal && environment["NO_COLOR"] == nil }

    /// Opens the repository containing the working folder.
    func repository() throws -> Repository {
        try Repository.open(discoveringFrom: directory, settings: settings)
    }

    /// A path argument made absolute against the working folder.
    func path(_ argument: String) -> String {
        argument.hasPrefix("/") ? argument : directory + "/" + argument
    }

    /// The `--json` document, written by `RockyCLI.run` when the command
    /// ends: as it is on success, with an `error` member on failure
    /// (Docs/json.md), so stdout always holds exactly one document.
    private(set) var document: JSON?

    /// Sets the command's JSON document (one per invocation; a second call
    /// replaces the first).
    func emit(_ document: JSON) {
        self.document = document
    }

    /// What `body` prints on stdout, captured: a context like this one that
    /// writes to memory and prints text (`--json` off).
    func capture(_ body: (CommandContext) throws -> Void) throws -> String {
        let sub = CommandContext(out: OutputStream(.capture), err: err, directory: directory, json: false,
                                 settings: settings, environment: environment)
        try body(sub)
        sub.out.flush()
        return sub.out.capturedText
    }

    /// `--json` with a `--format` that is not JSON (`lineage --json --format
    /// dot`): the output in that format as one document, `{"format", "content"}`
    /// and any `extra` members (Docs/json.md).
    func emitWrapped(format: String, extra: [JSON.Member] = [], _ body: (CommandContext) throws -> Void) throws {
        let content = try capture(body)
        emit(.object([JSON.Member("format", .string(format)), JSON.Member("content", .string(content))] + extra))
    }

    /// A file argument's bytes: `-` is standard input, anything else a path
    /// against the working folder (nil when it cannot be read).
    func readFile(_ argument: String) -> Data? {
        argument == "-" ? FileHandle.standardInput.readDataToEndOfFile() : FileManager.default.contents(atPath: path(argument))
    }

    /// A message for people: stderr, so stdout stays machine-readable.
    func note(_ message: String) {
        err.line(message)
    }

    func paint(_ text: String, _ code: String) -> String {
        useColor ? "\u{1B}[\(code)m\(text)\u{1B}[0m" : text
    }
}
