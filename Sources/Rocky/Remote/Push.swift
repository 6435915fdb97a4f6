import Foundation
import RockyBase
import RockyStore

/// What `push` did.
public struct PushResult: Sendable {
    public var remote: Remote
    /// The local branch pushed, and the remote branch it went to.
    public var branch: String
    public var remoteBranch: String
    /// The remote branch before (nil: it was created) and after.
    public var old: ObjectID?
    public var new: ObjectID
    /// The remote branch already held `new`: nothing moved.
    public var upToDate: Bool
    /// It was not a fast-forward and `force` overwrote it.
    public var forced: Bool
    public var transfer: TransferStats
}

extension Repository {
    /// Pushes a local branch (default: the current one) to a remote's branch
    /// (default: the same name).
    ///
    /// 1. Reads the remote branch: the value the compare-and-swap expects.
    /// 2. Unless `force`, refuses when that commit is not an ancestor of the
    ///    local one (not a fast-forward; exit 3 in the CLI).
    /// 3. Sends the objects the remote lacks, verified as they are written on
    ///    the remote's side and durable there before anything points at them.
    /// 4. Moves the remote branch by compare-and-swap from the value of step 1:
    ///    of two racing pushes one wins and the other fails with
    ///    `RemoteError.pushRaced` naming both ids; nothing is lost.
    /// 5. Appends a `push` entry to the remote's audit log (through its own
    ///    lock) and to this one's, and moves `refs/remotes/<remote>/<branch>`.
    ///
    /// When the remote has that branch checked out, the push is refused if it
    /// has uncommitted changes there; otherwise the remote's project files
    /// are brought to the pushed commit (as git's `updateInstead`), so that
    /// its next commit does not undo the push.
    public func push(to remoteName: String = "origin", branch: String? = nil, as remoteBranch: String? = nil,
                     force: Bool = false) throws -> PushResult {
        let context = try gate(.push); defer { context.end() }
        let remote = try remote(named: remoteName)
        guard let branch = try branch ?? currentBranch() else { throw RemoteError.detachedHead(verb: "push") }
        let localRef = try RefName.branch(branch)
        guard let new = try refs.read(localRef) else { throw RepositoryError.noSuchBranch(branch, nearest: nearestBranch(to: branch)) }
        let remoteBranch = remoteBranch ?? branch
        let remoteRef = try RefName.branch(remoteBranch)
        try context.authorize(.read, branch: branch)
        if remote.isURL {
            return try pushHTTP(remote, branch: branch, remoteBranch: remoteBranch, new: new, force: force, context: context)
        }
        let target = try openRemote(remote)
        // The receiving repository's policy decides, as for a commit there;
        // what push does there runs under that repository's gate.
        let remoteContext = try target.gate(.push); defer { remoteContext.end() }
        try remoteContext.authorize(.write, branch: remoteBranch)

        let old = try target.refs.read(remoteRef)
        var result = PushResult(remote: remote, branch: branch, remoteBranch: remoteBranch, old: old, new: new,
                                upToDate: old == new, forced: false, transfer: TransferStats())
        if old == new {
            try updateTrackingRef(remote.name, remoteBranch, to: new)
            return result
        }
        if let old, try !isAncestor(old, of: new) {
            guard force else {
                throw RemoteError.nonFastForward(remote: remote.name, branch: remoteBranch, remoteID: old, localID: new)
            }
            result.forced = true
        }
        let checkedOut = try target.refs.head() == .branch(remoteRef)
        if checkedOut, old != nil {
            let status = try target.status()
            if !status.isClean {
                throw RemoteError.remoteHasUncommittedChanges(remote: remote.name, branch: remoteBranch, changes: status.changeSummary)
            }
        }

        result.transfer = try transferObjects(from: try diskObjects, to: try target.diskObjects, roots: [new])
        var oldFiles: [String: ObjectID] = [:], newFiles: [String: ObjectID] = [:]
        if checkedOut {
            oldFiles = try old.map { try target.objects.readTree(try target.objects.readCommit($0).tree).files } ?? [:]
            newFiles = try target.objects.readTree(try target.objects.readCommit(new).tree).files
            try target.checkProjectFileWrite(from: oldFiles, to: newFiles)
        }
        try remoteContext.authorizePolicyChange(on: remoteBranch, from: try target.policyFileID(at: old), to: try target.policyFileID(at: new))
        let details: JSON = .object([
            "remote": .string(remote.name),
            "path": .string(remote.path),
            "from": .string(workDirectory),
            "branch": .string(branch),
            "forced": .bool(result.forced),
            "objects": .int(result.transfer.objects),
        ])
        do {
            try target.moveRef(remoteRef, from: old, to: new,
                               note: settings.note("push: from \(workDirectory)\(result.forced ? " (forced)" : "")"),
                               entry: AuditEntry(operation: "push", branch: remoteBranch, details: details))
        } catch let StoreError.refMoved(_, expected, actual) {
            throw RemoteError.pushRaced(remote: remote.name, branch: remoteBranch, expected: expected, actual: actual, pushed: new)
        }
        if checkedOut, try target.refs.head() == .branch(remoteRef) {
            try target.writeProjectFiles(from: oldFiles, to: newFiles)
        }
        try updateTrackingRef(remote.name, remoteBranch, to: new)
        try context.record(AuditEntry(operation: "push", branch: branch, oldID: old, newID: new, details: details))
        return result
    }

    /// Sets `refs/remotes/<remote>/<branch>` to what the remote is known to hold.
    func updateTrackingRef(_ remote: String, _ branch: String, to id: ObjectID) throws {
        let ref = try Repository.trackingRef(remote, branch)
        for _ in 0..<3 {
            let current = try refs.read(ref)
            if current == id { return }
            do {
                try refs.update(ref, from: current, to: id, note: settings.note("push: \(remote)"))
                return
            } catch StoreError.refMoved {
                continue
            }
        }
    }

    /// Whether `ancestor` is `commit` or one of its ancestors (any parent),
    /// in this repository. A commit this repository does not have is not.
    public func isAncestor(_ ancestor: ObjectID, of commit: ObjectID) throws -> Bool {
        let context = try gate(.isAncestor); defer { context.end() }
        try context.authorizeCommit(ancestor)
        try context.authorizeCommit(commit)
        if ancestor == commit { return true }
        guard objects.contains(ancestor) else { return false }
        return try objects.isAncestor(ancestor, of: commit)
    }
}
