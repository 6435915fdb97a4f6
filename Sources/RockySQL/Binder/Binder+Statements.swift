import RockyBase

extension Binder {
    mutating func bindStatement(_ statement: Statement) throws(BindFailure) -> BoundStatement {
        switch statement {
        case let .query(query):
            return .query(try bindQuery(query, parent: nil))
        case let .createTable(name, columns, primaryKey, ifNotExists, constraints, _):
            return try bindCreateTable(name, columns, primaryKey, ifNotExists, constraints)
        case let .createTableAs(name, orReplace, primaryKey, query, _):
            try checkNotReserved(name)
            if !orReplace, catalog.table(named: name.text) != nil {
                throw failure(.tableExists, "table '\(name.text)' already exists", at: name.range,
                              help: "use CREATE OR REPLACE TABLE to replace it")
            }
            let bound = try bindQuery(query, parent: nil)
            try checkUniqueNames(bound, what: "table '\(name.text)'")
            declaredKey = try resultKey(primaryKey, of: bound)
            return .createTableAs(table: name.text, orReplace: orReplace, query: bound)
        case let .insert(table, columns, source, _):
            let (listed, filled) = try withDefaults(table, columns, source)
            return .insert(try bindInsert(table, listed, filled))
        case let .update(table, alias, assignments, from, whereClause, _):
            return .update(try bindUpdate(table, alias, assignments, from, whereClause))
        case let .delete(table, alias, whereClause, _):
            let (scan, scope) = try targetScan(table, alias)
            let condition = try whereClause.map { (e) throws(BindFailure) in
                try self.condition(e, .clause("WHERE", scope), what: "the WHERE condition")
            }
            return .delete(BoundDelete(target: scan, whereClause: condition))
        case let .dropTable(name, ifExists, _):
            let existing = catalog.table(named: name.text)
            if existing == nil && !ifExists { _ = try catalogTable(name) }
            return .dropTable(table: existing?.name ?? name.text, ifExists: ifExists, existed: existing != nil)
        case let .alterTable(name, action, _):
            return try bindAlter(name, action)
        case let .returning(inner, items, range):
            return try bindReturning(inner, items, range: range)
        }
    }

