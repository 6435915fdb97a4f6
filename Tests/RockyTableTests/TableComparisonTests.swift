import RockyBase
import RockyStore
@testable import RockyTable
import Testing

/// A diff that cannot read a node fails: it never ends early as if the
/// tables had no more differences.
@Suite struct TableComparisonTests {
    private func tables(rekeyed: Bool) throws -> (MemoryObjectStore, Table, Table) {
        let store = MemoryObjectStore()
        let oldSchema = try Schema(named: [("id", .integer), ("name", .text), ("qty", .integer)], key: ["id"])
        let rows = (0..<5_000).map { i -> [Value] in [.integer(Int64(i)), .text("row \(i)"), .integer(Int64(i % 7))] }
        let old = try makeTable(store, oldSchema, rows)
        var changed = rows
        changed[2_500][2] = .integer(99)
        let newSchema = rekeyed ? try Schema(named: [("id", .integer), ("name", .text), ("qty", .integer)], key: ["name"]) : oldSchema
        return (store, old, try makeTable(store, newSchema, changed))
    }

    @Test(arguments: [false, true])
    func anUnreadableNodeFailsTheDiff(rekeyed: Bool) throws {
        let (store, old, new) = try tables(rekeyed: rekeyed)
        let comparison = TableComparison(store: store, old: old, new: new, temporaryDirectory: temporaryDirectory())
        var intact = try comparison.rows()
        var found = 0
        while try intact.nextDelta() != nil { found += 1 }
        #expect(found == 1)

        let reader = TreeReader(store: store)
        let shared = Set(try reader.objectIDs(old.root))
        for id in try reader.objectIDs(new.root) where !shared.contains(id) { store.corrupt(id, payload: [0]) }
        #expect(throws: StoreError.self) {
            var broken = try comparison.rows()
            while try broken.nextDelta() != nil {}
        }
    }
}
