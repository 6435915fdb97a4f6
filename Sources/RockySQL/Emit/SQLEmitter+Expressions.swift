import RockyBase

extension SQLEmitter {
    func expr(_ e: BoundExpr) -> String {
        if let branch = groupingBranch {
            // One grouping set's SELECT (SQLite): a key the set leaves out is NULL.
            if let position = branch.keys.firstIndex(of: e), !branch.grouped.contains(position) { return "NULL" }
            if case .aggregate = e.kind {
                var plain = self
                plain.groupingBranch = nil
                return plain.expr(e)
            }
        }
        switch e.kind {
        case let .literal(value):
            return literal(value, type: e.type)
        case let .column(ref):
            return ref.qualifier.isEmpty ? q(ref.name) : "\(q(ref.qualifier)).\(q(ref.name))"
        case let .negate(inner):
            if isSQLite, isWide(e.type) { return helper(.decNeg, expr(inner)) }
            return "(- \(expr(inner)))"
        case let .not(inner):
            return "(NOT \(expr(inner)))"
        case let .arithmetic(op, a, b):
            return arithmetic(op, a, b, type: e.type!, range: e.range)
        case let .concat(a, b):
            return "(\(expr(a)) || \(expr(b)))"
        case let .comparison(op, a, b):
            if isPostgres, a.type == .text || b.type == .text, op.rawValue != "=", op.rawValue != "<>", op.rawValue != "!=" {
                return "(\(collated(expr(a), .text)) \(op.rawValue) \(expr(b)))"
            }
            return "(\(expr(a)) \(op.rawValue) \(expr(b)))"
        case let .logical(op, terms):
            return "(" + terms.map { expr($0) }.joined(separator: " \(op.rawValue) ") + ")"
        case let .isNull(inner, negated):
            return "(\(expr(inner)) IS \(negated ? "NOT " : "")NULL)"
        case let .inList(value, list, negated):
            return "(\(expr(value)) \(negated ? "NOT " : "")IN (\(list.map { expr($0) }.joined(separator: ", "))))"
        case let .inSubquery(value, subquery, negated):
            var emitter = self
            return "(\(expr(value)) \(negated ? "NOT " : "")IN (\(emitter.query(subquery))))"
        case let .exists(subquery):
            var emitter = self
            return "EXISTS (\(emitter.query(subquery)))"
        case let .scalarSubquery(subquery):
            var emitter = self
            let sql = emitter.query(subquery)
            guard isSQLite, !Self.yieldsAtMostOneRow(subquery) else { return "(\(sql))" }
            // SQLite would take the first row: count up to two, fail on two.
            let column = q(subquery.columns[0].name)
            return "(SELECT \(helper(.scalar, "COUNT(*)", "MAX(\(column))", castPosition(e.range))) "
                + "FROM (SELECT \(column) FROM (\(sql)) LIMIT 2))"
        case let .between(value, low, high, negated):
            return "(\(collated(expr(value), value.type)) \(negated ? "NOT " : "")BETWEEN \(expr(low)) AND \(expr(high)))"
        case let .like(value, pattern, negated, escape):
            return like(value, pattern, negated: negated, escape: escape)
        case let .caseWhen(operand, branches, otherwise):
            var sql = "CASE"
            if let operand { sql += " " + expr(operand) }
            for branch in branches { sql += " WHEN \(expr(branch.condition)) THEN \(expr(branch.result))" }
            if let otherwise { sql += " ELSE " + expr(otherwise) }
            return sql + " END"
        case let .cast(inner, type, _):
            return cast(inner, to: type, at: e.range)
        case let .function(function, args):
            return self.function(function, args, type: e.type!, range: e.range)
        case let .dateTrunc(part, value):
            return dateTrunc(part, value)
        case let .extract(part, value):
            return extract(part, value)
        case let .addInterval(value, interval):
            return addInterval(value, interval)
        case let .addDays(date, days):
            return addDays(expr(date), expr(days))
        case let .daysBetween(a, b):
            return daysBetween(expr(a), expr(b))
        case let .microsecondsBetween(a, b):
            return emitter.microsecondsBetween(expr(a), expr(b))
        case let .addMicroseconds(value, micros):
            return emitter.addMicroseconds(expr(value), expr(micros))
        case let .secondsOfMicroseconds(micros):
            return emitter.secondsOfMicroseconds(expr(micros), type: e.type!, self)
        case let .aggregate(call):
            return aggregate(call, over: nil, type: e.type!, range: e.range)
        case let .window(call):
            return window(call, type: e.type!, range: e.range)
        case let .mask(strategy, inner):
            return mask(strategy, inner, type: e.type!)
        case let .grouping(args):
            return grouping(args)
        }
    }

