import Rocky
import RockyBase
import RockyStore
import RockyTable

/// `rocky tag`: list, create or delete annotated tags.
struct TagCommand: Command {
    static let name = "tag"
    static let abstract = "List, create or delete annotated tags"
    static let usage = ["tag", "tag <name> [<rev>] [-m <message>]", "tag -d <name>"]
    static let help = """
    Without arguments, lists the tags. With <name>, tags <rev> (default HEAD)
    with an annotated tag recording the tagger, the time and the message, at
    refs/tags/<name>. Tags are immutable: tagging a name that exists is
    refused. A tag name is a revision wherever one is taken (after branches).
    Creating needs 'create' on a branch pattern matching tags/<name>;
    deleting needs 'admin'.

    options:
      -m, --message <text>  the tag's message
      -d, --delete <name>   delete a tag (admin)
    """

    enum Action { case list, create(String, String, String), delete(String) }
    let action: Action

    init(parsing arguments: inout Arguments) throws {
        if let name = try arguments.option("-d", "--delete") {
            _ = try arguments.positionals(max: 0, names: "nothing else")
            action = .delete(name)
            return
        }
        let message = try arguments.option("-m", "--message") ?? ""
        let names = try arguments.positionals(max: 2, names: "<name> [<rev>]")
        switch names.count {
        case 0:
            guard message.isEmpty else { throw arguments.usage("-m needs a tag name") }
            action = .list
        case 1: action = .create(names[0], "HEAD", message)
        default: action = .create(names[0], names[1], message)
        }
    }

    func run(_ context: CommandContext) throws {
        let repo = try context.repository()
        func json(_ t: Tag) -> JSON {
            .object(["name": .string(t.name), "object": .string(t.id.hex), "commit": .string(t.commit.hex), "tagger": .string(t.tagger),
                     "time": .string(t.time.description), "message": .string(t.message)])
        }
        switch action {
        case .list:
            let tags = try repo.tags()
            if context.json { context.emit(.object(["tags": .array(tags.map(json))])); return }
            for t in tags {
                let subject = t.message.split(separator: "\n").first.map { "  " + $0 } ?? ""
                context.out.line("\(t.name)  \(t.commit.short())\(subject)")
            }
        case let .create(name, revision, message):
            let t = try repo.tag(name, at: revision, message: message)
            if context.json { context.emit(.object(["created": json(t)])); return }
            context.out.line("Tagged \(t.commit.short()) as \(name)")
        case let .delete(name):
            let t = try repo.deleteTag(name)
            if context.json { context.emit(.object(["deleted": json(t)])); return }
            context.out.line("Deleted tag \(name) (was \(t.commit.short()))")
        }
    }
}

/// What revert and cherry-pick share: options, output, conflicts.
struct PickArguments {
    let revision: String
    let options: PickOptions

    init(parsing arguments: inout Arguments, verb: String) throws {
        var options = PickOptions()
        options.mainline = try arguments.intOption("-m", "--mainline") ?? 1
        if options.mainline == 0 { throw arguments.usage("--mainline counts parents from 1") }
        if let s = try arguments.option("--strategy") {
            guard let strategy = MergeStrategy(rawValue: s) else { throw arguments.usage("--strategy is ours or theirs, not '\(s)'") }
            options.strategy = strategy
        }
        options.message = try arguments.option("--message")
        options.retries = try arguments.intOption("--retry") ?? 0
        options.keepConflicts = arguments.flag("--keep-conflicts")
        if options.keepConflicts, options.strategy != nil {
            throw arguments.usage("--keep-conflicts and --strategy exclude each other: a strategy resolves every conflict at once")
        }
        guard let revision = try arguments.positionals(max: 1, names: "<commit>").first else {
            throw arguments.usage("\(verb) needs the commit")
        }
        self.revision = revision
        self.options = options
    }

