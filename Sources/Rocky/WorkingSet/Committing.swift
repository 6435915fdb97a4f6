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
        let context = try gate(.commit); defer { context.end() }
        let target = try currentTarget()
        try context.authorizeRevisionOrWorkingSet(nil, for: .write)
        let (set, worksetID) = try workingSet(target)
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
            tree: treeID, parents: [set.base], actor: settings.actor, time: settings.now, message: message,
            transforms: set.transforms, runID: settings.runID, meta: meta))
        let note = settings.note("commit: " + (message.split(separator: "\n").first.map(String.init) ?? ""))
        if let ref = target.ref {
            try refs.update(ref, from: set.base, to: commitID, note: note)
        } else {
            guard try refs.head() == .detached(set.base) else {
                throw RepositoryError.concurrentChange("HEAD moved while committing; nothing was committed")
            }
            try refs.setHead(.detached(commitID), note: note)
        }
        if let worksetID {
            try? refs.update(target.worksetRef, from: worksetID, to: nil, note: settings.note("commit"))
        }
        try context.record(AuditEntry(operation: "commit", branch: target.branch, oldID: set.base, newID: commitID,
                             inputState: head.tree, outputState: treeID, statements: [],
                             details: .object(["message": .string(message), "transforms": .int(set.transforms.count)])))
        return commitID
    }
}

extension Repository {
    /// The rocky.toml blob of a commit (nil for no commit or no file).
    func policyFileID(at commit: ObjectID?) throws -> ObjectID? {
        try commit.flatMap { try objects.readTree(try objects.readCommit($0).tree).files[ProjectConfig.fileName] }
    }
}
