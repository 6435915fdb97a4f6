import RockyBase

extension Binder {
    /// Binds a FROM item, adding its relations to `scope`.
    mutating func bindFrom(_ ref: TableRef, scope: Scope) throws(BindFailure) -> BoundFrom {
        switch ref {
        case let .table(name, alias, _):
            let relation = newRelation()
            let key = alias?.key ?? name.key
            try checkFreeName(key, alias ?? name, scope: scope)
            if let cte = lookupCTE(name.key) {
                let qualifier = alias?.text ?? cte.name
                scope.entries.append(ScopeEntry(
                    key: key, qualifier: qualifier, relation: relation,
                    columns: cte.columns.map { ScopeColumn(name: $0.name, key: $0.name.lowercased(), type: $0.type, nullable: $0.nullable) },
                    masking: nil, table: nil))
                return .cte(CTEScan(relation: relation, cte: cte.id, name: cte.name, alias: qualifier, hasAlias: alias != nil,
                                    columns: cte.columns))
            }
            let table = try catalogTable(name)
            return scan(table, relation: relation, key: key, qualifier: alias?.text ?? table.name, hasAlias: alias != nil, scope: scope)
        case let .history(reference, name, alias, _):
            // Offered by the caller under its catalog name (the revision read and authorized).
            guard let table = catalog.table(named: reference.catalogName) else {
                switch reference {
                case let .asOf(table, revision):
                    throw failure(.unknownTable, "table '\(table)' does not exist at revision '\(revision)'", at: name.range)
                case .diff, .system:
                    throw failure(.unknownTable, "\(reference.catalogName) is not available here", at: name.range,
                                  help: "system tables are read through a repository (rocky sql, rocky run)")
                }
            }
            let qualifier = alias?.text ?? reference.defaultQualifier
            let relation = newRelation()
            try checkFreeName(qualifier.lowercased(), alias ?? name, scope: scope)
            return scan(table, relation: relation, key: qualifier.lowercased(), qualifier: qualifier, hasAlias: true, scope: scope)
        case let .subquery(query, alias, columnNames, range):
            // RETURNING's rows: computed unmasked, then masked as the target's columns (below).
            let returning = returningRelation.flatMap { $0.key == alias?.key ? $0 : nil }
            let savedOptions = options
            if returning != nil {
                returningRelation = nil
                options.masking = .none
            }
            var bound = try bindQuery(query, parent: scope.parent)
            options = savedOptions
            if !columnNames.isEmpty {
                bound = try renamed(bound, columnNames, what: "subquery '\(alias?.text ?? "")'", range: range)
            }
            try checkUniqueNames(bound, what: "the subquery\(alias.map { " '\($0.text)'" } ?? "")")
            let relation = newRelation()
            if let alias { try checkFreeName(alias.key, alias, scope: scope) }
            let qualifier = alias?.text ?? "subquery\(relation.value)"
            scope.entries.append(ScopeEntry(
                key: alias?.key ?? "", qualifier: qualifier, relation: relation,
                columns: bound.columns.map { ScopeColumn(name: $0.name, key: $0.name.lowercased(), type: $0.type, nullable: $0.nullable) },
                masking: returning?.masking, table: returning?.table))
            return .derived(DerivedScan(relation: relation, alias: qualifier, query: bound))
        case let .join(leftRef, kind, rightRef, condition, range):
            let first = scope.entries.count
            let left = try bindFrom(leftRef, scope: scope)
            let middle = scope.entries.count
            let right = try bindFrom(rightRef, scope: scope)
            let last = scope.entries.count
            var bound: BoundExpr?
            switch condition {
            case .none:
                break
            case let .on(expr):
                bound = try self.condition(expr, .clause("ON", scope), what: "the ON condition")
            case let .using(names):
                bound = try bindUsing(names, kind: kind, scope: scope, left: first..<middle, right: middle..<last, range: range)
            case let .natural(keyword):
                // USING the names both sides show, in the left side's order; none: a cross join.
                let rightNames = Set((middle..<last).flatMap { e in
                    scope.entries[e].columns.indices.filter { !scope.entries[e].hiddenFromStar.contains($0) }.map { scope.entries[e].columns[$0].key }
                })
                var names: [Identifier] = []
                for e in first..<middle {
                    for (i, column) in scope.entries[e].columns.enumerated()
                    where !scope.entries[e].hiddenFromStar.contains(i) && rightNames.contains(column.key) && !names.contains(where: { $0.key == column.key }) {
                        names.append(Identifier(column.name, quoted: true, range: keyword))
                    }
                }
                if !names.isEmpty {
                    bound = try bindUsing(names, kind: kind, scope: scope, left: first..<middle, right: middle..<last, range: range)
                }
            }
            if kind == .left || kind == .full {
                for i in middle..<last { makeNullable(&scope.entries[i]) }
            }
            if kind == .right || kind == .full {
                for i in first..<middle { makeNullable(&scope.entries[i]) }
            }
            let joinKind = BoundJoin.Kind(rawValue: kind.rawValue)!
            return .join(BoundJoin(kind: joinKind, left: left, right: right, condition: bound))
        }
    }

