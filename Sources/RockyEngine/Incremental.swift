import RockyBase
import RockySQL
import RockyStore
import RockyTable

/// An earlier execution of the same compiled statement: the input versions
/// it read and the version it wrote.
public struct IncrementalBasis: Sendable {
    public var inputs: [String: ObjectID]
    public var output: ObjectID

    public init(inputs: [String: ObjectID], output: ObjectID) {
        self.inputs = inputs
        self.output = output
    }
}

/// The shapes whose output delta `StatementExecutor.executeIncrementally`
/// derives from an input delta (Docs/incremental.md).
public enum IncrementalShape: String, Sendable {
    /// Projection, filter, CASE, scalar functions over one table: each input
    /// row gives its output rows alone.
    case rows
    /// GROUP BY input columns over one table: each group's output rows come
    /// from that group's input rows alone.
    case groups
    /// Window functions whose PARTITION BY lists share input columns, over
    /// one table: each partition's output rows come from its input rows alone.
    case partitions
    /// An inner or left join of two tables on equal columns (projection and
    /// filter on top): the output rows of a join key come from the rows of
    /// that key on both sides (and a left row with a NULL key from itself).
    case joins
}

/// What an incremental execution read and changed.
public struct IncrementalStats: Sendable, Equatable {
    public var shape: IncrementalShape
    /// Keys whose rows differ between the earlier and the current input.
    public var inputDeltaRows: Int
    /// Rows the statement ran over: the changed rows (old and new images),
    /// or every row of the touched groups in both versions (for a GROUP BY
    /// keyed by its group columns: in the current version, plus the earlier
    /// output's rows of those groups, read instead).
    public var rowsRecomputed: Int
    /// Keys of the output that were inserted, replaced or removed.
    public var outputDeltaRows: Int
    /// `.groups`: the touched groups whose result was derived from the
    /// earlier output and the delta's own aggregates, without reading the
    /// group's other rows (`IncrementalAggregates.swift`).
    public var groupsDerived: Int = 0
}

/// The result of trying to run a statement incrementally.
public enum IncrementalAttempt {
    case incremental(StatementOutcome, IncrementalStats)
    /// The statement must run in full; the reason says why.
    case full(reason: String)
}

extension StatementExecutor {
    /// Runs CREATE TABLE AS `statement` by changing `basis.output` instead of
    /// recomputing every row, when the statement has an incremental shape
    /// (`IncrementalShape`), reads one table, and that table differs from
    /// the basis's version of it only by a row delta of at most half its
    /// rows. The result is the version a full run gives (same rows, same
    /// schema, hence the same table id, since trees are canonical); anything
    /// it cannot derive exactly, including any error on the way, is `.full`
    /// with the reason, and the caller runs the statement in full (whose
    /// errors are then the statement's errors).
    public func executeIncrementally(_ statement: CompiledStatement, tables: [String: ObjectID],
                                     options: ExecutionOptions = ExecutionOptions(),
                                     basis: IncrementalBasis) -> IncrementalAttempt {
        let start = monotonicMicroseconds()
        let run = StatementRun(executor: self, statement: statement, tables: tables, options: options)
        do {
            switch try run.incremental(basis) {
            case let .failure(reason):
                return .full(reason: reason.text)
            case let .success((effect, stats)):
                var metrics = run.metrics
                metrics.durationSeconds = Double(monotonicMicroseconds() - start) / 1e6
                return .incremental(StatementOutcome(effect: effect, metrics: metrics), stats)
            }
        } catch let refusal as IncrementalRefusal {
            return .full(reason: refusal.text)
        } catch {
            return .full(reason: "the incremental run failed (\(error)); ran in full")
        }
    }

    /// The shape of `statement` when it can run incrementally, else why not.
    public static func incrementalShape(of statement: CompiledStatement) -> Result<IncrementalShape, IncrementalRefusal> {
        shapeAnalysis(statement).map(\.shape)
    }
}

/// Why a statement ran in full.
public struct IncrementalRefusal: Error, Sendable {
    public var text: String
    init(_ text: String) { self.text = text }
}

/// An incremental shape with what its restriction needs.
struct ShapeAnalysis {
    var shape: IncrementalShape
    /// The input table as the statement names it.
    var input: String
    /// The input columns the groups are keyed by (`.groups`).
    var groupColumns: [String]
    /// `.joins`: each side's table and its join columns, pairwise equal.
    var sides: [(table: String, columns: [String])] = []
}

