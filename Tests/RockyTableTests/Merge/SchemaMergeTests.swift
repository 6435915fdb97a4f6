import RockyBase
@testable import RockyTable
import Testing

@Suite struct SchemaMergeTests {
    /// id 1 (key), name 2, price 3, qty 4; next id 5.
    let base = try! Schema(named: [("id", .integer), ("name", .text), ("price", .decimal(precision: 12, scale: 2)), ("qty", .integer)],
                           key: ["id"])

    func merge(_ ours: Schema, _ theirs: Schema, strategy: MergeStrategy? = nil) -> SchemaMergeResult {
        SchemaMerge.merge(base: base, ours: ours, theirs: theirs, table: "t", strategy: strategy)
    }

    func adding(_ schema: Schema, _ name: String, _ type: ColumnType, nullable: Bool = true) -> Schema {
        var s = schema
        s.columns.append(Column(id: s.nextColumnID, name: name, type: type, nullable: nullable))
        s.nextColumnID += 1
        return s
    }

    func changing(_ schema: Schema, _ id: Int, _ change: (inout Column) -> Void) -> Schema {
        var s = schema
        change(&s.columns[s.index(ofColumn: id)!])
        return s
    }

    func dropping(_ schema: Schema, _ id: Int) -> Schema {
        var s = schema
        s.columns.removeAll { $0.id == id }
        return s
    }

    @Test func oneSidedChangesWin() {
        let ours = changing(base, 2) { $0.name = "label" }
        let theirs = dropping(adding(base, "venue", .text), 4)
        let r = merge(ours, theirs)
        #expect(r.conflicts.isEmpty)
        #expect(r.schema.columns.map(\.name) == ["id", "label", "price", "venue"])
        #expect(r.schema.columns.map(\.id) == [1, 2, 3, 5])
        #expect(r.schema.nextColumnID == 6)
        #expect(r.theirsColumnIDs[5] == 5)
    }

    @Test func theSameColumnAddedOnBothSidesIsOneColumnWithOursID() {
        // Ours adds two columns, theirs one of them (same name, other case) and another.
        let ours = adding(adding(base, "venue", .text), "fee", .decimal(precision: 10, scale: 4))
        let theirs = adding(adding(base, "Fee", .decimal(precision: 10, scale: 4)), "side", .text)
        let r = merge(ours, theirs)
        #expect(r.conflicts.isEmpty)
        #expect(r.schema.columns.map(\.name) == ["id", "name", "price", "qty", "venue", "fee", "side"])
        // fee: ours' id 6; theirs' fee (5) maps onto it; side (theirs 6, allocated by ours too) is renumbered.
        #expect(r.schema.column(named: "fee")?.id == 6)
        #expect(r.theirsColumnIDs[5] == 6)
        #expect(r.theirsColumnIDs[6] == 7)
        #expect(r.schema.column(named: "side")?.id == 7)
        #expect(r.schema.nextColumnID == 8)
        #expect(throws: Never.self) { try r.schema.validate() }
    }

