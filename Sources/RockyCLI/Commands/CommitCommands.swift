import Rocky
import RockyBase
import RockyStore

/// `rocky commit -m <message>`.
struct CommitCommand: Command {
    static let name = "commit"
    static let abstract = "Record the working set and project files as a commit"
    static let usage = ["commit -m <message> [--allow-empty] [--retry <N>]"]
    static let help = """
    Records the tables of the working set and the project files (rocky.toml,
    models/) on the current branch. The actor is --as, else ROCKY_ACTOR, else
    the OS user; ROCKY_COMMIT_TIME fixes the time. The branch moves and the
    working set is emptied in one step; if another process moved the branch
    or changed the working set meanwhile, nothing is written and the command
    exits 3: run it again, or pass --retry.

    options:
      -m, --message <text>   the commit message (required)
      --allow-empty          commit even when nothing changed
      --retry <N>            on exit 3 for a concurrent change, commit again what the working set then holds, up to N times
    """

    let message: String
    let allowEmpty: Bool
    let retries: Int

    init(parsing arguments: inout Arguments) throws {
        allowEmpty = arguments.flag("--allow-empty")
        retries = try arguments.intOption("--retry") ?? 0
        guard let message = try arguments.option("-m", "--message"), !message.isEmpty else {
            throw arguments.usage("commit needs a message: -m <message>")
        }
        self.message = message
        _ = try arguments.positionals(max: 0, names: "no arguments")
    }

    func run(_ context: CommandContext) throws {
        let repo = try context.repository()
        // The summary lists the statements as the environment shows them:
        // an unknown environment stops the command before it commits.
        try repo.checkEnvironment()
        let id = try repo.commit(message: message, allowEmpty: allowEmpty, retries: retries)
        let detail = try repo.show(id.hex)
        if context.json {
            context.emit(.object([
                "commit": Render.json(detail.info),
                "branch": try repo.currentBranch().map(JSON.string),
                "tables": .array(detail.tables.map(Render.json)),
                "files": .array(detail.files.map(Render.json)),
                "transformations": .array(detail.transformations.map { TransformRendering.json($0.id, $0.record) }),
            ]))
            return
        }
        context.out.line("[\(try repo.currentBranch() ?? "detached HEAD") \(id.short())] \(message)")
        for change in detail.tables { context.out.line("  " + Render.describe(change)) }
        for change in detail.files { context.out.line("  " + Render.describe(change)) }
        TransformRendering.printList(detail.transformations, to: context)
    }
}

/// `rocky status`.
struct StatusCommand: Command {
    static let name = "status"
    static let abstract = "Show the branch and what changed since the last commit"
    static let usage = ["status"]
    static let help = "Lists tables and project files that differ from HEAD, and pending transformations."

    init(parsing arguments: inout Arguments) throws {
        _ = try arguments.positionals(max: 0, names: "no arguments")
    }

    func run(_ context: CommandContext) throws {
        let status = try context.repository().status()
        if context.json {
            context.emit(.object([
                "branch": status.branch.map(JSON.string),
                "head": .string(status.head.hex),
                "clean": .bool(status.isClean),
                "tables": .array(status.tables.map(Render.json)),
                "files": .array(status.files.map(Render.json)),
                "pending_transforms": .int(status.pendingTransforms),
            ]))
            return
        }
        context.out.line(status.branch.map { "On branch \($0)" } ?? "HEAD detached at \(status.head.short())")
        if status.isClean {
            context.out.line("nothing to commit, working set clean")
            return
        }
        context.out.line("Changes not committed:")
        for change in status.tables { context.out.line("  " + context.paint(Render.describe(change), "33")) }
        for change in status.files { context.out.line("  " + context.paint(Render.describe(change), "33")) }
        if status.pendingTransforms > 0 { context.out.line("  \(status.pendingTransforms) transformation(s) to record") }
    }
}

/// `rocky log`.
struct LogCommand: Command {
    static let name = "log"
    static let abstract = "Show the commit history"
    static let usage = ["log [<rev>] [-n <N>] [--oneline] [--first-parent] [-- <table>]"]
    static let help = """
    Commits reachable from <rev> (default HEAD), newest first. With
    -- <table>, only the commits that changed that table. History is read
    one commit at a time: -n 10 reads ten commits however long it is.

    options:
      -n <N>            show at most N commits
      --oneline         one line per commit: short id and subject
      --first-parent    follow only first parents (the states the branch held)
    """

    let revision: String
    let limit: Int?
    let oneline: Bool
    let firstParent: Bool
    let table: String?