func shapeAnalysis(_ statement: CompiledStatement) -> Result<ShapeAnalysis, IncrementalRefusal> {
    func refuse(_ text: String) -> Result<ShapeAnalysis, IncrementalRefusal> { .failure(IncrementalRefusal(text)) }
    guard case let .createTableAs(target, _, query) = statement.ir else { return refuse("not CREATE TABLE AS") }
    guard query.ctes.isEmpty else { return refuse("WITH clauses run in full") }
    guard query.orderBy.isEmpty, query.limit == nil, query.offset == nil else { return refuse("ORDER BY/LIMIT runs in full") }
    guard case let .select(select) = query.body else { return refuse("set operations and VALUES run in full") }
    guard !select.distinct, select.distinctOn.isEmpty else { return refuse("DISTINCT runs in full") }
    guard select.groupingSets == nil else { return refuse("GROUPING SETS, ROLLUP and CUBE run in full") }
    guard select.qualify == nil else { return refuse("QUALIFY runs in full") }
    if case let .join(join)? = select.from { return joinShape(join, select: select, statement: statement, target: target) }
    guard case let .table(scan)? = select.from else { return refuse("subqueries in FROM and table-less selects run in full") }
    guard statement.inputTables.count == 1 else { return refuse("the statement reads more than one table") }
    guard scan.table.lowercased() != target.lowercased() else { return refuse("the statement reads its own target") }
    var expressions = select.items.map(\.expr) + select.groupBy
    if let w = select.whereClause { expressions.append(w) }
    if let h = select.having { expressions.append(h) }
    for expression in expressions {
        if let why = nonIncremental(expression) { return refuse(why) }
    }
    var windows: [WindowCall] = []
    for expression in select.items.map(\.expr) { collectWindows(expression, into: &windows) }
    if !windows.isEmpty {
        guard !select.isAggregate else { return refuse("window functions over an aggregate run in full") }
        // Rows whose partition columns all agree are in one partition of
        // every window, so the touched values of the columns all windows
        // partition by give whole partitions.
        var common: [String]?
        for call in windows {
            if call.arguments.contains(where: { $0.type == .double }) {
                return refuse("window functions over DOUBLE run in full (their rounding depends on row order)")
            }
            var columns: [String] = []
            for expression in call.partitionBy {
                guard case let .column(ref) = expression.kind, ref.relation == scan.relation, ref.index < scan.columns.count else {
                    return refuse("window functions partitioned by an expression run in full")
                }
                columns.append(scan.columns[ref.index].name)
            }
            common = common.map { kept in kept.filter { columns.contains($0) } } ?? columns
        }
        guard let partition = common, !partition.isEmpty else {
            return refuse("window functions without a common PARTITION BY column run in full")
        }
        return .success(ShapeAnalysis(shape: .partitions, input: statement.inputTables[0], groupColumns: partition))
    }
    guard select.isAggregate else {
        return .success(ShapeAnalysis(shape: .rows, input: statement.inputTables[0], groupColumns: []))
    }
    guard !select.groupBy.isEmpty else { return refuse("an aggregate without GROUP BY runs in full") }
    var columns: [String] = []
    for expression in select.groupBy {
        guard case let .column(ref) = expression.kind, ref.relation == scan.relation, ref.index < scan.columns.count else {
            return refuse("GROUP BY on an expression runs in full")
        }
        columns.append(scan.columns[ref.index].name)
    }
    for expression in select.items.map(\.expr) + [select.having].compactMap({ $0 }) {
        // Per group it would be exact too; kept out until tested.
        if containsDistinctAggregate(expression) { return refuse("aggregates over DISTINCT run in full") }
        // A floating-point sum depends on the order rows are added in.
        if containsFloatingSum(expression) { return refuse("SUM/AVG over DOUBLE runs in full (its rounding depends on row order)") }
    }
    return .success(ShapeAnalysis(shape: .groups, input: statement.inputTables[0], groupColumns: columns))
}

/// `.joins`: INNER or LEFT JOIN of two tables with at least one equality of
/// a column of each in ON; no aggregate, window or subquery.
private func joinShape(_ join: BoundJoin, select: BoundSelect, statement: CompiledStatement,
                       target: String) -> Result<ShapeAnalysis, IncrementalRefusal> {
    func refuse(_ text: String) -> Result<ShapeAnalysis, IncrementalRefusal> { .failure(IncrementalRefusal(text)) }
    guard join.kind == .inner || join.kind == .left else { return refuse("RIGHT, FULL and CROSS joins run in full") }
    guard case let .table(left) = join.left, case let .table(right) = join.right else {
        return refuse("joins of more than two tables or of subqueries run in full")
    }
    guard statement.inputTables.count == 2, left.table.lowercased() != right.table.lowercased() else { return refuse("self-joins run in full") }
    guard left.table.lowercased() != target.lowercased(), right.table.lowercased() != target.lowercased() else {
        return refuse("the statement reads its own target")
    }
    guard !select.isAggregate else { return refuse("aggregates over a join run in full") }
    var expressions = select.items.map(\.expr)
    if let w = select.whereClause { expressions.append(w) }
    if let c = join.condition { expressions.append(c) }
    for expression in expressions {
        if let why = nonIncremental(expression) { return refuse(why) }
        var windows: [WindowCall] = []
        collectWindows(expression, into: &windows)
        if !windows.isEmpty { return refuse("window functions over a join run in full") }
    }
    var conjuncts: [BoundExpr] = []
    func flatten(_ e: BoundExpr) {
        if case let .logical(.and, parts) = e.kind { parts.forEach(flatten) } else { conjuncts.append(e) }
    }
    join.condition.map(flatten)
    var leftColumns: [String] = [], rightColumns: [String] = []
    for conjunct in conjuncts {
        guard case let .comparison(.equal, a, b) = conjunct.kind, case let .column(x) = a.kind, case let .column(y) = b.kind else { continue }
        if x.relation == left.relation, y.relation == right.relation, x.index < left.columns.count, y.index < right.columns.count {
            leftColumns.append(left.columns[x.index].name)
            rightColumns.append(right.columns[y.index].name)
        } else if y.relation == left.relation, x.relation == right.relation, y.index < left.columns.count, x.index < right.columns.count {
            leftColumns.append(left.columns[y.index].name)
            rightColumns.append(right.columns[x.index].name)
        }
    }
    guard !leftColumns.isEmpty else { return refuse("a join without an equality of a column of each table runs in full") }
    return .success(ShapeAnalysis(shape: .joins, input: left.table, groupColumns: [],
                                  sides: [(left.table, leftColumns), (right.table, rightColumns)]))
}

/// Why an expression stops a statement from running incrementally, if it does.
private func nonIncremental(_ e: BoundExpr) -> String? {
    switch e.kind {
    case .inSubquery, .exists, .scalarSubquery: return "subqueries run in full"
    default: return e.children.lazy.compactMap(nonIncremental).first
    }
}

private func collectWindows(_ e: BoundExpr, into windows: inout [WindowCall]) {
    if case let .window(call) = e.kind { windows.append(call) }
    for child in e.children { collectWindows(child, into: &windows) }
}

