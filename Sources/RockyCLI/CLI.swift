import Foundation
import Glibc
import Rocky
import RockyBase

/// glibc's `mallopt` (malloc.h, which the Glibc module does not export).
@_silgen_name("mallopt")
private func glibcMallopt(_ parameter: Int32, _ value: Int32) -> Int32

/// The entry point of the `rocky` command.
public enum RockyCLI {
    public static let version = "0.1.0"

    /// Runs the real process: arguments, environment and standard streams.
    public static func main() -> Never {
        signal(SIGPIPE, SIG_IGN)
        // glibc gives a thread's heap back after nearly every large free and
        // takes it again at the next allocation (madvise, then mprotect: each
        // a TLB shootdown across cores). A 100-row merge, whose reading,
        // merging and compressing threads pass chunk buffers around, made
        // 630 such calls; heaps now grow by 16 MiB and shrink past 64 MiB.
        _ = glibcMallopt(-2 /* M_TOP_PAD */, 16 << 20)
        _ = glibcMallopt(-1 /* M_TRIM_THRESHOLD */, 64 << 20)
        let out = OutputStream(.descriptor(1))
        let err = OutputStream(.descriptor(2))
        let code = run(Array(CommandLine.arguments.dropFirst()), environment: ProcessInfo.processInfo.environment,
                       directory: FileManager.default.currentDirectoryPath, out: out, err: err)
        out.flush()
        err.flush()
        exit(code)
    }

    /// Runs one command line and returns its exit code; everything printed
    /// goes to `out` and `err`.
    static func run(_ arguments: [String], environment: [String: String], directory: String,
                    out: OutputStream, err: OutputStream) -> Int32 {
        var json = arguments.contains("--json")
        var context: CommandContext?
        do {
            // Global options may come anywhere before `--`.
            var global = Arguments(arguments)
            json = global.flag("--json")
            let actor = try global.option("--as")
            let env = try global.option("--env")
            let engine = try global.option("--engine")
            // `rocky audit --run-id <id>` filters by run id rather than setting one.
            let isAudit = verbName(arguments) == AuditCommand.name
            let runID = isAudit ? nil : try global.option("--run-id")
            var tokens = global.remainingTokens
            // `-C`, `--version` and `--help` before the verb, as in git.
            var directory = directory
            var showVersion = false, showHelp = false
            while let first = tokens.first, ["-C", "--version", "--help", "-h"].contains(first) {
                tokens.removeFirst()
                switch first {
                case "-C":
                    guard let dir = tokens.first else { throw UsageError("-C needs a directory") }
                    tokens.removeFirst()
                    directory = dir.hasPrefix("/") ? dir : directory + "/" + dir
                case "--version": showVersion = true
                default: showHelp = true
                }
            }
            if let first = tokens.first, first.hasPrefix("-") {
                throw UsageError("unknown option \(first) (see 'rocky help')")
            }

            if showVersion && tokens.isEmpty {
                if json {
                    out.write(JSON.object(["version": .string(version), "build": .string(build)]).prettyText + "\n")
                } else {
                    out.line("rocky \(version) (build \(build))")
                }
                return 0
            }
            guard let verb = tokens.first else {
                guard showHelp else {
                    if json { throw UsageError("rocky needs a command (see 'rocky help')") }
                    out.write(HelpCommand.overview())
                    return ExitCode.usage.rawValue
                }
                if json { out.write(HelpCommand.overviewJSON().prettyText + "\n") } else { out.write(HelpCommand.overview()) }
                return 0
            }
            guard let command = lookupCommand(verb) else {
                throw UsageError("'\(verb)' is not a rocky command" + suggestion(for: verb) + " (see 'rocky help')")
            }
            let rest = Array(tokens.dropFirst())
            if showHelp || rest.contains("--help") || rest.contains("-h") {
                if json { out.write(HelpCommand.json(for: command).prettyText + "\n") } else { out.write(HelpCommand.page(for: command)) }
                return 0
            }
            var settings = try Settings.fromEnvironment(environment)
            if let actor { settings.actor = actor }
            if let env { settings.environment = env }
            if let runID { settings.runID = runID }
            if let engine { settings.engine = engine }
            var parsed = Arguments(rest, command: command)
            let instance = try command.init(parsing: &parsed)
            try parsed.finish()
            let made = CommandContext(out: out, err: err, directory: directory, json: json,
                                      settings: settings, environment: environment)
            context = made
            try instance.run(made)
            // `--format json` without `--json` sets the document too.
            if let document = made.document { out.write(document.prettyText + "\n") }
            return 0
        } catch {
            return report(error, json: json, document: context?.document, out: out, err: err)
        }
    }

    /// Prints an error and returns its exit code. With `--json`, stdout gets
    /// one document: the command's own (a conflict list, fsck's problems)
    /// when it set one, with an `error` member first, else just the error.
    static func report(_ error: Error, json: Bool, document: JSON? = nil, out: OutputStream, err: OutputStream) -> Int32 {
        let code: ExitCode
        let name: String
        let message: String
        if let status = error as? ExitStatus {
            code = status.code
            name = status.error
            message = status.message.isEmpty ? ExitStatus.defaultMessage(status.code) : status.message
            if !status.message.isEmpty { err.line("rocky: " + status.message) }
        } else {
            code = ExitCode.of(error)
            name = ExitCode.code(of: error)
            message = String(describing: error)
            err.line("rocky: error: " + message)
            if let usage = error as? UsageError, let command = usage.command {
                err.line("usage: " + command.usage.map { "rocky " + $0 }.joined(separator: "\n       "))
            }
        }
        if json || document != nil {
            let failure = JSON.Member("error", .object([
                JSON.Member("code", .string(name)),
                JSON.Member("message", .string(message)),
                JSON.Member("exit_code", .int(code.rawValue)),
            ] + ExitCode.details(of: error)))
            let rest = (document?.members ?? []).filter { $0.key != "error" }
            out.write(JSON.object([failure] + rest).prettyText + "\n")
        }
        return code.rawValue
    }

    /// The command name: the first word that is neither an option nor an option's value.
    private static func verbName(_ arguments: [String]) -> String? {
        var i = 0
        while i < arguments.count {
            let token = arguments[i]
            if ["-C", "--as", "--env", "--engine", "--run-id"].contains(token) { i += 2; continue }
            if token.hasPrefix("-") { i += 1; continue }
            return token
        }
        return nil
    }

    private static func suggestion(for verb: String) -> String {
        Suggestion.didYouMean(verb, among: commandTable.map { $0.name })
    }
}

