import RockyBase

extension Binder {
    mutating func bindExpr(_ expr: Expr, _ context: ExprContext) throws(BindFailure) -> BoundExpr {
        let range = expr.range
        switch expr.kind {
        case let .literal(literal):
            return try bindLiteral(literal, range: range)
        case let .column(parts):
            if parts.count == 1, var aliased = context.aliases[parts[0].key] {
                do throws(BindFailure) {
                    return try resolveColumn(parts, range: range, in: context)
                } catch {
                    aliased.range = range
                    return aliased
                }
            }
            return try resolveColumn(parts, range: range, in: context)
        case let .unary(op, operand):
            if op == .negate { return try value(of: try bindOperand(expr, context), range: range) }
            return try bindUnary(op, operand, range: range, context)
        case let .binary(op, left, right):
            return try bindBinary(op, left, right, range: range, context)
        case let .logical(op, terms):
            var bound: [BoundExpr] = []
            bound.reserveCapacity(terms.count)
            var nullable = false
            for term in terms {
                let b = try condition(term, context, what: "\(op.rawValue) operand")
                nullable = nullable || b.nullable
                bound.append(b)
            }
            return BoundExpr(.logical(op == .and ? .and : .or, bound), type: .boolean, nullable: nullable, range: range)
        case let .isNull(operand, negated):
            let b = try bindExpr(operand, context)
            return BoundExpr(.isNull(b, negated: negated), type: .boolean, nullable: false, range: range)
        case let .inList(operand, list, negated):
            var all = [try bindExpr(operand, context)]
            for item in list { all.append(try bindExpr(item, context)) }
            let type = try commonType(all, what: "IN list", range: range)
            let coerced = try all.map { (e) throws(BindFailure) in try coerce(e, to: type) }
            return BoundExpr(.inList(coerced[0], Array(coerced.dropFirst()), negated: negated), type: .boolean,
                             nullable: coerced.contains { $0.nullable }, range: range)
        case let .inSubquery(operand, query, negated):
            var left = try bindExpr(operand, context)
            var sub = try bindQuery(query, parent: context.scope)
            guard sub.columns.count == 1 else {
                throw failure(.subqueryColumnCount, "the subquery of IN must return one column, not \(sub.columns.count)",
                              at: query.range)
            }
            let probe = BoundExpr(.literal(.null), type: sub.columns[0].type, nullable: true, range: query.range)
            guard let type = TypeRules.common(left, probe) else {
                throw failure(.noCommonType, "cannot compare \(left.type!) with the subquery's \(sub.columns[0].type) in IN",
                              at: range)
            }
            left = try coerce(left, to: type)
            sub = try coerceQuery(sub, to: [type])
            return BoundExpr(.inSubquery(left, sub, negated: negated), type: .boolean, nullable: true, range: range)
        case let .exists(query):
            let sub = try bindQuery(query, parent: context.scope)
            return BoundExpr(.exists(sub), type: .boolean, nullable: false, range: range)
        case let .subquery(query):
            let sub = try bindQuery(query, parent: context.scope)
            guard sub.columns.count == 1 else {
                throw failure(.subqueryColumnCount, "a scalar subquery must return one column, not \(sub.columns.count)",
                              at: query.range)
            }
            return BoundExpr(.scalarSubquery(sub), type: sub.columns[0].type, nullable: true, range: range)
        case let .between(operand, low, high, negated):
            let operands = [try bindOperand(operand, context), try bindOperand(low, context), try bindOperand(high, context)]
            let intervals = operands.compactMap { if case let .interval(i) = $0 { i.micros } else { nil } }
            if intervals.count == 3 {
                return BoundExpr(.between(intervals[0], intervals[1], intervals[2], negated: negated), type: .boolean,
                                 nullable: intervals.contains { $0.nullable }, range: range)
            }
            var parts: [BoundExpr] = []
            for (o, syntax) in zip(operands, [operand, low, high]) { parts.append(try value(of: o, range: syntax.range)) }
            let type = try commonType(parts, what: "BETWEEN", range: range)
            let c = try parts.map { (e) throws(BindFailure) in try coerce(e, to: type) }
            return BoundExpr(.between(c[0], c[1], c[2], negated: negated), type: .boolean,
                             nullable: c.contains { $0.nullable }, range: range)
        case let .like(operand, pattern, negated, escapeSyntax):
            let value = try textOperand(try bindExpr(operand, context), what: "LIKE")
            let p = try textOperand(try bindExpr(pattern, context), what: "a LIKE pattern")
            var escape: Character?
            if let escapeSyntax {
                // One constant character, as PostgreSQL and DuckDB require.
                guard case let .literal(.string(text)) = escapeSyntax.kind else {
                    throw failure(.constantRequired, "the ESCAPE of LIKE must be a string literal of one character",
                                  at: escapeSyntax.range)
                }
                guard text.count == 1, let only = text.first else {
                    throw failure(.invalidLiteral, "the ESCAPE of LIKE must be one character, not \(text.count)",
                                  at: escapeSyntax.range)
                }
                escape = only
                if case let .literal(.text(patternText)) = p.kind, Binder.endsInEscape(patternText, only) {
                    throw failure(.invalidLiteral, "a LIKE pattern must not end with its escape character",
                                  at: pattern.range)
                }
            }
            return BoundExpr(.like(value, p, negated: negated, escape: escape), type: .boolean,
                             nullable: value.nullable || p.nullable, range: range)
        case let .caseWhen(operand, branches, otherwise):
            return try bindCase(operand, branches, otherwise, range: range, context)
        case let .cast(operand, typeName):
            let value = try bindExpr(operand, context)
            return try explicitCast(value, to: typeName.type, range: range)
        case let .function(call):
            return try bindFunction(call, range: range, context)
        case let .extract(field, operand):
            return try bindExtract(field, operand, range: range, context)
        }
    }

