import RockyStore

/// Reads table trees: decoded nodes, and cursors over rows in key order.
public struct TreeReader: Sendable {
    public let store: any ObjectStore

    public init(store: any ObjectStore) { self.store = store }

    public func chunk(_ id: ObjectID) throws -> Chunk {
        let payload = try store.read(id, as: .chunk)
        do { return try Chunk(payload: payload) } catch let error as DecodeError {
            throw StoreError.corruptObject(id, reason: "chunk does not decode: \(error)")
        }
    }

    public func index(_ id: ObjectID) throws -> IndexNode {
        let payload = try store.read(id, as: .index)
        do { return try IndexNode(payload: payload) } catch let error as DecodeError {
            throw StoreError.corruptObject(id, reason: "index node does not decode: \(error)")
        }
    }

    /// The children of a node at `level` (>= 1).
    public func entries(of id: ObjectID) throws -> [IndexEntry] { try index(id).entries }

    /// Every row of the tree in key order, or those with key >= `from`.
    public func rows(_ root: TreeRoot?, from: [UInt8]? = nil) -> RowCursor {
        RowCursor(reader: self, root: root, from: from)
    }

    /// Every chunk id of the tree, in order, reading only index nodes.
    public func chunkIDs(_ root: TreeRoot?) throws -> [ObjectID] {
        guard let root else { return [] }
        var result: [ObjectID] = []
        func walk(_ id: ObjectID, _ level: Int) throws {
            if level == 0 { result.append(id); return }
            for e in try entries(of: id) { try walk(e.child, level - 1) }
        }
        try walk(root.id, root.level)
        return result
    }

    /// Every object of the tree (index nodes and chunks): what a table holds.
    public func objectIDs(_ root: TreeRoot?) throws -> [ObjectID] {
        guard let root else { return [] }
        var result: [ObjectID] = []
        func walk(_ id: ObjectID, _ level: Int) throws {
            result.append(id)
            if level == 0 { return }
            for e in try entries(of: id) { try walk(e.child, level - 1) }
        }
        try walk(root.id, root.level)
        return result
    }
}

/// A forward cursor over the rows of a tree. Holds one chunk and one index
/// node per level at a time.
public struct RowCursor: Sequence, IteratorProtocol {
    private let reader: TreeReader
    /// Index nodes on the path, with the position of the next child to visit.
    private var stack: [(entries: [IndexEntry], next: Int, childLevel: Int)] = []
    private var chunk: Chunk?
    private var position = 0
    private var pendingRoot: TreeRoot?
    /// Where to start; cleared once the first chunk is positioned.
    private var from: [UInt8]?
    /// The first error met; iteration stops there. Check it after the loop.
    public private(set) var error: Error?

    init(reader: TreeReader, root: TreeRoot?, from: [UInt8]?) {
        self.reader = reader
        self.from = from
        pendingRoot = root
    }

    public mutating func next() -> (key: ArraySlice<UInt8>, value: ArraySlice<UInt8>)? {
        do { return try advance() } catch {
            self.error = error
            return nil
        }
    }

    /// Like `next()`, but throws instead of stopping.
    public mutating func nextRow() throws -> (key: ArraySlice<UInt8>, value: ArraySlice<UInt8>)? {
        if let error { throw error }
        return try advance()
    }

    private mutating func advance() throws -> (key: ArraySlice<UInt8>, value: ArraySlice<UInt8>)? {
        if let root = pendingRoot {
            pendingRoot = nil
            try descend(root.id, level: root.level)
        }
        while true {
            if let c = chunk, position < c.count {
                defer { position += 1 }
                return (c.key(position), c.value(position))
            }
            chunk = nil
            guard var top = stack.popLast() else { return nil }
            if top.next < top.entries.count {
                let entry = top.entries[top.next]
                top.next += 1
                stack.append(top)
                try descend(entry.child, level: top.childLevel)
            }
        }
    }

    private mutating func descend(_ id: ObjectID, level: Int) throws {
        if level == 0 {
            let c = try reader.chunk(id)
            position = 0
            if let from {
                position = firstIndex(in: c, notBelow: from)
                self.from = nil
            }
            chunk = c
            return
        }
        let node = try reader.index(id)
        guard node.level == level else {
            throw StoreError.corruptObject(id, reason: "index node at level \(node.level) where level \(level) was expected")
        }
        var start = 0
        if let from {
            start = node.entries.firstIndex { compareBytes($0.lastKey, from) >= 0 } ?? node.entries.count
        }
        stack.append((node.entries, start, level - 1))
    }

    private func firstIndex(in chunk: Chunk, notBelow key: [UInt8]) -> Int {
        var low = 0, high = chunk.count
        while low < high {
            let mid = (low + high) / 2
            if compareSlices(chunk.key(mid), key) < 0 { low = mid + 1 } else { high = mid }
        }
        return low
    }
}

func compareSlices(_ a: ArraySlice<UInt8>, _ b: [UInt8]) -> Int {
    a.withUnsafeBytes { x in b.withUnsafeBytes { y in compareBytes(x, y) } }
}

func compareSlices(_ a: ArraySlice<UInt8>, _ b: ArraySlice<UInt8>) -> Int {
    a.withUnsafeBytes { x in b.withUnsafeBytes { y in compareBytes(x, y) } }
}
