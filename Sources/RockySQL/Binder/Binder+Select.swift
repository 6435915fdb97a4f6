import RockyBase

extension Binder {
    /// Binds one SELECT with the ORDER BY of its query (which may use both
    /// result names and the SELECT's own columns).
    mutating func bindSelect(_ core: SelectCore, orderBy: [OrderItem], parent: Scope?) throws(BindFailure) -> BoundQuery {
        let scope = Scope(parent: parent)
        let savedWindows = namedWindows
        defer { namedWindows = savedWindows }
        var from: BoundFrom?
        for item in core.from {
            let bound = try bindFrom(item, scope: scope)
            if let left = from {
                from = .join(BoundJoin(kind: .cross, left: left, right: bound, condition: nil))
            } else {
                from = bound
            }
        }
        let whereClause = try core.whereClause.map { (e) throws(BindFailure) in
            try condition(e, .clause("WHERE", scope), what: "the WHERE condition")
        }
        let savedAggregates = aggregateCount
        aggregateCount = 0
        defer { aggregateCount = savedAggregates }

        var groupBy: [BoundExpr] = []
        for expr in core.groupBy {
            groupBy.append(try bindGroupKey(expr, core: core, scope: scope))
        }
        var groupingSets: [[Int]]?
        if let sets = core.groupingSets {
            // Every key once in `groupBy`; each set as positions there.
            var bound: [[Int]] = []
            for set in sets {
                var positions: [Int] = []
                for expr in set {
                    let key = try bindGroupKey(expr, core: core, scope: scope)
                    let position = groupBy.firstIndex(of: key) ?? { groupBy.append(key); return groupBy.count - 1 }()
                    if !positions.contains(position) { positions.append(position) }
                }
                bound.append(positions)
            }
            groupingSets = bound
        }
        // WINDOW definitions are bound after FROM: their expressions read its columns.
        try defineWindows(core.windows)
        var items: [BoundSelectItem] = []
        var columns: [OutputColumn] = []
        let selectContext = ExprContext.clause("SELECT", scope, aggregates: true, windows: true)
        for (position, item) in core.items.enumerated() {
            switch item {
            case let .star(range):
                guard !scope.entries.isEmpty else {
                    throw failure(.starWithoutFrom, "SELECT * needs a FROM clause", at: range)
                }
                for entry in scope.entries {
                    for index in entry.columns.indices where !entry.hiddenFromStar.contains(index) {
                        var expr = try starColumn(entry, index, scope: scope, range: range)
                        expr.range = range
                        items.append(BoundSelectItem(expr: expr, name: entry.columns[index].name))
                        columns.append(OutputColumn(name: entry.columns[index].name, type: expr.type!, nullable: expr.nullable, range: range))
                    }
                }
            case let .qualifiedStar(qualifier, range):
                guard let entry = scope.entry(qualifier.key) else {
                    throw failure(.unknownQualifier, "unknown table or alias '\(qualifier.text)'", at: qualifier.range,
                                  help: Suggestion.nearest(to: qualifier.text, among: scope.entries.map(\.qualifier)).map { "did you mean '\($0)'?" })
                }
                for index in entry.columns.indices {
                    var expr = try columnExpr(entry, index, range: range)
                    expr.range = range
                    items.append(BoundSelectItem(expr: expr, name: entry.columns[index].name))
                    columns.append(OutputColumn(name: entry.columns[index].name, type: expr.type!, nullable: expr.nullable, range: range))
                }
            case let .expr(expr, alias):
                var bound = try bindExpr(expr, selectContext)
                if bound.type == nil { bound = try coerce(bound, to: .text) }
                let name = alias?.text ?? defaultName(expr, position: position)
                items.append(BoundSelectItem(expr: bound, name: name))
                columns.append(OutputColumn(name: name, type: bound.type!, nullable: bound.nullable, range: expr.range))
            }
        }
        let having = try core.having.map { (e) throws(BindFailure) in
            try condition(e, .clause("HAVING", scope, aggregates: true), what: "the HAVING condition")
        }
        var qualify: BoundExpr?
        if let q = core.qualify {
            var context = ExprContext.clause("QUALIFY", scope, aggregates: true, windows: true)
            // A result column's name stands for its expression (as in DuckDB: `QUALIFY rn = 1`).
            for item in items where context.aliases[item.name.lowercased()] == nil {
                context.aliases[item.name.lowercased()] = item.expr
            }
            qualify = try condition(q, context, what: "the QUALIFY condition")
        }
        var distinctOn: [BoundExpr] = []
        for key in core.distinctOn {
            if let position = outputPosition(key, columns: columns) {
                distinctOn.append(items[position - 1].expr)
            } else {
                distinctOn.append(try bindExpr(key, .clause("DISTINCT ON", scope, aggregates: true)))
            }
        }
        var order: [BoundOrderItem] = []
        for item in orderBy {
            if let position = outputPosition(item.expr, columns: columns) {
                order.append(BoundOrderItem(expr: items[position - 1].expr, descending: item.descending, nullsFirst: item.nullsFirst,
                                            outputPosition: position))
                continue
            }
            if case let .literal(.integer(text)) = item.expr.kind {
                throw failure(.positionOutOfRange, "ORDER BY position \(text) is not in the select list (1 to \(columns.count))",
                              at: item.expr.range)
            }
            // An interval sorts by its length, which is all it needs (nothing is stored).
            let bound = switch try bindOperand(item.expr, .clause("ORDER BY", scope, aggregates: true, windows: true)) {
            case let .value(value): value
            case let .interval(interval): interval.micros
            }
            order.append(BoundOrderItem(expr: bound, descending: item.descending, nullsFirst: item.nullsFirst))
        }
        let isAggregate = !groupBy.isEmpty || having != nil || aggregateCount > 0 || groupingSets != nil
        var all = items.map(\.expr) + order.map(\.expr) + distinctOn
        if let having { all.append(having) }
        if let qualify { all.append(qualify) }
        if isAggregate {
            let local = Set(scope.entries.map(\.relation))
            for item in items { try checkGrouped(item.expr, keys: groupBy, local: local, clause: "the select list") }
            if let having { try checkGrouped(having, keys: groupBy, local: local, clause: "HAVING") }
            for item in order { try checkGrouped(item.expr, keys: groupBy, local: local, clause: "ORDER BY") }
            if let qualify { try checkGrouped(qualify, keys: groupBy, local: local, clause: "QUALIFY") }
            for key in distinctOn { try checkGrouped(key, keys: groupBy, local: local, clause: "DISTINCT ON") }
            for expr in all { try checkGroupingArguments(expr, keys: groupBy) }
        }
        if !distinctOn.isEmpty {
            try checkDistinctOn(distinctOn, order: order, qualify: qualify, range: core.range)
        }
        if let sets = groupingSets {
            if let windowed = all.first(where: Self.containsWindow) {
                throw failure(.unsupportedSyntax, "window functions in a query with GROUPING SETS, ROLLUP or CUBE are not supported",
                              at: windowed.range, help: "group in a subquery, then apply the window outside it")
            }
            // A key some grouping set leaves out is NULL in that set's rows.
            let rolled = groupBy.indices.filter { i in sets.contains { !$0.contains(i) } }.map { groupBy[$0] }
            for i in items.indices where Self.readsKey(items[i].expr, rolled) {
                items[i].expr.nullable = true
                columns[i].nullable = true
            }
            for i in order.indices where Self.readsKey(order[i].expr, rolled) { order[i].expr.nullable = true }
        }
        var select = BoundSelect(distinct: core.distinct, from: from, whereClause: whereClause, groupBy: groupBy, having: having,
                                 items: items, isAggregate: isAggregate)
        select.groupingSets = groupingSets
        select.qualify = qualify
        select.distinctOn = distinctOn
        return BoundQuery(ctes: [], body: .select(select), orderBy: order, limit: nil, offset: nil, columns: columns)
    }

