import RockyBase
import RockyStore
import Testing

@Suite struct HistoryTests {
    /// A first-parent chain of `count` commits, one hour apart.
    func chain(_ store: any ObjectStore, count: Int, start: Int64 = 0, times: ((Int) -> Int64)? = nil) throws -> [ObjectID] {
        let tree = try store.write(Tree.empty)
        var ids: [ObjectID] = []
        for i in 0..<count {
            let hour = times?(i) ?? (start + Int64(i))
            ids.append(try store.write(commit: Commit(
                tree: tree, parents: ids.last.map { [$0] } ?? [], actor: "t",
                time: Timestamp(microseconds: hour * 3_600_000_000), message: "c\(i)")))
        }
        return ids
    }

    @Test func commitsRoundTrip() throws {
        let store = MemoryObjectStore()
        let ids = try chain(store, count: 3)
        let c = try store.readCommit(ids[2])
        #expect(c.parents == [ids[1]])
        #expect(c.depth == 2)
        #expect(c.message == "c2")
        #expect(try store.write(.commit, c.payload) == ids[2], "re-encoding gives the same bytes")
    }

    @Test func aWalkGoesNewestFirstAcrossMergesAndVisitsEachCommitOnce() throws {
        let store = MemoryObjectStore()
        let tree = try store.write(Tree.empty)
        func commit(_ hour: Int64, _ parents: [ObjectID], _ message: String) throws -> ObjectID {
            try store.write(commit: Commit(tree: tree, parents: parents, actor: "t",
                                           time: Timestamp(microseconds: hour * 3_600_000_000), message: message))
        }
        // base(0) <- a1(1) <- a2(4) <- merge(5); base <- b1(2) <- b2(3) <- merge; equal times tie by id.
        let base = try commit(0, [], "base")
        let a1 = try commit(1, [base], "a1"), a2 = try commit(4, [a1], "a2")
        let b1 = try commit(2, [base], "b1"), b2 = try commit(3, [b1], "b2")
        let merge = try commit(5, [a2, b2], "merge")
        let twin1 = try commit(6, [merge], "twin"), twin2 = try commit(6, [merge], "twin too")
        var walk = try CommitWalk(store: store, from: [twin1, twin2])
        var order: [String] = []
        while let (_, c) = walk.next() { order.append(c.message) }
        #expect(order.suffix(6) == ["merge", "a2", "b2", "b1", "a1", "base"])
        #expect(Set(order.prefix(2)) == ["twin", "twin too"])
        #expect(order.count == 8, "each commit once")
        var first = try CommitWalk(store: store, from: [merge], firstParentOnly: true)
        var firstOrder: [String] = []
        while let (_, c) = first.next() { firstOrder.append(c.message) }
        #expect(firstOrder == ["merge", "a2", "a1", "base"])
    }

    @Test func ancestorsAtAnyDistance() throws {
        let store = MemoryObjectStore()
        let ids = try chain(store, count: 300)
        for n in [0, 1, 2, 7, 64, 150, 299] {
            #expect(try store.firstParentAncestor(of: ids[299], steps: n) == ids[299 - n])
        }
        #expect(try store.firstParentAncestor(of: ids[299], steps: 300) == nil)
    }

    @Test func commitAtATimeMatchesALinearScan() throws {
        let store = MemoryObjectStore()
        // Times that sometimes go backwards (a clock override), to test the skip minimums.
        let times: [Int64] = (0..<400).map { i in Int64(i * 2) - (i % 37 == 0 ? 50 : 0) }
        let ids = try chain(store, count: 400, times: { times[$0] })
        for probe in stride(from: Int64(-60), through: 820, by: 7) {
            let expected = (0..<400).reversed().first { times[$0] <= probe }.map { ids[$0] }
            let found = try store.firstParentCommit(from: ids[399], atOrBefore: Timestamp(microseconds: probe * 3_600_000_000))
            #expect(found == expected, "at hour \(probe)")
        }
    }
}
