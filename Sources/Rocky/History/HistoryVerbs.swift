import RockyBase
import RockyStore
import RockyTable

/// How `revert` and `cherry-pick` apply a commit's change.
public struct PickOptions: Sendable {
    /// For a merge commit: the parent (1-based) its change is taken against.
    /// Default 1: a merge is reverted (or picked) as the change it made to
    /// its first parent's history.
    public var mainline: Int
    /// Resolve every conflict to one side; the commit records which.
    public var strategy: MergeStrategy?
    public var message: String?
    /// When the branch moves meanwhile, start again up to this many times.
    public var retries: Int
    /// Record the operation and its conflicts in the working set instead of
    /// failing, to be resolved one by one (`rocky conflicts resolve`) and
    /// committed with `merge --continue` (or dropped with `merge --abort`).
    public var keepConflicts: Bool

    public init(mainline: Int = 1, strategy: MergeStrategy? = nil, message: String? = nil, retries: Int = 0, keepConflicts: Bool = false) {
        self.mainline = mainline
        self.strategy = strategy
        self.message = message
        self.retries = retries
        self.keepConflicts = keepConflicts
    }
}

/// What a revert or cherry-pick committed.
public struct PickReport: Sendable {
    public var operation: String
    /// The commit whose change was undone or applied.
    public var source: ObjectID
    public var branch: String
    public var oldHead: ObjectID
    public var newHead: ObjectID
    public var tables: [String: TableMergeResult.Outcome]
    public var stats: [String: MergeStats]
    public var resolved: [MergeConflict]
    public var strategyUsed: MergeStrategy?
    /// With `keepConflicts`, the conflicts recorded in the working set
    /// (masked); nothing was committed (`newHead` is `oldHead`).
    public var kept: [MergeConflict] = []
}

/// `reset`'s modes: what happens to the working set and the project files.
public enum ResetMode: String, Sendable {
    /// Only the branch moves; the tables and project files of the old head
    /// stay, as uncommitted changes against the new one.
    case soft
    /// The branch, the working set and the project files move (refused
    /// with uncommitted changes).
    case mixed
    /// As mixed, discarding uncommitted changes.
    case hard
}

/// One move of a branch, as `rocky reflog` shows it.
public struct ReflogLine: Sendable {
    /// The branch the move happened under (an older name, across renames).
    public var branch: String
    public var old: ObjectID?
    public var new: ObjectID?
    public var actor: String
    public var time: String
    public var message: String
}

extension Repository {
    /// Undoes a commit's change, cell by cell, as one new commit on the
    /// checked-out branch: a three-way merge with base = the commit,
    /// theirs = its parent (`mainline`), ours = HEAD. Conflicts (as in
    /// merge) write nothing and throw `MergeConflicts` (exit 3). The commit
    /// records no transformations; its `meta.revert` names the commit.
    @discardableResult
    public func revert(_ revision: String, options: PickOptions = PickOptions()) throws -> PickReport {
        let context = try gate(.revert); defer { context.end() }
        return try pick(revision, reverting: true, options: options, context: context)
    }

    /// Applies a commit's change (against its parent `mainline`) to the
    /// checked-out branch as one new commit: base = the parent, theirs =
    /// the commit, ours = HEAD. Conflicts as in `revert`. The commit's
    /// transformations are not copied (they ran on another state); its
    /// `meta.cherry_pick` names the commit.
    @discardableResult
    public func cherryPick(_ revision: String, options: PickOptions = PickOptions()) throws -> PickReport {
        let context = try gate(.cherryPick); defer { context.end() }
        return try pick(revision, reverting: false, options: options, context: context)
    }

