import RockyBase
import RockyStore

/// How an import combines the file with the table's current rows.
public enum ImportMode: String, Sendable, CaseIterable {
    /// The file becomes the table.
    case replace
    /// The file's rows are added; a key that exists already is an error.
    case append
    /// The file's rows are added or replace the rows with their key.
    case upsert
}

/// Progress of a running import, for a progress bar.
public struct ImportProgress: Sendable {
    public var rows: Int
    public var bytes: Int64
    public var totalBytes: Int64?
    /// Reading the file to infer types (true), or loading it.
    public var inferring: Bool
}

/// Loads the records of a file into a table version.
///
/// Rows are decoded and checked as they are read (type, NULL in a key
/// column), encoded, and sorted by key with bounded memory (`RowSorter`:
/// a 64 MiB budget plus at most 64 MiB of merge buffers, sorted runs
/// spilled to `temporaryDirectory`); then duplicate keys are caught and the tree is built
/// (replace) or edited (append, upsert). Every error is an `ImportError`
/// naming file:line:column, and, when the caller runs this inside
/// `ObjectStore.batch`, no object it wrote survives the error.
public struct TableImporter {
    public let store: any ObjectStore
    public let temporaryDirectory: String
    public var memoryBudget = 64 << 20
    public var progress: ((ImportProgress) -> Void)?

    public init(store: any ObjectStore, temporaryDirectory: String) {
        self.store = store
        self.temporaryDirectory = temporaryDirectory
    }

    /// Loads a new table (or replaces one) in one streaming pass when the
    /// file arrives in key order, as exports and most feeds do: rows go
    /// straight into the tree builder, so parsing, building and compressing
    /// (on the pack writer's thread) overlap and nothing is sorted. At the
    /// first row out of key order the pass stops and the file is read again
    /// through the sorter (`load(_:...)`); the chunks the first pass wrote
    /// stay unreferenced in the batch's pack, for `gc` to collect. Other
    /// modes go through `load(_:...)` directly.
    public func load(makeSource: () throws -> any RecordSource, schema: Schema, into existing: Table?, mode: ImportMode,
                     totalBytes: Int64? = nil, observe: ((Record) -> Void)? = nil) throws -> (table: Table, rowsRead: Int) {
        if mode == .replace || existing == nil {
            do {
                return try loadInOrder(try makeSource(), schema: schema, totalBytes: totalBytes, observe: observe)
            } catch is OutOfOrder {}
        }
        return try load(try makeSource(), schema: schema, into: existing, mode: mode, totalBytes: totalBytes, observe: observe)
    }

    private struct OutOfOrder: Error {}

    private func loadInOrder(_ source: any RecordSource, schema: Schema, totalBytes: Int64?,
                             observe: ((Record) -> Void)?) throws -> (table: Table, rowsRead: Int) {
        let decoder = try RowDecoder(schema: schema, source: source)
        let codec = RowCodec(schema: schema)
        let encoder = RecordEncoder(decoder: decoder, codec: codec)
        let builder = TreeBuilder(store: store)
        var key: [UInt8] = [], value: [UInt8] = []
        var pendingKey: [UInt8] = [], pendingValue: [UInt8] = []
        var pendingCount = 0, pendingOrigin = 0
        var hasPending = false
        var count = 0
        func flush() throws {
            guard hasPending else { return }
            if codec.isKeyless { pendingValue = RowCodec.multiplicity(pendingCount) }
            try builder.append(key: pendingKey, value: pendingValue)
        }
        while let record = try source.next() {
            observe?(record)
            key.removeAll(keepingCapacity: true)
            value.removeAll(keepingCapacity: true)
            let origin = try encoder.encode(record, key: &key, value: &value)
            if hasPending {
                let order = pendingKey.withUnsafeBytes { a in key.withUnsafeBytes { b in compareBytes(a, b) } }
                if order > 0 { throw OutOfOrder() }
                if order == 0 {
                    guard codec.isKeyless else {
                        throw duplicateError(schema: schema, key: key, file: source.file, origin: origin, firstOrigin: pendingOrigin)
                    }
                    pendingCount += 1
                    count += 1
                    continue
                }
                try flush()
            }
            swap(&key, &pendingKey)
            swap(&value, &pendingValue)
            pendingCount = 1
            pendingOrigin = origin
            hasPending = true
            count += 1
            if count & 0x3FFF == 0 {
                progress?(ImportProgress(rows: count, bytes: source.bytesConsumed, totalBytes: totalBytes, inferring: false))
            }
        }
        try flush()
        progress?(ImportProgress(rows: count, bytes: source.bytesConsumed, totalBytes: totalBytes, inferring: false))
        return (Table(schema: schema, root: try builder.finish()), count)
    }