    /// A boolean expression (WHERE, ON, HAVING, CASE WHEN, AND/OR operands).
    mutating func condition(_ expr: Expr, _ context: ExprContext, what: String) throws(BindFailure) -> BoundExpr {
        let bound = try bindExpr(expr, context)
        switch bound.type {
        case .boolean?: return bound
        case nil: return try coerce(bound, to: .boolean)
        case let type?:
            throw failure(.conditionNotBoolean, "\(what) must be BOOLEAN, not \(type)", at: expr.range)
        }
    }

    /// Whether `pattern` ends in an escape character that escapes nothing.
    static func endsInEscape(_ pattern: String, _ escape: Character) -> Bool {
        var escaped = false
        for ch in pattern { escaped = !escaped && ch == escape }
        return escaped
    }

    func textOperand(_ expr: BoundExpr, what: String) throws(BindFailure) -> BoundExpr {
        switch expr.type {
        case .text?: return expr
        case nil: return try coerce(expr, to: .text)
        case let type?: throw failure(.operatorTypeMismatch, "\(what) needs TEXT, not \(type)", at: expr.range)
        }
    }

    // MARK: Literals

    func bindLiteral(_ literal: LiteralSyntax, range: SourceRange) throws(BindFailure) -> BoundExpr {
        switch literal {
        case .null:
            return BoundExpr(.literal(.null), type: nil, nullable: true, range: range)
        case let .boolean(value):
            return BoundExpr(.literal(.boolean(value)), type: .boolean, nullable: false, range: range)
        case let .integer(text):
            if let value = Int64(text) {
                return BoundExpr(.literal(.integer(value)), type: .integer, nullable: false, range: range)
            }
            guard let value = ExactDecimal(parsing: text) else {
                throw failure(.invalidLiteral, "number \(text) has more than 38 digits", at: range)
            }
            return BoundExpr(.literal(.decimal(value)), type: TypeRules.decimal(value.digitCount, 0), nullable: false, range: range)
        case let .decimal(text):
            guard let value = ExactDecimal(parsing: text) else {
                throw failure(.invalidLiteral, "number \(text) has more than 38 digits", at: range)
            }
            let precision = max(value.digitCount, value.scale, 1)
            return BoundExpr(.literal(.decimal(value)), type: TypeRules.decimal(precision, value.scale), nullable: false,
                             range: range)
        case let .float(text):
            guard let value = Double(text), value.isFinite else {
                throw failure(.invalidLiteral, "number \(text) is out of the range of DOUBLE", at: range)
            }
            return BoundExpr(.literal(.double(value)), type: .double, nullable: false, range: range)
        case let .string(text):
            return BoundExpr(.literal(.text(text)), type: .text, nullable: false, range: range)
        case let .date(text):
            guard let date = CivilDate(parsing: text) else {
                throw failure(.invalidLiteral, "'\(text)' is not a valid DATE", at: range, help: "write DATE 'YYYY-MM-DD'")
            }
            return BoundExpr(.literal(.date(date)), type: .date, nullable: false, range: range)
        case let .timestamp(text):
            guard let time = Timestamp(parsing: text) else {
                throw failure(.invalidLiteral, "'\(text)' is not a valid TIMESTAMP", at: range,
                              help: "write TIMESTAMP 'YYYY-MM-DD HH:MM:SS[.ffffff][+HH:MM]'")
            }
            return BoundExpr(.literal(.timestamp(time)), type: .timestamp, nullable: false, range: range)
        case .interval:
            throw failure(.operatorTypeMismatch, "an INTERVAL can only be added to or subtracted from a DATE or TIMESTAMP",
                          at: range)
        case .columnDefault:
            throw failure(.unsupportedSyntax, "DEFAULT stands for a value only in the rows of INSERT ... VALUES", at: range)
        }
    }

