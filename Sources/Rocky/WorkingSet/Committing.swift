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
        let target = try currentTarget()
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
    /// nothing happens (`concurrentChange`).
    func commitWorkingSet(_ set: WorkingSet, worksetID: ObjectID?, target: WorkTarget, message: String,
                          allowEmpty: Bool = false, meta: JSON? = nil) throws -> PreparedCommit {
        try authorize(.write, branch: target.branch)
        let head = try objects.readCommit(set.base)
        let headTree = try objects.readTree(head.tree)
        let files = try projectFileIDs(write: true)
        try authorizePolicyChange(on: target.branch, from: headTree.files[ProjectConfig.fileName], to: files[ProjectConfig.fileName])
        let tables = try applyingDeclarations(to: set.tables, config: try workingConfig())
        let tree = Tree(tables: tables, files: files)
        if tree == headTree && set.transforms.isEmpty && !allowEmpty { throw RepositoryError.nothingToCommit }
        let treeID = try objects.write(tree)
        let commitID = try objects.write(commit: Commit(
            tree: treeID, parents: [set.base], actor: settings.actor, time: settings.now, message: message,
            transforms: set.transforms, runID: settings.runID, meta: meta))
        let note = settings.note("commit: " + (message.split(separator: "\n").first.map(String.init) ?? ""))
        let entry = AuditEntry(operation: "commit", branch: target.branch, oldID: set.base, newID: commitID,
                               inputState: head.tree, outputState: treeID, statements: [],
                               details: .object(["message": .string(message), "transforms": .int(set.transforms.count)]))
        if let ref = target.ref {
            // The branch first: a crash between the two renames leaves a
            // working set whose content is the new head's, which
            // `workingSet(_:)` recognizes.
            do {
                try moveRef(ref, from: set.base, to: commitID, note: note, entry: entry,
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
        }
        if target.ref == nil { try audit(entry) }
        return PreparedCommit(id: commitID)
    }
}

/// A commit made; its audit entry was written with the branch move.
struct PreparedCommit {
    var id: ObjectID
}

extension Repository {
    /// Changing the access policy on the protected branch needs `admin`.
    func authorizePolicyChange(on branch: String?, from old: ObjectID?, to new: ObjectID?) throws {
        guard old != new, let branch, try accessPolicy().protected.contains(branch) || branch == Repository.defaultBranch else { return }
        func access(_ id: ObjectID?) throws -> AccessPolicy {
            guard let id else { return AccessPolicy() }
            return try ProjectConfig(text: String(decoding: try objects.read(id, as: .blob), as: UTF8.self)).access
        }
        if try access(old) != access(new) { try authorize(.admin, branch: branch) }
    }

    /// The rocky.toml blob of a commit (nil for no commit or no file).
    func policyFileID(at commit: ObjectID?) throws -> ObjectID? {
        try commit.flatMap { try objects.readTree(try objects.readCommit($0).tree).files[ProjectConfig.fileName] }
    }
}
