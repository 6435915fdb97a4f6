import RockyBase
import RockyStore

/// Which held versions `dropVersions` may drop, by when the engine loaded them.
public enum VersionAge: Sendable, Equatable {
    /// However recent.
    case any
    /// None.
    case none
    case olderThan(seconds: Int64)
    /// Loaded before this time.
    case before(Timestamp)
}

/// A server engine that keeps table versions under names derived from
/// their ids, for every later statement and process (PostgreSQL, Spark):
/// `gc --engine <name>` lists them and drops those no revision reaches.
/// Which ids are reachable is the repository's business; the backend only
/// lists and drops.
public protocol HeldVersions: ExecutionBackend {
    /// The versions the engine holds, by id.
    func heldVersions() throws -> [ObjectID]

    /// Drops every held version not in `keep` that was loaded as `age`
    /// allows; returns the ids dropped (with `dryRun`, that would be) and
    /// how many unreachable ones were kept as too recent.
    func dropVersions(keeping keep: Set<ObjectID>, loaded age: VersionAge, dryRun: Bool) throws -> (dropped: [ObjectID], keptRecent: Int)
}
