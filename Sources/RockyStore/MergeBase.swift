import RockyBase

/// Merge bases: the best common ancestors of commits.
///
/// A common ancestor of `a` and `b` is a commit reachable from both (a commit
/// is its own ancestor). The best ones are those that are not ancestors of
/// another common ancestor. A linear or simply branched history has one; a
/// criss-cross history (each side merged the other at different points) has
/// several, and all of them are returned, newest first.
///
/// ## The algorithm
///
/// 1. Fast path: when one commit is on the other's first-parent chain (a
///    fast-forward, the common case of a branch that never moved), it is the
///    answer. The skip index of each commit finds the ancestor at the right
///    depth in O(log n) reads.
/// 2. Paint down (as git's `merge-base`): walk both histories at once from a
///    priority queue, newest committer time first (then greater depth). Every
///    commit carries the flags of the sides it was reached from; a commit
///    reached from both is a common ancestor, recorded, and its ancestors are
///    marked stale. A commit that gains a flag is queued again, so flags reach
///    their fixpoint whatever the order of the walk. The walk stops when only
///    stale commits remain queued: every commit not yet seen is then an
///    ancestor of a found common ancestor and cannot be a best one.
/// 3. Remove redundant candidates: several candidates are walked down
///    together, each with its own bit; a candidate reached by another's bit
///    is its ancestor and is dropped. The walk stops when every queued commit
///    carries every bit (it is an ancestor of all candidates, so it cannot
///    lead to one).
///
/// Committer time only orders the walk. With sane clocks each commit is
/// visited after its descendants, so the walk reads the commits between the
/// tips and their bases and a few more (like `git log a...b`). With clocks
/// that go backwards (an overridden `ROCKY_COMMIT_TIME`) the answer stays
/// exact, thanks to the re-queueing, but the walk may read further.
extension ObjectStore {
    /// The best common ancestors of `a` and `b`, newest first; empty when the
    /// histories share no commit.
    public func mergeBases(_ a: ObjectID, _ b: ObjectID) throws -> [ObjectID] {
        if a == b { return [a] }
        var walk = AncestryWalk(store: self)
        if try walk.isFirstParentAncestor(a, of: b) { return [a] }
        if try walk.isFirstParentAncestor(b, of: a) { return [b] }
        return try walk.bestCommonAncestors([a], [b])
    }

    /// The best common ancestors of the two sets: of a commit whose parents
    /// would be `a` and one whose parents would be `b`. This is what a merge
    /// of several criss-crossed bases needs (the virtual base of their merge).
    public func mergeBases(of a: [ObjectID], and b: [ObjectID]) throws -> [ObjectID] {
        guard !a.isEmpty, !b.isEmpty else { return [] }
        if a.count == 1, b.count == 1 { return try mergeBases(a[0], b[0]) }
        var walk = AncestryWalk(store: self)
        return try walk.bestCommonAncestors(a, b)
    }

    /// Whether `a` is `b` or one of its ancestors: then merging `a` into a
    /// branch at `b` changes nothing, and merging `b` into a branch at `a`
    /// can fast-forward.
    public func isAncestor(_ a: ObjectID, of b: ObjectID) throws -> Bool {
        if a == b { return true }
        var walk = AncestryWalk(store: self)
        if try walk.isFirstParentAncestor(a, of: b) { return true }
        return try walk.bestCommonAncestors([a], [b]) == [a]
    }
}

/// One merge-base computation: a commit cache, the flags and the queue.
private struct AncestryWalk {
    let store: any ObjectStore
    private var commits: [ObjectID: Commit] = [:]

    init(store: any ObjectStore) { self.store = store }

    mutating func commit(_ id: ObjectID) throws -> Commit {
        if let c = commits[id] { return c }
        let c = try store.readCommit(id)
        commits[id] = c
        return c
    }

    /// Whether `a` lies on `b`'s first-parent chain, in O(log n) reads.
    mutating func isFirstParentAncestor(_ a: ObjectID, of b: ObjectID) throws -> Bool {
        let ca = try commit(a), cb = try commit(b)
        guard ca.depth <= cb.depth else { return false }
        return try store.firstParentAncestor(of: b, steps: cb.depth - ca.depth) == a
    }

    private static let fromA: UInt8 = 1, fromB: UInt8 = 2, stale: UInt8 = 4