private func containsFloatingSum(_ e: BoundExpr) -> Bool {
    if case let .aggregate(call) = e.kind, call.argument?.type == .double,
       [.sum, .avg, .stddevSamp, .stddevPop, .varSamp, .varPop].contains(call.function) { return true }
    return e.children.contains(where: containsFloatingSum)
}

private func containsDistinctAggregate(_ e: BoundExpr) -> Bool {
    if case let .aggregate(call) = e.kind, call.distinct { return true }
    return e.children.contains(where: containsDistinctAggregate)
}

extension StatementRun {
    typealias IncrementalResult = Result<(StatementEffect, IncrementalStats), IncrementalRefusal>

    func incremental(_ basis: IncrementalBasis) throws -> IncrementalResult {
        func refuse(_ text: String) -> IncrementalResult { .failure(IncrementalRefusal(text)) }
        let analysis: ShapeAnalysis
        switch shapeAnalysis(statement) {
        case let .failure(refusal): return .failure(refusal)
        case let .success(a): analysis = a
        }
        guard case let .createTableAs(target, _, _) = statement.ir,
              let sql = statement.querySQL(for: backend.dialect) else { return refuse("not CREATE TABLE AS") }
        if analysis.shape == .joins { return try incrementalJoin(basis, analysis, target: target, sql: sql) }
        guard let (inputName, currentID) = lookup(analysis.input) else { throw EngineError.unknownTable(analysis.input) }
        guard let previousID = basis.inputs.first(where: { $0.key.lowercased() == analysis.input.lowercased() })?.value,
              basis.inputs.count == 1 else { return refuse("the earlier execution read other tables") }
        guard store.contains(basis.output), store.contains(previousID) else { return refuse("the earlier versions are gone") }
        let output = try store.readTable(basis.output)
        let schema = try resultSchema(previous: try lookup(target).map { try store.readTable($0.1).schema })
        guard schema == output.schema else { return refuse("the result's schema differs from the earlier output's") }
        let previous = try store.readTable(previousID)
        let current = try store.readTable(currentID)
        guard previous.schema == current.schema else { return refuse("the input's schema changed") }
        // The diff reads every differing chunk of both versions; a row-wise
        // step then edits as many output chunks and updates the engine's
        // copy row by row, and a GROUP BY or window touches most groups:
        // past a quarter of the input's chunks that costs more than a full
        // run (Docs/incremental.md, Docs/benchmarks.md). The index nodes
        // tell, before any chunk is read. A delta already in the memo costs no diff.
        if executor.deltas.delta(from: previousID, to: currentID) == nil,
           let why = try Self.costlierThanFull(previous.root, current.root, reader: TreeReader(store: store)) {
            return refuse(why)
        }
        let passthrough = analysis.shape == .groups
            ? passthroughKey(of: schema, input: current.schema, sources: analysis.groupColumns) : nil
        let derivation = passthrough.flatMap { AggregateDerivation(statement, schema: schema, passthrough: $0) }

        // The input delta: old images and new images, each a small version of the input.
        let oldImages = TreeBuilder(store: store), newImages = TreeBuilder(store: store)
        var reverse: [KeyedChange] = []
        let keyless = current.schema.key.isEmpty
        // From the executor's memo (the change an incremental run of it
        // wrote, or a diff of the same versions it read); else from the trees.
        var reader = InputDeltaReader(executor.deltas, store: store, from: previousID, previous.root, to: currentID, current.root)
        func nextDifference() throws -> InputDeltaRow? { try reader.next() }
        var deltaRows = 0
        var deltaKeys: [[UInt8]] = []
        let limit = max(current.rowCount, previous.rowCount) / 2
        // The groups the delta touches (`.groups`): past a quarter of the
        // earlier output's rows (one per group, bar HAVING), restricting
        // would read most of the input, and the statement runs in full.
        let codec = RowCodec(schema: current.schema)
        let groupIndices = analysis.groupColumns.compactMap { name in
            current.schema.columns.firstIndex { $0.name.lowercased() == name.lowercased() }
        }
        var touchedGroups = Set<[Value]>()
        // With a derivation: each delta key's groups (old and new image).
        var deltaGroups: [[[Value]]] = []
        var row: [Value] = []
        func touch(_ key: [UInt8], _ value: ArraySlice<UInt8>?) throws -> [Value]? {
            guard analysis.shape != .rows, let value else { return nil }
            _ = try key.withUnsafeBytes { k in try value.withUnsafeBytes { v in try codec.decode(key: k, value: v, into: &row) } }
            let group = groupIndices.map { row[$0] }
            touchedGroups.insert(group)
            return group
        }
        while let d = try nextDifference() {
            deltaRows += 1
            deltaKeys.append(d.key)
            if deltaRows > limit { return refuse("more than half of the input's rows changed") }
            let groups = [try touch(d.key, d.old), try touch(d.key, d.new)].compactMap { $0 }
            if derivation != nil { deltaGroups.append(groups) }
            // Derived groups read no other rows of the group, however many are touched.
            if analysis.shape == .groups, derivation == nil, touchedGroups.count > 64, touchedGroups.count * 4 > output.rowCount {
                throw Self.tooManyGroups
            }
            if let old = d.old { try oldImages.append(key: d.key[...], value: old) }
            if let new = d.new { try newImages.append(key: d.key[...], value: new) }
            if keyless {
                let change = (try d.old.map(RowCodec.multiplicity(of:)) ?? 0) - (try d.new.map(RowCodec.multiplicity(of:)) ?? 0)
                reverse.append(KeyedChange(key: d.key, change: .addCount(change)))
            } else {
                reverse.append(KeyedChange(key: d.key, change: d.old.map { .upsert($0) } ?? .delete))
            }
        }
        // The delta versions are written (and loaded) only when used.
        var deltaVersions: (old: BackendTable, new: BackendTable)?
        func deltas() throws -> (old: BackendTable, new: BackendTable) {
            if let deltaVersions { return deltaVersions }
            let versions = (try writeInput(Table(schema: current.schema, root: try oldImages.finish()), name: inputName),
                            try writeInput(Table(schema: current.schema, root: try newImages.finish()), name: inputName))
            deltaVersions = versions
            return versions
        }
        if let derivation, let passthrough {
            let (old, new) = try deltas()
            let prefix = keyPrefix(of: current.schema, within: analysis.groupColumns)
            return try derive(derivation, basis, output: output, schema: schema, target: target, sql: sql,
                              deltas: (old, new), input: (currentID, current), inputName: inputName,
                              groupColumns: analysis.groupColumns, groupIndices: groupIndices, passthrough: passthrough,
                              deltaKeys: deltaKeys, deltaGroups: deltaGroups, prefix: prefix, deltaRows: deltaRows)
        }
        // When the result's key passes the group columns through (`.groups`),
        // the earlier result of the touched groups is the earlier output's
        // rows at their keys: read from its tree instead of computed again.
        // (A row-wise statement's earlier result is computed from the old
        // images: reading the output's chunks at every changed key costs
        // more than that once the change is spread over the table.)

        // The rows to recompute, in the earlier and the current input.
        var before: BackendTable?
        let after: BackendTable
        var earlierKeys: [[UInt8]]?
        switch analysis.shape {
        case .rows:
            let (old, new) = try deltas()
            (before, after) = (old, new)
        case .joins:
            return refuse("joins run through incrementalJoin")
        case .groups, .partitions:
            if let prefix = keyPrefix(of: current.schema, within: analysis.groupColumns) {
                after = try restrict(current, toPrefixesOf: deltaKeys, length: prefix, name: inputName, limit: current.rowCount / 4)
            } else {
                let (old, new) = try deltas()
                after = try restrict(BackendTable(name: inputName, id: currentID, table: current), toGroupsOf: analysis.groupColumns,
                                     in: [old, new])
            }
            if after.table.rowCount > current.rowCount / 4 { throw Self.tooManyGroupRows }
            if let passthrough {
                // Input rows holding each touched group's values where the
                // group columns are (the other columns are not read).
                let positions = groupIndices
                earlierKeys = outputKeys(of: touchedGroups.map { group -> [Value] in
                    var input = [Value](repeating: .null, count: current.schema.columns.count)
                    for (k, index) in positions.enumerated() { input[index] = group[k] }
                    return input
                }, inputColumns: passthrough, schema: schema)
            } else {
                // The earlier input's rows of the same groups: the current ones
                // with the delta undone (every delta row is in those groups).
                let root = try TreeEditor(store: store).apply(reverse.makeIterator(), to: after.table.root)
                before = try writeInput(Table(schema: current.schema, root: root), name: inputName)
            }
        }

        let stats = IncrementalStats(shape: analysis.shape, inputDeltaRows: deltaRows,
                                     rowsRecomputed: (before?.table.rowCount ?? 0) + after.table.rowCount,
                                     outputDeltaRows: 0)
        return try finish(basis, output: output, schema: schema, target: target, sql: sql, before: before.map { [$0] },
                          earlierKeys: earlierKeys, after: [after], stats: stats)
    }

