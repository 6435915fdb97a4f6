import RockyBase

/// `rocky help [<verb>]`.
struct HelpCommand: Command {
    static let name = "help"
    static let abstract = "Show help for rocky or one of its commands"
    static let usage = ["help [<command>]"]
    static let help = ""

    let topic: String?

    init(parsing arguments: inout Arguments) throws {
        topic = try arguments.positionals(max: 1, names: "<command>").first
    }

    func run(_ context: CommandContext) throws {
        guard let topic else {
            if context.json { context.emit(HelpCommand.overviewJSON()) } else { context.out.write(HelpCommand.overview()) }
            return
        }
        guard let command = lookupCommand(topic) else { throw UsageError("no help for '\(topic)': not a rocky command") }
        if context.json { context.emit(HelpCommand.json(for: command)) } else { context.out.write(HelpCommand.page(for: command)) }
    }

    /// `rocky --json help`: the version and every command with its abstract.
    static func overviewJSON() -> JSON {
        .object([
            "version": .string(RockyCLI.version),
            "commands": .array(commandTable.map { .object(["name": .string($0.name), "abstract": .string($0.abstract)]) }),
        ])
    }

    /// `rocky --json help <command>`: its usage lines and help text.
    static func json(for command: any Command.Type) -> JSON {
        .object([
            "command": .string(command.name),
            "abstract": .string(command.abstract),
            "usage": .array(command.usage.map { .string("rocky " + $0) }),
            "help": .string(command.help),
        ])
    }

    static func overview() -> String {
        let width = commandTable.map { $0.name.count }.max() ?? 0
        var text = "rocky \(RockyCLI.version): versioned tables with a typed SQL compiler\n\n"
        text += "usage: rocky [-C <dir>] [--json] [--as <actor>] [--env <name>] <command> [<args>]\n\ncommands:\n"
        for command in commandTable {
            text += "  " + command.name + String(repeating: " ", count: width - command.name.count + 2) + command.abstract + "\n"
        }
        text += """

        global options:
          -C <dir>        run as if started in <dir>
          --json          print one JSON document on stdout (messages go to stderr)
          --as <actor>    the actor recorded for this operation (default: ROCKY_ACTOR, then the OS user)
          --env <name>    the environment whose masking applies (default: ROCKY_ENV, then dev)
          --engine <name> the engine statements run on (default: ROCKY_ENGINE, then the environment's engine, then sqlite)
          --run-id <id>   the run id recorded in commits (default: ROCKY_RUN_ID)
          --version       print the version

        exit codes: 0 success, 1 failure, 2 usage error, 3 conflict, 4 replay gaps, 5 refused by policy
        'rocky help <command>' shows one command's options.

        """
        return text
    }

    static func page(for command: any Command.Type) -> String {
        var text = "rocky \(command.name): \(command.abstract)\n\nusage: "
        text += command.usage.map { "rocky " + $0 }.joined(separator: "\n       ") + "\n"
        if !command.help.isEmpty { text += "\n" + command.help + (command.help.hasSuffix("\n") ? "" : "\n") }
        return text
    }
}