    func run(_ context: CommandContext, _ body: (Repository) throws -> PickReport) throws {
        let repo = try context.repository()
        let report: PickReport
        do {
            report = try body(repo)
        } catch let conflicts as MergeConflicts {
            MergeCommand.printConflicts(conflicts, context)
            throw ExitStatus(code: .conflict, message: conflicts.description)
        }
        let keptConflicts = ExitStatus(code: .conflict, message: "\(report.kept.count) conflict(s) kept in the working set")
        if context.json {
            var members: [JSON.Member] = [
                JSON.Member("operation", .string(report.operation)), JSON.Member("commit", .string(report.source.hex)),
                JSON.Member("branch", .string(report.branch)),
                JSON.Member("old_head", .string(report.oldHead.hex)), JSON.Member("new_head", .string(report.newHead.hex)),
                JSON.Member("strategy", report.strategyUsed.map { .string($0.rawValue) } ?? .null),
                JSON.Member("tables", .object(report.tables.sorted { $0.key < $1.key }.map { JSON.Member($0.key, .string(JSONContract.outcome($0.value))) })),
            ]
            if !report.kept.isEmpty { members.append(JSON.Member("conflicts", .array(report.kept.map(MergeCommand.conflictJSON)))) }
            context.emit(.object(members))
            if !report.kept.isEmpty { throw keptConflicts }
            return
        }
        if !report.kept.isEmpty {
            context.out.line("\(report.operation == "revert" ? "Reverting" : "Cherry-picking") \(report.source.short()) onto \(report.branch): "
                + "\(report.kept.count) conflict(s) kept in the working set, each holding \(report.branch)'s version; resolve them with "
                + "'rocky conflicts resolve', then 'rocky merge --continue' (or 'rocky merge --abort')")
            MergeCommand.conflictTable(report.kept, context)
            throw keptConflicts
        }
        let verb = report.operation == "revert" ? "Reverted" : "Cherry-picked"
        context.out.line("[\(report.branch) \(report.newHead.short())] \(verb) \(report.source.short())"
            + (report.strategyUsed.map { " (conflicts resolved: \($0.rawValue))" } ?? ""))
        for (table, outcome) in report.tables.sorted(by: { $0.key < $1.key }) {
            let detail = report.stats[table].map { ": \($0.rowsInserted) inserted, \($0.rowsUpdated) updated, \($0.rowsDeleted) deleted" } ?? ""
            context.out.line("  \(table): \(JSONContract.outcome(outcome).replacingOccurrences(of: "_", with: " "))\(detail)")
        }
    }
}

/// `rocky revert <commit>`.
struct RevertCommand: Command {
    static let name = "revert"
    static let abstract = "Undo a commit's change as one new commit"
    static let usage = ["revert <commit> [-m <parent>] [--strategy ours|theirs | --keep-conflicts] [--message <text>] [--retry <N>]"]
    static let help = """
    Makes one commit on the current branch that undoes <commit>'s change,
    cell by cell: a three-way merge of HEAD with base = <commit> and theirs =
    its parent. Rows and cells changed since keep their later values unless
    the same cell was changed: then it conflicts as in merge (every conflict
    listed, nothing written, exit 3). The commit records no transformations;
    its meta names the reverted commit. A merge commit is reverted against
    its first parent unless -m names another. Refused with uncommitted changes.

    options:
      -m, --mainline <N>     for a merge commit: the parent to revert to (default 1)
      --strategy ours|theirs resolve every conflict to one side
      --keep-conflicts       on conflicts, record the revert in the working set (exit 3) to resolve
                             them one by one: rocky conflicts resolve, then merge --continue (or --abort)
      --message <text>       the commit message (default: Revert "<subject>")
      --retry <N>            if the branch moves meanwhile, start again, up to N times
    """

    let pick: PickArguments

    init(parsing arguments: inout Arguments) throws {
        pick = try PickArguments(parsing: &arguments, verb: "revert")
    }

    func run(_ context: CommandContext) throws {
        try pick.run(context) { try $0.revert(pick.revision, options: pick.options) }
    }
}

