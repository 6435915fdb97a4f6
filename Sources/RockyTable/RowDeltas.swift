import RockyBase

/// Row differences decoded into `RowDelta`s, streamed. A difference whose
/// shared columns are all equal (only an added or dropped column differs,
/// or a DECIMAL whose scale changed) is not a delta and is skipped.
public struct RowDeltas: Sequence, IteratorProtocol {
    /// The next difference; throws when a node cannot be read (never a
    /// quiet early end: a diff that stops short would look complete).
    private let nextDifference: () throws -> RowDifference?
    private let oldCodec: RowCodec?
    private let newCodec: RowCodec?
    /// Shared columns: (position in old row, position in new row, id, new name).
    private let shared: [(Int, Int, Int, String)]
    /// Columns only the new side has: (position in new row, id, name); their
    /// values count as changes only when `includeAddedColumns`.
    private let added: [(Int, Int, String)]
    private let includeAddedColumns: Bool
    /// Applied to each delta before it is returned (`mapping`).
    private var transform: ((RowDelta) -> RowDelta)?
    public private(set) var error: Error?

    init(differences: @escaping () throws -> RowDifference?, oldCodec: RowCodec?, newCodec: RowCodec?, includeAddedColumns: Bool = false) {
        nextDifference = differences
        self.oldCodec = oldCodec
        self.newCodec = newCodec
        self.includeAddedColumns = includeAddedColumns
        if let oldCodec, let newCodec {
            shared = newCodec.schema.columns.enumerated().compactMap { j, column in
                oldCodec.schema.index(ofColumn: column.id).map { ($0, j, column.id, column.name) }
            }
            added = newCodec.schema.columns.enumerated().compactMap { j, column in
                oldCodec.schema.index(ofColumn: column.id) == nil ? (j, column.id, column.name) : nil
            }
        } else {
            shared = []
            added = []
        }
    }

    public mutating func next() -> RowDelta? {
        do { return try nextDelta() } catch {
            self.error = error
            return nil
        }
    }

    /// The same differences, each passed through `transform` (after any
    /// earlier one): how a caller masks the values it hands on.
    public func mapping(_ transform: @escaping (RowDelta) -> RowDelta) -> RowDeltas {
        var copy = self
        copy.transform = self.transform.map { first in { transform(first($0)) } } ?? transform
        return copy
    }

    public mutating func nextDelta() throws -> RowDelta? {
        guard let delta = try nextDecodedDelta() else { return nil }
        return transform.map { $0(delta) } ?? delta
    }

    private mutating func nextDecodedDelta() throws -> RowDelta? {
        if let error { throw error }
        while let d = try nextDifference() {
            let old = try d.old.map { v in try decode(oldCodec!, d.key, v) }
            let new = try d.new.map { v in try decode(newCodec!, d.key, v) }
            switch (old, new) {
            case let (nil, n?):
                return newCodec!.isKeyless ? .countChanged(row: n.row, old: 0, new: n.count) : .added(n.row)
            case let (o?, nil):
                if oldCodec!.isKeyless { return .countChanged(row: o.row, old: o.count, new: 0) }
                return .removed(o.row)
            case let (o?, n?):
                if newCodec!.isKeyless {
                    if o.count != n.count { return .countChanged(row: n.row, old: o.count, new: n.count) }
                    continue
                }
                var cells = shared.compactMap { i, j, id, name -> CellChange? in
                    Self.same(o.row[i], n.row[j]) ? nil : CellChange(columnID: id, column: name, old: o.row[i], new: n.row[j])
                }
                if includeAddedColumns {
                    cells += added.compactMap { j, id, name in n.row[j].isNull ? nil : CellChange(columnID: id, column: name, old: .null, new: n.row[j]) }
                }
                if !cells.isEmpty { return .modified(old: o.row, new: n.row, cells: cells) }
            case (nil, nil):
                continue
            }
        }
        return nil
    }

    private func decode(_ codec: RowCodec, _ key: [UInt8], _ value: ArraySlice<UInt8>) throws -> (row: [Value], count: Int) {
        try key.withUnsafeBytes { k in try value.withUnsafeBytes { v in try codec.decode(key: k, value: v) } }
    }

    /// Equal values, across a retyped column: decimals compare by value,
    /// an INTEGER equals the same DECIMAL.
    static func same(_ a: Value, _ b: Value) -> Bool {
        switch (a, b) {
        case let (.decimal(x), .decimal(y)): x == y
        case let (.integer(x), .decimal(y)), let (.decimal(y), .integer(x)): ExactDecimal(units: Int128(x), scale: 0) == y
        case let (.double(x), .double(y)): x == y || (x.isNaN && y.isNaN)
        default: a == b
        }
    }
}
