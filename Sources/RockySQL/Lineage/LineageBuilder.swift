import RockyBase

/// An ordered set of lineage edges.
struct EdgeList {
    private(set) var edges: [LineageEdge] = []
    private var seen: Set<LineageEdge> = []

    mutating func append(_ edge: LineageEdge) {
        if seen.insert(edge).inserted { edges.append(edge) }
    }

    mutating func append(contentsOf other: [LineageEdge]) {
        for edge in other { append(edge) }
    }

    func contains(_ edge: LineageEdge) -> Bool { seen.contains(edge) }
}

/// Computes column lineage from the IR by walking it once, outside in.
///
/// Every relation (catalog table, subquery, CTE reference) maps each of its
/// columns to edges ending at catalog columns; an expression's edges are the
/// edges of the columns it reads, composed with what the expression does.
struct LineageBuilder {
    /// How the expression being walked uses what it reads.
    enum Mode {
        /// Its value flows to the output, at least this transform.
        case direct(LineageTransform)
        /// It only influences the output, as this indirect transform.
        case indirect(LineageTransform)

        func lifted(_ transform: LineageTransform) -> Mode {
            if case let .direct(level) = self, transform.directRank > level.directRank { return .direct(transform) }
            return self
        }

        /// Indirect use inside a direct expression (CASE conditions, window keys).
        func influence(_ transform: LineageTransform) -> Mode {
            if case .direct = self { return .indirect(transform) }
            return self
        }
    }

    struct QueryLineage {
        var columns: [[LineageEdge]]
        var dataset: [LineageEdge]
    }

    private var relations: [RelationID: [[LineageEdge]]] = [:]
    private var ctes: [RelationID: (name: String, lineage: QueryLineage)] = [:]

    // MARK: Statements

    mutating func statement(_ statement: BoundStatement) -> ColumnLineage {
        switch statement {
        case let .query(query):
            return finish(target: nil, names: query.columns.map(\.name), self.query(query))
        case let .createTableAs(table, _, query):
            return finish(target: table, names: query.columns.map(\.name), self.query(query))
        case let .insert(insert):
            return finish(target: insert.table, names: insert.columns, query(insert.source))
        case let .update(update):
            scan(update.target)
            var dataset = EdgeList()
            if let from = update.from { self.from(from, dataset: &dataset) }
            var columns: [[LineageEdge]] = []
            for assignment in update.assignments {
                var list = EdgeList()
                edges(assignment.value, .direct(.identity), into: &list, dataset: &dataset)
                columns.append(list.edges)
            }
            if let condition = update.whereClause { influence(condition, .filter, dataset: &dataset) }
            return finish(target: update.target.table, names: update.assignments.map(\.column),
                          QueryLineage(columns: columns, dataset: dataset.edges))
        case let .delete(delete):
            scan(delete.target)
            var dataset = EdgeList()
            if let condition = delete.whereClause { influence(condition, .filter, dataset: &dataset) }
            return ColumnLineage(target: delete.target.table, columns: [], datasetInputs: dataset.edges)
        case .createTable, .dropTable, .alterTable:
            return .empty
        }
    }

    private func finish(target: String?, names: [String], _ lineage: QueryLineage) -> ColumnLineage {
        let columns = zip(names, lineage.columns).map { name, edges in
            var classification: Classification?
            var masked = false
            for edge in edges where edge.transform.isDirect {
                if edge.isMasked {
                    masked = true
                } else if let c = edge.source.classification, classification.map({ c > $0 }) ?? true {
                    classification = c
                }
            }
            return OutputColumnLineage(name: name, classification: classification, masked: masked, inputs: edges)
        }
        return ColumnLineage(target: target, columns: columns, datasetInputs: lineage.dataset)
    }

    // MARK: Queries

