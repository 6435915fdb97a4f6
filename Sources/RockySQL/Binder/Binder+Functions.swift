import RockyBase

/// Function names the binder knows, for "did you mean" suggestions.
private let knownFunctions = [
    "lower", "upper", "length", "substr", "substring", "trim", "concat", "abs", "round", "floor", "ceil", "ceiling",
    "sqrt", "ln", "exp", "power", "pow", "coalesce", "nullif", "date_trunc", "date_part", "extract",
    "count", "sum", "avg", "min", "max", "stddev", "stddev_samp", "stddev_pop",
    "variance", "var_samp", "var_pop",
    "row_number", "rank", "dense_rank", "lag", "lead", "first_value", "last_value",
    "replace", "ltrim", "rtrim", "log10", "position", "greatest", "least", "mod", "sign", "trunc",
    "ntile", "percent_rank", "cume_dist", "nth_value", "string_agg",
]

/// Functions of other SQL dialects that Rocky knows and does not support
/// (E0102, naming the function), rather than "unknown function".
private let unsupportedFunctions: [String: String] = [
    "listagg": "LISTAGG", "group_concat": "GROUP_CONCAT", "array_agg": "ARRAY_AGG",
    "rollup": "ROLLUP", "cube": "CUBE", "truncate": "TRUNCATE (use TRUNC)",
    "now": "NOW() (a clock: a replayed transformation must give the same result)",
    "random": "RANDOM() (a replayed transformation must give the same result)",
    "median": "MEDIAN", "percentile_cont": "PERCENTILE_CONT", "percentile_disc": "PERCENTILE_DISC", "mode": "MODE",
    "bool_and": "BOOL_AND", "bool_or": "BOOL_OR", "every": "EVERY", "log": "LOG (use LN or LOG10)",
    "regexp_replace": "REGEXP_REPLACE", "regexp_matches": "REGEXP_MATCHES", "split_part": "SPLIT_PART",
    "left": "LEFT", "right": "RIGHT", "lpad": "LPAD", "rpad": "RPAD", "initcap": "INITCAP", "reverse": "REVERSE",
    "date_add": "DATE_ADD", "datediff": "DATEDIFF", "date_diff": "DATE_DIFF", "age": "AGE", "to_char": "TO_CHAR",
    "to_date": "TO_DATE", "to_timestamp": "TO_TIMESTAMP", "strftime": "STRFTIME", "corr": "CORR",
    "covar_pop": "COVAR_POP", "covar_samp": "COVAR_SAMP", "if": "IF (use CASE)", "iif": "IIF (use CASE)",
    "ifnull": "IFNULL (use COALESCE)", "nvl": "NVL (use COALESCE)",
]

private let aggregateNames: [String: AggregateFunction] = [
    "count": .count, "sum": .sum, "avg": .avg, "min": .min, "max": .max,
    "stddev": .stddevSamp, "stddev_samp": .stddevSamp, "stddev_pop": .stddevPop,
    "variance": .varSamp, "var_samp": .varSamp, "var_pop": .varPop, "string_agg": .stringAgg,
]