    /// `INSERT | UPDATE | DELETE ... RETURNING items`: the items over a
    /// relation named as the target (its alias) holding the rows the
    /// statement writes, with the target's columns: for INSERT the source's
    /// rows (columns not listed NULL), for UPDATE the matched rows with the
    /// SET values, for DELETE the matched rows. Bound without masking, then
    /// masked as the target's columns are.
    private mutating func bindReturning(_ inner: Statement, _ items: [SelectItem], range: SourceRange) throws(BindFailure) -> BoundStatement {
        var bound = try bindStatement(inner)
        func node(_ kind: Expr.Kind, _ at: SourceRange, height: Int = 1) -> Expr { Expr(kind: kind, range: at, height: height) }
        func name(_ text: String, _ at: SourceRange) -> Identifier { Identifier(text, quoted: true, range: at) }
        let tableName: Identifier, alias: Identifier
        let derived: QueryExpr
        switch inner {
        case let .insert(table, written, writtenSource, _):
            guard case let .insert(insert) = bound, let definition = catalog.table(named: insert.table) else { preconditionFailure() }
            let (columns, source) = try withDefaults(table, written, writtenSource)
            tableName = table
            alias = name(definition.name, table.range)
            let listed = columns.isEmpty ? definition.columns.map { name($0.name, table.range) } : columns
            let sourceAlias = name("__rocky_source", table.range)
            var select: [SelectItem] = []
            for column in definition.columns {
                let type = TypeName(type: column.type, range: range)
                let value: Expr
                if let given = listed.first(where: { $0.key == column.name.lowercased() }) {
                    let reference = node(.column([sourceAlias, name(given.text, given.range)]), given.range)
                    value = node(.cast(reference, type), given.range, height: 2)
                } else {
                    value = node(.cast(node(.literal(.null), range), type), range, height: 2)
                }
                select.append(.expr(value, alias: name(column.name, range)))
            }
            let from = TableRef.subquery(source, alias: sourceAlias, columnNames: listed, range: source.range)
            derived = QueryExpr(ctes: [], body: .select(SelectCore(distinct: false, items: select, from: [from], whereClause: nil,
                                                                   groupBy: [], having: nil, range: range)),
                                orderBy: [], limit: nil, offset: nil, range: range)
        case let .update(table, tableAlias, assignments, from, whereClause, _):
            guard case let .update(update) = bound else { preconditionFailure() }
            tableName = table
            alias = tableAlias ?? name(update.target.table, table.range)
            let qualifier = tableAlias ?? table
            var select: [SelectItem] = []
            for column in update.target.columns {
                let value: Expr
                if let assignment = assignments.first(where: { $0.column.key == column.name.lowercased() }) {
                    value = node(.cast(assignment.value, TypeName(type: column.type, range: assignment.value.range)),
                                 assignment.value.range, height: assignment.value.height + 1)
                } else {
                    value = node(.column([qualifier, name(column.name, range)]), range)
                }
                select.append(.expr(value, alias: name(column.name, range)))
            }
            let target = TableRef.table(name: table, alias: tableAlias, range: table.range)
            derived = QueryExpr(ctes: [], body: .select(SelectCore(distinct: false, items: select, from: [target] + from,
                                                                   whereClause: whereClause, groupBy: [], having: nil, range: range)),
                                orderBy: [], limit: nil, offset: nil, range: range)
        case let .delete(table, tableAlias, whereClause, _):
            guard case let .delete(delete) = bound else { preconditionFailure() }
            tableName = table
            alias = tableAlias ?? name(delete.target.table, table.range)
            let target = TableRef.table(name: table, alias: tableAlias, range: table.range)
            derived = QueryExpr(ctes: [], body: .select(SelectCore(distinct: false, items: [.star(range)], from: [target],
                                                                   whereClause: whereClause, groupBy: [], having: nil, range: range)),
                                orderBy: [], limit: nil, offset: nil, range: range)
        default:
            throw failure(.unsupportedSyntax, "RETURNING is supported after INSERT, UPDATE and DELETE only", at: range)
        }
        let table = try catalogTable(tableName)
        let masking = table.columns.map { options.masking.strategy(for: $0.governance, environment: options.environment) }
        returningRelation = (alias.key, table.name, masking)
        defer { returningRelation = nil }
        let core = SelectCore(distinct: false, items: items,
                              from: [.subquery(derived, alias: alias, columnNames: [], range: range)],
                              whereClause: nil, groupBy: [], having: nil, range: range)
        let query = try bindSelect(core, orderBy: [], parent: nil)
        if case let .select(select) = query.body, select.isAggregate {
            throw failure(.aggregateNotAllowed, "aggregate functions are not allowed in RETURNING", at: range)
        }
        try checkUniqueNames(query, what: "RETURNING")
        switch bound {
        case var .insert(insert): insert.returning = query; bound = .insert(insert)
        case var .update(update): update.returning = query; bound = .update(update)
        case var .delete(delete): delete.returning = query; bound = .delete(delete)
        default: break
        }
        return bound
    }

    private mutating func bindCreateTable(_ name: Identifier, _ columns: [ColumnDefinitionSyntax], _ primaryKey: [Identifier],
                                          _ ifNotExists: Bool, _ constraints: [ConstraintSyntax]) throws(BindFailure) -> BoundStatement {
        try checkNotReserved(name)
        if catalog.table(named: name.text) != nil, !ifNotExists {
            throw failure(.tableExists, "table '\(name.text)' already exists", at: name.range,
                          help: "use CREATE TABLE IF NOT EXISTS, or DROP TABLE first")
        }
        var seen = Set<String>()
        var definitions: [ColumnDefinition] = []
        for column in columns {
            guard seen.insert(column.name.key).inserted else {
                throw failure(.duplicateName, "column '\(column.name.text)' is declared twice", at: column.name.range)
            }
            var definition = ColumnDefinition(name: column.name.text, type: column.type.type, notNull: column.notNull)
            if let (expr, text) = column.defaultValue {
                definition.defaultValue = ColumnDefault(sql: text, value: try bindDefault(expr, for: definition, of: name.text))
            }
            definitions.append(definition)
        }
        var keyNames: [String] = []
        var keySeen = Set<String>()
        for key in primaryKey {
            guard let index = definitions.firstIndex(where: { $0.name.lowercased() == key.key }) else {
                throw failure(.invalidPrimaryKey, "primary key column '\(key.text)' is not a column of the table", at: key.range,
                              help: Suggestion.nearest(to: key.text, among: definitions.map(\.name)).map { "did you mean '\($0)'?" })
            }
            guard keySeen.insert(key.key).inserted else {
                throw failure(.invalidPrimaryKey, "column '\(key.text)' appears twice in the primary key", at: key.range)
            }
            definitions[index].notNull = true
            keyNames.append(definitions[index].name)
        }
        let bound = try bindConstraints(constraints, table: name.text, columns: definitions)
        return .createTable(table: name.text, columns: definitions, primaryKey: keyNames, ifNotExists: ifNotExists, constraints: bound)
    }

