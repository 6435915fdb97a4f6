import RockyBase
import RockyStore

extension Repository {
    /// Switches to a branch, or detaches HEAD at a revision, and writes the
    /// project files of the target into the working directory.
    ///
    /// Uncommitted changes (tables of the working set, pending
    /// transformations, edited project files) make it refuse, naming them,
    /// unless `force`, which discards them. With `newBranch`, the branch is
    /// created at `revision` first, and uncommitted changes move to it when
    /// it starts at the current commit (as in git).
    public func checkout(_ revision: String, newBranch: String? = nil, force: Bool = false) throws -> WorkTarget {
        let context = try gate(.checkout); defer { context.end() }
        try context.authorizeRevision(revision)
        if let newBranch { try context.authorize(.create, branch: newBranch) }
        let current = try currentTarget()
        let dirty: [String]
        do {
            dirty = try status().changeSummary
        } catch RepositoryError.workingSetDiverged where force {
            // What --force is for: a working set that no longer fits its branch is discarded.
            dirty = ["the working set of \(current.branch ?? "HEAD")"]
        }
        let destination: Head
        let carry: Bool
        if let newBranch {
            let start = try resolve(revision)
            carry = !dirty.isEmpty && start == current.head
            if !dirty.isEmpty && !carry && !force { throw RepositoryError.uncommittedChanges(dirty, fix: "Commit them, or use --force to discard them") }
            try createBranch(newBranch, from: start.hex)
            destination = .branch(try RefName.branch(newBranch))
        } else {
            carry = false
            if !dirty.isEmpty && !force { throw RepositoryError.uncommittedChanges(dirty, fix: "Commit them, or use --force to discard them") }
            if let ref = try? RefName.branch(revision), try refs.read(ref) != nil {
                destination = .branch(ref)
            } else {
                destination = .detached(try resolve(revision))
            }
        }
        if case let .branch(ref) = destination { try context.authorize(.read, branch: ref.branchName) }
        let targetHead: ObjectID
        switch destination {
        case let .branch(ref): targetHead = try refs.read(ref)!
        case let .detached(id): targetHead = id
        }
        let currentFiles = try objects.readTree(try objects.readCommit(current.head).tree).files
        let targetFiles = try objects.readTree(try objects.readCommit(targetHead).tree).files
        // The disk holds the current commit's files (or edits being discarded with --force).
        let onDisk = carry ? [:] : (force ? try projectFileIDs(write: false) : currentFiles).merging(currentFiles) { a, _ in a }
        if !carry { try checkProjectFileWrite(from: onDisk, to: targetFiles) }
        let worksetID = try refs.read(current.worksetRef)
        if carry, let worksetID, case let .branch(ref) = destination {
            let moved = WorkTarget(branch: ref.branchName, head: targetHead)
            try refs.update(moved.worksetRef, from: nil, to: worksetID, note: settings.note("checkout -b: carried working set"))
            try refs.update(current.worksetRef, from: worksetID, to: nil, note: settings.note("checkout -b: moved working set"))
        } else if force, let worksetID {
            try refs.update(current.worksetRef, from: worksetID, to: nil, note: settings.note("checkout --force: discarded"))
        }
        try refs.setHead(destination, note: settings.note("checkout: moving to \(newBranch ?? revision)"))
        if !carry { try writeProjectFiles(from: onDisk, to: targetFiles) }
        let result = try currentTarget()
        try context.record(AuditEntry(operation: "checkout", branch: result.branch, oldID: current.head, newID: result.head,
                             details: .object(["revision": .string(newBranch ?? revision), "forced": .bool(force)])))
        return result
    }

    /// Detaches HEAD at the current branch's state at `time` (for auditors).
    public func checkout(at time: Timestamp, force: Bool = false) throws -> WorkTarget {
        let context = try gate(.checkout); defer { context.end() }
        let branch = try currentBranch() ?? "HEAD"
        try context.authorizeRevision("\(branch)@{\(time)}")
        return try checkout("\(branch)@{\(time)}", force: force)
    }
}
