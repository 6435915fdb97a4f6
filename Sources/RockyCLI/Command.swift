import Rocky

/// A verb of the command line.
///
/// A command is a type with a name, a one-line abstract, a usage line and a
/// longer help text; `init(parsing:)` takes its arguments (throwing
/// `UsageError` for bad ones) and `run` does the work, writing only through
/// the context.
protocol Command: Sendable {
    static var name: String { get }
    static var abstract: String { get }
    /// Usage lines without the leading `rocky `, e.g. `branch [-d] <name>`.
    static var usage: [String] { get }
    /// Options and details, printed by `rocky help <verb>`.
    static var help: String { get }

    init(parsing arguments: inout Arguments) throws
    func run(_ context: CommandContext) throws
}

/// Every command, in the order `rocky help` lists them.
let commandTable: [any Command.Type] = [
    InitCommand.self,
    ImportCommand.self,
    ExportCommand.self,
    SQLCommand.self,
    RunCommand.self,
    CostCommand.self,
    StatusCommand.self,
    CommitCommand.self,
    LogCommand.self,
    ShowCommand.self,
    DiffCommand.self,
    MergeCommand.self,
    ConflictsCommand.self,
    BlameCommand.self,
    PullCommand.self,
    ReplayCommand.self,
    CheckoutCommand.self,
    BranchCommand.self,
    TagCommand.self,
    RevertCommand.self,
    CherryPickCommand.self,
    ResetCommand.self,
    ReflogCommand.self,
    StashCommand.self,
    ClassifyCommand.self,
    CheckCommand.self,
    LineageCommand.self,
    AuditCommand.self,
    LSPCommand.self,
    MCPCommand.self,
    CloneCommand.self,
    RemoteCommand.self,
    FetchCommand.self,
    PushCommand.self,
    HTTPBackendCommand.self,
    GCCommand.self,
    TablesCommand.self,
    SchemaCommand.self,
    FsckCommand.self,
    RevParseCommand.self,
    UpdateRefCommand.self,
    CommitTreeCommand.self,
    HashObjectCommand.self,
    CatObjectCommand.self,
    HelpCommand.self,
]

func lookupCommand(_ name: String) -> (any Command.Type)? {
    commandTable.first { $0.name == name }
}

/// A malformed command line: exit code 2, with the verb's usage.
struct UsageError: Error, CustomStringConvertible {
    var message: String
    var command: (any Command.Type)?

    init(_ message: String, command: (any Command.Type)? = nil) {
        self.message = message
        self.command = command
    }

    var description: String { message }
}

/// Ends a command with a non-zero exit code after it has printed its own
/// result (for example `fsck --json` listing problems): the code is used, and
/// with `--json` the command's document gains an `error` member (`error` is
/// its stable code there, Docs/json.md) instead of a second document.
struct ExitStatus: Error, CustomStringConvertible {
    var code: ExitCode
    var message: String
    /// The stable `error.code` of the JSON document; by default one per exit code.
    var error: String

    init(code: ExitCode, message: String, error: String? = nil) {
        self.code = code
        self.message = message
        self.error = error ?? ExitStatus.defaultCode(code)
    }

    var description: String { message }

    static func defaultMessage(_ code: ExitCode) -> String {
        switch code {
        case .success: "ok"
        case .failure: "the command failed; the document lists why"
        case .usage: "usage error"
        case .conflict: "conflict"
        case .replayGaps: "replay found gaps or corrections"
        case .refused: "refused by policy"
        }
    }

    static func defaultCode(_ code: ExitCode) -> String {
        switch code {
        case .success: "ok"
        case .failure: "failed"
        case .usage: "usage"
        case .conflict: "conflict"
        case .replayGaps: "replay_gaps"
        case .refused: "refused"
        }
    }
}
