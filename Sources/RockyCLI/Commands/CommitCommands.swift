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
    static let usage = ["status [--format table|csv|json|jsonl]"]
    static let help = """
    Lists tables and project files that differ from HEAD, and pending transformations.

    options:
      --format <f>   table (default; 'text' is the same), csv, json (the --json document), jsonl: Docs/json.md
                     (csv and jsonl: one record per changed table, then per changed file,
                     as the document's tables and files)
    """

    let format: String?

    init(parsing arguments: inout Arguments) throws {
        format = try DataFormat.option(&arguments)
        _ = try arguments.positionals(max: 0, names: "no arguments")
    }

    func run(_ context: CommandContext) throws {
        let status = try context.repository().status()
        let tables = status.tables.map(Render.json), files = status.files.map(Render.json)
        let document = JSON.object([
            "branch": status.branch.map(JSON.string),
            "head": .string(status.head.hex),
            "clean": .bool(status.isClean),
            "tables": .array(tables),
            "files": .array(files),
            "pending_transforms": .int(status.pendingTransforms),
            "merge_in_progress": status.merge.map { m in
                .object(["operation": .string(m.operation), "source": .string(m.source),
                         "other_parent": m.otherParent.map { .string($0.hex) } ?? .null, "conflicts": .int(m.conflicts)])
            } ?? .null,
        ])
        try DataFormat.print(format, context, document: document, records: tables + files) { printText(status, $0) }
    }

    private func printText(_ status: Status, _ context: CommandContext) {
        context.out.line(status.branch.map { "On branch \($0)" } ?? "HEAD detached at \(status.head.short())")
        if let m = status.merge {
            context.out.line("A \(m.operation) of \(m.source) is in progress: " + (m.conflicts == 0
                ? "every conflict is resolved (commit it with 'rocky merge --continue')"
                : "\(m.conflicts) conflict(s) remain (see 'rocky conflicts'; give up with 'rocky merge --abort')"))
        }
        if status.isClean {
            context.out.line("nothing to commit, working set clean")
            return
        }
        if !status.tables.isEmpty || !status.files.isEmpty || status.pendingTransforms > 0 { context.out.line("Changes not committed:") }
        for change in status.tables { context.out.line("  " + context.paint(Render.describe(change), "33")) }
        for change in status.files { context.out.line("  " + context.paint(Render.describe(change), "33")) }
        if status.pendingTransforms > 0 { context.out.line("  \(status.pendingTransforms) transformation(s) to record") }
    }
}

/// `rocky log`.
struct LogCommand: Command {
    static let name = "log"
    static let abstract = "Show the commit history"
    static let usage = ["log [<rev> | <A>..<B>] [-n <N>] [--oneline] [--graph] [--stat] [-p] [--author <text>] "
        + "[--since <time>] [--until <time>] [--first-parent] [--format table|csv|json|jsonl] [-- <table>]"]
    static let help = """
    Commits reachable from <rev> (default HEAD), newest first. A..B: the
    commits reachable from B but not from A (what B has that A lacks; an
    empty side means HEAD). With -- <table>, only the commits that changed
    that table. History is read one commit at a time: -n 10 reads ten
    commits however long it is.

    options:
      -n <N>            show at most N commits (after the filters below)
      --oneline         one line per commit: short id and subject
      --graph           draw the history as a graph, one line per commit (children before parents)
      --stat            per commit, the tables it changed against its first parent: rows +added -removed ~modified
      -p, --patch       per commit, its row diff against its first parent (as rocky diff shows it)
      --author <text>   only commits whose actor contains <text>
      --since <time>    only commits at or after <time> (ISO 8601, or a date)
      --until <time>    only commits at or before <time>
      --first-parent    follow only first parents (the states the branch held)
      --format <f>      table (default: the text above, with --oneline and --graph;
                        'text' is the same), csv, json (the --json document), jsonl:
                        one record per commit, as the document's commits (Docs/json.md)
    """

    let revision: String
    let excluding: String?
    let limit: Int?
    let oneline: Bool
    let graph: Bool
    let stat: Bool
    let patch: Bool
    let author: String?
    let since: Timestamp?
    let until: Timestamp?
    let firstParent: Bool
    let table: String?
    let format: String?

    init(parsing arguments: inout Arguments) throws {
        format = try DataFormat.option(&arguments)
        limit = try arguments.intOption("-n", "--max-count")
        oneline = arguments.flag("--oneline")
        graph = arguments.flag("--graph")
        stat = arguments.flag("--stat")
        patch = arguments.flag("-p", "--patch")
        firstParent = arguments.flag("--first-parent")
        author = try arguments.option("--author")
        func time(_ name: String) throws -> Timestamp? {
            guard let text = try arguments.option(name) else { return nil }
            guard let t = Timestamp(parsing: text) else { throw arguments.usage("\(name) needs an ISO 8601 time or a date, not '\(text)'") }
            return t
        }
        since = try time("--since")
        until = try time("--until")
        let tables = arguments.afterSeparator
        guard tables.count <= 1 else { throw arguments.usage("give at most one table after --") }
        table = tables.first
        let given = try arguments.positionals(max: 1, names: "[<rev> | <A>..<B>]", separate: true).first ?? "HEAD"
        if given.contains("...") { throw arguments.usage("A...B (symmetric difference) is not supported; use A..B") }
        if let range = given.range(of: "..") {
            let a = String(given[..<range.lowerBound]), b = String(given[range.upperBound...])
            excluding = a.isEmpty ? "HEAD" : a
            revision = b.isEmpty ? "HEAD" : b
        } else {
            excluding = nil
            revision = given
        }
    }

