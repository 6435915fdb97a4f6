import RockyBase

/// Named windows, window frames, GROUPING() and the checks of GROUPING SETS,
/// QUALIFY and DISTINCT ON (Docs/sql.md, "The language").
extension Binder {
    // MARK: Named windows

    /// Binds the `WINDOW` definitions of a SELECT, each possibly naming an earlier one.
    mutating func defineWindows(_ windows: [NamedWindow]) throws(BindFailure) {
        namedWindows = [:]
        for window in windows {
            if namedWindows[window.name.key] != nil {
                throw failure(.duplicateName, "window '\(window.name.text)' is defined twice", at: window.name.range)
            }
            namedWindows[window.name.key] = try resolvedWindow(window.spec)
        }
    }

    /// `spec` with the named window it refers to filled in (SQL's rules: the
    /// referring window adds ORDER BY only when the named one has none, and
    /// a frame; `OVER w` takes the named window as it is).
    func resolvedWindow(_ spec: WindowSpec) throws(BindFailure) -> WindowSpec {
        guard let base = spec.base else { return spec }
        guard var named = namedWindows[base.key] else {
            throw failure(.unknownColumn, "unknown window '\(base.text)'", at: base.range,
                          help: Suggestion.nearest(to: base.text, among: Array(namedWindows.keys)).map { "did you mean '\($0)'?" })
        }
        named.range = spec.range
        if spec.bare { return named }
        if !spec.partitionBy.isEmpty {
            throw failure(.unexpectedToken, "a window based on window '\(base.text)' cannot have its own PARTITION BY", at: spec.range)
        }
        if !spec.orderBy.isEmpty && !named.orderBy.isEmpty {
            throw failure(.unexpectedToken, "a window based on window '\(base.text)' cannot replace its ORDER BY", at: spec.range)
        }
        if named.frame != nil {
            throw failure(.unexpectedToken, "window '\(base.text)' has a frame, so it can only be used as OVER \(base.text)",
                          at: spec.range)
        }
        if !spec.orderBy.isEmpty { named.orderBy = spec.orderBy }
        named.frame = spec.frame
        return named
    }

    // MARK: Frames

