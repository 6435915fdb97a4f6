import RockyBase
import RockyStore
import Testing

/// Builds commit graphs by name on a memory store.
private final class Graph {
    let store = MemoryObjectStore()
    private(set) var ids: [String: ObjectID] = [:]
    private(set) var parentsByID: [ObjectID: [ObjectID]] = [:]
    private let tree: ObjectID
    private var clock: Int64 = 0

    init() { tree = try! store.write(Tree.empty) }

    /// A commit named `name` with `parents` (by name); `hour` overrides the
    /// clock, which otherwise moves one hour per commit.
    @discardableResult
    func commit(_ name: String, _ parents: [String] = [], hour: Int64? = nil) throws -> ObjectID {
        clock += 1
        let time = Timestamp(microseconds: (hour ?? clock) * 3_600_000_000)
        let parentIDs = parents.map { ids[$0]! }
        let id = try store.write(commit: Commit(tree: tree, parents: parentIDs, actor: "t", time: time, message: name))
        ids[name] = id
        parentsByID[id] = parentIDs
        return id
    }

    subscript(name: String) -> ObjectID { ids[name]! }

    func names(_ list: [ObjectID]) -> [String] {
        list.map { id in ids.first { $0.value == id }!.key }.sorted()
    }

    func bases(_ a: String, _ b: String) throws -> [String] { names(try store.mergeBases(self[a], self[b])) }

    private var ancestorCache: [ObjectID: Set<ObjectID>] = [:]

    /// Every ancestor of `id`, itself included, by a plain traversal.
    func ancestors(_ id: ObjectID) -> Set<ObjectID> {
        if let known = ancestorCache[id] { return known }
        var seen: Set<ObjectID> = [id], stack = [id]
        while let x = stack.popLast() {
            for p in parentsByID[x]! where seen.insert(p).inserted { stack.append(p) }
        }
        ancestorCache[id] = seen
        return seen
    }

    /// The best common ancestors by definition.
    func naiveBases(_ a: ObjectID, _ b: ObjectID) -> Set<ObjectID> {
        let common = ancestors(a).intersection(ancestors(b))
        return common.filter { c in !common.contains { $0 != c && ancestors($0).contains(c) } }
    }
}

@Suite struct MergeBaseTests {
    @Test func linearHistory() throws {
        let g = Graph()
        try g.commit("a")
        try g.commit("b", ["a"])
        try g.commit("c", ["b"])
        #expect(try g.bases("a", "c") == ["a"])
        #expect(try g.bases("c", "a") == ["a"])
        #expect(try g.bases("b", "b") == ["b"])
        #expect(try g.store.isAncestor(g["a"], of: g["c"]))
        #expect(try !g.store.isAncestor(g["c"], of: g["a"]))
        #expect(try g.store.isAncestor(g["b"], of: g["b"]))
    }

    @Test func branchedHistory() throws {
        let g = Graph()
        try g.commit("root")
        try g.commit("fork", ["root"])
        try g.commit("main1", ["fork"])
        try g.commit("main2", ["main1"])
        try g.commit("topic1", ["fork"])
        try g.commit("topic2", ["topic1"])
        #expect(try g.bases("main2", "topic2") == ["fork"])
        #expect(try g.bases("topic2", "main2") == ["fork"])
        #expect(try g.bases("main1", "topic1") == ["fork"])
        #expect(try !g.store.isAncestor(g["topic1"], of: g["main2"]))
        #expect(try !g.store.isAncestor(g["main2"], of: g["topic2"]))
    }

    @Test func afterAMergeTheMergedTipIsTheBase() throws {
        let g = Graph()
        try g.commit("root")
        try g.commit("topic1", ["root"])
        try g.commit("main1", ["root"])
        try g.commit("merge", ["main1", "topic1"])
        try g.commit("topic2", ["topic1"])
        try g.commit("main2", ["merge"])
        #expect(try g.bases("main2", "topic2") == ["topic1"])
        // The second parent of a merge is an ancestor, though not on the first-parent chain.
        #expect(try g.store.isAncestor(g["topic1"], of: g["main2"]))
        #expect(try g.store.isAncestor(g["main1"], of: g["main2"]))
        #expect(try !g.store.isAncestor(g["topic2"], of: g["main2"]))
    }

    @Test func crissCrossHasTwoBases() throws {
        let g = Graph()
        try g.commit("root")
        try g.commit("x", ["root"])
        try g.commit("y", ["root"])
        try g.commit("a", ["x", "y"])  // main merges topic
        try g.commit("b", ["y", "x"])  // topic merges main
        try g.commit("a2", ["a"])
        try g.commit("b2", ["b"])
        #expect(try g.bases("a2", "b2") == ["x", "y"])
        #expect(try g.store.mergeBases(g["a2"], g["b2"]).count == 2)
        // The bases of the bases (for a virtual base): their own common ancestor.
        #expect(g.names(try g.store.mergeBases(of: [g["x"]], and: [g["y"]])) == ["root"])
        #expect(g.names(try g.store.mergeBases(of: [g["x"], g["y"]], and: [g["b2"]])) == ["x", "y"])
    }

