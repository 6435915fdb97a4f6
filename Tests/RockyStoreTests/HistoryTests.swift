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