    /// GROUPING(keys): bit i from the right set when the (n-1-i)-th key is not grouped.
    private func grouping(_ args: [BoundExpr]) -> String {
        if isSQLite {
            // A plain GROUP BY groups every key.
            guard let branch = groupingBranch else { return "0" }
            var bits = 0
            for arg in args {
                bits <<= 1
                if let position = branch.keys.firstIndex(of: arg), !branch.grouped.contains(position) { bits |= 1 }
            }
            return String(bits)
        }
        if dialect == .databricks || dialect == .bigquery {
            // Spark's and BigQuery's GROUPING take one key.
            let integer = dialect.typeName(.integer)
            let terms = args.enumerated().map { i, arg in "(CAST(GROUPING(\(expr(arg))) AS \(integer)) * \(1 << (args.count - 1 - i)))" }
            return "(" + terms.joined(separator: " + ") + ")"
        }
        return conform("GROUPING(\(args.map { expr($0) }.joined(separator: ", ")))", .integer)
    }

    // MARK: Literals

    func literal(_ value: Literal, type: ColumnType?) -> String {
        switch value {
        case .null:
            if isPostgres || isDatabricks, let type { return "CAST(NULL AS \(dialect.typeName(type)))" }
            return "NULL"
        case let .boolean(b):
            return isSQLite ? (b ? "1" : "0") : (b ? "TRUE" : "FALSE")
        case let .integer(n):
            // PostgreSQL types a small literal INTEGER (32 bits), whose arithmetic would overflow early.
            if isPostgres { return "CAST(\(n) AS BIGINT)" }
            // Spark types a small literal INT, whose arithmetic would overflow (an error in ANSI mode).
            if isDatabricks { return n < 0 ? "(\(n)L)" : "\(n)L" }
            return n < 0 ? "(\(n))" : String(n)
        case let .decimal(d):
            if isSQLite { return sqliteDecimalLiteral(d, type: type) }
            let text = d.description
            switch dialect {
            case .bigquery:
                return "\(d.scale <= 9 && d.integerDigitCount <= 29 ? "NUMERIC" : "BIGNUMERIC") '\(text)'"
            default:
                if case let .decimal(p, s)? = type {
                    return "CAST(\(text) AS \(dialect.typeName(.decimal(precision: p, scale: s))))"
                }
                return d.units < 0 ? "(\(text))" : text
            }
        case let .double(d):
            var text = "\(d)"
            if !text.contains(".") && !text.contains("e") && !text.contains("n") { text += ".0" }
            if isSQLite { return d < 0 ? "(\(text))" : text }
            return "CAST(\(text) AS \(dialect.typeName(.double)))"
        case let .text(s):
            return dialect.string(s)
        case let .date(d):
            if isSQLite { return String(d.daysSinceEpoch) }
            return "DATE '\(d)'"
        case let .timestamp(t):
            if isSQLite { return String(t.microseconds) }
            return "TIMESTAMP '\(SQLEmitter.timestampText(t))'"
        }
    }

    /// `YYYY-MM-DD HH:MM:SS[.f]`: fraction digits only as needed (the text
    /// form of TIMESTAMP in Docs/sql.md).
    static func timestampText(_ t: Timestamp) -> String {
        var text = t.description
        text.removeLast()
        if let dot = text.firstIndex(of: ".") {
            while text.last == "0" { text.removeLast() }
            if text.index(before: text.endIndex) == dot { text.removeLast() }
        }
        return text.replacingAll("T", with: " ")
    }

    // MARK: LIKE

