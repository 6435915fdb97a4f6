import RockyBase
import RockyStore

/// Carries stored rows of one version of a table into the merged schema's
/// encoding, so that rows of all three versions compare byte for byte.
///
/// Columns match by id (theirs' through the merged id map); a column the
/// merged schema lacks is left out, one the version lacks is NULL, and a
/// value whose type changed is converted (`MergeValues.convert`). A value
/// that does not convert is kept as it was: it then differs from every value
/// of the merged type, and a merged row that keeps it is a constraint
/// conflict.
struct RowProjector {
    let source: Schema
    let target: Schema
    /// The version's rows are stored exactly as the merged schema stores them.
    let isIdentity: Bool
    /// The version's key bytes are the merged schema's (same key columns and
    /// types), so its rows come in the merged order.
    let keepsKeyOrder: Bool
    private let sourceCodec: RowCodec
    private let targetCodec: RowCodec
    /// For each merged column position, the version's position.
    private let sourcePosition: [Int?]
    /// Whether each merged column is part of the key (every column of a keyless table).
    private let isKeyPosition: [Bool]

    init(source: Schema, target: Schema, idMap: [Int: Int] = [:]) {
        self.source = source
        self.target = target
        sourceCodec = RowCodec(schema: source)
        targetCodec = RowCodec(schema: target)
        let keys = Set(target.keyIndices)
        isKeyPosition = target.columns.indices.map { target.isKeyless || keys.contains($0) }
        func mapped(_ id: Int) -> Int { idMap[id] ?? id }
        var positions = [Int?](repeating: nil, count: target.columns.count)
        for (i, column) in source.columns.enumerated() {
            if let j = target.index(ofColumn: mapped(column.id)) { positions[j] = i }
        }
        sourcePosition = positions
        let unmoved = source.columns.allSatisfy { mapped($0.id) == $0.id }
        func sameType(_ c: Column) -> Bool { target.column(id: mapped(c.id))?.type == c.type }
        if source.isKeyless || target.isKeyless {
            let sameColumns = source.isKeyless && target.isKeyless && unmoved
                && source.columns.count == target.columns.count && source.columns.allSatisfy(sameType)
            isIdentity = sameColumns
            keepsKeyOrder = sameColumns
        } else {
            let keySame = source.key.map(mapped) == target.key
                && source.key.allSatisfy { id in source.column(id: id).map(sameType) ?? false }
            keepsKeyOrder = keySame
            isIdentity = keySame && unmoved && source.columns.allSatisfy(sameType)
        }
    }

    enum Projected {
        case row(key: [UInt8], value: [UInt8])
        /// A key value that is NULL or does not convert to the merged key's type.
        case badKey([Value])
    }

    /// The row in the merged encoding.
    func project(key: ArraySlice<UInt8>, value: ArraySlice<UInt8>) throws -> Projected {
        let (row, count) = try key.withUnsafeBytes { k in try value.withUnsafeBytes { v in try sourceCodec.decode(key: k, value: v) } }
        var out = [Value](repeating: .null, count: target.columns.count)
        var keyIsValid = true
        for (j, column) in target.columns.enumerated() {
            guard let i = sourcePosition[j] else { continue }
            let value = row[i]
            if let converted = MergeValues.convert(value, to: column.type) {
                out[j] = converted
            } else {
                out[j] = value
                if isKeyPosition[j] { keyIsValid = false }
            }
            if isKeyPosition[j] && !target.isKeyless && out[j].isNull { keyIsValid = false }
        }
        guard keyIsValid else { return .badKey(out) }
        let projectedKey = targetCodec.key(of: out)
        if target.isKeyless { return .row(key: projectedKey, value: RowCodec.multiplicity(count)) }
        // A value that does not fit its column is kept as it is, not rounded, so that it stays visible.
        var value: [UInt8] = []
        targetCodec.appendValue(of: out, to: &value, roundingUnfit: false)
        return .row(key: projectedKey, value: value)
    }

    /// A value's bytes in the merged encoding; the same bytes when the
    /// projection is the identity.
    func projectValue(key: ArraySlice<UInt8>, value: ArraySlice<UInt8>) throws -> [UInt8]? {
        if isIdentity { return Array(value) }
        if case let .row(_, v) = try project(key: key, value: value) { return v }
        return nil
    }
}

/// Value conversions and encodings of the merge.
enum MergeValues {
    /// What a virtual merge base holds in a cell its bases disagree on: a
    /// TEXT value no real cell holds (and, in other columns, of the wrong
    /// type), so that both sides differ from it there, as git's conflict
    /// markers make both sides differ from a virtual base's text.
    static let unknownBase = Value.text("\u{0}rocky: no common value in the merge bases\u{0}")

    static let unknownBaseCell: [UInt8] = {
        var out: [UInt8] = []
        ValueCodec.append(unknownBase, to: &out)
        return out
    }()

