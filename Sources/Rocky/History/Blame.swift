import RockyBase
import RockyStore
import RockyTable

/// Who last set one row (or, with cells, one cell) of a table.
public struct BlameLine: Sendable {
    /// The row's key (keyless tables: the whole row), masked as the
    /// environment masks it for the actor.
    public var key: [NamedValue]
    /// The cell's column, when blaming cells.
    public var column: String?
    /// The cell's value (masked), when blaming cells.
    public var value: Value?
    public var commit: ObjectID
    public var actor: String
    public var time: Timestamp
    public var message: String
    /// The commit's last transformation that wrote the table (nil when the
    /// commit has none: an import, a merge, a commit of a working set changed by hand).
    public var transformation: ObjectID?
    /// Its statement as written (quoted text withheld in masking environments).
    public var statement: String?
}

/// `rocky blame`: for each row (or cell) of a table at a revision, the
/// newest commit on the revision's first-parent chain that set it.
public struct Blame: Sendable {
    public var table: String
    /// The commit blamed from.
    public var commit: ObjectID
    public var lines: [BlameLine]
    /// Commits on the first-parent chain that were read, and those whose
    /// rows were compared with their parent's: for keys, those where a
    /// key's covering chunk differed; for the whole table, those where the
    /// table differed.
    public var commitsWalked: Int
    public var commitsCompared: Int
}