    private func like(_ value: BoundExpr, _ pattern: BoundExpr, negated: Bool, escape: Character?) -> String {
        if isSQLite, case let .literal(.text(text)) = pattern.kind {
            // SQLite's LIKE ignores ASCII case; GLOB matches exactly.
            var glob = ""
            var escaped = false
            for ch in text {
                if escaped {
                    escaped = false
                    glob += ch == "*" || ch == "?" || ch == "[" ? "[\(ch)]" : String(ch)
                    continue
                }
                if ch == escape {
                    escaped = true
                    continue
                }
                switch ch {
                case "%": glob += "*"
                case "_": glob += "?"
                case "*": glob += "[*]"
                case "?": glob += "[?]"
                case "[": glob += "[[]"
                default: glob.append(ch)
                }
            }
            return "(\(expr(value)) \(negated ? "NOT " : "")GLOB \(dialect.string(glob)))"
        }
        let clause: String
        let p: String
        if let escape {
            clause = " ESCAPE \(dialect.string(String(escape)))"
            p = expr(pattern)
        } else {
            // PostgreSQL's LIKE takes a backslash for an escape unless told
            // otherwise (Spark's always does); Rocky's has none.
            clause = isPostgres ? " ESCAPE ''" : ""
            p = isDatabricks ? databricksPattern(expr(pattern)) : expr(pattern)
        }
        return "(\(expr(value)) \(negated ? "NOT " : "")LIKE \(p)\(clause))"
    }

    // MARK: Functions

    private func function(_ function: ScalarFunction, _ args: [BoundExpr], type: ColumnType, range: SourceRange) -> String {
        let a = args.map { expr($0) }
        if isSQLite, let first = args.first, isWide(first.type) || isWide(type) {
            switch function {
            case .abs: return helper(.decAbs, represent(a[0], from: first.type, to: type, at: range))
            case .sign: return helper(.decSign, a[0])
            case let .trunc(places):
                guard case let .decimal(_, s)? = first.type, places < s else { break }
                return rescale(a[0], by: places - s, mode: 1, to: type, at: range)
            default: break
            }
        }
        if isPostgres, let sql = postgresFunction(function, args, a, type: type) { return sql }
        if isDatabricks, let sql = databricksFunction(function, args, a, type: type) { return sql }
        switch function {
        case .lower: return isSQLite ? helper(.lower, a[0]) : "lower(\(a[0]))"
        case .upper: return isSQLite ? helper(.upper, a[0]) : "upper(\(a[0]))"
        case .trim: return "trim(\(a[0]))"
        case .length: return isSQLite || dialect == .duckdb ? "length(\(a[0]))" : "CAST(length(\(a[0])) AS \(dialect.typeName(.integer)))"
        case .substr: return "substr(\(a.joined(separator: ", ")))"
        case .concat: return "(" + a.map { "COALESCE(\($0), '')" }.joined(separator: " || ") + ")"
        case .abs: return "abs(\(a[0]))"
        case .coalesce: return "COALESCE(\(a.joined(separator: ", ")))"
        case .nullif: return "NULLIF(\(a.joined(separator: ", ")))"
        case .sqrt: return "sqrt(\(a[0]))"
        case .ln: return "ln(\(a[0]))"
        case .exp: return "exp(\(a[0]))"
        case .power: return "power(\(a[0]), \(a[1]))"
        case let .round(places): return round(args[0], places: places, type: type)
        case .floor: return integral(args[0], ceiling: false, type: type)
        case .ceil: return integral(args[0], ceiling: true, type: type)
        case .replace: return "replace(\(a.joined(separator: ", ")))"
        case .ltrim: return "ltrim(\(a[0]))"
        case .rtrim: return "rtrim(\(a[0]))"
        case .log10: return isSQLite ? "rocky_log10(\(a[0]))" : dialect == .snowflake ? "log(10, \(a[0]))" : "log10(\(a[0]))"
        case let .trunc(places):
            // Toward zero: SQLite's integer division of the scaled DECIMAL truncates.
            switch args[0].type {
            case let .decimal(_, s)? where places < s:
                let unit = "0." + String(repeating: "0", count: max(places - 1, 0)) + "1"
                return isSQLite ? "(\(a[0]) / \(SQLEmitter.pow10(s - places)))"
                    : dialect == .databricks ? conform("(\(a[0]) - (\(a[0]) % \(places == 0 ? "1" : unit)))", type)
                    : conform("trunc(\(a[0]), \(places))", type)
            case .double?:
                return dialect == .databricks ? "(\(a[0]) - (\(a[0]) % 1))" : "trunc(\(a[0]))"
            default:
                return a[0]
            }
        case .sign: return isSQLite ? "sign(\(a[0]))" : "CAST(sign(\(a[0])) AS \(dialect.typeName(.integer)))"
        case .position:
            switch dialect {
            case .sqlite, .databricks: return "instr(\(a[1]), \(a[0]))"
            case .snowflake: return "position(\(a[0]) in \(a[1]))"
            case .postgres, .duckdb, .bigquery: return "strpos(\(a[1]), \(a[0]))"
            }
        case .greatest, .least:
            // Each argument or, when NULL, another: the extreme of the non-NULL
            // values in every dialect (SQLite's max/min, Snowflake's and
            // BigQuery's GREATEST/LEAST return NULL when any argument is NULL).
            let name = isSQLite ? (function == .greatest ? "max" : "min") : (function == .greatest ? "greatest" : "least")
            let terms = a.indices.map { i in a.count == 1 ? a[i] : "COALESCE(\(([a[i]] + a.indices.filter { $0 != i }.map { a[$0] }).joined(separator: ", ")))" }
            return a.count == 1 ? a[0] : "\(name)(\(terms.joined(separator: ", ")))"
        }
    }

