import RockyBase

/// `WITH RECURSIVE`: a CTE that reads itself is `anchor UNION [ALL]
/// recursive part`; its columns have the anchor's types (the recursive part
/// must fit them), and the recursive part is a plain SELECT that reads the
/// CTE once, in its FROM (Docs/sql.md, "The language").
extension Binder {
    /// Whether `query` reads a table named `key` (a reference to the CTE being defined).
    static func reads(_ query: QueryExpr, _ key: String) -> Bool {
        query.ctes.contains { reads($0.query, key) } || reads(query.body, key)
            || query.orderBy.contains { reads($0.expr, key) }
    }

    static func reads(_ body: QueryBody, _ key: String) -> Bool {
        switch body {
        case let .select(core):
            return core.from.contains { reads($0, key) }
                || core.items.contains { if case let .expr(e, _) = $0 { reads(e, key) } else { false } }
                || [core.whereClause, core.having, core.qualify].contains { $0.map { reads($0, key) } ?? false }
                || (core.groupBy + core.distinctOn).contains { reads($0, key) }
        case let .setOperation(_, _, left, right, _): return reads(left, key) || reads(right, key)
        case let .nested(query): return reads(query, key)
        case let .values(rows, _): return rows.contains { $0.contains { reads($0, key) } }
        }
    }

    static func reads(_ table: TableRef, _ key: String) -> Bool {
        switch table {
        case let .table(name, _, _): return name.key == key
        case let .subquery(query, _, _, _): return reads(query, key)
        case let .join(left, _, right, condition, _):
            if case let .on(e) = condition, reads(e, key) { return true }
            return reads(left, key) || reads(right, key)
        case .history: return false
        }
    }

    static func reads(_ expr: Expr, _ key: String) -> Bool {
        var found = false
        expr.forEachChild { child in
            guard !found else { return }
            switch child {
            case let .expr(e): found = reads(e, key)
            case let .query(q): found = reads(q, key)
            }
        }
        return found
    }

    /// Binds a CTE of `WITH RECURSIVE` that reads itself.
    mutating func bindRecursiveCTE(_ cte: CommonTableExpr, parent: Scope?) throws(BindFailure) -> (RelationID, BoundQuery) {
        let what = "recursive CTE '\(cte.name.text)'"
        func refuse(_ message: String, at range: SourceRange, help: String? = nil) -> BindFailure {
            failure(.unsupportedSyntax, message, at: range, help: help)
        }
        guard case let .setOperation(.union, all, anchorBody, recursiveBody, _) = cte.query.body, cte.query.ctes.isEmpty,
              cte.query.orderBy.isEmpty, cte.query.limit == nil, cte.query.offset == nil else {
            throw refuse("WITH RECURSIVE is supported as 'anchor UNION [ALL] recursive part' only", at: cte.query.range)
        }
        if catalog.table(named: cte.name.text) != nil {
            throw refuse("a recursive CTE named like a table ('\(cte.name.text)') is not supported", at: cte.name.range,
                         help: "give the CTE another name")
        }
        if Self.reads(anchorBody, cte.name.key) {
            throw refuse("the anchor (the part before the last UNION) of \(what) reads the CTE itself", at: anchorBody.range)
        }
        func part(_ body: QueryBody) -> QueryExpr {
            QueryExpr(ctes: [], body: body, orderBy: [], limit: nil, offset: nil, range: body.range)
        }
        var anchor = try bindQuery(part(anchorBody), parent: parent)
        if !cte.columnNames.isEmpty {
            anchor = try renamed(anchor, cte.columnNames, what: "CTE '\(cte.name.text)'", range: cte.range)
        }
        try checkUniqueNames(anchor, what: "CTE '\(cte.name.text)'")
        let id = newRelation()
        var columns = anchor.columns
        var recursive: BoundQuery
        // The recursive part reads the CTE with the columns found so far; a
        // column it can make NULL is nullable, which may change it: again.
        var passes = 0
        while true {
            passes += 1
            cteFrames[cteFrames.count - 1][cte.name.key] = CTEBinding(id: id, name: cte.name.text, columns: columns)
            recursive = try bindQuery(part(recursiveBody), parent: parent)
            guard recursive.columns.count == columns.count else {
                throw failure(.setOperationMismatch,
                              "each side of UNION must have the same number of columns: \(columns.count) and \(recursive.columns.count)",
                              at: recursiveBody.range)
            }
            var changed = false
            for i in columns.indices where recursive.columns[i].nullable && !columns[i].nullable {
                columns[i].nullable = true
                changed = true
            }
            if !changed || passes > columns.count { break }
        }
        cteFrames[cteFrames.count - 1][cte.name.key] = nil
        for i in columns.indices {
            let a = columnProbe(anchor, i), b = columnProbe(recursive, i)
            let common = TypeRules.common(a, b) ?? (b.isNullPlaceholder ? a.type : nil)
            guard common == columns[i].type else {
                throw refuse("column \(i + 1) ('\(columns[i].name)') of \(what) is \(columns[i].type) in its anchor and \(recursive.columns[i].type) in its recursive part",
                             at: recursive.columns[i].range, help: "CAST the anchor's column to \(recursive.columns[i].type), or the recursive part's to \(columns[i].type)")
            }
        }
        recursive = try coerceQuery(recursive, to: columns.map(\.type))
        try checkRecursivePart(recursive, id: id, what: what, range: recursiveBody.range)
        let union = BoundSetOperation(op: .union, all: all, left: anchor, right: recursive)
        return (id, BoundQuery(ctes: [], body: .setOperation(union), orderBy: [], limit: nil, offset: nil, columns: columns))
    }

