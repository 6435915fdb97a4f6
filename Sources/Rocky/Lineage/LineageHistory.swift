import RockyBase
import RockyStore
import RockyTable

/// A state of a branch that holds tables and the records that wrote them: a
/// commit, or the working set of the checked-out branch (a pending commit on
/// top of its base).
enum HistoryPoint: Hashable {
    case workingSet
    case commit(ObjectID)

    var commitID: ObjectID? {
        if case let .commit(id) = self { return id }
        return nil
    }
}

/// A point and how many of its records count: `before` limits the search to
/// the records written before the one at that index (nil: all of them).
struct HistoryPosition: Hashable {
    var point: HistoryPoint
    var before: Int?
}

/// How a table version came to be, found by walking history backwards.
enum TableOrigin {
    /// A transformation record wrote exactly this version.
    case record(point: HistoryPoint, index: Int, id: ObjectID)
    /// It holds the rows and columns of `version` with other governance
    /// (rocky.toml declarations applied at commit): its origin is that one's.
    case restated(version: ObjectID, position: HistoryPosition)
    /// A merge made it from the versions its parents held.
    case merged(sides: [(version: ObjectID, position: HistoryPosition)])
    /// No record wrote it: it was imported (or written outside SQL) here.
    case imported(point: HistoryPoint)
}

/// Lazy, cached reads of the history `lineage` walks: commits, their tables,
/// transformation records and table schemas are each read once.
final class LineageHistory {
    let repository: Repository
    let workingSet: WorkingSet
    /// rocky.toml column declarations, laid over stored governance.
    let declarations: [String: ColumnGovernance]
    private var commits: [ObjectID: Commit] = [:]
    private var trees: [ObjectID: [String: ObjectID]] = [:]
    private var records: [ObjectID: Transformation] = [:]
    private var tableVersions: [ObjectID: Table] = [:]
    /// Where each record was found (the first place, for records that two
    /// histories share).
    private(set) var recordPoints: [ObjectID: HistoryPoint] = [:]

    init(repository: Repository, workingSet: WorkingSet, declarations: [String: ColumnGovernance]) {
        self.repository = repository
        self.workingSet = workingSet
        self.declarations = declarations
    }

    func commit(_ id: ObjectID) throws -> Commit {
        if let c = commits[id] { return c }
        let c = try repository.objects.readCommit(id)
        commits[id] = c
        return c
    }

    func tables(at point: HistoryPoint) throws -> [String: ObjectID] {
        guard case let .commit(id) = point else { return workingSet.tables }
        if let t = trees[id] { return t }
        let t = try repository.objects.readTree(try commit(id).tree).tables
        trees[id] = t
        return t
    }

    func recordIDs(at point: HistoryPoint) throws -> [ObjectID] {
        guard case let .commit(id) = point else { return workingSet.transforms }
        return try commit(id).transforms
    }

    func parents(of point: HistoryPoint) throws -> [HistoryPoint] {
        guard case let .commit(id) = point else { return [.commit(workingSet.base)] }
        return try commit(id).parents.map { .commit($0) }
    }

    /// The committer time of a commit; the clock for the working set.
    func time(of point: HistoryPoint) throws -> Timestamp {
        guard case let .commit(id) = point else { return repository.settings.now }
        return try commit(id).time
    }

    func record(_ id: ObjectID, at point: HistoryPoint) throws -> Transformation {
        if recordPoints[id] == nil { recordPoints[id] = point }
        if let r = records[id] { return r }
        let r = try repository.objects.readTransformation(id)
        records[id] = r
        return r
    }

    func table(_ version: ObjectID) throws -> Table {
        if let t = tableVersions[version] { return t }
        let t = try repository.objects.readTable(version)
        tableVersions[version] = t
        return t
    }

    func schema(of version: ObjectID) throws -> Schema { try table(version).schema }

