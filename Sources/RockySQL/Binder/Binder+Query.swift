import RockyBase

extension Binder {
    /// Binds a full query. `parent` is the enclosing query's scope, for correlated references.
    mutating func bindQuery(_ query: QueryExpr, parent: Scope?) throws(BindFailure) -> BoundQuery {
        var ctes: [BoundCTE] = []
        if !query.ctes.isEmpty {
            cteFrames.append([:])
        }
        defer { if !query.ctes.isEmpty { cteFrames.removeLast() } }
        for cte in query.ctes {
            if cteFrames[cteFrames.count - 1][cte.name.key] != nil {
                throw failure(.duplicateName, "CTE '\(cte.name.text)' is defined twice in one WITH", at: cte.name.range)
            }
            if query.recursive, Self.reads(cte.query, cte.name.key) {
                let (id, bound) = try bindRecursiveCTE(cte, parent: parent)
                cteFrames[cteFrames.count - 1][cte.name.key] = CTEBinding(id: id, name: cte.name.text, columns: bound.columns)
                ctes.append(BoundCTE(id: id, name: cte.name.text, query: bound, recursive: true))
                continue
            }
            var bound = try bindQuery(cte.query, parent: parent)
            if !cte.columnNames.isEmpty {
                bound = try renamed(bound, cte.columnNames, what: "CTE '\(cte.name.text)'", range: cte.range)
            }
            try checkUniqueNames(bound, what: "CTE '\(cte.name.text)'")
            let id = newRelation()
            cteFrames[cteFrames.count - 1][cte.name.key] = CTEBinding(id: id, name: cte.name.text, columns: bound.columns)
            ctes.append(BoundCTE(id: id, name: cte.name.text, query: bound))
        }
        var result: BoundQuery
        if case let .select(core) = query.body {
            result = try bindSelect(core, orderBy: query.orderBy, parent: parent)
        } else {
            result = try bindBody(query.body, parent: parent)
            result.orderBy = try bindOutputOrder(query.orderBy, columns: result.columns, body: result)
        }
        if !ctes.isEmpty {
            // A parenthesized body may bring its own WITH: the lists merge.
            let outer = Set(ctes.map { $0.name.lowercased() })
            if let clash = result.ctes.first(where: { outer.contains($0.name.lowercased()) }) {
                throw failure(.duplicateName, "CTE '\(clash.name)' is defined both in an outer and an inner WITH", at: query.range)
            }
            result.ctes = ctes + result.ctes
        }
        result.limit = try query.limit.map { (e) throws(BindFailure) in try bindLimit(e, "LIMIT") }
        result.offset = try query.offset.map { (e) throws(BindFailure) in try bindLimit(e, "OFFSET") }
        return result
    }

    private func bindLimit(_ expr: Expr, _ what: String) throws(BindFailure) -> BoundExpr {
        guard let value = Self.constantInteger(expr), value >= 0 else {
            throw failure(.constantRequired, "\(what) must be a whole number (a constant expression such as 10 or 5 * 20)",
                          at: expr.range)
        }
        return BoundExpr(.literal(.integer(value)), type: .integer, nullable: false, range: expr.range)
    }

    /// The value of an INTEGER constant expression (literals, unary minus,
    /// + - * / %), or nil (not constant, overflow, division by zero).
    static func constantInteger(_ expr: Expr) -> Int64? {
        switch expr.kind {
        case let .literal(.integer(text)): return Int64(text)
        case let .unary(.negate, operand): return constantInteger(operand).flatMap { $0 == .min ? nil : -$0 }
        case let .unary(.plus, operand): return constantInteger(operand)
        case let .binary(op, left, right):
            guard let a = constantInteger(left), let b = constantInteger(right) else { return nil }
            switch op {
            case .add: let r = a.addingReportingOverflow(b); return r.overflow ? nil : r.partialValue
            case .subtract: let r = a.subtractingReportingOverflow(b); return r.overflow ? nil : r.partialValue
            case .multiply: let r = a.multipliedReportingOverflow(by: b); return r.overflow ? nil : r.partialValue
            case .divide: return b == 0 || (a == .min && b == -1) ? nil : a / b
            case .modulo: return b == 0 || (a == .min && b == -1) ? nil : a % b
            default: return nil
            }
        default: return nil
        }
    }

