import RockyBase

/// A column of a query's result.
public struct OutputColumn: Hashable, Sendable {
    public var name: String
    public var type: ColumnType
    public var nullable: Bool
    /// Where the column is defined (its select item).
    public var range: SourceRange

    public init(name: String, type: ColumnType, nullable: Bool, range: SourceRange) {
        self.name = name
        self.type = type
        self.nullable = nullable
        self.range = range
    }
}

/// A resolved query: CTEs, a body, ordering and limits, and its result columns.
public struct BoundQuery: Hashable, Sendable {
    public var ctes: [BoundCTE]
    public var body: BoundQueryBody
    public var orderBy: [BoundOrderItem]
    public var limit: BoundExpr?
    public var offset: BoundExpr?
    /// The result columns, with names unique whenever the query is a CTE or subquery.
    public var columns: [OutputColumn]
}

/// `name AS (query)`; references to it are `BoundFrom.cte` scans.
public struct BoundCTE: Hashable, Sendable {
    public var id: RelationID
    public var name: String
    public var query: BoundQuery
    /// It reads itself: `query` is `anchor UNION [ALL] recursive part`.
    public var recursive = false
}

public indirect enum BoundQueryBody: Hashable, Sendable {
    case select(BoundSelect)
    case setOperation(BoundSetOperation)
    /// `VALUES (...), (...)`: rows already coerced to the result column types.
    case values([[BoundExpr]])
}

public struct BoundSetOperation: Hashable, Sendable {
    public enum Operator: String, Hashable, Sendable { case union = "UNION", intersect = "INTERSECT", except = "EXCEPT" }
    public var op: Operator
    public var all: Bool
    /// Both sides' columns already have the result's types.
    public var left: BoundQuery
    public var right: BoundQuery
}

public struct BoundSelect: Hashable, Sendable {
    public var distinct: Bool
    public var from: BoundFrom?
    public var whereClause: BoundExpr?
    public var groupBy: [BoundExpr]
    public var having: BoundExpr?
    public var items: [BoundSelectItem]
    /// Whether the select aggregates (GROUP BY, HAVING or an aggregate in its items).
    public var isAggregate: Bool
    /// GROUPING SETS (ROLLUP, CUBE): each set as positions in `groupBy`,
    /// which lists every key once; nil for a plain GROUP BY.
    public var groupingSets: [[Int]]? = nil
    /// QUALIFY: the condition on the rows after window functions.
    public var qualify: BoundExpr? = nil
    /// DISTINCT ON (keys): the first row of each group of equal keys, in the
    /// query's ORDER BY (whose first items are the keys); `distinct` is false.
    public var distinctOn: [BoundExpr] = []
}

public struct BoundSelectItem: Hashable, Sendable {
    public var expr: BoundExpr
    public var name: String
}

/// A FROM item.
public indirect enum BoundFrom: Hashable, Sendable {
    case table(TableScan)
    case derived(DerivedScan)
    case cte(CTEScan)
    case join(BoundJoin)
}

/// A catalog table read by a query.
public struct TableScan: Hashable, Sendable {
    public var relation: RelationID
    /// The table name as the catalog spells it.
    public var table: String
    /// The name emitted SQL qualifies columns with (the alias, else the table name).
    public var alias: String
    public var hasAlias: Bool
    public var columns: [CatalogColumn]
    /// The masking strategy of each column in the compile environment.
    public var masking: [MaskingStrategy]
    /// Positions (in `columns`) of the table's primary key, in key order;
    /// empty for a keyless table.
    public var key: [Int] = []
}

/// `(subquery) AS alias`.
public struct DerivedScan: Hashable, Sendable {
    public var relation: RelationID
    public var alias: String
    public var query: BoundQuery
}

/// A reference to a CTE.
public struct CTEScan: Hashable, Sendable {
    public var relation: RelationID
    public var cte: RelationID
    public var name: String
    public var alias: String
    public var hasAlias: Bool
    public var columns: [OutputColumn]
}

public struct BoundJoin: Hashable, Sendable {
    public enum Kind: String, Hashable, Sendable {
        case inner = "INNER", left = "LEFT", right = "RIGHT", full = "FULL", cross = "CROSS"
    }
    public var kind: Kind
    public var left: BoundFrom
    public var right: BoundFrom
    /// The ON condition; USING is bound to the equivalent conjunction of equalities.
    public var condition: BoundExpr?
}
