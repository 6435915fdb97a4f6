import RockyBase

/// Exact DECIMAL arithmetic. In SQLite a DECIMAL(p, s) is an INTEGER holding
/// value × 10^s; results are rescaled with `rocky_muldiv` (round(a·b/c), half
/// away from zero, computed exactly), never through REAL. DuckDB and
/// PostgreSQL divide exactly with integer division at one extra digit and a
/// final ROUND (round-half-away of the quotient truncated at s+1 digits
/// equals round-half-away of the exact quotient).
extension SQLEmitter {
    static func pow10(_ n: Int) -> String { "1" + String(repeating: "0", count: n) }

    func scale(_ type: ColumnType?) -> Int {
        if case let .decimal(_, s)? = type { return s }
        return 0
    }

    func isDecimal(_ type: ColumnType?) -> Bool {
        if case .decimal? = type { return true }
        return false
    }

    /// DECIMAL(p, s) with p > 18: in SQLite a 16-byte BLOB (Docs/sql.md,
    /// "The SQLite representation contract"), computed by the `rocky_dec_*` helpers.
    func isWide(_ type: ColumnType?) -> Bool {
        if case let .decimal(p, _)? = type { return p > 18 }
        return false
    }

    /// Whether SQLite computes a DECIMAL operation over these types with the
    /// `rocky_dec_*` helpers: when any of them is wide.
    func wideSQLite(_ types: ColumnType?...) -> Bool { isSQLite && types.contains { isWide($0) } }

    /// The form argument of a `rocky_dec_*` helper: 1 for a wide result.
    func form(_ type: ColumnType?) -> String { isWide(type) ? "1" : "0" }

    /// `rocky_dec_rescale(x, e, mode, form, position)`: x·10^e rounded half
    /// away from zero (mode 0), toward zero (1), down (2) or up (3), in the form of `type`.
    func rescale(_ x: String, by e: Int, mode: Int = 0, to type: ColumnType?, at range: SourceRange) -> String {
        helper(.decRescale, x, String(e), String(mode), form(type), castPosition(range))
    }

    /// A DECIMAL of type `from` in SQLite as the value of type `to` of the
    /// same scale: converted when one is wide and the other not.
    func represent(_ x: String, from: ColumnType?, to type: ColumnType, at range: SourceRange) -> String {
        guard isSQLite, isDecimal(type), isWide(from) != isWide(type) else { return x }
        return rescale(x, by: scale(type) - scale(from), to: type, at: range)
    }

    /// 10^-scale units as the SQLite literal of a value of `type`: an
    /// INTEGER, or the BLOB literal of a wide DECIMAL.
    func sqliteDecimalLiteral(_ d: ExactDecimal, type: ColumnType?) -> String {
        guard isWide(type) else { return d.units < 0 ? "(\(d.units))" : String(d.units) }
        let s = scale(type)
        let units = (d.rescaled(to: s) ?? d.rounded(toScale: s)).units
        let bits = UInt128(bitPattern: units) ^ (1 << 127)
        let hex = String(bits, radix: 16, uppercase: true)
        return "X'" + String(repeating: "0", count: 32 - hex.count) + hex + "'"
    }

    /// SUM of a DECIMAL in SQLite: `rocky_dec_sum`, exact to 38 digits (its
    /// DISTINCT form takes one argument, so its overflow error has no position).
    /// `argument` is the summed expression and `arg` its SQL. The SUM of a
    /// product of two exact operands of 64 bits (`price * quantity`, a wide
    /// DECIMAL(p + 19, s) per row) is `rocky_dec_sum(x, y, line, column)`,
    /// which multiplies and adds in 64 bits while they fit instead of making
    /// a 16-byte BLOB per row: the same exact sum.
    func decimalSum(_ argument: BoundExpr, _ arg: String, distinct: Bool, at range: SourceRange) -> String {
        if distinct { return "\(HelperFunction.decSum.name(in: dialect))(DISTINCT \(arg))" }
        if let (x, y) = narrowProduct(argument) {
            return helper(.decSum, expr(x), expr(y), String(range.start.line), String(range.start.column))
        }
        return helper(.decSum, arg, String(range.start.line), String(range.start.column))
    }

