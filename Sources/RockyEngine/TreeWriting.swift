import Dispatch
import Glibc
import RockyBase
import RockyStore
import RockyTable

/// A table tree built from rows an engine produced.
public struct BuiltTree {
    public var root: TreeRoot?
    /// Rows the engine produced (a keyless row counted once per copy).
    public var engineRows = 0
    /// Encoded bytes of the tree's rows (keys and values): the version's size.
    public var encodedBytes = 0
    /// Payload bytes of the objects written for the tree (new ones only).
    public var bytesWritten = 0

    public init(root: TreeRoot? = nil) { self.root = root }
}

/// Builds the tree of `schema` from rows that an engine produces, on a
/// second thread: the engine's thread encodes each row into batches (Rocky's
/// key and value bytes, Docs/format.md: `add(encoding:)` for a backend that
/// encodes its own representation directly, `add(row:)` from `Value`s), and
/// a serial queue appends them to a `TreeBuilder` (hashing, compressing and
/// writing chunks) while the engine computes the next rows.
///
/// Keyed tables expect the rows in key order (Rocky's key order: NULL first,
/// numbers numerically, text by bytes, shorter first). When a key arrives out of
/// order the feed gives up (`finish` returns nil) and the caller feeds the
/// rows again in key order; objects the abandoned builder wrote are left
/// unreferenced. Keyless rows go through a `RowSorter` (keys are whole rows)
/// and equal rows fold into one with their multiplicity.
public final class TreeFeed: @unchecked Sendable {
    /// Encoded rows: keys and values back to back, with their end offsets.
    struct Batch {
        var keys: [UInt8] = []
        var values: [UInt8] = []
        var ends: [(key: Int, value: Int)] = []
    }

    static let batchRows = 2048

    private let schema: Schema
    private let codec: RowCodec
    private let label: String
    private let queue = DispatchQueue(label: "rocky.engine.tree-feed")
    private let slots = DispatchSemaphore(value: 4)
    private let builder: TreeBuilder
    /// Where the builder writes: chunks are compressed and stored on a third thread.
    private let objects: PipelinedStore
    private let sorter: RowSorter?
    /// Touched on `queue` only, read after it drained.
    private var failure: Error?
    @exclusivity(unchecked) private var built = BuiltTree()
    /// The batch being filled on the SQLite thread, as three properties so
    /// the encoder may write keys and values at once. Only that thread
    /// touches them, so the per-row exclusivity checks are left out.
    @exclusivity(unchecked) private var keys: [UInt8] = []
    @exclusivity(unchecked) private var values: [UInt8] = []
    @exclusivity(unchecked) private var ends: [(key: Int, value: Int)] = []
    /// Rows produced so far (SQLite thread).
    @exclusivity(unchecked) private(set) var produced = 0
    /// The last key of the batches already handed over (SQLite thread).
    @exclusivity(unchecked) private var previousKey: [UInt8] = []
    /// Set on the SQLite thread when a key did not follow the previous one:
    /// nothing more is encoded, and `finish` returns nil.
    @exclusivity(unchecked) private(set) var abandoned = false

    init(store: any ObjectStore, schema: Schema, label: String, temporaryDirectory: String, sorted: Bool) {
        self.schema = schema
        self.label = label
        codec = RowCodec(schema: schema)
        objects = PipelinedStore(store)
        builder = TreeBuilder(store: objects)
        sorter = sorted || schema.isKeyless ? RowSorter(temporaryDirectory: temporaryDirectory) : nil
        reserve()
    }

    private func reserve() {
        keys.reserveCapacity(1 << 17)
        values.reserveCapacity(1 << 18)
        ends.reserveCapacity(TreeFeed.batchRows)
    }

    /// Adds one row, which `encode` appends to the batch's key and value
    /// bytes in Rocky's encoding (engine thread).
    @inline(__always)
    public func add(encoding encode: (_ key: inout [UInt8], _ value: inout [UInt8]) throws -> Void) throws {
        if abandoned { return }
        let keyStart = keys.count
        try encode(&keys, &values)
        if sorter == nil && !inOrder(from: keyStart) {
            abandoned = true
            return
        }
        ends.append((keys.count, values.count))
        produced += 1
        if ends.count >= TreeFeed.batchRows { flush() }
    }

    /// Adds one row of `Value`s in the schema's column order (engine thread):
    /// for a backend that reads its rows as values.
    public func add(row: [Value]) throws {
        try add { key, value in
            codec.appendKey(of: row, to: &key)
            codec.appendValue(of: row, to: &value)
        }
    }

    /// Whether the key just encoded at `keys[start...]` is above the previous one.
    @inline(__always)
    private func inOrder(from start: Int) -> Bool {
        keys.withUnsafeBytes { raw in
            let key = UnsafeRawBufferPointer(rebasing: raw[start...])
            if let last = ends.last {
                let previousStart = ends.count > 1 ? ends[ends.count - 2].key : 0
                return lexicographicallyBelow(UnsafeRawBufferPointer(rebasing: raw[previousStart..<last.key]), key)
            }
            return previousKey.withUnsafeBytes { lexicographicallyBelow($0, key) }
        }
    }

