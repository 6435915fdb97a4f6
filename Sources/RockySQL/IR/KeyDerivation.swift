import RockyBase

/// The primary key the compiler can prove for a query's result, so that a
/// table made by CREATE TABLE AS (or a model) is diffed, merged and blamed
/// cell by cell instead of as whole rows.
///
/// A key is proved only where the rows are certainly unique and the key
/// columns certainly not NULL (a key column never holds NULL; a nullable
/// column counts as not NULL where the WHERE clause or an inner join's
/// condition rejects NULL for it: `IS NOT NULL`, a comparison, IN, LIKE,
/// BETWEEN):
/// - the GROUP BY expressions, when each appears as a result column;
/// - a key of the FROM clause carried unchanged (plain column references)
///   through projection, WHERE, ORDER BY and LIMIT: a table's primary key, a
///   subquery's or CTE's derived key; through a join, one side's key when
///   the join condition equates the other side's whole key to plain columns
///   of the first side (each row of it then meets at most one row), and the
///   pair of both sides' keys for an inner or cross join;
/// - DISTINCT (and UNION, INTERSECT or EXCEPT without ALL): every column.
/// Otherwise there is no key and the table stays keyless.
public enum KeyDerivation {
    /// Positions of the result columns forming a proven key, in key order;
    /// nil when none is provable.
    public static func key(of query: BoundQuery) -> [Int]? {
        var derivation = Derivation()
        return derivation.key(of: query)
    }
}

private struct Derivation {
    /// A column of a FROM item, as result expressions refer to it.
    struct Column: Hashable {
        var relation: RelationID
        var index: Int
    }

    /// The derived key of each CTE in scope (nil: none).
    var cteKeys: [RelationID: [Int]] = [:]

    mutating func key(of query: BoundQuery) -> [Int]? {
        for cte in query.ctes {
            if let key = key(of: cte.query) { cteKeys[cte.id] = key }
        }
        let candidates: [[Int]]
        var notNull: (Int) -> Bool = { !query.columns[$0].nullable }
        switch query.body {
        case .values:
            return nil
        case let .setOperation(operation):
            candidates = operation.all ? [] : [Array(query.columns.indices)]
        case let .select(select):
            candidates = self.candidates(select, columns: query.columns)
            // A column the WHERE clause (or an inner join's condition) only
            // lets through when not NULL is not NULL in the result either.
            let filtered = rejectingNull(select)
            notNull = { position in
                if !query.columns[position].nullable { return true }
                guard position < select.items.count, case let .column(ref) = select.items[position].expr.kind else { return false }
                return filtered.contains(Column(relation: ref.relation, index: ref.index))
            }
        }
        return candidates.first { key in
            !key.isEmpty && key.allSatisfy { $0 < query.columns.count && notNull($0) }
        }
    }

    /// Columns that the select's WHERE conjuncts, and the conditions of its
    /// inner joins, reject NULL for.
    func rejectingNull(_ select: BoundSelect) -> Set<Column> {
        var conditions = select.whereClause.map { [$0] } ?? []
        func innerConditions(_ from: BoundFrom) {
            guard case let .join(join) = from, join.kind == .inner || join.kind == .cross else { return }
            if let condition = join.condition { conditions.append(condition) }
            innerConditions(join.left)
            innerConditions(join.right)
        }
        if let from = select.from { innerConditions(from) }
        var result = Set<Column>()
        func plain(_ expr: BoundExpr) {
            if case let .column(ref) = expr.kind { result.insert(Column(relation: ref.relation, index: ref.index)) }
        }
        func visit(_ condition: BoundExpr) {
            switch condition.kind {
            case let .logical(.and, parts): parts.forEach(visit)
            case let .isNull(operand, negated: true): plain(operand)
            case let .comparison(_, a, b): plain(a); plain(b)
            case let .between(operand, _, _, negated: false), let .like(operand, _, negated: false, _),
                 let .inList(operand, _, negated: false):
                plain(operand)
            default: break
            }
        }
        conditions.forEach(visit)
        return result
    }

    mutating func candidates(_ select: BoundSelect, columns: [OutputColumn]) -> [[Int]] {
        var found: [[Int]] = []
        if select.isAggregate {
            // One row per group: the group keys, when all are in the result.
            if !select.groupBy.isEmpty, select.groupingSets == nil {
                let positions = select.groupBy.map { key in select.items.firstIndex { $0.expr == key } }
                if positions.allSatisfy({ $0 != nil }) { found.append(unique(positions.compactMap { $0 })) }
            }
        } else if let from = select.from {
            for key in keys(of: from) {
                let positions = key.map { column in
                    select.items.firstIndex { item in
                        if case let .column(ref) = item.expr.kind { ref.relation == column.relation && ref.index == column.index } else { false }
                    }
                }
                if positions.allSatisfy({ $0 != nil }) { found.append(positions.compactMap { $0 }) }
            }
        }
        if select.distinct { found.append(Array(columns.indices)) }
        return found
    }

    /// Keys of a FROM item, each a list of its columns; best first.
    mutating func keys(of from: BoundFrom) -> [[Column]] {
        switch from {
        case let .table(scan):
            return scan.key.isEmpty ? [] : [scan.key.map { Column(relation: scan.relation, index: $0) }]
        case let .derived(scan):
            return key(of: scan.query).map { [$0.map { Column(relation: scan.relation, index: $0) }] } ?? []
        case let .cte(scan):
            return cteKeys[scan.cte].map { [$0.map { Column(relation: scan.relation, index: $0) }] } ?? []
        case let .join(join):
            let left = keys(of: join.left), right = keys(of: join.right)
            let leftRelations = relations(of: join.left), rightRelations = relations(of: join.right)
            let equal = join.condition.map(equalities) ?? []
            /// Whether the condition equates every column of `key` to a plain column of the other side.
            func determined(_ key: [Column], by others: Set<RelationID>) -> Bool {
                key.allSatisfy { column in
                    equal.contains { a, b in
                        (a == column && others.contains(b.relation)) || (b == column && others.contains(a.relation))
                    }
                }
            }
            var result: [[Column]] = []
            // Each left row meets at most one right row: the left keys hold.
            if join.kind == .inner || join.kind == .left, right.contains(where: { determined($0, by: leftRelations) }) {
                result += left
            }
            if join.kind == .inner || join.kind == .right, left.contains(where: { determined($0, by: rightRelations) }) {
                result += right
            }
            if join.kind == .inner || join.kind == .cross, let l = left.first, let r = right.first { result.append(l + r) }
            return result
        }
    }

    func relations(of from: BoundFrom) -> Set<RelationID> {
        switch from {
        case let .table(scan): [scan.relation]
        case let .derived(scan): [scan.relation]
        case let .cte(scan): [scan.relation]
        case let .join(join): relations(of: join.left).union(relations(of: join.right))
        }
    }

    /// The `column = column` conjuncts of a condition (both sides plain
    /// column references of one type, no conversion, no masking).
    func equalities(_ condition: BoundExpr) -> [(Column, Column)] {
        switch condition.kind {
        case let .logical(.and, parts):
            return parts.flatMap(equalities)
        case let .comparison(.equal, a, b):
            guard case let .column(x) = a.kind, case let .column(y) = b.kind, a.type == b.type else { return [] }
            return [(Column(relation: x.relation, index: x.index), Column(relation: y.relation, index: y.index))]
        default:
            return []
        }
    }

    func unique(_ positions: [Int]) -> [Int] {
        var seen = Set<Int>()
        return positions.filter { seen.insert($0).inserted }
    }
}