/// `rocky cherry-pick <commit>`.
struct CherryPickCommand: Command {
    static let name = "cherry-pick"
    static let abstract = "Apply a commit's change to the current branch as one new commit"
    static let usage = ["cherry-pick <commit> [-m <parent>] [--strategy ours|theirs | --keep-conflicts] [--message <text>] [--retry <N>]"]
    static let help = """
    Makes one commit on the current branch with <commit>'s change: a
    three-way merge of HEAD with base = <commit>'s parent and theirs =
    <commit>, conflicts as in merge (exit 3, nothing written). The
    transformations of <commit> are not copied (they ran on another state);
    the commit's meta names it. Refused with uncommitted changes.

    options:
      -m, --mainline <N>     for a merge commit: the parent its change is taken against (default 1)
      --strategy ours|theirs resolve every conflict to one side
      --keep-conflicts       on conflicts, record the cherry-pick in the working set (exit 3) to resolve
                             them one by one: rocky conflicts resolve, then merge --continue (or --abort)
      --message <text>       the commit message (default: the picked commit's, with its id)
      --retry <N>            if the branch moves meanwhile, start again, up to N times
    """

    let pick: PickArguments

    init(parsing arguments: inout Arguments) throws {
        pick = try PickArguments(parsing: &arguments, verb: "cherry-pick")
    }

    func run(_ context: CommandContext) throws {
        try pick.run(context) { try $0.cherryPick(pick.revision, options: pick.options) }
    }
}

/// `rocky reset [--soft|--hard] <rev>`.
struct ResetCommand: Command {
    static let name = "reset"
    static let abstract = "Move the current branch to a revision"
    static let usage = ["reset [--soft | --hard] <rev>"]
    static let help = """
    Moves the current branch to <rev> by compare-and-swap; the reflog keeps
    the old id (rocky reflog). By default the working set and the project
    files follow; --soft leaves the old head's tables and files as
    uncommitted changes. Refused with uncommitted changes, which --hard
    discards. Needs 'write' on the branch, and 'admin' on the protected branch.

    options:
      --soft   move only the branch
      --hard   discard uncommitted changes
    """

    let revision: String
    let mode: ResetMode

    init(parsing arguments: inout Arguments) throws {
        let soft = arguments.flag("--soft"), hard = arguments.flag("--hard"), mixed = arguments.flag("--mixed")
        guard [soft, hard, mixed].filter({ $0 }).count <= 1 else { throw arguments.usage("give one of --soft, --mixed, --hard") }
        mode = soft ? .soft : (hard ? .hard : .mixed)
        guard let revision = try arguments.positionals(max: 1, names: "<rev>").first else {
            throw arguments.usage("reset needs the revision to move to")
        }
        self.revision = revision
    }

    func run(_ context: CommandContext) throws {
        let (branch, old, new) = try context.repository().reset(to: revision, mode: mode)
        if context.json {
            context.emit(.object(["branch": .string(branch), "old_head": .string(old.hex), "new_head": .string(new.hex),
                                  "mode": .string(mode.rawValue)]))
            return
        }
        context.out.line("\(branch) is now at \(new.short()) (was \(old.short()))")
    }
}

/// `rocky reflog [<branch>]`.
struct ReflogCommand: Command {
    static let name = "reflog"
    static let abstract = "Show where a branch has been"
    static let usage = ["reflog [<branch>] [-n <N>] [--format table|csv|json|jsonl]"]
    static let help = """
    Every move of the branch (default: the current one), newest first: the
    id it moved to, who moved it, when and why. A renamed branch's moves
    under its old name follow. Ids shown here stay reachable (gc keeps them)
    until the reflog expires, so 'rocky reset <id>' undoes a reset.

    options:
      -n <N>         show at most N moves
      --format <f>   table (default; 'text' is the same), csv, json (the --json
                     document), jsonl: one record per move (Docs/json.md)
    """

    let branch: String?
    let limit: Int?
    let format: String?