    /// A column's DEFAULT: an expression over no column and no subquery,
    /// storable in the column (E0311, E0307, E0309).
    mutating func bindDefault(_ expr: Expr, for column: ColumnDefinition, of table: String) throws(BindFailure) -> BoundExpr {
        if let found = Binder.firstColumnOrSubquery(in: expr) {
            throw failure(.constantRequired, "the DEFAULT of column '\(column.name)' cannot read \(found.what)", at: found.range,
                          help: "a DEFAULT is a constant expression, such as 0, 'none' or CURRENT_DATE")
        }
        let value = try bindExpr(expr, .clause("DEFAULT", nil))
        let target = CatalogColumn(name: column.name, type: column.type, nullable: !column.notNull, id: 0)
        try checkAssignable(value, to: target, of: table)
        return try coerce(value, to: column.type)
    }

    /// The first column reference or subquery of `expr`, if any (syntax level).
    static func firstColumnOrSubquery(in expr: Expr) -> (what: String, range: SourceRange)? {
        switch expr.kind {
        case let .column(parts): return ("column '\(parts.map(\.text).joined(separator: "."))'", expr.range)
        case .exists, .subquery, .inSubquery: return ("a subquery", expr.range)
        default: break
        }
        var found: (what: String, range: SourceRange)?
        expr.forEachChild { child in
            guard found == nil else { return }
            switch child {
            case let .expr(e): found = firstColumnOrSubquery(in: e)
            case let .query(q): found = ("a subquery", q.range)
            }
        }
        return found
    }

    /// The first subquery of `expr`, if any (syntax level).
    static func firstSubquery(in expr: Expr) -> SourceRange? {
        switch expr.kind {
        case .exists, .subquery, .inSubquery: return expr.range
        default: break
        }
        var found: SourceRange?
        expr.forEachChild { child in
            guard found == nil else { return }
            switch child {
            case let .expr(e): found = firstSubquery(in: e)
            case let .query(q): found = q.range
            }
        }
        return found
    }

