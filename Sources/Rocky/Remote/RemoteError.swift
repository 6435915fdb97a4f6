import RockyStore

/// Errors of clone, remote, fetch, push and gc. RockyCLI maps each to an exit
/// code (ExitCode.swift): a push that is not a fast-forward, or that lost a
/// race, is a conflict (3); a malformed name or duration is a usage error (2);
/// the rest are failures (1).
public enum RemoteError: Error, Equatable, Sendable, CustomStringConvertible {
    case invalidRemoteName(String, reason: String)
    case noSuchRemote(String, available: [String])
    case remoteExists(String)
    /// The destination of a clone exists and is not an empty folder.
    case destinationExists(String)
    case noSuchRemoteBranch(remote: String, branch: String, available: [String])
    /// The source has no branch at all.
    case emptySource(String)
    /// A push whose commit does not contain the remote branch's commit.
    case nonFastForward(remote: String, branch: String, remoteID: ObjectID, localID: ObjectID)
    /// Another push moved the remote branch between the start of this push and its compare-and-swap.
    case pushRaced(remote: String, branch: String, expected: ObjectID?, actual: ObjectID?, pushed: ObjectID)
    /// A pushed tag exists on the remote naming another object: tags are immutable.
    case remoteTagDiffers(remote: String, tag: String, remoteID: ObjectID, localID: ObjectID)
    /// The remote has the pushed branch checked out with uncommitted changes.
    case remoteHasUncommittedChanges(remote: String, branch: String, changes: [String])
    /// The audit log of a source or remote does not verify.
    case auditChainBroken(source: String, line: Int, reason: String)
    /// The remote's audit log no longer starts with what an earlier fetch saw.
    case auditRewritten(remote: String, line: Int)
    /// Something reachable could not be read, so gc cannot know what it refers to.
    case gcUnsafe(String)
    /// Writers kept `objects/gc.lock` for longer than gc was willing to wait.
    case writersActive(seconds: Double)
    case invalidDuration(String)
    /// `verb`: push or pull, which needs a branch to work on.
    case detachedHead(verb: String)

    public var description: String {
        switch self {
        case let .invalidRemoteName(name, reason): "invalid remote name '\(name)': \(reason)"
        case let .noSuchRemote(name, available):
            "no remote named '\(name)'" + (available.isEmpty ? " (there are no remotes; add one with rocky remote add)" : " (remotes: \(available.joined(separator: ", ")))")
        case let .remoteExists(name): "a remote named '\(name)' already exists"
        case let .destinationExists(path): "destination \(path) already exists and is not an empty folder"
        case let .noSuchRemoteBranch(remote, branch, available):
            "\(remote) has no branch '\(branch)'" + (available.isEmpty ? "" : " (branches: \(available.joined(separator: ", ")))")
        case let .emptySource(path): "\(path) has no branches to clone"
        case let .nonFastForward(remote, branch, remoteID, localID):
            "push to \(remote) refused: its \(branch) is at \(remoteID.hex), which is not an ancestor of \(localID.hex) "
                + "(not a fast-forward). Fetch and merge it first, or push --force to overwrite it"
        case let .pushRaced(remote, branch, expected, actual, pushed):
            "push of \(pushed.hex) to \(remote) \(branch) lost a race: the branch moved from \(expected?.hex ?? "(none)") "
                + "to \(actual?.hex ?? "(none)") while this push ran; fetch, merge and push again"
        case let .remoteTagDiffers(remote, tag, remoteID, localID):
            "push of tag \(tag) to \(remote) refused: its tag \(tag) is \(remoteID.hex), not this one's \(localID.hex); "
                + "tags are immutable (an admin may delete it there with tag -d)"
        case let .remoteHasUncommittedChanges(remote, branch, changes):
            "push to \(remote) refused: \(branch) is checked out there with uncommitted changes (\(changes.joined(separator: ", "))); "
                + "commit them there, or push to another branch"
        case let .auditChainBroken(source, line, reason):
            "the audit log of \(source) does not verify at line \(line): \(reason)"
        case let .auditRewritten(remote, line):
            "the audit log of \(remote) was rewritten: its entry \(line) differs from the one an earlier fetch recorded"
        case let .gcUnsafe(message): "gc stopped before removing anything: \(message); run rocky fsck"
        case let .writersActive(seconds):
            "gc waited \(Int(seconds)) s for rocky processes writing objects (they hold objects/gc.lock) to finish; run it again later"
        case let .invalidDuration(text):
            "'\(text)' is not a duration: use now, never, <n>s, <n>m, <n>h, <n>d, <n>w or an ISO 8601 time"
        case let .detachedHead(verb):
            verb == "push" ? "HEAD is detached: name the branch to push" : "HEAD is detached: check out the branch to \(verb) into"
        }
    }
}

extension RemoteError {
    /// A stable, machine-readable name, for `--json` error documents.
    public var code: String {
        switch self {
        case .invalidRemoteName: "invalid_remote_name"
        case .noSuchRemote: "no_such_remote"
        case .remoteExists: "remote_exists"
        case .destinationExists: "destination_exists"
        case .noSuchRemoteBranch: "no_such_remote_branch"
        case .emptySource: "empty_source"
        case .nonFastForward: "non_fast_forward"
        case .pushRaced: "push_raced"
        case .remoteTagDiffers: "remote_tag_differs"
        case .remoteHasUncommittedChanges: "remote_uncommitted_changes"
        case .auditChainBroken: "audit_chain_broken"
        case .auditRewritten: "audit_rewritten"
        case .gcUnsafe: "gc_unsafe"
        case .writersActive: "writers_active"
        case .invalidDuration: "invalid_duration"
        case .detachedHead: "detached_head"
        }
    }
}