    func run(_ context: CommandContext) throws {
        let repo = try context.repository()
        if patch && (context.json || ![nil, "table"].contains(format)) {
            throw UsageError("-p prints text only: use rocky diff --json <commit>^ <commit>", command: Self.self)
        }
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
        let needle = author?.lowercased()
        var infos: [CommitInfo] = []
        var log = try repo.log(from: revision, excluding: excluding, table: table, firstParent: firstParent)
        while limit.map({ infos.count < $0 }) ?? true, let info = try log.next() {
            if let needle, !info.commit.actor.lowercased().contains(needle) { continue }
            if let since, info.commit.time < since { continue }
            if let until, info.commit.time > until { continue }
            infos.append(info)
        }
        if context.json || ![nil, "table"].contains(format) {
            let records: [JSON] = try infos.map { info in
                guard stat, case var .object(members) = Render.json(info) else { return Render.json(info) }
                members.append(JSON.Member("stat", .array(try CommitStat.lines(repo, info).map { l in
                    .object(["table": .string(l.table), "change": .string(l.change), "added": .int(l.added),
                             "removed": .int(l.removed), "modified": .int(l.modified)])
                })))
                return .object(members)
            }
            return try DataFormat.print(format, context, document: .object(["commits": .array(records)]), records: records) {
                try printText(infos, repo, decorations, $0)
            }
        }
        try printText(infos, repo, decorations, context)
    }

    private func printText(_ infos: [CommitInfo], _ repo: Repository, _ decorations: [ObjectID: [String]],
                           _ context: CommandContext) throws {
        if graph { return try printGraph(infos, repo, decorations, context) }
        for (n, info) in infos.enumerated() {
            let subject = info.commit.message.split(separator: "\n", omittingEmptySubsequences: false).first.map(String.init) ?? ""
            let names = decorations[info.id].map { " (" + $0.joined(separator: ", ") + ")" } ?? ""
            if oneline {
                context.out.line(context.paint(info.id.short(), "33") + context.paint(names, "36") + " " + subject)
                try details(info, repo, context, prefix: "")
                continue
            }
            if n > 0 { context.out.line() }
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
            if stat || patch { context.out.line() }
            try details(info, repo, context, prefix: "")
        }
    }

    /// --stat and -p for one commit, each line after `prefix`.
    private func details(_ info: CommitInfo, _ repo: Repository, _ context: CommandContext, prefix: String) throws {
        if stat { for line in try CommitStat.text(repo, info) { context.out.line(prefix + " " + line) } }
        if patch {
            guard let parent = info.commit.firstParent else {
                for change in try repo.show(info.id.hex).tables { context.out.line(prefix + " " + Render.describe(change)) }
                return
            }
            let diff = try repo.diff(from: parent.hex, to: info.id.hex, tables: table.map { [$0] })
            for t in diff.tables { try t.refuseIfRowsDenied() }
            let buffer = OutputStream(.capture)
            let sub = CommandContext(out: buffer, err: context.err, directory: context.directory, json: false,
                                     settings: context.settings, environment: context.environment)
            try DiffText(context: sub).print(diff)
            buffer.flush()
            for line in String(decoding: buffer.captured, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).dropLast() {
                context.out.line(prefix + " " + line)
            }
        }
    }

