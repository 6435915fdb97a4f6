import Rocky
import RockyBase
import RockyTable

/// `rocky conflicts` and `rocky conflicts resolve`.
struct ConflictsCommand: Command {
    static let name = "conflicts"
    static let abstract = "List or resolve the conflicts of the merge in progress"
    static let usage = ["conflicts [--format table|csv|json|jsonl]",
                        "conflicts resolve <table> [<key>...] --ours | --theirs | --set <column>=<value>... [--retry <N>]"]
    static let help = """
    A merge run with --keep-conflicts records its conflicts in the working
    set. 'rocky conflicts' lists those still standing: table, key, column,
    kind, base, ours, theirs (values masked as the environment masks them).

    'rocky conflicts resolve' settles the conflicts of one table on the rows
    named by key (the key columns' values, comma-separated for a composite
    key), or every conflict of the table when no key is given:
      --ours                 keep the current branch's version
      --theirs               take the merged branch's version
      --set <column>=<value> set these cells (repeatable; --value is the same);
                             every conflicting column of the row must be given;
                             NULL sets NULL
    Conflicts that are not about one row (schema, table, constraint) are
    resolved for the whole table with --ours or --theirs. Then run
    'rocky merge --continue'.

    options:
      --format <f>   the list: table (default; 'text' is the same), csv, json (the
                     --json document), jsonl: one record per conflict (Docs/json.md)
    """

    enum Action {
        case list
        case resolve(table: String, keys: [String], choice: ConflictChoice, retries: Int)
    }

    let action: Action
    let format: String?

    init(parsing arguments: inout Arguments) throws {
        format = try DataFormat.option(&arguments)
        let ours = arguments.flag("--ours"), theirs = arguments.flag("--theirs")
        let sets = try arguments.options("--set", "--value")
        let retries = try arguments.intOption("--retry") ?? 0
        let words = try arguments.positionals(max: Int.max, names: "resolve <table> [<key>...]")
        guard let verb = words.first else {
            guard !ours, !theirs, sets.isEmpty else { throw arguments.usage("--ours, --theirs and --set belong to 'conflicts resolve'") }
            action = .list
            return
        }
        if format != nil { throw arguments.usage("--format is for the list of conflicts") }
        guard verb == "resolve" else { throw arguments.usage("unknown subcommand '\(verb)': conflicts lists; 'conflicts resolve' resolves") }
        guard words.count >= 2 else { throw arguments.usage("conflicts resolve needs the table") }
        guard [ours, theirs, !sets.isEmpty].filter({ $0 }).count == 1 else {
            throw arguments.usage("give exactly one of --ours, --theirs or --set <column>=<value>")
        }
        let choice: ConflictChoice
        if ours {
            choice = .ours
        } else if theirs {
            choice = .theirs
        } else {
            var values: [String: String] = [:]
            for item in sets {
                guard let eq = item.firstIndex(of: "="), eq != item.startIndex else {
                    throw arguments.usage("--set takes <column>=<value>, not '\(item)'")
                }
                let column = String(item[..<eq])
                guard values[column.lowercased()] == nil else { throw arguments.usage("--set names \(column) twice") }
                values[column.lowercased()] = String(item[item.index(after: eq)...])
            }
            choice = .values(values)
        }
        action = .resolve(table: words[1], keys: Array(words.dropFirst(2)), choice: choice, retries: retries)
    }

    func run(_ context: CommandContext) throws {
        let repo = try context.repository()
        switch action {
        case .list:
            let listing = try repo.conflicts()
            let records = listing.conflicts.map(MergeCommand.conflictJSON)
            let document = JSON.object([
                "branch": listing.branch.map(JSON.string) ?? .null, "operation": .string(listing.operation),
                "source": .string(listing.source), "other_parent": listing.otherParent.map { .string($0.hex) } ?? .null,
                "conflicts": .array(records),
            ])
            try DataFormat.print(format, context, document: document, records: records) { context in
                if listing.conflicts.isEmpty {
                    context.out.line("No conflicts remain in the \(listing.operation) of \(listing.source): run 'rocky merge --continue'")
                    return
                }
                context.out.line("\(listing.conflicts.count) conflict(s) remain in the \(listing.operation) of \(listing.source):")
                MergeCommand.conflictTable(listing.conflicts, context)
            }
        case let .resolve(table, keys, choice, retries):
            let result = try repo.resolveConflicts(in: table, keys: keys, choice: choice, retries: retries)
            if context.json {
                context.emit(.object(["table": .string(result.table), "resolved": .int(result.resolved), "remaining": .int(result.remaining)]))
            } else {
                context.out.line("Resolved \(result.resolved) conflict(s) in \(result.table); \(result.remaining) remain"
                    + (result.remaining == 0 ? " (run 'rocky merge --continue')" : ""))
            }
        }
    }
}

