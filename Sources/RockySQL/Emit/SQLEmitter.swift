import RockyBase

/// Writes IR as SQL text for one dialect.
///
/// Expressions are fully parenthesized, identifiers always quoted, and every
/// select item whose name the dialect would not derive by itself gets an
/// explicit alias, so results have exactly the IR's column names.
struct SQLEmitter {
    let dialect: Dialect
    /// What the dialect writes its own way (Emit/Dialects).
    let emitter: any DialectEmitter
    private var wrapCounter = 0
    /// Lowercased names of the catalog tables the statement reads or writes.
    private let tables: Set<String>
    /// The emitted name of each CTE in scope whose own name is also a table's.
    private var cteNames: [RelationID: String] = [:]
    /// While writing one grouping set's SELECT of a GROUPING SETS query in
    /// SQLite (which has none): the keys, and the positions of those grouped.
    var groupingBranch: (keys: [BoundExpr], grouped: Set<Int>)?
    /// The next SELECT written CASTs each item to its type (conformedRecursion).
    private var conformNextSelect = false

    init(dialect: Dialect, statement: BoundStatement? = nil) {
        self.dialect = dialect
        emitter = dialect.emitter
        var walker = TableNames()
        if let statement { walker.statement(statement) }
        tables = walker.names
    }

    var isSQLite: Bool { dialect == .sqlite }

    func q(_ name: String) -> String { dialect.quote(name) }

    // MARK: Statements

    /// The statement as one or more SQL statements, run in order.
    mutating func statement(_ statement: BoundStatement) -> [String] {
        switch statement {
        case let .query(query):
            return [self.query(query)]
        case let .createTable(table, columns, primaryKey, ifNotExists, constraints):
            var parts: [String] = []
            for column in columns {
                var part = "\(q(column.name)) \(dialect.typeName(column.type))"
                if let value = column.defaultValue?.value { part += " DEFAULT \(expr(value))" }
                parts.append(part + (column.notNull ? " NOT NULL" : ""))
            }
            if !primaryKey.isEmpty {
                let key = "PRIMARY KEY (\(primaryKey.map(q).joined(separator: ", ")))"
                parts.append(dialect == .bigquery ? key + " NOT ENFORCED" : key)
            }
            // Rocky enforces UNIQUE and CHECK itself on every engine; a
            // dialect declares those it can: BigQuery neither, Snowflake no
            // CHECK, Databricks (Delta) CHECK only through ALTER TABLE.
            var after: [String] = []
            for constraint in constraints {
                switch constraint.rule {
                case .unique where dialect != .bigquery && dialect != .databricks:
                    parts.append("CONSTRAINT \(q(constraint.name)) UNIQUE (\(constraint.columns.map(q).joined(separator: ", ")))")
                case let .check(_, condition) where dialect == .databricks:
                    after.append("ALTER TABLE \(q(table)) ADD CONSTRAINT \(q(constraint.name)) CHECK (\(expr(condition)))")
                case let .check(_, condition) where dialect != .bigquery && dialect != .snowflake:
                    parts.append("CONSTRAINT \(q(constraint.name)) CHECK (\(expr(condition)))")
                default:
                    break
                }
            }
            return ["CREATE TABLE \(ifNotExists ? "IF NOT EXISTS " : "")\(q(table)) (\(parts.joined(separator: ", ")))"] + after
        case let .createTableAs(table, orReplace, query):
            let select = self.query(query)
            if !orReplace { return ["CREATE TABLE \(q(table)) AS \(select)"] }
            switch dialect {
            case .sqlite, .postgres:
                // Build under a new name first, so the query may read the table it replaces.
                let staging = table + "__rocky_new"
                return ["DROP TABLE IF EXISTS \(q(staging))", "CREATE TABLE \(q(staging)) AS \(select)",
                        "DROP TABLE IF EXISTS \(q(table))", "ALTER TABLE \(q(staging)) RENAME TO \(q(table))"]
            default:
                return ["CREATE OR REPLACE TABLE \(q(table)) AS \(select)"]
            }
        case let .insert(insert):
            let columns = insert.columns.map(q).joined(separator: ", ")
            let source: String
            if case let .values(rows) = insert.source.body, insert.source.ctes.isEmpty {
                source = "VALUES " + rows.map { "(" + $0.map { expr($0) }.joined(separator: ", ") + ")" }.joined(separator: ", ")
            } else {
                source = query(insert.source)
            }
            return ["INSERT INTO \(q(insert.table)) (\(columns)) \(source)"]
        case let .update(update):
            let target = update.target.hasAlias
                ? "\(q(update.target.table)) AS \(q(update.target.alias))" : q(update.target.table)
            if let from = update.from { return [updateFrom(update, from: from, target: target)] }
            let sets = update.assignments.map { "\(q($0.column)) = \(expr($0.value))" }.joined(separator: ", ")
            var sql = "UPDATE \(target) SET \(sets)"
            if let condition = update.whereClause { sql += " WHERE \(expr(condition))" } else if dialect == .bigquery { sql += " WHERE TRUE" }
            return [sql]
        case let .delete(delete):
            let target = delete.target.hasAlias
                ? "\(q(delete.target.table)) AS \(q(delete.target.alias))" : q(delete.target.table)
            var sql = "DELETE FROM \(target)"
            if let condition = delete.whereClause { sql += " WHERE \(expr(condition))" } else if dialect == .bigquery { sql += " WHERE TRUE" }
            return [sql]
        case let .dropTable(table, ifExists, _):
            return ["DROP TABLE \(ifExists ? "IF EXISTS " : "")\(q(table))"]
        case let .alterTable(table, action):
            switch action {
            case let .addColumn(column):
                return ["ALTER TABLE \(q(table)) ADD COLUMN \(q(column.name)) \(dialect.typeName(column.type))"]
            case let .dropColumn(column):
                return ["ALTER TABLE \(q(table)) DROP COLUMN \(q(column))"]
            case let .renameColumn(from, to):
                return ["ALTER TABLE \(q(table)) RENAME COLUMN \(q(from)) TO \(q(to))"]
            }
        }
    }