    /// Reads every record of `source` as a row of `schema` and combines them
    /// with `existing` (nil: a new table) by `mode`.
    public func load(_ source: some RecordSource, schema: Schema, into existing: Table?, mode: ImportMode,
                     totalBytes: Int64? = nil, observe: ((Record) -> Void)? = nil) throws -> (table: Table, rowsRead: Int) {
        let decoder = try RowDecoder(schema: schema, source: source)
        let codec = RowCodec(schema: schema)
        let encoder = RecordEncoder(decoder: decoder, codec: codec)
        let sorter = RowSorter(memoryBudget: memoryBudget, temporaryDirectory: temporaryDirectory)
        var key: [UInt8] = [], value: [UInt8] = []
        var count = 0
        let one = RowCodec.multiplicity(1)
        while let record = try source.next() {
            observe?(record)
            key.removeAll(keepingCapacity: true)
            value.removeAll(keepingCapacity: true)
            let origin = try encoder.encode(record, key: &key, value: &value)
            try sorter.add(origin: origin) { arena in
                arena.append(contentsOf: key)
            } value: { arena in
                arena.append(contentsOf: codec.isKeyless ? one : value)
            }
            count += 1
            if count & 0x3FFF == 0 {
                progress?(ImportProgress(rows: count, bytes: source.bytesConsumed, totalBytes: totalBytes, inferring: false))
            }
        }
        progress?(ImportProgress(rows: count, bytes: source.bytesConsumed, totalBytes: totalBytes, inferring: false))
        let sorted = try sorter.finish()
        let base = mode == .replace ? nil : existing?.root
        let root: TreeRoot?
        do {
            if codec.isKeyless {
                var folded = CollapsedRecords(base: sorted, keyless: true)
                var failure: Error?
                root = try TreeEditor(store: store).apply(AnyIterator {
                    do {
                        guard let record = try folded.next() else { return nil }
                        return KeyedChange(key: record.key, change: .addCount(try RowCodec.multiplicity(of: record.value)), origin: record.origin)
                    } catch {
                        failure = error
                        return nil
                    }
                }, to: base)
                if let failure { throw failure }
            } else if base == nil {
                // A new table from sorted rows: straight into the builder.
                let builder = TreeBuilder(store: store)
                var previous: RowSorter.Record?
                while let record = sorted.next() {
                    if let p = previous, p.key == record.key {
                        throw duplicateError(schema: schema, key: Array(record.key), file: source.file, origin: record.origin,
                                             firstOrigin: p.origin)
                    }
                    try builder.append(key: record.key, value: record.value)
                    previous = record
                }
                try sorted.checkComplete()
                root = try builder.finish()
            } else {
                var previous: RowSorter.Record?
                var duplicate: (RowSorter.Record, RowSorter.Record)?
                let changes = AnyIterator<KeyedChange> {
                    guard duplicate == nil, let record = sorted.next() else { return nil }
                    if let p = previous, p.key == record.key { duplicate = (p, record); return nil }
                    previous = record
                    let change: RowChange = mode == .upsert ? .upsert(record.value) : .insert(record.value)
                    return KeyedChange(key: record.key, change: change, origin: record.origin)
                }
                root = try TreeEditor(store: store).apply(changes, to: base)
                try sorted.checkComplete()
                if let (first, second) = duplicate {
                    throw duplicateError(schema: schema, key: Array(second.key), file: source.file, origin: second.origin,
                                         firstOrigin: first.origin)
                }
            }
        } catch let TreeError.duplicateKey(key, origin) {
            throw duplicateError(schema: schema, key: key, file: source.file, origin: origin, firstOrigin: nil)
        }
        return (Table(schema: schema, root: root), count)
    }

    private func duplicateError(schema: Schema, key: [UInt8], file: String, origin: Int, firstOrigin: Int?) -> ImportError {
        var values = [Value](repeating: .null, count: schema.columns.count)
        try? key.withUnsafeBytes { try RowCodec(schema: schema).decodeKey($0, into: &values) }
        let shown = schema.keyIndices.map { "\(schema.columns[$0].name)=\(values[$0])" }.joined(separator: ", ")
        let (line, column) = Origin.unpack(origin)
        let message = firstOrigin.map { "duplicate key (\(shown)): the same key is on line \(Origin.unpack($0).line)" }
            ?? "duplicate key (\(shown)): the table already has a row with this key (use --mode upsert to replace it)"
        return ImportError(.duplicateKey, file: file, line: line, column: column, message: message)
    }
}

/// A row's origin (line and column of its first key field) packed in one Int.
enum Origin {
    static func pack(line: Int, column: Int) -> Int { line << 20 | min(column, (1 << 20) - 1) }
    static func unpack(_ origin: Int) -> (line: Int, column: Int) { (origin >> 20, origin & ((1 << 20) - 1)) }
}
