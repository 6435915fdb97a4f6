import RockyBase

/// A resolved, typed expression: the IR that emitters and lineage consume.
///
/// Invariants the binder guarantees: every column reference points at a
/// relation in scope; operands of `+`, `-`, comparisons, CASE branches,
/// COALESCE and IN lists already have one common type (conversions are
/// explicit `cast` nodes marked `implicit`); `*` and `/` keep their operands'
/// own types and carry the result type. Equality ignores source ranges, so
/// two spellings of the same expression compare equal (GROUP BY matching).
public struct BoundExpr: Hashable, Sendable {
    public indirect enum Kind: Hashable, Sendable {
        case literal(Literal)
        case column(ColumnRef)
        case negate(BoundExpr)
        case not(BoundExpr)
        case arithmetic(ArithmeticOperator, BoundExpr, BoundExpr)
        case concat(BoundExpr, BoundExpr)
        case comparison(ComparisonOperator, BoundExpr, BoundExpr)
        case logical(LogicalConnective, [BoundExpr])
        case isNull(BoundExpr, negated: Bool)
        case inList(BoundExpr, [BoundExpr], negated: Bool)
        case inSubquery(BoundExpr, BoundQuery, negated: Bool)
        case exists(BoundQuery)
        case scalarSubquery(BoundQuery)
        case between(BoundExpr, BoundExpr, BoundExpr, negated: Bool)
        /// The pattern is TEXT; `%` and `_` are the wildcards, matching is case-sensitive.
        /// `escape` (one character, from `ESCAPE '<c>'`) makes the character after it literal; nil: no escape character.
        case like(BoundExpr, BoundExpr, negated: Bool, escape: Character?)
        case caseWhen(operand: BoundExpr?, branches: [CaseBranch], otherwise: BoundExpr?)
        /// A conversion. `implicit` marks conversions the binder inserted.
        case cast(BoundExpr, ColumnType, implicit: Bool)
        case function(ScalarFunction, [BoundExpr])
        /// DATE_TRUNC: the same type as its operand (DATE or TIMESTAMP).
        case dateTrunc(DatePart, BoundExpr)
        /// EXTRACT: INTEGER.
        case extract(DatePart, BoundExpr)
        /// A DATE or TIMESTAMP plus a constant interval.
        case addInterval(BoundExpr, Interval)
        /// A DATE plus an INTEGER number of days.
        case addDays(BoundExpr, BoundExpr)
        /// DATE minus DATE: INTEGER days.
        case daysBetween(BoundExpr, BoundExpr)
        /// TIMESTAMP minus TIMESTAMP: INTEGER microseconds. The binder's
        /// compile-time interval (Docs/sql.md, "Intervals"); never a result column.
        case microsecondsBetween(BoundExpr, BoundExpr)
        /// A TIMESTAMP plus INTEGER microseconds (an interval computed from TIMESTAMP differences).
        case addMicroseconds(BoundExpr, BoundExpr)
        /// INTEGER microseconds as seconds: DECIMAL(p, 6), exact.
        case secondsOfMicroseconds(BoundExpr)
        case aggregate(AggregateCall)
        case window(WindowCall)
        /// A classified column's value masked by the environment's strategy.
        case mask(MaskingStrategy, BoundExpr)
        /// GROUPING(keys): INTEGER, bit i (from the right, last key first) set
        /// when the i-th key is not grouped in the row's grouping set.
        case grouping([BoundExpr])
    }

    public var kind: Kind
    /// nil only for an untyped NULL literal.
    public var type: ColumnType?
    public var nullable: Bool
    public var range: SourceRange

    public init(_ kind: Kind, type: ColumnType?, nullable: Bool, range: SourceRange) {
        self.kind = kind
        self.type = type
        self.nullable = nullable
        self.range = range
    }

    public static func == (a: BoundExpr, b: BoundExpr) -> Bool {
        a.type == b.type && a.kind == b.kind
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(type)
        hasher.combine(kind)
    }

    /// A NULL literal is the only expression without a type.
    public var isNullLiteral: Bool { if case .literal(.null) = kind { true } else { false } }

    public var literal: Literal? { if case let .literal(value) = kind { value } else { nil } }
}

/// A reference to column `index` of relation `relation`. `qualifier` and
/// `name` are what emitted SQL writes (`"qualifier"."name"`).
public struct ColumnRef: Hashable, Sendable {
    public var relation: RelationID
    public var index: Int
    public var qualifier: String
    public var name: String
}

/// Identifies one relation (FROM item or CTE) within a compiled statement.
public struct RelationID: Hashable, Sendable, CustomStringConvertible {
    public var value: Int
    public var description: String { "r\(value)" }
}

