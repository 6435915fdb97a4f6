import Foundation
import RockyStore
import RockyTable

/// The differences between two states of a repository, table by table.
/// Rows are not computed until asked for: `tables[i].rows()` streams them.
public struct RepositoryDiff: Sendable {
    /// A revision's commit id, or nil for the working set.
    public var from: ObjectID?
    public var to: ObjectID?
    /// The tables that differ, by name.
    public var tables: [TableDiff]

    /// No table differs.
    public var isEmpty: Bool { tables.isEmpty }
}

public struct TableDiff: Sendable {
    public var name: String
    public var kind: ChangeKind
    public var oldID: ObjectID?
    public var newID: ObjectID?
    public var old: Table?
    public var new: Table?
    let store: any ObjectStore
    let temporaryDirectory: String
    /// How the environment and actor see the values (MaskedOutputs.swift).
    public let mask: TableMask

    /// Whether a row of this diff may be shown: throws the `deny` refusal
    /// (exit code 5) when the table has a denied column and rows differ.
    /// Counts (`stats`) are always allowed.
    public func refuseIfRowsDenied() throws {
        guard !mask.refusals.isEmpty else { return }
        let rowsDiffer: Bool
        switch kind {
        case .added: rowsDiffer = (new?.rowCount ?? 0) > 0
        case .removed: rowsDiffer = (old?.rowCount ?? 0) > 0
        case .modified: rowsDiffer = try stats() != DiffStats()
        }
        if rowsDiffer { try mask.refuseIfDenied("diff") }
    }

    public var schemaChanges: [SchemaChange] {
        guard let old, let new else { return [] }
        return SchemaChange.between(old.schema, new.schema)
    }

    /// The row changes in key order, streamed, with the values masked as the
    /// environment masks them for the actor. A table with a denied column
    /// refuses (exit code 5) when it has rows to show.
    public func rows(includeAddedColumns: Bool = false) throws -> RowDeltas {
        try refuseIfRowsDenied()
        let deltas = try storedRows(includeAddedColumns: includeAddedColumns)
        guard !mask.strategies.isEmpty else { return deltas }
        let (mask, oldSchema, newSchema) = (mask, old?.schema, new?.schema)
        return deltas.mapping { mask.mask($0, old: oldSchema, new: newSchema) }
    }

    /// The row changes as stored, for counting.
    private func storedRows(includeAddedColumns: Bool = false) throws -> RowDeltas {
        try TableComparison(store: store, old: old, new: new, temporaryDirectory: temporaryDirectory)
            .rows(includeAddedColumns: includeAddedColumns)
    }

    /// Counts of added, removed and modified rows (one pass over the difference).
    public func stats() throws -> DiffStats {
        var stats = DiffStats()
        var deltas = try storedRows()
        while let delta = try deltas.nextDelta() {
            switch delta {
            case .added: stats.added += 1
            case .removed: stats.removed += 1
            case let .modified(_, _, cells): stats.modified += 1; stats.cellsChanged += cells.count
            case let .countChanged(_, old, new): if new > old { stats.added += new - old } else { stats.removed += old - new }
            }
        }
        return stats
    }
}

public struct DiffStats: Equatable, Sendable {
    public var added = 0
    public var removed = 0
    public var modified = 0
    public var cellsChanged = 0

    public init() {}
}

extension Repository {
    /// The differences from revision `a` to revision `b`
    /// (`rocky.diff("main", branch)`).
    public func diff(_ a: some RevisionRepresentable, _ b: some RevisionRepresentable, tables: [String]? = nil) throws -> RepositoryDiff {
        let context = try gate(.diff); defer { context.end() }
        try context.authorizeRevision(a)
        try context.authorizeRevision(b)
        return try diff(from: a.revisionText, to: b.revisionText, tables: tables)
    }

    /// The differences between two revisions; nil stands for the working set.
    public func diff(from a: String?, to b: String?, tables filter: [String]? = nil) throws -> RepositoryDiff {
        let context = try gate(.diff); defer { context.end() }
        try context.authorizeRevisionOrWorkingSet(a)
        try context.authorizeRevisionOrWorkingSet(b)
        let fromID = try a.map { try resolve($0) }, toID = try b.map { try resolve($0) }
        let old = try tableIDs(at: fromID?.hex), new = try tableIDs(at: toID?.hex)
        if let filter {
            for name in filter where old[name] == nil && new[name] == nil {
                throw RepositoryError.noSuchTable(name, available: Set(old.keys).union(new.keys).sorted())
            }
        }
        let masking = try maskingInForce()
        var tables: [TableDiff] = []
        for name in Set(old.keys).union(new.keys).sorted() where filter?.contains(name) ?? true {
            let x = old[name], y = new[name]
            guard x != y else { continue }
            let oldTable = try x.map { try objects.readTable($0) }, newTable = try y.map { try objects.readTable($0) }
            tables.append(TableDiff(
                name: name, kind: x == nil ? .added : (y == nil ? .removed : .modified), oldID: x, newID: y,
                old: oldTable, new: newTable, store: objects, temporaryDirectory: temporaryDirectory(),
                mask: try tableMask(name, versions: [oldTable, newTable].compactMap { $0 }, masking: masking)))
        }
        return RepositoryDiff(from: fromID, to: toID, tables: tables)
    }
}
