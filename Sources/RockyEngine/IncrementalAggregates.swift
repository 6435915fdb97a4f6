import RockyBase
import RockySQL
import RockyStore
import RockyTable

/// A GROUP BY whose touched groups' results follow from the earlier output
/// and the aggregates of the delta's own rows (old images: removed; new
/// images: added), without reading the groups' other rows. Only where the
/// result is the one a full run computes, bit for bit:
/// - the result is keyed by the group columns (`passthroughKey`), no HAVING
///   (a group it hid has no earlier row to start from);
/// - every column is a group column or a bare COUNT(*), COUNT(x), SUM(x)
///   or MIN/MAX(x) of an INTEGER or DECIMAL x: exact arithmetic and order.
///   (SUM of a DECIMAL in SQLite is a wide DECIMAL(38, s), added exactly.)
/// AVG is not derived: SQLite 3.40 (the engine's) adds the values of an
/// INTEGER AVG as doubles in row order, which equals the exact sum over the
/// count only while every running sum stays within 2^53, and the output
/// cannot show that; a DECIMAL AVG rounds a quotient. DOUBLE SUM/AVG run in
/// full (`shapeAnalysis`). Such statements recompute the touched groups.
///
/// A group whose result the parts leave open is recomputed from its rows:
/// a removed row held the MIN/MAX and no added row reaches it; a SUM lost
/// values, gained none, and came to 0 with no COUNT(x) to tell 0 from
/// NULL; a group that only lost rows without a COUNT(*) to tell whether
/// any are left; an integer overflow.
struct AggregateDerivation {
    enum Rule {
        case group
        case count
        /// `count`: the column holding COUNT of the same argument, if any.
        case sum(count: Int?)
        case min, max
    }

    var rules: [Rule]
    /// The COUNT(*) column, if any.
    var countStar: Int?
    /// The result's column types: a SUM that no longer fits is recomputed
    /// (and fails there as in a full run).
    var types: [ColumnType] = []

    init?(_ statement: CompiledStatement, schema: Schema, passthrough: [Int]) {
        guard case let .createTableAs(_, _, query) = statement.ir, case let .select(select) = query.body,
              case let .table(scan)? = select.from, select.having == nil, select.items.count == schema.columns.count else { return nil }
        let groups = Set(select.groupBy.compactMap { e -> Int? in
            if case let .column(ref) = e.kind, ref.relation == scan.relation { return ref.index }
            return nil
        })
        var rules: [Rule] = []
        var countStar: Int?
        var counts: [BoundExpr: Int] = [:]
        for (i, item) in select.items.enumerated() {
            if case let .aggregate(call) = item.expr.kind, !call.distinct, call.function == .count || call.function == .countStar {
                if let argument = call.argument { counts[argument] = counts[argument] ?? i } else { countStar = countStar ?? i }
            }
        }
        func exact(_ e: BoundExpr?) -> Bool {
            guard let type = e?.type else { return false }
            if type == .integer { return true }
            if case .decimal = type { return true }
            return false
        }
        for item in select.items {
            switch item.expr.kind {
            case let .column(ref) where ref.relation == scan.relation && groups.contains(ref.index):
                rules.append(.group)
            case let .aggregate(call) where !call.distinct:
                switch call.function {
                case .count, .countStar: rules.append(.count)
                case .sum where exact(call.argument): rules.append(.sum(count: call.argument.flatMap { counts[$0] }))
                case .min where exact(call.argument): rules.append(.min)
                case .max where exact(call.argument): rules.append(.max)
                default: return nil
                }
            default:
                return nil
            }
        }
        guard !passthrough.isEmpty else { return nil }
        self.rules = rules
        types = schema.columns.map(\.type)
        self.countStar = countStar
    }

    enum Outcome {
        case row([Value])
        case gone
        case recompute
    }