extension Binder {
    mutating func bindFunction(_ call: FunctionCall, range: SourceRange, _ context: ExprContext) throws(BindFailure) -> BoundExpr {
        let name = call.name.key
        if !call.orderBy.isEmpty && name != "string_agg" {
            throw failure(.unsupportedSyntax, "ORDER BY in \(call.name.text.uppercased())(...) is not supported (only in STRING_AGG)",
                          at: call.orderBy[0].range)
        }
        if name == "string_agg", call.over != nil {
            throw failure(.unsupportedSyntax, "STRING_AGG as a window function is not supported", at: call.over!.range)
        }
        if call.over != nil { return try bindWindow(call, range: range, context) }
        if name == "current_date" || name == "current_timestamp", !call.name.quoted {
            return try statementTime(call, range: range)
        }
        if name == "grouping" { return try bindGrouping(call, range: range, context) }
        if let function = aggregateNames[name] {
            guard context.allowAggregates else {
                throw failure(.aggregateNotAllowed, "aggregate function \(name.uppercased()) is not allowed in \(context.clause)",
                              at: range)
            }
            aggregateCount += 1
            let inner = ExprContext.clause("an aggregate's argument", context.scope)
            return try bindAggregate(function, call, range: range, inner)
        }
        if ["row_number", "rank", "dense_rank", "lag", "lead", "first_value", "last_value", "ntile", "percent_rank", "cume_dist",
            "nth_value"].contains(name) {
            throw failure(.windowNotAllowed, "\(name.uppercased()) is a window function and needs OVER (...)", at: range)
        }
        if call.star || call.distinct {
            throw failure(.unexpectedToken, "\(call.star ? "'*'" : "DISTINCT") is only allowed in aggregate functions", at: range)
        }
        if let rewritten = try rewrite(call, range: range) { return try bindExpr(rewritten, context) }
        var args: [BoundExpr] = []
        for argument in call.arguments { args.append(try bindExpr(argument, context)) }
        return try bindScalar(name, call, args, range: range)
    }

    /// Functions that are another expression: MOD(a, b) is `a % b`, bound as
    /// that expression, so types, lineage and every dialect follow.
    private func rewrite(_ call: FunctionCall, range: SourceRange) throws(BindFailure) -> Expr? {
        let args = call.arguments
        let height = (args.map(\.height).max() ?? 0) + 2
        switch call.name.key {
        case "mod":
            guard args.count == 2 else { break }
            return Expr(kind: .binary(.modulo, args[0], args[1]), range: range, height: height)
        default:
            return nil
        }
        throw failure(.wrongArgumentCount, "MOD takes 2 arguments, not \(args.count)", at: range)
    }

    private func arity(_ call: FunctionCall, _ args: [BoundExpr], _ allowed: ClosedRange<Int>, range: SourceRange) throws(BindFailure) {
        guard allowed.contains(args.count) else {
            let expected = allowed.lowerBound == allowed.upperBound ? "\(allowed.lowerBound)"
                : allowed.upperBound == Int.max ? "at least \(allowed.lowerBound)" : "\(allowed.lowerBound) to \(allowed.upperBound)"
            throw failure(.wrongArgumentCount,
                          "\(call.name.text.uppercased()) takes \(expected) argument\(allowed == 1...1 ? "" : "s"), not \(args.count)",
                          at: range)
        }
    }

    private func numeric(_ arg: BoundExpr, _ function: String) throws(BindFailure) -> BoundExpr {
        guard let type = arg.type else { return try coerce(arg, to: .integer) }
        guard type.isNumeric else {
            throw failure(.argumentTypeMismatch, "\(function) needs a number, not \(type)", at: arg.range)
        }
        return arg
    }

    private func text(_ arg: BoundExpr, _ function: String) throws(BindFailure) -> BoundExpr {
        guard let type = arg.type else { return try coerce(arg, to: .text) }
        guard type == .text else {
            throw failure(.argumentTypeMismatch, "\(function) needs TEXT, not \(type)", at: arg.range,
                          help: "CAST(... AS TEXT) first")
        }
        return arg
    }

    private func integer(_ arg: BoundExpr, _ function: String) throws(BindFailure) -> BoundExpr {
        guard let type = arg.type else { return try coerce(arg, to: .integer) }
        guard type == .integer else {
            throw failure(.argumentTypeMismatch, "\(function) needs an INTEGER here, not \(type)", at: arg.range)
        }
        return arg
    }

    private func temporal(_ arg: BoundExpr, _ function: String) throws(BindFailure) -> BoundExpr {
        if TypeRules.isTextLiteral(arg) { return try coerce(arg, to: .timestamp) }
        guard let type = arg.type, type == .date || type == .timestamp else {
            throw failure(.argumentTypeMismatch, "\(function) needs a DATE or TIMESTAMP, not \(arg.type.map(\.name) ?? "NULL")",
                          at: arg.range)
        }
        return arg
    }