    @Test func unrelatedHistoriesHaveNoBase() throws {
        let g = Graph()
        try g.commit("a")
        try g.commit("a1", ["a"])
        try g.commit("b")
        try g.commit("b1", ["b"])
        #expect(try g.bases("a1", "b1") == [])
        #expect(try !g.store.isAncestor(g["a"], of: g["b1"]))
    }

    @Test func clocksThatGoBackwardsDoNotChangeTheAnswer() throws {
        let g = Graph()
        try g.commit("root", hour: 100)
        try g.commit("fork", ["root"], hour: 50)
        try g.commit("old", ["fork"], hour: 1)   // a commit dated long before its parent
        try g.commit("main", ["old"], hour: 200)
        try g.commit("topic", ["fork"], hour: 300)
        try g.commit("merge", ["main", "topic"], hour: 2)
        try g.commit("topic2", ["topic"], hour: 3)
        #expect(try g.bases("merge", "topic2") == ["topic"])
        #expect(try g.bases("main", "topic2") == ["fork"])
    }

    @Test func aLongHistoryIsNotWalkedToTheRoot() throws {
        let g = Graph()
        try g.commit("c0")
        for i in 1..<2000 { try g.commit("c\(i)", ["c\(i - 1)"]) }
        try g.commit("topic", ["c1990"])
        try g.commit("topic2", ["topic"])
        let counting = CountingStore(g.store)
        #expect(g.names(try counting.mergeBases(g["c1999"], g["topic2"])) == ["c1990"])
        #expect(counting.reads < 60, "read \(counting.reads) commits")
        counting.reads = 0
        #expect(g.names(try counting.mergeBases(g["c10"], g["c1999"])) == ["c10"])
        #expect(try counting.isAncestor(g["c3"], of: g["c1999"]))
        #expect(counting.reads < 60, "a fast-forward follows the skip index: \(counting.reads) reads")
    }

    /// Random histories of branches that commit and merge each other, with
    /// occasional clock skew, against the definition.
    @Test func randomHistoriesMatchTheDefinition() throws {
        var random = SeededRandom(seed: 42)
        for round in 0..<12 {
            let g = Graph()
            var tips: [String] = []
            try g.commit("r\(round)")
            tips = Array(repeating: "r\(round)", count: 4)
            var n = 0
            for _ in 0..<120 {
                n += 1
                let name = "n\(n)"
                let i = Int(random.next() % 4)
                let skew: Int64? = random.next() % 10 == 0 ? Int64(random.next() % 50) : nil
                if random.next() % 4 == 0 {
                    let j = (i + 1 + Int(random.next() % 3)) % 4
                    if tips[i] != tips[j] { try g.commit(name, [tips[i], tips[j]], hour: skew) } else { try g.commit(name, [tips[i]], hour: skew) }
                } else {
                    try g.commit(name, [tips[i]], hour: skew)
                }
                tips[i] = name
            }
            let names = Array(g.ids.keys)
            for _ in 0..<40 {
                let a = g[names[Int(random.next() % UInt64(names.count))]]
                let b = g[names[Int(random.next() % UInt64(names.count))]]
                let found = try g.store.mergeBases(a, b)
                #expect(Set(found) == g.naiveBases(a, b), "round \(round)")
                #expect(found.count == Set(found).count)
                #expect(try g.store.isAncestor(a, of: b) == g.ancestors(b).contains(a))
            }
        }
    }
}

/// Counts reads, to check that walks stay bounded.
final class CountingStore: ObjectStore, @unchecked Sendable {
    let base: any ObjectStore
    var reads = 0

    init(_ base: any ObjectStore) { self.base = base }

    func write(_ kind: ObjectKind, _ payload: [UInt8]) throws -> ObjectID { try base.write(kind, payload) }
    func write(_ kind: ObjectKind, size: Int, produce: () throws -> [UInt8]) throws -> ObjectID {
        try base.write(kind, size: size, produce: produce)
    }
    func read(_ id: ObjectID) throws -> StoredObject { reads += 1; return try base.read(id) }
    func stream(_ id: ObjectID, _ consume: (UnsafeRawBufferPointer) throws -> Void) throws -> ObjectKind {
        reads += 1
        return try base.stream(id, consume)
    }
    func header(_ id: ObjectID) throws -> (kind: ObjectKind, size: Int) { try base.header(id) }
    func contains(_ id: ObjectID) -> Bool { base.contains(id) }
    func ids(withPrefix prefix: String) throws -> [ObjectID] { try base.ids(withPrefix: prefix) }
    func batch<R>(_ body: () throws -> R) throws -> R { try base.batch(body) }
}