    /// A group's current result from its earlier row, and the results of
    /// the statement over its removed and its added rows (nil: none).
    func combine(earlier: [Value]?, removed: [Value]?, added: [Value]?) -> Outcome {
        guard earlier != nil || removed == nil else { return .recompute }
        if added == nil {
            guard let c = countStar, case let .integer(before)? = earlier?[c], case let .integer(gone)? = removed?[c] else { return .recompute }
            if before == gone { return .gone }
            if before < gone { return .recompute }
        }
        guard let base = added ?? earlier ?? removed else { return .gone }
        var row = base
        // Counts first: a SUM reads its COUNT(x).
        for (i, rule) in rules.enumerated() {
            guard case .count = rule else { continue }
            var n: Int64 = 0
            for (part, sign) in [(earlier, Int64(1)), (removed, -1), (added, 1)] {
                guard let part else { continue }
                guard case let .integer(v) = part[i] else { return .recompute }
                n += sign * v
            }
            if n < 0 { return .recompute }
            row[i] = .integer(n)
        }
        for (i, rule) in rules.enumerated() {
            let o = earlier?[i] ?? .null, r = removed?[i] ?? .null, a = added?[i] ?? .null
            switch rule {
            case .group, .count:
                continue
            case let .sum(count):
                if r.isNull {
                    if o.isNull { row[i] = a } else if a.isNull { row[i] = o } else {
                        guard let v = Self.add(o, a) else { return .recompute }
                        row[i] = v
                    }
                } else {
                    guard !o.isNull, let t = Self.subtract(o, r) else { return .recompute }
                    if !a.isNull {
                        guard let v = Self.add(t, a) else { return .recompute }
                        row[i] = v
                    } else if let c = count {
                        row[i] = row[c] == .integer(0) ? .null : t
                    } else if Self.compare(t, .integer(0)) != 0 {
                        row[i] = t
                    } else {
                        return .recompute
                    }
                }
            case .min, .max:
                let sign = { (x: Value, y: Value) -> Int? in
                    guard let c = Self.compare(x, y) else { return nil }
                    if case .min = rule { return c } else { return -c }
                }
                // `sign(x, y) <= 0`: x is at least as extreme as y.
                if !r.isNull, o.isNull { return .recompute }
                if !a.isNull {
                    if o.isNull { row[i] = a; continue }
                    guard let c = sign(a, o) else { return .recompute }
                    if c <= 0 { row[i] = a; continue }
                }
                if r.isNull { row[i] = o; continue }
                guard let c = sign(r, o) else { return .recompute }
                if c > 0 { row[i] = o } else { return .recompute }
            }
        }
        for (i, rule) in rules.enumerated() {
            if case .sum = rule, !row[i].fits(types[i]) { return .recompute }
        }
        return .row(row)
    }

    static func add(_ a: Value, _ b: Value) -> Value? {
        switch (a, b) {
        case let (.integer(x), .integer(y)):
            let (v, overflow) = x.addingReportingOverflow(y)
            return overflow ? nil : .integer(v)
        case let (.decimal(x), .decimal(y)):
            return ExactDecimal.adding(x, y).map(Value.decimal)
        default:
            return nil
        }
    }

    static func subtract(_ a: Value, _ b: Value) -> Value? {
        switch (a, b) {
        case let (.integer(x), .integer(y)):
            let (v, overflow) = x.subtractingReportingOverflow(y)
            return overflow ? nil : .integer(v)
        case let (.decimal(x), .decimal(y)):
            return ExactDecimal.subtracting(x, y).map(Value.decimal)
        default:
            return nil
        }
    }

    /// -1, 0, 1; nil for values of other types.
    static func compare(_ a: Value, _ b: Value) -> Int? {
        switch (a, b) {
        case let (.integer(x), .integer(y)): return x < y ? -1 : x == y ? 0 : 1
        case let (.decimal(x), .decimal(y)): return x < y ? -1 : x == y ? 0 : 1
        case let (.decimal(x), .integer(y)):
            let z = ExactDecimal(units: Int128(y), scale: 0)
            return x < z ? -1 : x == z ? 0 : 1
        default: return nil
        }
    }
}