    private func pick(_ revision: String, reverting: Bool, options: PickOptions, context: OperationContext) throws -> PickReport {
        let operation = reverting ? "revert" : "cherry-pick"
        let sourceID = try context.authorizeRevision(revision)
        let source = try objects.readCommit(sourceID)
        let parents = source.parents
        guard options.mainline >= 1, options.mainline <= max(parents.count, 1) else {
            throw RepositoryError.invalidArgument("commit \(sourceID.short()) has \(parents.count) parent(s): -m \(options.mainline) names none")
        }
        let parentID = parents.isEmpty ? nil : parents[options.mainline - 1]
        let parentTree = try parentID.map { try objects.readTree(try objects.readCommit($0).tree) } ?? Tree.empty
        let sourceTree = try objects.readTree(source.tree)
        guard let branch = try currentBranch() else {
            throw RepositoryError.invalidArgument("HEAD is detached: check out the branch to \(operation) onto")
        }
        try context.authorize(.write, branch: branch)
        if options.keepConflicts, options.strategy != nil {
            throw RepositoryError.invalidArgument("--keep-conflicts and --strategy exclude each other: a strategy resolves every conflict at once")
        }
        let ref = try RefName.branch(branch)
        let (base, theirs) = reverting ? (sourceTree, parentTree) : (parentTree, sourceTree)
        let baseCommit = reverting ? sourceID : parentID
        let subject = source.message.split(separator: "\n", omittingEmptySubsequences: false).first.map(String.init) ?? ""
        let message = options.message ?? (reverting
            ? "Revert \"\(subject)\"\n\nThis reverts commit \(sourceID.hex)."
            : source.message + "\n\n(cherry picked from commit \(sourceID.hex))")
        return try retrying(options.retries, branch: branch) {
            let target = try currentTarget()
            let ours = target.head
            let worksetID = try refs.read(target.worksetRef)
            let status = try self.status()
            if !status.isClean {
                throw RepositoryError.uncommittedChanges(status.changeSummary, fix: "Commit them first (or discard them with checkout --force)")
            }
            let oursTree = try objects.readTree(try objects.readCommit(ours).tree)
            let merger = TableMerger(store: objects, temporaryDirectory: temporaryDirectory())
            var report = PickReport(operation: operation, source: sourceID, branch: branch, oldHead: ours, newHead: ours,
                                    tables: [:], stats: [:], resolved: [], strategyUsed: nil)
            var mergedFiles: [String: ObjectID] = [:]
            var kept: WorkingSet?
            var meta: [JSON.Member] = [JSON.Member("commit", .string(sourceID.hex)),
                                       JSON.Member("parent", parentID.map { .string($0.hex) } ?? .null),
                                       JSON.Member("mainline", .int(options.mainline))]
            let committed = try objects.batch { () -> ObjectID? in
                // Kept conflicts hold ours' version until resolved, as in merge.
                let tables = try merger.merge(base: base.tables, ours: oursTree.tables, theirs: theirs.tables,
                                              strategy: options.keepConflicts ? .ours : options.strategy)
                let (files, filesUsedStrategy) = try mergeProjectFiles(base: base.files, ours: oursTree.files, theirs: theirs.files,
                                                                       strategy: options.strategy)
                if filesUsedStrategy { report.strategyUsed = options.strategy }
                if options.keepConflicts, tables.isClean, files.conflicts.isEmpty, tables.conflicts.contains(where: \.isResolved) {
                    let standing = tables.conflicts.map { c -> MergeConflict in var c = c; c.resolution = nil; return c }
                    var versions: [String: TableVersions] = [:]
                    for name in Set(standing.map(\.table)) {
                        versions[name] = TableVersions(base: base.tables[name], ours: oursTree.tables[name], theirs: theirs.tables[name])
                    }
                    meta.append(JSON.Member("resolved_one_by_one", .bool(true)))
                    let state = MergeInProgress(operation: operation, source: revision, otherParent: nil, bases: baseCommit.map { [$0] } ?? [],
                                                message: message, meta: .object([JSON.Member(reverting ? "revert" : "cherry_pick", .object(meta))]),
                                                versions: versions, conflicts: standing, previousWorkingSet: worksetID)
                    kept = WorkingSet(base: ours, tables: tables.tables, merge: state)
                    mergedFiles = files.files
                    report.tables = tables.outcomes
                    report.stats = tables.stats
                    report.kept = try maskedConflicts(standing, tables: [base.tables, oursTree.tables, theirs.tables])
                    return nil
                }
                report.resolved = try requireResolved(tables, files: files, versions: [base.tables, oursTree.tables, theirs.tables],
                                                      source: "\(operation) of \(sourceID.short())", target: branch)
                report.tables = tables.outcomes
                report.stats = tables.stats
                report.strategyUsed = report.strategyUsed ?? tables.strategyUsed
                try context.authorizePolicyChange(on: branch, from: oursTree.files[ProjectConfig.fileName],
                                                  to: files.files[ProjectConfig.fileName])
                let tree = Tree(tables: tables.tables, files: files.files)
                if tree == oursTree { throw HistoryError.noChange("\(operation) of \(sourceID.short())") }
                mergedFiles = files.files
                if let s = report.strategyUsed { meta.append(JSON.Member("strategy", .string(s.rawValue))) }
                return try objects.write(commit: Commit(
                    tree: try objects.write(tree), parents: [ours], actor: settings.actor, time: settings.now, message: message,
                    runID: settings.runID, meta: .object([JSON.Member(reverting ? "revert" : "cherry_pick", .object(meta))])))
            }
            if let kept {
                try saveWorkingSet(kept, for: target, expected: worksetID, message: "\(operation) \(sourceID.short()): conflicts kept")
                try writeProjectFiles(from: oursTree.files, to: mergedFiles)
                try context.record(AuditEntry(operation: operation, branch: branch, oldID: ours,
                                              outputState: try objects.write(Tree(tables: kept.tables)),
                                              details: .object(["commit": .string(sourceID.hex), "mainline": .int(options.mainline),
                                                                "keep_conflicts": .bool(true), "conflicts": .int(report.kept.count)])))
                return report
            }
            guard let commitID = committed else { return report }
            let entry = AuditEntry(operation: operation, branch: branch, inputState: try objects.readCommit(ours).tree,
                                   outputState: try objects.readCommit(commitID).tree, details: .object([
                                       "commit": .string(sourceID.hex), "mainline": .int(options.mainline),
                                       "strategy": report.strategyUsed.map { .string($0.rawValue) } ?? .null,
                                   ]))
            do {
                try moveRef(ref, from: ours, to: commitID, note: settings.note("\(operation): \(sourceID.short()) \(subject)"),
                            entry: entry, alongWith: [RefChange(target.worksetRef, from: worksetID, to: nil)])
            } catch StoreError.refMoved {
                throw RepositoryError.lostRace(target)
            }
            try writeProjectFiles(from: oursTree.files, to: mergedFiles)
            report.newHead = commitID
            return report
        }
    }