    /// `value` as a value of `type`, exactly, or nil when it has none: the
    /// same value when it already is one; INTEGER and DECIMAL convert to
    /// DECIMAL at the column's scale when no digit is lost; other pairs go
    /// through the canonical text (what export writes and import reads) and
    /// must come back unchanged, so INTEGER becomes TEXT or DOUBLE (when
    /// exact), TEXT "12" becomes INTEGER but "012" does not, DOUBLE 1.5 never
    /// becomes an INTEGER. A DATE becomes a TIMESTAMP at midnight UTC.
    static func convert(_ value: Value, to type: ColumnType) -> Value? {
        switch (value, type) {
        case (.null, _):
            return .null
        case (.boolean, .boolean), (.integer, .integer), (.double, .double), (.text, .text), (.date, .date), (.timestamp, .timestamp):
            return value.canonical
        case let (.decimal(d), .decimal(p, s)):
            guard let r = d.rescaled(to: s), r.fits(precision: p, scale: s) else { return nil }
            return .decimal(r)
        case let (.integer(i), .decimal(p, s)):
            guard let r = ExactDecimal(units: Int128(i), scale: 0).rescaled(to: s), r.fits(precision: p, scale: s) else { return nil }
            return .decimal(r)
        case let (.decimal(d), .integer):
            guard let r = d.rescaled(to: 0), let i = Int64(exactly: r.units) else { return nil }
            return .integer(i)
        case let (.date(d), .timestamp):
            let (micros, overflow) = d.daysSinceEpoch.multipliedReportingOverflow(by: 86_400_000_000)
            return overflow ? nil : .timestamp(Timestamp(microseconds: micros))
        default:
            guard let text = value.text, let converted = ValueParser.value(text, as: type) else { return nil }
            // A round trip through text must not lose anything (1.5 is not the INTEGER 1).
            return converted.text.flatMap { ValueParser.value($0, as: value.kind) } == value.canonical ? converted : nil
        }
    }

    /// The cells of a keyed row's value: (column id, encoded value), by id.
    static func cells(_ value: ArraySlice<UInt8>) throws -> [(id: Int, bytes: ArraySlice<UInt8>)] {
        var out: [(id: Int, bytes: ArraySlice<UInt8>)] = []
        try value.withUnsafeBytes { raw in
            var p = 0
            while p < raw.count {
                let id = try Varint.readInt(raw, &p)
                let start = p
                _ = try ValueCodec.decode(raw, &p)
                out.append((id, value[(value.startIndex + start)..<(value.startIndex + p)]))
            }
        }
        return out
    }

    static func decodeCell(_ bytes: ArraySlice<UInt8>) throws -> Value {
        try bytes.withUnsafeBytes { raw in
            var p = 0
            return try ValueCodec.decode(raw, &p)
        }
    }

    /// A keyless row's multiplicity; 0 for a row that is absent.
    static func multiplicity(_ value: ArraySlice<UInt8>?) throws -> Int {
        try value.map { try RowCodec.multiplicity(of: $0) } ?? 0
    }
}

extension Value {
    /// A column type that holds this value as it is (nil for NULL).
    var kind: ColumnType {
        switch self {
        case .null, .text: .text
        case .boolean: .boolean
        case .integer: .integer
        case .double: .double
        case let .decimal(d): .decimal(precision: ColumnType.maxDecimalPrecision, scale: d.scale)
        case .date: .date
        case .timestamp: .timestamp
        }
    }
}

extension TableMerger {
    /// The version's tree in the merged encoding: the tree itself when the
    /// projection is the identity, otherwise rebuilt (streamed when the key
    /// order is kept, else through an external sort). Rows whose key cannot
    /// be stored, or that land on a key another row took, are returned apart
    /// (the first row with a key keeps it; keyless copies add up).
    func projectTree(_ root: TreeRoot?, _ projector: RowProjector) throws
        -> (root: TreeRoot?, rejected: [(row: [Value], reason: String)], reencoded: Int) {
        if projector.isIdentity || root == nil { return (root, [], 0) }
        var rejected: [(row: [Value], reason: String)] = []
        var cursor = TreeReader(store: store).rows(root)
        let builder = TreeBuilder(store: store)
        let codec = RowCodec(schema: projector.target)
        var count = 0
        if projector.keepsKeyOrder {
            while let (key, value) = try cursor.nextRow() {
                count += 1
                switch try projector.project(key: key, value: value) {
                case let .row(k, v): try builder.append(key: k, value: v)
                case let .badKey(row): rejected.append((row, "key"))
                }
            }
            return (try builder.finish(), rejected, count)
        }
        let sorter = RowSorter(temporaryDirectory: temporaryDirectory)
        while let (key, value) = try cursor.nextRow() {
            count += 1
            switch try projector.project(key: key, value: value) {
            case let .row(k, v): try sorter.add(key: k, value: v, origin: count)
            case let .badKey(row): rejected.append((row, "key"))
            }
        }
        let sorted = try sorter.finish()
        var previous: RowSorter.Record?
        func flush(_ record: RowSorter.Record) throws { try builder.append(key: record.key, value: record.value) }
        while let record = sorted.next() {
            if var p = previous, p.key == record.key {
                if codec.isKeyless {
                    p.value = RowCodec.multiplicity(try RowCodec.multiplicity(of: p.value) + RowCodec.multiplicity(of: record.value))[...]
                    previous = p
                } else {
                    var row = [Value](repeating: .null, count: projector.target.columns.count)
                    try record.key.withUnsafeBytes { k in try record.value.withUnsafeBytes { v in row = try codec.decode(key: k, value: v).row } }
                    rejected.append((row, "duplicate_key"))
                }
                continue
            }
            if let p = previous { try flush(p) }
            previous = record
        }
        try sorted.checkComplete()
        if let p = previous { try flush(p) }
        return (try builder.finish(), rejected, count)
    }
}