    mutating func bestCommonAncestors(_ a: [ObjectID], _ b: [ObjectID]) throws -> [ObjectID] {
        var flags: [ObjectID: UInt8] = [:]
        var queue = CommitQueue()
        // Queued commits not (yet) stale: the walk ends when there are none.
        var live = Set<ObjectID>()
        for id in a { flags[id, default: 0] |= Self.fromA; queue.push(id, try commit(id)); live.insert(id) }
        for id in b { flags[id, default: 0] |= Self.fromB; queue.push(id, try commit(id)); live.insert(id) }
        var candidates: [ObjectID] = []
        while !live.isEmpty, let id = queue.pop() {
            if !queue.isQueued(id) { live.remove(id) }
            var f = flags[id]!
            if f == Self.fromA | Self.fromB {
                // A common ancestor; its ancestors are not best ones. The commit
                // keeps its own flags: it is stale only if reached from another.
                if !candidates.contains(id) { candidates.append(id) }
                f |= Self.stale
            }
            for parent in try commit(id).parents {
                let old = flags[parent] ?? 0
                guard old | f != old else { continue }
                flags[parent] = old | f
                queue.push(parent, try commit(parent))
                if (old | f) & Self.stale == 0 { live.insert(parent) } else { live.remove(parent) }
            }
        }
        // A candidate found before the walk learned it was an ancestor of another.
        candidates.removeAll { flags[$0]! & Self.stale != 0 }
        let best = candidates.count > 1 ? try withoutAncestorsOfEachOther(candidates) : candidates
        return try best.sorted { x, y in
            let cx = try commit(x), cy = try commit(y)
            if cx.time != cy.time { return cx.time > cy.time }
            return x < y
        }
    }

    /// Drops every candidate that is an ancestor of another.
    mutating func withoutAncestorsOfEachOther(_ candidates: [ObjectID]) throws -> [ObjectID] {
        let full = CandidateSet(full: candidates.count)
        var marks: [ObjectID: CandidateSet] = [:]
        var queue = CommitQueue()
        var live = Set<ObjectID>()
        for (i, id) in candidates.enumerated() {
            marks[id] = CandidateSet(single: i, count: candidates.count)
            queue.push(id, try commit(id))
            if marks[id]! != full { live.insert(id) }
        }
        while !live.isEmpty, let id = queue.pop() {
            if !queue.isQueued(id) { live.remove(id) }
            let m = marks[id]!
            for parent in try commit(id).parents {
                let old = marks[parent] ?? CandidateSet(count: candidates.count)
                let new = old.union(m)
                guard new != old else { continue }
                marks[parent] = new
                queue.push(parent, try commit(parent))
                if new != full { live.insert(parent) } else { live.remove(parent) }
            }
        }
        return candidates.enumerated().filter { i, id in
            marks[id]! == CandidateSet(single: i, count: candidates.count)
        }.map(\.element)
    }
}

/// A set of candidate indices, as bits.
private struct CandidateSet: Equatable {
    var words: [UInt64]

    init(count: Int) { words = Array(repeating: 0, count: (count + 63) / 64) }

    init(single i: Int, count: Int) {
        self.init(count: count)
        words[i / 64] |= 1 << UInt64(i % 64)
    }

    init(full count: Int) {
        self.init(count: count)
        for i in 0..<count { words[i / 64] |= 1 << UInt64(i % 64) }
    }

    func union(_ other: CandidateSet) -> CandidateSet {
        var result = self
        for i in words.indices { result.words[i] |= other.words[i] }
        return result
    }
}

/// A max-heap of commits: newest committer time first, then greatest
/// first-parent depth (a first parent always comes after its child), then id.
/// A commit may be queued several times; each pop processes its current flags.
private struct CommitQueue {
    private struct Entry {
        var id: ObjectID
        var time: Timestamp
        var depth: Int
    }

    private var heap: [Entry] = []
    /// How many times each commit is queued.
    private var queued: [ObjectID: Int] = [:]

    var isEmpty: Bool { heap.isEmpty }

    func isQueued(_ id: ObjectID) -> Bool { queued[id, default: 0] > 0 }

    private static func before(_ x: Entry, _ y: Entry) -> Bool {
        if x.time != y.time { return x.time > y.time }
        if x.depth != y.depth { return x.depth > y.depth }
        return x.id > y.id
    }

    mutating func push(_ id: ObjectID, _ commit: Commit) {
        queued[id, default: 0] += 1
        heap.append(Entry(id: id, time: commit.time, depth: commit.depth))
        var child = heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard Self.before(heap[child], heap[parent]) else { break }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    mutating func pop() -> ObjectID? {
        guard !heap.isEmpty else { return nil }
        let top = heap[0].id
        queued[top, default: 1] -= 1
        let last = heap.removeLast()
        if !heap.isEmpty {
            heap[0] = last
            var i = 0
            while true {
                let l = 2 * i + 1, r = l + 1
                var best = i
                if l < heap.count, Self.before(heap[l], heap[best]) { best = l }
                if r < heap.count, Self.before(heap[r], heap[best]) { best = r }
                if best == i { break }
                heap.swapAt(i, best)
                i = best
            }
        }
        return top
    }
}
