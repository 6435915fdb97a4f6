import RockyBase
import RockyStore

/// A key one side changed since the base, in the merged encoding.
struct SideChange {
    var key: [UInt8]
    var base: [UInt8]?
    var side: [UInt8]?
}

/// The changes from the base to one side, in merged key order, streamed from
/// a `TreeDiff` (which skips the subtrees both trees share). When a tree is
/// not stored in the merged encoding, each difference is projected; one that
/// vanishes in the projection (only a dropped column differed) is skipped.
struct SideChanges {
    private var diff: TreeDiff
    private let baseProjector: RowProjector?
    private let sideProjector: RowProjector?

    /// Projectors are nil for trees already in the merged encoding; otherwise
    /// they must keep the key order.
    init(store: any ObjectStore, base: TreeRoot?, side: TreeRoot?, baseProjector: RowProjector?, sideProjector: RowProjector?) {
        diff = TreeDiff(store: store, old: base, new: side)
        self.baseProjector = baseProjector.flatMap { $0.isIdentity ? nil : $0 }
        self.sideProjector = sideProjector.flatMap { $0.isIdentity ? nil : $0 }
    }

    var nodesRead: Int { diff.nodesRead }

    mutating func next() throws -> SideChange? {
        while let d = try diff.nextDifference() {
            let base = try d.old.map { v in try baseProjector?.projectValue(key: d.key[...], value: v) ?? Array(v) }
            let side = try d.new.map { v in try sideProjector?.projectValue(key: d.key[...], value: v) ?? Array(v) }
            if base == side { continue }
            return SideChange(key: d.key, base: base, side: side)
        }
        return nil
    }
}

/// Walks the changes of both sides together by key and decides each row:
/// the row merge of `TableMerger`. It is pulled by `TreeEditor` one change at
/// a time and yields what must change in the host tree (ours' rows, or
/// theirs' when ours' are not stored in the merged encoding), so the work
/// follows the changes, not the table.
final class RowMerge {
    enum Host { case ours, theirs }

    /// What to do with conflicts: report them (resolved by a strategy or
    /// not), or, for a virtual merge base, mark what is in conflict as
    /// unknown (`MergeValues.unknownBase`).
    enum Policy {
        case report(MergeStrategy?)
        case virtualBase
    }

    private let schema: Schema
    private let codec: RowCodec
    private let table: String
    private let policy: Policy
    private let host: Host
    private let validate: Bool
    private var ours: SideChanges
    private let theirs: SideChangesAhead
    private var x: SideChange?
    private var y: SideChange?
    private var started = false
    /// Column positions and types by id, for decoding cells.
    private let columnByID: [Int: Column]
    private let notNullColumns: [Int]
    /// Merged column ids each side's schema has.
    private let oursColumns: Set<Int>
    private let theirsColumns: Set<Int>

    private(set) var conflicts: [MergeConflict] = []
    private(set) var stats = MergeStats()
    private(set) var error: Error?

    init(schema: Schema, table: String, policy: Policy, host: Host, validate: Bool, ours: SideChanges, theirs: SideChangesAhead,
         oursColumns: Set<Int>, theirsColumns: Set<Int>) {
        self.oursColumns = oursColumns
        self.theirsColumns = theirsColumns
        self.schema = schema
        codec = RowCodec(schema: schema)
        self.table = table
        self.policy = policy
        self.host = host
        self.validate = validate
        self.ours = ours
        self.theirs = theirs
        columnByID = Dictionary(uniqueKeysWithValues: schema.columns.map { ($0.id, $0) })
        let keys = Set(schema.key)
        notNullColumns = schema.columns.filter { !$0.nullable && !keys.contains($0.id) }.map(\.id).sorted()
    }

    private var strategy: MergeStrategy? {
        if case let .report(s) = policy { return s }
        return nil
    }

    var nodesRead: Int { ours.nodesRead + theirs.nodesRead }

    /// The changes for the host tree; stops at the first error (see `error`).
    func changes() -> AnyIterator<KeyedChange> {
        AnyIterator { [self] in
            guard error == nil else { return nil }
            do { return try nextChange() } catch {
                self.error = error
                return nil
            }
        }
    }