public enum ArithmeticOperator: String, Hashable, Sendable {
    case add = "+", subtract = "-", multiply = "*", divide = "/", modulo = "%"
}

public enum ComparisonOperator: String, Hashable, Sendable {
    case equal = "=", notEqual = "<>", less = "<", lessEqual = "<=", greater = ">", greaterEqual = ">="
}

public enum LogicalConnective: String, Hashable, Sendable {
    case and = "AND", or = "OR"
}

public struct CaseBranch: Hashable, Sendable {
    public var condition: BoundExpr
    public var result: BoundExpr
}

/// Scalar functions. Argument and result types are in Docs/sql.md.
public enum ScalarFunction: Hashable, Sendable {
    case lower, upper, length, substr, trim, concat
    case abs, floor, ceil, sqrt, ln, exp, power
    /// ROUND to a constant number of decimal places.
    case round(scale: Int)
    case coalesce, nullif
    /// REPLACE(text, from, to), LTRIM(text), RTRIM(text) (spaces).
    case replace, ltrim, rtrim
    /// LOG10(x): DOUBLE.
    case log10
    /// SIGN(x): INTEGER -1, 0 or 1.
    case sign
    /// TRUNC(x[, n]): toward zero, to n decimal places (a constant 0...38).
    case trunc(scale: Int)
    /// POSITION(needle IN haystack): the 1-based character position, 0 when absent.
    case position
    /// GREATEST/LEAST of values of one type, ignoring NULLs (NULL only when all are).
    case greatest, least
}

public enum AggregateFunction: String, Hashable, Sendable {
    case count, countStar = "count(*)", sum, avg, min, max, stddevSamp = "stddev_samp", stddevPop = "stddev_pop"
    case varSamp = "var_samp", varPop = "var_pop"
    /// STRING_AGG(text, separator [ORDER BY ...]): the non-NULL values joined
    /// in the call's order (without ORDER BY: ascending by the value), NULL
    /// when there are none.
    case stringAgg = "string_agg"
}

/// An aggregate call. `argument` is nil for COUNT(*).
public struct AggregateCall: Hashable, Sendable {
    public var function: AggregateFunction
    public var argument: BoundExpr?
    public var distinct: Bool
    /// STRING_AGG's separator.
    public var separator: String? = nil
    /// STRING_AGG's order of values: never empty for it (the binder makes
    /// the default, ascending by the value, explicit).
    public var orderBy: [BoundOrderItem] = []
}

public enum WindowFunction: Hashable, Sendable {
    case rowNumber, rank, denseRank
    /// LAG/LEAD(value, offset, default): `arguments` holds value and, when given, default.
    case lag(offset: Int), lead(offset: Int)
    case firstValue, lastValue
    case aggregate(AggregateFunction)
    /// NTILE(buckets): INTEGER 1...buckets.
    case ntile(buckets: Int)
    /// PERCENT_RANK(), CUME_DIST(): DOUBLE in 0...1.
    case percentRank, cumeDist
    /// NTH_VALUE(value, n): the value of the frame's n-th row (1-based), NULL when it has fewer.
    case nthValue(Int)
}

/// A window function call with its window.
public struct WindowCall: Hashable, Sendable {
    public var function: WindowFunction
    public var arguments: [BoundExpr]
    public var partitionBy: [BoundExpr]
    public var orderBy: [BoundOrderItem]
    public var frame: WindowFrame?
}

/// `{ROWS | RANGE | GROUPS} BETWEEN start AND end`.
public struct WindowFrame: Hashable, Sendable {
    public enum Unit: String, Hashable, Sendable { case rows = "ROWS", range = "RANGE", groups = "GROUPS" }
    public enum Bound: Hashable, Sendable {
        case unboundedPreceding
        /// Rows (ROWS) or peer groups (GROUPS) before the current row.
        case preceding(Int)
        case currentRow
        case following(Int)
        case unboundedFollowing
        /// RANGE: the rows whose ORDER BY key is within this offset of the current row's.
        case precedingValue(RangeOffset)
        case followingValue(RangeOffset)
    }
    public var start: Bound
    public var end: Bound
    public var unit: Unit = .rows
}

/// A RANGE frame offset.
public enum RangeOffset: Hashable, Sendable {
    /// A constant of the ORDER BY key's numeric type.
    case number(BoundExpr)
    /// A fixed-length interval in microseconds (whole days for a DATE key).
    case interval(microseconds: Int64)
}

public struct BoundOrderItem: Hashable, Sendable {
    public var expr: BoundExpr
    public var descending: Bool
    /// nil: NULLs sort as the target dialect does by default.
    public var nullsFirst: Bool?
    /// Set when the item names a result column (by name or position): emitted
    /// as that 1-based position; `expr` is then the column's defining expression.
    public var outputPosition: Int? = nil
}