    private func anyNullable(_ args: [BoundExpr]) -> Bool { args.contains { $0.nullable } }

    /// A DECIMAL `/`, AVG of a DECIMAL, or such a value times an exact number:
    /// what the emitters keep as an exact quotient for an outer ROUND or CAST.
    static func isUnroundedQuotient(_ expr: BoundExpr) -> Bool {
        switch expr.kind {
        case .arithmetic(.divide, _, _): return true
        case let .aggregate(call): return call.function == .avg
        case let .window(call): if case .aggregate(.avg) = call.function { return true } else { return false }
        case let .arithmetic(.multiply, a, b): return isUnroundedQuotient(a) || isUnroundedQuotient(b)
        case let .cast(inner, _, _): return isUnroundedQuotient(inner)
        default: return false
        }
    }

    /// A bound INTEGER literal, also a negated one (`-2`).
    static func constantInteger(_ expr: BoundExpr) -> Int64? {
        switch expr.kind {
        case let .literal(.integer(n)): return n
        case let .negate(inner): return constantInteger(inner).flatMap { $0 == .min ? nil : -$0 }
        default: return nil
        }
    }

    private func bindScalar(_ name: String, _ call: FunctionCall, _ rawArgs: [BoundExpr], range: SourceRange) throws(BindFailure) -> BoundExpr {
        var args = rawArgs
        let label = name.uppercased()
        func make(_ function: ScalarFunction, _ type: ColumnType, nullable: Bool? = nil) -> BoundExpr {
            BoundExpr(.function(function, args), type: type, nullable: nullable ?? anyNullable(args), range: range)
        }
        switch name {
        case "lower", "upper", "trim":
            try arity(call, args, 1...1, range: range)
            args[0] = try text(args[0], label)
            return make(name == "lower" ? .lower : name == "upper" ? .upper : .trim, .text)
        case "length":
            try arity(call, args, 1...1, range: range)
            args[0] = try text(args[0], label)
            return make(.length, .integer)
        case "substr", "substring":
            try arity(call, args, 2...3, range: range)
            args[0] = try text(args[0], label)
            for i in 1..<args.count { args[i] = try integer(args[i], label) }
            return make(.substr, .text)
        case "concat":
            try arity(call, args, 1...Int.max, range: range)
            for i in args.indices { args[i] = try toText(args[i]) }
            return make(.concat, .text, nullable: false)
        case "abs":
            try arity(call, args, 1...1, range: range)
            args[0] = try numeric(args[0], label)
            return make(.abs, args[0].type!)
        case "round":
            try arity(call, args, 1...2, range: range)
            args[0] = try numeric(args[0], label)
            var places = 0
            if args.count == 2 {
                let scale = if case let .decimal(_, s)? = args[0].type { s } else { 0 }
                guard let n = Self.constantInteger(args[1]), (Int64(-(18 - scale))...38).contains(n) else {
                    throw failure(.constantRequired,
                                  "ROUND's number of decimal places must be a whole number from \(-(18 - scale)) to 38",
                                  at: args[1].range)
                }
                places = Int(n)
            }
            let value = args[0]
            args = [value]
            return make(.round(scale: places), TypeRules.round(value.type!, places: places))
        case "floor", "ceil", "ceiling":
            try arity(call, args, 1...1, range: range)
            args[0] = try numeric(args[0], label)
            return make(name == "floor" ? .floor : .ceil, TypeRules.integral(args[0].type!))
        case "sqrt", "ln", "exp":
            try arity(call, args, 1...1, range: range)
            args[0] = try coerce(try numeric(args[0], label), to: .double)
            return make(name == "sqrt" ? .sqrt : name == "ln" ? .ln : .exp, .double, nullable: true)
        case "power", "pow":
            try arity(call, args, 2...2, range: range)
            for i in args.indices { args[i] = try coerce(try numeric(args[i], label), to: .double) }
            return make(.power, .double, nullable: true)
        case "coalesce":
            try arity(call, args, 1...Int.max, range: range)
            let type = try commonType(args, what: "COALESCE", range: range, allowNull: true)
            for i in args.indices { args[i] = try coerce(args[i], to: type) }
            return make(.coalesce, type, nullable: args.allSatisfy(\.nullable))
        case "nullif":
            try arity(call, args, 2...2, range: range)
            let type = try commonType(args, what: "NULLIF", range: range, allowNull: true)
            for i in args.indices { args[i] = try coerce(args[i], to: type) }
            return make(.nullif, type, nullable: true)
        case "date_trunc":
            try arity(call, args, 2...2, range: range)
            let part = try datePart(args[0], allowed: [.year, .quarter, .month, .week, .day, .hour, .minute, .second], label)
            let value = try temporal(args[1], label)
            if value.type == .date && part.isTimeOfDay {
                throw failure(.argumentTypeMismatch, "DATE_TRUNC('\(part.rawValue)', ...) needs a TIMESTAMP, not DATE",
                              at: value.range)
            }
            return BoundExpr(.dateTrunc(part, value), type: value.type, nullable: value.nullable, range: range)
        case "date_part":
            try arity(call, args, 2...2, range: range)
            let part = try datePart(args[0], allowed: DatePart.allCases, label)
            return try extract(part, try temporal(args[1], label), range: range)
        case "replace":
            try arity(call, args, 3...3, range: range)
            for i in args.indices { args[i] = try text(args[i], label) }
            return make(.replace, .text)
        case "ltrim", "rtrim":
            try arity(call, args, 1...1, range: range)
            args[0] = try text(args[0], label)
            return make(name == "ltrim" ? .ltrim : .rtrim, .text)
        case "trunc":
            try arity(call, args, 1...2, range: range)
            args[0] = try numeric(args[0], label)
            var places = 0
            if args.count == 2 {
                guard let n = Self.constantInteger(args[1]), (0...38).contains(n) else {
                    throw failure(.constantRequired, "TRUNC's number of decimal places must be a whole number from 0 to 38",
                                  at: args[1].range)
                }
                places = Int(n)
            }
            let value = args[0]
            if case .decimal? = value.type, Self.isUnroundedQuotient(value) {
                // A quotient is rounded once, at the outer ROUND or CAST; truncating
                // one rounded at its own scale could differ from the exact value's.
                throw failure(.unsupportedSyntax, "TRUNC of a DECIMAL quotient is not supported; ROUND it, or CAST to DOUBLE first",
                              at: range)
            }
            if value.type == .double && places > 0 {
                throw failure(.unsupportedSyntax, "TRUNC of a DOUBLE to decimal places is not supported; CAST it to DECIMAL first",
                              at: range)
            }
            args = [value]
            var type = value.type!
            if case let .decimal(p, s) = type, places < s { type = TypeRules.decimal(p - s + places, places) }
            return make(.trunc(scale: places), type)
        case "sign":
            try arity(call, args, 1...1, range: range)
            args[0] = try numeric(args[0], label)
            return make(.sign, .integer)
        case "log10":
            try arity(call, args, 1...1, range: range)
            args[0] = try coerce(try numeric(args[0], label), to: .double)
            return make(.log10, .double, nullable: true)
        case "position":
            try arity(call, args, 2...2, range: range)
            for i in args.indices { args[i] = try text(args[i], label) }
            return make(.position, .integer)
        case "greatest", "least":
            try arity(call, args, 1...Int.max, range: range)
            let type = try commonType(args, what: label, range: range, allowNull: true)
            for i in args.indices { args[i] = try coerce(args[i], to: type) }
            return make(name == "greatest" ? .greatest : .least, type, nullable: args.allSatisfy(\.nullable))
        default:
            if let construct = unsupportedFunctions[name] {
                throw failure(.unsupportedSyntax, "\(construct) is not supported", at: call.name.range)
            }
            throw failure(.unknownFunction, "unknown function '\(call.name.text)'", at: call.name.range,
                          help: Suggestion.nearest(to: name, among: knownFunctions).map { "did you mean '\($0.uppercased())'?" })
        }
    }