    /// The recursive part: a plain SELECT without aggregates, windows,
    /// DISTINCT, QUALIFY, ORDER BY or LIMIT, reading the CTE exactly once in
    /// its FROM and not on the NULL-filled side of an outer join (as SQLite
    /// and PostgreSQL require).
    private func checkRecursivePart(_ query: BoundQuery, id: RelationID, what: String, range: SourceRange) throws(BindFailure) {
        func refuse(_ message: String) -> BindFailure {
            failure(.unsupportedSyntax, "the recursive part of \(what) \(message)", at: range)
        }
        guard case let .select(select) = query.body, query.ctes.isEmpty else { throw refuse("must be one SELECT") }
        if !query.orderBy.isEmpty || query.limit != nil || query.offset != nil { throw refuse("cannot have ORDER BY, LIMIT or OFFSET") }
        if select.isAggregate { throw refuse("cannot aggregate or GROUP BY") }
        if select.distinct || !select.distinctOn.isEmpty { throw refuse("cannot be DISTINCT") }
        if select.qualify != nil { throw refuse("cannot have QUALIFY") }
        var exprs = select.items.map(\.expr)
        if let condition = select.whereClause { exprs.append(condition) }
        if exprs.contains(where: Self.containsWindow) { throw refuse("cannot use window functions") }
        // Readings of the CTE directly in the FROM, where a row of it is a row of the result.
        func direct(_ from: BoundFrom, nullable: Bool) throws(BindFailure) -> Int {
            switch from {
            case let .cte(scan) where scan.cte == id:
                if nullable { throw refuse("cannot read the CTE on the NULL-filled side of an outer join") }
                return 1
            case .table, .cte, .derived: return 0
            case let .join(join):
                let left = try direct(join.left, nullable: nullable || join.kind == .right || join.kind == .full)
                let right = try direct(join.right, nullable: nullable || join.kind == .left || join.kind == .full)
                return left + right
            }
        }
        let inFrom = try select.from.map { (f) throws(BindFailure) in try direct(f, nullable: false) } ?? 0
        guard inFrom == 1, Self.cteReadings(query, id) == 1 else {
            throw refuse("must read the CTE exactly once, in its FROM (not in a subquery)")
        }
    }

    /// How many times `query` reads CTE `id`, anywhere in it.
    static func cteReadings(_ query: BoundQuery, _ id: RelationID) -> Int {
        var count = query.ctes.reduce(0) { $0 + cteReadings($1.query, id) }
        func expr(_ e: BoundExpr) {
            switch e.kind {
            case let .exists(q), let .scalarSubquery(q), let .inSubquery(_, q, _): count += cteReadings(q, id)
            default: break
            }
            e.children.forEach(expr)
        }
        func from(_ f: BoundFrom) {
            switch f {
            case let .cte(scan): if scan.cte == id { count += 1 }
            case .table: break
            case let .derived(d): count += cteReadings(d.query, id)
            case let .join(join):
                from(join.left)
                from(join.right)
                if let c = join.condition { expr(c) }
            }
        }
        switch query.body {
        case let .select(select):
            if let f = select.from { from(f) }
            (select.items.map(\.expr) + select.groupBy + select.distinctOn).forEach(expr)
            [select.whereClause, select.having, select.qualify].compactMap { $0 }.forEach(expr)
        case let .setOperation(op):
            count += cteReadings(op.left, id) + cteReadings(op.right, id)
        case let .values(rows):
            rows.forEach { $0.forEach(expr) }
        }
        query.orderBy.map(\.expr).forEach(expr)
        return count
    }
}
