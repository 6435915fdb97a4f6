import RockyBase
import RockyStore
@testable import RockyTable
import Testing

@Suite struct TreeMergeTests {
    let f = try! MergeFixture()

    func id(_ table: Table) throws -> ObjectID { try f.store.write(table: table) }

    func rows(_ n: Int, name: (Int) -> String = { "n\($0)" }) -> [[Value]] {
        (0..<n).map { row($0, name($0), "\($0).50", $0) }
    }

    func merge(_ base: [String: ObjectID], _ ours: [String: ObjectID], _ theirs: [String: ObjectID],
               strategy: MergeStrategy? = nil) throws -> TreeMergeResult {
        try mergeTrees(store: f.store, temporaryDirectory: temporaryDirectory(), base: base, ours: ours, theirs: theirs, strategy: strategy)
    }

    @Test func tablesUnchangedOnASideAreDecidedWithoutBeingRead() throws {
        // Ids of objects that do not exist: reading any would throw.
        let x = ObjectID(hex: String(repeating: "ab", count: 32))!, y = ObjectID(hex: String(repeating: "cd", count: 32))!
        let z = ObjectID(hex: String(repeating: "ef", count: 32))!
        let r = try merge(["kept": x, "theirs": x, "dropped": x, "same": x],
                          ["kept": y, "theirs": x, "same": z, "added": z],
                          ["kept": x, "theirs": y, "same": z, "new": y])
        #expect(r.isClean)
        #expect(r.tables == ["kept": y, "theirs": y, "same": z, "added": z, "new": y])
        #expect(r.outcomes == ["kept": .keptOurs, "theirs": .tookTheirs, "dropped": .keptOurs, "same": .keptOurs,
                               "added": .keptOurs, "new": .tookTheirs])
    }

    @Test func aTableDroppedOnOneSideAndUnchangedOnTheOtherIsDropped() throws {
        let t = try id(f.table(rows(10)))
        #expect(try merge(["t": t], [:], ["t": t]).tables == [:])
        #expect(try merge(["t": t], ["t": t], [:]).tables == [:])
        #expect(try merge(["t": t], [:], [:]).tables == [:])
    }

    @Test func droppedAgainstChangedConflicts() throws {
        let t = try id(f.table(rows(10)))
        let changed = try id(f.table(rows(12)))
        let r = try merge(["t": t], [:], ["t": changed])
        #expect(r.conflicts == [MergeConflict(kind: .table, table: "t", base: int(10), ours: nil, theirs: int(12))])
        #expect(!r.isClean)
        #expect(r.outcomes["t"] == .conflicted)
        #expect(try merge(["t": t], [:], ["t": changed], strategy: .ours).tables == [:])
        let asTheirs = try merge(["t": t], [:], ["t": changed], strategy: .theirs)
        #expect(asTheirs.tables == ["t": changed])
        #expect(asTheirs.strategyUsed == .theirs)
        #expect(try merge(["t": t], ["t": changed], [:], strategy: .ours).tables == ["t": changed])
        // A schema-only change counts as a change.
        var renamed = f.schema
        renamed.columns[1].name = "label"
        let r2 = try merge(["t": t], ["t": try id(f.table(rows(10), schema: renamed))], [:])
        #expect(r2.conflicts.map(\.kind) == [.table])
    }

    @Test func aTableAddedOnBothSidesMergesAgainstAnEmptyBase() throws {
        // Different columns: shared ones by name, the others side by side.
        let oursSchema = try Schema(named: [("id", .integer), ("a", .text), ("b", .integer)], key: ["id"])
        let theirsSchema = try Schema(named: [("id", .integer), ("c", .double), ("b", .integer)], key: ["id"])
        let ours = try f.table((0..<500).map { [int($0), text("a\($0)"), int($0)] }, schema: oursSchema)
        let theirs = try f.table((250..<800).map { [int($0), .double(Double($0)), int($0)] }, schema: theirsSchema)
        let r = try merge([:], ["t": try id(ours)], ["t": try id(theirs)])
        #expect(r.isClean)
        let merged = try f.store.readTable(r.tables["t"]!)
        #expect(merged.schema.columns.map(\.name) == ["id", "c", "a", "b"])
        let expectedRows = (0..<800).map { i -> [Value] in
            [int(i), i >= 250 ? .double(Double(i)) : null, i < 500 ? text("a\(i)") : null, int(i)]
        }
        #expect(try f.rows(merged) == expectedRows)
        // The merged table is the table built from scratch from those rows: same id.
        #expect(try id(f.table(expectedRows, schema: merged.schema)) == r.tables["t"])
        // The same key with different values conflicts cell by cell.
        let clash = try f.table([[int(1), .double(9), int(7)]], schema: theirsSchema)
        let c = try merge([:], ["t": try id(ours)], ["t": try id(clash)])
        #expect(c.conflicts.map(\.column) == ["b"])
        #expect(c.conflicts.first?.base == nil)
    }

    @Test func mergedTablesAreWrittenAndEqualAFromScratchBuild() throws {
        let base = rows(3_000)
        var ours = base, theirs = base
        ours[10][1] = text("ours"); ours.remove(at: 2_000)
        theirs[10][3] = int(-1); theirs.append(row(5_000, "new", nil, nil))
        let other = try id(f.table(rows(5)))
        let r = try merge(["t": try id(f.table(base)), "u": other],
                          ["t": try id(f.table(ours)), "u": other],
                          ["t": try id(f.table(theirs)), "u": other])
        #expect(r.isClean)
        var expected = base
        expected[10] = row(10, "ours", "10.50", -1)
        expected.remove(at: 2_000)
        expected.append(row(5_000, "new", nil, nil))
        #expect(r.tables["t"] == (try id(f.table(expected))))
        #expect(r.tables["u"] == other)
        #expect(r.outcomes == ["t": .merged])
        #expect(r.stats["t"]?.rowsFromTheirs == 1)
    }

    @Test func conflictsOfEveryTableAreListed() throws {
        let base = try id(f.table(rows(100)))
        let ours = try id(f.table(rows(100, name: { $0 < 2 ? "o" : "n\($0)" })))
        let theirs = try id(f.table(rows(100, name: { $0 < 2 ? "t" : "n\($0)" })))
        let r = try merge(["a": base, "b": base], ["a": ours, "b": ours], ["a": theirs, "b": theirs])
        #expect(r.conflicts.map(\.table) == ["a", "a", "b", "b"])
        #expect(r.tables["a"] == nil && r.tables["b"] == nil)
        let resolved = try merge(["a": base, "b": base], ["a": ours, "b": ours], ["a": theirs, "b": theirs], strategy: .theirs)
        #expect(resolved.isClean)
        #expect(resolved.tables["a"] == theirs)
        #expect(resolved.conflicts.allSatisfy { $0.resolution == .theirs })
    }

    // MARK: Criss-cross

    /// Commits whose trees hold one table `t`.
    final class History {
        let f: MergeFixture
        var ids: [String: ObjectID] = [:]
        var hour: Int64 = 0
        init(_ f: MergeFixture) { self.f = f }

        func commit(_ name: String, _ parents: [String], rows: [[Value]]) throws {
            hour += 1
            let table = try f.store.write(table: try f.table(rows))
            let tree = try f.store.write(Tree(tables: ["t": table]))
            ids[name] = try f.store.write(commit: Commit(tree: tree, parents: parents.map { ids[$0]! }, actor: "t",
                                                         time: Timestamp(microseconds: hour * 3_600_000_000), message: name))
        }

        func tables(_ name: String) throws -> [String: ObjectID] {
            try f.store.readTree(f.store.readCommit(ids[name]!).tree).tables
        }
    }

    @Test func aCrissCrossMergesAgainstAVirtualBase() throws {
        let h = History(f)
        let base = rows(50)
        func with(_ changes: [Int: [Value]]) -> [[Value]] { base.map { changes[Int($0[0].text!)!] ?? $0 } }
        try h.commit("root", [], rows: base)
        try h.commit("x", ["root"], rows: with([1: row(1, "x", "1.50", 1)]))
        try h.commit("y", ["root"], rows: with([2: row(2, "y", "2.50", 2)]))
        try h.commit("a", ["x", "y"], rows: with([1: row(1, "x", "1.50", 1), 2: row(2, "y", "2.50", 2)]))
        try h.commit("b", ["y", "x"], rows: with([1: row(1, "x", "1.50", 1), 2: row(2, "y", "2.50", 2)]))
        try h.commit("a2", ["a"], rows: with([1: row(1, "x", "1.50", 1), 2: row(2, "y", "2.50", 2), 3: row(3, "a2", "3.50", 3)]))
        try h.commit("b2", ["b"], rows: with([1: row(1, "x", "1.50", 1), 2: row(2, "y", "2.50", 2), 4: row(4, "b2", "4.50", 4)]))
        let bases = try f.store.mergeBases(h.ids["a2"]!, h.ids["b2"]!)
        #expect(Set(bases) == [h.ids["x"]!, h.ids["y"]!])
        let virtual = try f.merger.virtualMergeBase(of: bases)
        #expect(try f.rows(f.store.readTable(virtual["t"]!)) == with([1: row(1, "x", "1.50", 1), 2: row(2, "y", "2.50", 2)]))
        let r = try merge(virtual, try h.tables("a2"), try h.tables("b2"))
        #expect(r.isClean)
        #expect(try f.rows(f.store.readTable(r.tables["t"]!)) == with([1: row(1, "x", "1.50", 1), 2: row(2, "y", "2.50", 2),
                                                                         3: row(3, "a2", "3.50", 3), 4: row(4, "b2", "4.50", 4)]))
    }

    /// The bases conflict (x and y changed one cell two ways) and each side
    /// resolved it differently: against either single base one resolution
    /// would win silently; against the virtual base it is a conflict.
    @Test func resolutionsThatDifferAcrossACrissCrossConflict() throws {
        let h = History(f)
        let base = rows(50)
        func with(_ changes: [Int: [Value]]) -> [[Value]] { base.map { changes[Int($0[0].text!)!] ?? $0 } }
        try h.commit("root", [], rows: base)
        try h.commit("x", ["root"], rows: with([1: row(1, "x", "1.50", 1)]))
        try h.commit("y", ["root"], rows: with([1: row(1, "y", "1.50", 1)]))
        try h.commit("a", ["x", "y"], rows: with([1: row(1, "x", "1.50", 1)]))
        try h.commit("b", ["y", "x"], rows: with([1: row(1, "y", "1.50", 1), 9: row(9, "b", "9.50", 9)]))
        let bases = try f.store.mergeBases(h.ids["a"]!, h.ids["b"]!)
        #expect(bases.count == 2)
        let single = try merge(try h.tables("x"), try h.tables("a"), try h.tables("b"))
        #expect(single.isClean, "against x alone, b's resolution wins silently")
        let virtual = try f.merger.virtualMergeBase(of: bases)
        let virtualRows = try f.rows(f.store.readTable(virtual["t"]!))
        #expect(virtualRows.count == 50)
        #expect(virtualRows[1] == [int(1), MergeValues.unknownBase, dec("1.50"), int(1)], "the cell the bases disagree on is unknown")
        let r = try merge(virtual, try h.tables("a"), try h.tables("b"))
        #expect(r.conflicts.map(\.column) == ["name"])
        #expect(r.conflicts.first?.base == nil)
        #expect(r.conflicts.first?.ours == text("x"))
        #expect(r.conflicts.first?.theirs == text("y"))
    }

    /// x deleted a row that y changed; one side kept the deletion, the other
    /// the change: the outer merge must not settle that silently.
    @Test func aDeleteAgainstModifyResolvedTwoWaysAcrossACrissCrossConflicts() throws {
        let h = History(f)
        let base = rows(50)
        func with(_ changes: [Int: [Value]?]) -> [[Value]] {
            base.compactMap { r in changes[Int(r[0].text!)!].map { $0 } ?? r }
        }
        try h.commit("root", [], rows: base)
        try h.commit("x", ["root"], rows: with([1: nil]))
        try h.commit("y", ["root"], rows: with([1: row(1, "y", "1.50", 1)]))
        try h.commit("a", ["x", "y"], rows: with([1: nil]))
        try h.commit("b", ["y", "x"], rows: with([1: row(1, "y", "1.50", 1)]))
        try h.commit("c", ["y", "x"], rows: with([1: nil, 7: row(7, "c", "7.50", 7)]))
        let bases = try f.store.mergeBases(h.ids["a"]!, h.ids["b"]!)
        let virtual = try f.merger.virtualMergeBase(of: bases)
        let r = try merge(virtual, try h.tables("a"), try h.tables("b"))
        #expect(r.conflicts.map(\.kind) == [.deleteModify])
        #expect(r.conflicts.first?.column == "name")
        #expect(r.conflicts.first?.base == nil)
        #expect(r.conflicts.first?.theirs == text("y"))
        // Both sides resolved it the same way (deleted): clean.
        let same = try merge(try f.merger.virtualMergeBase(of: try f.store.mergeBases(h.ids["a"]!, h.ids["c"]!)),
                             try h.tables("a"), try h.tables("c"))
        #expect(same.isClean)
        #expect(try f.rows(f.store.readTable(same.tables["t"]!)) == with([1: nil, 7: row(7, "c", "7.50", 7)]))
    }
}