    init(parsing arguments: inout Arguments) throws {
        limit = try arguments.intOption("-n", "--max-count")
        oneline = arguments.flag("--oneline")
        firstParent = arguments.flag("--first-parent")
        let tables = arguments.afterSeparator
        guard tables.count <= 1 else { throw arguments.usage("give at most one table after --") }
        table = tables.first
        revision = try arguments.positionals(max: 1, names: "[<rev>]", separate: true).first ?? "HEAD"
    }

    func run(_ context: CommandContext) throws {
        let repo = try context.repository()
        if let table {
            let known = try repo.tableIDs(at: revision)
            if known[table] == nil {
                var all = try repo.log(from: revision)
                var anywhere = false
                while !anywhere, let info = try all.next() {
                    anywhere = try repo.tableIDs(at: info.id.hex)[table] != nil
                }
                if !anywhere { throw RepositoryError.noSuchTable(table, available: known.keys.sorted()) }
            }
        }
        let decorations = try decorate(repo)
        var entries: [JSON] = []
        var count = 0
        var log = try repo.log(from: revision, table: table, firstParent: firstParent)
        while limit.map({ count < $0 }) ?? true, let info = try log.next() {
            count += 1
            if context.json { entries.append(Render.json(info)); continue }
            let subject = info.commit.message.split(separator: "\n", omittingEmptySubsequences: false).first.map(String.init) ?? ""
            let names = decorations[info.id].map { " (" + $0.joined(separator: ", ") + ")" } ?? ""
            if oneline {
                context.out.line(context.paint(info.id.short(), "33") + context.paint(names, "36") + " " + subject)
                continue
            }
            if count > 1 { context.out.line() }
            context.out.line(context.paint("commit \(info.id.hex)", "33") + context.paint(names, "36"))
            if info.commit.parents.count > 1 {
                context.out.line("Merge:  " + info.commit.parents.map { $0.short() }.joined(separator: " "))
            }
            context.out.line("Actor:  \(info.commit.actor)")
            context.out.line("Date:   \(info.commit.time)")
            if let run = info.commit.runID { context.out.line("Run:    \(run)") }
            context.out.line()
            for line in info.commit.message.split(separator: "\n", omittingEmptySubsequences: false) {
                context.out.line("    " + line)
            }
        }
        if context.json { context.emit(.object(["commits": .array(entries)])) }
    }

    private func decorate(_ repo: Repository) throws -> [ObjectID: [String]] {
        var names: [ObjectID: [String]] = [:]
        let current = try repo.currentBranch()
        for branch in try repo.branches() {
            names[branch.head, default: []].append(branch.name == current ? "HEAD -> \(branch.name)" : branch.name)
        }
        if current == nil { names[try repo.resolve("HEAD"), default: []].insert("HEAD", at: 0) }
        return names
    }
}

/// `rocky show <rev>`.
struct ShowCommand: Command {
    static let name = "show"
    static let abstract = "Show a commit and what it changed"
    static let usage = ["show [<rev>]"]
    static let help = "Shows the commit (default HEAD), the tables and project files it changed against its first parent, and its transformations."

    let revision: String

    init(parsing arguments: inout Arguments) throws {
        revision = try arguments.positionals(max: 1, names: "[<rev>]").first ?? "HEAD"
    }

    func run(_ context: CommandContext) throws {
        let repo = try context.repository()
        let detail = try repo.show(revision)
        if context.json {
            context.emit(.object([
                "commit": Render.json(detail.info),
                "tables": .array(detail.tables.map(Render.json)),
                "files": .array(detail.files.map(Render.json)),
                "transformations": .array(detail.transformations.map { TransformRendering.json($0.id, $0.record) }),
            ]))
            return
        }
        let c = detail.info.commit
        context.out.line(context.paint("commit \(detail.info.id.hex)", "33"))
        if c.parents.count > 1 { context.out.line("Merge:  " + c.parents.map { $0.short() }.joined(separator: " ")) }
        context.out.line("Actor:  \(c.actor)")
        context.out.line("Date:   \(c.time)")
        if let run = c.runID { context.out.line("Run:    \(run)") }
        context.out.line()
        for line in c.message.split(separator: "\n", omittingEmptySubsequences: false) { context.out.line("    " + line) }
        if !detail.tables.isEmpty || !detail.files.isEmpty {
            context.out.line()
            for change in detail.tables { context.out.line("  " + Render.describe(change)) }
            for change in detail.files { context.out.line("  " + Render.describe(change)) }
        }
        TransformRendering.printList(detail.transformations, to: context)
    }
}