    /// The UNIQUE and CHECK constraints of CREATE TABLE: UNIQUE over
    /// distinct columns of the table; CHECK a BOOLEAN condition over the
    /// table's columns only, with no subquery, aggregate, window or clock
    /// (the same rows always give the same answer); names unique, made
    /// PostgreSQL's way when not given.
    private mutating func bindConstraints(_ constraints: [ConstraintSyntax], table: String,
                                          columns: [ColumnDefinition]) throws(BindFailure) -> [ConstraintDefinition] {
        var bound: [ConstraintDefinition] = []
        var names = Set<String>()
        func unique(_ base: String) -> String {
            var name = base
            var n = 0
            while names.contains(name.lowercased()) { n += 1; name = base + String(n) }
            return name
        }
        let scope = Scope(parent: nil)
        scope.entries.append(ScopeEntry(key: table.lowercased(), qualifier: "", relation: newRelation(),
                                        columns: columns.map { ScopeColumn(name: $0.name, key: $0.name.lowercased(), type: $0.type,
                                                                           nullable: !$0.notNull) },
                                        masking: nil, table: nil))
        for constraint in constraints {
            var definition: ConstraintDefinition
            switch constraint.kind {
            case let .unique(list):
                var listed: [String] = []
                for item in list {
                    guard let column = columns.first(where: { $0.name.lowercased() == item.key }) else {
                        throw failure(.unknownColumn, "UNIQUE column '\(item.text)' is not a column of the table", at: item.range,
                                      help: Suggestion.nearest(to: item.text, among: columns.map(\.name)).map { "did you mean '\($0)'?" })
                    }
                    guard !listed.contains(column.name) else {
                        throw failure(.invalidConstraint, "column '\(item.text)' appears twice in the UNIQUE constraint", at: item.range)
                    }
                    listed.append(column.name)
                }
                definition = ConstraintDefinition(name: table + "_" + listed.joined(separator: "_") + "_key", rule: .unique, columns: listed)
            case let .check(expr, text):
                if let range = Binder.firstSubquery(in: expr) {
                    throw failure(.invalidConstraint, "a CHECK condition cannot contain a subquery: it is checked on each row alone",
                                  at: range)
                }
                let usedTime = usesStatementTime
                usesStatementTime = false
                let condition = try self.condition(expr, .clause("CHECK", scope), what: "the CHECK condition")
                if usesStatementTime {
                    throw failure(.invalidConstraint, "a CHECK condition cannot read CURRENT_DATE or CURRENT_TIMESTAMP: a row must pass or fail the same way whenever it is checked",
                                  at: expr.range)
                }
                usesStatementTime = usedTime
                var read = Set<Int>()
                Binder.columnIndices(in: condition, into: &read)
                let readNames = read.sorted().map { columns[$0].name }
                let base = constraint.column.map { "\(table)_\($0.text)_check" } ?? "\(table)_check"
                definition = ConstraintDefinition(name: base, rule: .check(sql: text, condition: condition), columns: readNames)
            }
            if let given = constraint.name {
                guard !names.contains(given.key) else {
                    throw failure(.invalidConstraint, "constraint name '\(given.text)' is used twice", at: given.range)
                }
                definition.name = given.text
            } else {
                definition.name = unique(definition.name)
            }
            names.insert(definition.name.lowercased())
            bound.append(definition)
        }
        return bound
    }

    /// The column positions a condition over one relation reads.
    static func columnIndices(in expr: BoundExpr, into found: inout Set<Int>) {
        if case let .column(ref) = expr.kind { found.insert(ref.index) }
        for child in expr.children { columnIndices(in: child, into: &found) }
    }

    /// INSERT with the target's defaults made explicit, so that every
    /// engine stores the same values: a column with a DEFAULT that the
    /// column list leaves out joins the list, its default added to each
    /// VALUES row (or to the query, read as a derived table); the word
    /// DEFAULT in a VALUES row becomes its column's default (NULL when it
    /// has none). A DEFAULT is bound again by each INSERT, so CURRENT_DATE
    /// is that statement's time.
    mutating func withDefaults(_ name: Identifier, _ columns: [Identifier],
                               _ source: QueryExpr) throws(BindFailure) -> ([Identifier], QueryExpr) {
        guard let table = catalog.table(named: name.text) else { return (columns, source) }
        func identifier(_ text: String) -> Identifier { Identifier(text, quoted: true, range: name.range) }
        func defaultExpr(_ column: CatalogColumn) throws(BindFailure) -> Expr {
            guard let text = column.defaultValue else { return Expr(kind: .literal(.null), range: name.range, height: 1) }
            do throws(ParseFailure) {
                return try Parser.parseExpression(text)
            } catch {
                throw failure(.invalidConstraint, "the stored DEFAULT of \(table.name).\(column.name) does not parse: \(error.diagnostic.message)",
                              at: name.range)
            }
        }
        let listed = columns.isEmpty ? table.columns.map { identifier($0.name) } : columns
        let omitted = columns.isEmpty ? [] : table.columns.filter { column in
            column.defaultValue != nil && !columns.contains { $0.key == column.name.lowercased() }
        }
        let targets = listed.map { table.column(named: $0.text)?.column }
        if case let .values(rows, range) = source.body, source.ctes.isEmpty, source.orderBy.isEmpty, source.limit == nil {
            let usesDefault = rows.contains { $0.contains { if case .literal(.columnDefault) = $0.kind { true } else { false } } }
            guard usesDefault || !omitted.isEmpty else { return (columns, source) }
            var filled: [[Expr]] = []
            for row in rows {
                var values: [Expr] = []
                for (i, value) in row.enumerated() {
                    if case .literal(.columnDefault) = value.kind, i < targets.count, let target = targets[i] {
                        values.append(try defaultExpr(target))
                    } else {
                        values.append(value)
                    }
                }
                for column in omitted { values.append(try defaultExpr(column)) }
                filled.append(values)
            }
            var result = source
            result.body = .values(filled, range: range)
            return (listed + omitted.map { identifier($0.name) }, result)
        }
        guard !omitted.isEmpty else { return (columns, source) }
        let alias = identifier("__rocky_source")
        var items: [SelectItem] = listed.map { .expr(Expr(kind: .column([alias, $0]), range: $0.range, height: 1), alias: $0) }
        for column in omitted { items.append(.expr(try defaultExpr(column), alias: identifier(column.name))) }
        let from = TableRef.subquery(source, alias: alias, columnNames: listed, range: source.range)
        let query = QueryExpr(ctes: [], body: .select(SelectCore(distinct: false, items: items, from: [from], whereClause: nil,
                                                                 groupBy: [], having: nil, range: source.range)),
                              orderBy: [], limit: nil, offset: nil, range: source.range)
        return (listed + omitted.map { identifier($0.name) }, query)
    }

