import RockyBase

/// The syntax tree the parser builds and the binder consumes. Every node keeps
/// its source range; nothing here is typed or resolved yet.

/// A name as written. `key` is the lowercased text used for matching: Rocky
/// matches names case-insensitively, quoted or not; quoting only allows
/// reserved words, spaces and other characters in a name.
struct Identifier: Hashable, Sendable {
    var text: String
    var key: String
    var quoted: Bool
    var range: SourceRange

    init(_ text: String, quoted: Bool, range: SourceRange) {
        self.text = text
        self.key = text.lowercased()
        self.quoted = quoted
        self.range = range
    }
}

/// A type as written in CAST or CREATE TABLE.
struct TypeName: Sendable {
    var type: ColumnType
    var range: SourceRange
}

enum UnaryOperator: Sendable { case negate, plus, not }

enum BinaryOperator: String, Sendable {
    case add = "+", subtract = "-", multiply = "*", divide = "/", modulo = "%", concat = "||"
    case equal = "=", notEqual = "<>", less = "<", lessEqual = "<=", greater = ">", greaterEqual = ">="

    var isComparison: Bool {
        switch self {
        case .equal, .notEqual, .less, .lessEqual, .greater, .greaterEqual: true
        default: false
        }
    }
}

enum LogicalOperator: String, Sendable { case and = "AND", or = "OR" }

/// A literal as written; the binder checks and types it.
enum LiteralSyntax: Sendable {
    case null
    case boolean(Bool)
    case integer(String)
    case decimal(String)
    case float(String)
    case string(String)
    case date(String)
    case timestamp(String)
    /// The word DEFAULT as a value of `INSERT ... VALUES`: the column's default.
    case columnDefault
    /// `INTERVAL '3' MONTH`, `INTERVAL 3 MONTH` or `INTERVAL '3 months'`.
    case interval(quantity: String, unit: String?)
}

/// An expression node with its range. `height` is the depth of the subtree,
/// which the parser bounds so that later recursive passes cannot overflow.
struct Expr: Sendable {
    indirect enum Kind: Sendable {
        case literal(LiteralSyntax)
        /// `column`, `table.column` or `schema.table.column`.
        case column([Identifier])
        case unary(UnaryOperator, Expr)
        case binary(BinaryOperator, Expr, Expr)
        /// AND/OR chains are flat, so long generated conditions stay shallow.
        case logical(LogicalOperator, [Expr])
        case isNull(Expr, negated: Bool)
        case inList(Expr, [Expr], negated: Bool)
        case inSubquery(Expr, QueryExpr, negated: Bool)
        case between(Expr, Expr, Expr, negated: Bool)
        /// `value [NOT] LIKE pattern [ESCAPE e]`.
        case like(Expr, Expr, negated: Bool, escape: Expr?)
        case caseWhen(operand: Expr?, branches: [(Expr, Expr)], otherwise: Expr?)
        case cast(Expr, TypeName)
        case function(FunctionCall)
        case extract(field: Identifier, Expr)
        case exists(QueryExpr)
        case subquery(QueryExpr)
    }

    var kind: Kind
    var range: SourceRange
    var height: Int
}

/// A direct child of an expression: a sub-expression or a subquery.
enum ExprChild {
    case expr(Expr)
    case query(QueryExpr)
}

extension Expr {
    /// Calls `visit` for each direct sub-expression and subquery, in source
    /// order; a column or a literal has none. The one walk of an expression's
    /// children for the syntax-level tools (`References`, `NameReferences`),
    /// which differ only in what they do at a column.
    func forEachChild(_ visit: (ExprChild) -> Void) {
        func expr(_ e: Expr) { visit(.expr(e)) }
        func query(_ q: QueryExpr) { visit(.query(q)) }
        switch kind {
        case .literal, .column: break
        case let .unary(_, x), let .isNull(x, _), let .cast(x, _), let .extract(_, x): expr(x)
        case let .binary(_, a, b): expr(a); expr(b)
        case let .like(a, b, _, e): expr(a); expr(b); if let e { expr(e) }
        case let .logical(_, items): items.forEach(expr)
        case let .inList(x, items, _): expr(x); items.forEach(expr)
        case let .inSubquery(x, q, _): expr(x); query(q)
        case let .between(a, b, c, _): expr(a); expr(b); expr(c)
        case let .caseWhen(operand, branches, otherwise):
            if let o = operand { expr(o) }
            for (w, t) in branches { expr(w); expr(t) }
            if let o = otherwise { expr(o) }
        case let .function(call):
            call.arguments.forEach(expr)
            for o in call.orderBy { expr(o.expr) }
            if let w = call.over { w.forEachExpr(expr) }
        case let .exists(q), let .subquery(q): query(q)
        }
    }
}

