import Foundation
import Glibc
import RockyBase
import RockyEngine
import RockySQL
import RockyStore
import RockyTable

/// How `merge` should behave.
public struct MergeOptions: Sendable {
    /// The branch to merge into (nil: the current branch, whose working
    /// directory is then updated; otherwise the working directory is untouched).
    public var into: String?
    /// Resolve every conflict to one side; the commit records which.
    public var strategy: MergeStrategy?
    /// Report the outcome and write nothing.
    public var dryRun: Bool
    /// Allow a fast-forward when the target has nothing the source lacks
    /// (otherwise a merge commit keeps the target's first-parent history).
    public var fastForward: Bool
    /// When the target moves during the merge, merge again onto its new head
    /// up to this many times.
    public var retries: Int
    public var message: String?
    /// On conflicts, record the merge in the current branch's working set
    /// with its conflicts (each holding ours' version) instead of writing
    /// nothing; they are then resolved one by one (`resolveConflicts`) and
    /// committed by `continueMerge`.
    public var keepConflicts: Bool

    public init(into: String? = nil, strategy: MergeStrategy? = nil, dryRun: Bool = false, fastForward: Bool = false,
                retries: Int = 0, message: String? = nil, keepConflicts: Bool = false) {
        self.keepConflicts = keepConflicts
        self.into = into
        self.strategy = strategy
        self.dryRun = dryRun
        self.fastForward = fastForward
        self.retries = retries
        self.message = message
    }
}

/// What a merge did (or, with `dryRun`, would do).
public struct MergeReport: Sendable {
    public enum Outcome: String, Sendable {
        case upToDate = "up_to_date"
        case fastForward = "fast_forward"
        case merged
        /// Conflicts stand and were kept in the working set (`keepConflicts`).
        case conflictsKept = "conflicts_kept"
    }

    public var source: String
    public var target: String
    public var outcome: Outcome
    /// The target's head before, and the commit it moved to (nil on a dry run
    /// or when up to date).
    public var oldHead: ObjectID
    public var newHead: ObjectID?
    public var bases: [ObjectID]
    public var tables: [String: TableMergeResult.Outcome]
    public var stats: [String: MergeStats]
    /// Conflicts that the strategy resolved.
    public var resolved: [MergeConflict]
    /// With `keepConflicts`: the conflicts recorded in the working set (masked).
    public var kept: [MergeConflict] = []
    public var strategyUsed: MergeStrategy?
    public var dryRun: Bool
    /// Merges that had to start again because the target moved.
    public var retries: Int
}

/// The merge stopped: every conflict, as rows, schema parts and file hunks.
/// Nothing was written to the target (exit code 3).
public struct MergeConflicts: Error, Sendable, CustomStringConvertible {
    public var source: String
    public var target: String
    public var tables: [MergeConflict]
    public var files: [FileConflict]
    public var description: String {
        let count = tables.filter { !$0.isResolved }.count + files.count
        return "merging \(source) into \(target): \(count) conflict(s); nothing was written (resolve with --strategy ours|theirs, or change a side and merge again)"
    }
}

/// The merged models or transformations do not compile against the merged
/// schemas: branch divergence caught before it reaches the target (exit 3).
public struct MergeCompileFailure: Error, Sendable, CustomStringConvertible {
    public var source: String
    public var target: String
    public var failures: [(what: String, rendered: String)]
    public var description: String {
        "merging \(source) into \(target) would break \(failures.count) model(s) or transformation(s); nothing was written:\n"
            + failures.map { "\($0.what):\n\($0.rendered)" }.joined(separator: "\n")
    }
}

/// The target moved while merging and no retry was left (exit code 3).
public struct MergeTargetMoved: Error, Sendable, CustomStringConvertible {
    public var target: String
    public var expected: ObjectID
    public var actual: ObjectID?
    public var description: String {
        "\(target) moved while merging: expected \(expected.hex), found \(actual?.hex ?? "(none)"); nothing was written (merge again, or use --retry N)"
    }
}

private struct DryRunDone: Error { let report: MergeReport }

extension Repository {
    /// Three-way merges `source` into a branch (`rocky.merge(branch, into: "main")`).
    @discardableResult
    public func merge(_ source: some RevisionRepresentable, into target: String) throws -> MergeReport {
        let context = try gate(.merge); defer { context.end() }
        try context.authorizeRevision(source)
        try context.authorize(.merge, branch: target)
        return try merge(source, options: MergeOptions(into: target))
    }