    mutating func query(_ query: BoundQuery) -> QueryLineage {
        for cte in query.ctes {
            ctes[cte.id] = (cte.name, cte.recursive ? recursive(cte) : self.query(cte.query))
        }
        var dataset = EdgeList()
        var columns: [[LineageEdge]] = []
        switch query.body {
        case let .select(select):
            if let from = select.from { self.from(from, dataset: &dataset) }
            if let condition = select.whereClause { influence(condition, .filter, dataset: &dataset) }
            for key in select.groupBy { influence(key, .groupBy, dataset: &dataset) }
            if let having = select.having { influence(having, .filter, dataset: &dataset) }
            if let qualify = select.qualify { influence(qualify, .filter, dataset: &dataset) }
            for key in select.distinctOn { influence(key, .groupBy, dataset: &dataset) }
            for item in select.items {
                var list = EdgeList()
                edges(item.expr, .direct(.identity), into: &list, dataset: &dataset)
                columns.append(list.edges)
            }
        case let .setOperation(op):
            let left = self.query(op.left)
            let right = self.query(op.right)
            dataset.append(contentsOf: left.dataset)
            dataset.append(contentsOf: right.dataset)
            for i in left.columns.indices {
                var list = EdgeList()
                list.append(contentsOf: left.columns[i])
                if op.op == .union {
                    list.append(contentsOf: right.columns[i])
                } else {
                    for edge in right.columns[i] { dataset.append(retyped(edge, .filter)) }
                }
                columns.append(list.edges)
            }
        case let .values(rows):
            columns = Array(repeating: [], count: query.columns.count)
            var lists = Array(repeating: EdgeList(), count: query.columns.count)
            for row in rows {
                for (i, cell) in row.enumerated() { edges(cell, .direct(.identity), into: &lists[i], dataset: &dataset) }
            }
            columns = lists.map(\.edges)
        }
        for item in query.orderBy {
            if let position = item.outputPosition, columns.indices.contains(position - 1) {
                for edge in columns[position - 1] { dataset.append(retyped(edge, .sort)) }
            } else {
                influence(item.expr, .sort, dataset: &dataset)
            }
        }
        return QueryLineage(columns: columns, dataset: dataset.edges)
    }

    /// A recursive CTE: the anchor's lineage, then the whole query's read
    /// through what was found so far, until no new (input, transform) appears.
    private mutating func recursive(_ cte: BoundCTE) -> QueryLineage {
        guard case let .setOperation(op) = cte.query.body else { return query(cte.query) }
        func key(_ edge: LineageEdge) -> String { "\(edge.source) \(edge.transform.rawValue) \(String(describing: edge.masking))" }
        var found = query(op.left)
        for _ in 0...found.columns.count {
            ctes[cte.id] = (cte.name, found)
            let next = query(cte.query)
            var grew = false
            for i in found.columns.indices {
                let known = Set(found.columns[i].map(key))
                for edge in next.columns[i] where !known.contains(key(edge)) && !found.columns[i].contains(where: { key($0) == key(edge) }) {
                    found.columns[i].append(edge)
                    grew = true
                }
            }
            let known = Set(found.dataset.map(key))
            for edge in next.dataset where !known.contains(key(edge)) && !found.dataset.contains(where: { key($0) == key(edge) }) {
                found.dataset.append(edge)
                grew = true
            }
            if !grew { break }
        }
        return found
    }

    private mutating func scan(_ scan: TableScan) {
        relations[scan.relation] = scan.columns.enumerated().map { i, column in
            let source = SourceColumn(table: scan.table, column: column.name, columnId: column.id,
                                      classification: column.governance.classification)
            return [LineageEdge(source: source, transform: .identity, masking: scan.masking[i] == .deny ? .deny : nil, path: [])]
        }
    }

    private mutating func from(_ from: BoundFrom, dataset: inout EdgeList) {
        switch from {
        case let .table(scan):
            self.scan(scan)
        case let .derived(derived):
            let inner = query(derived.query)
            relations[derived.relation] = through(inner.columns, name: derived.alias, columns: derived.query.columns.map(\.name))
            dataset.append(contentsOf: inner.dataset)
        case let .cte(scan):
            guard let (name, inner) = ctes[scan.cte] else { return }
            relations[scan.relation] = through(inner.columns, name: name, columns: scan.columns.map(\.name))
            dataset.append(contentsOf: inner.dataset)
        case let .join(join):
            self.from(join.left, dataset: &dataset)
            self.from(join.right, dataset: &dataset)
            if let condition = join.condition { influence(condition, .join, dataset: &dataset) }
        }
    }

    /// A named relation's columns, with the hop recorded in each edge's path.
    private func through(_ columns: [[LineageEdge]], name: String, columns names: [String]) -> [[LineageEdge]] {
        zip(columns, names).map { edges, column in
            edges.map { edge in
                var e = edge
                e.path.insert("\(name).\(column)", at: 0)
                return e
            }
        }
    }

    private func retyped(_ edge: LineageEdge, _ transform: LineageTransform) -> LineageEdge {
        var e = edge
        e.transform = transform
        return e
    }

    // MARK: Expressions

    /// Adds the edges of `expr`, used only as an indirect influence, to `dataset`.
    private mutating func influence(_ expr: BoundExpr, _ transform: LineageTransform, dataset: inout EdgeList) {
        var list = EdgeList()
        edges(expr, .indirect(transform), into: &list, dataset: &dataset)
        dataset.append(contentsOf: list.edges)
    }

