import RockyStore

/// What to do with one key.
public enum RowChange: Sendable {
    /// Insert, or replace the existing row.
    case upsert(ArraySlice<UInt8>)
    /// Insert; an existing key is an error (`TreeError.duplicateKey`).
    case insert(ArraySlice<UInt8>)
    /// Remove the row if it exists.
    case delete
    /// Keyless tables: add to the row's multiplicity (negative removes
    /// copies; a multiplicity that reaches zero removes the row).
    case addCount(Int)
}

/// One change for the editor: a key, what to do, and an origin tag (a
/// source line number, say) that errors report.
public struct KeyedChange: Sendable {
    public var key: ArraySlice<UInt8>
    public var change: RowChange
    public var origin: Int

    public init(key: ArraySlice<UInt8>, change: RowChange, origin: Int = 0) {
        self.key = key
        self.change = change
        self.origin = origin
    }

    public init(key: [UInt8], change: RowChange, origin: Int = 0) {
        self.init(key: key[...], change: change, origin: origin)
    }
}

extension RowChange {
    public static func upsert(_ value: [UInt8]) -> RowChange { .upsert(value[...]) }
    public static func insert(_ value: [UInt8]) -> RowChange { .insert(value[...]) }
}

/// Applies a stream of changes, in strictly ascending key order, to a tree.
///
/// The tree is walked top-down beside the changes. A subtree that no change
/// touches is reused by reference whenever the builder is at a boundary at
/// its level, so only the chunks and index nodes on the paths of the changes
/// are read and rewritten (plus the few after them until the chunking falls
/// back in step). The result is the tree a full rebuild of the same rows
/// would give, object for object.
public struct TreeEditor {
    public let store: any ObjectStore
    private let reader: TreeReader

    public init(store: any ObjectStore) {
        self.store = store
        reader = TreeReader(store: store)
    }

    /// Applies `changes` (pulled one at a time) to the tree at `root`.
    public func apply<Changes: IteratorProtocol<KeyedChange>>(
        _ changes: Changes, to root: TreeRoot?, builder: TreeBuilder? = nil
    ) throws -> TreeRoot? {
        var stream = PeekingChanges(changes)
        let builder = builder ?? TreeBuilder(store: store)
        if let root {
            try visit(IndexEntry(lastKey: [], child: root.id, rows: root.rows), level: root.level,
                      rightmost: true, changes: &stream, builder: builder)
        }
        while let change = try stream.pop() { try emitNew(change, builder) }
        return try builder.finish()
    }

    /// Visits a subtree at `level` whose largest key is `entry.lastKey`; on
    /// the rightmost spine the bound is open (every remaining change is ours).
    private func visit(_ entry: IndexEntry, level: Int, rightmost: Bool,
                       changes: inout PeekingChanges<some IteratorProtocol<KeyedChange>>, builder: TreeBuilder) throws {
        let touched: Bool
        if let next = changes.peekKey {
            touched = rightmost || compareSlices(next, entry.lastKey) <= 0
        } else {
            touched = false
        }
        if !touched && !rightmost && builder.isAtBoundary(throughLevel: level) {
            try builder.appendSubtree(entry, level: level)
            return
        }
        if level == 0 {
            try mergeChunk(entry.child, bound: rightmost ? nil : entry.lastKey, changes: &changes, builder: builder)
            return
        }
        let node = try reader.index(entry.child)
        guard node.level == level else {
            throw StoreError.corruptObject(entry.child, reason: "index node at level \(node.level), expected \(level)")
        }
        for (i, child) in node.entries.enumerated() {
            try visit(child, level: level - 1, rightmost: rightmost && i == node.entries.count - 1,
                      changes: &changes, builder: builder)
        }
    }

    /// Feeds a chunk's rows, merged with the changes up to `bound`, to the builder.
    private func mergeChunk(_ id: ObjectID, bound: [UInt8]?,
                            changes: inout PeekingChanges<some IteratorProtocol<KeyedChange>>, builder: TreeBuilder) throws {
        let chunk = try reader.chunk(id)
        if let bound, try replaceValues(chunk, bound: bound, changes: &changes, builder: builder) { return }
        for i in 0..<chunk.count {
            let key = chunk.key(i)
            while let next = changes.peekKey, compareSlices(key, next) > 0 {
                try emitNew(try changes.pop()!, builder)
            }
            if let next = changes.peekKey, compareSlices(key, next) == 0 {
                let change = try changes.pop()!
                switch change.change {
                case let .upsert(value): try builder.append(key: key, value: value)
                case .insert: throw TreeError.duplicateKey(key: Array(key), origin: change.origin)
                case .delete: break
                case let .addCount(n):
                    let old = try RowCodec.multiplicity(of: chunk.value(i))
                    if old + n > 0 { try builder.append(key: key, value: RowCodec.multiplicity(old + n)[...]) }
                }
            } else {
                try builder.append(key: key, value: chunk.value(i))
            }
        }
        while let next = changes.peekKey, bound.map({ compareSlices(next, $0) <= 0 }) ?? true {
            try emitNew(try changes.pop()!, builder)
        }
    }

