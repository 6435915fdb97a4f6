import RockyBase

/// An interval while compiling: TIMESTAMP - TIMESTAMP, sums and differences
/// of those, an INTEGER multiple, and interval literals of weeks, days and
/// time next to them (Docs/sql.md, "Intervals"). Rocky stores no INTERVAL,
/// so an interval is never a result value: it is compiled to its INTEGER
/// microseconds and used by EXTRACT, `timestamp ± interval`, comparisons and
/// ORDER BY.
struct IntervalOperand {
    /// The interval's length in microseconds (INTEGER).
    var micros: BoundExpr
    /// Whether PostgreSQL holds it as a TIMESTAMP difference, whose days are
    /// the whole days of its length and whose time the rest, of the same sign
    /// (`justify_hours`). Only then are DAY, HOUR, MINUTE and SECOND a
    /// function of the length; a sum keeps its operands' days and times apart.
    var justified: Bool
}

/// A bound operand of an arithmetic or comparison operator.
enum Operand {
    case value(BoundExpr)
    case interval(IntervalOperand)
}

extension Binder {
    static let microsPerDay: Int64 = 86_400_000_000

    /// `expr` as a value or, when it is one, an interval.
    mutating func bindOperand(_ expr: Expr, _ context: ExprContext) throws(BindFailure) -> Operand {
        switch expr.kind {
        case let .binary(op, left, right):
            return try bindBinaryOperand(op, left, right, range: expr.range, context)
        case let .unary(.negate, operand):
            switch try bindOperand(operand, context) {
            case let .value(value):
                return .value(try bindUnaryValue(.negate, value, range: expr.range))
            case let .interval(interval):
                let negated = BoundExpr(.negate(interval.micros), type: .integer, nullable: interval.micros.nullable,
                                        range: expr.range)
                return .interval(IntervalOperand(micros: negated, justified: interval.justified))
            }
        case let .literal(literal) where isInterval(expr):
            return .interval(try constantInterval(literal, range: expr.range))
        default:
            return .value(try bindExpr(expr, context))
        }
    }

    /// An operand where a value is needed: an interval is refused (E0102).
    func value(of operand: Operand, range: SourceRange) throws(BindFailure) -> BoundExpr {
        switch operand {
        case let .value(value):
            return value
        case let .interval(interval):
            throw failure(.unsupportedSyntax,
                          "an interval (TIMESTAMP - TIMESTAMP) is not supported as a value: Rocky has no INTERVAL columns",
                          at: interval.micros.range,
                          help: "use EXTRACT(EPOCH FROM ...) for its seconds (DECIMAL), or add it to a TIMESTAMP")
        }
    }

    mutating func bindBinaryOperand(_ op: BinaryOperator, _ leftSyntax: Expr, _ rightSyntax: Expr, range: SourceRange,
                                    _ context: ExprContext) throws(BindFailure) -> Operand {
        if op.isComparison, let rewritten = try differenceComparison(op, leftSyntax, rightSyntax, range: range) {
            return .value(try bindExpr(rewritten, context))
        }
        let literalLeft = isInterval(leftSyntax), literalRight = isInterval(rightSyntax)
        if op == .add || op == .subtract, literalLeft != literalRight {
            // A DATE or TIMESTAMP plus a literal keeps the literal's calendar
            // units (months); an interval plus one is an interval.
            let literalSyntax = literalLeft ? leftSyntax : rightSyntax
            switch try bindOperand(literalLeft ? rightSyntax : leftSyntax, context) {
            case let .value(value):
                return .value(try bindIntervalArithmetic(op, value: value, intervalOnLeft: literalLeft, literalSyntax,
                                                         range: range))
            case let .interval(interval):
                guard case let .literal(literal) = literalSyntax.kind else { preconditionFailure("not an interval") }
                let constant = try constantInterval(literal, range: literalSyntax.range)
                return .interval(combine(op, literalLeft ? constant : interval, literalLeft ? interval : constant, range: range))
            }
        }
        let left = try bindOperand(leftSyntax, context)
        let right = try bindOperand(rightSyntax, context)
        switch (left, right) {
        case let (.value(a), .value(b)):
            if op == .subtract, let difference = try timestampDifference(a, b, range: range) {
                return .interval(difference)
            }
            return .value(try bindBinaryValues(op, a, b, range: range))
        case let (.interval(a), .interval(b)):
            if op == .add || op == .subtract { return .interval(combine(op, a, b, range: range)) }
            if op.isComparison {
                // Intervals compare by length (PostgreSQL: months as 30 days, which never occur here).
                return .value(BoundExpr(.comparison(ComparisonOperator(rawValue: op.rawValue)!, a.micros, b.micros),
                                        type: .boolean, nullable: a.micros.nullable || b.micros.nullable, range: range))
            }
            throw failure(.operatorTypeMismatch, "cannot apply '\(op.rawValue)' to two intervals", at: range)
        case let (.value(value), .interval(interval)), let (.interval(interval), .value(value)):
            let intervalOnLeft = if case .interval = left { true } else { false }
            return try mixed(op, value, interval, intervalOnLeft: intervalOnLeft, range: range)
        }
    }