    // MARK: Queries

    mutating func query(_ query: BoundQuery) -> String {
        var sql = ""
        if !query.ctes.isEmpty {
            // A CTE named like a table it (or a sibling) reads: in SQL the body
            // reads the table, in SQLite the CTE itself, so it gets another name.
            for cte in query.ctes where tables.contains(cte.name.lowercased()) {
                var name = cte.name + "__cte"
                while tables.contains(name.lowercased()) { name += "_" }
                cteNames[cte.id] = name
            }
            sql += query.ctes.contains(where: \.recursive) ? "WITH RECURSIVE " : "WITH "
            sql += query.ctes.map { cte($0) }.joined(separator: ", ") + " "
        }
        if case let .select(select) = query.body, needsFilteredWrap(select, query) {
            sql += filteredSelect(select, query)
        } else if needsSortedWrap(query) {
            let names = query.columns.indices.map { q("_c\($0 + 1)") }
            let results = query.columns.indices.map { "\(names[$0]) AS \(q(query.columns[$0].name))" }
            sql += "SELECT \(results.joined(separator: ", ")) FROM (\(body(query.body, columns: query.columns))) AS "
                + "\(q("_sorted"))(\(names.joined(separator: ", ")))"
            sql += " ORDER BY " + query.orderBy.map { orderItem($0, sortedNames: names) }.joined(separator: ", ")
        } else {
            sql += body(query.body, columns: query.columns)
            if !query.orderBy.isEmpty {
                sql += " ORDER BY " + query.orderBy.map { orderItem($0) }.joined(separator: ", ")
            }
        }
        if let limit = query.limit {
            sql += " LIMIT \(limitExpr(limit))"
        } else if query.offset != nil && dialect == .sqlite {
            sql += " LIMIT -1"
        }
        if let offset = query.offset { sql += " OFFSET \(limitExpr(offset))" }
        return sql
    }

    /// A LIMIT or OFFSET: Spark takes only an INT there.
    private func limitExpr(_ e: BoundExpr) -> String {
        isDatabricks ? "CAST(\(expr(e)) AS INT)" : expr(e)
    }

    /// SQLite stops a recursive CTE after this many rows, with an error.
    static let recursionLimit = 1_000_000

