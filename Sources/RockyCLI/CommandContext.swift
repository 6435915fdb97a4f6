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

    /// Prints a JSON document (pretty, one per invocation).
    func emit(_ document: JSON) {
        out.write(document.prettyText + "\n")
    }

    /// A message for people: stderr, so stdout stays machine-readable.
    func note(_ message: String) {
        err.line(message)
    }

    func paint(_ text: String, _ code: String) -> String {
        useColor ? "\u{1B}[\(code)m\(text)\u{1B}[0m" : text
    }
}
