import Foundation
@testable import Rocky
import RockyBase
import RockySQL
import RockyStore
import Testing

/// `Repository.lineage`: how much history it reads, and the graph the library returns.
@Suite struct LineageLibraryTests {
    /// An object store that counts the commits read through it.
    final class CountingStore: ObjectStore, @unchecked Sendable {
        let base: any ObjectStore
        private(set) var commitReads = 0
        init(_ base: any ObjectStore) { self.base = base }
        func write(_ kind: ObjectKind, _ payload: [UInt8]) throws -> ObjectID { try base.write(kind, payload) }
        func write(_ kind: ObjectKind, size: Int, produce: () throws -> [UInt8]) throws -> ObjectID {
            try base.write(kind, size: size, produce: produce)
        }
        func read(_ id: ObjectID) throws -> StoredObject {
            let object = try base.read(id)
            if object.kind == .commit { commitReads += 1 }
            return object
        }
        func stream(_ id: ObjectID, _ consume: (UnsafeRawBufferPointer) throws -> Void) throws -> ObjectKind { try base.stream(id, consume) }
        func header(_ id: ObjectID) throws -> (kind: ObjectKind, size: Int) { try base.header(id) }
        func contains(_ id: ObjectID) -> Bool { base.contains(id) }
        func ids(withPrefix prefix: String) throws -> [ObjectID] { try base.ids(withPrefix: prefix) }
        func batch<R>(_ body: () throws -> R) throws -> R { try base.batch(body) }
    }

    @Test func upstreamReadsAFewCommitsOfALongHistory() throws {
        let (url, folder) = try fixtureRepository()
        _ = folder
        let settings = Settings(actor: "tester", fixedTime: Timestamp("2026-05-20T16:00:00Z"))
        let repo = try Repository.open(discoveringFrom: url.path, settings: settings)
        try repo.runSQL("CREATE TABLE daily AS SELECT symbol, ts, close FROM prices", commitMessage: "daily")
        let commits = 200
        for i in 0..<commits { try repo.commit(message: "unrelated \(i)", allowEmpty: true) }
        try repo.runSQL("CREATE TABLE late AS SELECT symbol, close * 2 AS doubled FROM daily", commitMessage: "late")

        let counting = CountingStore(repo.objects)
        let watched = Repository(workDirectory: repo.workDirectory, objects: counting, refs: repo.refs, settings: settings)
        let graph = try watched.lineage(of: "late", column: "doubled", at: "HEAD")
        #expect(graph.links.map { "\($0.from.table) -> \($0.to.table) \($0.transform)" }
            == ["daily -> late transformation", "prices -> daily identity"])
        #expect(graph.nodes.last?.imported == true && graph.nodes.last?.isSource == true)
        // The producer of daily lies 200 commits back, prices' import one further:
        // skip pointers jump there in O(log n) reads instead of reading every commit.
        #expect(counting.commitReads < 40, "read \(counting.commitReads) commits of \(commits + 4)")

        // Downstream has to look at every commit since prices was imported, and does.
        let down = try watched.lineage(of: "prices", column: "close", at: "HEAD", options: LineageOptions(direction: .downstream))
        #expect(down.nodes.map(\.column) == ["close", "close", "doubled"])
        #expect(down.nodes.map(\.distance) == [0, 1, 2])
    }

    @Test func theLibraryAPIsOwnCommitsAreFollowed() throws {
        let (url, folder) = try fixtureRepository()
        _ = folder
        let rocky = try Repository.open(at: url)
        let branch = try rocky.createBranch("agent/risk", from: "main")
        try rocky.execute(on: branch, "CREATE TABLE exposure AS SELECT symbol, SUM(quantity * avg_cost) AS cost FROM positions GROUP BY symbol")
        try rocky.execute(on: branch, "CREATE TABLE top AS SELECT symbol, cost FROM exposure WHERE cost > 1000 ORDER BY cost DESC")
        let graph = try rocky.lineage(of: "top", column: "cost", at: branch.name)
        #expect(graph.revision == (try rocky.resolve(branch)))
        let edges = Set(graph.links.map { "\($0.from.table).\(graph.node($0.from)!.column) -> \($0.to.table).\(graph.node($0.to)!.column) \($0.transform.subtype)" })
        #expect(edges == [
            "exposure.cost -> top.cost IDENTITY", "exposure.cost -> top.cost FILTER", "exposure.cost -> top.cost SORT",
            "positions.quantity -> exposure.cost AGGREGATION", "positions.avg_cost -> exposure.cost AGGREGATION",
            "positions.symbol -> exposure.cost GROUP_BY",
        ])
        #expect(graph.steps.count == 2 && graph.steps.allSatisfy { $0.commit != nil })
        #expect(graph.node(graph.root)?.steps == [graph.steps[1].id])
    }
}