    /// COUNT of a DECIMAL in SQLite, AVG's denominator: of a product of two
    /// 64-bit operands, the count of SQLite's own product (NULL exactly when
    /// an operand is; an overflow there gives a REAL, still counted), which
    /// spares a wide product per row.
    func decimalCount(_ argument: BoundExpr, _ arg: String, distinct: Bool) -> String {
        guard !distinct, let (x, y) = narrowProduct(argument) else { return "COUNT(\(distinct ? "DISTINCT " : "")\(arg))" }
        return "COUNT((\(expr(x))) * (\(expr(y))))"
    }

    /// The operands of `value` when it is an exact product of two operands
    /// that SQLite holds as 64-bit INTEGERs (INTEGER, DECIMAL of at most 18
    /// digits): no rescaling, no quotient to round.
    private func narrowProduct(_ value: BoundExpr) -> (BoundExpr, BoundExpr)? {
        guard isSQLite, case let .arithmetic(.multiply, a, b) = value.kind, isDecimal(value.type),
              let ta = a.type, let tb = b.type, ta == .integer || (isDecimal(ta) && !isWide(ta)),
              tb == .integer || (isDecimal(tb) && !isWide(tb)), scale(ta) + scale(tb) == scale(value.type),
              quotient(of: a) == nil, quotient(of: b) == nil else { return nil }
        return (a, b)
    }

    /// `round(a × b / c)` over scaled integers in SQLite.
    func muldiv(_ a: String, _ b: String, _ c: String) -> String {
        helper(.muldiv, a, b, c)
    }

    func arithmetic(_ op: ArithmeticOperator, _ a: BoundExpr, _ b: BoundExpr, type: ColumnType, range: SourceRange) -> String {
        // DuckDB types a small integer literal as 32 bits, whose arithmetic would overflow
        // early: an operand of INTEGER arithmetic is cast (only there: DATE + n needs an INTEGER n).
        func operand(_ e: BoundExpr) -> String {
            if dialect == .duckdb, type == .integer, case let .literal(.integer(n)) = e.kind { return "CAST(\(n) AS BIGINT)" }
            return expr(e)
        }
        let x = operand(a), y = operand(b)
        let wide = isDecimal(type) && wideSQLite(type, a.type, b.type)
        switch op {
        case .add where wide, .subtract where wide:
            return helper(op == .add ? .decAdd : .decSub, x, y, form(type), castPosition(range))
        case .modulo where wide:
            return helper(.decMod, x, y, form(type))
        case .add, .subtract:
            let sql = "(\(x) \(op.rawValue) \(y))"
            return isDecimal(type) ? conform(sql, type) : sql
        case .modulo:
            let sql = "(\(x) % NULLIF(\(y), 0))"
            return isDecimal(type) && !isSQLite ? conform(sql, type) : sql
        case .multiply:
            guard isDecimal(type) else { return "(\(x) * \(y))" }
            if let q = quotient(of: BoundExpr(.arithmetic(op, a, b), type: type, nullable: true, range: range)) {
                return render(q, scale: scale(type), type: type)
            }
            if !isSQLite { return conform("(\(x) * \(y))", type) }
            let k = scale(a.type) + scale(b.type) - scale(type)
            if wide { return helper(.decMulDiv, x, y, String(-k), "1", form(type), castPosition(range)) }
            if k == 0 { return "(\(x) * \(y))" }
            if k < 0 { return "(\(x) * \(y) * \(Self.pow10(-k)))" }
            return muldiv(x, y, Self.pow10(min(k, 18))) + (k > 18 ? " / \(Self.pow10(k - 18))" : "")
        case .divide:
            guard isDecimal(type) else {
                return type == .double ? "(\(x) / NULLIF(\(y), 0))" : emitter.integerDivide(x, y)
            }
            return exactQuotient(numerator: x, numeratorScale: scale(a.type), denominator: y, denominatorScale: scale(b.type),
                                 scale: scale(type), type: type, wide: wide, at: range)
        }
    }