    /// A GROUP BY item: an expression over the FROM columns, or a select
    /// item named by its position or (when no FROM column has the name) its alias.
    private mutating func bindGroupKey(_ expr: Expr, core: SelectCore, scope: Scope) throws(BindFailure) -> BoundExpr {
        let context = ExprContext.clause("GROUP BY", scope)
        func selectItem(_ index: Int) -> Expr? {
            guard core.items.indices.contains(index), case let .expr(e, _) = core.items[index] else { return nil }
            return e
        }
        if case let .literal(.integer(text)) = expr.kind {
            guard let n = Int(text), let item = selectItem(n - 1) else {
                throw failure(.positionOutOfRange, "GROUP BY position \(text) is not an expression of the select list", at: expr.range)
            }
            return try bindExpr(item, context)
        }
        if case let .column(parts) = expr.kind, parts.count == 1 {
            do throws(BindFailure) {
                return try bindExpr(expr, context)
            } catch {
                for (i, item) in core.items.enumerated() {
                    if case let .expr(e, alias?) = item, alias.key == parts[0].key, let _ = selectItem(i) {
                        return try bindExpr(e, context)
                    }
                }
                throw error
            }
        }
        return try bindExpr(expr, context)
    }

    /// A column for `*`: USING columns appear once, merged, in the left side's place.
    private func starColumn(_ entry: ScopeEntry, _ index: Int, scope: Scope, range: SourceRange) throws(BindFailure) -> BoundExpr {
        let key = entry.columns[index].key
        if let merged = scope.merged[key], case let .column(ref)? = mergedLeftRef(merged), ref.relation == entry.relation,
           ref.index == index {
            return merged
        }
        return try columnExpr(entry, index, range: range)
    }

