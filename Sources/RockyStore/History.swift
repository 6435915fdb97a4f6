import RockyBase

extension ObjectStore {
    public func readCommit(_ id: ObjectID) throws -> Commit {
        try Commit(payload: try read(id, as: .commit), id: id)
    }

    /// Writes a commit after filling in its first-parent index (two reads:
    /// the first parent and its skip target).
    public func write(commit: Commit) throws -> ObjectID {
        var commit = commit
        if let parentID = commit.firstParent {
            let parent = try readCommit(parentID)
            let parentSkip = try parent.skip.map { try readCommit($0) }
            commit.index(parent: (parentID, parent), parentSkip: parentSkip)
        } else {
            commit.index(parent: nil, parentSkip: nil)
        }
        return try write(.commit, commit.payload)
    }

    /// The first-parent ancestor `n` steps back (`<rev>~n`), in O(log n) reads,
    /// or nil when the history is shorter.
    public func firstParentAncestor(of id: ObjectID, steps n: Int) throws -> ObjectID? {
        var currentID = id
        var current = try readCommit(id)
        guard n <= current.depth else { return nil }
        let targetDepth = current.depth - n
        while current.depth > targetDepth {
            if let skip = current.skip, let skipDepth = current.skipDepth, skipDepth >= targetDepth {
                currentID = skip
            } else {
                guard let parent = current.firstParent else { return nil }
                currentID = parent
            }
            current = try readCommit(currentID)
        }
        return currentID
    }

    /// The newest commit on the first-parent chain from `tip` whose committer
    /// time is at or before `time` ("branch B at time T"), or nil when every
    /// commit is later. Walking back, a skip is taken whenever no commit it
    /// passes over qualifies, so this reads O(log n) commits.
    public func firstParentCommit(from tip: ObjectID, atOrBefore time: Timestamp) throws -> ObjectID? {
        var currentID = tip
        var current = try readCommit(tip)
        while true {
            if current.time <= time { return currentID }
            if let skip = current.skip, current.skipMinTime.map({ $0 > time }) ?? true {
                currentID = skip
            } else if let parent = current.firstParent {
                currentID = parent
            } else {
                return nil
            }
            current = try readCommit(currentID)
        }
    }
}

/// Walks commits newest first, reading one at a time: `log -n 10` reads ten.
/// Follows every parent (by committer time, then id) or only first parents.
public struct CommitWalk: Sequence, IteratorProtocol {
    private let store: any ObjectStore
    private let firstParentOnly: Bool
    /// Oldest first (committer time, then id): the next commit is the last.
    private var queue: [(id: ObjectID, commit: Commit)] = []
    private var seen: Set<ObjectID> = []
    public private(set) var error: Error?

    public init(store: any ObjectStore, from tips: [ObjectID], firstParentOnly: Bool = false) throws {
        self.store = store
        self.firstParentOnly = firstParentOnly
        for tip in tips where seen.insert(tip).inserted {
            enqueue(tip, try store.readCommit(tip))
        }
    }

    /// Inserts in order (binary search): the queue stays sorted without a sort per step.
    private mutating func enqueue(_ id: ObjectID, _ commit: Commit) {
        var low = 0, high = queue.count
        while low < high {
            let mid = (low + high) / 2
            let other = queue[mid]
            if other.commit.time != commit.time ? other.commit.time < commit.time : other.id < id { low = mid + 1 } else { high = mid }
        }
        queue.insert((id, commit), at: low)
    }

    public mutating func next() -> (id: ObjectID, commit: Commit)? {
        try? nextCommit()
    }

    /// The next commit, or the error that stopped the walk: a parent that is
    /// missing or corrupt (`StoreError.objectNotFound` / `.corruptObject`
    /// naming it) is thrown by the call after the commit that names it, so a
    /// caller that stops early (`log -n`) reads nothing more than it shows,
    /// and one that goes on never mistakes a broken history for a short one.
    public mutating func nextCommit() throws -> (id: ObjectID, commit: Commit)? {
        if let error { throw error }
        guard let top = queue.popLast() else { return nil }
        let parents = firstParentOnly ? Array(top.commit.parents.prefix(1)) : top.commit.parents
        do {
            for parent in parents where seen.insert(parent).inserted {
                enqueue(parent, try store.readCommit(parent))
            }
        } catch {
            self.error = error
        }
        return top
    }
}
