import RockyBase
import RockyStore

/// The outcome of merging one table.
public struct TableMergeResult: Sendable {
    public enum Outcome: String, Sendable {
        /// The result is ours as it was (theirs changed nothing, or the same).
        case keptOurs
        /// The result is theirs as it is (ours changed nothing).
        case tookTheirs
        /// Both sides changed the table; the result combines them.
        case merged
        /// Some conflict stands: there is no result.
        case conflicted
    }

    /// The merged table: nil when it is absent from the result (dropped, or
    /// on neither side) or when a conflict stands.
    public var table: Table?
    public var outcome: Outcome
    /// Every conflict found, resolved or not.
    public var conflicts: [MergeConflict]
    /// The strategy, when it resolved at least one conflict (to record in the commit).
    public var strategyUsed: MergeStrategy?
    public var stats: MergeStats

    public var isClean: Bool { conflicts.allSatisfy(\.isResolved) }
}

/// Three-way merge of tables: the table-level core of `rocky merge`.
///
/// ## Tables
/// Compared whole first: ours equal to theirs, or one side equal to the base,
/// decides without reading a row (a table added on one side is added; one
/// dropped on one side and unchanged on the other is dropped). Dropped on one
/// side and changed on the other is a `table` conflict. Added on both sides
/// with different content merges against an empty base.
///
/// ## Schema
/// Merged by column id first (`SchemaMerge`). A schema conflict that stands
/// stops the table there: rows cannot be compared on a schema that does not
/// exist, so only the schema conflicts are reported (as Dolt does).
///
/// ## Rows
/// Rows merge by key, cell by cell, on the merged column ids:
/// - changed on one side only: that side's row;
/// - changed the same way on both (including deleted on both, or the same row
///   inserted on both): converges;
/// - changed in different cells: the cells combine; one cell changed two ways
///   is a `cell` conflict; a key inserted on both sides with different rows
///   conflicts on each cell that differs (NULL included), except in a column
///   only one side has, which takes that side's value;
/// - deleted on one side and changed on the other: `delete-modify`.
/// Keyless tables merge each distinct row's number of copies as a counter:
/// ours + theirs - base, never below zero (both removing copies removes them;
/// both adding the same row once is one row, the same change); removing every
/// copy on one side while the other added copies is a `multiplicity` conflict.
/// A merged row that breaks the merged schema (a value that does not convert
/// to a column's new type, NULL in a NOT NULL column) is a `constraint`
/// conflict.
///
/// ## Cost
/// Base-to-ours and base-to-theirs are diffed with `TreeDiff`, which skips
/// the subtrees both trees share (theirs on another core, ahead: reading
/// chunks is most of the work), and the two streams are walked together by
/// key; the merged tree is ours edited with `TreeEditor` by the changes theirs
/// brings (or theirs edited by ours' when only theirs is stored in the merged
/// encoding). The work follows the size of the changes, and the result is
/// canonical: the very tree a build of the merged rows from scratch gives.
/// Only when a version's stored form differs from the merged schema's (a key
/// change, or, when neither side's tree can serve as the host, a dropped or
/// retyped column) are that version's rows re-encoded whole, as the change
/// that caused it did on its own side.
///
/// ## Writes
/// Objects are written as the merge goes, conflicts or not: run it inside
/// `ObjectStore.batch` and throw the batch away when a conflict stands.
public struct TableMerger {
    public let store: any ObjectStore
    public let temporaryDirectory: String

    public init(store: any ObjectStore, temporaryDirectory: String) {
        self.store = store
        self.temporaryDirectory = temporaryDirectory
    }

    /// Merges one table; `name` labels its conflicts. `strategy` resolves
    /// every conflict it can to that side.
    public func merge(base: Table?, ours: Table?, theirs: Table?, name: String, strategy: MergeStrategy? = nil) throws -> TableMergeResult {
        try merge(base: base, ours: ours, theirs: theirs, name: name, policy: .report(strategy))
    }

