import RockyBase
import RockyStore

/// The outcome of merging two repository states table by table.
public struct TreeMergeResult: Sendable {
    /// Table name -> table id of the merged state. Complete only when
    /// `isClean`; a conflicted table is missing.
    public var tables: [String: ObjectID]
    /// Every conflict, resolved or not, by table name then as found.
    public var conflicts: [MergeConflict]
    /// For each table either side changed: what the merge did with it. A
    /// table absent from `tables` with outcome `tookTheirs` was dropped by
    /// theirs; with `keptOurs`, dropped by ours.
    public var outcomes: [String: TableMergeResult.Outcome]
    /// Row statistics of the tables merged three-way.
    public var stats: [String: MergeStats]
    /// The strategy, when it resolved at least one conflict.
    public var strategyUsed: MergeStrategy?

    public var isClean: Bool { conflicts.allSatisfy(\.isResolved) }
}

/// Merges two repository states (table name -> table id) against their base.
/// The same as `TableMerger(store:temporaryDirectory:).merge(base:ours:theirs:strategy:)`.
public func mergeTrees(store: any ObjectStore, temporaryDirectory: String, base: [String: ObjectID], ours: [String: ObjectID],
                       theirs: [String: ObjectID], strategy: MergeStrategy? = nil) throws -> TreeMergeResult {
    try TableMerger(store: store, temporaryDirectory: temporaryDirectory).merge(base: base, ours: ours, theirs: theirs, strategy: strategy)
}

extension TableMerger {
    /// Merges every table of two repository states. Tables are matched by
    /// name: a table whose id is the same on both sides, or unchanged on one
    /// side, is decided without being read; the others merge as
    /// `merge(base:ours:theirs:name:strategy:)` says, and merged tables are
    /// written (inside the caller's batch).
    public func merge(base: [String: ObjectID], ours: [String: ObjectID], theirs: [String: ObjectID],
                      strategy: MergeStrategy?) throws -> TreeMergeResult {
        try merge(base: base, ours: ours, theirs: theirs, policy: .report(strategy))
    }

    func merge(base: [String: ObjectID], ours: [String: ObjectID], theirs: [String: ObjectID],
               policy: RowMerge.Policy) throws -> TreeMergeResult {
        var result = TreeMergeResult(tables: [:], conflicts: [], outcomes: [:], stats: [:])
        for name in Set(base.keys).union(ours.keys).union(theirs.keys).sorted() {
            let b = base[name], o = ours[name], t = theirs[name]
            if o == t || b == t {
                if let o { result.tables[name] = o }
                if o != b { result.outcomes[name] = .keptOurs }
                continue
            }
            if b == o {
                if let t { result.tables[name] = t }
                result.outcomes[name] = .tookTheirs
                continue
            }
            let merged = try merge(base: b.map(store.readTable), ours: o.map(store.readTable), theirs: t.map(store.readTable),
                                   name: name, policy: policy)
            if let table = merged.table { result.tables[name] = try store.write(table: table) }
            result.outcomes[name] = merged.outcome
            result.stats[name] = merged.stats
            result.conflicts += merged.conflicts
            result.strategyUsed = result.strategyUsed ?? merged.strategyUsed
        }
        return result
    }

    /// The tables of a virtual merge base, for a criss-cross history whose
    /// merge has several best common ancestors (`ObjectStore.mergeBases`).
    ///
    /// As git's recursive merge does, the bases are merged with one another
    /// (each pair against their own merge base, itself virtual when needed),
    /// and the result serves as the base. Where the bases conflict nothing
    /// can be said about the base, and, as git writes conflict markers into a
    /// virtual base, the cell is marked unknown (`MergeValues.unknownBase`, a
    /// value no real cell holds); a row deleted against changed keeps the
    /// changed row with its changed cells unknown; a table dropped against
    /// changed, or whose schemas cannot merge, is an empty table. In the outer
    /// merge both sides then differ from the base there: identical versions
    /// converge and anything else conflicts (reported with no base value), so
    /// neither side's resolution of the old conflict silently wins. A keyless
    /// row whose copies conflict keeps the first base's count, and a schema
    /// property that conflicts takes the first base's side.
    ///
    /// `commits` are commit ids, the first taken as "ours" of the inner merges.
    public func virtualMergeBase(of commits: [ObjectID]) throws -> [String: ObjectID] {
        guard let first = commits.first else { return [:] }
        func tables(_ commit: ObjectID) throws -> [String: ObjectID] {
            try store.readTree(store.readCommit(commit).tree).tables
        }
        var merged = try tables(first)
        var mergedCommits = [first]
        for next in commits.dropFirst() {
            let inner = try store.mergeBases(of: mergedCommits, and: [next])
            let innerBase = inner.count > 1 ? try virtualMergeBase(of: inner) : try inner.first.map(tables) ?? [:]
            merged = try merge(base: innerBase, ours: merged, theirs: tables(next), policy: .virtualBase).tables
            mergedCommits.append(next)
        }
        return merged
    }
}