    /// Moves the checked-out branch to `revision` by compare-and-swap (the
    /// reflog keeps the old id). `soft` leaves the old head's tables and
    /// files as uncommitted changes; `mixed` moves the working set and the
    /// project files too; both are refused with uncommitted changes, which
    /// `hard` discards. Needs `write` on the branch, and `admin` when it is
    /// the protected branch (or main).
    @discardableResult
    public func reset(to revision: String, mode: ResetMode = .mixed) throws -> (branch: String, old: ObjectID, new: ObjectID) {
        let context = try gate(.reset); defer { context.end() }
        guard let branch = try currentBranch() else {
            throw RepositoryError.invalidArgument("HEAD is detached: check out the branch to reset (or check out the revision)")
        }
        try context.authorize(.write, branch: branch)
        if context.policy.protected.contains(branch) || branch == Repository.defaultBranch {
            try context.authorize(.admin, branch: nil)
        }
        let new = try context.authorizeRevision(revision)
        let newTree = try objects.readTree(try objects.readCommit(new).tree)
        let target = try currentTarget()
        let old = target.head
        let ref = try RefName.branch(branch)
        let worksetID = try refs.read(target.worksetRef)
        let oldTree = try objects.readTree(try objects.readCommit(old).tree)
        if mode != .hard {
            let status = try self.status()
            if !status.isClean {
                throw RepositoryError.uncommittedChanges(status.changeSummary, fix: "Commit them, or use reset --hard to discard them")
            }
        }
        try context.authorizePolicyChange(on: branch, from: oldTree.files[ProjectConfig.fileName], to: newTree.files[ProjectConfig.fileName])
        let newWorkset = mode == .soft ? try objects.batch { try writeWorkingSetObject(WorkingSet(base: new, tables: oldTree.tables)) } : nil
        let diskFiles = mode == .hard ? try projectFileIDs(write: false).merging(oldTree.files) { a, _ in a } : oldTree.files
        do {
            try moveRef(ref, from: old, to: new, note: settings.note("reset: moving to \(revision)"),
                        entry: AuditEntry(operation: "reset", branch: branch, outputState: newTree == oldTree ? nil : try objects.readCommit(new).tree,
                                          details: .object(["mode": .string(mode.rawValue), "revision": .string(revision)])),
                        alongWith: [RefChange(target.worksetRef, from: worksetID, to: newWorkset)])
        } catch StoreError.refMoved {
            throw RepositoryError.lostRace(target)
        }
        if mode != .soft { try writeProjectFiles(from: diskFiles, to: newTree.files) }
        return (branch, old, new)
    }