    /// `name AS (query)`. In SQLite a recursive CTE is guarded: computed as
    /// `name__all` with a LIMIT one past the limit, read through `name`,
    /// which fails when the limit was passed (Docs/sql.md, "Helper functions").
    private mutating func cte(_ cte: BoundCTE) -> String {
        let name = cteNames[cte.id] ?? cte.name
        guard cte.recursive else { return "\(q(name)) AS (\(query(cte.query)))" }
        guard isSQLite else { return "\(q(name)) AS (\(conformedRecursion(cte.query)))" }
        var all = name + "__all"
        while tables.contains(all.lowercased()) { all += "_" }
        cteNames[cte.id] = all
        let body = query(cte.query) + " LIMIT \(Self.recursionLimit + 1)"
        cteNames[cte.id] = name == cte.name ? nil : name
        let check = helper(.recursionLimit, "(SELECT COUNT(*) FROM \(q(all)))", String(Self.recursionLimit), dialect.string(cte.name))
        return "\(q(all)) AS (\(body)), \(q(name)) AS (SELECT * FROM \(q(all)) WHERE \(check))"
    }

    /// A native dialect's recursive CTE with every column CAST to its type on
    /// both sides (PostgreSQL requires the two sides' types to be equal): the
    /// anchor through a subquery, the recursive part (which may not read the
    /// CTE in a subquery) by its own select items.
    private mutating func conformedRecursion(_ query: BoundQuery) -> String {
        guard case let .setOperation(op) = query.body else { return self.query(query) }
        wrapCounter += 1
        let a = q("_anchor\(wrapCounter)")
        let casts = query.columns.map { "CAST(\(a).\(q($0.name)) AS \(dialect.typeName($0.type))) AS \(q($0.name))" }
        let anchor = "SELECT \(casts.joined(separator: ", ")) FROM (\(self.query(op.left))) AS \(a)"
        conformNextSelect = true
        let recursive = self.query(op.right)
        conformNextSelect = false
        return "\(anchor) UNION\(op.all ? " ALL" : dialect == .bigquery ? " DISTINCT" : "") \(recursive)"
    }

    func orderItem(_ item: BoundOrderItem, sortedNames: [String]? = nil) -> String {
        var sql: String
        if let sortedNames, let position = item.outputPosition {
            sql = collated(sortedNames[position - 1], item.expr.type)
        } else if isPostgres, item.expr.type == .text {
            // Byte order: the expression itself, since a position takes no COLLATE.
            sql = collated(expr(item.expr), .text)
        } else {
            sql = item.outputPosition.map(String.init) ?? expr(item.expr)
        }
        if item.descending { sql += " DESC" }
        // Rocky sorts NULL as the largest value unless told otherwise; say so
        // explicitly, since dialects disagree on the default.
        let nullsFirst = item.nullsFirst ?? item.descending
        if item.expr.nullable || item.nullsFirst != nil {
            sql += nullsFirst ? " NULLS FIRST" : " NULLS LAST"
        }
        return sql
    }

    private mutating func body(_ body: BoundQueryBody, columns: [OutputColumn]) -> String {
        switch body {
        case let .select(select):
            return self.select(select)
        case let .setOperation(op) where op.all && op.op != .union && isSQLite:
            return multisetOperation(op, columns: columns)
        case let .setOperation(op):
            let left = setOperand(op.left, parent: op.op, isRight: false)
            let right = setOperand(op.right, parent: op.op, isRight: true)
            return "\(left) \(op.op.rawValue)\(op.all ? " ALL" : dialect == .bigquery ? " DISTINCT" : "") \(right)"
        case let .values(rows):
            if isSQLite {
                // SQLite names VALUES columns column1, column2, ...: rename them.
                let values = "VALUES " + rows.map { "(" + $0.map { expr($0) }.joined(separator: ", ") + ")" }.joined(separator: ", ")
                let names = columns.indices.map { "\(q("column\($0 + 1)")) AS \(q(columns[$0].name))" }
                return "SELECT \(names.joined(separator: ", ")) FROM (\(values))"
            }
            return rows.enumerated().map { r, row in
                "SELECT " + row.enumerated().map { i, cell in
                    r == 0 ? "\(expr(cell)) AS \(q(columns[i].name))" : expr(cell)
                }.joined(separator: ", ")
            }.joined(separator: " UNION ALL ")
        }
    }

    /// A set-operation operand; queries that cannot stand bare there are wrapped.
    private mutating func setOperand(_ operand: BoundQuery, parent: BoundSetOperation.Operator, isRight: Bool) -> String {
        var needsWrap = !operand.ctes.isEmpty || !operand.orderBy.isEmpty || operand.limit != nil || operand.offset != nil
        if case let .setOperation(inner) = operand.body {
            needsWrap = needsWrap || isRight || (parent == .intersect && inner.op != .intersect)
        }
        if case .values = operand.body, isSQLite { needsWrap = true }
        let sql = query(operand)
        guard needsWrap else { return sql }
        wrapCounter += 1
        return "SELECT * FROM (\(sql)) AS \(q("_set\(wrapCounter)"))"
    }

