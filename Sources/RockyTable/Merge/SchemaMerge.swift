import RockyBase

/// The merged schema of a table and how theirs' column ids map into it.
public struct SchemaMergeResult: Sendable {
    /// The merged schema. Conflicts are resolved by the strategy; without
    /// one, provisionally toward ours (the rows are not merged then).
    public var schema: Schema
    public var conflicts: [MergeConflict]
    /// Theirs' column id -> the merged id: the identity, except for a column
    /// both sides added (it takes ours' id) and for a column whose id ours
    /// also allocated (renumbered).
    public var theirsColumnIDs: [Int: Int]

    public var isClean: Bool { conflicts.allSatisfy(\.isResolved) }
}

/// Three-way merge of schemas, column by column id.
///
/// Rules:
/// - Every property (name, type, nullability, each of the eight governance
///   fields, the key, the time column) merges three-way: changed on one side,
///   that side wins; changed the same way on both, it converges; changed two
///   ways, it conflicts.
/// - A column dropped on one side is dropped, unless the other side changed
///   it (any property above, or made it part of the key or the time column):
///   then dropped-against-changed conflicts.
/// - A column added on one side is added. Columns added on both sides with the
///   same name (compared case-insensitively) are one column when their types
///   agree: it takes ours' id, and theirs' rows are carried over onto it; its
///   other properties merge against a default column (nullable, no
///   governance). With different types they conflict.
/// - Ids: both sides allocate new ids from the base's `next_column_id`, so
///   they may collide. A column added on ours keeps its id. A column added on
///   theirs keeps its id unless ours allocated that id too (ours' ids from the
///   base's next id up to ours' next id, kept or since dropped: ids are never
///   reused); then it is renumbered from max(ours' next, theirs' next), in
///   theirs' id order. The merged next id is past all of them.
/// - Column order is display only and never conflicts: the side that
///   reordered the base's columns gives the order (ours when both did), and
///   columns only the other side has are placed after the column they follow
///   there.
/// - A column's default merges like its other properties; the table's UNIQUE
///   and CHECK constraints merge as one property (the list). A constraint
///   left reading a dropped column is dropped.
/// - The result must be a valid schema: key and time columns exist (a time
///   column must be TIMESTAMP or DATE), names are unique. A key or time column
///   left pointing at a dropped column conflicts (a strategy takes its side's
///   key or time column); two columns with one name conflict with no
///   resolution. Key columns are NOT NULL.
public enum SchemaMerge {
    public static func merge(base: Schema?, ours: Schema, theirs: Schema, table: String,
                             strategy: MergeStrategy?) -> SchemaMergeResult {
        var merger = Merger(base: base ?? Schema(columns: [], nextColumnID: 1), ours: ours, theirs: theirs,
                            table: table, strategy: strategy)
        return merger.run()
    }
}

private struct Merger {
    let base: Schema, ours: Schema, theirs: Schema
    let table: String
    let strategy: MergeStrategy?
    var conflicts: [MergeConflict] = []
    var theirsIDs: [Int: Int] = [:]
    var nextColumnID = 0

    init(base: Schema, ours: Schema, theirs: Schema, table: String, strategy: MergeStrategy?) {
        self.base = base
        self.ours = ours
        self.theirs = theirs
        self.table = table
        self.strategy = strategy
    }

