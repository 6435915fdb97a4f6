/// The tables a script names, found from its syntax alone (no catalog):
/// what `rocky run` needs to order models by their references before any of
/// them exists. CTE names are not tables; a name a CTE shadows is not
/// counted inside that query.
extension SQLCompiler {
    /// Names (lowercased) of the tables every statement of `script` reads or
    /// writes, in order of first appearance; statements that do not parse
    /// contribute nothing (compiling them reports why).
    public static func referencedTables(in script: String) -> [String] {
        var walker = ReferenceWalker()
        for item in Parser.parseScript(script) {
            guard let statement = item.statement else { continue }
            walker.statement(statement)
        }
        return walker.names
    }
}

struct ReferenceWalker {
    var names: [String] = []
    /// `AS OF` reads and `rocky_diff(...)`, in order.
    var history: [HistoryReference] = []
    private var seen: Set<String> = []
    /// CTE names in scope, innermost last.
    private var scopes: [Set<String>] = []

    mutating func note(_ name: Identifier) {
        guard !scopes.contains(where: { $0.contains(name.key) }), seen.insert(name.key).inserted else { return }
        names.append(name.key)
    }

    mutating func statement(_ s: Statement) {
        switch s {
        case let .query(q): query(q)
        case let .returning(inner, items, _):
            statement(inner)
            for item in items { if case let .expr(e, _) = item { expr(e) } }
        case .createTable, .dropTable, .alterTable: break
        case let .createTableAs(_, _, _, q, _): query(q)
        case let .insert(table, _, source, _): note(table); query(source)
        case let .update(table, _, assignments, from, whereClause, _):
            note(table)
            for item in from { self.table(item) }
            for a in assignments { expr(a.value) }
            if let w = whereClause { expr(w) }
        case let .delete(table, _, whereClause, _):
            note(table)
            if let w = whereClause { expr(w) }
        }
    }

    mutating func query(_ q: QueryExpr) {
        scopes.append([])
        for cte in q.ctes {
            query(cte.query)
            scopes[scopes.count - 1].insert(cte.name.key)
        }
        body(q.body)
        for o in q.orderBy { expr(o.expr) }
        if let l = q.limit { expr(l) }
        if let o = q.offset { expr(o) }
        scopes.removeLast()
    }

    mutating func body(_ b: QueryBody) {
        switch b {
        case let .select(core):
            for item in core.items { if case let .expr(e, _) = item { expr(e) } }
            for t in core.from { table(t) }
            if let w = core.whereClause { expr(w) }
            for g in core.groupBy { expr(g) }
            if let h = core.having { expr(h) }
            for e in core.distinctOn { expr(e) }
            for set in core.groupingSets ?? [] { for e in set { expr(e) } }
            for named in core.windows { named.spec.forEachExpr { expr($0) } }
            if let q = core.qualify { expr(q) }
        case let .setOperation(_, _, l, r, _): body(l); body(r)
        case let .nested(q): query(q)
        case let .values(rows, _): for row in rows { for e in row { expr(e) } }
        }
    }

    mutating func table(_ t: TableRef) {
        switch t {
        case let .table(name, _, _): note(name)
        case let .history(reference, _, _, _): history.append(reference)
        case let .subquery(q, _, _, _): query(q)
        case let .join(l, _, r, condition, _):
            table(l)
            table(r)
            if case let .on(e) = condition { expr(e) }
        }
    }

    mutating func expr(_ e: Expr) {
        e.forEachChild { child in
            switch child {
            case let .expr(x): expr(x)
            case let .query(q): query(q)
            }
        }
    }
}