    /// EXCEPT ALL and INTERSECT ALL, which SQLite lacks: numbering the
    /// copies of each row (ROW_NUMBER over all columns) turns the multiset
    /// operation into the set operation on (row, copy number).
    private mutating func multisetOperation(_ op: BoundSetOperation, columns: [OutputColumn]) -> String {
        let slots = columns.indices.map { q("_c\($0)") }
        let copy = q("_copy")
        wrapCounter += 1
        let id = wrapCounter
        func numbered(_ operand: String, _ side: String) -> String {
            // A first, empty branch names the operand's columns by position.
            let names = "SELECT " + slots.map { "NULL AS \($0)" }.joined(separator: ", ") + " WHERE 0"
            return "SELECT \(slots.joined(separator: ", ")), ROW_NUMBER() OVER (PARTITION BY \(slots.joined(separator: ", "))) AS \(copy) "
                + "FROM (\(names) UNION ALL SELECT * FROM (\(operand))) AS \(q("_\(side)\(id)"))"
        }
        let left = numbered(query(op.left), "l"), right = numbered(query(op.right), "r")
        let results = columns.indices.map { "\(slots[$0]) AS \(q(columns[$0].name))" }
        return "SELECT \(results.joined(separator: ", ")) FROM (\(left) \(op.op.rawValue) \(right)) AS \(q("_set\(id)"))"
    }

    private mutating func select(_ select: BoundSelect) -> String {
        if let sets = select.groupingSets, isSQLite { return groupingSetsUnion(select, sets) }
        let conformed = conformNextSelect
        conformNextSelect = false
        var sql = "SELECT "
        if select.distinct { sql += "DISTINCT " }
        if !select.distinctOn.isEmpty {
            // Only dialects with DISTINCT ON get here (the others: filteredSelect).
            sql += "DISTINCT ON (" + select.distinctOn.map { collated(expr($0), $0.type) }.joined(separator: ", ") + ") "
        }
        sql += select.items.map { item in
            let value = conformed ? conform(expr(item.expr), item.expr.type!) : expr(item.expr)
            if !conformed, case let .column(ref) = item.expr.kind, ref.name == item.name { return value }
            return "\(value) AS \(q(item.name))"
        }.joined(separator: ", ")
        // A grouping set's NULLs stand for its keys after grouping only: not in FROM, WHERE or GROUP BY.
        let branch = groupingBranch
        groupingBranch = nil
        if let from = select.from { sql += " FROM " + self.from(from, nested: false) }
        if let condition = select.whereClause { sql += " WHERE " + expr(condition) }
        if let sets = select.groupingSets {
            let lists = sets.map { "(" + $0.map { expr(select.groupBy[$0]) }.joined(separator: ", ") + ")" }
            sql += " GROUP BY GROUPING SETS (" + lists.joined(separator: ", ") + ")"
        } else if !select.groupBy.isEmpty {
            sql += " GROUP BY " + select.groupBy.map { expr($0) }.joined(separator: ", ")
        }
        groupingBranch = branch
        if let having = select.having { sql += " HAVING " + expr(having) }
        if let qualify = select.qualify { sql += " QUALIFY " + expr(qualify) }
        return sql
    }

    /// UPDATE ... FROM. SQLite: each value a correlated subquery through
    /// `rocky_scalar`, which fails when a target row matches several rows
    /// (PostgreSQL and DuckDB would take one of them, whichever comes first).
    /// Databricks: MERGE INTO ... USING.
    private mutating func updateFrom(_ update: BoundUpdate, from: BoundFrom, target: String) -> String {
        let source = self.from(from, nested: false)
        let condition = update.whereClause.map { expr($0) } ?? literal(.boolean(true), type: .boolean)
        switch dialect {
        case .sqlite:
            let start = update.fromRange?.start
            let position = dialect.string("line \(start?.line ?? 1), column \(start?.column ?? 1): UPDATE ... FROM matched a row of the target more than once")
            let sets = update.assignments.map {
                "\(q($0.column)) = (SELECT \(helper(.scalar, "COUNT(*)", "MAX(\(expr($0.value)))", position)) FROM \(source) WHERE \(condition))"
            }.joined(separator: ", ")
            return "UPDATE \(target) SET \(sets) WHERE EXISTS (SELECT 1 FROM \(source) WHERE \(condition))"
        case .databricks:
            let sets = update.assignments.map { "\(q($0.column)) = \(expr($0.value))" }.joined(separator: ", ")
            let using: String
            if case .join = from { using = "(SELECT * FROM \(source)) AS \(q("__rocky_from"))" } else { using = source }
            return "MERGE INTO \(target) USING \(using) ON \(condition) WHEN MATCHED THEN UPDATE SET \(sets)"
        default:
            let sets = update.assignments.map { "\(q($0.column)) = \(expr($0.value))" }.joined(separator: ", ")
            return "UPDATE \(target) SET \(sets) FROM \(source) WHERE \(condition)"
        }
    }

