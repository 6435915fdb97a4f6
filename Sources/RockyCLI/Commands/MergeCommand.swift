import Foundation
import Rocky
import RockyBase
import RockyTable

/// `rocky merge`.
struct MergeCommand: Command {
    static let name = "merge"
    static let abstract = "Three-way merge a branch into the current branch or another"
    static let usage = ["merge <branch> [--into <target>] [--strategy ours|theirs] [--dry-run] [--ff] [--retry <N>] [-m <message>]",
                        "merge <branch> --keep-conflicts [-m <message>]",
                        "merge --continue [-m <message>] [--retry <N>]",
                        "merge --abort"]
    static let help = """
    Merges from the best common ancestor: per table the schema merges by
    column id, then rows by key, cell by cell; rocky.toml and models/ merge
    line by line. The models and the merged transformations are then compiled
    against the merged schemas. Conflicts (every one listed: table, key,
    column, base, ours, theirs), a compile failure, or a target that moved
    meanwhile write nothing and exit 3. Without --ff the result is always a
    merge commit, so the target's first-parent history is the states it held.

    options:
      --into <target>        merge into this branch without touching the working directory
      --strategy ours|theirs resolve every conflict to one side (recorded in the commit)
      --dry-run              report the outcome, write nothing
      --ff                   fast-forward when possible
      --retry <N>            if the target moves during the merge, merge again onto it, up to N times
      -m <message>           the merge commit's message
      --keep-conflicts       on conflicts, record the merge in the working set (each conflict
                             holding ours' version) to resolve one by one: see 'rocky conflicts'
      --continue             commit the merge in progress once no conflict remains (exit 3 while any do);
                             the commit has both parents
      --abort                abandon the merge in progress: the working set and the project
                             files are as before the merge
    """

    enum Action { case merge(String), continueMerge, abort }

    let action: Action
    let options: MergeOptions

    init(parsing arguments: inout Arguments) throws {
        var options = MergeOptions()
        options.into = try arguments.option("--into")
        if let s = try arguments.option("--strategy") {
            guard let strategy = MergeStrategy(rawValue: s) else { throw arguments.usage("--strategy is ours or theirs, not '\(s)'") }
            options.strategy = strategy
        }
        options.dryRun = arguments.flag("--dry-run", "-n")
        options.fastForward = arguments.flag("--ff")
        options.retries = try arguments.intOption("--retry") ?? 0
        options.message = try arguments.option("-m", "--message")
        options.keepConflicts = arguments.flag("--keep-conflicts")
        let continuing = arguments.flag("--continue"), aborting = arguments.flag("--abort")
        let source = try arguments.positionals(max: 1, names: "<branch>").first
        if continuing || aborting {
            guard !(continuing && aborting), source == nil, options.strategy == nil, !options.keepConflicts, !options.dryRun,
                  options.into == nil, !options.fastForward else {
                throw arguments.usage("--continue and --abort act on the merge in progress and take no branch or other option but -m and --retry")
            }
            action = continuing ? .continueMerge : .abort
        } else {
            guard let source else { throw arguments.usage("merge needs the branch to merge") }
            if options.keepConflicts && (options.strategy != nil || options.dryRun || options.into != nil) {
                throw arguments.usage("--keep-conflicts records conflicts in the current branch's working set: it excludes --strategy, --dry-run and --into")
            }
            action = .merge(source)
        }
        self.options = options
    }

    func run(_ context: CommandContext) throws {
        let repo = try context.repository()
        let source: String
        switch action {
        case .continueMerge:
            let id = try repo.continueMerge(message: options.message, retries: options.retries)
            if context.json {
                context.emit(.object(["outcome": .string("merged"), "new_head": .string(id.hex)]))
            } else {
                context.out.line("Merged as \(id.short())")
            }
            return
        case .abort:
            try repo.abortMerge()
            if context.json { context.emit(.object(["outcome": .string("aborted")])) } else { context.out.line("Merge aborted") }
            return
        case let .merge(name):
            source = name
        }
        do {
            let report = try repo.merge(source, options: options)
            print(report, context)
            if report.outcome == .conflictsKept {
                throw ExitStatus(code: .conflict, message: "\(report.kept.count) conflict(s) kept in the working set")
            }
        } catch let conflicts as MergeConflicts {
            Self.printConflicts(conflicts, context)
            throw ExitStatus(code: .conflict, message: conflicts.description, error: "merge_conflict")
        }
    }