    // MARK: Aggregates and windows

    func aggregate(_ call: AggregateCall, over window: String?, type: ColumnType, range: SourceRange) -> String {
        let suffix = window.map { " OVER (\($0))" } ?? ""
        let distinct = call.distinct ? "DISTINCT " : ""
        guard let argument = call.argument else { return "COUNT(*)\(suffix)" }
        let arg = expr(argument)
        switch call.function {
        case .count, .countStar:
            return "COUNT(\(distinct)\(arg))\(suffix)"
        case .min, .max:
            if isPostgres, argument.type == .boolean {
                // PostgreSQL has no MIN or MAX of BOOLEAN.
                return "\(call.function == .min ? "bool_and" : "bool_or")(\(distinct)\(arg))\(suffix)"
            }
            return "\(call.function.rawValue.uppercased())(\(distinct)\(collated(arg, argument.type)))\(suffix)"
        case .sum:
            if isSQLite, isDecimal(argument.type) { return decimalSum(argument, arg, distinct: call.distinct, at: range) + suffix }
            let sum = "SUM(\(distinct)\(arg))\(suffix)"
            return isSQLite ? sum : conform(sum, type)
        case .avg:
            guard case let .decimal(_, s) = argument.type, case let .decimal(_, resultScale) = type else {
                if isPostgres, argument.type == .integer {
                    // As SQLite: the mean of the values as DOUBLE (PostgreSQL would average exactly, then convert).
                    return "AVG(\(distinct)CAST(\(arg) AS DOUBLE PRECISION))\(suffix)"
                }
                return isSQLite ? "AVG(\(distinct)\(arg))\(suffix)" : conform("AVG(\(distinct)\(arg))\(suffix)", type)
            }
            // SQLite: SUM of a DECIMAL is a wide DECIMAL(38, s).
            let sum = isSQLite ? decimalSum(argument, arg, distinct: call.distinct, at: range) + suffix : "SUM(\(distinct)\(arg))\(suffix)"
            return exactQuotient(numerator: sum, numeratorScale: s,
                                 denominator: (isSQLite ? decimalCount(argument, arg, distinct: call.distinct) : "COUNT(\(distinct)\(arg))") + suffix,
                                 denominatorScale: 0,
                                 scale: resultScale, type: type, wide: isSQLite, at: range)
        case .stddevSamp, .stddevPop, .varSamp, .varPop:
            if (isSQLite || isPostgres), !call.distinct, let scale = Self.exactScale(argument.type) {
                return exactVariance(call.function, argument: argument, scale: scale, suffix: suffix)
            }
            // SQLite: Welford's algorithm in a registered aggregate (a sum of squares loses the digits).
            let name = call.function.rawValue
            guard isSQLite else { return "\(name)(\(distinct)\(toDouble(argument)))\(suffix)" }
            let welford: HelperFunction = switch call.function {
            case .stddevSamp: .stddevSamp
            case .stddevPop: .stddevPop
            case .varSamp: .varSamp
            default: .varPop
            }
            return "\(welford.name(in: dialect))(\(distinct)\(toDouble(argument)))\(suffix)"
        case .stringAgg:
            return stringAgg(call, argument)
        }
    }