    /// Adds the edges of what `expr` reads, used as `mode`, to `list`;
    /// subqueries add their own dataset-level edges to `dataset`.
    mutating func edges(_ expr: BoundExpr, _ mode: Mode, into list: inout EdgeList, dataset: inout EdgeList) {
        switch expr.kind {
        case .literal, .grouping:
            // GROUPING() tells the row's grouping set apart; it reads no value.
            return
        case let .column(ref):
            guard let columns = relations[ref.relation], columns.indices.contains(ref.index) else { return }
            for edge in columns[ref.index] { list.append(compose(edge, mode)) }
        case let .mask(strategy, inner):
            var masked = EdgeList()
            edges(inner, mode, into: &masked, dataset: &dataset)
            for var edge in masked.edges {
                if edge.masking == nil { edge.masking = strategy }
                list.append(edge)
            }
        case let .cast(inner, _, implicit):
            edges(inner, implicit ? mode : mode.lifted(.transformation), into: &list, dataset: &dataset)
        case let .aggregate(call):
            if let argument = call.argument { edges(argument, mode.lifted(.aggregation), into: &list, dataset: &dataset) }
            // STRING_AGG's order decides the value as a window's order does.
            for item in call.orderBy where item.expr != call.argument {
                edges(item.expr, mode.influence(.window), into: &list, dataset: &dataset)
            }
        case let .window(call):
            let valueMode: Mode
            switch call.function {
            case .aggregate: valueMode = mode.lifted(.aggregation)
            default: valueMode = mode.lifted(.transformation)
            }
            for argument in call.arguments { edges(argument, valueMode, into: &list, dataset: &dataset) }
            for key in call.partitionBy { edges(key, mode.influence(.window), into: &list, dataset: &dataset) }
            for item in call.orderBy { edges(item.expr, mode.influence(.window), into: &list, dataset: &dataset) }
        case let .caseWhen(operand, branches, otherwise):
            if let operand { edges(operand, mode.influence(.conditional), into: &list, dataset: &dataset) }
            for branch in branches {
                edges(branch.condition, mode.influence(.conditional), into: &list, dataset: &dataset)
                edges(branch.result, mode.lifted(.transformation), into: &list, dataset: &dataset)
            }
            if let otherwise { edges(otherwise, mode.lifted(.transformation), into: &list, dataset: &dataset) }
        case let .scalarSubquery(query):
            let inner = self.query(query)
            for edge in inner.columns.first ?? [] { list.append(compose(edge, mode)) }
            subqueryInfluence(inner.dataset, mode, into: &list, dataset: &dataset)
        case let .exists(query):
            let inner = self.query(query)
            for column in inner.columns {
                for edge in column { list.append(compose(edge, mode.influence(.conditional))) }
            }
            subqueryInfluence(inner.dataset, mode, into: &list, dataset: &dataset)
        case let .inSubquery(value, query, _):
            edges(value, mode.lifted(.transformation), into: &list, dataset: &dataset)
            let inner = self.query(query)
            for edge in inner.columns.first ?? [] { list.append(compose(edge, mode.influence(.conditional))) }
            subqueryInfluence(inner.dataset, mode, into: &list, dataset: &dataset)
        default:
            for child in expr.children { edges(child, mode.lifted(.transformation), into: &list, dataset: &dataset) }
        }
    }

    /// What a subquery in an expression filters and joins on. Where the
    /// expression computes a column (the select list, a CASE condition, a
    /// window), that decides the column's value: CONDITIONAL inputs of the
    /// column. In WHERE, JOIN, GROUP BY, HAVING and ORDER BY it stays a
    /// dataset-level input. (What already filters the whole query, such as
    /// the joins of a CTE both the query and the subquery read, stays there.)
    private func subqueryInfluence(_ inner: [LineageEdge], _ mode: Mode, into list: inout EdgeList, dataset: inout EdgeList) {
        switch mode {
        case .direct, .indirect(.conditional), .indirect(.window):
            for edge in inner where !dataset.contains(edge) { list.append(retyped(edge, .conditional)) }
        case .indirect:
            dataset.append(contentsOf: inner)
        }
    }

    private func compose(_ edge: LineageEdge, _ mode: Mode) -> LineageEdge {
        var e = edge
        switch mode {
        case let .direct(level):
            if e.transform.isDirect, level.directRank > e.transform.directRank { e.transform = level }
        case let .indirect(transform):
            e.transform = transform
        }
        return e
    }
}