    /// A catalog table read by a query: an input, masked as the environment requires.
    private mutating func scan(_ table: CatalogTable, relation: RelationID, key: String, qualifier: String, hasAlias: Bool,
                               scope: Scope) -> BoundFrom {
        noteInput(table.name)
        let masking = table.columns.map { options.masking.strategy(for: $0.governance, environment: options.environment) }
        scope.entries.append(ScopeEntry(
            key: key, qualifier: qualifier, relation: relation,
            columns: table.columns.map { ScopeColumn(name: $0.name, key: $0.name.lowercased(), type: $0.type, nullable: $0.nullable) },
            masking: masking, table: table.name))
        return .table(TableScan(relation: relation, table: table.name, alias: qualifier, hasAlias: hasAlias,
                                columns: table.columns, masking: masking,
                                key: table.primaryKey.compactMap { table.column(named: $0)?.index }))
    }

    private func makeNullable(_ entry: inout ScopeEntry) {
        for i in entry.columns.indices { entry.columns[i].nullable = true }
    }

    private func checkFreeName(_ key: String, _ name: Identifier, scope: Scope) throws(BindFailure) {
        if !key.isEmpty, scope.entry(key) != nil {
            throw failure(.duplicateName, "'\(name.text)' is used twice in FROM", at: name.range,
                          help: "give one of them a different alias")
        }
    }

    /// `USING (a, b)`: the conjunction `left.a = right.a AND ...`; each name
    /// then refers to one merged column (COALESCE of both sides for FULL JOIN).
    private mutating func bindUsing(_ names: [Identifier], kind: JoinKind, scope: Scope, left: Range<Int>, right: Range<Int>,
                                    range: SourceRange) throws(BindFailure) -> BoundExpr {
        var equalities: [BoundExpr] = []
        for name in names {
            let l = try usingSide(name, scope: scope, entries: left, side: "left")
            let r = try usingSide(name, scope: scope, entries: right, side: "right")
            var a = try columnExpr(scope.entries[l.0], l.1, range: name.range)
            var b = try columnExpr(scope.entries[r.0], r.1, range: name.range)
            let type = try commonType([a, b], what: "USING (\(name.text))", range: name.range)
            a = try coerce(a, to: type)
            b = try coerce(b, to: type)
            equalities.append(BoundExpr(.comparison(.equal, a, b), type: .boolean, nullable: a.nullable || b.nullable, range: name.range))
            switch kind {
            case .right:
                scope.entries[l.0].hiddenFromStar.insert(l.1)
                scope.merged[name.key] = b
            case .full:
                scope.merged[name.key] = BoundExpr(.function(.coalesce, [a, b]), type: type, nullable: a.nullable && b.nullable,
                                                   range: name.range)
            default:
                scope.merged[name.key] = a
            }
            if kind != .right { scope.entries[r.0].hiddenFromStar.insert(r.1) }
        }
        if equalities.count == 1 { return equalities[0] }
        return BoundExpr(.logical(.and, equalities), type: .boolean, nullable: equalities.contains { $0.nullable }, range: range)
    }

    private func usingSide(_ name: Identifier, scope: Scope, entries: Range<Int>, side: String) throws(BindFailure) -> (Int, Int) {
        var found: [(Int, Int)] = []
        for e in entries {
            if let index = scope.entries[e].columns.firstIndex(where: { $0.key == name.key }) { found.append((e, index)) }
        }
        guard found.count == 1 else {
            if found.isEmpty {
                throw failure(.unknownColumn, "USING column '\(name.text)' is not on the \(side) side of the join", at: name.range)
            }
            throw failure(.ambiguousColumn, "USING column '\(name.text)' is ambiguous on the \(side) side of the join", at: name.range)
        }
        return found[0]
    }
}