    /// The declared key of a CREATE TABLE AS: result columns, each once.
    private func resultKey(_ names: [Identifier], of query: BoundQuery) throws(BindFailure) -> [String] {
        var keyNames: [String] = []
        for name in names {
            guard let column = query.columns.first(where: { $0.name.lowercased() == name.key }) else {
                throw failure(.invalidPrimaryKey, "primary key column '\(name.text)' is not a column of the result", at: name.range,
                              help: Suggestion.nearest(to: name.text, among: query.columns.map(\.name)).map { "did you mean '\($0)'?" })
            }
            guard !keyNames.contains(column.name) else {
                throw failure(.invalidPrimaryKey, "column '\(name.text)' appears twice in the primary key", at: name.range)
            }
            keyNames.append(column.name)
        }
        return keyNames
    }

    /// The target of UPDATE or DELETE as a scan, with a scope holding it.
    private mutating func targetScan(_ name: Identifier, _ alias: Identifier?) throws(BindFailure) -> (TableScan, Scope) {
        let scope = Scope(parent: nil)
        guard case let .table(scan) = try bindFrom(.table(name: name, alias: alias, range: name.range), scope: scope) else {
            throw failure(.unknownTable, "'\(name.text)' is a CTE, not a table", at: name.range)
        }
        return (scan, scope)
    }

    private mutating func bindInsert(_ name: Identifier, _ columnNames: [Identifier], _ source: QueryExpr) throws(BindFailure) -> BoundInsert {
        let table = try catalogTable(name)
        noteInput(table.name)
        var targets: [CatalogColumn] = []
        if columnNames.isEmpty {
            targets = table.columns
        } else {
            var seen = Set<String>()
            for column in columnNames {
                guard let (_, definition) = table.column(named: column.text) else {
                    throw failure(.unknownColumn, "table '\(table.name)' has no column '\(column.text)'", at: column.range,
                                  help: Suggestion.nearest(to: column.text, among: table.columns.map(\.name)).map { "did you mean '\($0)'?" })
                }
                guard seen.insert(column.key).inserted else {
                    throw failure(.duplicateName, "column '\(column.text)' is listed twice", at: column.range)
                }
                targets.append(definition)
            }
            let listed = Set(targets.map(\.id))
            if let missing = table.columns.first(where: { !$0.nullable && !listed.contains($0.id) }) {
                throw failure(.notNullViolation, "column '\(missing.name)' is NOT NULL and has no default, so INSERT must give it a value",
                              at: columnNames[0].range.union(columnNames[columnNames.count - 1].range))
            }
        }
        var query: BoundQuery
        if case let .values(rows, _) = source.body, source.ctes.isEmpty, source.orderBy.isEmpty, source.limit == nil {
            query = try bindInsertValues(rows, targets: targets, table: table.name, range: source.range)
        } else {
            query = try bindQuery(source, parent: nil)
            guard query.columns.count == targets.count else {
                throw failure(.notAssignable, "INSERT into \(targets.count) column\(targets.count == 1 ? "" : "s") but the query returns \(query.columns.count)",
                              at: source.range)
            }
            for (i, target) in targets.enumerated() {
                if case let .select(select) = query.body, select.items.count == targets.count {
                    try checkAssignable(select.items[i].expr, to: target, of: table.name)
                    continue
                }
                let column = query.columns[i]
                guard TypeRules.isAssignable(column.type, to: target.type) || isNullColumn(query, i) else {
                    throw failure(.notAssignable, "cannot store \(column.type) in column '\(target.name)' of type \(target.type)",
                                  at: column.range, help: "CAST it to \(target.type)")
                }
            }
            query = try coerceQuery(query, to: targets.map(\.type))
        }
        return BoundInsert(table: table.name, columns: targets.map(\.name), source: query)
    }