    /// A set-operation operand or VALUES, as a query of its own.
    private mutating func bindBody(_ body: QueryBody, parent: Scope?) throws(BindFailure) -> BoundQuery {
        switch body {
        case let .select(core):
            return try bindSelect(core, orderBy: [], parent: parent)
        case let .nested(query):
            return try bindQuery(query, parent: parent)
        case let .values(rows, range):
            return try bindValues(rows, range: range, parent: parent)
        case let .setOperation(op, all, leftBody, rightBody, _):
            var left = try bindBody(leftBody, parent: parent)
            var right = try bindBody(rightBody, parent: parent)
            guard left.columns.count == right.columns.count else {
                let extra = left.columns.count > right.columns.count ? left.columns[right.columns.count] : right.columns[left.columns.count]
                throw failure(.setOperationMismatch,
                              "each side of \(op.rawValue) must have the same number of columns: \(left.columns.count) and \(right.columns.count)",
                              at: extra.range)
            }
            var types: [ColumnType] = []
            var columns = left.columns
            for i in left.columns.indices {
                let a = columnProbe(left, i), b = columnProbe(right, i)
                guard let type = TypeRules.common(a, b) ?? (a.isNullPlaceholder ? b.type : b.isNullPlaceholder ? a.type : nil) else {
                    throw failure(.setOperationMismatch,
                                  "column \(i + 1) of \(op.rawValue) is \(left.columns[i].type) on the left and \(right.columns[i].type) on the right",
                                  at: right.columns[i].range, help: "CAST one side")
                }
                types.append(type)
                columns[i].type = type
                columns[i].nullable = left.columns[i].nullable || right.columns[i].nullable
            }
            left = try coerceQuery(left, to: types)
            right = try coerceQuery(right, to: types)
            let setOp = BoundSetOperation(op: BoundSetOperation.Operator(rawValue: op.rawValue)!, all: all, left: left, right: right)
            return BoundQuery(ctes: [], body: .setOperation(setOp), orderBy: [], limit: nil, offset: nil, columns: columns)
        }
    }

    /// A stand-in for column `i` of `query` that keeps literal shapes and NULL placeholders.
    func columnProbe(_ query: BoundQuery, _ i: Int) -> BoundExpr {
        if query.orderBy.isEmpty, query.limit == nil, case let .select(select) = query.body {
            return select.items[i].expr
        }
        let column = query.columns[i]
        return BoundExpr(.column(ColumnRef(relation: RelationID(value: 0), index: i, qualifier: "", name: column.name)),
                         type: column.type, nullable: column.nullable, range: column.range)
    }

    private mutating func bindValues(_ rows: [[Expr]], range: SourceRange, parent: Scope?) throws(BindFailure) -> BoundQuery {
        let context = ExprContext.clause("VALUES", parent)
        var bound: [[BoundExpr]] = []
        for row in rows {
            if let first = bound.first, first.count != row.count {
                throw failure(.setOperationMismatch, "every VALUES row must have \(first.count) values, not \(row.count)",
                              at: row.first.map { $0.range.union(row.last!.range) } ?? range)
            }
            var values: [BoundExpr] = []
            for expr in row { values.append(try bindExpr(expr, context)) }
            bound.append(values)
        }
        var columns: [OutputColumn] = []
        for i in bound[0].indices {
            let cells = bound.map { $0[i] }
            let type = try commonType(cells, what: "VALUES column \(i + 1)", range: range, allowNull: true)
            for r in bound.indices { bound[r][i] = try coerce(bound[r][i], to: type) }
            columns.append(OutputColumn(name: "column\(i + 1)", type: type, nullable: cells.contains { $0.nullable },
                                        range: bound[0][i].range))
        }
        return BoundQuery(ctes: [], body: .values(bound), orderBy: [], limit: nil, offset: nil, columns: columns)
    }