    /// CURRENT_DATE and CURRENT_TIMESTAMP: constants of the statement's
    /// recorded time (UTC), so a replay computes the same values.
    private mutating func statementTime(_ call: FunctionCall, range: SourceRange) throws(BindFailure) -> BoundExpr {
        let label = call.name.text.uppercased()
        guard call.arguments.isEmpty, !call.star, !call.distinct else {
            throw failure(.wrongArgumentCount, "\(label) takes no arguments", at: range)
        }
        guard let time = options.statementTime else {
            throw failure(.unsupportedSyntax, "\(label) is not supported here: no transformation time is recorded", at: range)
        }
        usesStatementTime = true
        if call.name.key == "current_date" {
            return BoundExpr(.literal(.date(time.date)), type: .date, nullable: false, range: range)
        }
        return BoundExpr(.literal(.timestamp(time)), type: .timestamp, nullable: false, range: range)
    }

    private func datePart(_ arg: BoundExpr, allowed: [DatePart], _ function: String) throws(BindFailure) -> DatePart {
        guard case let .literal(.text(text)) = arg.kind, let part = DatePart(text), allowed.contains(part) else {
            throw failure(.constantRequired,
                          "\(function)'s first argument must be one of \(allowed.map { "'\($0.rawValue)'" }.joined(separator: ", "))",
                          at: arg.range)
        }
        return part
    }