/// A call `name(args)`, possibly an aggregate (`DISTINCT`, `*`) or a window
/// function (`OVER (...)`).
struct FunctionCall: Sendable {
    var name: Identifier
    var arguments: [Expr]
    var distinct: Bool
    /// `COUNT(*)`.
    var star: Bool
    var over: WindowSpec?
    /// `STRING_AGG(x, sep ORDER BY ...)`: the order of an ordered aggregate's values.
    var orderBy: [OrderItem] = []
}

struct WindowSpec: Sendable {
    var partitionBy: [Expr]
    var orderBy: [OrderItem]
    var frame: FrameSpec?
    var range: SourceRange
    /// The named window this one refers to: `OVER w` (`bare`) or `OVER (w ORDER BY ...)`.
    var base: Identifier? = nil
    var bare = false
}

extension WindowSpec {
    /// Each expression of the window: keys, sort keys, frame offsets.
    func forEachExpr(_ visit: (Expr) -> Void) {
        partitionBy.forEach(visit)
        for o in orderBy { visit(o.expr) }
        for bound in [frame?.start, frame?.end] {
            switch bound {
            case let .preceding(e)?, let .following(e)?: visit(e)
            default: break
            }
        }
    }
}

/// `WINDOW name AS (spec)`.
struct NamedWindow: Sendable {
    var name: Identifier
    var spec: WindowSpec
}

/// `{ROWS | RANGE | GROUPS} BETWEEN start AND end` (or `unit start`, meaning
/// `AND CURRENT ROW`). Offsets are expressions: row and group counts must
/// be whole constants, RANGE offsets constants of the ORDER BY key's kind
/// (a number, or an INTERVAL for a DATE or TIMESTAMP); the binder checks.
struct FrameSpec: Sendable {
    enum Unit: String, Sendable { case rows = "ROWS", range = "RANGE", groups = "GROUPS" }
    enum Bound: Sendable {
        case unboundedPreceding
        case preceding(Expr)
        case currentRow
        case following(Expr)
        case unboundedFollowing
    }
    var unit: Unit = .rows
    var start: Bound
    var end: Bound
    var range: SourceRange
}

struct OrderItem: Sendable {
    var expr: Expr
    var descending: Bool
    /// nil: the dialect's default.
    var nullsFirst: Bool?
    var range: SourceRange
}

/// A full query: `WITH ... body ORDER BY ... LIMIT ... OFFSET ...`.
struct QueryExpr: Sendable {
    var ctes: [CommonTableExpr]
    var body: QueryBody
    var orderBy: [OrderItem]
    var limit: Expr?
    var offset: Expr?
    var range: SourceRange
    /// `WITH RECURSIVE`: its CTEs may read themselves.
    var recursive = false
}

struct CommonTableExpr: Sendable {
    var name: Identifier
    var columnNames: [Identifier]
    var query: QueryExpr
    var range: SourceRange
}

enum SetOperator: String, Sendable {
    case union = "UNION", intersect = "INTERSECT", except = "EXCEPT"
}

indirect enum QueryBody: Sendable {
    case select(SelectCore)
    case setOperation(SetOperator, all: Bool, QueryBody, QueryBody, range: SourceRange)
    /// A parenthesized query used as a set-operation operand.
    case nested(QueryExpr)
    case values([[Expr]], range: SourceRange)

    var range: SourceRange {
        switch self {
        case let .select(core): core.range
        case let .setOperation(_, _, _, _, range): range
        case let .nested(query): query.range
        case let .values(_, range): range
        }
    }
}

struct SelectCore: Sendable {
    var distinct: Bool
    var items: [SelectItem]
    /// Comma-separated FROM items (an implicit cross join).
    var from: [TableRef]
    var whereClause: Expr?
    var groupBy: [Expr]
    var having: Expr?
    var range: SourceRange
    /// `WINDOW w AS (...), ...`, in order (a definition may name an earlier one).
    var windows: [NamedWindow] = []
    var qualify: Expr? = nil
    /// `DISTINCT ON (keys)`; `distinct` is false then.
    var distinctOn: [Expr] = []
    /// GROUPING SETS, ROLLUP and CUBE expanded to their grouping sets (nil:
    /// a plain GROUP BY); `groupBy` is then empty.
    var groupingSets: [[Expr]]? = nil
}