    /// Table names starting with `__rocky` belong to the engine's SQLite objects.
    private func checkNotReserved(_ name: Identifier) throws(BindFailure) {
        guard name.key.hasPrefix("__rocky") else { return }
        throw failure(.reservedName, "table name '\(name.text)' is reserved: names starting with __rocky are the engine's",
                      at: name.range, help: "choose another name")
    }

    /// The rule for a value stored in a column, the same for INSERT VALUES,
    /// INSERT ... SELECT and UPDATE SET: NULL only where the column is
    /// nullable (E0309); otherwise an assignable type (E0307), where a text
    /// literal may stand for a DATE or TIMESTAMP.
    private func checkAssignable(_ value: BoundExpr, to target: CatalogColumn, of table: String) throws(BindFailure) {
        if value.isNullPlaceholder {
            guard target.nullable else {
                throw failure(.notNullViolation, "column '\(target.name)' of '\(table)' is NOT NULL", at: value.range)
            }
            return
        }
        guard TypeRules.isAssignable(value.type!, to: target.type)
            || (TypeRules.isTextLiteral(value) && (target.type == .date || target.type == .timestamp)) else {
            throw failure(.notAssignable, "cannot store \(value.type!) in column '\(target.name)' of type \(target.type)",
                          at: value.range, help: "CAST it to \(target.type)")
        }
    }

    private func isNullColumn(_ query: BoundQuery, _ index: Int) -> Bool {
        switch query.body {
        case let .select(select): select.items[index].expr.isNullPlaceholder
        case let .values(rows): rows.allSatisfy { $0[index].isNullPlaceholder }
        case .setOperation: false
        }
    }

    private mutating func bindInsertValues(_ rows: [[Expr]], targets: [CatalogColumn], table: String, range: SourceRange) throws(BindFailure) -> BoundQuery {
        var bound: [[BoundExpr]] = []
        let context = ExprContext.clause("VALUES", nil)
        for row in rows {
            guard row.count == targets.count else {
                throw failure(.notAssignable, "INSERT into \(targets.count) column\(targets.count == 1 ? "" : "s") but a row has \(row.count) value\(row.count == 1 ? "" : "s")",
                              at: row.first.map { $0.range.union(row.last!.range) } ?? range)
            }
            var values: [BoundExpr] = []
            for (expr, target) in zip(row, targets) {
                let value = try bindExpr(expr, context)
                try checkAssignable(value, to: target, of: table)
                values.append(try coerce(value, to: target.type))
            }
            bound.append(values)
        }
        let columns = targets.enumerated().map { i, target in
            OutputColumn(name: target.name, type: target.type, nullable: bound.contains { $0[i].nullable }, range: bound[0][i].range)
        }
        return BoundQuery(ctes: [], body: .values(bound), orderBy: [], limit: nil, offset: nil, columns: columns)
    }