    /// A value and an interval: `timestamp ± interval`, `interval + timestamp`, `interval * n`.
    private func mixed(_ op: BinaryOperator, _ valueOperand: BoundExpr, _ interval: IntervalOperand, intervalOnLeft: Bool,
                       range: SourceRange) throws(BindFailure) -> Operand {
        var value = valueOperand
        switch op {
        case .add, .subtract where !intervalOnLeft:
            if value.type == nil || value.type == .date || TypeRules.isTextLiteral(value) {
                value = try coerce(value, to: .timestamp)
            }
            guard value.type == .timestamp else {
                throw failure(.operatorTypeMismatch, "cannot \(op == .add ? "add an interval to" : "subtract an interval from") \(value.type!)",
                              at: range, help: "an interval is added to a DATE or TIMESTAMP")
            }
            var micros = interval.micros
            if op == .subtract { micros = BoundExpr(.negate(micros), type: .integer, nullable: micros.nullable, range: micros.range) }
            return .value(BoundExpr(.addMicroseconds(value, micros), type: .timestamp,
                                    nullable: value.nullable || micros.nullable, range: range))
        case .multiply:
            if value.type == nil { value = try coerce(value, to: .integer) }
            guard value.type == .integer else {
                throw failure(.unsupportedSyntax, "an interval times \(value.type!) is not supported, only times an INTEGER",
                              at: range, help: "multiply EXTRACT(EPOCH FROM ...) instead")
            }
            let product = BoundExpr(.arithmetic(.multiply, interval.micros, value), type: .integer,
                                    nullable: interval.micros.nullable || value.nullable, range: range)
            return .interval(IntervalOperand(micros: product, justified: false))
        case .divide:
            throw failure(.unsupportedSyntax, "dividing an interval is not supported (PostgreSQL divides its parts in floating point)",
                          at: range, help: "divide EXTRACT(EPOCH FROM ...) instead")
        default:
            throw failure(.operatorTypeMismatch,
                          "cannot apply '\(op.rawValue)' to an interval and \(value.type.map(\.name) ?? "NULL")", at: range,
                          help: op.isComparison ? "compare an interval with an interval, such as INTERVAL '1 day'" : nil)
        }
    }

    /// `a - b` of a TIMESTAMP and a TIMESTAMP (or a DATE, its midnight, or a
    /// text literal): the interval between them; nil for other operands.
    private func timestampDifference(_ a: BoundExpr, _ b: BoundExpr, range: SourceRange) throws(BindFailure) -> IntervalOperand? {
        guard a.type == .timestamp || b.type == .timestamp else { return nil }
        func widened(_ e: BoundExpr) throws(BindFailure) -> BoundExpr? {
            if e.type == .timestamp { return e }
            if e.type == nil || e.type == .date || TypeRules.isTextLiteral(e) { return try coerce(e, to: .timestamp) }
            return nil
        }
        guard let x = try widened(a), let y = try widened(b) else { return nil }
        let micros = BoundExpr(.microsecondsBetween(x, y), type: .integer, nullable: x.nullable || y.nullable, range: range)
        return IntervalOperand(micros: micros, justified: true)
    }