    /// For each key column of `schema` (the result), in key order, the
    /// index of the input column it is: nil unless every one is a plain,
    /// unmasked reference to an input column of the same type, and those
    /// columns are exactly `sources` (the group columns). Then each group
    /// has at most one result row, at a key that its values give.
    func passthroughKey(of schema: Schema, input: Schema, sources: [String]) -> [Int]? {
        guard !schema.isKeyless, !sources.isEmpty, case let .createTableAs(_, _, query) = statement.ir,
              case let .select(select) = query.body, case let .table(scan)? = select.from,
              select.items.count == schema.columns.count else { return nil }
        var indices: [Int] = []
        for id in schema.key {
            guard let position = schema.columns.firstIndex(where: { $0.id == id }),
                  case let .column(ref) = select.items[position].expr.kind, ref.relation == scan.relation, ref.index < scan.columns.count,
                  scan.masking.isEmpty || (ref.index < scan.masking.count && scan.masking[ref.index] == .none),
                  let index = input.columns.firstIndex(where: { $0.name.lowercased() == scan.columns[ref.index].name.lowercased() }),
                  input.columns[index].type == schema.columns[position].type else { return nil }
            indices.append(index)
        }
        let named = Set(indices.map { input.columns[$0].name.lowercased() })
        guard named.count == indices.count, named == Set(sources.map { $0.lowercased() }) else { return nil }
        return indices
    }

    /// The result keys of `inputs` (rows of the input's schema, read at
    /// `inputColumns`, `passthroughKey`).
    func outputKeys(of inputs: [[Value]], inputColumns: [Int], schema: Schema) -> [[UInt8]] {
        let codec = RowCodec(schema: schema)
        let keyPositions = schema.key.map { id in schema.columns.firstIndex { $0.id == id }! }
        var result = [Value](repeating: .null, count: schema.columns.count)
        return inputs.map { input in
            for (k, position) in keyPositions.enumerated() { result[position] = input[inputColumns[k]] }
            return codec.key(of: result)
        }
    }

