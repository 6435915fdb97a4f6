/// Where a script names tables and columns, found from its syntax alone (no
/// catalog): what an editor's "find references" shows across models.
public struct NameReference: Sendable, Equatable {
    public enum Kind: Sendable { case table, column }
    public var kind: Kind
    /// The name as written, and lowercased.
    public var text: String
    public var key: String
    /// For a column, the tables (lowercased) it can belong to: the one its
    /// qualifier names, else every table in its SELECT's FROM (empty when it
    /// belongs to a CTE or subquery). For a table, its own key.
    public var tables: [String]
    public var range: SourceRange
}

extension SQLCompiler {
    /// The table and column names of every statement of `script` that
    /// parses, in order. A CTE's name is no table (a CTE shadows a table of
    /// the same name inside its query); a column of a CTE or subquery is
    /// listed without tables.
    public static func nameReferences(in script: String) -> [NameReference] {
        var walker = NameWalker()
        for item in Parser.parseScript(script) {
            guard let statement = item.statement else { continue }
            walker.statement(statement)
        }
        return walker.found
    }
}

private struct NameWalker {
    var found: [NameReference] = []
    /// CTE names in scope, innermost last.
    private var ctes: [Set<String>] = []
    /// The FROM of each enclosing SELECT, innermost last: alias or name ->
    /// table key (nil for a CTE or subquery).
    private var froms: [[String: String?]] = []

    private func isCTE(_ key: String) -> Bool { ctes.contains { $0.contains(key) } }

    mutating func table(_ name: Identifier) {
        found.append(NameReference(kind: .table, text: name.text, key: name.key, tables: [name.key], range: name.range))
    }

    mutating func column(_ name: Identifier, tables: [String]) {
        found.append(NameReference(kind: .column, text: name.text, key: name.key, tables: tables, range: name.range))
    }

    mutating func statement(_ s: Statement) {
        switch s {
        case let .query(q): query(q)
        case let .createTable(name, columns, _, _, _, _):
            table(name)
            for c in columns { column(c.name, tables: [name.key]) }
        case let .createTableAs(name, _, _, q, _): table(name); query(q)
        case let .dropTable(name, _, _): table(name)
        case let .alterTable(name, action, _):
            table(name)
            switch action {
            case let .addColumn(c): column(c.name, tables: [name.key])
            case let .dropColumn(c, _): column(c, tables: [name.key])
            case let .renameColumn(c, _): column(c, tables: [name.key])
            }
        case let .insert(name, columns, source, _):
            table(name)
            for c in columns { column(c, tables: [name.key]) }
            query(source)
        case let .update(name, alias, assignments, fromItems, whereClause, _):
            table(name)
            var names = scope(name, alias)
            for item in fromItems { collect(item, into: &names) }
            froms.append(names)
            for item in fromItems { conditions(item) }
            for a in assignments { column(a.column, tables: [name.key]); expr(a.value) }
            if let w = whereClause { expr(w) }
            froms.removeLast()
        case let .delete(name, alias, whereClause, _):
            table(name)
            froms.append(scope(name, alias))
            if let w = whereClause { expr(w) }
            froms.removeLast()
        case let .returning(inner, items, _):
            statement(inner)
            let target: (Identifier, Identifier?)? = switch inner {
            case let .insert(name, _, _, _): (name, nil)
            case let .update(name, alias, _, _, _, _), let .delete(name, alias, _, _): (name, alias)
            default: nil
            }
            if let (name, alias) = target { froms.append(scope(name, alias)) } else { froms.append([:]) }
            for item in items { if case let .expr(e, _) = item { expr(e) } }
            froms.removeLast()
        }
    }

    private func scope(_ name: Identifier, _ alias: Identifier?) -> [String: String?] {
        var map: [String: String?] = [name.key: .some(name.key)]
        if let alias { map[alias.key] = .some(name.key) }
        return map
    }

    mutating func query(_ q: QueryExpr) {
        ctes.append([])
        for cte in q.ctes {
            query(cte.query)
            ctes[ctes.count - 1].insert(cte.name.key)
        }
        let from = body(q.body)
        froms.append(from)
        for o in q.orderBy { expr(o.expr) }
        froms.removeLast()
        if let l = q.limit { expr(l) }
        if let o = q.offset { expr(o) }
        ctes.removeLast()
    }

    /// Walks a query body; returns the FROM of its (first) SELECT.
    mutating func body(_ b: QueryBody) -> [String: String?] {
        switch b {
        case let .select(core):
            var map: [String: String?] = [:]
            for t in core.from { collect(t, into: &map) }
            froms.append(map)
            for t in core.from { conditions(t) }
            for item in core.items { if case let .expr(e, _) = item { expr(e) } }
            if let w = core.whereClause { expr(w) }
            for g in core.groupBy { expr(g) }
            if let h = core.having { expr(h) }
            for e in core.distinctOn { expr(e) }
            for set in core.groupingSets ?? [] { for e in set { expr(e) } }
            for named in core.windows { named.spec.forEachExpr { expr($0) } }
            if let q = core.qualify { expr(q) }
            froms.removeLast()
            return map
        case let .setOperation(_, _, l, r, _):
            let left = body(l)
            _ = body(r)
            return left
        case let .nested(q): query(q); return [:]
        case let .values(rows, _):
            for row in rows { for e in row { expr(e) } }
            return [:]
        }
    }

    /// The FROM items' names and aliases (recording the tables); subqueries
    /// are walked in the enclosing scope.
    mutating func collect(_ t: TableRef, into map: inout [String: String?]) {
        switch t {
        case let .table(name, alias, _):
            let target: String? = isCTE(name.key) ? nil : name.key
            if target != nil { table(name) }
            map[name.key] = .some(target)
            if let alias { map[alias.key] = .some(target) }
        case let .subquery(q, alias, _, _):
            query(q)
            if let alias { map[alias.key] = .some(nil) }
        case let .join(l, _, r, _, _):
            collect(l, into: &map)
            collect(r, into: &map)
        case let .history(reference, name, alias, _):
            // `t AS OF '<rev>'` names table t (as it was); system tables and
            // rocky_diff(...) name no table of the repository.
            let target: String? = if case .asOf = reference { name.key } else { nil }
            if target != nil { table(name) }
            map[name.key] = .some(target)
            if let alias { map[alias.key] = .some(target) }
        }
    }

    mutating func conditions(_ t: TableRef) {
        guard case let .join(l, _, r, condition, _) = t else { return }
        conditions(l)
        conditions(r)
        switch condition {
        case let .on(e): expr(e)
        case let .using(names):
            let tables = innermostTables()
            for n in names { column(n, tables: tables) }
        case .none, .natural: break
        }
    }

    private func innermostTables() -> [String] {
        guard let map = froms.last else { return [] }
        var seen: Set<String> = []
        return map.values.compactMap { $0 }.filter { seen.insert($0).inserted }.sorted()
    }

    mutating func expr(_ e: Expr) {
        switch e.kind {
        case let .column(parts):
            guard let name = parts.last else { break }
            if parts.count >= 2 {
                let qualifier = parts[parts.count - 2].key
                var tables: [String] = []
                for map in froms.reversed() {
                    if let target = map[qualifier] { tables = target.map { [$0] } ?? []; break }
                }
                column(name, tables: tables)
            } else {
                column(name, tables: innermostTables())
            }
        default:
            e.forEachChild { child in
                switch child {
                case let .expr(x): expr(x)
                case let .query(q): query(q)
                }
            }
        }
    }
}