extension Repository {
    /// Blames the rows of `table` at `revision` (nil: HEAD), or only those
    /// with the given keys (`keys`: key texts as `parseKey` reads them).
    ///
    /// The first-parent chain is walked from the revision back. A commit
    /// whose table id equals its parent's is passed over reading only its
    /// commit and tree objects; for one key, a commit whose chunk covering
    /// the key is the parent's is passed over reading only the index nodes
    /// on the key's path; the whole table is compared by `TreeDiff`, which
    /// skips the subtrees both versions share. So the work follows the
    /// number of commits that touched the rows' chunks, not the table's size.
    /// A row (cell) is attributed to the newest commit where it differs from
    /// the first parent's version, or where it (or its table or column) first
    /// appears; with `cells: false` a row's commit is the newest of its cells'.
    public func blame(_ table: String, keys: [String] = [], cells: Bool = false, at revision: String? = nil) throws -> Blame {
        let context = try gate(.blame); defer { context.end() }
        let head = try context.authorizeRevision(revision ?? "HEAD")
        let headTables = try objects.readTree(try objects.readCommit(head).tree).tables
        guard let headTableID = headTables[table] else { throw RepositoryError.noSuchTable(table, available: headTables.keys.sorted()) }
        let headTable = try objects.readTable(headTableID)
        let schema = headTable.schema
        let mask = try tableMask(table, versions: [headTable])
        try mask.refuseIfDenied("blame of")
        let reader = TreeReader(store: objects)
        let codec = RowCodec(schema: schema)
        let tracked = schema.columns.map(\.id)

        // The rows asked for, as they are at the head.
        var pending: [[UInt8]: PendingRow] = [:]
        var order: [[UInt8]] = []
        var heads: [[UInt8]: DecodedRow] = [:]
        if keys.isEmpty {
            var cursor = reader.rows(headTable.root)
            while let (key, value) = try cursor.nextRow() {
                let row = try decodeRow(codec, key, value)
                pending[Array(key)] = PendingRow(row: row, open: Set(tracked))
                heads[Array(key)] = row
                order.append(Array(key))
            }
        } else {
            guard !schema.isKeyless else {
                throw RepositoryError.invalidArgument("\(table) has no primary key: blame it whole, without keys")
            }
            for text in keys {
                let key = Repository.encodeKey(try Repository.parseKey(text, table: table, schema: schema), schema: schema)
                guard pending[key] == nil else { continue }
                let location = try reader.locate(key, in: headTable.root)
                guard let value = location.value else {
                    throw RepositoryError.invalidArgument("\(table) has no row with key '\(text)' at \(revision ?? "HEAD")")
                }
                var row = try decodeRow(codec, key[...], value[...])
                row.chunk = location.chunk
                pending[key] = PendingRow(row: row, open: Set(tracked))
                heads[key] = row
                order.append(key)
            }
        }

        var found: [[UInt8]: [Int: ObjectID]] = [:]
        // The first commit a row's cell is settled at is the newest: the row's.
        var rowCommit: [[UInt8]: ObjectID] = [:]
        func settle(_ key: [UInt8], _ columns: some Sequence<Int>, _ commit: ObjectID) {
            for column in columns {
                found[key, default: [:]][column] = commit
                if rowCommit[key] == nil { rowCommit[key] = commit }
            }
            pending[key]?.open.subtract(columns)
            // A row's commit is the first one found (the newest): without
            // cells, the row is done as soon as one of its cells is.
            if pending[key]?.open.isEmpty == true || (!cells && rowCommit[key] != nil) { pending[key] = nil }
        }

        var current = head
        var currentCommit = try objects.readCommit(head)
        var currentTable = headTable
        var currentTableID = headTableID
        // Schemas by id: most steps back keep the schema, and then only the
        // table object's header is read, not its schema.
        var schemas: [ObjectID: Schema] = [try objects.tableHeader(headTableID).schema: schema]
        var currentSchemaID = try objects.tableHeader(headTableID).schema
        var walked = 0, compared = 0
        while !pending.isEmpty {
            walked += 1
            guard let parent = currentCommit.firstParent else {
                for (key, row) in pending { settle(key, row.open, current) }
                break
            }
            let parentCommit = try objects.readCommit(parent)
            guard let parentTableID = try objects.readTree(parentCommit.tree).tables[table] else {
                // The table (and so every row left) appeared here.
                for (key, row) in pending { settle(key, row.open, current) }
                break
            }
            if parentTableID == currentTableID { current = parent; currentCommit = parentCommit; continue }
            let (parentSchemaID, parentRoot) = try objects.tableHeader(parentTableID)
            let parentSchema: Schema
            if let known = schemas[parentSchemaID] { parentSchema = known } else {
                parentSchema = try objects.readSchema(parentSchemaID)
                schemas[parentSchemaID] = parentSchema
            }
            let parentTable = Table(schema: parentSchema, root: parentRoot)
            if parentSchemaID != currentSchemaID {
                let parentColumns = Set(parentTable.schema.columns.map(\.id))
                // Columns the parent lacks appeared here, in every row.
                let newColumns = Set(tracked).subtracting(parentColumns)
                if !newColumns.isEmpty { for key in Array(pending.keys) { settle(key, newColumns, current) } }
                let sameKeys = parentTable.schema.key == currentTable.schema.key
                    && parentTable.schema.key.allSatisfy { parentTable.schema.column(id: $0)?.type == currentTable.schema.column(id: $0)?.type }
                if !sameKeys {
                    // Re-keyed here: every row was rewritten.
                    for (key, row) in pending { settle(key, row.open, current) }
                    break
                }
            }
            let parentCodec = RowCodec(schema: parentTable.schema)
            // The pending rows whose stored form differs from the parent's,
            // with the parent's version (nil when absent there).
            var differing: [([UInt8], DecodedRow?)] = []
            if keys.isEmpty {
                compared += 1
                var diff = TreeDiff(store: objects, old: parentTable.root, new: currentTable.root)
                while let d = try diff.nextDifference() {
                    guard pending[d.key] != nil else { continue }
                    differing.append((d.key, try d.old.map { try decodeRow(parentCodec, d.key[...], $0) }))
                }
            } else {
                for key in Array(pending.keys) {
                    let location = try reader.locate(key, in: parentTable.root, readChunk: false)
                    if let chunk = location.chunk, chunk == pending[key]?.row.chunk { continue }
                    if differing.isEmpty { compared += 1 }
                    let full = try reader.locate(key, in: parentTable.root)
                    var old = try full.value.map { try decodeRow(parentCodec, key[...], $0[...]) }
                    old?.chunk = full.chunk
                    differing.append((key, old))
                }
            }
            for (key, old) in differing {
                guard let row = pending[key]?.row else { continue }
                guard let old else { settle(key, pending[key]!.open, current); continue }
                let changed = pending[key]!.open.filter { !Repository.sameCell(row.values[$0], old.values[$0]) }
                    + (schema.isKeyless && row.count != old.count ? pending[key]!.open : [])
                settle(key, Set(changed), current)
                pending[key]?.row = old
            }
            current = parent
            currentCommit = parentCommit
            currentTable = parentTable
            currentTableID = parentTableID
            currentSchemaID = parentSchemaID
        }

        // Commits, and which of a commit's transformations set a row: the
        // last one whose output differs from the table before it at that
        // key (each step diffed once, its cost the size of its change).
        var commits: [ObjectID: (commit: Commit, steps: [(id: ObjectID, statement: String, keys: Set<[UInt8]>)])] = [:]
        func describe(_ id: ObjectID) throws -> (commit: Commit, steps: [(id: ObjectID, statement: String, keys: Set<[UInt8]>)]) {
            if let known = commits[id] { return known }
            let commit = try objects.readCommit(id)
            var before = try commit.firstParent.flatMap { try objects.readTree(try objects.readCommit($0).tree).tables[table] }
            var steps: [(id: ObjectID, statement: String, keys: Set<[UInt8]>)] = []
            for t in commit.transforms {
                let record = try objects.readTransformation(t)
                guard let output = record.outputs[table] else {
                    if record.dropped.contains(table) { before = nil }
                    continue
                }
                var changed = Set<[UInt8]>()
                let old = try before.map { try objects.readTable($0) }, new = try objects.readTable(output)
                if old?.schema == new.schema {
                    var diff = TreeDiff(store: objects, old: old?.root, new: new.root)
                    while let d = try diff.nextDifference() { if d.new != nil, heads[d.key] != nil { changed.insert(d.key) } }
                } else {
                    // A new or reshaped table: every row is the step's.
                    var cursor = reader.rows(new.root)
                    while let (key, _) = try cursor.nextRow() { if heads[Array(key)] != nil { changed.insert(Array(key)) } }
                }
                let shown = try maskedStatements([(t, record)])[0].record.statement
                steps.append((t, shown, changed))
                before = output
            }
            commits[id] = (commit, steps)
            return (commit, steps)
        }
        var lines: [BlameLine] = []
        let keyIndices = schema.isKeyless ? Array(schema.columns.indices) : schema.keyIndices
        for key in order {
            guard let cellsFound = found[key] else { continue }
            guard let row = heads[key] else { continue }
            let named = keyIndices.map { NamedValue(column: schema.columns[$0].name, value: mask.mask(row.values[schema.columns[$0].id] ?? .null, columnID: schema.columns[$0].id)) }
            func line(_ commitID: ObjectID, column: Column?) throws -> BlameLine {
                let (commit, steps) = try describe(commitID)
                let step = steps.last { $0.keys.contains(key) }
                let (transformation, statement) = (step?.id, step?.statement)
                return BlameLine(key: named, column: column?.name,
                                 value: column.map { mask.mask(row.values[$0.id] ?? .null, columnID: $0.id) },
                                 commit: commitID, actor: commit.actor, time: commit.time,
                                 message: commit.message, transformation: transformation, statement: statement)
            }
            if cells {
                for column in schema.columns { if let c = cellsFound[column.id] { lines.append(try line(c, column: column)) } }
            } else {
                if let newest = rowCommit[key] { lines.append(try line(newest, column: nil)) }
            }
        }
        return Blame(table: table, commit: head, lines: lines, commitsWalked: walked, commitsCompared: compared)
    }

    private func decodeRow(_ codec: RowCodec, _ key: ArraySlice<UInt8>, _ value: ArraySlice<UInt8>) throws -> DecodedRow {
        let (row, count) = try key.withUnsafeBytes { k in try value.withUnsafeBytes { v in try codec.decode(key: k, value: v) } }
        var values: [Int: Value] = [:]
        for (column, value) in zip(codec.schema.columns, row) { values[column.id] = value }
        return DecodedRow(values: values, count: count)
    }
}

/// A row's values by column id (absent: the version lacks the column).
private struct DecodedRow {
    var values: [Int: Value]
    var count: Int
    /// The chunk that covers the row in the version it was read from.
    var chunk: ObjectID?
}

/// A row still being walked back: its version in the commit reached, and
/// the cells not yet attributed.
private struct PendingRow {
    var row: DecodedRow
    var open: Set<Int>
}