    /// An interval literal as the intervals it adds, in PostgreSQL's order:
    /// years and months, then weeks and days, then time (`'1 day 2 hours'`
    /// is two).
    func intervals(_ literal: LiteralSyntax, range: SourceRange) throws(BindFailure) -> [Interval] {
        guard case let .interval(quantity, nil) = literal else { return [try interval(literal, range: range)] }
        let words = quantity.trimmingSpaces.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        guard words.count > 2, words.count % 2 == 0 else { return [try interval(literal, range: range)] }
        var parts: [Interval] = []
        for i in stride(from: 0, to: words.count, by: 2) {
            parts.append(try interval(.interval(quantity: words[i], unit: words[i + 1]), range: range))
        }
        func rank(_ interval: Interval) -> Int {
            interval.months != nil ? 0 : interval.unit == .week || interval.unit == .day ? 1 : 2
        }
        return parts.enumerated().sorted { (rank($0.element), $0.offset) < (rank($1.element), $1.offset) }.map(\.element)
    }

    func interval(_ literal: LiteralSyntax, range: SourceRange) throws(BindFailure) -> Interval {
        guard case let .interval(quantity, unit) = literal else { preconditionFailure("not an interval") }
        var number = quantity.trimmingSpaces
        var unitText = unit
        if unitText == nil {
            let words = number.split(separator: " ", omittingEmptySubsequences: true)
            if words.count == 2 {
                number = String(words[0])
                unitText = String(words[1])
            }
        }
        guard let unitText, let parsedUnit = IntervalUnit(unitText) else {
            throw failure(.invalidLiteral, "an INTERVAL needs one unit: YEAR, MONTH, WEEK, DAY, HOUR, MINUTE or SECOND",
                          at: range, help: "as in INTERVAL '3' MONTH")
        }
        guard let count = Int64(number), count.magnitude <= 1_000_000 else {
            throw failure(.invalidLiteral, "the quantity of an INTERVAL must be a whole number, not '\(number)'", at: range)
        }
        return Interval(quantity: count, unit: parsedUnit)
    }

    // MARK: Operators