    /// STRING_AGG in the call's order (the binder always gives one). SQLite
    /// 3.40 has no ordered aggregates: a registered aggregate sorts the values
    /// by the keys it is passed (after a flags text: per key `a`/`d` and
    /// `f`/`l` for NULLs first/last).
    private func stringAgg(_ call: AggregateCall, _ argument: BoundExpr) -> String {
        let value = expr(argument)
        let separator = dialect.string(call.separator ?? "")
        let distinct = call.distinct ? "DISTINCT " : ""
        func nullsFirst(_ item: BoundOrderItem) -> Bool { item.nullsFirst ?? item.descending }
        switch dialect {
        case .sqlite:
            let flags = (call.distinct ? "u" : "") + call.orderBy.map { ($0.descending ? "d" : "a") + (nullsFirst($0) ? "f" : "l") }.joined()
            let keys = call.orderBy.map { ", " + expr($0.expr) }.joined()
            return "\(HelperFunction.stringAgg.name(in: dialect))(\(value), \(separator), '\(flags)'\(keys))"
        case .databricks:
            // collect_list of (value, keys) structs, sorted by a comparator over the keys.
            var fields = ["'v', \(value)"]
            var tests: [String] = []
            for (i, item) in call.orderBy.enumerated() {
                fields.append("'k\(i)', \(expr(item.expr))")
                let op = item.descending ? ">" : "<"
                func before(_ a: String, _ b: String) -> String {
                    let nulls = nullsFirst(item) ? "(\(a) IS NULL AND \(b) IS NOT NULL)" : "(\(a) IS NOT NULL AND \(b) IS NULL)"
                    return "\(nulls) OR (\(a) IS NOT NULL AND \(b) IS NOT NULL AND \(a) \(op) \(b))"
                }
                tests.append("WHEN \(before("l.k\(i)", "r.k\(i)")) THEN -1 WHEN \(before("r.k\(i)", "l.k\(i)")) THEN 1")
            }
            let list = call.distinct ? "array_distinct(collect_list(named_struct(\(fields.joined(separator: ", ")))))"
                : "collect_list(named_struct(\(fields.joined(separator: ", "))))"
            let sorted = "array_sort(filter(\(list), s -> s.v IS NOT NULL), (l, r) -> CASE \(tests.joined(separator: " ")) ELSE 0 END)"
            return "(CASE WHEN COUNT(\(value)) = 0 THEN NULL ELSE array_join(transform(\(sorted), s -> s.v), \(separator)) END)"
        case .snowflake:
            let order = call.orderBy.map { orderItem($0) }.joined(separator: ", ")
            return "LISTAGG(\(distinct)\(value), \(separator)) WITHIN GROUP (ORDER BY \(order))"
        default:
            let order = call.orderBy.map { orderItem($0) }.joined(separator: ", ")
            // PostgreSQL's DISTINCT needs its ORDER BY (the value, collated) in the argument.
            let argument = call.distinct ? collated(value, .text) : value
            return "string_agg(\(distinct)\(argument), \(separator) ORDER BY \(order))"
        }
    }

    /// The scale of an exact argument of a variance (INTEGER: 0), nil for DOUBLE.
    static func exactScale(_ type: ColumnType?) -> Int? {
        switch type {
        case .integer?: 0
        case let .decimal(_, s)?: s
        default: nil
        }
    }

    /// VAR_SAMP, VAR_POP, STDDEV_SAMP, STDDEV_POP of INTEGER or DECIMAL
    /// values, the same DOUBLE on SQLite and PostgreSQL whatever the order
    /// of the rows (Docs/sql.md, "Variance"): N = n·Σx² − (Σx)² computed
    /// exactly, then DOUBLE(N) / DOUBLE(n·(n−1)) (population: n·n), each
    /// conversion correctly rounded, and its square root for STDDEV. NULL
    /// when n <= 1 (sample) or n = 0 (population).
    func exactVariance(_ function: AggregateFunction, argument: BoundExpr, scale: Int, suffix: String) -> String {
        let sample = function == .varSamp || function == .stddevSamp
        let root = function == .stddevSamp || function == .stddevPop
        if isSQLite {
            // Rocky's SQLite DECIMALs are integers scaled by 10^scale.
            let exact: HelperFunction = switch function {
            case .varSamp: .exactVarSamp
            case .varPop: .exactVarPop
            case .stddevSamp: .exactStddevSamp
            default: .exactStddevPop
            }
            return helper(exact, expr(argument), String(scale)) + suffix
        }
        let x = argument.type == .integer ? "CAST(\(expr(argument)) AS NUMERIC)" : expr(argument)
        let n = "COUNT(\(x))\(suffix)"
        let numerator = "CAST(\(n) * SUM(\(x) * \(x))\(suffix) - SUM(\(x))\(suffix) * SUM(\(x))\(suffix) AS DOUBLE PRECISION)"
        let denominator = sample ? "CAST(\(n) * (\(n) - 1) AS DOUBLE PRECISION)" : "CAST(\(n) * \(n) AS DOUBLE PRECISION)"
        let variance = "\(numerator) / \(denominator)"
        return "CASE WHEN \(n) > \(sample ? 1 : 0) THEN \(root ? "SQRT(\(variance))" : variance) END"
    }