    mutating func bindExtract(_ field: Identifier, _ operand: Expr, range: SourceRange, _ context: ExprContext) throws(BindFailure) -> BoundExpr {
        guard let part = DatePart(field.text) else {
            throw failure(.constantRequired, "unknown date part '\(field.text)' in EXTRACT", at: field.range,
                          help: Suggestion.nearest(to: field.text, among: DatePart.allCases.map(\.rawValue)).map { "did you mean '\($0)'?" })
        }
        switch try bindOperand(operand, context) {
        case let .value(value):
            return try extract(part, try temporal(value, "EXTRACT"), range: range)
        case let .interval(interval):
            return try extractInterval(part, interval, range: range)
        }
    }

    private func extract(_ part: DatePart, _ value: BoundExpr, range: SourceRange) throws(BindFailure) -> BoundExpr {
        if part == .week {
            throw failure(.constantRequired, "EXTRACT(WEEK ...) is not supported: week numbering differs between dialects",
                          at: range, help: "use DATE_TRUNC('week', ...) for ISO weeks")
        }
        if value.type == .date && part.isTimeOfDay {
            throw failure(.argumentTypeMismatch, "EXTRACT(\(part.rawValue.uppercased()) ...) needs a TIMESTAMP, not DATE",
                          at: value.range)
        }
        return BoundExpr(.extract(part, value), type: .integer, nullable: value.nullable, range: range)
    }

    // MARK: Aggregates and windows