    /// Runs the statement over the rows to recompute before and after, and
    /// applies the difference of the two results to the earlier output.
    /// `earlierKeys` (keyed results whose key passes the group columns
    /// through), when given, are the result keys of the touched groups:
    /// the earlier result of the rows to recompute
    /// is then the earlier output's rows at those keys and at the keys of
    /// the new result (`after` may hold more groups than those touched,
    /// unchanged), read from its tree instead of running the statement
    /// over `before`.
    func finish(_ basis: IncrementalBasis, output: Table, schema: Schema, target: String, sql: String,
                        before: [BackendTable]?, earlierKeys: [[UInt8]]? = nil, after: [BackendTable],
                        stats: IncrementalStats) throws -> IncrementalResult {
        var stats = stats
        // The statement over both, and the difference of its results.
        let newResult = try materialize(sql, schema: schema, target: target, over: after)
        let oldRoot: TreeRoot?
        if var keys = earlierKeys, !schema.isKeyless {
            var cursor = TreeReader(store: store).rows(newResult.root)
            while let (key, _) = try cursor.nextRow() { keys.append(Array(key)) }
            keys.sort { $0.lexicographicallyPrecedes($1) }
            var distinct: [[UInt8]] = []
            for key in keys where distinct.last != key { distinct.append(key) }
            let earlier = try SortedLookup(store: store).rows(at: distinct, in: output.root)
            let builder = TreeBuilder(store: store)
            for row in earlier { try builder.append(key: row.key[...], value: row.value[...]) }
            oldRoot = try builder.finish()
            stats.rowsRecomputed += earlier.count
        } else if let before {
            oldRoot = try materialize(sql, schema: schema, target: target, over: before).root
        } else {
            throw EngineError.invalid("no earlier rows to recompute")
        }
        return try apply(basis, output: output, schema: schema, target: target, from: oldRoot, to: newResult.root, stats: stats)
    }

    /// Applies the difference between `oldRoot` (earlier result rows) and
    /// `newRoot` (their current result) to the earlier output.
    func apply(_ basis: IncrementalBasis, output: Table, schema: Schema, target: String, from oldRoot: TreeRoot?, to newRoot: TreeRoot?,
               stats: IncrementalStats) throws -> IncrementalResult {
        var stats = stats
        let (changes, removed, added) = try outputChanges(from: oldRoot, to: newRoot, keyless: schema.key.isEmpty)
        var delta: [InputDeltaRow] = []
        if !schema.key.isEmpty {
            // Both lists are in key order; a key in both was replaced.
            var i = 0, j = 0
            delta.reserveCapacity(max(removed.count, added.count))
            while i < removed.count || j < added.count {
                if j == added.count || (i < removed.count && removed[i].key.lexicographicallyPrecedes(added[j].key)) {
                    delta.append(InputDeltaRow(key: removed[i].key, old: removed[i].value[...], new: nil))
                    i += 1
                } else if i == removed.count || added[j].key.lexicographicallyPrecedes(removed[i].key) {
                    delta.append(InputDeltaRow(key: added[j].key, old: nil, new: added[j].value[...]))
                    j += 1
                } else {
                    delta.append(InputDeltaRow(key: added[j].key, old: removed[i].value[...], new: added[j].value[...]))
                    i += 1
                    j += 1
                }
            }
        }
        let builder = TreeBuilder(store: store)
        let root = try TreeEditor(store: store).apply(changes.makeIterator(), to: output.root, builder: builder)
        let table = Table(schema: schema, root: root)
        let (id, bytes) = try store.writeCounting(table)
        // The engine's copy of the earlier output becomes its copy of this one.
        try backend.derive(id, from: BackendTable(name: lookup(target)?.0 ?? target, id: basis.output, table: output), table: table,
                           removed: removed, added: added)
        if !schema.key.isEmpty { executor.deltas.remember(from: basis.output, to: id, delta) }
        metrics.bytesWritten += builder.bytesWritten + bytes
        metrics.rowsRead = stats.rowsRecomputed
        metrics.rowsWritten = changes.count
        stats.outputDeltaRows = changes.count
        return .success((.tableWritten(name: lookup(target)?.0 ?? target, id: id, table: table), stats))
    }