    mutating func run() -> SchemaMergeResult {
        mapTheirsIDs()
        var columns: [Int: Column] = [:]
        for b in base.columns {
            if let c = mergeBaseColumn(b) { columns[c.id] = c }
        }
        let theirsAdded = theirs.columns.filter { base.column(id: $0.id) == nil }
        for o in ours.columns where base.column(id: o.id) == nil {
            if let t = theirsAdded.first(where: { theirsIDs[$0.id] == o.id }) {
                columns[o.id] = mergeAddedOnBoth(o, t)
            } else {
                columns[o.id] = o
            }
        }
        for t in theirsAdded where columns[theirsIDs[t.id]!] == nil {
            var c = t
            c.id = theirsIDs[t.id]!
            columns[c.id] = c
        }

        let snapshot = self
        let key = property("key", column: nil, base: base.key, ours: ours.key, theirs: theirs.key.map { theirsIDs[$0]! },
                           show: { .text(snapshot.names($0)) })
        let time = property("time_column", column: nil, base: base.timeColumn, ours: ours.timeColumn,
                            theirs: theirs.timeColumn.map { theirsIDs[$0]! }, show: { $0.map { .text(snapshot.name($0)) } })
        let order = ColumnOrder.merge(ids: Set(columns.keys), base: base.columns.map(\.id), ours: ours.columns.map(\.id),
                                      theirs: theirs.columns.map { theirsIDs[$0.id]! })
        let theirsConstraints = theirs.constraints.map { c in
            TableConstraint(name: c.name, rule: c.rule, columns: c.columns.map { theirsIDs[$0]! })
        }
        let constraints = property("constraints", column: nil, base: base.constraints, ours: ours.constraints,
                                   theirs: theirsConstraints, show: { $0.isEmpty ? nil : .text($0.map(\.name).joined(separator: ", ")) })
        var schema = Schema(columns: order.map { columns[$0]! }, key: key, timeColumn: time, nextColumnID: nextColumnID,
                            constraints: constraints)
        validate(&schema)
        return SchemaMergeResult(schema: schema, conflicts: conflicts, theirsColumnIDs: theirsIDs)
    }

    // MARK: Ids

    mutating func mapTheirsIDs() {
        let oursAdded = ours.columns.filter { base.column(id: $0.id) == nil }
        let oursAllocated = base.nextColumnID..<max(base.nextColumnID, ours.nextColumnID)
        let oursIDs = Set(ours.columns.map(\.id))
        var next = max(ours.nextColumnID, theirs.nextColumnID, base.nextColumnID)
        var claimed = Set<Int>()
        for t in theirs.columns.sorted(by: { $0.id < $1.id }) {
            if base.column(id: t.id) != nil { theirsIDs[t.id] = t.id; continue }
            if let o = oursAdded.first(where: { $0.name.lowercased() == t.name.lowercased() && !claimed.contains($0.id) }) {
                claimed.insert(o.id)
                theirsIDs[t.id] = o.id
            } else if oursAllocated.contains(t.id) || oursIDs.contains(t.id) {
                theirsIDs[t.id] = next
                next += 1
            } else {
                theirsIDs[t.id] = t.id
            }
        }
        nextColumnID = next
    }

    // MARK: Columns

    /// A column of the base: dropped, kept, or merged property by property.
    mutating func mergeBaseColumn(_ b: Column) -> Column? {
        let o = ours.column(id: b.id), t = theirs.column(id: b.id)
        switch (o, t) {
        case (nil, nil):
            return nil
        case let (nil, t?):
            guard changed(b, t, in: theirs) else { return nil }
            let r = conflict(.schema, column: t.name, id: b.id, field: "column", base: .text(b.name), ours: nil, theirs: .text(t.name))
            return r == .theirs ? t : nil
        case let (o?, nil):
            guard changed(b, o, in: ours) else { return nil }
            let r = conflict(.schema, column: o.name, id: b.id, field: "column", base: .text(b.name), ours: .text(o.name), theirs: nil)
            return r == .theirs ? nil : o
        case let (o?, t?):
            return mergeProperties(base: b, o, t)
        }
    }

    /// Whether a side changed a base column (so that dropping it conflicts).
    func changed(_ b: Column, _ c: Column, in side: Schema) -> Bool {
        b.name != c.name || b.type != c.type || b.nullable != c.nullable || b.governance != c.governance
            || b.defaultValue != c.defaultValue
            || base.key.firstIndex(of: b.id) != side.key.firstIndex(of: b.id)
            || (base.timeColumn == b.id) != (side.timeColumn == b.id)
    }