    /// The quotient of two exact numbers (given as SQL of their values and
    /// scales), rounded half away from zero to `scale` digits.
    func exactQuotient(numerator: String, numeratorScale: Int, denominator: String, denominatorScale: Int,
                       scale s: Int, type: ColumnType, wide: Bool = false, at range: SourceRange? = nil) -> String {
        if isSQLite, wide || isWide(type), let range {
            return helper(.decMulDiv, numerator, "1", String(s + denominatorScale - numeratorScale), denominator, form(type),
                          castPosition(range))
        }
        return emitter.exactQuotient(numerator: numerator, numeratorScale: numeratorScale, denominator: denominator,
                              denominatorScale: denominatorScale, scale: s, type: type, self)
    }

    /// A DECIMAL quotient not yet rounded: the product of `factors` (exact
    /// numbers, their scales adding up to `numeratorScale`) over
    /// `denominator`. Docs/sql.md ("DECIMAL arithmetic"): a quotient that
    /// feeds ROUND, CAST or `*` is rounded once, at that result's scale.
    struct Quotient {
        var factors: [String]
        var numeratorScale: Int
        var denominator: String
        var denominatorScale: Int
        /// Whether a factor or the denominator is a wide DECIMAL in SQLite.
        var wide = false
        /// The quotient's place in the statement, which an overflow names.
        var range: SourceRange
    }

    /// `value` as a quotient not yet rounded, when it is one: a DECIMAL `/`,
    /// AVG of a DECIMAL, such a quotient times an exact number, or a CAST of
    /// one to a DECIMAL.
    func quotient(of value: BoundExpr) -> Quotient? {
        guard isDecimal(value.type) else { return nil }
        switch value.kind {
        case let .arithmetic(.divide, a, b):
            guard a.type.map(isExact) == true, b.type.map(isExact) == true else { return nil }
            return Quotient(factors: [expr(a)], numeratorScale: scale(a.type), denominator: expr(b), denominatorScale: scale(b.type),
                            wide: wideSQLite(a.type, b.type), range: value.range)
        case let .aggregate(call) where call.function == .avg:
            guard let argument = call.argument, isDecimal(argument.type) else { return nil }
            let distinct = call.distinct ? "DISTINCT " : ""
            let arg = expr(argument)
            // SQLite: SUM of a DECIMAL is a wide DECIMAL(38, s).
            let sum = isSQLite ? decimalSum(argument, arg, distinct: call.distinct, at: value.range) : "SUM(\(distinct)\(arg))"
            return Quotient(factors: [sum], numeratorScale: scale(argument.type),
                            denominator: isSQLite ? decimalCount(argument, arg, distinct: call.distinct) : "COUNT(\(distinct)\(arg))",
                            denominatorScale: 0, wide: isSQLite, range: value.range)
        case let .arithmetic(.multiply, a, b):
            for (q, c) in [(a, b), (b, a)] {
                guard var inner = quotient(of: q), inner.factors.count == 1, quotient(of: c) == nil,
                      let type = c.type, isExact(type) else { continue }
                inner.factors.append(expr(c))
                inner.numeratorScale += scale(type)
                inner.wide = inner.wide || wideSQLite(type)
                return inner
            }
            return nil
        case let .cast(inner, _, _):
            return quotient(of: inner)
        default:
            return nil
        }
    }

    private func isExact(_ type: ColumnType) -> Bool { type == .integer || isDecimal(type) }