    mutating func bindUnary(_ op: UnaryOperator, _ operand: Expr, range: SourceRange, _ context: ExprContext) throws(BindFailure) -> BoundExpr {
        if op == .not {
            let b = try condition(operand, context, what: "the operand of NOT")
            return BoundExpr(.not(b), type: .boolean, nullable: b.nullable, range: range)
        }
        return try bindUnaryValue(op, try bindExpr(operand, context), range: range)
    }

    func bindUnaryValue(_ op: UnaryOperator, _ operand: BoundExpr, range: SourceRange) throws(BindFailure) -> BoundExpr {
        var value = operand
        if value.type == nil { value = try coerce(value, to: .integer) }
        guard let type = value.type, type.isNumeric else {
            throw failure(.operatorTypeMismatch, "unary '\(op == .negate ? "-" : "+")' needs a number, not \(value.type!)",
                          at: range)
        }
        if op == .plus { return value }
        switch value.kind {
        case let .literal(.integer(v)) where v != Int64.min:
            return BoundExpr(.literal(.integer(-v)), type: type, nullable: false, range: range)
        case let .literal(.decimal(d)):
            return BoundExpr(.literal(.decimal(ExactDecimal(units: -d.units, scale: d.scale))), type: type, nullable: false, range: range)
        case let .literal(.double(d)):
            return BoundExpr(.literal(.double(-d)), type: type, nullable: false, range: range)
        default:
            return BoundExpr(.negate(value), type: type, nullable: value.nullable, range: range)
        }
    }

    func isInterval(_ expr: Expr) -> Bool {
        if case .literal(.interval) = expr.kind { return true }
        return false
    }

    mutating func bindBinary(_ op: BinaryOperator, _ leftSyntax: Expr, _ rightSyntax: Expr, range: SourceRange,
                             _ context: ExprContext) throws(BindFailure) -> BoundExpr {
        try value(of: try bindBinaryOperand(op, leftSyntax, rightSyntax, range: range, context), range: range)
    }

