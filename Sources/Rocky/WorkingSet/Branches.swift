import RockyStore

/// One branch as `rocky branch` lists it.
public struct BranchInfo: Equatable, Sendable {
    public var name: String
    public var head: ObjectID
    public var isCurrent: Bool
}

extension Repository {
    /// The checked-out branch, or nil when HEAD is detached.
    public func currentBranch() throws -> String? {
        let context = try gate(.currentBranch); defer { context.end() }
        if case let .branch(ref) = try refs.head() { return ref.branchName }
        return nil
    }

    public func branches() throws -> [BranchInfo] {
        let context = try gate(.branches); defer { context.end() }
        let current = try currentBranch()
        return try refs.list(prefix: RefName.headsPrefix).compactMap { entry in
            entry.name.branchName.map { BranchInfo(name: $0, head: entry.id, isCurrent: $0 == current) }
        }
    }

    /// Creates a branch at a revision (default: HEAD). Fails when it exists.
    @discardableResult
    public func createBranch(_ name: String, from start: some RevisionRepresentable = "HEAD") throws -> Branch {
        let context = try gate(.createBranch); defer { context.end() }
        let ref = try RefName.branch(name)
        try context.authorize(.create, branch: name)
        let target = try context.authorizeRevision(start)
        _ = try objects.readCommit(target)
        do {
            try moveRef(ref, from: nil, to: target, note: settings.note("branch: created from \(start.revisionText)"),
                        entry: AuditEntry(operation: "create", branch: name, details: .object(["from": .string(start.revisionText)])))
        } catch StoreError.refMoved {
            throw RepositoryError.branchExists(name)
        }
        return Branch(name: name)
    }

    /// Deletes a branch; its reflog stays, so its commits remain reachable
    /// (and recoverable) until the reflog is expired. A branch whose head
    /// neither HEAD nor a remote-tracking branch of the same name contains
    /// is refused (`branchNotMerged`) unless `force`.
    public func deleteBranch(_ name: String, force: Bool = false) throws {
        let context = try gate(.deleteBranch); defer { context.end() }
        let ref = try RefName.branch(name)
        guard let head = try refs.read(ref) else { throw RepositoryError.noSuchBranch(name, nearest: nearestBranch(to: name)) }
        try context.authorize(.delete, branch: name)
        if try currentBranch() == name { throw RepositoryError.cannotDeleteCurrentBranch(name) }
        if !force {
            let current = try resolveRevision("HEAD")
            var merged = try head == current || objects.isAncestor(head, of: current)
            if !merged {
                for (tracking, id) in try refs.list(prefix: "refs/remotes/") where tracking.path.hasSuffix("/" + name) {
                    if try head == id || objects.isAncestor(head, of: id) { merged = true; break }
                }
            }
            if !merged { throw HistoryError.branchNotMerged(name, into: try currentBranch() ?? "HEAD") }
        }
        try moveRef(ref, from: head, to: nil, note: settings.note("branch: deleted"), entry: AuditEntry(operation: "delete", branch: name))
    }
}

extension Repository {
    /// Moves (or, with `new` nil, deletes) a ref by hand, as `rocky
    /// update-ref` does: by compare-and-swap from `expected` when given
    /// (`.some(nil)`: the ref must not exist), otherwise from whatever it
    /// holds. The same rules as the porcelain apply: a branch needs `write`
    /// (`delete` to delete it), an `[access]` change reaching the protected
    /// branch needs `admin`, any other ref needs `admin`; and the move is
    /// audited.
    public func updateRef(_ ref: RefName, to new: ObjectID?, expected: ObjectID?? = nil, message: String) throws {
        let context = try gate(.updateRef); defer { context.end() }
        let branch = ref.branchName
        if let branch {
            try context.authorize(new == nil ? .delete : .write, branch: branch)
        } else {
            try context.authorize(.admin, branch: nil)
        }
        // Reading the commit's tree checks its paths: no ref points at a tree that checkout could not write.
        if let new {
            _ = try objects.readTree(try objects.readCommit(new).tree)
            try context.authorizeCommit(new)
        }
        let note = settings.note(message)
        var old: ObjectID?
        let entry = { AuditEntry(operation: "update-ref", branch: branch, oldID: old, newID: new,
                                 details: .object(["ref": .string(ref.path), "message": .string(message)])) }
        while true {
            old = try expected ?? refs.read(ref)
            if branch != nil { try context.authorizePolicyChange(on: branch, from: try policyFileID(at: old), to: try policyFileID(at: new)) }
            do {
                // Branches are anchored: the move and its entry are one step.
                if branch != nil {
                    try moveRef(ref, from: old, to: new, note: note, entry: entry())
                    return
                }
                try refs.update(ref, from: old, to: new, note: note)
                break
            } catch StoreError.refMoved where expected == nil {
                continue
            }
        }
        try context.record(entry())
    }
}