    private func combine(_ op: BinaryOperator, _ a: IntervalOperand, _ b: IntervalOperand, range: SourceRange) -> IntervalOperand {
        let sum = BoundExpr(.arithmetic(op == .add ? .add : .subtract, a.micros, b.micros), type: .integer,
                            nullable: a.micros.nullable || b.micros.nullable, range: range)
        return IntervalOperand(micros: sum, justified: false)
    }

    /// An interval literal of weeks, days and time as microseconds (a day is
    /// 24 hours for a UTC TIMESTAMP). Months and years have no fixed length.
    private func constantInterval(_ literal: LiteralSyntax, range: SourceRange) throws(BindFailure) -> IntervalOperand {
        var total: Int64 = 0
        for part in try intervals(literal, range: range) {
            if part.months != nil {
                throw failure(.unsupportedSyntax, "an INTERVAL of months or years with a TIMESTAMP difference is not supported",
                              at: range, help: "use weeks, days, hours, minutes or seconds")
            }
            total += part.days.map { $0 * Self.microsPerDay } ?? part.microseconds!
        }
        let micros = BoundExpr(.literal(.integer(total)), type: .integer, nullable: false, range: range)
        return IntervalOperand(micros: micros, justified: false)
    }

    /// EXTRACT(part FROM interval), as PostgreSQL computes it: EPOCH, the
    /// exact seconds, DECIMAL(18,6); of a TIMESTAMP difference also DAY, HOUR
    /// and MINUTE (INTEGER) and SECOND (DECIMAL(8,6), with the fraction), all
    /// truncated toward zero with the sign of the interval.
    func extractInterval(_ part: DatePart, _ interval: IntervalOperand, range: SourceRange) throws(BindFailure) -> BoundExpr {
        let m = interval.micros
        func integer(_ n: Int64) -> BoundExpr { BoundExpr(.literal(.integer(n)), type: .integer, nullable: false, range: range) }
        func apply(_ op: ArithmeticOperator, _ a: BoundExpr, _ b: Int64) -> BoundExpr {
            BoundExpr(.arithmetic(op, a, integer(b)), type: .integer, nullable: m.nullable, range: range)
        }
        switch part {
        case .epoch:
            return BoundExpr(.secondsOfMicroseconds(m), type: .decimal(precision: 18, scale: 6), nullable: m.nullable, range: range)
        case .day, .hour, .minute, .second:
            guard interval.justified else {
                throw failure(.unsupportedSyntax,
                              "EXTRACT(\(part.rawValue.uppercased()) ...) of a sum, multiple or literal interval is not supported "
                                  + "(PostgreSQL keeps its days and time apart)",
                              at: range, help: "use EXTRACT(EPOCH FROM ...), or EXTRACT of a TIMESTAMP - TIMESTAMP")
            }
            switch part {
            case .day: return apply(.divide, m, Self.microsPerDay)
            case .hour: return apply(.divide, apply(.modulo, m, Self.microsPerDay), 3_600_000_000)
            case .minute: return apply(.divide, apply(.modulo, m, 3_600_000_000), 60_000_000)
            default:
                return BoundExpr(.secondsOfMicroseconds(apply(.modulo, m, 60_000_000)), type: .decimal(precision: 8, scale: 6),
                                 nullable: m.nullable, range: range)
            }
        default:
            throw failure(.unsupportedSyntax, "EXTRACT(\(part.rawValue.uppercased()) ...) of an interval is not supported",
                          at: range, help: "use EPOCH, DAY, HOUR, MINUTE or SECOND")
        }
    }
}