    /// `.joins`: each side restricted to the rows whose join key is one that
    /// a changed row of either side has (and the side's own changed rows),
    /// before and after; the statement runs over both pairs.
    private func incrementalJoin(_ basis: IncrementalBasis, _ analysis: ShapeAnalysis, target: String, sql: String) throws -> IncrementalResult {
        func refuse(_ text: String) -> IncrementalResult { .failure(IncrementalRefusal(text)) }
        guard basis.inputs.count == 2 else { return refuse("the earlier execution read other tables") }
        guard store.contains(basis.output) else { return refuse("the earlier versions are gone") }
        let output = try store.readTable(basis.output)
        let schema = try resultSchema(previous: try lookup(target).map { try store.readTable($0.1).schema })
        guard schema == output.schema else { return refuse("the result's schema differs from the earlier output's") }
        struct Side {
            var name: String
            var id: ObjectID
            var table: Table
            var columns: [String]
            var oldDelta: BackendTable
            var newDelta: BackendTable
            var reverse: [KeyedChange]
            var forward: [KeyedChange]
        }
        var sides: [Side] = []
        var deltaRows = 0
        for (table, columns) in analysis.sides {
            guard let (name, currentID) = lookup(table) else { throw EngineError.unknownTable(table) }
            guard let previousID = basis.inputs.first(where: { $0.key.lowercased() == table.lowercased() })?.value else {
                return refuse("the earlier execution read other tables")
            }
            guard store.contains(previousID) else { return refuse("the earlier versions are gone") }
            let previous = try store.readTable(previousID), current = try store.readTable(currentID)
            guard previous.schema == current.schema else { return refuse("the input's schema changed") }
            let keyless = current.schema.key.isEmpty
            let oldImages = TreeBuilder(store: store), newImages = TreeBuilder(store: store)
            var reverse: [KeyedChange] = [], forward: [KeyedChange] = []
            var reader = InputDeltaReader(executor.deltas, store: store, from: previousID, previous.root, to: currentID, current.root)
            func nextDifference() throws -> InputDeltaRow? { try reader.next() }
            var rows = 0
            while let d = try nextDifference() {
                rows += 1
                if rows > max(current.rowCount, previous.rowCount) / 2 { return refuse("more than half of an input's rows changed") }
                if let old = d.old { try oldImages.append(key: d.key[...], value: old) }
                if let new = d.new {
                    try newImages.append(key: d.key[...], value: new)
                    forward.append(KeyedChange(key: d.key, change: .upsert(new)))
                }
                if keyless {
                    let change = (try d.old.map(RowCodec.multiplicity(of:)) ?? 0) - (try d.new.map(RowCodec.multiplicity(of:)) ?? 0)
                    reverse.append(KeyedChange(key: d.key, change: .addCount(change)))
                } else {
                    reverse.append(KeyedChange(key: d.key, change: d.old.map { .upsert($0) } ?? .delete))
                }
            }
            deltaRows += rows
            sides.append(Side(name: name, id: currentID, table: current, columns: columns,
                              oldDelta: try writeInput(Table(schema: current.schema, root: try oldImages.finish()), name: name),
                              newDelta: try writeInput(Table(schema: current.schema, root: try newImages.finish()), name: name),
                              reverse: reverse, forward: forward))
        }
        var before: [BackendTable] = [], after: [BackendTable] = []
        var recomputed = 0
        for side in sides {
            let sources = sides.flatMap { [($0.oldDelta, $0.columns), ($0.newDelta, $0.columns)] }
            let matching = try restrict(BackendTable(name: side.name, id: side.id, table: side.table), columns: side.columns, matching: sources)
            // A changed row whose join key is NULL matches nothing, yet is recomputed (a left join keeps it).
            let root = try TreeEditor(store: store).apply(side.forward.makeIterator(), to: matching.table.root)
            let current = try writeInput(Table(schema: side.table.schema, root: root), name: side.name)
            if current.table.rowCount > side.table.rowCount / 4 {
                return refuse("the changed join keys hold more than a quarter of an input's rows")
            }
            let earlier = try TreeEditor(store: store).apply(side.reverse.makeIterator(), to: root)
            let old = try writeInput(Table(schema: side.table.schema, root: earlier), name: side.name)
            before.append(old)
            after.append(current)
            recomputed += old.table.rowCount + current.table.rowCount
        }
        let stats = IncrementalStats(shape: .joins, inputDeltaRows: deltaRows, rowsRecomputed: recomputed, outputDeltaRows: 0)
        return try finish(basis, output: output, schema: schema, target: target, sql: sql, before: before, after: after, stats: stats)
    }

    /// The rows of `input` whose `columns` equal those of a row of one of
    /// the `sources` (each with its own columns, in the same order). NULLs
    /// match nothing, as in a join's equality.
    private func restrict(_ input: BackendTable, columns: [String], matching sources: [(BackendTable, [String])]) throws -> BackendTable {
        let dialect = backend.dialect
        let inputName = "rocky_incremental_input"
        func tuple(_ alias: String, _ names: [String]) -> String {
            let list = names.map { "\(alias).\(dialect.quote($0))" }.joined(separator: ", ")
            return names.count == 1 ? list : "(" + list + ")"
        }
        let union = sources.indices.map { k in
            "SELECT " + sources[k].1.map { "d.\(dialect.quote($0))" }.joined(separator: ", ") + " FROM \(dialect.quote("rocky_incremental_d\(k)")) d"
        }.joined(separator: " UNION ALL ")
        let list = input.table.schema.columns.map { "i." + dialect.quote($0.name) }.joined(separator: ", ")
        let sql = "SELECT \(list) FROM \(dialect.quote(inputName)) i WHERE \(tuple("i", columns)) IN (\(union))"
        let tables = [BackendTable(name: inputName, id: input.id, table: input.table)]
            + sources.indices.map { BackendTable(name: "rocky_incremental_d\($0)", id: sources[$0].0.id, table: sources[$0].0.table) }
        return try restriction(of: input, sql, over: tables)
    }

    /// Writes a small version of the input and makes it available to the engine.
    func writeInput(_ table: Table, name: String) throws -> BackendTable {
        let (id, bytes) = try store.writeCounting(table)
        metrics.bytesWritten += bytes
        let version = BackendTable(name: name, id: id, table: table)
        _ = try backend.makeAvailable([version])
        return version
    }

    /// How many leading key columns of `schema` are group columns (nil:
    /// none, or a keyless table). All rows of a group then share those
    /// columns, so the rows under a key prefix are whole groups.
    func keyPrefix(of schema: Schema, within groups: [String]) -> Int? {
        let names = Set(groups.map { $0.lowercased() })
        var count = 0
        for id in schema.key {
            guard let column = schema.columns.first(where: { $0.id == id }), names.contains(column.name.lowercased()) else { break }
            count += 1
        }
        return count == 0 ? nil : count
    }

    /// The rows of `input` under the first `length` key columns of each
    /// delta key: whole groups, read by key range from the tree, without
    /// the engine scanning the table.
    static let tooManyGroupRows = IncrementalRefusal("the changed groups hold more than a quarter of the input's rows")
    static let tooManyGroups = IncrementalRefusal("the changed groups are more than a quarter of the earlier output's groups")

    /// Why an incremental run over these two versions of its input would cost
    /// more than a full run, if it would: more than a quarter of the new
    /// version's chunks are not in the old one (index nodes only are read).
    static func costlierThanFull(_ old: TreeRoot?, _ new: TreeRoot?, reader: TreeReader) throws -> String? {
        let newChunks = try reader.chunkIDs(new)
        guard newChunks.count >= 8 else { return nil }
        let oldChunks = Set(try reader.chunkIDs(old))
        let changed = newChunks.reduce(0) { $0 + (oldChunks.contains($1) ? 0 : 1) }
        guard changed * 4 > newChunks.count else { return nil }
        return "\(changed) of the input's \(newChunks.count) chunks changed (more than a quarter): "
            + "an incremental run would cost more than running in full"
    }

