import RockyBase

extension BoundExpr {
    /// The direct sub-expressions evaluated in this expression's own query
    /// (not those inside subqueries), in source order.
    public var children: [BoundExpr] {
        switch kind {
        case .literal, .column, .exists, .scalarSubquery: return []
        case let .negate(e), let .not(e), let .isNull(e, _), let .cast(e, _, _), let .dateTrunc(_, e), let .extract(_, e),
             let .addInterval(e, _), let .mask(_, e), let .inSubquery(e, _, _), let .secondsOfMicroseconds(e):
            return [e]
        case let .arithmetic(_, a, b), let .concat(a, b), let .comparison(_, a, b), let .like(a, b, _, _),
             let .addDays(a, b), let .daysBetween(a, b), let .microsecondsBetween(a, b), let .addMicroseconds(a, b):
            return [a, b]
        case let .logical(_, terms): return terms
        case let .inList(e, list, _): return [e] + list
        case let .between(a, b, c, _): return [a, b, c]
        case let .caseWhen(operand, branches, otherwise):
            var all: [BoundExpr] = []
            if let operand { all.append(operand) }
            for branch in branches { all += [branch.condition, branch.result] }
            if let otherwise { all.append(otherwise) }
            return all
        case let .function(_, args), let .grouping(args): return args
        case let .aggregate(call): return (call.argument.map { [$0] } ?? []) + call.orderBy.map(\.expr)
        case let .window(call):
            var all = call.arguments + call.partitionBy + call.orderBy.map(\.expr)
            for bound in [call.frame?.start, call.frame?.end] {
                if case let .precedingValue(.number(e))? = bound { all.append(e) }
                if case let .followingValue(.number(e))? = bound { all.append(e) }
            }
            return all
        }
    }

    /// Whether a NULL literal stands here for a value of any type (possibly
    /// behind the cast the binder gave it).
    var isNullPlaceholder: Bool {
        switch kind {
        case .literal(.null): true
        case let .cast(inner, _, implicit: true): inner.isNullLiteral
        default: false
        }
    }
}
