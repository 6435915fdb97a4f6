import RockyBase
import RockyStore

extension Repository {
    /// Records the working set and the project files of the checked-out
    /// branch (or detached HEAD) as a new commit, and returns its id.
    ///
    /// The branch moves from the working set's base to the new commit by
    /// compare-and-swap; if another process moved it first, nothing changes
    /// and the error names both ids.
    @discardableResult
    public func commit(message: String, allowEmpty: Bool = false, meta: JSON? = nil) throws -> ObjectID {
        let target = try currentTarget()
        try authorize(.write, branch: target.branch)
        let (set, worksetID) = try workingSet(target)
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
            try moveRef(ref, from: set.base, to: commitID, note: note, entry: entry)
        } else {
            guard try refs.head() == .detached(set.base) else {
                throw RepositoryError.concurrentChange("HEAD moved while committing; nothing was committed")
            }
            try refs.setHead(.detached(commitID), note: note)
        }
        if let worksetID {
            try? refs.update(target.worksetRef, from: worksetID, to: nil, note: settings.note("commit"))
        }
        if target.ref == nil { try audit(entry) }
        return commitID
    }
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