    /// `left op right` of two bound values (not intervals).
    mutating func bindBinaryValues(_ op: BinaryOperator, _ leftValue: BoundExpr, _ rightValue: BoundExpr,
                                   range: SourceRange) throws(BindFailure) -> BoundExpr {
        var left = leftValue, right = rightValue
        if op.isComparison {
            let type = try commonType([left, right], what: "'\(op.rawValue)'", range: range)
            left = try coerce(left, to: type)
            right = try coerce(right, to: type)
            return BoundExpr(.comparison(ComparisonOperator(rawValue: op.rawValue)!, left, right), type: .boolean,
                             nullable: left.nullable || right.nullable, range: range)
        }
        if op == .concat {
            left = try toText(left)
            right = try toText(right)
            return BoundExpr(.concat(left, right), type: .text, nullable: left.nullable || right.nullable, range: range)
        }
        // A NULL operand takes the other side's type.
        if left.type == nil { left = try coerce(left, to: right.type ?? .integer) }
        if right.type == nil { right = try coerce(right, to: left.type!) }
        let lt = left.type!, rt = right.type!
        if op == .add || op == .subtract {
            switch (lt, rt) {
            case (.date, .integer):
                let days = op == .add ? right : BoundExpr(.negate(right), type: .integer, nullable: right.nullable, range: right.range)
                return BoundExpr(.addDays(left, days), type: .date, nullable: left.nullable || right.nullable, range: range)
            case (.integer, .date) where op == .add:
                return BoundExpr(.addDays(right, left), type: .date, nullable: left.nullable || right.nullable, range: range)
            case (.date, .date) where op == .subtract:
                return BoundExpr(.daysBetween(left, right), type: .integer, nullable: left.nullable || right.nullable, range: range)
            case (.timestamp, .timestamp), (.timestamp, .date), (.date, .timestamp):
                // A difference is an interval (bindBinaryOperand); a sum is nothing.
                throw failure(.operatorTypeMismatch, "cannot apply '\(op.rawValue)' to \(lt) and \(rt)", at: range)
            default: break
            }
        }
        guard lt.isNumeric, rt.isNumeric else {
            throw failure(.operatorTypeMismatch, "cannot apply '\(op.rawValue)' to \(lt) and \(rt)", at: range,
                          help: lt == .text || rt == .text ? (op == .add ? "use || to concatenate text" : nil) : nil)
        }
        let nullable = left.nullable || right.nullable || op == .divide || op == .modulo
        let arithmetic = ArithmeticOperator(rawValue: op.rawValue)!
        if op == .modulo {
            if lt == .integer && rt == .integer {
                return BoundExpr(.arithmetic(.modulo, left, right), type: .integer, nullable: nullable, range: range)
            }
            guard lt != .double && rt != .double, let a = TypeRules.shape(left), let b = TypeRules.shape(right) else {
                throw failure(.operatorTypeMismatch, "'%' needs exact operands (INTEGER or DECIMAL), not \(lt) and \(rt)",
                              at: range)
            }
            // Exact: both at the larger scale; the remainder has the sign of the
            // dividend and is smaller than either operand.
            let s = max(a.scale, b.scale)
            left = try coerce(left, to: TypeRules.decimal(a.precision - a.scale + s, s))
            right = try coerce(right, to: TypeRules.decimal(b.precision - b.scale + s, s))
            let type = TypeRules.decimal(min(a.precision - a.scale, b.precision - b.scale) + s, s)
            return BoundExpr(.arithmetic(.modulo, left, right), type: type, nullable: nullable, range: range)
        }
        if lt == .double || rt == .double {
            left = try coerce(left, to: .double)
            right = try coerce(right, to: .double)
            return BoundExpr(.arithmetic(arithmetic, left, right), type: .double, nullable: nullable, range: range)
        }
        if lt == .integer && rt == .integer {
            return BoundExpr(.arithmetic(arithmetic, left, right), type: .integer, nullable: nullable, range: range)
        }
        let a = TypeRules.shape(left)!, b = TypeRules.shape(right)!
        let type: ColumnType
        switch op {
        case .add, .subtract:
            type = TypeRules.additive(a, b)
            let s = max(a.scale, b.scale)
            left = try coerce(left, to: TypeRules.decimal(a.precision - a.scale + s, s))
            right = try coerce(right, to: TypeRules.decimal(b.precision - b.scale + s, s))
        case .multiply:
            type = TypeRules.multiplicative(a, b)
        default:
            type = TypeRules.division(a, b)
        }
        return BoundExpr(.arithmetic(arithmetic, left, right), type: type, nullable: nullable, range: range)
    }

    /// `a - b <op> INTERVAL i` (either side), TIMESTAMP - TIMESTAMP compared
    /// with an interval of weeks, days and time: written as `a <op> b + i`,
    /// exact for UTC timestamps. A difference anywhere else is an interval
    /// (Binder+Intervals.swift); one compared with months or years is E0102
    /// (PostgreSQL compares those as 30-day months).
    func differenceComparison(_ op: BinaryOperator, _ leftSyntax: Expr, _ rightSyntax: Expr,
                                      range: SourceRange) throws(BindFailure) -> Expr? {
        let mirrored: BinaryOperator = switch op {
        case .less: .greater
        case .lessEqual: .greaterEqual
        case .greater: .less
        case .greaterEqual: .lessEqual
        default: op
        }
        let (difference, intervalSyntax, compare): (Expr, Expr, BinaryOperator)
        if isInterval(rightSyntax) {
            (difference, intervalSyntax, compare) = (leftSyntax, rightSyntax, op)
        } else if isInterval(leftSyntax) {
            (difference, intervalSyntax, compare) = (rightSyntax, leftSyntax, mirrored)
        } else {
            return nil
        }
        guard case let .binary(.subtract, a, b) = difference.kind, !isInterval(b),
              case let .literal(literal) = intervalSyntax.kind else { return nil }
        if try intervals(literal, range: intervalSyntax.range).contains(where: { $0.months != nil }) {
            throw failure(.unsupportedSyntax, "comparing a TIMESTAMP difference with months or years is not supported",
                          at: intervalSyntax.range, help: "use weeks, days, hours, minutes or seconds")
        }
        let shifted = Expr(kind: .binary(.add, b, intervalSyntax), range: difference.range, height: max(b.height, 1) + 1)
        return Expr(kind: .binary(compare, a, shifted), range: range, height: max(a.height, shifted.height) + 1)
    }

