import Dispatch
import Glibc
import RockyBase
import RockyStore
@testable import RockyTable
import Synchronization
import Testing

@Suite struct RowMergeTests {
    let f = try! MergeFixture()

    /// 1000 rows, so the tree has several chunks and index levels to skip.
    var baseRows: [[Value]] { (0..<1000).map { row($0, "n\($0)", "\($0).25", $0 % 7) } }

    func edited(_ rows: [[Value]], _ edits: [Int: [Value]?]) -> [[Value]] {
        var byID: [Int: [Value]] = [:]
        for r in rows { if case let .integer(i) = r[0] { byID[Int(i)] = r } }
        for (id, r) in edits { byID[id] = r }
        return byID.keys.sorted().map { byID[$0]! }
    }

    @Test func differentCellsOfOneRowCombine() throws {
        let base = try f.table(baseRows)
        let ours = try f.table(edited(baseRows, [5: row(5, "five", "5.25", 5), 700: row(700, "n700", "1.00", 0)]))
        let theirs = try f.table(edited(baseRows, [5: row(5, "n5", "9.99", 5), 900: nil, 1200: row(1200, "new", nil, nil)]))
        let r = try f.merge(base, ours, theirs)
        #expect(r.isClean && r.conflicts.isEmpty)
        #expect(r.outcome == .merged)
        let expected = edited(baseRows, [5: row(5, "five", "9.99", 5), 700: row(700, "n700", "1.00", 0), 900: nil,
                                         1200: row(1200, "new", nil, nil)])
        #expect(try f.rows(r.table) == expected)
        #expect(r.stats.rowsCombined == 1)
        #expect(r.stats.cellsFromTheirs == 1)
        #expect(r.stats.rowsFromTheirs == 2)
        #expect(r.stats.oursChangedRows == 2)
        #expect(r.stats.theirsChangedRows == 3)
        #expect(r.stats.rowsInserted == 1 && r.stats.rowsDeleted == 1 && r.stats.rowsUpdated == 1)
    }

