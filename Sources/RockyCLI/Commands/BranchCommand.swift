import Rocky
import RockyBase

/// `rocky branch`: list, create or delete branches.
struct BranchCommand: Command {
    static let name = "branch"
    static let abstract = "List, create, rename or delete branches"
    static let usage = ["branch [--format table|csv|json|jsonl]", "branch <name> [<start>]", "branch -d | -D <name>", "branch -m <old> <new>"]
    static let help = """
    Without arguments, lists the branches and marks the current one with '*'.
    With <name>, creates a branch at <start> (default: HEAD).

    options:
      -d, --delete <name>   delete a branch (not the current one); its reflog is kept.
                            Refused when HEAD (or a remote-tracking branch of that
                            name) does not contain its head
      -D <name>             delete it even so
      -m, --move <old> <new>  rename a branch (the reflog follows; needs 'delete' on
                            <old> and 'create' on <new>, 'admin' for the protected branch)
      --format <f>          the list: table (default; 'text' is the same), csv, json
                            (the --json document), jsonl: one record per branch (Docs/json.md)
    """

    enum Action { case list, create(String, String), delete(String, force: Bool), rename(String, String) }
    let action: Action
    let format: String?

    init(parsing arguments: inout Arguments) throws {
        format = try DataFormat.option(&arguments)
        let soft = try arguments.option("-d", "--delete"), force = try arguments.option("-D")
        if soft != nil || force != nil {
            guard soft == nil || force == nil else { throw arguments.usage("give -d or -D, not both") }
            _ = try arguments.positionals(max: 0, names: "nothing else")
            action = .delete(soft ?? force!, force: force != nil)
            return
        }
        if arguments.flag("-m", "--move") {
            let names = try arguments.positionals(max: 2, names: "<old> <new>")
            guard names.count == 2 else { throw arguments.usage("branch -m needs <old> <new>") }
            action = .rename(names[0], names[1])
            return
        }
        let names = try arguments.positionals(max: 2, names: "<name> [<start>]")
        switch names.count {
        case 0: action = .list
        case 1: action = .create(names[0], "HEAD")
        default: action = .create(names[0], names[1])
        }
    }

    private func refuseFormat() throws {
        if format != nil { throw UsageError("--format is for the list of branches; --json prints any branch document", command: Self.self) }
    }

    func run(_ context: CommandContext) throws {
        let repo = try context.repository()
        switch action {
        case .list:
            let branches = try repo.branches()
            let records: [JSON] = branches.map { b in
                .object(["name": .string(b.name), "commit": .string(b.head.hex), "current": .bool(b.isCurrent)])
            }
            try DataFormat.print(format, context, document: .object(["branches": .array(records)]), records: records) { context in
                for b in branches {
                    context.out.line((b.isCurrent ? "* " + context.paint(b.name, "32") : "  " + b.name))
                }
            }
        case let .create(name, start):
            try refuseFormat()
            try repo.createBranch(name, from: start)
            let head = try repo.resolve(name)
            if context.json {
                context.emit(.object(["created": .string(name), "commit": .string(head.hex)]))
            } else {
                context.out.line("Created branch \(name) at \(head.short())")
            }
        case let .rename(old, new):
            try refuseFormat()
            try repo.renameBranch(old, to: new)
            if context.json {
                context.emit(.object(["renamed": .string(old), "to": .string(new)]))
            } else {
                context.out.line("Renamed branch \(old) to \(new)")
            }
        case let .delete(name, force):
            try refuseFormat()
            let head = try repo.resolve(name)
            try repo.deleteBranch(name, force: force)
            if context.json {
                context.emit(.object(["deleted": .string(name), "commit": .string(head.hex)]))
            } else {
                context.out.line("Deleted branch \(name) (was \(head.short()))")
            }
        }
    }
}