    /// The quotient rounded half away from zero to `s` digits.
    func render(_ q: Quotient, scale s: Int, type: ColumnType) -> String {
        if isSQLite, q.wide || isWide(type) {
            let b = q.factors.count == 2 ? q.factors[1] : "1"
            return helper(.decMulDiv, q.factors[0], b, String(s + q.denominatorScale - q.numeratorScale), q.denominator, form(type),
                          castPosition(q.range))
        }
        if q.factors.count == 1 || !isSQLite {
            let numerator = q.factors.count == 1 ? q.factors[0] : "(" + q.factors.joined(separator: " * ") + ")"
            return exactQuotient(numerator: numerator, numeratorScale: q.numeratorScale, denominator: q.denominator,
                                 denominatorScale: q.denominatorScale, scale: s, type: type)
        }
        // Units at scale s: f1·f2·10^(s + sd - sn) / d, in 128 bits.
        return helper(.muldiv, q.factors[0], q.factors[1], String(s + q.denominatorScale - q.numeratorScale), q.denominator)
    }

    /// 10^-n as an exact decimal literal.
    static func fraction(_ n: Int) -> String {
        n == 0 ? "1" : "0." + String(repeating: "0", count: n - 1) + "1"
    }

    func round(_ value: BoundExpr, places: Int, type: ColumnType) -> String {
        if places < 0 {
            // To tens, hundreds, ...: half away from zero, then scaled back (scale 0).
            let x = expr(value), k = -places
            switch value.type {
            case let .decimal(_, s)? where wideSQLite(value.type, type):
                // Wide: rounded at scale 0, then scaled back.
                let wideType = ColumnType.decimal(precision: 38, scale: 0)
                return rescale(rescale(x, by: -(s + k), to: wideType, at: value.range), by: k, to: type, at: value.range)
            case let .decimal(_, s)?:
                return isSQLite ? "(\(muldiv(x, "1", Self.pow10(s + k))) * \(Self.pow10(k)))" : conform("round(\(x), \(places))", type)
            case .integer?:
                return isSQLite ? "(\(muldiv(x, "1", Self.pow10(k))) * \(Self.pow10(k)))" : conform("round(\(x), \(places))", type)
            case .double?:
                return isSQLite ? "(round(\(x) / \(Self.pow10(k)).0) * \(Self.pow10(k)).0)" : "round(\(x), \(places))"
            default:
                return x
            }
        }
        if case let .decimal(_, s)? = value.type, places < s, let q = quotient(of: value) {
            return render(q, scale: places, type: type)
        }
        let x = expr(value)
        switch value.type {
        case let .decimal(_, s)? where places < s && wideSQLite(value.type, type):
            return rescale(x, by: places - s, to: type, at: value.range)
        case let .decimal(_, s)? where places < s:
            return isSQLite ? muldiv(x, "1", Self.pow10(s - places)) : conform("round(\(x), \(places))", type)
        case .double?:
            return "round(\(x), \(places))"
        default:
            return x
        }
    }

    func integral(_ value: BoundExpr, ceiling: Bool, type: ColumnType) -> String {
        let x = expr(value)
        switch value.type {
        case let .decimal(_, s)? where s > 0 && wideSQLite(value.type, type):
            return rescale(x, by: -s, mode: ceiling ? 3 : 2, to: type, at: value.range)
        case .decimal?:
            guard case let .decimal(_, s)? = value.type, s > 0 else { return represent(x, from: value.type, to: type, at: value.range) }
            guard isSQLite else { return conform("\(ceiling ? "ceil" : "floor")(\(x))", type) }
            let d = Self.pow10(s)
            return ceiling ? "((\(x) / \(d)) + ((\(x) % \(d)) > 0))" : "((\(x) / \(d)) - ((\(x) % \(d)) < 0))"
        case .double?:
            return "\(ceiling ? "ceil" : "floor")(\(x))"
        default:
            return x
        }
    }

    /// A numeric value as DOUBLE (REAL in SQLite).
    func toDouble(_ value: BoundExpr) -> String {
        switch value.type {
        case .double?: return expr(value)
        default: return cast(value, to: .double)
        }
    }

    // MARK: CAST