    @Test func theSameColumnAddedWithDifferentTypesConflicts() {
        let ours = adding(base, "venue", .text)
        let theirs = adding(base, "venue", .integer)
        let r = merge(ours, theirs)
        #expect(r.conflicts == [MergeConflict(kind: .schema, table: "t", column: "venue", columnID: 5, field: "type",
                                              base: nil, ours: .text("TEXT"), theirs: .text("INTEGER"))])
        #expect(!r.isClean)
        let resolved = merge(ours, theirs, strategy: .theirs)
        #expect(resolved.isClean)
        #expect(resolved.schema.column(named: "venue")?.type == .integer)
        #expect(resolved.schema.column(named: "venue")?.id == 5)
    }

    @Test func addedOnBothWithOtherPropertiesMergesThemAgainstADefault() {
        var ours = adding(base, "venue", .text)
        ours = changing(ours, 5) { $0.governance.owner = "ops" }
        var theirs = adding(base, "venue", .text, nullable: false)
        theirs = changing(theirs, 5) { $0.governance.owner = "ops"; $0.governance.tags = ["x"] }
        let r = merge(ours, theirs)
        #expect(r.conflicts.isEmpty)
        let venue = r.schema.column(named: "venue")!
        #expect(venue.nullable == false)
        #expect(venue.governance.owner == "ops")
        #expect(venue.governance.tags == ["x"])
    }

    @Test func renameOnOneSideKeepsTheID() {
        let r = merge(changing(base, 3) { $0.name = "close" }, changing(base, 4) { $0.type = .decimal(precision: 18, scale: 0) })
        #expect(r.conflicts.isEmpty)
        #expect(r.schema.column(id: 3)?.name == "close")
        #expect(r.schema.column(id: 4)?.type == .decimal(precision: 18, scale: 0))
    }

    @Test func renameAgainstDropConflicts() {
        let renamed = changing(base, 3) { $0.name = "close" }
        let dropped = dropping(base, 3)
        let r = merge(renamed, dropped)
        #expect(r.conflicts == [MergeConflict(kind: .schema, table: "t", column: "close", columnID: 3, field: "column",
                                              base: .text("price"), ours: .text("close"), theirs: nil)])
        #expect(merge(renamed, dropped, strategy: .ours).schema.column(id: 3)?.name == "close")
        #expect(merge(renamed, dropped, strategy: .theirs).schema.column(id: 3) == nil)
        #expect(merge(dropped, renamed, strategy: .ours).schema.column(id: 3) == nil)
        #expect(merge(dropped, renamed).conflicts.first?.theirs == .text("close"))
        // Dropped on one side and untouched on the other: dropped.
        #expect(merge(dropped, base).schema.column(id: 3) == nil)
        #expect(merge(base, dropped).conflicts.isEmpty)
        // Dropped on both: dropped.
        #expect(merge(dropped, dropped).schema.column(id: 3) == nil)
    }

    @Test func renamesOnBothSides() {
        let a = changing(base, 2) { $0.name = "label" }, b = changing(base, 2) { $0.name = "title" }
        let r = merge(a, b)
        #expect(r.conflicts.map(\.field) == ["name"])
        #expect(r.conflicts.first?.base == .text("name"))
        #expect(merge(a, b, strategy: .theirs).schema.column(id: 2)?.name == "title")
        #expect(merge(a, a).conflicts.isEmpty, "the same rename converges")
    }

    @Test func typeChanges() {
        let toDouble = changing(base, 4) { $0.type = .double }
        let toText = changing(base, 4) { $0.type = .text }
        #expect(merge(toDouble, base).schema.column(id: 4)?.type == .double)
        #expect(merge(base, toDouble).schema.column(id: 4)?.type == .double)
        #expect(merge(toDouble, toDouble).conflicts.isEmpty)
        let r = merge(toDouble, toText)
        #expect(r.conflicts == [MergeConflict(kind: .schema, table: "t", column: "qty", columnID: 4, field: "type",
                                              base: .text("INTEGER"), ours: .text("DOUBLE"), theirs: .text("TEXT"))])
        #expect(merge(toDouble, toText, strategy: .theirs).schema.column(id: 4)?.type == .text)
    }

    @Test func keyChanges() throws {
        var composite = base
        try composite.setKey(["id", "name"])
        var byName = base
        try byName.setKey(["name"])
        let r = merge(composite, base)
        #expect(r.conflicts.isEmpty)
        #expect(r.schema.key == [1, 2])
        #expect(r.schema.column(id: 2)?.nullable == false, "key columns are NOT NULL")
        let both = merge(composite, byName)
        #expect(both.conflicts.map(\.field).contains("key"))
        #expect(both.conflicts.first { $0.field == "key" }?.ours == .text("id, name"))
        #expect(merge(composite, byName, strategy: .theirs).schema.key == [2])
        // A key that uses a column the other side dropped.
        let r2 = merge(composite, dropping(base, 2))
        #expect(r2.conflicts.map(\.field) == ["column"])
        let r3 = merge(composite, dropping(base, 2), strategy: .theirs)
        #expect(r3.isClean)
        #expect(r3.schema.key == [1])
        #expect(r3.schema.column(id: 2) == nil)
    }

    @Test func timeColumnChanges() throws {
        var withTime = adding(base, "at", .timestamp)
        try withTime.setTimeColumn("at")
        var withDay = adding(base, "day", .date)
        try withDay.setTimeColumn("day")
        let r = merge(withTime, base)
        #expect(r.schema.timeColumnName == "at")
        let both = merge(withTime, withDay)
        // Both added a column (different names, so two columns) and set the time column two ways.
        #expect(both.conflicts.map(\.field) == ["time_column"])
        #expect(merge(withTime, withDay, strategy: .theirs).schema.timeColumnName == "day")
        // Time column set on one side, its column dropped on the other.
        var timed = base
        timed.columns.append(Column(id: 5, name: "at", type: .timestamp))
        timed.nextColumnID = 6
        let baseWithAt = timed
        try timed.setTimeColumn("at")
        let r2 = SchemaMerge.merge(base: baseWithAt, ours: timed, theirs: dropping(baseWithAt, 5), table: "t", strategy: nil)
        #expect(r2.conflicts.map(\.field) == ["column"])
    }

    @Test func governanceMergesFieldByField() {
        let ours = changing(base, 3) { $0.governance.classification = .financial; $0.governance.owner = "desk" }
        let theirs = changing(base, 3) { $0.governance.description = "close price"; $0.governance.owner = "desk" }
        let r = merge(ours, theirs)
        #expect(r.conflicts.isEmpty)
        let g = r.schema.column(id: 3)!.governance
        #expect(g.classification == .financial)
        #expect(g.description == "close price")
        #expect(g.owner == "desk")
        let clash = merge(changing(base, 3) { $0.governance.masking = ["prod": .hash] },
                          changing(base, 3) { $0.governance.masking = ["prod": .redact] })
        #expect(clash.conflicts == [MergeConflict(kind: .schema, table: "t", column: "price", columnID: 3, field: "governance.masking",
                                                  base: nil, ours: .text("prod=hash"), theirs: .text("prod=redact"))])
    }

    @Test func nullability() {
        let notNull = changing(base, 2) { $0.nullable = false }
        #expect(merge(base, notNull).schema.column(id: 2)?.nullable == false)
        #expect(merge(notNull, notNull).conflicts.isEmpty)
        var nullableBase = base
        nullableBase.columns[1].nullable = false
        let r = SchemaMerge.merge(base: nullableBase, ours: base, theirs: nullableBase, table: "t", strategy: nil)
        #expect(r.schema.column(id: 2)?.nullable == true)
    }

    @Test func columnOrder() {
        var reordered = base
        reordered.columns = [base.columns[0], base.columns[3], base.columns[1], base.columns[2]]
        let withVenue = adding(base, "venue", .text)
        // Theirs reordered; ours added a column: theirs' order, venue after what precedes it in ours (qty).
        let r = merge(withVenue, reordered)
        #expect(r.schema.columns.map(\.name) == ["id", "qty", "venue", "name", "price"])
        // Inserted in the middle on ours: stays after its predecessor.
        var middle = base
        middle.columns.insert(Column(id: 5, name: "venue", type: .text), at: 1)
        middle.nextColumnID = 6
        #expect(merge(middle, reordered).schema.columns.map(\.name) == ["id", "venue", "qty", "name", "price"])
        // Both reordered: ours wins, no conflict.
        var other = base
        other.columns.reverse()
        let both = merge(other, reordered)
        #expect(both.conflicts.isEmpty)
        #expect(both.schema.columns.map(\.name) == ["qty", "price", "name", "id"])
    }

    @Test func idsOursAllocatedAreNotReusedForTheirs() {
        // Ours added a column and dropped it again: id 5 is spent.
        var ours = adding(base, "tmp", .text)
        ours = dropping(ours, 5)
        let theirs = adding(base, "venue", .text)
        let r = merge(ours, theirs)
        #expect(r.schema.column(named: "venue")?.id == 6)
        #expect(r.theirsColumnIDs[5] == 6)
        #expect(r.schema.nextColumnID == 7)
        // Ours added nothing: theirs' ids stay.
        #expect(merge(base, theirs).schema.column(named: "venue")?.id == 5)
    }

    @Test func namesThatClashAreAConflictNoStrategyResolves() {
        let ours = changing(base, 2) { $0.name = "venue" }
        let theirs = adding(base, "venue", .text)
        for strategy in [nil, MergeStrategy.ours, .theirs] {
            let r = merge(ours, theirs, strategy: strategy)
            #expect(!r.isClean)
            #expect(r.conflicts.map(\.field) == ["columns"])
        }
    }

    @Test func tablesAddedOnBothSidesMatchColumnsByName() throws {
        let ours = try Schema(named: [("k", .integer), ("a", .text), ("b", .integer)], key: ["k"])
        let theirs = try Schema(named: [("k", .integer), ("c", .double), ("b", .integer)], key: ["k"])
        let r = SchemaMerge.merge(base: nil, ours: ours, theirs: theirs, table: "t", strategy: nil)
        #expect(r.conflicts.isEmpty)
        #expect(r.schema.columns.map(\.name) == ["k", "c", "a", "b"])
        #expect(r.schema.columns.map(\.id) == [1, 4, 2, 3])
        #expect(r.theirsColumnIDs == [1: 1, 2: 4, 3: 3])
        #expect(r.schema.key == [1])
        #expect(r.schema.nextColumnID == 5)
    }
}