    func restrict(_ input: Table, toPrefixesOf keys: [[UInt8]], length: Int, name: String, limit: Int) throws -> BackendTable {
        let codec = RowCodec(schema: input.schema)
        var prefixSchema = input.schema
        prefixSchema.key = Array(input.schema.key.prefix(length))
        let prefixCodec = RowCodec(schema: prefixSchema)
        var row = [Value](repeating: .null, count: input.schema.columns.count)
        var prefixes: [[UInt8]] = []
        for key in keys {
            try key.withUnsafeBytes { try codec.decodeKey($0, into: &row) }
            let prefix = prefixCodec.key(of: row)
            if prefixes.last != prefix { prefixes.append(prefix) }
        }
        let reader = TreeReader(store: store)
        let builder = TreeBuilder(store: store)
        var rows = 0
        for prefix in prefixes {
            var cursor = reader.rows(input.root, from: prefix)
            while let (key, value) = try cursor.nextRow(), key.starts(with: prefix) {
                rows += 1
                if rows > limit { throw Self.tooManyGroupRows }
                try builder.append(key: key, value: value)
            }
        }
        return try writeInput(Table(schema: input.schema, root: try builder.finish()), name: name)
    }

    /// The rows of `input` whose group columns equal those of a row of the
    /// delta versions (NULL matching NULL, as GROUP BY groups them).
    func restrict(_ input: BackendTable, toGroupsOf columns: [String], in deltas: [BackendTable]) throws -> BackendTable {
        let dialect = backend.dialect
        let same = backend.kind == .sqlite ? "IS" : "IS NOT DISTINCT FROM"
        let names = ["rocky_incremental_input", "rocky_incremental_old", "rocky_incremental_new"]
        let list = input.table.schema.columns.map { "i." + dialect.quote($0.name) }.joined(separator: ", ")
        let exists = names.dropFirst().map { delta in
            "EXISTS (SELECT 1 FROM \(dialect.quote(delta)) d WHERE "
                + columns.map { "d.\(dialect.quote($0)) \(same) i.\(dialect.quote($0))" }.joined(separator: " AND ") + ")"
        }
        let sql = "SELECT \(list) FROM \(dialect.quote(names[0])) i WHERE " + exists.joined(separator: " OR ")
        let tables = [BackendTable(name: names[0], id: input.id, table: input.table),
                      BackendTable(name: names[1], id: deltas[0].id, table: deltas[0].table),
                      BackendTable(name: names[2], id: deltas[1].id, table: deltas[1].table)]
        return try restriction(of: input, sql, over: tables)
    }

    /// The statement's query over one version of its inputs, as a tree of `schema`.
    func materialize(_ sql: String, schema: Schema, target: String, over inputs: [BackendTable]) throws -> Table {
        guard let (_, table) = try written(sql, schema: schema, target: target, over: inputs) else {
            throw EngineError.invalid("the engine wrote no result for \(target)")
        }
        return table
    }

    /// `input` restricted by query `sql` over `tables` (loaded first), as a
    /// version of the input's schema under its name.
    private func restriction(of input: BackendTable, _ sql: String, over tables: [BackendTable]) throws -> BackendTable {
        let available = try backend.makeAvailable(tables)
        metrics.tablesLoaded += available.tablesLoaded
        metrics.rowsLoaded += available.rowsLoaded
        guard let (id, table) = try written(sql, schema: input.table.schema, target: input.name, over: tables) else {
            throw EngineError.invalid("the engine wrote no restriction of \(input.name)")
        }
        return BackendTable(name: input.name, id: id, table: table)
    }

    /// Runs query `sql` into a new version of `schema`: its id and table,
    /// nil if the engine never committed one.
    private func written(_ sql: String, schema: Schema, target: String, over tables: [BackendTable]) throws -> (ObjectID, Table)? {
        var written: (ObjectID, Table)?
        try backend.materialize(sql, schema: schema, target: target, tables: tables, writer: treeWriter(schema, label: target)) { built in
            let result = try write(schema, built)
            written = result
            return result.0
        }
        return written
    }

    /// The key-ordered changes that turn rows `old` into rows `new` within
    /// the earlier output. A new key that the old rows lack is an insert, so
    /// a key the unchanged rows already hold fails (and the statement runs
    /// in full, failing as a full run does).
    /// Also returns the old image of each row deleted or replaced and the
    /// new image of each row inserted or replaced (keyed results only).
    func outputChanges(from old: TreeRoot?, to new: TreeRoot?, keyless: Bool) throws
        -> (changes: [KeyedChange], removed: [StoredRow], added: [StoredRow]) {
        let reader = TreeReader(store: store)
        var a = reader.rows(old), b = reader.rows(new)
        var x = try a.nextRow(), y = try b.nextRow()
        var changes: [KeyedChange] = []
        var removed: [StoredRow] = [], added: [StoredRow] = []
        while x != nil || y != nil {
            let order: Int
            if let x, let y { order = x.key == y.key ? 0 : x.key.lexicographicallyPrecedes(y.key) ? -1 : 1 } else { order = x == nil ? 1 : -1 }
            if order < 0, let row = x {
                changes.append(KeyedChange(key: Array(row.key), change: keyless ? .addCount(-(try RowCodec.multiplicity(of: row.value))) : .delete))
                if !keyless { removed.append(StoredRow(key: Array(row.key), value: Array(row.value))) }
                x = try a.nextRow()
            } else if order > 0, let row = y {
                changes.append(KeyedChange(key: Array(row.key), change: keyless ? .addCount(try RowCodec.multiplicity(of: row.value))
                                                                               : .insert(Array(row.value))))
                if !keyless { added.append(StoredRow(key: Array(row.key), value: Array(row.value))) }
                y = try b.nextRow()
            } else if let o = x, let n = y {
                if keyless {
                    let count = try RowCodec.multiplicity(of: n.value) - RowCodec.multiplicity(of: o.value)
                    if count != 0 { changes.append(KeyedChange(key: Array(n.key), change: .addCount(count))) }
                } else if o.value != n.value {
                    changes.append(KeyedChange(key: Array(n.key), change: .upsert(Array(n.value))))
                    removed.append(StoredRow(key: Array(o.key), value: Array(o.value)))
                    added.append(StoredRow(key: Array(n.key), value: Array(n.value)))
                }
                x = try a.nextRow()
                y = try b.nextRow()
            }
        }
        return (changes, removed, added)
    }
}