    /// The common edit of a chunk: only values of existing keys change. When
    /// the builder is at a boundary, the chunk is not the last one, and
    /// neither the old nor the new chunk comes near the byte limit, the
    /// rebuilt chunk ends exactly where the old one did (cuts depend on the
    /// keys), so it is the old payload with those values replaced, written
    /// whole. Otherwise the changes are given back and nothing is done.
    private func replaceValues(_ chunk: Chunk, bound: [UInt8],
                               changes: inout PeekingChanges<some IteratorProtocol<KeyedChange>>,
                               builder: TreeBuilder) throws -> Bool {
        let limit = ChunkBoundary.leafMaxBytes / 2
        guard chunk.count > 0, chunk.payload.count < limit, builder.isAtBoundary(throughLevel: 0) else { return false }
        var popped: [KeyedChange] = []
        var replacements: [(row: Int, value: ArraySlice<UInt8>)] = []
        var row = 0
        while let next = changes.peekKey, compareSlices(next, bound) <= 0 {
            let change = try changes.pop()!
            popped.append(change)
            while row < chunk.count, compareSlices(chunk.key(row), change.key) < 0 { row += 1 }
            guard case let .upsert(value) = change.change, row < chunk.count, compareSlices(chunk.key(row), change.key) == 0 else {
                changes.giveBack(popped)
                return false
            }
            replacements.append((row, value))
        }
        var payload: [UInt8] = []
        payload.reserveCapacity(chunk.payload.count + replacements.reduce(0) { $0 + $1.value.count } + 8)
        Varint.append(chunk.count, to: &payload)
        var copied = chunk.rowRange(0).lowerBound
        for (row, value) in replacements {
            // The rows before, then this row's key as stored, then its new value.
            payload.append(contentsOf: chunk.payload[copied..<chunk.keyRange(row).upperBound])
            Varint.append(value.count, to: &payload)
            payload.append(contentsOf: value)
            copied = chunk.rowRange(row).upperBound
        }
        payload.append(contentsOf: chunk.payload[copied...])
        guard payload.count < limit else {
            changes.giveBack(popped)
            return false
        }
        try builder.appendChunk(payload: payload, rows: chunk.count, lastKey: Array(chunk.key(chunk.count - 1)))
        return true
    }

    /// A change for a key that does not exist.
    private func emitNew(_ change: KeyedChange, _ builder: TreeBuilder) throws {
        switch change.change {
        case let .upsert(value), let .insert(value): try builder.append(key: change.key, value: value)
        case .delete: break
        case let .addCount(n): if n > 0 { try builder.append(key: change.key, value: RowCodec.multiplicity(n)[...]) }
        }
    }
}

/// Changes with one of look-ahead, checked to be in strictly ascending key order.
struct PeekingChanges<Base: IteratorProtocol<KeyedChange>> {
    private var base: Base
    private var head: KeyedChange?
    private var previous: ArraySlice<UInt8>?
    /// Changes popped and given back (`giveBack`), the first last.
    private var returned: [KeyedChange] = []

    init(_ base: Base) {
        self.base = base
        head = self.base.next()
    }

    var peekKey: ArraySlice<UInt8>? { returned.last?.key ?? head?.key }

    /// Puts back changes just popped, in the order they were popped: they
    /// come out again first (already checked).
    mutating func giveBack(_ changes: [KeyedChange]) {
        returned.append(contentsOf: changes.reversed())
    }

    mutating func pop() throws -> KeyedChange? {
        if let again = returned.popLast() { return again }
        guard let current = head else { return nil }
        if let previous {
            let order = compareSlices(previous, current.key)
            if order == 0 { throw TreeError.duplicateKey(key: Array(current.key), origin: current.origin) }
            if order > 0 { throw TreeError.keysOutOfOrder }
        }
        previous = current.key
        head = base.next()
        return current
    }
}