    // MARK: QUALIFY, DISTINCT ON, GROUPING SETS

    /// Whether the select is written as `filteredSelect`: QUALIFY where the
    /// dialect lacks it, DISTINCT ON where the dialect lacks it, and in SQLite
    /// a GROUPING SETS query sorted by anything but its result columns.
    private func needsFilteredWrap(_ select: BoundSelect, _ query: BoundQuery) -> Bool {
        if select.qualify != nil && !emitter.hasQualify { return true }
        if !select.distinctOn.isEmpty && !emitter.hasDistinctOn { return true }
        return isSQLite && select.groupingSets != nil && query.orderBy.contains { $0.outputPosition == nil }
    }

    /// The select's columns, its filter and its sort keys computed by the
    /// select itself, then filtered and sorted outside: `SELECT c AS name
    /// FROM (SELECT ... AS c, <condition> AS keep, <sort key> AS o ...) WHERE
    /// keep ORDER BY ...`. The condition is the QUALIFY, or for DISTINCT ON
    /// ROW_NUMBER() = 1 over the keys in the query's order.
    private mutating func filteredSelect(_ select: BoundSelect, _ query: BoundQuery) -> String {
        wrapCounter += 1
        let alias = "_w\(wrapCounter)"
        var condition = select.qualify.flatMap { emitter.hasQualify ? nil : $0 }
        var inner = select
        if condition != nil { inner.qualify = nil }
        if !select.distinctOn.isEmpty && !emitter.hasDistinctOn {
            let rest = query.orderBy.dropFirst(select.distinctOn.count).map { item in
                var plain = item
                plain.outputPosition = nil
                return plain
            }
            let call = WindowCall(function: .rowNumber, arguments: [], partitionBy: select.distinctOn, orderBy: Array(rest), frame: nil)
            let number = BoundExpr(.window(call), type: .integer, nullable: false, range: query.columns[0].range)
            let one = BoundExpr(.literal(.integer(1)), type: .integer, nullable: false, range: number.range)
            condition = BoundExpr(.comparison(.equal, number, one), type: .boolean, nullable: false, range: number.range)
            inner.distinctOn = []
        }
        inner.distinct = false
        func slot(_ name: String, like e: BoundExpr) -> BoundExpr {
            BoundExpr(.column(ColumnRef(relation: RelationID(value: -1), index: 0, qualifier: alias, name: name)),
                      type: e.type, nullable: e.nullable, range: e.range)
        }
        inner.items = select.items.indices.map { BoundSelectItem(expr: select.items[$0].expr, name: "_c\($0 + 1)") }
        if let condition { inner.items.append(BoundSelectItem(expr: condition, name: "_keep")) }
        var order: [BoundOrderItem] = []
        for (k, item) in query.orderBy.enumerated() {
            var sorted = item
            sorted.outputPosition = nil
            if let position = item.outputPosition {
                sorted.expr = slot("_c\(position)", like: item.expr)
            } else {
                inner.items.append(BoundSelectItem(expr: item.expr, name: "_o\(k + 1)"))
                sorted.expr = slot("_o\(k + 1)", like: item.expr)
            }
            order.append(sorted)
        }
        let results = query.columns.indices.map { "\(q(alias)).\(q("_c\($0 + 1)")) AS \(q(query.columns[$0].name))" }
        var sql = "SELECT \(select.distinct ? "DISTINCT " : "")\(results.joined(separator: ", ")) FROM (\(self.select(inner))) AS \(q(alias))"
        if condition != nil { sql += " WHERE \(q(alias)).\(q("_keep"))" }
        if !order.isEmpty { sql += " ORDER BY " + order.map { orderItem($0) }.joined(separator: ", ") }
        return sql
    }

