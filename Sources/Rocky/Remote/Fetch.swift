import Foundation
import RockyBase
import RockyStore

/// A remote-tracking ref that a fetch created, moved or removed.
public struct TrackingRefUpdate: Equatable, Sendable {
    /// The remote's branch.
    public var branch: String
    /// `refs/remotes/<remote>/<branch>`.
    public var ref: String
    /// nil: the ref is new.
    public var old: ObjectID?
    /// nil: the branch was deleted on the remote, so its tracking ref was removed.
    public var new: ObjectID?
}

/// What `fetch` did.
public struct FetchResult: Sendable {
    public var remote: Remote
    /// Every tracking ref that changed, by branch name.
    public var updates: [TrackingRefUpdate]
    /// Tracking refs that were already up to date.
    public var unchanged: Int
    public var transfer: TransferStats
    /// Entries in the remote's audit log, and how many were new since the last fetch.
    public var auditEntries: Int
    public var newAuditEntries: Int
    /// The remote's tags that were new here, and those kept because this
    /// repository has another tag of the name (tags are immutable).
    public var tags: [TagUpdate] = []
}

extension Repository {
    /// Fetches from a remote: copies the objects its branches reach that are
    /// missing here (each verified against its id before it becomes visible,
    /// all durable before any ref moves), then moves `refs/remotes/<remote>/*`
    /// by compare-and-swap to the remote's branches, removing those of
    /// branches the remote deleted.
    ///
    /// The remote's audit log is verified first, and must begin with the copy
    /// an earlier fetch kept (`.rocky/remotes/<remote>/audit.log`); then the
    /// copy is replaced and a `fetch` entry recording the remote's audit head
    /// is appended here. A corrupt object or a broken or rewritten audit log
    /// refuses the fetch: no ref moves.
    public func fetch(from remoteName: String = "origin") throws -> FetchResult {
        let context = try gate(.fetch); defer { context.end() }
        let remote = try remote(named: remoteName)
        if remote.isURL { return try fetchHTTP(remote, context: context) }
        let source = try openRemote(remote)
        let local = try diskObjects
        local.holdCollectorOff()
        local.holdWriteGuard()

        let remoteBranches = try source.refs.list(prefix: RefName.headsPrefix).compactMap { entry in
            entry.name.branchName.map { (name: $0, id: entry.id) }
        }
        let remoteTags = try source.tagRefs()
        let audit = try AuditSnapshot.read(folder: source.rockyDirectory, source: "\(remote.name) (\(remote.path))")
        let kept = try AuditSnapshot.read(folder: remoteFolder(remote.name), source: "the copy of \(remote.name)'s audit log in \(remoteFolder(remote.name))")
        if let line = audit.firstDifference(from: kept) { throw RemoteError.auditRewritten(remote: remote.name, line: line) }

        let transfer = try transferObjects(from: try source.diskObjects, to: local, roots: remoteBranches.map(\.id) + remoteTags.map(\.id))

        let (updates, unchanged) = try updateTrackingRefs(remote.name, to: remoteBranches, gone: "deleted")
        let tags = try adoptTags(remoteTags, from: remote.name)

        try audit.write(to: remoteFolder(remote.name))
        try context.record(AuditEntry(operation: "fetch", branch: nil, details: .object([
            "remote": .string(remote.name),
            "path": .string(remote.path),
            "remote_audit": .object(["entries": .int(audit.count), "head": .string(audit.headHash)]),
            "objects": .int(transfer.objects),
            "refs": .array(updates.map { u in
                .object(["ref": .string(u.ref), "old": u.old.map { .string($0.hex) }, "new": u.new.map { .string($0.hex) }])
            }),
            "tags": .object(tags.filter { $0.kept == nil }.map { JSON.Member($0.name, .string($0.id.hex)) }),
        ])))
        return FetchResult(remote: remote, updates: updates, unchanged: unchanged, transfer: transfer,
                           auditEntries: audit.count, newAuditEntries: audit.count - kept.count, tags: tags)
    }
}

extension Repository {
    /// Moves `refs/remotes/<remote>/*` to the remote's branches as listed
    /// (local path or HTTPS alike): each moved ref is an update; a tracking
    /// ref whose branch the remote no longer has is deleted, its reflog note
    /// saying the remote `gone` it. Returns the updates and how many refs
    /// were already current.
    func updateTrackingRefs(_ remote: String, to branches: [(name: String, id: ObjectID)], gone: String) throws
        -> (updates: [TrackingRefUpdate], unchanged: Int) {
        let prefix = "refs/remotes/\(remote)/"
        var tracking: [String: ObjectID] = [:]
        for (ref, id) in try refs.list(prefix: prefix) { tracking[String(ref.path.dropFirst(prefix.count))] = id }
        var updates: [TrackingRefUpdate] = []
        var unchanged = 0
        let note = settings.note("fetch: \(remote)")
        for branch in branches {
            let old = tracking.removeValue(forKey: branch.name)
            if old == branch.id { unchanged += 1; continue }
            let ref = try Repository.trackingRef(remote, branch.name)
            try refs.update(ref, from: old, to: branch.id, note: note)
            updates.append(TrackingRefUpdate(branch: branch.name, ref: ref.path, old: old, new: branch.id))
        }
        for (branch, old) in tracking.sorted(by: { $0.key < $1.key }) {
            let ref = try Repository.trackingRef(remote, branch)
            try refs.update(ref, from: old, to: nil, note: settings.note("fetch: \(remote) \(gone) \(branch)"))
            updates.append(TrackingRefUpdate(branch: branch, ref: ref.path, old: old, new: nil))
        }
        return (updates, unchanged)
    }
}