    /// Merges `source` into `options.into` (default: the current branch).
    ///
    /// Per table the schema merges by column id, then rows by key, cell by
    /// cell; project files merge line by line. The models and the merged
    /// transformations are then compiled against the merged schemas. With
    /// conflicts (and no strategy) or a compile failure nothing is written.
    /// The target moves by compare-and-swap: when it moved meanwhile, the
    /// merge fails naming both ids, or starts again (`retries`).
    @discardableResult
    public func merge(_ source: some RevisionRepresentable, options: MergeOptions) throws -> MergeReport {
        let context = try gate(.merge); defer { context.end() }
        let sourceName = source.revisionText
        let sourceID = try context.authorizeRevision(source)
        let current = try currentBranch()
        guard let targetName = options.into ?? current else {
            throw RepositoryError.invalidArgument("HEAD is detached: name the branch to merge into with --into")
        }
        let targetRef = try RefName.branch(targetName)
        let updatesWorkingDirectory = targetName == current
        try context.authorize(.merge, branch: targetName)
        if options.keepConflicts {
            guard updatesWorkingDirectory else {
                throw RepositoryError.invalidArgument("--keep-conflicts records the merge in the working set: merge into the checked-out branch, not --into another")
            }
            guard options.strategy == nil else {
                throw RepositoryError.invalidArgument("--keep-conflicts and --strategy exclude each other: a strategy resolves every conflict at once")
            }
        }
        // With retries, writers of one target take turns (BranchTurn, shared
        // with commands that commit): otherwise each success would void every
        // other merge in flight and they would spin. Without retries the merge
        // stays purely optimistic and a moved target is reported.
        let turn = options.retries > 0 ? try BranchTurn(rockyDirectory: rockyDirectory, branch: targetName) : nil
        defer { turn?.release() }
        var attempt = 0
        while true {
            guard let ours = try refs.read(targetRef) else { throw RepositoryError.noSuchBranch(targetName, nearest: nearestBranch(to: targetName)) }
            // The checked-out target's working set ref as the clean status
            // saw it; the move checks it is unchanged.
            var worksetGuard: (RefName, ObjectID?)?
            if updatesWorkingDirectory && !options.dryRun {
                let worksetRef = WorkTarget(branch: targetName, head: ours).worksetRef
                worksetGuard = (worksetRef, try refs.read(worksetRef))
                let status = try self.status()
                if !status.isClean {
                    throw RepositoryError.uncommittedChanges(status.changeSummary, fix: "Commit them first (or discard them with "
                        + "checkout --force); a merge --into a branch that is not checked out leaves the working directory alone")
                }
            }
            do {
                let report = try mergeOnce(sourceName: sourceName, sourceID: sourceID, targetName: targetName,
                                           targetRef: targetRef, ours: ours, worksetGuard: worksetGuard, options: options,
                                           attempt: attempt)
                if let newHead = report.newHead, updatesWorkingDirectory {
                    let oldFiles = try objects.readTree(try objects.readCommit(ours).tree).files
                    let newFiles = try objects.readTree(try objects.readCommit(newHead).tree).files
                    try writeProjectFiles(from: oldFiles, to: newFiles)
                }
                return report
            } catch let moved as MergeTargetMoved where attempt < options.retries {
                _ = moved
                attempt += 1
            } catch let done as DryRunDone {
                return done.report
            }
        }
    }