    private func window(_ call: WindowCall, type: ColumnType, range: SourceRange) -> String {
        var spec: [String] = []
        if !call.partitionBy.isEmpty { spec.append("PARTITION BY " + call.partitionBy.map { expr($0) }.joined(separator: ", ")) }
        if !call.orderBy.isEmpty { spec.append("ORDER BY " + call.orderBy.map { orderItem($0) }.joined(separator: ", ")) }
        if let frame = call.frame {
            let key = call.orderBy.first?.expr.type
            spec.append("\(frame.unit.rawValue) BETWEEN \(bound(frame.start, key: key)) AND \(bound(frame.end, key: key))")
        }
        let over = spec.joined(separator: " ")
        let a = call.arguments.map { expr($0) }
        switch call.function {
        // Spark's ranks are INT.
        case .rowNumber: return bigint("ROW_NUMBER() OVER (\(over))")
        case .rank: return bigint("RANK() OVER (\(over))")
        case .denseRank: return bigint("DENSE_RANK() OVER (\(over))")
        case let .lag(offset), let .lead(offset):
            let name: String
            if case .lag = call.function { name = "LAG" } else { name = "LEAD" }
            let rest = a.count == 2 ? ", \(offset), \(a[1])" : offset == 1 ? "" : ", \(offset)"
            return "\(name)(\(a[0])\(rest)) OVER (\(over))"
        case .firstValue: return "FIRST_VALUE(\(a[0])) OVER (\(over))"
        case .lastValue: return "LAST_VALUE(\(a[0])) OVER (\(over))"
        case let .ntile(buckets): return bigint("NTILE(\(buckets)) OVER (\(over))")
        case .percentRank: return "PERCENT_RANK() OVER (\(over))"
        case .cumeDist: return "CUME_DIST() OVER (\(over))"
        case let .nthValue(n): return "NTH_VALUE(\(a[0]), \(n)) OVER (\(over))"
        case let .aggregate(function):
            let aggregateCall = AggregateCall(function: function, argument: call.arguments.first, distinct: false)
            return aggregate(aggregateCall, over: over, type: type, range: range)
        }
    }

    /// An INTEGER result that Spark types INT.
    private func bigint(_ sql: String) -> String { isDatabricks ? "CAST(\(sql) AS BIGINT)" : sql }

    private func bound(_ bound: WindowFrame.Bound, key: ColumnType?) -> String {
        switch bound {
        case .unboundedPreceding: "UNBOUNDED PRECEDING"
        case let .preceding(n): "\(n) PRECEDING"
        case .currentRow: "CURRENT ROW"
        case let .following(n): "\(n) FOLLOWING"
        case .unboundedFollowing: "UNBOUNDED FOLLOWING"
        case let .precedingValue(offset): "\(rangeOffset(offset, key: key)) PRECEDING"
        case let .followingValue(offset): "\(rangeOffset(offset, key: key)) FOLLOWING"
        }
    }

    private func rangeOffset(_ offset: RangeOffset, key: ColumnType?) -> String {
        switch offset {
        case let .number(value): emitter.rangeNumber(value, self)
        case let .interval(microseconds): emitter.rangeInterval(microseconds: microseconds, date: key == .date)
        }
    }

    /// Whether a scalar subquery cannot return two rows: an aggregate without
    /// GROUP BY, or a LIMIT of 0 or 1.
    static func yieldsAtMostOneRow(_ query: BoundQuery) -> Bool {
        if case let .integer(n)? = query.limit?.literal, n <= 1 { return true }
        if case let .select(select) = query.body, select.isAggregate, select.groupBy.isEmpty, query.offset == nil { return true }
        return false
    }

    /// Native dialects: a CAST that pins the result to the IR's exact type.
    func conform(_ sql: String, _ type: ColumnType) -> String {
        isSQLite ? sql : "CAST(\(sql) AS \(dialect.typeName(type)))"
    }
}