    mutating func mergeAddedOnBoth(_ o: Column, _ t: Column) -> Column {
        guard o.type == t.type else {
            let r = conflict(.schema, column: o.name, id: o.id, field: "type", base: nil,
                             ours: .text(o.type.name), theirs: .text(t.type.name))
            var c = r == .theirs ? t : o
            c.id = o.id
            return c
        }
        // Added alike: the properties merge against a default column (named
        // as theirs, so that ours' spelling of the name wins).
        let blank = Column(id: o.id, name: t.name, type: o.type)
        var t = t
        t.id = o.id
        return mergeProperties(base: blank, o, t)
    }

    mutating func mergeProperties(base b: Column, _ o: Column, _ t: Column) -> Column {
        var c = o
        let label = o.name
        c.name = property("name", column: label, id: b.id, base: b.name, ours: o.name, theirs: t.name) { .text($0) }
        c.type = property("type", column: label, id: b.id, base: b.type, ours: o.type, theirs: t.type) { .text($0.name) }
        c.nullable = property("nullable", column: label, id: b.id, base: b.nullable, ours: o.nullable, theirs: t.nullable) { .boolean($0) }
        c.defaultValue = property("default", column: label, id: b.id, base: b.defaultValue, ours: o.defaultValue,
                                  theirs: t.defaultValue) { $0.map(Value.text) }
        c.governance = mergeGovernance(b.governance, o.governance, t.governance, column: label, id: b.id)
        return c
    }

    mutating func mergeGovernance(_ b: ColumnGovernance, _ o: ColumnGovernance, _ t: ColumnGovernance,
                                  column: String, id: Int) -> ColumnGovernance {
        func text(_ s: String?) -> Value? { s.map(Value.text) }
        func list(_ items: [String]) -> Value? { items.isEmpty ? nil : .text(items.joined(separator: ", ")) }
        var g = o
        g.classification = property("governance.classification", column: column, id: id, base: b.classification,
                                    ours: o.classification, theirs: t.classification) { text($0?.label) }
        g.owner = property("governance.owner", column: column, id: id, base: b.owner, ours: o.owner, theirs: t.owner) { text($0) }
        g.description = property("governance.description", column: column, id: id, base: b.description,
                                 ours: o.description, theirs: t.description) { text($0) }
        g.masking = property("governance.masking", column: column, id: id, base: b.masking, ours: o.masking, theirs: t.masking) {
            list($0.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value.rawValue)" })
        }
        g.access = property("governance.access", column: column, id: id, base: b.access, ours: o.access, theirs: t.access) { list($0) }
        g.retention = property("governance.retention", column: column, id: id, base: b.retention,
                               ours: o.retention, theirs: t.retention) { text($0) }
        g.source = property("governance.source", column: column, id: id, base: b.source, ours: o.source, theirs: t.source) { text($0) }
        g.tags = property("governance.tags", column: column, id: id, base: b.tags, ours: o.tags, theirs: t.tags) { list($0) }
        return g
    }

    // MARK: Three-way

    /// One property, three-way; a conflict takes the strategy's side (ours without one).
    mutating func property<T: Equatable>(_ field: String, column: String?, id: Int? = nil, base b: T, ours o: T, theirs t: T,
                                         show: (T) -> Value?) -> T {
        if o == t || t == b { return o }
        if o == b { return t }
        let r = conflict(.schema, column: column, id: id, field: field, base: show(b), ours: show(o), theirs: show(t))
        return r == .theirs ? t : o
    }

    /// Records a conflict; returns the side that resolves it (nil: none, provisionally ours).
    @discardableResult
    mutating func conflict(_ kind: MergeConflict.Kind, column: String?, id: Int?, field: String, base: Value?, ours: Value?,
                           theirs: Value?, resolvable: Bool = true) -> MergeStrategy? {
        let resolution = resolvable ? strategy : nil
        conflicts.append(MergeConflict(kind: kind, table: table, column: column, columnID: id, field: field,
                                       base: base, ours: ours, theirs: theirs, resolution: resolution))
        return resolution
    }