extension StatementRun {
    /// `.groups` with an `AggregateDerivation`: the statement runs over the
    /// delta's old and new images (small), and each touched group's result
    /// is combined from those and its earlier output row; the groups that
    /// leaves open run over their current rows.
    func derive(_ derivation: AggregateDerivation, _ basis: IncrementalBasis, output: Table, schema: Schema, target: String, sql: String,
                deltas: (old: BackendTable, new: BackendTable), input: (id: ObjectID, table: Table), inputName: String,
                groupColumns: [String], groupIndices: [Int], passthrough: [Int],
                deltaKeys: [[UInt8]], deltaGroups: [[[Value]]], prefix: Int?, deltaRows: Int) throws -> IncrementalResult {
        let codec = RowCodec(schema: schema)
        func rows(_ root: TreeRoot?) throws -> [[UInt8]: [Value]] {
            var result: [[UInt8]: [Value]] = [:]
            var cursor = TreeReader(store: store).rows(root)
            while let (key, value) = try cursor.nextRow() {
                result[Array(key)] = try key.withUnsafeBytes { k in try value.withUnsafeBytes { v in try codec.decode(key: k, value: v).row } }
            }
            return result
        }
        let removed = try rows(try materialize(sql, schema: schema, target: target, over: [deltas.old]).root)
        let added = try rows(try materialize(sql, schema: schema, target: target, over: [deltas.new]).root)
        let keys = Set(removed.keys).union(added.keys).sorted { $0.lexicographicallyPrecedes($1) }
        let earlierRows = try SortedLookup(store: store).rows(at: keys, in: output.root)
        var earlier: [[UInt8]: [Value]] = [:]
        for row in earlierRows {
            earlier[row.key] = try row.key.withUnsafeBytes { k in try row.value.withUnsafeBytes { v in try codec.decode(key: k, value: v).row } }
        }
        var current: [[UInt8]: [Value]] = [:]
        var recompute = Set<[UInt8]>()
        for key in keys {
            switch derivation.combine(earlier: earlier[key], removed: removed[key], added: added[key]) {
            case let .row(row): current[key] = row
            case .gone: break
            case .recompute: recompute.insert(key)
            }
        }
        var recomputed = deltas.old.table.rowCount + deltas.new.table.rowCount + earlierRows.count
        if !recompute.isEmpty {
            // The open groups' current rows: by key range when the input's
            // key starts with group columns, else every touched group's rows.
            let restricted: BackendTable
            if let prefix {
                var groupKeys: [[Value]: [UInt8]] = [:]
                func outputKey(_ group: [Value]) -> [UInt8] {
                    if let known = groupKeys[group] { return known }
                    var row = [Value](repeating: .null, count: input.table.schema.columns.count)
                    for (k, index) in groupIndices.enumerated() { row[index] = group[k] }
                    let key = outputKeys(of: [row], inputColumns: passthrough, schema: schema)[0]
                    groupKeys[group] = key
                    return key
                }
                let wanted = zip(deltaKeys, deltaGroups).filter { $0.1.contains { recompute.contains(outputKey($0)) } }.map(\.0)
                restricted = try restrict(input.table, toPrefixesOf: wanted, length: prefix, name: inputName,
                                          limit: input.table.rowCount / 4)
            } else {
                restricted = try restrict(BackendTable(name: inputName, id: input.id, table: input.table), toGroupsOf: groupColumns,
                                          in: [deltas.old, deltas.new])
            }
            if restricted.table.rowCount > input.table.rowCount / 4 { throw Self.tooManyGroupRows }
            recomputed += restricted.table.rowCount
            for (key, row) in try rows(try materialize(sql, schema: schema, target: target, over: [restricted]).root)
            where recompute.contains(key) {
                current[key] = row
            }
        }
        let before = TreeBuilder(store: store), after = TreeBuilder(store: store)
        for row in earlierRows { try before.append(key: row.key[...], value: row.value[...]) }
        for key in keys {
            guard let row = current[key] else { continue }
            try after.append(key: key[...], value: codec.value(of: row)[...])
        }
        var stats = IncrementalStats(shape: .groups, inputDeltaRows: deltaRows, rowsRecomputed: recomputed, outputDeltaRows: 0)
        stats.groupsDerived = keys.count - recompute.count
        return try apply(basis, output: output, schema: schema, target: target, from: try before.finish(), to: try after.finish(), stats: stats)
    }
}