    private func mergeOnce(sourceName: String, sourceID: ObjectID, targetName: String, targetRef: RefName, ours: ObjectID,
                           worksetGuard: (RefName, ObjectID?)?, options: MergeOptions, attempt: Int) throws -> MergeReport {
        let context = operationContext
        var report = MergeReport(source: sourceName, target: targetName, outcome: .merged, oldHead: ours, newHead: nil, bases: [],
                                 tables: [:], stats: [:], resolved: [], strategyUsed: nil, dryRun: options.dryRun, retries: attempt)
        if try objects.isAncestor(sourceID, of: ours) {
            report.outcome = .upToDate
            return report
        }
        let oursCommit = try objects.readCommit(ours)
        let theirsCommit = try objects.readCommit(sourceID)
        let oursTree = try objects.readTree(oursCommit.tree), theirsTree = try objects.readTree(theirsCommit.tree)
        if try objects.isAncestor(ours, of: sourceID), options.fastForward {
            report.outcome = .fastForward
            report.bases = [ours]
            try context.authorizePolicyChange(on: targetName, from: oursTree.files[ProjectConfig.fileName], to: theirsTree.files[ProjectConfig.fileName])
            if options.dryRun { return report }
            try moveTarget(targetRef, targetName, from: ours, to: sourceID, checking: worksetGuard,
                           message: "merge \(sourceName): fast-forward",
                           entry: AuditEntry(operation: "merge", branch: targetName, outputState: theirsCommit.tree,
                                             details: .object(["source": .string(sourceName), "fast_forward": .bool(true)])))
            report.newHead = sourceID
            return report
        }
        let bases = try objects.mergeBases(ours, sourceID)
        report.bases = bases
        let merger = TableMerger(store: objects, temporaryDirectory: temporaryDirectory())
        var kept: (set: WorkingSet, oursFiles: [String: ObjectID], files: [String: ObjectID])?
        return try objects.batch { () -> MergeReport in
            let baseTables: [String: ObjectID]
            let baseFiles: [String: ObjectID]
            if bases.count > 1 {
                baseTables = try merger.virtualMergeBase(of: bases)
                baseFiles = try objects.readTree(try objects.readCommit(bases[0]).tree).files
            } else if let base = bases.first {
                let tree = try objects.readTree(try objects.readCommit(base).tree)
                (baseTables, baseFiles) = (tree.tables, tree.files)
            } else {
                (baseTables, baseFiles) = ([:], [:])
            }
            // Kept conflicts hold ours' version until resolved: the merge runs
            // with ours as the strategy, and what it resolved is what is kept.
            let keeping = options.keepConflicts && !options.dryRun
            let tables = try merger.merge(base: baseTables, ours: oursTree.tables, theirs: theirsTree.tables,
                                          strategy: keeping ? .ours : options.strategy)
            let (files, filesUsedStrategy) = try mergeProjectFiles(base: baseFiles, ours: oursTree.files, theirs: theirsTree.files,
                                                                   strategy: options.strategy)
            if filesUsedStrategy { report.strategyUsed = options.strategy }
            // Conflicts are reported with their values masked as the
            // environment masks them for the actor (MaskedOutputs.swift).
            let versions = [baseTables, oursTree.tables, theirsTree.tables]
            if keeping, tables.isClean, files.conflicts.isEmpty, tables.conflicts.contains(where: \.isResolved) {
                let standing = tables.conflicts.map { c -> MergeConflict in var c = c; c.resolution = nil; return c }
                var tableVersions: [String: TableVersions] = [:]
                for name in Set(standing.map(\.table)) {
                    tableVersions[name] = TableVersions(base: baseTables[name], ours: oursTree.tables[name], theirs: theirsTree.tables[name])
                }
                let meta = JSON.object([JSON.Member("merge", .object([
                    JSON.Member("source", .string(sourceName)), JSON.Member("source_commit", .string(sourceID.hex)),
                    JSON.Member("bases", .array(bases.map { .string($0.hex) })), JSON.Member("resolved_one_by_one", .bool(true)),
                ]))])
                let state = MergeInProgress(operation: "merge", source: sourceName, otherParent: sourceID, bases: bases,
                                            message: options.message ?? "Merge \(sourceName) into \(targetName)", meta: meta,
                                            versions: tableVersions, conflicts: standing, previousWorkingSet: worksetGuard?.1)
                kept = (WorkingSet(base: ours, tables: tables.tables, merge: state), oursTree.files, files.files)
                report.outcome = .conflictsKept
                report.tables = tables.outcomes
                report.stats = tables.stats
                report.kept = try maskedConflicts(standing, tables: versions)
                return report
            }
            report.resolved = try requireResolved(tables, files: files, versions: versions, source: sourceName, target: targetName)
            report.tables = tables.outcomes
            report.stats = tables.stats
            report.strategyUsed = report.strategyUsed ?? tables.strategyUsed
            try compileMerged(tables: tables.tables, files: files.files, base: bases.first, source: sourceID,
                              sourceName: sourceName, targetName: targetName)
            try checkMergedConstraints(tables.tables, ours: oursTree.tables, theirs: theirsTree.tables)
            try context.authorizePolicyChange(on: targetName, from: oursTree.files[ProjectConfig.fileName], to: files.files[ProjectConfig.fileName])
            if options.dryRun { throw DryRunDone(report: report) }
            let treeID = try objects.write(Tree(tables: tables.tables, files: files.files))
            var meta: [JSON.Member] = [JSON.Member("source", .string(sourceName)), JSON.Member("source_commit", .string(sourceID.hex)),
                                       JSON.Member("bases", .array(bases.map { .string($0.hex) }))]
            if let s = report.strategyUsed { meta.append(JSON.Member("strategy", .string(s.rawValue))) }
            let commitID = try objects.write(commit: Commit(
                tree: treeID, parents: [ours, sourceID], actor: settings.actor, time: settings.now,
                message: options.message ?? "Merge \(sourceName) into \(targetName)",
                runID: settings.runID, meta: .object([JSON.Member("merge", .object(meta))])))
            report.newHead = commitID
            return report
        }.then { report in
            if let kept, let worksetGuard {
                let target = WorkTarget(branch: targetName, head: ours)
                try saveWorkingSet(kept.set, for: target, expected: worksetGuard.1, message: "merge \(sourceName): conflicts kept")
                try writeProjectFiles(from: kept.oursFiles, to: kept.files)
                try context.record(AuditEntry(operation: "merge", branch: targetName, oldID: ours,
                                              outputState: try objects.write(Tree(tables: kept.set.tables)),
                                              details: .object(["source": .string(sourceName), "keep_conflicts": .bool(true),
                                                                "conflicts": .int(kept.set.merge?.conflicts.count ?? 0)])))
                return report
            }
            guard let commitID = report.newHead else { return report }
            try moveTarget(targetRef, targetName, from: ours, to: commitID, checking: worksetGuard, message: "merge \(sourceName)",
                           entry: AuditEntry(operation: "merge", branch: targetName, outputState: try objects.readCommit(commitID).tree,
                                             details: .object(["source": .string(sourceName),
                                                               "strategy": report.strategyUsed.map { .string($0.rawValue) } ?? .null,
                                                               "retries": .int(attempt)])))
            return report
        }
    }