    func merge(base: Table?, ours: Table?, theirs: Table?, name: String, policy: RowMerge.Policy) throws -> TableMergeResult {
        if ours == theirs || base == theirs { return TableMergeResult(table: ours, outcome: .keptOurs, conflicts: [], stats: MergeStats()) }
        if base == ours { return TableMergeResult(table: theirs, outcome: .tookTheirs, conflicts: [], stats: MergeStats()) }
        guard let ours, let theirs else {
            // Dropped on one side, changed on the other.
            let strategy: MergeStrategy?
            switch policy {
            case .virtualBase:
                // Unknown: an empty table, so that both sides differ from it.
                return TableMergeResult(table: Table(schema: (ours ?? theirs)!.schema, root: nil), outcome: .merged,
                                        conflicts: [], stats: MergeStats())
            case let .report(s): strategy = s
            }
            func rows(_ t: Table?) -> Value? { t.map { .integer(Int64($0.rowCount)) } }
            let conflict = MergeConflict(kind: .table, table: name, base: rows(base), ours: rows(ours), theirs: rows(theirs),
                                         resolution: strategy)
            let table = strategy == .theirs ? theirs : strategy == .ours ? ours : nil
            return TableMergeResult(table: table, outcome: strategy == nil ? .conflicted : .merged, conflicts: [conflict],
                                    strategyUsed: strategy, stats: MergeStats())
        }

        var schemaStrategy: MergeStrategy?
        if case let .report(s) = policy { schemaStrategy = s } else { schemaStrategy = .ours }
        let schemaMerge = SchemaMerge.merge(base: base?.schema, ours: ours.schema, theirs: theirs.schema, table: name,
                                            strategy: schemaStrategy)
        var conflicts: [MergeConflict] = []
        if case .report = policy { conflicts = schemaMerge.conflicts }
        guard schemaMerge.isClean else {
            if case .virtualBase = policy {
                return TableMergeResult(table: Table(schema: ours.schema, root: nil), outcome: .merged, conflicts: [], stats: MergeStats())
            }
            return TableMergeResult(table: nil, outcome: .conflicted, conflicts: conflicts, stats: MergeStats())
        }
        // The row merge reads through a cache: the diffs and the editor read the same nodes.
        let reading = TableMerger(store: ReadCache(store), temporaryDirectory: temporaryDirectory)
        let (table, rowConflicts, stats) = try reading.mergeRows(base: base, ours: ours, theirs: theirs, schema: schemaMerge.schema,
                                                         theirsIDs: schemaMerge.theirsColumnIDs, name: name, policy: policy)
        conflicts += rowConflicts
        let clean = conflicts.allSatisfy(\.isResolved)
        var strategyUsed: MergeStrategy?
        if case let .report(s) = policy, conflicts.contains(where: \.isResolved) { strategyUsed = s }
        return TableMergeResult(table: clean ? table : nil, outcome: clean ? .merged : .conflicted, conflicts: conflicts,
                                strategyUsed: strategyUsed, stats: stats)
    }

