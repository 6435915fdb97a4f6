import RockyBase
import RockyStore

extension Repository {
    /// Records the working set and the project files of the checked-out
    /// branch (or detached HEAD) as a new commit, and returns its id.
    ///
    /// The branch moves from the working set's base to the new commit, and
    /// the working set is removed, in one compare-and-swap of both refs; if
    /// another process moved either first, nothing changes and the error
    /// says so. With `retries`, the commit then starts again on what it finds.
    @discardableResult
    public func commit(message: String, allowEmpty: Bool = false, meta: JSON? = nil, retries: Int = 0) throws -> ObjectID {
        let context = try gate(.commit); defer { context.end() }
        let target = try currentTarget()
        try context.authorizeRevisionOrWorkingSet(nil, for: .write)
        return try retrying(retries, branch: target.branch) {
            let target = try currentTarget()
            let (set, worksetID) = try workingSet(target)
            return try commitWorkingSet(set, worksetID: worksetID, target: target, message: message,
                                        allowEmpty: allowEmpty, meta: meta).id
        }
    }

    /// Records `set` (the working set as loaded, `worksetID` its ref, or
    /// changed since) and the project files as a commit on `target`: the
    /// branch moves from the set's base and the working set ref from
    /// `worksetID` to none together, with the commit's audit entry, or
    /// nothing happens (`concurrentChange`). `preceding`: the command's own
    /// entries, appended just before the commit's. Runs inside a gated operation.
    /// A working set with a merge in progress is committed only by
    /// `continueMerge` (`finishing`), with the merge's other parent.
    func commitWorkingSet(_ set: WorkingSet, worksetID: ObjectID?, target: WorkTarget, message: String,
                          allowEmpty: Bool = false, meta: JSON? = nil, preceding: [AuditEntry] = [],
                          finishing merge: MergeInProgress? = nil) throws -> PreparedCommit {
        let context = operationContext
        try context.authorizeRevisionOrWorkingSet(nil, for: .write)
        if let inProgress = set.merge, merge == nil {
            throw MergeStateError(reason: .mergeInProgress, message: "a \(inProgress.operation) of \(inProgress.source) is in progress on "
                + "\(target.branch ?? "HEAD"): resolve its conflicts and run 'rocky merge --continue', or 'rocky merge --abort'")
        }
        let head = try objects.readCommit(set.base)
        let headTree = try objects.readTree(head.tree)
        // Hashed first, stored once allowed: a refused commit leaves no object behind.
        try context.authorizePolicyChange(on: target.branch, from: headTree.files[ProjectConfig.fileName],
                                          to: try projectFileIDs(write: false)[ProjectConfig.fileName]) {
            try projectFilesOnDisk().first { $0.0 == ProjectConfig.fileName }.map { String(decoding: $0.1, as: UTF8.self) }
        }
        let files = try projectFileIDs(write: true)
        let tables = try applyingDeclarations(to: set.tables, config: try workingConfig())
        let tree = Tree(tables: tables, files: files)
        if tree == headTree && set.transforms.isEmpty && !allowEmpty { throw RepositoryError.nothingToCommit }
        let treeID = try objects.write(tree)
        let commitID = try objects.write(commit: Commit(
            tree: treeID, parents: [set.base] + (merge?.otherParent.map { [$0] } ?? []), actor: settings.actor, time: settings.now,
            message: message, transforms: set.transforms, runID: settings.runID, meta: meta))
        let note = settings.note("commit: " + (message.split(separator: "\n").first.map(String.init) ?? ""))
        let entry = AuditEntry(operation: merge?.operation ?? "commit", branch: target.branch, oldID: set.base, newID: commitID,
                               inputState: head.tree, outputState: treeID, statements: [],
                               details: .object(["message": .string(message), "transforms": .int(set.transforms.count),
                                                 "source": merge.map { .string($0.source) }, "continued": merge.map { _ in .bool(true) }]))
        if let ref = target.ref {
            // The branch, the working set and the audit entry move as one step.
            do {
                try moveRef(ref, from: set.base, to: commitID, note: note, entry: entry, preceding: preceding,
                            alongWith: [RefChange(target.worksetRef, from: worksetID, to: nil)])
            } catch StoreError.refMoved {
                throw RepositoryError.lostRace(target)
            }
        } else {
            guard try refs.head() == .detached(set.base), try refs.read(target.worksetRef) == worksetID else {
                throw RepositoryError.lostRace(target)
            }
            try refs.setHead(.detached(commitID), note: note)
            if let worksetID {
                try? refs.update(target.worksetRef, from: worksetID, to: nil, note: settings.note("commit"))
            }
            for e in preceding + [entry] { try context.record(e) }
        }
        return PreparedCommit(id: commitID)
    }
}

/// A commit made; its audit entry was written with the branch move.
struct PreparedCommit {
    var id: ObjectID
}

extension Repository {
    /// The rocky.toml blob of a commit (nil for no commit or no file).
    func policyFileID(at commit: ObjectID?) throws -> ObjectID? {
        try commit.flatMap { try objects.readTree(try objects.readCommit($0).tree).files[ProjectConfig.fileName] }
    }
}