    /// Moves the target by compare-and-swap, recording `entry` with the move;
    /// a moved target becomes `MergeTargetMoved`. The checked-out target's
    /// working set ref, clean when the merge began, must be unchanged: a
    /// working set saved meanwhile would no longer fit the moved branch.
    private func moveTarget(_ ref: RefName, _ name: String, from old: ObjectID, to new: ObjectID, checking worksetGuard: (RefName, ObjectID?)?,
                            message: String, entry: AuditEntry) throws {
        // A clean working set ref left over (by an interrupted commit) goes with the move.
        let along = worksetGuard.map { [RefChange($0.0, from: $0.1, to: nil)] } ?? []
        do {
            try moveRef(ref, from: old, to: new, note: settings.note(message), entry: entry, alongWith: along)
        } catch let StoreError.refMoved(path, expected, actual) where path == ref.path {
            throw MergeTargetMoved(target: name, expected: expected ?? old, actual: actual)
        } catch StoreError.refMoved {
            throw RepositoryError.concurrentChange("another command changed the working set of \(name) while merging; nothing was written "
                + "(commit or discard that change, then merge again)")
        }
    }

    /// Compiles the merged models, and the transformations the source
    /// recorded since the merge base, against the merged tables.
    /// Each merged table that is neither side's version must satisfy its
    /// UNIQUE and CHECK constraints (two branches may each add a row that
    /// is fine alone): else the merge writes nothing and names the
    /// violation, values masked.
    func checkMergedConstraints(_ merged: [String: ObjectID], ours: [String: ObjectID], theirs: [String: ObjectID]) throws {
        var executor: StatementExecutor?
        for (name, id) in merged.sorted(by: { $0.key < $1.key }) where id != ours[name] && id != theirs[name] {
            let table = try objects.readTable(id)
            guard !table.schema.constraints.isEmpty else { continue }
            if executor == nil { executor = try engine() }
            do {
                try executor!.checkConstraints(of: name, id: id, table: table)
            } catch {
                throw try maskedViolation(error, tables: [name: id])
            }
        }
    }