    /// CAST; `range` is the cast's place in the statement, which SQLite's
    /// checked conversions name in their errors.
    func cast(_ value: BoundExpr, to type: ColumnType, at range: SourceRange? = nil) -> String {
        guard let from = value.type else {
            return isSQLite ? "NULL" : "CAST(NULL AS \(dialect.typeName(type)))"
        }
        if from == type { return expr(value) }
        if type == .integer || isDecimal(type), let q = quotient(of: value) {
            let rounded = render(q, scale: scale(type), type: type)
            return type == .integer && !isSQLite ? "CAST(\(rounded) AS \(dialect.typeName(.integer)))" : rounded
        }
        return emitter.cast(value, from: from, to: type, at: range ?? value.range, self)
    }

    /// SQLite's CAST over the representation (SQLiteEmitter).
    func sqliteCast(_ value: BoundExpr, from: ColumnType, to: ColumnType, at range: SourceRange) -> String {
        let x = expr(value)
        let position = dialect.string("line \(range.start.line), column \(range.start.column)")
        if isWide(from) || isWide(to) {
            switch (from, to) {
            case let (.decimal(_, s1), .decimal(_, s2)):
                return rescale(x, by: s2 - s1, to: to, at: range)
            case let (.integer, .decimal(_, s)), let (.boolean, .decimal(_, s)):
                return rescale(x, by: s, to: to, at: range)
            case let (.decimal(_, s), .integer):
                return rescale(x, by: -s, to: .integer, at: range)
            case let (.decimal(_, s), .double):
                return helper(.decDouble, x, String(s))
            case (.decimal, .boolean):
                return "(\(helper(.decSign, x)) <> 0)"
            default:
                break  // TEXT and DOUBLE: rocky_from_text, rocky_to_text and rocky_cast take the BLOB form.
            }
        }
        switch (from, to) {
        case let (.decimal(_, s1), .decimal(_, s2)):
            if s1 == s2 { return x }
            return s2 > s1 ? "(\(x) * \(Self.pow10(s2 - s1)))" : muldiv(x, "1", Self.pow10(s1 - s2))
        case let (.integer, .decimal(_, s)), let (.boolean, .decimal(_, s)):
            return s == 0 ? x : "(\(x) * \(Self.pow10(s)))"
        case let (.decimal(_, s), .integer):
            return s == 0 ? x : muldiv(x, "1", Self.pow10(s))
        case let (.decimal(_, s), .double):
            return s == 0 ? "CAST(\(x) AS REAL)" : "(\(x) / \(Self.pow10(s)).0)"
        case (.double, .decimal), (.double, .integer), (.text, .integer), (.text, .double), (.text, .boolean):
            return helper(.cast, x, "'\(to.name)'", position)
        case (.integer, .double), (.boolean, .double):
            return "CAST(\(x) AS REAL)"
        case (.integer, .boolean):
            return "(\(x) <> 0)"
        case (.double, .boolean):
            return "(\(x) <> 0.0)"
        case let (.decimal(_, s), .boolean):
            return s == 0 ? "(\(x) <> 0)" : "(\(x) <> 0)"
        case (.boolean, .integer):
            return x
        case (.date, .timestamp):
            return "(\(x) * 86400000000)"
        case (.timestamp, .date):
            return "((\(x) + \(Self.offset)) / 86400000000 - \(Self.offset / 86_400_000_000))"
        case (.text, .decimal), (.text, .date), (.text, .timestamp):
            return helper(.fromText, x, "'\(to.name)'", position)
        case (.integer, .text), (.double, .text):
            return "CAST(\(x) AS TEXT)"
        case (.boolean, .text):
            return "(CASE \(x) WHEN 1 THEN 'true' WHEN 0 THEN 'false' END)"
        case (.decimal, .text), (.date, .text), (.timestamp, .text):
            return helper(.toText, x, "'\(from.name)'")
        default:
            return "CAST(\(x) AS \(dialect.typeName(to)))"
        }
    }
}