    init(parsing arguments: inout Arguments) throws {
        format = try DataFormat.option(&arguments)
        limit = try arguments.intOption("-n", "--max-count")
        branch = try arguments.positionals(max: 1, names: "[<branch>]").first
    }

    func run(_ context: CommandContext) throws {
        let lines = try context.repository().reflog(branch: branch).prefix(limit ?? Int.max)
        let records: [JSON] = lines.map { l in
            .object(["branch": .string(l.branch), "old": l.old.map { .string($0.hex) } ?? .null,
                     "new": l.new.map { .string($0.hex) } ?? .null, "actor": .string(l.actor), "time": .string(l.time),
                     "message": .string(l.message)])
        }
        try DataFormat.print(format, context, document: .object(["reflog": .array(records)]), records: records) { context in
            for (n, l) in lines.enumerated() {
                context.out.line(context.paint(l.new?.short() ?? "(deleted)", "33") + " \(l.branch)@{\(n)}: \(l.message)  (\(l.actor), \(l.time))")
            }
        }
    }
}

/// `rocky stash`, `stash list`, `stash pop`.
struct StashCommand: Command {
    static let name = "stash"
    static let abstract = "Set uncommitted changes aside, and bring them back"
    static let usage = ["stash [push] [-m <message>]", "stash list [--format table|csv|json|jsonl]", "stash pop"]
    static let help = """
    'stash' saves the working set (tables and pending transformations) and
    the project files under refs/stash and leaves the branch clean. 'stash
    list' shows the saved entries, newest first. 'stash pop' restores the
    newest into the current branch and drops it: refused with uncommitted
    changes; when the branch moved since, the entry merges onto it
    three-way and a conflict refuses the pop (exit 3, nothing changed).

    options:
      -m, --message <text>   describe the entry
      --format <f>           stash list: table (default; 'text' is the same), csv, json
                             (the --json document), jsonl: one record per entry (Docs/json.md)
    """

    enum Action { case push(String?), list, pop }
    let action: Action
    let format: String?

    init(parsing arguments: inout Arguments) throws {
        format = try DataFormat.option(&arguments)
        let message = try arguments.option("-m", "--message")
        let words = try arguments.positionals(max: 1, names: "[push | list | pop]")
        switch words.first ?? "push" {
        case "push": action = .push(message)
        case "list", "pop":
            if message != nil { throw arguments.usage("-m is for stash push") }
            action = words.first == "list" ? .list : .pop
        default: throw arguments.usage("stash takes push, list or pop, not '\(words[0])'")
        }
        if format != nil, words.first != "list" { throw arguments.usage("--format is for stash list; --json prints any stash document") }
    }

    func run(_ context: CommandContext) throws {
        let repo = try context.repository()
        func json(_ e: StashEntry) -> JSON {
            .object(["index": .int(e.index), "id": .string(e.id.hex), "branch": e.branch.map(JSON.string) ?? .null,
                     "base": .string(e.base.hex), "message": .string(e.message), "actor": .string(e.actor),
                     "time": .string(e.time.description), "transforms": .int(e.transforms.count)])
        }
        switch action {
        case let .push(message):
            let e = try repo.stash(message: message)
            if context.json { context.emit(.object(["stashed": json(e)])); return }
            context.out.line("Saved stash@{0}: \(e.message)")
        case .list:
            let entries = try repo.stashList()
            let records = entries.map(json)
            try DataFormat.print(format, context, document: .object(["stash": .array(records)]), records: records) { context in
                for e in entries { context.out.line("stash@{\(e.index)}: \(e.message)") }
            }
        case .pop:
            let e: StashEntry
            do {
                e = try repo.stashPop()
            } catch let conflicts as MergeConflicts {
                MergeCommand.printConflicts(conflicts, context)
                throw ExitStatus(code: .conflict, message: conflicts.description)
            }
            if context.json { context.emit(.object(["popped": json(e)])); return }
            context.out.line("Restored and dropped stash@{0}: \(e.message)")
        }
    }
}