    /// The row merge on the merged schema.
    private func mergeRows(base: Table?, ours: Table, theirs: Table, schema: Schema, theirsIDs: [Int: Int], name: String,
                           policy: RowMerge.Policy) throws -> (Table, [MergeConflict], MergeStats) {
        let pB = base.map { RowProjector(source: $0.schema, target: schema) }
        let pO = RowProjector(source: ours.schema, target: schema)
        let pT = RowProjector(source: theirs.schema, target: schema, idMap: theirsIDs)
        let baseRoot = base?.root
        var conflicts: [MergeConflict] = []
        var reencoded = 0
        let oursChanges: SideChanges, theirsChanges: SideChanges
        let host: RowMerge.Host, hostRoot: TreeRoot?

        let keysAlign = (baseRoot == nil || pB?.keepsKeyOrder == true) && pO.keepsKeyOrder && pT.keepsKeyOrder
        if keysAlign {
            // Diff the stored trees; project each difference on the way.
            oursChanges = SideChanges(store: store, base: baseRoot, side: ours.root, baseProjector: pB, sideProjector: pO)
            theirsChanges = SideChanges(store: store, base: baseRoot, side: theirs.root, baseProjector: pB, sideProjector: pT)
            if pO.isIdentity {
                (host, hostRoot) = (.ours, ours.root)
            } else if pT.isIdentity {
                (host, hostRoot) = (.theirs, theirs.root)
            } else {
                let projected = try projectTree(ours.root, pO)
                reencoded += projected.reencoded
                (host, hostRoot) = (.ours, projected.root)
            }
        } else {
            // A key change: re-key every version onto the merged key, then diff.
            let b = try pB.map { try projectTree(baseRoot, $0) }
            let o = try projectTree(ours.root, pO), t = try projectTree(theirs.root, pT)
            reencoded += (b?.reencoded ?? 0) + o.reencoded + t.reencoded
            if case .report = policy {
                // Which of two rows owns a key is not a choice between the
                // sides, so no strategy resolves these.
                for (side, rejected) in [(MergeStrategy.ours, o.rejected), (.theirs, t.rejected)] {
                    for (row, field) in rejected {
                        let key = (schema.isKeyless ? Array(schema.columns.indices) : schema.keyIndices)
                            .map { NamedValue(column: schema.columns[$0].name, value: row[$0]) }
                        let shown = Value.text(zip(schema.columns, row).map { "\($0.name)=\($1)" }.joined(separator: ", "))
                        conflicts.append(MergeConflict(kind: .constraint, table: name, key: key, field: field, base: nil,
                                                       ours: side == .ours ? shown : nil, theirs: side == .theirs ? shown : nil))
                    }
                }
            }
            oursChanges = SideChanges(store: store, base: b?.root, side: o.root, baseProjector: nil, sideProjector: nil)
            theirsChanges = SideChanges(store: store, base: b?.root, side: t.root, baseProjector: nil, sideProjector: nil)
            (host, hostRoot) = (.ours, o.root)
        }

        // Theirs is diffed on another core, ahead of ours.
        let theirsAhead = SideChangesAhead(theirsChanges)
        defer { theirsAhead.stop() }
        let walker = RowMerge(schema: schema, table: name, policy: policy, host: host,
                              validate: needsValidation(schema, ours: ours.schema, oursProjector: pO,
                                                        theirs: theirs.schema, theirsProjector: pT, theirsIDs: theirsIDs),
                              ours: oursChanges, theirs: theirsAhead, oursColumns: Set(ours.schema.columns.map(\.id)),
                              theirsColumns: Set(theirs.schema.columns.map { theirsIDs[$0.id] ?? $0.id }))
        let root = try TreeEditor(store: store).apply(walker.changes(), to: hostRoot)
        theirsAhead.stop()
        if let error = walker.error { throw error }
        var stats = walker.stats
        stats.nodesRead = walker.nodesRead
        stats.rowsReencoded = reencoded
        return (Table(schema: schema, root: root), conflicts + walker.conflicts, stats)
    }

    /// Whether merged rows must be checked against the merged schema: not when
    /// both sides store exactly the merged encoding and every NOT NULL column
    /// of the merged schema is NOT NULL on both.
    private func needsValidation(_ merged: Schema, ours: Schema, oursProjector: RowProjector,
                                 theirs: Schema, theirsProjector: RowProjector, theirsIDs: [Int: Int]) -> Bool {
        guard oursProjector.isIdentity, theirsProjector.isIdentity else { return true }
        let keys = Set(merged.key)
        for column in merged.columns where !column.nullable && !keys.contains(column.id) {
            guard ours.column(id: column.id)?.nullable == false else { return true }
            guard theirs.columns.first(where: { (theirsIDs[$0.id] ?? $0.id) == column.id })?.nullable == false else { return true }
        }
        return false
    }
}
