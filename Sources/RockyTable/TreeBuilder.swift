import RockyStore

/// The root of a table tree: a chunk (level 0) or an index node, with the
/// number of rows below it. An empty table has no root.
public struct TreeRoot: Equatable, Sendable {
    public var id: ObjectID
    public var level: Int
    public var rows: Int
}

/// Builds a table tree from rows in strictly ascending key order, writing
/// each chunk and index node as soon as it is complete: memory holds one
/// unfinished node per level, never the table.
///
/// Besides rows, whole subtrees of an existing tree can be appended by
/// reference (`appendSubtree`) when every level below is at a boundary: the
/// boundary rule only looks at what came since the last boundary, so such a
/// subtree is exactly what rebuilding its rows would produce. That is what
/// makes edits cost what they change (`TreeEditor`).
public final class TreeBuilder {
    private let store: any ObjectStore
    private var leafBody: [UInt8] = []
    private var leafRows = 0
    /// pending[L] (L >= 1): entries of the unfinished node at level L.
    private var pending: [[IndexEntry]] = [[], []]
    /// The last key appended (reused buffer), empty before the first row.
    private var lastKey: [UInt8] = []
    private var hasLastKey = false
    public private(set) var rowCount = 0
    public private(set) var objectsWritten = 0
    public private(set) var bytesWritten = 0

    public init(store: any ObjectStore) {
        self.store = store
        leafBody.reserveCapacity(64 * 1024)
    }

    /// Appends a row; keys must strictly increase.
    public func append(key: ArraySlice<UInt8>, value: ArraySlice<UInt8>) throws {
        try key.withUnsafeBytes { k in try value.withUnsafeBytes { v in try append(key: k, value: v) } }
    }

    public func append(key: [UInt8], value: [UInt8]) throws {
        try key.withUnsafeBytes { k in try value.withUnsafeBytes { v in try append(key: k, value: v) } }
    }

    /// Appends a row from raw bytes; keys must strictly increase.
    public func append(key: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer) throws {
        if hasLastKey {
            let order = lastKey.withUnsafeBytes { compareBytes($0, key) }
            if order >= 0 { throw TreeError.keysOutOfOrder }
        }
        Varint.append(key.count, to: &leafBody)
        leafBody.append(contentsOf: key)
        Varint.append(value.count, to: &leafBody)
        leafBody.append(contentsOf: value)
        leafRows += 1
        rowCount += 1
        lastKey.removeAll(keepingCapacity: true)
        lastKey.append(contentsOf: key)
        hasLastKey = true
        if ChunkBoundary.endsLeaf(key: key, rows: leafRows, bytes: leafBody.count) { try flushLeaf() }
    }

    /// Whether no unfinished node exists at levels 0 through `level`.
    public func isAtBoundary(throughLevel level: Int) -> Bool {
        guard leafRows == 0 else { return false }
        for l in stride(from: 1, through: level, by: 1) where l < pending.count && !pending[l].isEmpty { return false }
        return true
    }

    /// Appends an existing subtree whose root is at `level` (0: a chunk).
    /// Requires `isAtBoundary(throughLevel: level)` and a last key above every key so far.
    public func appendSubtree(_ entry: IndexEntry, level: Int) throws {
        precondition(isAtBoundary(throughLevel: level), "a subtree can only follow a boundary")
        if hasLastKey, compareBytes(lastKey, entry.lastKey) >= 0 { throw TreeError.keysOutOfOrder }
        lastKey = entry.lastKey
        hasLastKey = true
        rowCount += entry.rows
        try appendEntry(entry, level: level + 1)
    }

    /// Appends a whole chunk, given as its payload: `rows` rows ending with
    /// `lastKey`, which the caller knows appending them one by one would end
    /// exactly after the last (`TreeEditor`: the keys of a chunk that ended
    /// there, far from the byte limit). Requires `isAtBoundary(throughLevel: 0)`.
    public func appendChunk(payload: [UInt8], rows: Int, lastKey: [UInt8]) throws {
        precondition(isAtBoundary(throughLevel: 0), "a chunk can only follow a boundary")
        if hasLastKey, compareBytes(self.lastKey, lastKey) >= 0 { throw TreeError.keysOutOfOrder }
        let id = try write(.chunk, payload)
        self.lastKey = lastKey
        hasLastKey = true
        rowCount += rows
        try appendEntry(IndexEntry(lastKey: lastKey, child: id, rows: rows), level: 1)
    }

    private func flushLeaf() throws {
        var payload: [UInt8] = []
        payload.reserveCapacity(leafBody.count + 5)
        Varint.append(leafRows, to: &payload)
        payload.append(contentsOf: leafBody)
        let id = try write(.chunk, payload)
        let entry = IndexEntry(lastKey: lastKey, child: id, rows: leafRows)
        leafBody.removeAll(keepingCapacity: true)
        leafRows = 0
        try appendEntry(entry, level: 1)
    }

    private func appendEntry(_ entry: IndexEntry, level: Int) throws {
        while pending.count <= level { pending.append([]) }
        pending[level].append(entry)
        if ChunkBoundary.endsIndex(level: level, key: entry.lastKey, entries: pending[level].count) {
            try flushIndex(level)
        }
    }

    private func flushIndex(_ level: Int) throws {
        let entries = pending[level]
        pending[level] = []
        let node = IndexNode(level: level, entries: entries)
        let id = try write(.index, node.payload)
        try appendEntry(IndexEntry(lastKey: entries.last!.lastKey, child: id, rows: entries.reduce(0) { $0 + $1.rows }),
                        level: level + 1)
    }

    private func write(_ kind: ObjectKind, _ payload: [UInt8]) throws -> ObjectID {
        let id = objectID(kind, payload)
        // Written even when it exists: the store then freshens it, so a
        // concurrent gc keeps an unreachable object this tree now reuses.
        if try store.write(kind, payload, id: id) {
            objectsWritten += 1
            bytesWritten += payload.count
        }
        return id
    }

    /// Ends the tree: flushes unfinished nodes bottom-up; the root is the
    /// single entry left at the top. Nil for an empty table.
    public func finish() throws -> TreeRoot? {
        if leafRows > 0 { try flushLeaf() }
        var level = 1
        while level < pending.count {
            let higherEmpty = pending[(level + 1)...].allSatisfy(\.isEmpty)
            if pending[level].isEmpty {
                if higherEmpty { return nil }
                level += 1
                continue
            }
            if higherEmpty && pending[level].count == 1 {
                let entry = pending[level][0]
                return TreeRoot(id: entry.child, level: level - 1, rows: entry.rows)
            }
            try flushIndex(level)
            level += 1
        }
        return nil
    }
}

public enum TreeError: Error, Equatable, Sendable, CustomStringConvertible {
    case keysOutOfOrder
    /// An insert met an existing key; `origin` is the change's tag (a source line).
    case duplicateKey(key: [UInt8], origin: Int)

    public var description: String {
        switch self {
        case .keysOutOfOrder: "rows were not in ascending key order"
        case .duplicateKey: "duplicate key"
        }
    }
}