    /// Whether two versions hold the same rows and columns, governance aside.
    func restates(_ a: ObjectID, _ b: ObjectID) throws -> Bool {
        if a == b { return true }
        let x = try table(a), y = try table(b)
        func bare(_ schema: Schema) -> Schema {
            var s = schema
            for i in s.columns.indices { s.columns[i].governance = ColumnGovernance() }
            return s
        }
        return x.root == y.root && bare(x.schema) == bare(y.schema)
    }

    /// A column's governance in a table version, with rocky.toml declarations
    /// laid over it (as `TableCatalog` does).
    func governance(table: String, column: Column) -> ColumnGovernance {
        declarations["\(table).\(column.name)"].map { column.governance.merging($0) } ?? column.governance
    }

    /// Finds how `version` of `table` came to be, searching backwards from
    /// `start`: first the point's own records, newest first, then its
    /// parents. Along first parents that hold the same version it jumps by
    /// the commits' skip pointers, so an old table costs O(log n) reads.
    func origin(of table: String, version: ObjectID, from start: HistoryPosition) throws -> TableOrigin {
        var position = start
        while true {
            let point = position.point
            let ids = try recordIDs(at: point)
            let upper = min(position.before ?? ids.count, ids.count)
            for i in stride(from: upper - 1, through: 0, by: -1) {
                if try record(ids[i], at: point).outputs.entry(named: table)?.value == version {
                    return .record(point: point, index: i, id: ids[i])
                }
            }
            let parents = try parents(of: point)
            guard let first = parents.first else { return .imported(point: point) }
            if try tables(at: first).entry(named: table)?.value == version {
                position = HistoryPosition(point: try skipBack(from: first, table: table, version: version), before: nil)
                continue
            }
            if let other = try parents.dropFirst().first(where: { try tables(at: $0).entry(named: table)?.value == version }) {
                position = HistoryPosition(point: other, before: nil)
                continue
            }
            if parents.count > 1 {
                let sides = try parents.compactMap { p in
                    try tables(at: p).entry(named: table).map { (version: $0.value, position: HistoryPosition(point: p, before: nil)) }
                }
                if !sides.isEmpty { return .merged(sides: sides) }
            }
            // Changed here without a record of its own: governance applied at
            // commit restates the last version written here (or the parent's);
            // anything else was imported.
            var writer: Int?
            for i in stride(from: upper - 1, through: 0, by: -1) where try record(ids[i], at: point).outputs.entry(named: table) != nil {
                writer = i
                break
            }
            if let writer, let written = try record(ids[writer], at: point).outputs.entry(named: table)?.value {
                if try restates(version, written) {
                    return .restated(version: written, position: HistoryPosition(point: point, before: writer + 1))
                }
            } else if let before = try tables(at: first).entry(named: table)?.value, try restates(version, before) {
                return .restated(version: before, position: HistoryPosition(point: first, before: nil))
            }
            return .imported(point: point)
        }
    }

    /// The oldest commit reachable from `point` by skip pointers whose table
    /// still holds `version` (the commits jumped over hold it too, unless the
    /// table changed and changed back, when the older writer is as good).
    private func skipBack(from point: HistoryPoint, table: String, version: ObjectID) throws -> HistoryPoint {
        guard case var .commit(id) = point else { return point }
        while let skip = try commit(id).skip, try tables(at: .commit(skip)).entry(named: table)?.value == version {
            id = skip
        }
        return .commit(id)
    }

    /// Whether `id` lies strictly before one of `floors` on its first-parent
    /// chain (O(log n) reads each).
    func precedes(_ id: ObjectID, anyOf floors: [ObjectID]) throws -> Bool {
        let depth = try commit(id).depth
        for floor in floors {
            let floorDepth = try commit(floor).depth
            if depth < floorDepth, try repository.objects.firstParentAncestor(of: floor, steps: floorDepth - depth) == id { return true }
        }
        return false
    }
}
