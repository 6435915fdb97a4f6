import RockyStore

extension Repository {
    /// `rocky pull`: fetches from `remote`, then merges its `branch` (default:
    /// the current branch's name) into the current branch. A branch with no
    /// commits of its own fast-forwards (its history then is the remote's);
    /// otherwise this is a three-way merge with a merge commit, as `merge`.
    public func pull(from remote: String = "origin", branch: String? = nil,
                     options: MergeOptions = MergeOptions(fastForward: true)) throws -> (fetch: FetchResult, merge: MergeReport) {
        let context = try gate(.pull); defer { context.end() }
        guard let current = try currentBranch() else { throw RemoteError.detachedHead(verb: "pull") }
        try context.authorize(.merge, branch: current)
        try context.authorize(.read, branch: branch ?? current)
        let fetched = try fetch(from: remote)
        let name = branch ?? current
        let tracking = try RefName(validating: "refs/remotes/\(remote)/\(name)")
        guard try refs.read(tracking) != nil else {
            throw RepositoryError.unknownRevision("\(remote)/\(name)", reason: "the remote \(remote) has no branch \(name)")
        }
        var merge = options
        merge.into = nil
        if merge.message == nil { merge.message = "Merge \(remote)/\(name) into \(current)" }
        return (fetched, try self.merge(tracking.path, options: merge))
    }
}