    func compileMerged(tables: [String: ObjectID], files: [String: ObjectID], base: ObjectID?, source: ObjectID,
                               sourceName: String, targetName: String) throws {
        let config = try files[ProjectConfig.fileName].map {
            try ProjectConfig(text: String(decoding: try objects.read($0, as: .blob), as: UTF8.self))
        } ?? ProjectConfig()
        let merged = try tables.mapValues { try objects.readTable($0) }
        let catalog = TableCatalog(tables: merged, declarations: config.columns)
        var failures: [(String, String)] = []
        for (path, blob) in files.sorted(by: { $0.key < $1.key }) where path.hasPrefix("models/") && path.hasSuffix(".sql") {
            let sql = Repository.strippingTrailingSemicolon(String(decoding: try objects.read(blob, as: .blob), as: UTF8.self))
            // A model's reads of history (AS OF, system tables), resolved as `run` resolves them.
            var modelCatalog = catalog
            if let context = Gatekeeper.current(self) {
                modelCatalog.add(try historyInputs(for: sql, tables: tables, context: context).tables)
            }
            var options = CompileOptions()
            options.statementTime = settings.now
            let compiled = SQLCompiler.compile(sql, catalog: modelCatalog, options: options)
            if compiled.hasErrors { failures.append((path, compiled.renderedDiagnostics(sourceName: path))) }
        }
        var seen = Set<ObjectID>()
        for (id, commit) in try commitsSince(base, upTo: source) {
            for transformID in commit.transforms where seen.insert(transformID).inserted {
                let t = try objects.readTransformation(transformID)
                // DDL changed the schema the merge already merged; what must
                // still compile are the statements that read tables and columns.
                guard !["createTable", "alterTable", "dropTable"].contains(t.kind), !t.reused else { continue }
                // Tables the statement itself created do not exist before it runs.
                let created = t.kind == "createTable" || t.kind == "createTableAs" ? Set(t.outputs.keys) : []
                var before = TableCatalog(tables: merged.filter { !created.contains($0.key) }, declarations: config.columns)
                // Its reads of history: the versions it recorded.
                before.add(try recordedHistoryInputs(t.inputs, state: tables).tables)
                var options = CompileOptions()
                options.statementTime = t.statementTime ?? settings.now
                let compiled = SQLCompiler.compile(t.statement, catalog: before, options: options)
                if compiled.hasErrors {
                    failures.append(("transformation \(transformID.short()) of commit \(id.short())",
                                     compiled.renderedDiagnostics(sourceName: "transformation \(transformID.short())")))
                }
            }
        }
        if !failures.isEmpty { throw MergeCompileFailure(source: sourceName, target: targetName, failures: failures) }
    }
}

extension MergeReport {
    /// Continues with the report.
    func then(_ body: (MergeReport) throws -> MergeReport) rethrows -> MergeReport { try body(self) }
}

extension Repository {
    /// Project files merged line by line (`TextMerge`); with a strategy, a
    /// file both sides changed takes that side's version. The flag says
    /// whether the strategy settled any file.
    func mergeProjectFiles(base: [String: ObjectID], ours: [String: ObjectID], theirs: [String: ObjectID],
                           strategy: MergeStrategy?) throws -> (FileMergeResult, usedStrategy: Bool) {
        var files = try TextMerge.mergeFiles(store: objects, base: base, ours: ours, theirs: theirs)
        guard let strategy, !files.conflicts.isEmpty else { return (files, false) }
        for conflict in files.conflicts {
            files.files[conflict.path] = strategy == .ours ? ours[conflict.path] : theirs[conflict.path]
        }
        files.conflicts = []
        return (files, true)
    }

    /// Throws every conflict that stands (masked as the environment masks
    /// it for the actor, MaskedOutputs.swift), tables and files, as
    /// `MergeConflicts`; otherwise returns the ones a strategy resolved,
    /// masked too. `versions`: base, ours and theirs (table name -> id).
    func requireResolved(_ tables: TreeMergeResult, files: FileMergeResult, versions: [[String: ObjectID]],
                         source: String, target: String) throws -> [MergeConflict] {
        if !tables.isClean || !files.conflicts.isEmpty {
            throw MergeConflicts(source: source, target: target,
                                 tables: try maskedConflicts(tables.conflicts.filter { !$0.isResolved }, tables: versions),
                                 files: files.conflicts)
        }
        return try maskedConflicts(tables.conflicts.filter(\.isResolved), tables: versions)
    }
}