    /// Hands the current batch to the builder thread (waits while four are in flight).
    private func flush() {
        guard !ends.isEmpty else { return }
        let lastStart = ends.count > 1 ? ends[ends.count - 2].key : 0
        previousKey = Array(keys[lastStart..<ends[ends.count - 1].key])
        let batch = Batch(keys: keys, values: values, ends: ends)
        keys = []
        values = []
        ends = []
        reserve()
        slots.wait()
        queue.async {
            self.consume(batch)
            self.slots.signal()
        }
    }

    private func consume(_ batch: Batch) {
        guard failure == nil else { return }
        var keyStart = 0, valueStart = 0
        do {
            for end in batch.ends {
                let key = batch.keys[keyStart..<end.key], value = batch.values[valueStart..<end.value]
                keyStart = end.key
                valueStart = end.value
                built.engineRows += 1
                if let sorter {
                    try sorter.add(key: Array(key), value: Array(value), origin: built.engineRows)
                } else {
                    built.encodedBytes += key.count + value.count
                    // Arrays, not slices: `TreeBuilder.append` is generic and runs
                    // unspecialized from this module, and copies an array's key for
                    // free; measured 35-40% less builder time than passing slices.
                    try builder.append(key: Array(key), value: Array(value))
                }
            }
        } catch {
            failure = error
        }
    }

    /// Waits for the builder thread to go idle, after a failure: the objects
    /// it wrote belong to the caller's batch, which the failure discards.
    public func drain() {
        flush()
        queue.sync {}
        try? objects.drain()
    }

    /// Waits for the builder; the tree, or nil when keys came out of order.
    public func finish() throws -> BuiltTree? {
        flush()
        queue.sync {}
        if let failure {
            try? objects.drain()
            throw failure
        }
        if abandoned {
            try? objects.drain()
            return nil
        }
        do {
            if let sorter { try fold(sorter.finish()) }
            built.root = try builder.finish()
        } catch {
            try? objects.drain()
            throw error
        }
        try objects.drain()
        built.bytesWritten = objects.written.bytes
        return built
    }

    /// Sorted rows into the builder; equal keyless rows become one row with
    /// their multiplicity, equal keyed rows are a duplicate key.
    private func fold(_ sorted: SortedRows) throws {
        var pending: RowSorter.Record?
        var count = 0
        func emit() throws {
            guard let record = pending else { return }
            let value = schema.isKeyless ? RowCodec.multiplicity(count)[...] : record.value
            built.encodedBytes += record.key.count + value.count
            try builder.append(key: record.key, value: value)
        }
        while let record = sorted.next() {
            if let previous = pending, previous.key == record.key {
                guard schema.isKeyless else {
                    throw EngineError.duplicateKey(table: label, detail: "two rows have the same (\(schema.keyColumnNames.joined(separator: ", ")))")
                }
                count += 1
                continue
            }
            try emit()
            pending = record
            count = 1
        }
        try sorted.checkComplete()
        try emit()
    }
}

/// memcmp order, shorter first on a tie: the order of encoded keys.
@inline(__always)
func lexicographicallyBelow(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Bool {
    let n = min(a.count, b.count)
    if n > 0 {
        let c = memcmp(a.baseAddress!, b.baseAddress!, n)
        if c != 0 { return c < 0 }
    }
    return a.count < b.count
}

/// Builds trees from an engine's rows for one table schema: the one way a
/// result becomes a table version, whatever the engine.
public struct TreeWriter {
    public let store: any ObjectStore
    public let schema: Schema
    /// The table's name, for messages.
    public let label: String
    public let temporaryDirectory: String

    public init(store: any ObjectStore, schema: Schema, label: String, temporaryDirectory: String) {
        self.store = store
        self.schema = schema
        self.label = label
        self.temporaryDirectory = temporaryDirectory
    }

    /// A feed for rows in key order (`sorted`: in any order).
    public func feed(sorted: Bool = false) -> TreeFeed {
        TreeFeed(store: store, schema: schema, label: label, temporaryDirectory: temporaryDirectory, sorted: sorted)
    }

    /// Builds a tree from the rows `produce(ordered, feed)` adds to `feed`
    /// (the schema's columns in order, ordered by the key when `ordered`):
    /// asked in key order first, and again unordered if they were not.
    public func build(_ produce: (_ ordered: Bool, _ feed: TreeFeed) throws -> Void) throws -> BuiltTree {
        if !schema.isKeyless, let built = try read(ordered: true, produce, into: feed()) { return built }
        return try read(ordered: false, produce, into: feed(sorted: true))!
    }

    private func read(ordered: Bool, _ produce: (Bool, TreeFeed) throws -> Void, into feed: TreeFeed) throws -> BuiltTree? {
        do {
            try produce(ordered, feed)
        } catch {
            feed.drain()
            throw error
        }
        return try feed.finish()
    }
}

extension ObjectStore {
    /// Writes a table's schema and table objects; returns its id and the
    /// payload bytes of those two objects when they are new.
    public func writeCounting(_ table: Table) throws -> (id: ObjectID, bytes: Int) {
        let schemaPayload = Array(table.schema.json.canonicalText.utf8)
        let schemaIsNew = !contains(objectID(.schema, schemaPayload))
        let id = try write(table: table)
        let tableBytes = (try? header(id).size) ?? 0
        return (id, tableBytes + (schemaIsNew ? schemaPayload.count : 0))
    }
}

/// Where sort runs spill: `$TMPDIR`, else /tmp.
public func defaultTemporaryDirectory() -> String {
    if let value = getenv("TMPDIR"), let text = String(validatingCString: value), !text.isEmpty { return text }
    return "/tmp"
}