    private func print(_ r: MergeReport, _ context: CommandContext) {
        if context.json {
            context.emit(.object([
                "source": .string(r.source), "target": .string(r.target), "outcome": .string(r.outcome.rawValue),
                "dry_run": .bool(r.dryRun), "old_head": .string(r.oldHead.hex), "new_head": r.newHead.map { .string($0.hex) } ?? .null,
                "bases": .array(r.bases.map { .string($0.hex) }),
                "strategy": r.strategyUsed.map { .string($0.rawValue) } ?? .null,
                "retries": .int(r.retries),
                "tables": .object(r.tables.sorted { $0.key < $1.key }.map { name, outcome in
                    let s = r.stats[name]
                    return JSON.Member(name, .object([
                        "outcome": .string(JSONContract.outcome(outcome)),
                        "rows_changed_on_source": s.map { .int($0.theirsChangedRows) }, "rows_changed_on_target": s.map { .int($0.oursChangedRows) },
                        "rows_inserted": s.map { .int($0.rowsInserted) }, "rows_updated": s.map { .int($0.rowsUpdated) },
                        "rows_deleted": s.map { .int($0.rowsDeleted) },
                    ]))
                }),
                "resolved_conflicts": .array(r.resolved.map(Self.conflictJSON)),
                "conflicts": .array(r.kept.map(Self.conflictJSON)),
            ]))
            return
        }
        switch r.outcome {
        case .upToDate:
            context.out.line("Already up to date: \(r.target) contains \(r.source)")
        case .fastForward:
            context.out.line((r.dryRun ? "Would fast-forward " : "Fast-forwarded ") + "\(r.target) to \(r.source)")
        case .merged:
            let head = r.newHead.map { " as \($0.short())" } ?? ""
            context.out.line((r.dryRun ? "Would merge " : "Merged ") + "\(r.source) into \(r.target)\(head)"
                + (r.strategyUsed.map { " (conflicts resolved: \($0.rawValue))" } ?? ""))
            for (table, outcome) in r.tables.sorted(by: { $0.key < $1.key }) {
                let s = r.stats[table]
                let detail = s.map { s in
                    ", \(s.theirsChangedRows) row(s) changed on \(r.source), \(s.oursChangedRows) on \(r.target): "
                        + "\(s.rowsInserted) inserted, \(s.rowsUpdated) updated, \(s.rowsDeleted) deleted"
                        + (s.rowsCombined > 0 ? ", \(s.rowsCombined) combined cell by cell" : "")
                        + (s.rowsConverged > 0 ? ", \(s.rowsConverged) converged" : "")
                } ?? ""
                context.out.line("  \(table): \(JSONContract.outcome(outcome).replacingOccurrences(of: "_", with: " "))" + detail)
            }
            for c in r.resolved { context.out.line("  resolved " + c.description) }
        case .conflictsKept:
            context.out.line("Merging \(r.source) into \(r.target): \(r.kept.count) conflict(s) kept in the working set, each holding "
                + "\(r.target)'s version; resolve them with 'rocky conflicts resolve', then 'rocky merge --continue' (or 'rocky merge --abort')")
            Self.conflictTable(r.kept, context)
        }
    }

    /// Every conflict, as a table or (`--json`) one document; merge and pull share it.
    static func printConflicts(_ c: MergeConflicts, _ context: CommandContext) {
        if context.json {
            context.emit(.object([
                "source": .string(c.source), "target": .string(c.target), "outcome": .string("conflicts"),
                "conflicts": .array(c.tables.map(conflictJSON)),
                "file_conflicts": .array(c.files.map { f in
                    .object(["path": .string(f.path), "kind": .string(f.kind.rawValue), "hunks": .int(f.hunks.count)])
                }),
            ]))
            return
        }
        context.out.line("CONFLICTS merging \(c.source) into \(c.target); nothing was written:")
        conflictTable(c.tables, context)
        for f in c.files { context.out.line("  file \(f.path): \(f.kind.rawValue)" + (f.hunks.isEmpty ? "" : ", \(f.hunks.count) hunk(s)")) }
    }