    /// One line per commit, children before parents, with lanes drawn as in git.
    private func printGraph(_ infos: [CommitInfo], _ repo: Repository, _ decorations: [ObjectID: [String]],
                            _ context: CommandContext) throws {
        var lanes: [ObjectID] = []
        func draw(_ cells: [String]) -> String { cells.joined(separator: " ") }
        /// Lanes up to `at` straight, then each lane from `at` on moving one column (`mark` is / or \\).
        func shift(_ count: Int, at: Int, _ mark: String) -> String {
            var text = String(repeating: "| ", count: at)
            if !text.isEmpty { text.removeLast() }
            return text + (at..<count).map { _ in mark }.joined(separator: " ")
        }
        for info in Self.topologicalOrder(infos) {
            var index = lanes.firstIndex(of: info.id) ?? { lanes.append(info.id); return lanes.count - 1 }()
            // Other lanes waiting for this commit join it.
            var joins: [String] = []
            while let k = lanes.indices.last(where: { $0 != index && lanes[$0] == info.id }) {
                joins.append(shift(lanes.count, at: k, "/"))
                lanes.remove(at: k)
                if k < index { index -= 1 }
            }
            let subject = info.commit.message.split(separator: "\n", omittingEmptySubsequences: false).first.map(String.init) ?? ""
            let names = decorations[info.id].map { " (" + $0.joined(separator: ", ") + ")" } ?? ""
            context.out.line(draw(lanes.indices.map { $0 == index ? "*" : "|" }) + " " + context.paint(info.id.short(), "33")
                + context.paint(names, "36") + " " + subject)
            for line in joins { context.out.line(line) }
            try details(info, repo, context, prefix: draw(lanes.indices.map { _ in "|" }))
            let parents = firstParent ? Array(info.commit.parents.prefix(1)) : info.commit.parents
            guard let first = parents.first else {
                lanes.remove(at: index)
                if index < lanes.count { context.out.line(draw(lanes.indices.map { $0 < index ? "|" : "/" })) }
                continue
            }
            lanes[index] = first
            var insertAt = index + 1
            for p in parents.dropFirst() where !lanes.contains(p) {
                lanes.insert(p, at: insertAt)
                context.out.line(shift(lanes.count, at: insertAt, "\\"))
                insertAt += 1
            }
            // A parent another lane already waits for: the later lane joins the earlier.
            while let k = lanes.indices.first(where: { k in lanes[..<k].contains(lanes[k]) }) {
                lanes.remove(at: k)
                context.out.line(shift(lanes.count + 1, at: k, "/"))
            }
        }
    }

    /// Children before parents; among commits ready at once, the walk's order (newest first).
    static func topologicalOrder(_ infos: [CommitInfo]) -> [CommitInfo] {
        let position = Dictionary(uniqueKeysWithValues: infos.enumerated().map { ($1.id, $0) })
        var children = [Int](repeating: 0, count: infos.count)
        for info in infos { for p in Set(info.commit.parents) { if let i = position[p] { children[i] += 1 } } }
        var ready = infos.indices.filter { children[$0] == 0 }.reversed() as [Int]
        var order: [CommitInfo] = []
        while let i = ready.popLast() {
            order.append(infos[i])
            for p in Set(infos[i].commit.parents) {
                guard let j = position[p] else { continue }
                children[j] -= 1
                if children[j] == 0 {
                    // Keep `ready` sorted descending so popLast takes the earliest in walk order.
                    let at = ready.firstIndex { $0 < j } ?? ready.count
                    ready.insert(j, at: at)
                }
            }
        }
        return order
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
    static let usage = ["show [<rev>] [--stat]"]
    static let help = """
    Shows the commit (default HEAD), the tables and project files it changed
    against its first parent, and its transformations.

    options:
      --stat   per table, the rows added, removed and modified against the first parent
    """

    let revision: String
    let stat: Bool

    init(parsing arguments: inout Arguments) throws {
        stat = arguments.flag("--stat")
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
                "stat": stat ? .array(try CommitStat.lines(repo, detail.info).map { l in
                    .object(["table": .string(l.table), "change": .string(l.change), "added": .int(l.added),
                             "removed": .int(l.removed), "modified": .int(l.modified)])
                }) : nil,
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
        if stat {
            context.out.line()
            for line in try CommitStat.text(repo, detail.info) { context.out.line("  " + line) }
        } else if !detail.tables.isEmpty || !detail.files.isEmpty {
            context.out.line()
            for change in detail.tables { context.out.line("  " + Render.describe(change)) }
            for change in detail.files { context.out.line("  " + Render.describe(change)) }
        }
        TransformRendering.printList(detail.transformations, to: context)
    }
}

/// Row counts of what a commit changed against its first parent (`log --stat`, `show --stat`).
enum CommitStat {
    struct Line {
        var table: String
        var change: String
        var added = 0, removed = 0, modified = 0
    }

    static func lines(_ repo: Repository, _ info: CommitInfo) throws -> [Line] {
        guard let parent = info.commit.firstParent else {
            return try repo.show(info.id.hex).tables.map { Line(table: $0.name, change: $0.kind.rawValue, added: $0.rowsAfter ?? 0) }
        }
        return try repo.diff(from: parent.hex, to: info.id.hex).tables.map { t in
            let s = try t.stats()
            return Line(table: t.name, change: t.kind.rawValue, added: s.added, removed: s.removed, modified: s.modified)
        }
    }

    static func text(_ repo: Repository, _ info: CommitInfo) throws -> [String] {
        let lines = try lines(repo, info)
        let width = lines.map(\.table.count).max() ?? 0
        return lines.map { l in
            l.table + String(repeating: " ", count: width - l.table.count) + " | +\(l.added) -\(l.removed) ~\(l.modified)"
                + (l.change == "modified" ? "" : " (\(l.change))")
        } + (lines.isEmpty ? [] : ["\(lines.count) table(s) changed, \(lines.reduce(0) { $0 + $1.added }) row(s) added, "
            + "\(lines.reduce(0) { $0 + $1.removed }) removed, \(lines.reduce(0) { $0 + $1.modified }) modified"])
    }
}