    private mutating func bindAggregate(_ function: AggregateFunction, _ call: FunctionCall, range: SourceRange,
                                        _ context: ExprContext) throws(BindFailure) -> BoundExpr {
        let label = call.name.text.uppercased()
        if call.star {
            guard function == .count else {
                throw failure(.unexpectedToken, "'*' is only allowed in COUNT(*)", at: range)
            }
            return BoundExpr(.aggregate(AggregateCall(function: .countStar, argument: nil, distinct: false)),
                             type: .integer, nullable: false, range: range)
        }
        if function == .stringAgg { return try bindStringAgg(call, range: range, context) }
        guard call.arguments.count == 1 else {
            throw failure(.wrongArgumentCount, "\(label) takes 1 argument, not \(call.arguments.count)", at: range)
        }
        var arg = try bindExpr(call.arguments[0], context)
        let type: ColumnType
        var nullable = true
        switch function {
        case .count, .countStar:
            type = .integer
            nullable = false
        case .sum:
            arg = try numeric(arg, label)
            type = TypeRules.sum(arg.type!)
        case .avg:
            arg = try numeric(arg, label)
            type = TypeRules.average(arg.type!)
        case .min, .max:
            if arg.type == nil { arg = try coerce(arg, to: .integer) }
            type = arg.type!
        case .stddevSamp, .stddevPop, .varSamp, .varPop:
            arg = try numeric(arg, label)
            type = .double
        case .stringAgg:
            preconditionFailure("bound by bindStringAgg")
        }
        let call = AggregateCall(function: function, argument: arg, distinct: call.distinct)
        return BoundExpr(.aggregate(call), type: type, nullable: nullable, range: range)
    }

    /// `STRING_AGG(text, 'sep' [ORDER BY ...])`. Without ORDER BY the values
    /// are joined in ascending order of the value (byte order), and ties of an
    /// ORDER BY are broken by the value, so the result never depends on the
    /// engine's row order; with DISTINCT, ORDER BY only by the value.
    private mutating func bindStringAgg(_ call: FunctionCall, range: SourceRange,
                                        _ context: ExprContext) throws(BindFailure) -> BoundExpr {
        guard call.arguments.count == 2 else {
            throw failure(.wrongArgumentCount, "STRING_AGG takes 2 arguments (a value and a separator), not \(call.arguments.count)",
                          at: range)
        }
        var value = try bindExpr(call.arguments[0], context)
        if value.type == nil { value = try coerce(value, to: .text) }
        value = try textOperand(value, what: "STRING_AGG")
        guard case let .literal(.string(separator)) = call.arguments[1].kind else {
            throw failure(.constantRequired, "STRING_AGG's separator must be a string literal", at: call.arguments[1].range)
        }
        var order: [BoundOrderItem] = []
        for item in call.orderBy {
            let key = try bindExpr(item.expr, context)
            if key.type == nil {
                throw failure(.constantRequired, "STRING_AGG's ORDER BY needs a typed expression", at: item.range)
            }
            // As PostgreSQL: with DISTINCT, the order can only be by the value itself.
            if call.distinct && key != value {
                throw failure(.unsupportedSyntax, "STRING_AGG(DISTINCT ... ORDER BY ...) is supported only ordered by the value",
                              at: item.range)
            }
            order.append(BoundOrderItem(expr: key, descending: item.descending, nullsFirst: item.nullsFirst))
        }
        // Ties of the order are broken by the value, so every dialect joins the same text.
        if order.last?.expr != value { order.append(BoundOrderItem(expr: value, descending: false, nullsFirst: nil)) }
        let aggregate = AggregateCall(function: .stringAgg, argument: value, distinct: call.distinct, separator: separator,
                                      orderBy: order)
        return BoundExpr(.aggregate(aggregate), type: .text, nullable: true, range: range)
    }

