import RockyBase
import RockyStore

/// How one row differs between two versions of a table.
public enum RowDelta: Sendable {
    /// A row only in the new version (values in the new schema's order).
    case added([Value])
    /// A row only in the old version (values in the old schema's order).
    case removed([Value])
    /// A row in both whose shared columns differ; `cells` lists each changed
    /// column (by the new schema's name) with its old and new value.
    case modified(old: [Value], new: [Value], cells: [CellChange])
    /// Keyless tables: the same row content with another multiplicity.
    case countChanged(row: [Value], old: Int, new: Int)
}

public struct CellChange: Equatable, Sendable {
    public var columnID: Int
    public var column: String
    public var old: Value
    public var new: Value
}

/// Compares two versions of a table: schema changes by column id, then rows.
///
/// Rows are compared on the columns both versions share (by id), so an added
/// or dropped column is one schema change, not a change on every row. When
/// both versions have the same key (or both are keyless with the same
/// columns), the two trees are diffed directly and cost follows the
/// difference; otherwise (the key changed) the old rows are re-keyed by the new
/// key through an external sort and merged with the new rows.
public struct TableComparison {
    public let old: Table?
    public let new: Table?
    public let schemaChanges: [SchemaChange]
    let store: any ObjectStore
    let temporaryDirectory: String

    public init(store: any ObjectStore, old: Table?, new: Table?, temporaryDirectory: String) {
        self.store = store
        self.old = old
        self.new = new
        self.temporaryDirectory = temporaryDirectory
        if let old, let new { schemaChanges = SchemaChange.between(old.schema, new.schema) } else { schemaChanges = [] }
    }

    /// Whether the trees can be diffed as they are.
    var keysCompatible: Bool {
        guard let old, let new else { return true }
        if old.schema.isKeyless != new.schema.isKeyless { return false }
        if old.schema.isKeyless { return old.schema.columns.map(\.id).sorted() == new.schema.columns.map(\.id).sorted()
            && old.schema.columns.allSatisfy { c in new.schema.column(id: c.id)?.type == c.type } }
        return old.schema.key == new.schema.key
            && old.schema.key.allSatisfy { old.schema.column(id: $0)?.type == new.schema.column(id: $0)?.type }
    }

    /// The row differences in key order, streamed.
    /// With `includeAddedColumns`, the non-NULL values of columns only the new
    /// side has count as cell changes (what SQL needs to rebuild the new side).
    public func rows(includeAddedColumns: Bool = false) throws -> RowDeltas {
        let oldCodec = old.map { RowCodec(schema: $0.schema) }
        let newCodec = new.map { RowCodec(schema: $0.schema) }
        if keysCompatible {
            var diff = TreeDiff(store: store, old: old?.root, new: new?.root)
            return RowDeltas(differences: { try diff.nextDifference() }, oldCodec: oldCodec, newCodec: newCodec,
                             includeAddedColumns: includeAddedColumns)
        }
        // Re-key: encode the old rows with the new schema (shared columns by id,
        // the rest NULL), sort them, and diff against the new tree's rows.
        let newSchema = new!.schema
        let projected = RowCodec(schema: newSchema)
        let sorter = RowSorter(temporaryDirectory: temporaryDirectory)
        var cursor = TreeReader(store: store).rows(old!.root)
        let oldSchema = old!.schema
        while let (key, value) = try cursor.nextRow() {
            let (row, count) = try key.withUnsafeBytes { k in try value.withUnsafeBytes { v in try oldCodec!.decode(key: k, value: v) } }
            let mapped = newSchema.columns.map { c in oldSchema.index(ofColumn: c.id).map { row[$0] } ?? .null }
            try sorter.add(key: projected.key(of: mapped),
                           value: projected.isKeyless ? RowCodec.multiplicity(count) : projected.value(of: mapped), origin: 0)
        }
        var oldRecords = CollapsedRecords(base: try sorter.finish(), keyless: projected.isKeyless)
        var newCursor = TreeReader(store: store).rows(new!.root)
        var a = try oldRecords.next(), b = try newCursor.nextRow()
        let differences = { () throws -> RowDifference? in
            while true {
                switch (a, b) {
                case (nil, nil):
                    return nil
                case let (x?, nil):
                    a = try oldRecords.next()
                    return RowDifference(key: Array(x.key), old: x.value, new: nil)
                case let (nil, y?):
                    b = try newCursor.nextRow()
                    return RowDifference(key: Array(y.key), old: nil, new: y.value)
                case let (x?, y?):
                    let order = compareSlices(x.key, y.key)
                    if order < 0 {
                        a = try oldRecords.next()
                        return RowDifference(key: Array(x.key), old: x.value, new: nil)
                    }
                    if order > 0 {
                        b = try newCursor.nextRow()
                        return RowDifference(key: Array(y.key), old: nil, new: y.value)
                    }
                    a = try oldRecords.next()
                    b = try newCursor.nextRow()
                    if x.value != y.value { return RowDifference(key: Array(x.key), old: x.value, new: y.value) }
                }
            }
        }
        return RowDeltas(differences: differences, oldCodec: projected, newCodec: newCodec, includeAddedColumns: includeAddedColumns)
    }
}

/// Sorted records with equal keys folded into one: multiplicities add up
/// (keyless), or the first row wins (keys that collide after re-keying).
/// The end of the rows is checked (`SortedRows.checkComplete`), so a sort
/// run that could not be read throws instead of ending the rows early.
struct CollapsedRecords {
    let base: SortedRows
    let keyless: Bool
    private var lookahead: RowSorter.Record?
    private var started = false

    init(base: SortedRows, keyless: Bool) {
        self.base = base
        self.keyless = keyless
    }

    mutating func next() throws -> RowSorter.Record? {
        if !started { lookahead = try pull(); started = true }
        guard var current = lookahead else { return nil }
        lookahead = try pull()
        var total = keyless ? try RowCodec.multiplicity(of: current.value) : 0
        while let following = lookahead, following.key == current.key {
            if keyless { total += try RowCodec.multiplicity(of: following.value) }
            lookahead = try pull()
        }
        if keyless { current.value = RowCodec.multiplicity(total)[...] }
        return current
    }

    private func pull() throws -> RowSorter.Record? {
        if let record = base.next() { return record }
        try base.checkComplete()
        return nil
    }

}