    private func nextChange() throws -> KeyedChange? {
        if !started {
            x = try ours.next()
            y = try theirs.next()
            started = true
        }
        while x != nil || y != nil {
            let key: [UInt8], b: [UInt8]?, o: [UInt8]?, t: [UInt8]?
            let order = x.flatMap { x in y.map { compareBytes(x.key, $0.key) } } ?? (x == nil ? 1 : -1)
            if order < 0 {
                let c = x!
                (key, b, o, t) = (c.key, c.base, c.side, c.base)
                stats.oursChangedRows += 1
                x = try ours.next()
            } else if order > 0 {
                let c = y!
                (key, b, o, t) = (c.key, c.base, c.base, c.side)
                stats.theirsChangedRows += 1
                y = try theirs.next()
            } else {
                (key, b, o, t) = (x!.key, x!.base, x!.side, y!.side)
                stats.oursChangedRows += 1
                stats.theirsChangedRows += 1
                x = try ours.next()
                y = try theirs.next()
            }
            let merged = try mergeRow(key: key, base: b, ours: o, theirs: t)
            switch (o, merged) {
            case (nil, _?): stats.rowsInserted += 1
            case (_?, nil): stats.rowsDeleted += 1
            case let (o?, m?) where o != m: stats.rowsUpdated += 1
            default: break
            }
            let current = host == .ours ? o : t
            if merged != current {
                return KeyedChange(key: key, change: merged.map { .upsert($0) } ?? .delete)
            }
        }
        return nil
    }

    // MARK: One row

    private func mergeRow(key: [UInt8], base b: [UInt8]?, ours o: [UInt8]?, theirs t: [UInt8]?) throws -> [UInt8]? {
        let conflictsBefore = conflicts.count
        var merged: [UInt8]?
        if o == t {
            if o != b { stats.rowsConverged += 1 }
            merged = o
        } else if o == b {
            stats.rowsFromTheirs += 1
            merged = t
        } else if t == b {
            merged = o
        } else if codec.isKeyless {
            merged = try mergeCounts(key: key, base: b, ours: o, theirs: t)
        } else if o == nil || t == nil {
            merged = try deleteAgainstModify(key: key, base: b, ours: o, theirs: t)
        } else {
            merged = try mergeCells(key: key, base: b, ours: o!, theirs: t!)
        }
        if validate, case .report = policy, let row = merged {
            merged = try checkConstraints(key: key, merged: row, base: b, ours: o, theirs: t)
        }
        if conflicts.count > conflictsBefore { stats.conflictingRows += 1 }
        return merged
    }

    /// Both sides changed a keyed row and neither deleted it: cell by cell.
    private func mergeCells(key: [UInt8], base b: [UInt8]?, ours o: [UInt8], theirs t: [UInt8]) throws -> [UInt8]? {
        let bc = try b.map { try MergeValues.cells($0[...]) } ?? []
        let oc = try MergeValues.cells(o[...]), tc = try MergeValues.cells(t[...])
        var ids = Set(bc.map(\.id)).union(oc.map(\.id)).union(tc.map(\.id)).sorted()[...]
        func cell(_ list: [(id: Int, bytes: ArraySlice<UInt8>)], _ id: Int) -> ArraySlice<UInt8>? {
            list.first { $0.id == id }?.bytes
        }
        var out: [UInt8] = []
        var fromTheirs = 0, conflicted = false
        while let id = ids.popFirst() {
            let bv = cell(bc, id), ov = cell(oc, id), tv = cell(tc, id)
            let chosen: ArraySlice<UInt8>?
            if ov == tv {
                chosen = ov
            } else if b == nil && !oursColumns.contains(id) {
                // Inserted on both sides, in a column only theirs has: not a choice ours made.
                chosen = tv
                fromTheirs += 1
            } else if b == nil && !theirsColumns.contains(id) {
                chosen = ov
            } else if b != nil && ov == bv {
                chosen = tv
                fromTheirs += 1
            } else if b != nil && tv == bv {
                chosen = ov
            } else {
                conflicted = true
                switch policy {
                case .virtualBase:
                    chosen = MergeValues.unknownBaseCell[...]
                case let .report(strategy):
                    record(.cell, key: key, columnID: id, base: try b.map { _ in try value(bv) }, ours: try value(ov),
                           theirs: try value(tv), resolution: strategy)
                    chosen = strategy == .theirs ? tv : ov
                }
            }
            if let chosen {
                Varint.append(id, to: &out)
                out.append(contentsOf: chosen)
            }
        }
        if !conflicted {
            stats.rowsCombined += 1
            stats.cellsFromTheirs += fromTheirs
        }
        return out
    }

    /// One side deleted the row, the other changed it: a conflict for each
    /// cell the changing side changed.
    private func deleteAgainstModify(key: [UInt8], base b: [UInt8]?, ours o: [UInt8]?, theirs t: [UInt8]?) throws -> [UInt8]? {
        let changedSide = o ?? t!
        let bc = try b.map { try MergeValues.cells($0[...]) } ?? []
        let sc = try MergeValues.cells(changedSide[...])
        var unknown: [UInt8] = []
        for id in Set(bc.map(\.id)).union(sc.map(\.id)).sorted() {
            let bv = bc.first { $0.id == id }?.bytes, sv = sc.first { $0.id == id }?.bytes
            switch policy {
            case .virtualBase:
                // The changed row, with what the deleting side refused marked unknown.
                Varint.append(id, to: &unknown)
                unknown += bv == sv ? Array(sv!) : MergeValues.unknownBaseCell
            case let .report(strategy):
                guard bv != sv else { continue }
                let changed = try value(sv)
                record(.deleteModify, key: key, columnID: id, base: try value(bv), ours: o == nil ? nil : changed,
                       theirs: t == nil ? nil : changed, resolution: strategy)
            }
        }
        if case .virtualBase = policy { return unknown }
        return strategy == .theirs ? t : o
    }