    private func mergedLeftRef(_ merged: BoundExpr) -> BoundExpr.Kind? {
        var expr = merged
        while true {
            switch expr.kind {
            case .column: return expr.kind
            case let .function(.coalesce, args): expr = args[0]
            case let .cast(inner, _, _), let .mask(_, inner): expr = inner
            default: return nil
            }
        }
    }

    /// The name of an unaliased select item: a column's name, a function's
    /// name, else `column<N>` (1-based).
    func defaultName(_ expr: Expr, position: Int) -> String {
        switch expr.kind {
        case let .column(parts): return parts.last!.text
        case let .function(call): return call.name.key
        case let .cast(inner, _): return defaultName(inner, position: position)
        case .extract: return "extract"
        default: return "column\(position + 1)"
        }
    }

    /// Fails when `expr` reads a column of this SELECT that is neither grouped
    /// nor inside an aggregate.
    private func checkGrouped(_ expr: BoundExpr, keys: [BoundExpr], local: Set<RelationID>, clause: String) throws(BindFailure) {
        if keys.contains(expr) { return }
        switch expr.kind {
        case let .column(ref):
            if local.contains(ref.relation) {
                throw failure(.notGrouped, "column '\(ref.qualifier).\(ref.name)' in \(clause) must appear in GROUP BY or be used in an aggregate function",
                              at: expr.range)
            }
        case .aggregate, .exists, .scalarSubquery, .literal, .grouping:
            return
        default:
            for child in expr.children { try checkGrouped(child, keys: keys, local: local, clause: clause) }
        }
    }

    /// DISTINCT ON: the ORDER BY must start with the keys (as PostgreSQL
    /// requires: it decides which row of each group is kept).
    private func checkDistinctOn(_ keys: [BoundExpr], order: [BoundOrderItem], qualify: BoundExpr?, range: SourceRange) throws(BindFailure) {
        if qualify != nil {
            throw failure(.unsupportedSyntax, "DISTINCT ON together with QUALIFY is not supported", at: range,
                          help: "apply one of them in a subquery")
        }
        if !order.isEmpty {
            let leading = order.prefix(keys.count).map(\.expr)
            guard leading.count == keys.count, keys.allSatisfy({ leading.contains($0) }), leading.allSatisfy({ keys.contains($0) }) else {
                throw failure(.unsupportedSyntax, "DISTINCT ON whose keys are not the first ORDER BY items is not supported",
                              at: order[0].expr.range, help: "start the ORDER BY with the DISTINCT ON keys")
            }
        }
        for expr in keys + order.map(\.expr) where Self.containsWindow(expr) {
            throw failure(.unsupportedSyntax, "DISTINCT ON by (or ordered by) a window function is not supported", at: expr.range)
        }
    }
}
