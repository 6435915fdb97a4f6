import RockyBase
import RockyStore

/// The plumbing commands' access to objects, each through the gate: a
/// commit needs `read` on a branch whose history contains it (or `admin`);
/// any other object needs `admin` while a policy is in force (Gate.swift).
extension Repository {
    /// An object's kind and payload size (`cat-object -t`/`-s`).
    public func objectHeader(_ id: ObjectID) throws -> (kind: ObjectKind, size: Int) {
        let context = try gate(.objectHeader); defer { context.end() }
        try context.authorizeObject(id)
        let (kind, size) = try objects.header(id)
        return (kind, size)
    }

    /// Streams an object's payload, verified: a corrupt object throws before
    /// `body` sees any of it (`cat-object -p` of a blob).
    public func streamObject(_ id: ObjectID, _ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        let context = try gate(.streamObject); defer { context.end() }
        try context.authorizeObject(id)
        _ = try objects.stream(id) { _ in }
        _ = try objects.stream(id, body)
    }

    /// The object a full id or hex prefix names (`update-ref`'s ids). Only
    /// the id: what it holds is read through the other operations.
    public func resolveObject(prefix: String) throws -> ObjectID {
        let context = try gate(.resolveObject); defer { context.end() }
        return try objects.resolve(prefix: prefix)
    }

    /// Writes a commit of `tree` with `parents` (`commit-tree`). Each parent
    /// needs `read` as a revision; the tree must be one of a readable parent's
    /// trees, or the actor needs `admin`. Needs `write`: it fills the store.
    public func writeCommit(tree: String, parents: [String], message: String) throws -> ObjectID {
        let context = try gate(.writeCommit); defer { context.end() }
        try context.authorize(.write, branch: nil)
        let treeID = try objects.resolve(prefix: tree)
        _ = try objects.readTree(treeID)
        let parentIDs = try parents.map { try context.authorizeRevision($0) }
        let parentTrees = try parentIDs.map { try objects.readCommit($0).tree }
        if !parentTrees.contains(treeID) { try context.authorizeObject(treeID) }
        let id = try objects.write(commit: Commit(
            tree: treeID, parents: parentIDs, actor: settings.actor, time: settings.now,
            message: message, runID: settings.runID))
        try context.record(AuditEntry(operation: "commit-tree", branch: nil, newID: id, outputState: treeID,
                                      details: .object(["parents": .array(parentIDs.map { .string($0.hex) })])))
        return id
    }
}