    // MARK: Validity

    /// A column's name by merged id, from whichever version has it.
    func name(_ id: Int) -> String {
        ours.column(id: id)?.name ?? theirs.columns.first { theirsIDs[$0.id] == id }?.name ?? base.column(id: id)?.name ?? "#\(id)"
    }

    func names(_ ids: [Int]) -> String { ids.isEmpty ? "(keyless)" : ids.map(name).joined(separator: ", ") }

    mutating func validate(_ schema: inout Schema) {
        let present = Set(schema.columns.map(\.id))
        if !schema.key.allSatisfy(present.contains) || Set(schema.key).count != schema.key.count {
            let r = conflict(.schema, column: nil, id: nil, field: "key", base: .text(names(base.key)),
                             ours: .text(names(ours.key)), theirs: .text(names(theirs.key.map { theirsIDs[$0]! })))
            let fallback = r == .theirs ? theirs.key.map { theirsIDs[$0]! } : ours.key
            if r != nil, fallback.allSatisfy(present.contains) {
                schema.key = fallback
            } else {
                conflicts[conflicts.count - 1].resolution = nil
                schema.key = schema.key.filter(present.contains)
            }
        }
        func timeIsValid(_ id: Int?) -> Bool {
            guard let id else { return true }
            guard let c = schema.column(id: id) else { return false }
            return c.type == .timestamp || c.type == .date
        }
        if !timeIsValid(schema.timeColumn) {
            let theirsTime = theirs.timeColumn.map { theirsIDs[$0]! }
            let r = conflict(.schema, column: nil, id: nil, field: "time_column", base: base.timeColumn.map { .text(name($0)) },
                             ours: ours.timeColumn.map { .text(name($0)) }, theirs: theirsTime.map { .text(name($0)) })
            let fallback = r == .theirs ? theirsTime : ours.timeColumn
            if r != nil, timeIsValid(fallback) {
                schema.timeColumn = fallback
            } else {
                conflicts[conflicts.count - 1].resolution = nil
                schema.timeColumn = nil
            }
        }
        var seen: [String: Column] = [:]
        for column in schema.columns {
            if let other = seen[column.name.lowercased()] {
                conflict(.schema, column: column.name, id: column.id, field: "columns", base: nil,
                         ours: .text("\(other.name) (id \(other.id))"), theirs: .text("\(column.name) (id \(column.id))"),
                         resolvable: false)
            }
            seen[column.name.lowercased()] = column
        }
        if schema.columns.isEmpty {
            conflict(.schema, column: nil, id: nil, field: "columns", base: nil, ours: nil, theirs: nil, resolvable: false)
        }
        for id in schema.key { if let i = schema.index(ofColumn: id) { schema.columns[i].nullable = false } }
        // A constraint reading a dropped column goes with it (as DROP COLUMN
        // refuses to leave one behind, the other side's drop wins here).
        schema.constraints.removeAll { !$0.columns.allSatisfy(present.contains) }
    }
}

/// The display order of merged columns (see `SchemaMerge`).
enum ColumnOrder {
    static func merge(ids: Set<Int>, base: [Int], ours: [Int], theirs: [Int]) -> [Int] {
        func reordered(_ side: [Int]) -> Bool {
            let kept = Set(side)
            return base.filter { kept.contains($0) } != side.filter { Set(base).contains($0) }
        }
        let theirsLeads = reordered(theirs) && !reordered(ours)
        let skeleton = theirsLeads ? theirs : ours, other = theirsLeads ? ours : theirs
        var result = skeleton.filter(ids.contains)
        for (i, id) in other.enumerated() where ids.contains(id) && !result.contains(id) {
            var position = 0
            for previous in other[..<i].reversed() {
                if let p = result.firstIndex(of: previous) { position = p + 1; break }
            }
            result.insert(id, at: position)
        }
        return result
    }
}