enum SelectItem: Sendable {
    case star(SourceRange)
    case qualifiedStar(Identifier, SourceRange)
    case expr(Expr, alias: Identifier?)
}

enum JoinKind: String, Sendable {
    case inner = "INNER", left = "LEFT", right = "RIGHT", full = "FULL", cross = "CROSS"
}

enum JoinCondition: Sendable {
    case none
    case on(Expr)
    case using([Identifier])
    /// `NATURAL JOIN`: USING every column name both sides have (range: NATURAL).
    case natural(SourceRange)
}

indirect enum TableRef: Sendable {
    case table(name: Identifier, alias: Identifier?, range: SourceRange)
    case subquery(QueryExpr, alias: Identifier?, columnNames: [Identifier], range: SourceRange)
    case join(TableRef, JoinKind, TableRef, JoinCondition, range: SourceRange)
    /// `t AS OF '<rev>'` or `rocky_diff('<from>', '<to>', '<table>')`; `name`
    /// is the name as written (`t` or `rocky_diff`).
    case history(HistoryReference, name: Identifier, alias: Identifier?, range: SourceRange)

    var range: SourceRange {
        switch self {
        case let .table(_, _, range), let .subquery(_, _, _, range), let .join(_, _, _, _, range), let .history(_, _, _, range): range
        }
    }
}

struct ColumnDefinitionSyntax: Sendable {
    var name: Identifier
    var type: TypeName
    var notNull: Bool
    var primaryKey: Bool
    var range: SourceRange
    /// `DEFAULT expr`, with the expression's text as written.
    var defaultValue: (expr: Expr, text: String)? = nil
    /// Its column-level UNIQUE and CHECK constraints (`column` set).
    var constraints: [ConstraintSyntax] = []
}

/// A UNIQUE or CHECK constraint of CREATE TABLE, `[CONSTRAINT name]`
/// before it; `column` is the column it was declared on, nil for a table
/// constraint.
struct ConstraintSyntax: Sendable {
    enum Kind: Sendable {
        case unique([Identifier])
        /// The condition and its text as written.
        case check(Expr, text: String)
    }
    var name: Identifier?
    var kind: Kind
    var column: Identifier?
    var range: SourceRange
}

enum AlterAction: Sendable {
    case addColumn(ColumnDefinitionSyntax)
    case dropColumn(Identifier, ifExists: Bool)
    case renameColumn(Identifier, to: Identifier)
}

struct Assignment: Sendable {
    var column: Identifier
    var value: Expr
}

/// One statement of a script.
enum Statement: Sendable {
    case query(QueryExpr)
    /// `constraints`: every UNIQUE and CHECK, column-level ones included, in written order.
    case createTable(name: Identifier, columns: [ColumnDefinitionSyntax], primaryKey: [Identifier],
                     ifNotExists: Bool, constraints: [ConstraintSyntax], range: SourceRange)
    /// `primaryKey`: `CREATE TABLE t (PRIMARY KEY (a, b)) AS ...`; empty: none declared.
    case createTableAs(name: Identifier, orReplace: Bool, primaryKey: [Identifier], query: QueryExpr, range: SourceRange)
    case insert(table: Identifier, columns: [Identifier], source: QueryExpr, range: SourceRange)
    /// `from`: `UPDATE ... FROM a, b` (comma-separated, as a SELECT's FROM); empty: none.
    case update(table: Identifier, alias: Identifier?, assignments: [Assignment], from: [TableRef], whereClause: Expr?, range: SourceRange)
    case delete(table: Identifier, alias: Identifier?, whereClause: Expr?, range: SourceRange)
    case dropTable(name: Identifier, ifExists: Bool, range: SourceRange)
    case alterTable(name: Identifier, action: AlterAction, range: SourceRange)
    /// `INSERT | UPDATE | DELETE ... RETURNING items` (the inner statement is one of those).
    indirect case returning(Statement, items: [SelectItem], range: SourceRange)

    var range: SourceRange {
        switch self {
        case let .query(q): q.range
        case let .returning(_, _, r): r
        case let .createTable(_, _, _, _, _, r), let .createTableAs(_, _, _, _, r), let .insert(_, _, _, r),
             let .update(_, _, _, _, _, r), let .delete(_, _, _, r), let .dropTable(_, _, r), let .alterTable(_, _, r): r
        }
    }
}