    /// The moves of a branch (default: the checked-out one), newest first,
    /// following renames back to the branch's earlier names. Needs `read`
    /// on the branch.
    public func reflog(branch name: String? = nil) throws -> [ReflogLine] {
        let context = try gate(.reflog); defer { context.end() }
        let named: String? = if let name { name } else { try currentBranch() }
        guard let branch = named else {
            throw RepositoryError.invalidArgument("HEAD is detached: name the branch whose reflog to show")
        }
        _ = try RefName.branch(branch)
        try context.authorize(.read, branch: branch)
        var lines: [ReflogLine] = []
        var current = branch
        var until: Int?
        var seen: Set<String> = []
        while seen.insert(current).inserted {
            var entries = try refs.reflog(RefName.headsPrefix + current)
            if let until { entries = Array(entries.prefix(until)) }
            if entries.isEmpty, lines.isEmpty, current == branch, try refs.read(try RefName.branch(branch)) == nil {
                throw RepositoryError.noSuchBranch(branch)
            }
            lines = entries.map { ReflogLine(branch: current, old: $0.old, new: $0.new, actor: $0.actor, time: $0.time, message: $0.message) } + lines
            // A branch made by a rename continues the history of its old name, up to the rename.
            guard let first = entries.first, first.old == nil, first.message.hasPrefix(Repository.renamedFrom) else { break }
            let previous = String(first.message.dropFirst(Repository.renamedFrom.count))
            let older = try refs.reflog(RefName.headsPrefix + previous)
            guard let cut = older.lastIndex(where: { $0.new == nil && $0.message == Repository.renamedTo + current }) else { break }
            try context.authorize(.read, branch: previous)
            until = cut + 1
            current = previous
        }
        return lines.reversed()
    }

    static let renamedFrom = "branch: renamed from "
    static let renamedTo = "branch: renamed to "

    /// Renames a branch: the new name takes the head (and, for the checked-out
    /// branch, HEAD and the working set), the old one is deleted; `reflog`
    /// follows the rename. Needs `create` on the new name and `delete` on the
    /// old; the protected branch (or main) needs `admin`.
    public func renameBranch(_ old: String, to new: String) throws {
        let context = try gate(.renameBranch); defer { context.end() }
        let oldRef = try RefName.branch(old), newRef = try RefName.branch(new)
        guard let head = try refs.read(oldRef) else { throw RepositoryError.noSuchBranch(old) }
        try context.authorize(.delete, branch: old)
        try context.authorize(.create, branch: new)
        if context.policy.protected.contains(old) || old == Repository.defaultBranch || old == protectedBranchNameInForce() {
            try context.authorize(.admin, branch: nil)
        }
        if try refs.read(newRef) != nil { throw RepositoryError.branchExists(new) }
        let isCurrent = try currentBranch() == old
        let oldWorkset = WorkTarget(branch: old, head: head).worksetRef, newWorkset = WorkTarget(branch: new, head: head).worksetRef
        let worksetID = try refs.read(oldWorkset)
        do {
            try moveRef(newRef, from: nil, to: head, note: settings.note(Repository.renamedFrom + old),
                        entry: AuditEntry(operation: "rename", branch: new, details: .object(["from": .string(old)])))
        } catch StoreError.refMoved {
            throw RepositoryError.branchExists(new)
        }
        if let worksetID {
            try refs.update([RefChange(oldWorkset, from: worksetID, to: nil), RefChange(newWorkset, from: nil, to: worksetID)],
                            note: settings.note("branch: renamed \(old) to \(new)"))
        }
        if isCurrent { try refs.setHead(.branch(newRef), note: settings.note("branch: renamed \(old) to \(new)")) }
        try moveRef(oldRef, from: head, to: nil, note: settings.note(Repository.renamedTo + new),
                    entry: AuditEntry(operation: "rename", branch: old, details: .object(["to": .string(new)])))
    }
}