    @Test func oneCellChangedTwoWaysConflicts() throws {
        let base = try f.table(baseRows)
        let ours = try f.table(edited(baseRows, [5: row(5, "n5", "1.00", 5)]))
        let theirs = try f.table(edited(baseRows, [5: row(5, "n5", "2.00", 6)]))
        let r = try f.merge(base, ours, theirs)
        #expect(!r.isClean)
        #expect(r.table == nil)
        #expect(r.outcome == .conflicted)
        #expect(r.conflicts == [MergeConflict(kind: .cell, table: "t", key: [NamedValue(column: "id", value: int(5))],
                                              column: "price", columnID: 3, base: dec("5.25"), ours: dec("1.00"), theirs: dec("2.00"))])
        #expect(r.stats.conflictingRows == 1)
        for (strategy, price) in [(MergeStrategy.ours, "1.00"), (.theirs, "2.00")] {
            let resolved = try f.merge(base, ours, theirs, strategy: strategy)
            #expect(resolved.isClean)
            #expect(resolved.strategyUsed == strategy)
            #expect(resolved.conflicts.map(\.resolution) == [strategy])
            // The conflicting cell takes the strategy's side; theirs' other change (qty) still merges.
            #expect(try f.rows(resolved.table).first { $0[0] == int(5) } == row(5, "n5", price, 6))
        }
    }

    @Test func theSameChangeOnBothSidesConverges() throws {
        let base = try f.table(baseRows)
        let both = try f.table(edited(baseRows, [5: row(5, "x", "1.00", nil), 6: nil, 2000: row(2000, "y", nil, 1)]))
        let ours = try f.table(edited(baseRows, [5: row(5, "x", "1.00", nil), 6: nil, 2000: row(2000, "y", nil, 1), 7: nil]))
        let r = try f.merge(base, ours, both)
        #expect(r.conflicts.isEmpty)
        #expect(r.stats.rowsConverged == 3)
        #expect(try f.rows(r.table) == edited(baseRows, [5: row(5, "x", "1.00", nil), 6: nil, 2000: row(2000, "y", nil, 1), 7: nil]))
    }

    @Test func deleteAgainstModifyConflicts() throws {
        let base = try f.table(baseRows)
        let deleted = try f.table(edited(baseRows, [5: nil]))
        let modified = try f.table(edited(baseRows, [5: row(5, "n5", "7.00", 9)]))
        let r = try f.merge(base, deleted, modified)
        #expect(r.conflicts == [
            MergeConflict(kind: .deleteModify, table: "t", key: [NamedValue(column: "id", value: int(5))], column: "price", columnID: 3,
                          base: dec("5.25"), ours: nil, theirs: dec("7.00")),
            MergeConflict(kind: .deleteModify, table: "t", key: [NamedValue(column: "id", value: int(5))], column: "qty", columnID: 4,
                          base: int(5), ours: nil, theirs: int(9)),
        ])
        let reverse = try f.merge(base, modified, deleted)
        #expect(reverse.conflicts.map(\.ours) == [dec("7.00"), int(9)])
        #expect(reverse.conflicts.map(\.theirs) == [nil, nil])
        #expect(try f.rows(f.merge(base, deleted, modified, strategy: .ours).table).contains { $0[0] == int(5) } == false)
        #expect(try f.rows(f.merge(base, deleted, modified, strategy: .theirs).table).contains(row(5, "n5", "7.00", 9)))
        #expect(try f.rows(f.merge(base, modified, deleted, strategy: .theirs).table).contains { $0[0] == int(5) } == false)
    }

    @Test func deleteOnBothSidesConverges() throws {
        let base = try f.table(baseRows)
        let ours = try f.table(edited(baseRows, [5: nil, 6: nil]))
        let theirs = try f.table(edited(baseRows, [5: nil, 8: nil]))
        let r = try f.merge(base, ours, theirs)
        #expect(r.conflicts.isEmpty)
        #expect(try f.rows(r.table) == edited(baseRows, [5: nil, 6: nil, 8: nil]))
    }

    @Test func insertsOfOneKeyOnBothSides() throws {
        let base = try f.table(baseRows)
        let same = try f.table(edited(baseRows, [5000: row(5000, "a", "1.00", nil)]))
        #expect(try f.merge(base, same, same).conflicts.isEmpty)
        let ours = try f.table(edited(baseRows, [5000: row(5000, "a", "1.00", nil), 4: row(4, "four", "4.25", 4)]))
        let r = try f.merge(base, ours, same)
        #expect(r.conflicts.isEmpty)
        #expect(r.stats.rowsConverged == 1)
        // Different rows: a conflict on each cell that differs, NULL included; equal cells merge.
        let theirs = try f.table(edited(baseRows, [5000: row(5000, "a", "2.00", 3)]))
        let c = try f.merge(base, ours, theirs)
        let key = [NamedValue(column: "id", value: int(5000))]
        #expect(c.conflicts == [
            MergeConflict(kind: .cell, table: "t", key: key, column: "price", columnID: 3, base: nil, ours: dec("1.00"), theirs: dec("2.00")),
            MergeConflict(kind: .cell, table: "t", key: key, column: "qty", columnID: 4, base: nil, ours: null, theirs: int(3)),
        ])
        #expect(try f.rows(f.merge(base, ours, theirs, strategy: .theirs).table).contains(row(5000, "a", "2.00", 3)))
    }

    @Test func nullCells() throws {
        let base = try f.table(baseRows)
        // Ours clears a cell, theirs changes another: both apply.
        let ours = try f.table(edited(baseRows, [3: row(3, "n3", nil, 3)]))
        let theirs = try f.table(edited(baseRows, [3: row(3, "n3", "3.25", nil)]))
        #expect(try f.rows(f.merge(base, ours, theirs).table).first { $0[0] == int(3) } == row(3, "n3", nil, nil))
        // NULL against a value in the same cell conflicts, shown as .null (not absent).
        let other = try f.table(edited(baseRows, [3: row(3, "n3", "8.00", 3)]))
        let r = try f.merge(base, ours, other)
        #expect(r.conflicts.map(\.ours) == [null])
        #expect(r.conflicts.map(\.theirs) == [dec("8.00")])
        // A NULL base cell set on both sides to different values.
        let nullBase = try f.table(edited(baseRows, [3: row(3, "n3", nil, 3)]))
        let x = try f.table(edited(baseRows, [3: row(3, "n3", "1.00", 3)]))
        let y = try f.table(edited(baseRows, [3: row(3, "n3", "2.00", 3)]))
        #expect(try f.merge(nullBase, x, y).conflicts.map(\.base) == [null])
        #expect(try f.merge(nullBase, x, nullBase).table.map(f.rows)?.first { $0[0] == int(3) } == row(3, "n3", "1.00", 3))
    }

    @Test func compositeKeys() throws {
        let schema = try Schema(named: [("symbol", .text), ("day", .date), ("close", .double), ("volume", .integer)],
                                key: ["symbol", "day"])
        func r(_ s: String, _ d: Int64, _ close: Double, _ v: Int?) -> [Value] {
            [text(s), .date(CivilDate(daysSinceEpoch: d)), .double(close), v.map(int) ?? null]
        }
        let rows = ["AAPL", "MSFT", "NVDA"].flatMap { s in (0..<200).map { r(s, Int64($0), Double($0), 100) } }
        let base = try f.table(rows, schema: schema)
        var oursRows = rows, theirsRows = rows
        oursRows[5] = r("AAPL", 5, 5.5, 100)
        theirsRows[5] = r("AAPL", 5, 5.0, 200)
        theirsRows[205] = r("MSFT", 5, 6.0, 100)
        oursRows[205] = r("MSFT", 5, 7.0, 100)
        let result = try f.merge(base, try f.table(oursRows, schema: schema), try f.table(theirsRows, schema: schema))
        #expect(result.conflicts.count == 1)
        #expect(result.conflicts.first?.key == [NamedValue(column: "symbol", value: text("MSFT")),
                                                NamedValue(column: "day", value: .date(CivilDate(daysSinceEpoch: 5)))])
        #expect(result.conflicts.first?.column == "close")
        let resolved = try f.merge(base, try f.table(oursRows, schema: schema), try f.table(theirsRows, schema: schema), strategy: .ours)
        let merged = try f.rows(resolved.table)
        #expect(merged.contains(r("AAPL", 5, 5.5, 200)))
        #expect(merged.contains(r("MSFT", 5, 7.0, 100)))
        #expect(merged.count == 600)
    }

    @Test func keylessTablesMergeByMultiplicity() throws {
        let schema = try Schema(named: [("trade", .text), ("qty", .integer)])
        func t(_ counts: [String: Int]) throws -> Table {
            try f.table(counts.flatMap { name, n in Array(repeating: [text(name), int(1)], count: n) }, schema: schema)
        }
        func counts(_ table: Table?) throws -> [String: Int] {
            var out: [String: Int] = [:]
            for r in try f.rows(table) { if case let .text(s) = r[0] { out[s, default: 0] += 1 } }
            return out
        }
        let base = try t(["a": 2, "b": 1, "c": 3, "d": 1, "e": 2])
        let ours = try t(["a": 3, "b": 1, "c": 1, "e": 1, "f": 1])
        let theirs = try t(["a": 4, "c": 2, "d": 1, "e": 1, "f": 1])
        let r = try f.merge(base, ours, theirs)
        #expect(r.conflicts.isEmpty)
        // a: copies added on both add up (2 + 1 + 2); b: removed by theirs; c: removals add up (3 - 2 - 1);
        // d: removed by ours; e: the same removal converges; f: the same insert converges.
        #expect(try counts(r.table) == ["a": 5, "e": 1, "f": 1])
        // Removing more copies in total than there were leaves none (4 - 3 - 2).
        #expect(try counts(f.merge(try t(["a": 4]), try t(["a": 1]), try t(["a": 2])).table) == [:])
        // Removing every copy against adding copies conflicts.
        let c = try f.merge(try t(["a": 2]), try t([:]), try t(["a": 3]))
        #expect(c.conflicts == [MergeConflict(kind: .multiplicity, table: "t",
                                              key: [NamedValue(column: "trade", value: text("a")), NamedValue(column: "qty", value: int(1))],
                                              base: int(2), ours: nil, theirs: int(3))])
        #expect(try counts(f.merge(try t(["a": 2]), try t([:]), try t(["a": 3]), strategy: .theirs).table) == ["a": 3])
        #expect(try counts(f.merge(try t(["a": 2]), try t([:]), try t(["a": 3]), strategy: .ours).table) == [:])
        // Removing some copies against adding some combines.
        #expect(try counts(f.merge(try t(["a": 2]), try t(["a": 1]), try t(["a": 4])).table) == ["a": 3])
    }

    @Test func aColumnAddedOnOneSideMergesWithRowEditsOnTheOther() throws {
        let base = try f.table(baseRows)
        var wide = f.schema
        wide.columns.append(Column(id: 5, name: "venue", type: .text))
        wide.nextColumnID = 6
        let theirs = try f.table(baseRows.map { $0 + [$0[0] == int(10) ? text("XNAS") : null] } + [row(3000, "z", nil, nil) + [text("XNYS")]],
                                 schema: wide)
        let ours = try f.table(edited(baseRows, [10: row(10, "ten", "10.25", 3), 11: nil]))
        let r = try f.merge(base, ours, theirs)
        #expect(r.conflicts.isEmpty)
        #expect(r.table?.schema == wide)
        let merged = try f.rows(r.table)
        #expect(merged.first { $0[0] == int(10) } == row(10, "ten", "10.25", 3) + [text("XNAS")])
        #expect(merged.first { $0[0] == int(3000) } == row(3000, "z", nil, nil) + [text("XNYS")])
        #expect(!merged.contains { $0[0] == int(11) })
        #expect(r.stats.rowsReencoded == 0, "a nullable column changes no stored row")
    }

    @Test func aDroppedColumnReencodesAndDropsTheOtherSidesEditsToIt() throws {
        let base = try f.table(baseRows)
        var narrow = f.schema
        narrow.columns.removeLast()
        let theirs = try f.table(baseRows.map { Array($0.prefix(3)) }, schema: narrow)
        // Ours edits qty (dropped by theirs) on one row and name on another.
        let ours = try f.table(edited(baseRows, [1: row(1, "n1", "1.25", 99), 2: row(2, "two", "2.25", 2)]))
        let r = try f.merge(base, ours, theirs)
        #expect(r.conflicts.isEmpty)
        let merged = try f.rows(r.table)
        #expect(merged.count == 1000)
        #expect(merged[1] == [int(1), text("n1"), dec("1.25")])
        #expect(merged[2] == [int(2), text("two"), dec("2.25")])
    }

    @Test func aTypeChangeConvertsTheOtherSidesValues() throws {
        let base = try f.table(baseRows)
        var wider = f.schema
        wider.columns[3].type = .decimal(precision: 18, scale: 1)
        let theirs = try f.table(baseRows.map { r in [r[0], r[1], r[2], r[3].isNull ? null : dec("\(r[3]).0")] }, schema: wider)
        let ours = try f.table(edited(baseRows, [7: row(7, "n7", "7.25", 70), 8000: row(8000, "new", nil, 5)]))
        let r = try f.merge(base, ours, theirs)
        #expect(r.conflicts.isEmpty)
        let merged = try f.rows(r.table)
        #expect(merged.first { $0[0] == int(7) }?[3] == dec("70.0"))
        #expect(merged.first { $0[0] == int(8000) }?[3] == dec("5.0"))
        #expect(r.table?.schema.column(id: 4)?.type == .decimal(precision: 18, scale: 1))
    }

    @Test func aValueThatDoesNotFitTheMergedSchemaIsAConstraintConflict() throws {
        let schema = try Schema(named: [("id", .integer), ("code", .text)], key: ["id"])
        let rows = (0..<100).map { [int($0), text("\($0)")] }
        let base = try f.table(rows, schema: schema)
        var numeric = schema
        numeric.columns[1].type = .integer
        let ours = try f.table(rows.map { [$0[0], int(Int($0[1].text!)!)] }, schema: numeric)
        let theirs = try f.table(rows + [[int(500), text("abc")], [int(501), text("42")]], schema: schema)
        let r = try f.merge(base, ours, theirs)
        #expect(r.conflicts == [MergeConflict(kind: .constraint, table: "t", key: [NamedValue(column: "id", value: int(500))],
                                              column: "code", columnID: 2, field: "type", base: nil, ours: nil, theirs: text("abc"))])
        // With a strategy: ours' version of the row (none) wins; theirs' row does not fit, so `theirs` cannot resolve it.
        let asOurs = try f.merge(base, ours, theirs, strategy: .ours)
        #expect(asOurs.isClean)
        #expect(try f.rows(asOurs.table).last == [int(501), int(42)], "\"42\" converts")
        #expect(try !f.merge(base, ours, theirs, strategy: .theirs).isClean)
        // NOT NULL set on one side, NULL inserted on the other.
        var strict = schema
        strict.columns[1].nullable = false
        let strictOurs = try f.table(rows, schema: strict)
        let nullTheirs = try f.table(rows + [[int(600), null]], schema: schema)
        let n = try f.merge(base, strictOurs, nullTheirs)
        #expect(n.conflicts.map(\.field) == ["not_null"])
        #expect(n.conflicts.first?.kind == .constraint)
        // The same in a keyless table: the values are the numbers of copies.
        let bag = try Schema(named: [("trade", .text), ("qty", .integer)])
        var strictBag = bag
        strictBag.columns[1].nullable = false
        let bagRows = (0..<50).map { [text("t\($0)"), int($0)] }
        let k = try f.merge(try f.table(bagRows, schema: bag), try f.table(bagRows, schema: strictBag),
                            try f.table(bagRows + [[text("x"), null], [text("y"), null]], schema: bag))
        #expect(k.conflicts.map(\.field) == ["not_null", "not_null"])
        #expect(k.conflicts.first?.theirs == int(1))
        #expect(k.conflicts.first?.key?.last == NamedValue(column: "qty", value: null))
        let kOurs = try f.merge(try f.table(bagRows, schema: bag), try f.table(bagRows, schema: strictBag),
                                try f.table(bagRows + [[text("x"), null]], schema: bag), strategy: .ours)
        #expect(kOurs.isClean)
        #expect(kOurs.table?.rowCount == 50)
    }

    @Test func aKeyChangeOnOneSideRekeysTheOther() throws {
        let schema = try Schema(named: [("id", .integer), ("code", .text), ("v", .integer)], key: ["id"])
        let rows = (0..<300).map { [int($0), text("c\($0)"), int($0)] }
        let base = try f.table(rows, schema: schema)
        var byCode = schema
        try byCode.setKey(["code"])
        let theirs = try f.table(rows, schema: byCode)
        var oursRows = rows
        oursRows[10][2] = int(-10)
        oursRows.append([int(1000), text("c1000"), int(0)])
        let r = try f.merge(base, try f.table(oursRows, schema: schema), theirs)
        #expect(r.conflicts.isEmpty)
        #expect(r.table?.schema.key == [2])
        let merged = try f.rows(r.table)
        #expect(merged.count == 301)
        #expect(merged.contains([int(10), text("c10"), int(-10)]))
        #expect(r.stats.rowsReencoded > 0)
        // Ours adds a row whose code another row has: two rows on one key.
        oursRows.append([int(2000), text("c5"), int(0)])
        let clash = try f.merge(base, try f.table(oursRows, schema: schema), theirs)
        #expect(clash.conflicts.map(\.field) == ["duplicate_key"])
        #expect(clash.conflicts.first?.key == [NamedValue(column: "code", value: text("c5"))])
    }

    /// Merging touches the changed paths of the trees, not the whole table.
    @Test func theWorkFollowsTheChanges() throws {
        let rows = (0..<60_000).map { row($0, "n\($0)", "\($0).25", $0 % 7) }
        let base = try f.table(rows)
        var oursRows = rows, theirsRows = rows
        for i in stride(from: 100, to: 60_000, by: 12_000) { oursRows[i][3] = int(-1) }
        for i in stride(from: 3_100, to: 60_000, by: 12_000) { theirsRows[i][1] = text("changed") }
        let r = try f.merge(base, try f.table(oursRows), try f.table(theirsRows))
        #expect(r.conflicts.isEmpty)
        #expect(r.stats.theirsChangedRows == 5 && r.stats.oursChangedRows == 5)
        let nodes = try TreeReader(store: f.store).objectIDs(base.root).count
        #expect(r.stats.nodesRead < nodes / 3, "read \(r.stats.nodesRead) nodes; a tree has \(nodes)")
    }

    @Test func theReadCacheDropsTheOldestFirstAndStaysCorrect() throws {
        let ids = try (0..<20).map { try f.store.write(.blob, Array(repeating: UInt8($0), count: 100)) }
        let cache = ReadCache(f.store, capacity: 450)
        for _ in 0..<2 { for id in ids { #expect(try cache.read(id).payload == f.store.read(id).payload) } }
        let counting = CountingReads(f.store)
        let small = ReadCache(counting, capacity: 450)
        for id in ids.prefix(4) { _ = try small.read(id) }
        for id in ids.prefix(4) { _ = try small.read(id) }
        #expect(counting.reads == 4, "four objects of 100 bytes fit")
        _ = try small.read(ids[5])
        _ = try small.read(ids[0])
        #expect(counting.reads == 6, "the oldest was dropped for the fifth")
    }

    /// Two threads that want one object at once (the diffs of ours and of
    /// theirs both read the base) read it once: one waits for the other.
    @Test func theReadCacheReadsAnObjectOnceWhenThreadsWantItAtOnce() throws {
        let ids = try (0..<40).map { try f.store.write(.blob, Array(repeating: UInt8($0), count: 100)) }
        let counting = CountingReads(f.store, delay: 2_000)
        let cache = ReadCache(counting)
        let mismatches = Mutex(0)
        let store = f.store
        DispatchQueue.concurrentPerform(iterations: 4) { _ in
            for id in ids where (try? cache.read(id).payload) != (try? store.read(id).payload) {
                mismatches.withLock { $0 += 1 }
            }
        }
        #expect(mismatches.withLock { $0 } == 0)
        #expect(counting.reads == ids.count, "each object read once from the store")
    }

    /// Theirs is diffed on another thread: an object it cannot read still
    /// fails the merge with that object's error, and nothing hangs.
    @Test func anUnreadableObjectOnTheirSideFailsTheMerge() throws {
        let base = try f.table(baseRows)
        let ours = try f.table(edited(baseRows, [10: row(10, "ours", "1.00", 1)]))
        let theirs = try f.table(edited(baseRows, [900: row(900, "theirs", "2.00", 2)]))
        let reader = TreeReader(store: f.store)
        let theirsOnly = Set(try reader.objectIDs(theirs.root)).subtracting(try reader.objectIDs(base.root))
        #expect(!theirsOnly.isEmpty)
        let failing = CountingReads(f.store, failing: theirsOnly)
        let merger = TableMerger(store: failing, temporaryDirectory: temporaryDirectory())
        do {
            _ = try merger.merge(base: base, ours: ours, theirs: theirs, name: "t")
            Issue.record("the merge read past an unreadable object")
        } catch let StoreError.corruptObject(id, _) {
            #expect(theirsOnly.contains(id))
        }
    }
}

/// Counts reads of an underlying store (from any thread); optionally slows
/// each read down, or fails the reads of some objects.
final class CountingReads: ObjectStore, @unchecked Sendable {
    let base: any ObjectStore
    private let count = Mutex(0)
    private let delay: UInt32
    private let failing: Set<ObjectID>
    var reads: Int { count.withLock { $0 } }
    init(_ base: any ObjectStore, delay microseconds: UInt32 = 0, failing: Set<ObjectID> = []) {
        self.base = base
        delay = microseconds
        self.failing = failing
    }
    func write(_ kind: ObjectKind, _ payload: [UInt8]) throws -> ObjectID { try base.write(kind, payload) }
    func write(_ kind: ObjectKind, size: Int, produce: () throws -> [UInt8]) throws -> ObjectID { try base.write(kind, size: size, produce: produce) }
    func read(_ id: ObjectID) throws -> StoredObject {
        count.withLock { $0 += 1 }
        if delay > 0 { usleep(delay) }
        if failing.contains(id) { throw StoreError.corruptObject(id, reason: "unreadable in this test") }
        return try base.read(id)
    }
    func stream(_ id: ObjectID, _ consume: (UnsafeRawBufferPointer) throws -> Void) throws -> ObjectKind { try base.stream(id, consume) }
    func header(_ id: ObjectID) throws -> (kind: ObjectKind, size: Int) { try base.header(id) }
    func contains(_ id: ObjectID) -> Bool { base.contains(id) }
    func ids(withPrefix prefix: String) throws -> [ObjectID] { try base.ids(withPrefix: prefix) }
    func batch<R>(_ body: () throws -> R) throws -> R { try base.batch(body) }
}