    /// ORDER BY of a set operation or VALUES: result column names or positions only.
    private func bindOutputOrder(_ items: [OrderItem], columns: [OutputColumn], body: BoundQuery) throws(BindFailure) -> [BoundOrderItem] {
        try items.map { (item) throws(BindFailure) in
            guard let position = outputPosition(item.expr, columns: columns) else {
                throw failure(.unknownColumn, "ORDER BY of a set operation must name a result column or give its position",
                              at: item.expr.range,
                              help: "result columns: \(columns.map(\.name).joined(separator: ", "))")
            }
            return BoundOrderItem(expr: columnProbe(body, position - 1), descending: item.descending, nullsFirst: item.nullsFirst,
                                  outputPosition: position)
        }
    }

    /// The 1-based result column an ORDER BY or GROUP BY item names by
    /// position or by a bare name matching exactly one result column.
    func outputPosition(_ expr: Expr, columns: [OutputColumn]) -> Int? {
        switch expr.kind {
        case let .literal(.integer(text)):
            guard let n = Int(text), (1...max(columns.count, 1)).contains(n), n <= columns.count else { return nil }
            return n
        case let .column(parts) where parts.count == 1:
            let matches = columns.indices.filter { columns[$0].name.lowercased() == parts[0].key }
            return matches.count == 1 ? matches[0] + 1 : nil
        default:
            return nil
        }
    }

    /// Renames the result columns of `query` (CTE column lists, `AS t(a, b)`).
    func renamed(_ query: BoundQuery, _ names: [Identifier], what: String, range: SourceRange) throws(BindFailure) -> BoundQuery {
        guard names.count == query.columns.count else {
            throw failure(.subqueryColumnCount, "\(what) names \(names.count) columns but its query returns \(query.columns.count)",
                          at: range)
        }
        var result = query
        for (i, name) in names.enumerated() { result.columns[i].name = name.text }
        result.body = renamedBody(result.body, names.map(\.text))
        return result
    }

    private func renamedBody(_ body: BoundQueryBody, _ names: [String]) -> BoundQueryBody {
        switch body {
        case var .select(select):
            for i in select.items.indices { select.items[i].name = names[i] }
            return .select(select)
        case var .setOperation(op):
            op.left.columns = zip(op.left.columns, names).map { column, name in var c = column; c.name = name; return c }
            op.left.body = renamedBody(op.left.body, names)
            return .setOperation(op)
        case .values:
            return body
        }
    }

    /// Fails when two result columns of a CTE or subquery share a name.
    func checkUniqueNames(_ query: BoundQuery, what: String) throws(BindFailure) {
        var seen = Set<String>()
        for column in query.columns where !seen.insert(column.name.lowercased()).inserted {
            throw failure(.duplicateName, "\(what) has two columns named '\(column.name)'", at: column.range,
                          help: "give one of them an alias")
        }
    }

    /// Converts the result columns of `query` to `types` (set operations, INSERT, IN).
    func coerceQuery(_ query: BoundQuery, to types: [ColumnType]) throws(BindFailure) -> BoundQuery {
        if zip(query.columns, types).allSatisfy({ $0.type == $1 }) { return query }
        var result = query
        for i in types.indices { result.columns[i].type = types[i] }
        switch query.body {
        case var .select(select):
            for i in types.indices { select.items[i].expr = try recoerce(select.items[i].expr, to: types[i]) }
            result.body = .select(select)
        case var .setOperation(op):
            op.left = try coerceQuery(op.left, to: types)
            op.right = try coerceQuery(op.right, to: types)
            result.body = .setOperation(op)
        case var .values(rows):
            for r in rows.indices {
                for i in types.indices { rows[r][i] = try recoerce(rows[r][i], to: types[i]) }
            }
            result.body = .values(rows)
        }
        return result
    }

    /// Like `coerce`, but a NULL placeholder is retyped rather than cast twice.
    func recoerce(_ expr: BoundExpr, to type: ColumnType) throws(BindFailure) -> BoundExpr {
        if expr.isNullPlaceholder, case let .cast(inner, _, _) = expr.kind { return try coerce(inner, to: type) }
        return try coerce(expr, to: type)
    }
}