    /// Conflicts as a text table: table, key, column, kind, base, ours, theirs.
    static func conflictTable(_ conflicts: [MergeConflict], _ context: CommandContext) {
        context.out.write(Render.table(["table", "key", "column", "kind", "base", "ours", "theirs"], conflicts.map { x in
            func show(_ v: Value?) -> String { v.map { $0.isNull ? "NULL" : Render.truncate($0.description, 30) } ?? "(absent)" }
            return [x.table, x.key.map { $0.map(\.description).joined(separator: ", ") } ?? "", x.column ?? x.field ?? "",
                    x.kind.rawValue, show(x.base), show(x.ours), show(x.theirs)]
        }, indent: "  "))
    }

    static func conflictJSON(_ c: MergeConflict) -> JSON {
        func value(_ v: Value?) -> JSON { v.map(ValueRendering.json) ?? .null }
        return .object([
            "table": .string(c.table), "kind": .string(c.kind.rawValue),
            "key": c.key.map { .object($0.map { JSON.Member($0.column, ValueRendering.json($0.value)) }) } ?? .null,
            "column": c.column.map(JSON.string) ?? .null, "field": c.field.map(JSON.string) ?? .null,
            "base": value(c.base), "ours": value(c.ours), "theirs": value(c.theirs),
            "base_present": .bool(c.base != nil), "ours_present": .bool(c.ours != nil), "theirs_present": .bool(c.theirs != nil),
            "resolution": c.resolution.map { .string($0.rawValue) } ?? .null,
        ])
    }
}

/// `rocky pull`.
struct PullCommand: Command {
    static let name = "pull"
    static let abstract = "Fetch from a remote and merge its branch into the current branch"
    static let usage = ["pull [<remote>] [<branch>] [--no-ff] [--strategy ours|theirs] [-m <message>] [--ca-file <pem>]"]
    static let help = """
    Runs 'rocky fetch <remote>' (default origin), then merges
    <remote>/<branch> (default: the current branch's name) into the current
    branch. When the current branch has no commits the remote lacks, it
    fast-forwards; otherwise it is a three-way merge with a merge commit,
    conflicts reported as by 'rocky merge' (exit 3, nothing written).

    options:
      --no-ff                always make a merge commit
      --strategy ours|theirs resolve conflicts to one side
      -m <message>           the merge commit's message
      --ca-file <pem>        trust the CA certificates in <pem> for this pull (https:// remotes)
    """

    let remote: String
    let branch: String?
    let options: MergeOptions
    let caFile: String?

    init(parsing arguments: inout Arguments) throws {
        caFile = try arguments.option("--ca-file")
        var options = MergeOptions(fastForward: !arguments.flag("--no-ff"))
        if let s = try arguments.option("--strategy") {
            guard let strategy = MergeStrategy(rawValue: s) else { throw arguments.usage("--strategy is ours or theirs, not '\(s)'") }
            options.strategy = strategy
        }
        options.message = try arguments.option("-m", "--message")
        let names = try arguments.positionals(max: 2, names: "[<remote>] [<branch>]")
        remote = names.first ?? "origin"
        branch = names.count > 1 ? names[1] : nil
        self.options = options
    }

    func run(_ context: CommandContext) throws {
        let (settings, progress) = context.transferSettings(caFile: caFile)
        defer { progress?.finish() }
        let repo = try context.repository(settings: settings)
        do {
            let (fetched, report) = try repo.pull(from: remote, branch: branch, options: options)
            progress?.finish()
            if context.json {
                context.emit(.object([
                    "remote": .string(remote), "fetched_refs": .int(fetched.updates.count),
                    "outcome": .string(report.outcome.rawValue), "old_head": .string(report.oldHead.hex),
                    "new_head": report.newHead.map { .string($0.hex) } ?? .null,
                ]))
            } else {
                switch report.outcome {
                case .upToDate: context.out.line("Already up to date with \(remote)")
                case .fastForward: context.out.line("Fast-forwarded \(report.target) to \(report.newHead?.short() ?? "")")
                case .merged: context.out.line("Merged \(report.source) into \(report.target) as \(report.newHead?.short() ?? "")")
                case .conflictsKept: context.out.line("Conflicts kept merging \(report.source) into \(report.target)")
                }
            }
        } catch let conflicts as MergeConflicts {
            MergeCommand.printConflicts(conflicts, context)
            throw ExitStatus(code: .conflict, message: conflicts.description, error: "merge_conflict")
        }
    }
}