    private mutating func bindUpdate(_ name: Identifier, _ alias: Identifier?, _ assignments: [Assignment],
                                     _ fromItems: [TableRef], _ whereClause: Expr?) throws(BindFailure) -> BoundUpdate {
        let (scan, scope) = try targetScan(name, alias)
        // UPDATE ... FROM: the other relations join the target's scope (a comma is a cross join).
        var from: BoundFrom?
        for item in fromItems {
            let bound = try bindFrom(item, scope: scope)
            from = from.map { .join(BoundJoin(kind: .cross, left: $0, right: bound, condition: nil)) } ?? bound
        }
        var seen = Set<String>()
        var bound: [BoundUpdate.Assignment] = []
        for assignment in assignments {
            guard let index = scan.columns.firstIndex(where: { $0.name.lowercased() == assignment.column.key }) else {
                throw failure(.unknownColumn, "table '\(scan.table)' has no column '\(assignment.column.text)'", at: assignment.column.range,
                              help: Suggestion.nearest(to: assignment.column.text, among: scan.columns.map(\.name)).map { "did you mean '\($0)'?" })
            }
            guard seen.insert(assignment.column.key).inserted else {
                throw failure(.duplicateName, "column '\(assignment.column.text)' is assigned twice", at: assignment.column.range)
            }
            let target = scan.columns[index]
            let value = try bindExpr(assignment.value, .clause("SET", scope))
            try checkAssignable(value, to: target, of: scan.table)
            bound.append(BoundUpdate.Assignment(column: target.name, value: try coerce(value, to: target.type)))
        }
        let condition = try whereClause.map { (e) throws(BindFailure) in
            try self.condition(e, .clause("WHERE", scope), what: "the WHERE condition")
        }
        return BoundUpdate(target: scan, assignments: bound, from: from, whereClause: condition, fromRange: fromItems.first?.range)
    }

    private mutating func bindAlter(_ name: Identifier, _ action: AlterAction) throws(BindFailure) -> BoundStatement {
        let table = try catalogTable(name)
        noteInput(table.name)
        switch action {
        case let .addColumn(definition):
            if table.column(named: definition.name.text) != nil {
                throw failure(.columnExists, "table '\(table.name)' already has a column '\(definition.name.text)'", at: definition.name.range)
            }
            if definition.primaryKey {
                throw failure(.invalidSchemaChange, "ALTER TABLE cannot add a primary key column", at: definition.range)
            }
            if definition.defaultValue != nil || !definition.constraints.isEmpty {
                throw failure(.unsupportedSyntax, "ALTER TABLE ADD COLUMN with DEFAULT, UNIQUE or CHECK is not supported",
                              at: definition.defaultValue?.expr.range ?? definition.constraints[0].range,
                              help: "declare constraints and defaults in CREATE TABLE")
            }
            if definition.notNull {
                throw failure(.invalidSchemaChange, "a column added to an existing table cannot be NOT NULL: existing rows have no value for it",
                              at: definition.range)
            }
            return .alterTable(table: table.name, action: .addColumn(ColumnDefinition(name: definition.name.text, type: definition.type.type, notNull: false)))
        case let .dropColumn(column, ifExists):
            guard let (_, existing) = table.column(named: column.text) else {
                if ifExists { return .alterTable(table: table.name, action: .dropColumn(column.text)) }
                throw failure(.unknownColumn, "table '\(table.name)' has no column '\(column.text)'", at: column.range,
                              help: Suggestion.nearest(to: column.text, among: table.columns.map(\.name)).map { "did you mean '\($0)'?" })
            }
            if table.primaryKey.contains(where: { $0.lowercased() == column.key }) {
                throw failure(.invalidSchemaChange, "cannot drop '\(existing.name)': it is part of the primary key", at: column.range)
            }
            if table.columns.count == 1 {
                throw failure(.invalidSchemaChange, "cannot drop '\(existing.name)': it is the table's only column", at: column.range)
            }
            if let constraint = table.constraints(reading: existing.name).first {
                throw failure(.invalidSchemaChange, "cannot drop '\(existing.name)': constraint \(constraint.name) reads it", at: column.range)
            }
            return .alterTable(table: table.name, action: .dropColumn(existing.name))
        case let .renameColumn(old, new):
            guard let (_, existing) = table.column(named: old.text) else {
                throw failure(.unknownColumn, "table '\(table.name)' has no column '\(old.text)'", at: old.range,
                              help: Suggestion.nearest(to: old.text, among: table.columns.map(\.name)).map { "did you mean '\($0)'?" })
            }
            if old.key != new.key, table.column(named: new.text) != nil {
                throw failure(.columnExists, "table '\(table.name)' already has a column '\(new.text)'", at: new.range)
            }
            if old.key != new.key, let check = table.constraints(reading: existing.name).first(where: { $0.check != nil }) {
                throw failure(.invalidSchemaChange, "cannot rename '\(existing.name)': the condition of CHECK constraint \(check.name) names it",
                              at: old.range)
            }
            return .alterTable(table: table.name, action: .renameColumn(from: existing.name, to: new.text))
        }
    }
}