    /// GROUPING SETS in SQLite: one grouped SELECT per set, UNION ALL; the
    /// keys a set leaves out are NULL there and GROUPING() is a constant.
    private mutating func groupingSetsUnion(_ select: BoundSelect, _ sets: [[Int]]) -> String {
        var branches: [String] = []
        for set in sets {
            var branch = select
            branch.groupingSets = nil
            branch.distinct = false
            branch.groupBy = set.map { select.groupBy[$0] }
            if set.isEmpty, !branch.items.isEmpty {
                // One row even over no rows, as a grand total: an aggregate makes the SELECT one.
                let first = branch.items[0].expr
                let count = BoundExpr(.aggregate(AggregateCall(function: .countStar, argument: nil, distinct: false)),
                                      type: .integer, nullable: false, range: first.range)
                let zero = BoundExpr(.literal(.integer(0)), type: .integer, nullable: false, range: first.range)
                let always = BoundExpr(.comparison(.greaterEqual, count, zero), type: .boolean, nullable: false, range: first.range)
                branch.items[0].expr = BoundExpr(.caseWhen(operand: nil, branches: [CaseBranch(condition: always, result: first)], otherwise: nil),
                                                 type: first.type, nullable: first.nullable, range: first.range)
            }
            groupingBranch = (select.groupBy, Set(set))
            branches.append(self.select(branch))
            groupingBranch = nil
        }
        wrapCounter += 1
        return "SELECT * FROM (\(branches.joined(separator: select.distinct ? " UNION " : " UNION ALL "))) AS \(q("_g\(wrapCounter)"))"
    }

    private mutating func from(_ from: BoundFrom, nested: Bool) -> String {
        switch from {
        case let .table(scan):
            return scan.hasAlias ? "\(q(scan.table)) AS \(q(scan.alias))" : q(scan.table)
        case let .cte(scan):
            if let renamed = cteNames[scan.cte] { return "\(q(renamed)) AS \(q(scan.alias))" }
            return scan.hasAlias ? "\(q(scan.name)) AS \(q(scan.alias))" : q(scan.name)
        case let .derived(derived):
            return "(\(query(derived.query))) AS \(q(derived.alias))"
        case let .join(join):
            let left = self.from(join.left, nested: false)
            let right = self.from(join.right, nested: true)
            var sql = "\(left) \(join.kind.rawValue) JOIN \(right)"
            if let condition = join.condition {
                sql += " ON " + expr(condition)
            } else if join.kind != .cross {
                sql += " ON " + literal(.boolean(true), type: .boolean)
            }
            return nested ? "(\(sql))" : sql
        }
    }
}

/// Collects the catalog tables a statement names.
private struct TableNames {
    var names: Set<String> = []

    mutating func statement(_ statement: BoundStatement) {
        switch statement {
        case let .query(query), let .createTableAs(_, _, query): self.query(query)
        case let .insert(insert):
            names.insert(insert.table.lowercased())
            query(insert.source)
        case let .update(update):
            names.insert(update.target.table.lowercased())
            if let from = update.from { self.from(from) }
            for assignment in update.assignments { expr(assignment.value) }
            if let condition = update.whereClause { expr(condition) }
        case let .delete(delete):
            names.insert(delete.target.table.lowercased())
            if let condition = delete.whereClause { expr(condition) }
        case .createTable, .dropTable, .alterTable:
            break
        }
    }

    mutating func query(_ query: BoundQuery) {
        for cte in query.ctes { self.query(cte.query) }
        switch query.body {
        case let .select(select):
            if let from = select.from { self.from(from) }
            for e in select.items.map(\.expr) + select.groupBy + select.distinctOn
                + [select.whereClause, select.having, select.qualify].compactMap({ $0 }) { expr(e) }
        case let .setOperation(op):
            self.query(op.left)
            self.query(op.right)
        case let .values(rows):
            for row in rows { for cell in row { expr(cell) } }
        }
        for item in query.orderBy { expr(item.expr) }
    }

    mutating func from(_ from: BoundFrom) {
        switch from {
        case let .table(scan): names.insert(scan.table.lowercased())
        case let .derived(derived): query(derived.query)
        case .cte: break
        case let .join(join):
            self.from(join.left)
            self.from(join.right)
            if let condition = join.condition { expr(condition) }
        }
    }

    mutating func expr(_ e: BoundExpr) {
        switch e.kind {
        case let .exists(query), let .scalarSubquery(query): self.query(query)
        case let .inSubquery(_, query, _): self.query(query)
        default: break
        }
        for child in e.children { expr(child) }
    }
}