/// `rocky blame`.
struct BlameCommand: Command {
    static let name = "blame"
    static let abstract = "Show the commit that last set each row or cell of a table"
    static let usage = ["blame <table> [<key>...] [--cells] [--at <rev>] [--format table|csv|json|jsonl]"]
    static let help = """
    For each row of the table (or the rows named by key: the key columns'
    values, comma-separated for a composite key) the commit, actor, time and
    transformation that last set it, walking the first-parent chain of HEAD
    (or --at <rev>). A row is set by the newest commit that changed any of
    its cells or added it. Commits that did not touch the rows' chunks are
    passed over without reading them. Values are masked as the environment
    masks them.

    options:
      --cells       one line per cell: the commit that last set that cell
      --at <rev>    blame the table as it is at this revision
      --format <f>  table (default; 'text' is the same), csv, json (the --json
                    document), jsonl: one record per row (per cell with --cells), as
                    the document's rows or cells (Docs/json.md)
    """

    let table: String
    let keys: [String]
    let cells: Bool
    let revision: String?
    let format: String?

    init(parsing arguments: inout Arguments) throws {
        format = try DataFormat.option(&arguments)
        cells = arguments.flag("--cells")
        revision = try arguments.option("--at")
        let words = try arguments.positionals(max: Int.max, names: "<table> [<key>...]")
        guard let table = words.first else { throw arguments.usage("blame needs the table") }
        self.table = table
        keys = Array(words.dropFirst())
    }

    func run(_ context: CommandContext) throws {
        let blame = try context.repository().blame(table, keys: keys, cells: cells, at: revision)
        let records: [JSON] = blame.lines.map { line in
            .object([
                "key": .object(line.key.map { JSON.Member($0.column, ValueRendering.json($0.value)) }),
                "column": line.column.map(JSON.string), "value": line.value.map(ValueRendering.json),
                "commit": .string(line.commit.hex), "actor": .string(line.actor), "time": .string(line.time.description),
                "message": .string(line.message),
                "transformation": line.transformation.map { .string($0.hex) } ?? .null,
                "statement": line.statement.map(JSON.string) ?? .null,
            ])
        }
        let document = JSON.object([
            "table": .string(blame.table), "commit": .string(blame.commit.hex),
            "commits_walked": .int(blame.commitsWalked), "commits_compared": .int(blame.commitsCompared),
            (cells ? "cells" : "rows"): .array(records),
        ])
        try DataFormat.print(format, context, document: document, records: records) { context in
            printTable(blame, context)
        }
    }

    private func printTable(_ blame: Blame, _ context: CommandContext) {
        func key(_ line: BlameLine) -> String { line.key.map(\.description).joined(separator: ", ") }
        var header = ["commit", "actor", "time", "key"]
        if cells { header += ["column", "value"] }
        header.append("transformation")
        context.out.write(Render.table(header, blame.lines.map { line in
            var row = [line.commit.short(), line.actor, line.time.description, key(line)]
            if cells { row += [line.column ?? "", line.value.map { $0.isNull ? "NULL" : Render.truncate($0.description, 30) } ?? ""] }
            row.append(line.statement.map { Render.truncate($0.replacingOccurrences(of: "\n", with: " "), 50) } ?? "(" + Render.truncate(line.message.split(separator: "\n", omittingEmptySubsequences: false).first.map(String.init) ?? "", 40) + ")")
            return row
        }))
    }
}