    /// Keyless rows: copies add and remove like a counter (ours + theirs -
    /// base, never below zero), except that removing every copy on one side
    /// while the other added copies conflicts, as delete against modify.
    private func mergeCounts(key: [UInt8], base b: [UInt8]?, ours o: [UInt8]?, theirs t: [UInt8]?) throws -> [UInt8]? {
        let bn = try MergeValues.multiplicity(b?[...]), on = try MergeValues.multiplicity(o?[...]), tn = try MergeValues.multiplicity(t?[...])
        if (on == 0 && tn > bn) || (tn == 0 && on > bn) {
            switch policy {
            case .virtualBase:
                return o
            case let .report(strategy):
                func count(_ n: Int) -> Value? { n == 0 ? nil : .integer(Int64(n)) }
                record(.multiplicity, key: key, columnID: nil, base: count(bn), ours: count(on), theirs: count(tn), resolution: strategy)
                return strategy == .theirs ? t : o
            }
        }
        stats.rowsCombined += 1
        let n = max(0, on + tn - bn)
        return n > 0 ? RowCodec.multiplicity(n) : nil
    }

    // MARK: Constraints

    /// A merged row must fit the merged schema: values of the column's type,
    /// no NULL in a NOT NULL column. A row that does not is a constraint
    /// conflict, resolved by the strategy's version of the row when that one fits.
    private func checkConstraints(key: [UInt8], merged: [UInt8], base b: [UInt8]?, ours o: [UInt8]?, theirs t: [UInt8]?) throws -> [UInt8]? {
        let problems = try violations(key: key, row: merged)
        guard !problems.isEmpty, case let .report(strategy) = policy else { return merged }
        let fallback = strategy == .theirs ? t : o
        let resolved = try strategy != nil && (fallback == nil || violations(key: key, row: fallback!).isEmpty)
        for (id, field) in problems {
            func cell(_ row: [UInt8]?) throws -> Value? {
                guard let row else { return nil }
                if codec.isKeyless { return .integer(Int64(try MergeValues.multiplicity(row[...]))) }
                return try value(MergeValues.cells(row[...]).first { $0.id == id }?.bytes)
            }
            record(.constraint, key: key, columnID: id, field: field, base: try cell(b), ours: try cell(o), theirs: try cell(t),
                   resolution: resolved ? strategy : nil)
        }
        return resolved ? fallback : merged
    }

    /// The columns where a row breaks the merged schema, with what is wrong.
    private func violations(key: [UInt8], row: [UInt8]) throws -> [(Int, String)] {
        if codec.isKeyless {
            var values = [Value](repeating: .null, count: schema.columns.count)
            try key.withUnsafeBytes { try codec.decodeKey($0, into: &values) }
            return zip(schema.columns, values).compactMap { column, v in
                if v.isNull { return column.nullable ? nil : (column.id, "not_null") }
                return v.fits(column.type) ? nil : (column.id, "type")
            }
        }
        var problems: [(Int, String)] = []
        let cells = try MergeValues.cells(row[...])
        for (id, bytes) in cells {
            guard let column = columnByID[id] else { problems.append((id, "type")); continue }
            if !(try MergeValues.decodeCell(bytes)).fits(column.type) { problems.append((id, "type")) }
        }
        for id in notNullColumns where !cells.contains(where: { $0.id == id }) { problems.append((id, "not_null")) }
        return problems
    }

    // MARK: Reporting

    private func value(_ cell: ArraySlice<UInt8>?) throws -> Value {
        try cell.map(MergeValues.decodeCell) ?? .null
    }

    private func record(_ kind: MergeConflict.Kind, key: [UInt8], columnID: Int?, field: String? = nil,
                        base: Value?, ours: Value?, theirs: Value?, resolution: MergeStrategy?) {
        // A base cell a virtual base marked unknown is reported as absent.
        let base = base == MergeValues.unknownBase ? nil : base
        conflicts.append(MergeConflict(kind: kind, table: table, key: decodeKey(key), column: columnID.flatMap { columnByID[$0]?.name },
                                       columnID: columnID, field: field, base: base, ours: ours, theirs: theirs,
                                       resolution: resolution))
    }

    /// The key's values by column name (a keyless row: every column).
    private func decodeKey(_ key: [UInt8]) -> [NamedValue] {
        var row = [Value](repeating: .null, count: schema.columns.count)
        try? key.withUnsafeBytes { try codec.decodeKey($0, into: &row) }
        let positions = schema.isKeyless ? Array(schema.columns.indices) : schema.keyIndices
        return positions.map { NamedValue(column: schema.columns[$0].name, value: row[$0]) }
    }
}