    /// A frame: ROWS and GROUPS offsets are whole constants; a RANGE offset
    /// is a constant of the single ORDER BY key's kind (a number, or a
    /// fixed-length INTERVAL for a DATE or TIMESTAMP).
    mutating func bindFrame(_ frame: FrameSpec, order: [BoundOrderItem]) throws(BindFailure) -> WindowFrame {
        let unit: WindowFrame.Unit = switch frame.unit {
        case .rows: .rows
        case .range: .range
        case .groups: .groups
        }
        if unit == .groups && order.isEmpty {
            throw failure(.unexpectedToken, "a GROUPS frame needs an ORDER BY in its window", at: frame.range)
        }
        if unit == .groups && options.dialect == .databricks {
            throw failure(.unsupportedSyntax, "GROUPS frames are not supported for databricks (Spark has none)", at: frame.range,
                          help: "a RANGE frame over DENSE_RANK() of the ORDER BY key, computed in a subquery, counts the same groups")
        }
        func count(_ e: Expr) throws(BindFailure) -> Int {
            guard let n = Self.constantInteger(e), (0...1_000_000).contains(n) else {
                throw failure(.constantRequired, "a \(unit.rawValue) frame offset must be a whole number from 0 to 1000000", at: e.range)
            }
            return Int(n)
        }
        func offset(_ e: Expr) throws(BindFailure) -> RangeOffset {
            guard order.count == 1, let key = order[0].expr.type else {
                throw failure(.unexpectedToken, "a RANGE frame with an offset needs exactly one ORDER BY key in its window", at: frame.range)
            }
            switch key {
            case .integer:
                guard let n = Self.constantInteger(e), n >= 0 else {
                    throw failure(.constantRequired, "a RANGE offset over an INTEGER key must be a whole number from 0", at: e.range)
                }
                return .number(BoundExpr(.literal(.integer(n)), type: .integer, nullable: false, range: e.range))
            case .decimal, .double:
                var scale = 0
                if case let .decimal(_, s) = key { scale = s }
                let bound = try bindExpr(e, .clause("a frame offset", nil))
                var value: ExactDecimal?
                var double: Double?
                switch bound.literal {
                case let .integer(n)?: value = ExactDecimal(Int(n)); double = Double(n)
                case let .decimal(d)?: value = d; double = Double(d.description)
                case let .double(d)? where key == .double: double = d
                default: break
                }
                guard let double, double >= 0, double.isFinite else {
                    throw failure(.constantRequired, "a RANGE offset over a \(key) key must be a number from 0", at: e.range)
                }
                if key == .double {
                    return .number(BoundExpr(.literal(.double(double)), type: .double, nullable: false, range: e.range))
                }
                guard let scaled = value?.rescaled(to: scale), scaled.fits(precision: 38, scale: scale) else {
                    throw failure(.constantRequired, "a RANGE offset over a \(key) key must have at most \(scale) decimal places",
                                  at: e.range)
                }
                return .number(BoundExpr(.literal(.decimal(scaled)), type: key, nullable: false, range: e.range))
            case .date, .timestamp:
                guard case let .literal(literal) = e.kind, case .interval = literal else {
                    throw failure(.constantRequired, "a RANGE offset over a \(key) key must be an INTERVAL", at: e.range)
                }
                var total: Int64 = 0
                for part in try intervals(literal, range: e.range) {
                    let micros: Int64? = part.months != nil ? nil : part.days.map { $0 * 86_400_000_000 } ?? part.microseconds
                    guard let micros, micros >= 0 else {
                        throw failure(.unsupportedSyntax, "a RANGE offset of months or years is not supported (months differ in length); use days",
                                      at: e.range)
                    }
                    total += micros
                }
                if key == .date && total % 86_400_000_000 != 0 {
                    throw failure(.unsupportedSyntax, "a RANGE offset over a DATE key must be whole days", at: e.range)
                }
                return .interval(microseconds: total)
            default:
                throw failure(.argumentTypeMismatch, "a RANGE frame with an offset needs a number, DATE or TIMESTAMP ORDER BY key, not \(key)",
                              at: order[0].expr.range)
            }
        }
        func bound(_ b: FrameSpec.Bound) throws(BindFailure) -> WindowFrame.Bound {
            switch b {
            case .unboundedPreceding: return .unboundedPreceding
            case .currentRow: return .currentRow
            case .unboundedFollowing: return .unboundedFollowing
            case let .preceding(e): return unit == .range ? .precedingValue(try offset(e)) : .preceding(try count(e))
            case let .following(e): return unit == .range ? .followingValue(try offset(e)) : .following(try count(e))
            }
        }
        let result = WindowFrame(start: try bound(frame.start), end: try bound(frame.end), unit: unit)
        func rank(_ b: WindowFrame.Bound) -> (Int, Int) {
            switch b {
            case .unboundedPreceding: (-2, 0)
            case let .preceding(n): (-1, -n)
            case .precedingValue: (-1, 0)
            case .currentRow: (0, 0)
            case .followingValue: (1, 0)
            case let .following(n): (1, n)
            case .unboundedFollowing: (2, 0)
            }
        }
        let (s, e) = (rank(result.start), rank(result.end))
        guard s.0 != 2, e.0 != -2, s.0 < e.0 || s.0 == e.0 && (s.0 != 1 && s.0 != -1 || unit == .range || s.1 <= e.1) else {
            throw failure(.unexpectedToken, "the frame's start must not come after its end", at: frame.range)
        }
        return result
    }

    // MARK: GROUPING SETS

    /// `GROUPING(keys)`: allowed where aggregates are; its arguments must be
    /// GROUP BY keys (checked with the grouping, `checkGroupingArguments`).
    mutating func bindGrouping(_ call: FunctionCall, range: SourceRange, _ context: ExprContext) throws(BindFailure) -> BoundExpr {
        guard context.allowAggregates else {
            throw failure(.aggregateNotAllowed, "GROUPING() is not allowed in \(context.clause)", at: range)
        }
        guard (1...31).contains(call.arguments.count), !call.star, !call.distinct else {
            throw failure(.wrongArgumentCount, "GROUPING takes 1 to 31 GROUP BY keys", at: range)
        }
        aggregateCount += 1
        var args: [BoundExpr] = []
        for argument in call.arguments { args.append(try bindExpr(argument, .clause("GROUPING()", context.scope))) }
        return BoundExpr(.grouping(args), type: .integer, nullable: false, range: range)
    }

    /// Fails when a GROUPING() in `expr` names something that is not a GROUP BY key.
    func checkGroupingArguments(_ expr: BoundExpr, keys: [BoundExpr]) throws(BindFailure) {
        if case let .grouping(args) = expr.kind {
            for arg in args where !keys.contains(arg) {
                throw failure(.notGrouped, "GROUPING()'s arguments must be GROUP BY keys", at: arg.range)
            }
            return
        }
        for child in expr.children { try checkGroupingArguments(child, keys: keys) }
    }

    /// Whether `expr` reads one of `keys` outside an aggregate (NULL in the
    /// rows of a grouping set without that key).
    static func readsKey(_ expr: BoundExpr, _ keys: [BoundExpr]) -> Bool {
        if keys.contains(expr) { return true }
        switch expr.kind {
        case .aggregate, .grouping, .exists, .scalarSubquery: return false
        default: return expr.children.contains { readsKey($0, keys) }
        }
    }

    static func containsWindow(_ expr: BoundExpr) -> Bool {
        if case .window = expr.kind { return true }
        return expr.children.contains(where: containsWindow)
    }
}