    /// A DATE or TIMESTAMP `value` plus or minus the interval literal `intervalSyntax`.
    func bindIntervalArithmetic(_ op: BinaryOperator, value bound: BoundExpr, intervalOnLeft: Bool, _ intervalSyntax: Expr,
                                range: SourceRange) throws(BindFailure) -> BoundExpr {
        if intervalOnLeft && op == .subtract {
            throw failure(.operatorTypeMismatch, "an INTERVAL can only be added to or subtracted from a DATE or TIMESTAMP",
                          at: range)
        }
        guard case let .literal(literal) = intervalSyntax.kind else { preconditionFailure() }
        var amounts = try intervals(literal, range: intervalSyntax.range)
        if op == .subtract { amounts = amounts.map(\.negated) }
        var value = bound
        let timed = amounts.contains { $0.microseconds != nil }
        if TypeRules.isTextLiteral(value) { value = try coerce(value, to: timed ? .timestamp : .date) }
        guard let type = value.type, type == .date || type == .timestamp else {
            throw failure(.operatorTypeMismatch, "cannot add an INTERVAL to \(value.type.map(\.name) ?? "NULL")", at: range)
        }
        let resultType: ColumnType = type == .date && timed ? .timestamp : type
        for amount in amounts {
            // A DATE becomes a TIMESTAMP only for the time parts (months and days are added to the DATE first).
            let stepType: ColumnType = value.type == .date && amount.microseconds != nil ? .timestamp : value.type!
            if stepType != value.type { value = try coerce(value, to: stepType) }
            value = BoundExpr(.addInterval(value, amount), type: stepType, nullable: value.nullable, range: range)
        }
        if value.type != resultType { value = try coerce(value, to: resultType) }
        return value
    }

    /// Converts any value to TEXT for `||` and CONCAT.
    func toText(_ expr: BoundExpr) throws(BindFailure) -> BoundExpr {
        guard let type = expr.type else { return try coerce(expr, to: .text) }
        if type == .text { return expr }
        return BoundExpr(.cast(expr, .text, implicit: true), type: .text, nullable: expr.nullable, range: expr.range)
    }

    // MARK: CASE

    private mutating func bindCase(_ operandSyntax: Expr?, _ branchSyntax: [(Expr, Expr)], _ otherwiseSyntax: Expr?,
                                   range: SourceRange, _ context: ExprContext) throws(BindFailure) -> BoundExpr {
        var operand: BoundExpr?
        var conditions: [BoundExpr] = []
        if let operandSyntax {
            var values = [try bindExpr(operandSyntax, context)]
            for (when, _) in branchSyntax { values.append(try bindExpr(when, context)) }
            let type = try commonType(values, what: "CASE", range: range)
            operand = try coerce(values[0], to: type)
            for value in values.dropFirst() { conditions.append(try coerce(value, to: type)) }
        } else {
            for (when, _) in branchSyntax { conditions.append(try condition(when, context, what: "a WHEN condition")) }
        }
        var results: [BoundExpr] = []
        for (_, then) in branchSyntax { results.append(try bindExpr(then, context)) }
        if let otherwiseSyntax { results.append(try bindExpr(otherwiseSyntax, context)) }
        var type = try commonType(results, what: "CASE results", range: range, allowNull: true)
        if results.allSatisfy({ $0.type == nil }) { type = .text }
        let coerced = try results.map { (e) throws(BindFailure) in try coerce(e, to: type) }
        let branches = (0..<branchSyntax.count).map { CaseBranch(condition: conditions[$0], result: coerced[$0]) }
        let otherwise = otherwiseSyntax == nil ? nil : coerced.last
        let nullable = otherwise == nil || coerced.contains { $0.nullable }
        return BoundExpr(.caseWhen(operand: operand, branches: branches, otherwise: otherwise), type: type,
                         nullable: nullable, range: range)
    }