    private mutating func bindWindow(_ call: FunctionCall, range: SourceRange, _ context: ExprContext) throws(BindFailure) -> BoundExpr {
        guard context.allowWindows else {
            throw failure(.windowNotAllowed, "window functions are not allowed in \(context.clause)", at: range)
        }
        let name = call.name.key
        let spec = try resolvedWindow(call.over!)
        var inner = context
        inner.allowWindows = false
        inner.clause = "a window function"
        var partition: [BoundExpr] = []
        for expr in spec.partitionBy { partition.append(try bindExpr(expr, inner)) }
        var order: [BoundOrderItem] = []
        for item in spec.orderBy {
            order.append(BoundOrderItem(expr: try bindExpr(item.expr, inner), descending: item.descending, nullsFirst: item.nullsFirst))
        }
        let frame = try spec.frame.map { (f) throws(BindFailure) in try bindFrame(f, order: order) }
        if call.distinct {
            throw failure(.unsupportedSyntax, "DISTINCT is not supported in window functions", at: range)
        }
        func window(_ function: WindowFunction, _ args: [BoundExpr], _ type: ColumnType, nullable: Bool) -> BoundExpr {
            BoundExpr(.window(WindowCall(function: function, arguments: args, partitionBy: partition, orderBy: order, frame: frame)),
                      type: type, nullable: nullable, range: range)
        }
        // An aggregate used as a window function binds its own argument (bindAggregate, below).
        var args: [BoundExpr] = []
        if !call.star, aggregateNames[name] == nil {
            for argument in call.arguments { args.append(try bindExpr(argument, inner)) }
        }
        let label = call.name.text.uppercased()
        switch name {
        case "row_number", "rank", "dense_rank":
            try arity(call, args, 0...0, range: range)
            return window(name == "row_number" ? .rowNumber : name == "rank" ? .rank : .denseRank, [], .integer, nullable: false)
        case "lag", "lead":
            try arity(call, args, 1...3, range: range)
            var offset = 1
            if args.count >= 2 {
                guard case let .literal(.integer(n)) = args[1].kind, (0...1_000_000).contains(n) else {
                    throw failure(.constantRequired, "\(label)'s offset must be a whole number", at: args[1].range)
                }
                offset = Int(n)
            }
            var value = args[0]
            if value.type == nil { value = try coerce(value, to: .integer) }
            var kept = [value]
            if args.count == 3 {
                let type = try commonType([value, args[2]], what: label, range: range)
                kept = [try coerce(value, to: type), try coerce(args[2], to: type)]
            }
            return window(name == "lag" ? .lag(offset: offset) : .lead(offset: offset), kept, kept[0].type!, nullable: true)
        case "first_value", "last_value":
            try arity(call, args, 1...1, range: range)
            var value = args[0]
            if value.type == nil { value = try coerce(value, to: .integer) }
            return window(name == "first_value" ? .firstValue : .lastValue, [value], value.type!, nullable: true)
        case "ntile":
            try arity(call, args, 1...1, range: range)
            guard case let .literal(.integer(n)) = args[0].kind, (1...1_000_000).contains(n) else {
                throw failure(.constantRequired, "NTILE's number of buckets must be a whole number from 1", at: args[0].range)
            }
            return window(.ntile(buckets: Int(n)), [], .integer, nullable: false)
        case "percent_rank", "cume_dist":
            try arity(call, args, 0...0, range: range)
            return window(name == "percent_rank" ? .percentRank : .cumeDist, [], .double, nullable: false)
        case "nth_value":
            try arity(call, args, 2...2, range: range)
            guard case let .literal(.integer(n)) = args[1].kind, (1...1_000_000).contains(n) else {
                throw failure(.constantRequired, "NTH_VALUE's row number must be a whole number from 1", at: args[1].range)
            }
            var value = args[0]
            if value.type == nil { value = try coerce(value, to: .integer) }
            return window(.nthValue(Int(n)), [value], value.type!, nullable: true)
        default:
            guard let function = aggregateNames[name] else {
                if let construct = unsupportedFunctions[name] {
                    throw failure(.unsupportedSyntax, "\(construct) is not supported", at: call.name.range)
                }
                throw failure(.unknownFunction, "unknown window function '\(call.name.text)'", at: call.name.range,
                              help: Suggestion.nearest(to: name, among: knownFunctions).map { "did you mean '\($0.uppercased())'?" })
            }
            var argumentContext = context
            argumentContext.allowWindows = false
            argumentContext.clause = "a window function's argument"
            var plain = call
            plain.over = nil
            let aggregate = try bindAggregate(function, plain, range: range, argumentContext)
            guard case let .aggregate(a) = aggregate.kind else { preconditionFailure() }
            return window(.aggregate(a.function), a.argument.map { [$0] } ?? [], aggregate.type!, nullable: aggregate.nullable)
        }
    }
}