/// Reads the rows at many keys of a tree in one walk: index nodes and
/// chunks that cover no asked key are not read, and each one read is read
/// once.
struct SortedLookup {
    let reader: TreeReader

    init(store: any ObjectStore) { reader = TreeReader(store: store) }

    /// The rows at `keys` (strictly ascending) that the tree holds, in key order.
    func rows(at keys: [[UInt8]], in root: TreeRoot?) throws -> [StoredRow] {
        guard let root, !keys.isEmpty else { return [] }
        var found: [StoredRow] = []
        var next = 0
        func visit(_ id: ObjectID, level: Int, bound: [UInt8]?) throws {
            // Only keys up to `bound` (nil: the rightmost spine) are here.
            guard next < keys.count, bound.map({ !$0.lexicographicallyPrecedes(keys[next]) }) ?? true else { return }
            if level == 0 {
                let chunk = try reader.chunk(id)
                var low = 0
                while next < keys.count, bound.map({ !$0.lexicographicallyPrecedes(keys[next]) }) ?? true {
                    var high = chunk.count
                    while low < high {
                        let mid = (low + high) / 2
                        if chunk.key(mid).lexicographicallyPrecedes(keys[next]) { low = mid + 1 } else { high = mid }
                    }
                    if low < chunk.count, chunk.key(low).elementsEqual(keys[next]) {
                        found.append(StoredRow(key: keys[next], value: Array(chunk.value(low))))
                    }
                    next += 1
                }
                return
            }
            let node = try reader.index(id)
            guard node.level == level else {
                throw StoreError.corruptObject(id, reason: "index node at level \(node.level), expected \(level)")
            }
            for (i, entry) in node.entries.enumerated() {
                try visit(entry.child, level: level - 1, bound: i == node.entries.count - 1 ? bound : entry.lastKey)
            }
        }
        try visit(root.id, level: root.level, bound: nil)
        return found
    }
}

/// One key whose row differs between two versions of a table: its old and
/// new stored value (nil: absent).
struct InputDeltaRow {
    var key: [UInt8]
    var old: ArraySlice<UInt8>?
    var new: ArraySlice<UInt8>?
}

/// One input's row delta between two versions, in key order: from the
/// executor's memo when an earlier statement computed it (an incremental
/// output, or a diff another statement over the same input read), else from
/// the tree diff, which is remembered once read to the end, so the other
/// statements that read the same input do not diff it again.
struct InputDeltaReader {
    private let memo: DeltaMemo
    private let from: ObjectID, to: ObjectID
    private var memoRows: IndexingIterator<[InputDeltaRow]>?
    private var diff: TreeDiff
    private var computed: [InputDeltaRow] = []
    private var recording = true

    init(_ memo: DeltaMemo, store: any ObjectStore, from: ObjectID, _ old: TreeRoot?, to: ObjectID, _ new: TreeRoot?) {
        self.memo = memo
        self.from = from
        self.to = to
        memoRows = memo.delta(from: from, to: to)?.makeIterator()
        diff = TreeDiff(store: store, old: old, new: new)
    }

    mutating func next() throws -> InputDeltaRow? {
        if memoRows != nil { return memoRows!.next() }
        guard let d = try diff.nextDifference() else {
            if recording { memo.remember(from: from, to: to, computed) }
            recording = false
            computed = []
            return nil
        }
        guard recording else { return InputDeltaRow(key: d.key, old: d.old, new: d.new) }
        // Copied out of the chunks, so the memo does not keep whole chunks alive.
        let row = InputDeltaRow(key: d.key, old: d.old.map { Array($0)[...] }, new: d.new.map { Array($0)[...] })
        if computed.count < DeltaMemo.limitRows {
            computed.append(row)
        } else {
            recording = false
            computed = []
        }
        return row
    }
}

/// The row deltas of the versions an executor's incremental runs wrote
/// (earlier output -> new output) and of the inputs they diffed, so the
/// next statement of a chain, and every other statement over the same
/// input, reads the change from here instead of diffing the two trees.
/// Bounded: the most recent ones, up to `limitRows` rows in all.
final class DeltaMemo {
    private var entries: [(from: ObjectID, to: ObjectID, rows: [InputDeltaRow])] = []
    static let limitRows = 1_000_000

    func delta(from: ObjectID, to: ObjectID) -> [InputDeltaRow]? {
        entries.last { $0.from == from && $0.to == to }?.rows
    }

    func remember(from: ObjectID, to: ObjectID, _ rows: [InputDeltaRow]) {
        guard from != to, rows.count <= Self.limitRows else { return }
        entries.append((from, to, rows))
        var total = entries.reduce(0) { $0 + $1.rows.count }
        while total > Self.limitRows || entries.count > 64 {
            total -= entries.removeFirst().rows.count
        }
    }
}