    // MARK: Types

    /// The common type of `exprs`; an all-NULL list is INTEGER unless `allowNull`.
    func commonType(_ exprs: [BoundExpr], what: String, range: SourceRange, allowNull: Bool = false) throws(BindFailure) -> ColumnType {
        var representative: BoundExpr?
        for expr in exprs where expr.type != nil {
            guard let current = representative else { representative = expr; continue }
            guard let type = TypeRules.common(current, expr) else {
                throw failure(.noCommonType, "\(what): \(current.type!) and \(expr.type!) have no common type", at: range,
                              help: "CAST one side")
            }
            if type == current.type { continue }
            representative = type == expr.type ? expr
                : BoundExpr(.cast(current, type, implicit: true), type: type, nullable: true, range: range)
        }
        return representative?.type ?? (allowNull ? .text : .integer)
    }

    /// `expr` converted to `type`: literals are converted now, anything else
    /// gets an implicit cast node.
    func coerce(_ expr: BoundExpr, to type: ColumnType) throws(BindFailure) -> BoundExpr {
        if expr.type == type { return expr }
        var result = expr
        result.type = type
        switch (expr.kind, type) {
        case (.literal(.null), _):
            result.kind = .cast(expr, type, implicit: true)
            return result
        case let (.literal(.integer(v)), .decimal(_, s)):
            if let d = ExactDecimal(units: Int128(v), scale: 0).rescaled(to: s) {
                result.kind = .literal(.decimal(d))
                return result
            }
        case let (.literal(.integer(v)), .double):
            result.kind = .literal(.double(Double(v)))
            return result
        case let (.literal(.decimal(d)), .decimal(_, s)):
            result.kind = .literal(.decimal(d.rounded(toScale: s)))
            return result
        case let (.literal(.decimal(d)), .double):
            result.kind = .literal(.double(Double(d.description) ?? 0))
            return result
        case let (.literal(.text(text)), .date):
            guard let date = CivilDate(parsing: text) else {
                throw failure(.invalidLiteral, "'\(text)' is not a valid DATE", at: expr.range, help: "write 'YYYY-MM-DD'")
            }
            result.kind = .literal(.date(date))
            return result
        case let (.literal(.text(text)), .timestamp):
            guard let time = Timestamp(parsing: text) else {
                throw failure(.invalidLiteral, "'\(text)' is not a valid TIMESTAMP", at: expr.range,
                              help: "write 'YYYY-MM-DD HH:MM:SS'")
            }
            result.kind = .literal(.timestamp(time))
            return result
        case let (.literal(.date(d)), .timestamp):
            result.kind = .literal(.timestamp(Timestamp(microseconds: d.daysSinceEpoch * 86_400_000_000)))
            return result
        default:
            break
        }
        result.kind = .cast(expr, type, implicit: true)
        return result
    }

    /// `CAST(expr AS type)`, checked.
    func explicitCast(_ expr: BoundExpr, to type: ColumnType, range: SourceRange) throws(BindFailure) -> BoundExpr {
        if let from = expr.type {
            guard TypeRules.isCastable(from, to: type) else {
                throw failure(.invalidCast, "cannot CAST \(from) to \(type)", at: range)
            }
        }
        if case .literal(.text) = expr.kind, type == .date || type == .timestamp {
            var folded = try coerce(expr, to: type)
            folded.range = range
            return folded
        }
        return BoundExpr(.cast(expr, type, implicit: false), type: type, nullable: expr.nullable, range: range)
    }
}

extension String {
    var trimmingSpaces: String {
        var s = Substring(self)
        while s.first == " " { s = s.dropFirst() }
        while s.last == " " { s = s.dropLast() }
        return String(s)
    }
}
