import RockyStore

/// One key whose stored bytes differ between two trees: `old` is nil for an
/// added row, `new` for a removed one. For keyless tables the values are
/// multiplicities.
public struct RowDifference: Sendable {
    public var key: [UInt8]
    public var old: ArraySlice<UInt8>?
    public var new: ArraySlice<UInt8>?
}

/// The differences between two trees, in key order, streamed.
///
/// Both trees are walked together; whenever the next pending items of both
/// sides are subtrees with the same id, both are skipped unread. Trees are
/// canonical (the same rows give the same chunks), so past a change the two
/// walks fall back in step at the next chunk boundary, and the work done grows
/// with the size of the difference, not with the tables.
public struct TreeDiff: Sequence, IteratorProtocol {
    private var a: DiffSide
    private var b: DiffSide
    /// The first error met; iteration stops there.
    public private(set) var error: Error?
    /// Objects read so far, on both sides (to measure that cost follows the difference).
    public var nodesRead: Int { a.nodesRead + b.nodesRead }

    public init(store: any ObjectStore, old: TreeRoot?, new: TreeRoot?) {
        let reader = TreeReader(store: store)
        a = DiffSide(reader: reader, root: old)
        b = DiffSide(reader: reader, root: new)
    }

    public mutating func next() -> RowDifference? {
        do { return try step() } catch {
            self.error = error
            return nil
        }
    }

    public mutating func nextDifference() throws -> RowDifference? {
        if let error { throw error }
        return try step()
    }

    private mutating func step() throws -> RowDifference? {
        while true {
            DiffSide.skipSharedRows(&a, &b)
            let x = try a.peek(), y = try b.peek()
            switch (x, y) {
            case (nil, nil):
                return nil
            case let (.subtree(s)?, .subtree(t)?):
                if s.id == t.id {
                    a.skip(); b.skip()
                } else if s.level >= t.level {
                    try a.descend()
                } else {
                    try b.descend()
                }
            case let (.subtree(s)?, .row(key, value)?):
                if let low = s.low, compareSlices(key, low) <= 0 {
                    b.skip()
                    return RowDifference(key: Array(key), old: nil, new: value)
                }
                try a.descend()
            case let (.row(key, value)?, .subtree(t)?):
                if let low = t.low, compareSlices(key, low) <= 0 {
                    a.skip()
                    return RowDifference(key: Array(key), old: value, new: nil)
                }
                try b.descend()
            case (.subtree?, nil):
                try a.descend()
            case (nil, .subtree?):
                try b.descend()
            case let (.row(key, value)?, nil):
                a.skip()
                return RowDifference(key: Array(key), old: value, new: nil)
            case let (nil, .row(key, value)?):
                b.skip()
                return RowDifference(key: Array(key), old: nil, new: value)
            case let (.row(k1, v1)?, .row(k2, v2)?):
                let order = compareSlices(k1, k2)
                if order < 0 {
                    a.skip()
                    return RowDifference(key: Array(k1), old: v1, new: nil)
                }
                if order > 0 {
                    b.skip()
                    return RowDifference(key: Array(k2), old: nil, new: v2)
                }
                a.skip(); b.skip()
                if v1 != v2 { return RowDifference(key: Array(k1), old: v1, new: v2) }
            }
        }
    }
}

/// One side of a diff: a stack of partly visited nodes.
private struct DiffSide {
    struct Subtree {
        var id: ObjectID
        var level: Int
        /// Every key below is greater than `low` (nil: no lower bound).
        var low: [UInt8]?
    }

    enum Item {
        case subtree(Subtree)
        case row(ArraySlice<UInt8>, ArraySlice<UInt8>)
    }

    enum Frame {
        case index(entries: [IndexEntry], position: Int, childLevel: Int, low: [UInt8]?)
        case chunk(Chunk, position: Int)
        case root(TreeRoot)
    }

    let reader: TreeReader
    var stack: [Frame] = []
    var nodesRead = 0

    init(reader: TreeReader, root: TreeRoot?) {
        self.reader = reader
        if let root { stack = [.root(root)] }
    }

    mutating func peek() throws -> Item? {
        while let top = stack.last {
            switch top {
            case let .root(root):
                return .subtree(Subtree(id: root.id, level: root.level, low: nil))
            case let .index(entries, position, level, low):
                if position < entries.count {
                    let bound = position == 0 ? low : entries[position - 1].lastKey
                    return .subtree(Subtree(id: entries[position].child, level: level, low: bound))
                }
            case let .chunk(chunk, position):
                if position < chunk.count { return .row(chunk.key(position), chunk.value(position)) }
            }
            stack.removeLast()
        }
        return nil
    }

    /// When both sides stand in a chunk, moves both past the rows they share
    /// from there on (same key, same value) in one tight loop: two chunks
    /// that differ in one row are compared at memcmp speed, without an item
    /// per row.
    static func skipSharedRows(_ a: inout DiffSide, _ b: inout DiffSide) {
        guard case let .chunk(x, start)? = a.stack.last, case let .chunk(y, other)? = b.stack.last else { return }
        var i = start, j = other
        while i < x.count, j < y.count, x.sameRow(i, as: y, j) {
            i += 1
            j += 1
        }
        guard i > start else { return }
        a.stack[a.stack.count - 1] = .chunk(x, position: i)
        b.stack[b.stack.count - 1] = .chunk(y, position: j)
    }

    /// Moves past the current item (a whole subtree, or one row).
    mutating func skip() {
        switch stack.removeLast() {
        case .root: break
        case let .index(entries, position, level, low): stack.append(.index(entries: entries, position: position + 1, childLevel: level, low: low))
        case let .chunk(chunk, position): stack.append(.chunk(chunk, position: position + 1))
        }
    }

    /// Replaces the current subtree by its children (or rows).
    mutating func descend() throws {
        guard case let .subtree(subtree)? = try peek() else { return }
        skip()
        nodesRead += 1
        if subtree.level == 0 {
            stack.append(.chunk(try reader.chunk(subtree.id), position: 0))
        } else {
            let node = try reader.index(subtree.id)
            guard node.level == subtree.level else {
                throw StoreError.corruptObject(subtree.id, reason: "index node at level \(node.level), expected \(subtree.level)")
            }
            stack.append(.index(entries: node.entries, position: 0, childLevel: subtree.level - 1, low: subtree.low))
        }
    }
}
