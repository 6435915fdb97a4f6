import RockyBase

/// Binding strength of binary operators: OR 1, AND 2, NOT 3 (prefix),
/// comparisons with IS, IN, BETWEEN and LIKE 4, `||` 5, `+ -` 6, `* / %` 7.
private enum Precedence {
    static let or = 1, and = 2, not = 3, comparison = 4, concat = 5, additive = 6, multiplicative = 7
}

extension Parser {
    mutating func parseExpr() throws(ParseFailure) -> Expr {
        try parseBinary(minimum: Precedence.or)
    }

    /// A column's DEFAULT: an expression without comparisons, NOT, AND or OR
    /// (PostgreSQL's rule), so that `DEFAULT 0 NOT NULL` reads as two clauses.
    mutating func parseDefaultExpr() throws(ParseFailure) -> Expr {
        try parseBinary(minimum: Precedence.concat)
    }

    mutating func parseExprList() throws(ParseFailure) -> [Expr] {
        var exprs: [Expr] = []
        repeat {
            let before = index
            exprs.append(try parseExpr())
            checkProgress(since: before)
        } while eat(.comma)
        return exprs
    }

    private func node(_ kind: Expr.Kind, _ range: SourceRange, _ children: Expr...) throws(ParseFailure) -> Expr {
        var height = 0
        for child in children where child.height > height { height = child.height }
        return try node(kind, range, height: height + 1)
    }

    private func node(_ kind: Expr.Kind, _ range: SourceRange, height: Int) throws(ParseFailure) -> Expr {
        guard height <= Parser.maxHeight else {
            throw failure("expression nested deeper than \(Parser.maxHeight) levels", at: range, code: .nestingTooDeep)
        }
        return Expr(kind: kind, range: range, height: height)
    }

    private func binaryOperator() -> (BinaryOperator, Int)? {
        switch current.kind {
        case .plus: (.add, Precedence.additive)
        case .minus: (.subtract, Precedence.additive)
        case .star: (.multiply, Precedence.multiplicative)
        case .slash: (.divide, Precedence.multiplicative)
        case .percent: (.modulo, Precedence.multiplicative)
        case .concat: (.concat, Precedence.concat)
        case .equal: (.equal, Precedence.comparison)
        case .notEqual: (.notEqual, Precedence.comparison)
        case .less: (.less, Precedence.comparison)
        case .lessEqual: (.lessEqual, Precedence.comparison)
        case .greater: (.greater, Precedence.comparison)
        case .greaterEqual: (.greaterEqual, Precedence.comparison)
        default: nil
        }
    }

    /// Precedence climbing: operands are unary expressions; each loop turn
    /// consumes an operator, so the loop always makes progress.
    private mutating func parseBinary(minimum: Int) throws(ParseFailure) -> Expr {
        var left = try parseUnary()
        while true {
            let before = index
            if let (op, precedence) = binaryOperator() {
                guard precedence >= minimum else { return left }
                _ = bump()
                if op.isComparison && (at(.all) || (atWord("any") || atWord("some")) && peek().kind == .leftParen) {
                    throw failure("comparisons with \(lexer.text(current.range).uppercased()) (...) are not supported; use IN, EXISTS or MIN/MAX in a subquery",
                                  code: .unsupportedSyntax)
                }
                let right = try parseBinary(minimum: precedence + 1)
                left = try node(.binary(op, left, right), left.range.union(right.range), left, right)
            } else if at(.and) || at(.or) {
                let op: LogicalOperator = at(.and) ? .and : .or
                let precedence = op == .and ? Precedence.and : Precedence.or
                guard precedence >= minimum else { return left }
                _ = bump()
                let right = try parseBinary(minimum: precedence + 1)
                let range = left.range.union(right.range)
                if case let .logical(existing, terms) = left.kind, existing == op {
                    left = try node(.logical(op, terms + [right]), range, height: max(left.height, right.height + 1))
                } else {
                    left = try node(.logical(op, [left, right]), range, left, right)
                }
            } else if Precedence.comparison >= minimum, let predicate = try parsePredicateSuffix(left) {
                left = predicate
            } else {
                return left
            }
            checkProgress(since: before)
        }
    }

    /// `IS [NOT] NULL`, `[NOT] IN (...)`, `[NOT] BETWEEN a AND b`, `[NOT] LIKE p`
    /// after `left`, or nil when none follows.
    private mutating func parsePredicateSuffix(_ left: Expr) throws(ParseFailure) -> Expr? {
        if at(.is) {
            _ = bump()
            let negated = eat(.not)
            if at(.true) || at(.false) {
                return try truthTest(left, value: bump().keyword == .true, negated: negated)
            }
            if at(.distinct) {
                _ = bump()
                try expect(.from)
                let right = try parseBinary(minimum: Precedence.comparison + 1)
                return try distinctTest(left, right, negated: negated)
            }
            if atWord("unknown") {
                throw failure("IS \(negated ? "NOT " : "")UNKNOWN is not supported; use IS \(negated ? "NOT " : "")NULL",
                              code: .unsupportedSyntax)
            }
            try expect(.null)
            return try node(.isNull(left, negated: negated), range(from: left.range.start), left)
        }
        if atWord("ilike") || atWord("similar") || at(.not) && (wordMatches(peek(), "ilike") || wordMatches(peek(), "similar")) {
            let word = at(.not) ? peek() : current
            let construct = wordMatches(word, "ilike") ? "ILIKE" : "SIMILAR TO"
            throw failure("\(at(.not) ? "NOT " : "")\(construct) is not supported; use LIKE (with LOWER for ILIKE)",
                          at: word.range, code: .unsupportedSyntax)
        }
        var negated = false
        if at(.not) {
            let next = peek().keyword
            guard next == .in || next == .between || next == .like else { return nil }
            _ = bump()
            negated = true
        }
        if eat(.in) {
            try expect(.leftParen, "'('")
            if at(.select) || at(.with) {
                try enter()
                defer { leave() }
                let query = try parseQuery()
                try expect(.rightParen, "')'")
                return try node(.inSubquery(left, query, negated: negated), range(from: left.range.start), left)
            }
            let list = try parseExprList()
            try expect(.rightParen, "')'")
            let height = list.reduce(left.height) { max($0, $1.height) } + 1
            return try node(.inList(left, list, negated: negated), range(from: left.range.start), height: height)
        }
        if eat(.between) {
            let low = try parseBinary(minimum: Precedence.concat)
            try expect(.and)
            let high = try parseBinary(minimum: Precedence.concat)
            return try node(.between(left, low, high, negated: negated), range(from: left.range.start), left, low, high)
        }
        if eat(.like) {
            let pattern = try parseBinary(minimum: Precedence.concat)
            guard atWord("escape") else {
                return try node(.like(left, pattern, negated: negated, escape: nil), range(from: left.range.start), left, pattern)
            }
            _ = bump()
            let escape = try parseBinary(minimum: Precedence.concat)
            return try node(.like(left, pattern, negated: negated, escape: escape), range(from: left.range.start),
                            left, pattern, escape)
        }
        if negated { throw failure("expected IN, BETWEEN or LIKE after NOT") }
        return nil
    }

    /// `x IS [NOT] TRUE | FALSE` (never NULL), written as what it means:
    /// `COALESCE(x, FALSE)`, with `NOT x` for FALSE and a `NOT` around it
    /// for NOT. Every later stage (types, lineage, each dialect) handles it
    /// as that expression.
    private func truthTest(_ value: Expr, value truth: Bool, negated: Bool) throws(ParseFailure) -> Expr {
        let whole = range(from: value.range.start)
        let operand = truth ? value : try node(.unary(.not, value), value.range, value)
        let no = try node(.literal(.boolean(false)), whole, height: 1)
        let name = Identifier("coalesce", quoted: false, range: whole)
        let call = FunctionCall(name: name, arguments: [operand, no], distinct: false, star: false, over: nil)
        let test = try node(.function(call), whole, operand)
        return negated ? try node(.unary(.not, test), whole, test) : test
    }

    /// `a IS [NOT] DISTINCT FROM b` (NULL is not distinct from NULL, and
    /// distinct from every value), written as the CASE it means:
    /// `CASE WHEN a IS NULL THEN b IS [NOT] NULL WHEN b IS NULL THEN TRUE|FALSE ELSE a <> | = b END`.
    private func distinctTest(_ a: Expr, _ b: Expr, negated: Bool) throws(ParseFailure) -> Expr {
        let whole = range(from: a.range.start)
        let aNull = try node(.isNull(a, negated: false), a.range, a)
        let bNull = try node(.isNull(b, negated: false), b.range, b)
        let bNotNull = try node(.isNull(b, negated: !negated), b.range, b)
        let known = try node(.literal(.boolean(!negated)), whole, height: 1)
        let compare = try node(.binary(negated ? .equal : .notEqual, a, b), whole, a, b)
        return try node(.caseWhen(operand: nil, branches: [(aNull, bNotNull), (bNull, known)], otherwise: compare), whole,
                        aNull, bNull, compare)
    }

    private mutating func parseUnary() throws(ParseFailure) -> Expr {
        let start = current.range.start
        if at(.not) || at(.minus) || at(.plus) {
            let token = bump()
            try enter()
            defer { leave() }
            let op: UnaryOperator = token.kind == .minus ? .negate : token.kind == .plus ? .plus : .not
            let operand = op == .not ? try parseBinary(minimum: Precedence.comparison) : try parseUnary()
            return try node(.unary(op, operand), range(from: start), operand)
        }
        var expr = try parsePrimary()
        while at(.doubleColon) {
            let before = index
            _ = bump()
            let type = try parseTypeName()
            expr = try node(.cast(expr, type), range(from: start), expr)
            checkProgress(since: before)
        }
        return expr
    }

    private mutating func parsePrimary() throws(ParseFailure) -> Expr {
        let token = current
        let start = token.range.start
        switch token.kind {
        case .integer:
            _ = bump()
            return try node(.literal(.integer(lexer.text(token.range))), token.range, height: 1)
        case .decimal:
            _ = bump()
            return try node(.literal(.decimal(lexer.text(token.range))), token.range, height: 1)
        case .float:
            _ = bump()
            return try node(.literal(.float(lexer.text(token.range))), token.range, height: 1)
        case .string:
            _ = bump()
            return try node(.literal(.string(lexer.unquoted(token))), token.range, height: 1)
        case .leftParen:
            _ = bump()
            try enter()
            defer { leave() }
            if at(.select) || at(.with) || at(.values) {
                let query = try parseQuery()
                try expect(.rightParen, "')'")
                return try node(.subquery(query), range(from: start), height: 1)
            }
            let inner = try parseExpr()
            if at(.comma) {
                var row = [inner]
                while eat(.comma) { row.append(try parseExpr()) }
                try expect(.rightParen, "')'")
                return try parseRowComparison(row, start: start)
            }
            try expect(.rightParen, "')'")
            var wrapped = inner
            wrapped.range = range(from: start)
            return wrapped
        case .keyword:
            return try parseKeywordPrimary(token)
        case .identifier, .quotedIdentifier:
            return try parseNamePrimary()
        default:
            throw failure("expected an expression, found \(describe(token))")
        }
    }

    /// A row value `(a, b, ...)` and what it is compared with: `= (x, y)`,
    /// `<> (x, y)` or `[NOT] IN ((x, y), ...)`, written as what they mean
    /// (`a = x AND b = y`, its NOT, an OR of those), with SQL's NULL logic.
    private mutating func parseRowComparison(_ row: [Expr], start: SourcePosition) throws(ParseFailure) -> Expr {
        let rowRange = range(from: start)
        func unsupported() -> ParseFailure {
            failure("row values such as (a, b) are supported only in =, <> and [NOT] IN (...) with a list of rows",
                    at: rowRange, code: .unsupportedSyntax)
        }
        func parseRow() throws(ParseFailure) -> [Expr] {
            try expect(.leftParen, "'(' of a row")
            if at(.select) || at(.with) { throw unsupported() }
            let values = try parseExprList()
            try expect(.rightParen, "')'")
            guard values.count == row.count else {
                throw failure("a row of \(values.count) values compared with a row of \(row.count)", at: range(from: start))
            }
            return values
        }
        func equal(_ values: [Expr]) throws(ParseFailure) -> Expr {
            var terms: [Expr] = []
            for (a, b) in zip(row, values) { terms.append(try node(.binary(.equal, a, b), a.range.union(b.range), a, b)) }
            return try node(.logical(.and, terms), range(from: start), height: terms.map(\.height).max()! + 1)
        }
        if at(.equal) || at(.notEqual) {
            let negated = bump().kind == .notEqual
            let test = try equal(try parseRow())
            return negated ? try node(.unary(.not, test), range(from: start), test) : test
        }
        let negated = at(.not) && peek().keyword == .in
        if negated { _ = bump() }
        guard eat(.in) else { throw unsupported() }
        try expect(.leftParen, "'('")
        if at(.select) || at(.with) { throw unsupported() }
        var alternatives: [Expr] = []
        repeat {
            let before = index
            alternatives.append(try equal(try parseRow()))
            checkProgress(since: before)
        } while eat(.comma)
        try expect(.rightParen, "')'")
        let any = alternatives.count == 1 ? alternatives[0]
            : try node(.logical(.or, alternatives), range(from: start), height: alternatives.map(\.height).max()! + 1)
        return negated ? try node(.unary(.not, any), range(from: start), any) : any
    }

    private mutating func parseKeywordPrimary(_ token: Token) throws(ParseFailure) -> Expr {
        let start = token.range.start
        switch token.keyword! {
        case .null:
            _ = bump()
            return try node(.literal(.null), token.range, height: 1)
        case .true, .false:
            _ = bump()
            return try node(.literal(.boolean(token.keyword == .true)), token.range, height: 1)
        case .case:
            return try parseCase()
        case .cast:
            _ = bump()
            try enter()
            defer { leave() }
            try expect(.leftParen, "'('")
            let operand = try parseExpr()
            try expect(.as)
            let type = try parseTypeName()
            try expect(.rightParen, "')'")
            return try node(.cast(operand, type), range(from: start), operand)
        case .exists:
            _ = bump()
            try enter()
            defer { leave() }
            try expect(.leftParen, "'('")
            let query = try parseQuery()
            try expect(.rightParen, "')'")
            return try node(.exists(query), range(from: start), height: 1)
        case .interval:
            _ = bump()
            return try parseInterval(start)
        case .left, .right:
            throw failure("\(token.keyword!.spelling)(...) is not supported; use SUBSTR", code: .unsupportedSyntax)
        default:
            throw failure("expected an expression, found \(describe(token))")
        }
    }

    private mutating func parseInterval(_ start: SourcePosition) throws(ParseFailure) -> Expr {
        let quantity: String
        if at(.string) {
            quantity = lexer.unquoted(bump())
        } else if at(.integer) {
            quantity = lexer.text(bump().range)
        } else if at(.minus), peek().kind == .integer {
            _ = bump()
            quantity = "-" + lexer.text(bump().range)
        } else {
            throw failure("expected the interval's quantity, such as INTERVAL '3' MONTH, found \(describe(current))")
        }
        var unit: String?
        if at(.identifier) {
            let word = lexer.text(current.range).lowercased()
            if IntervalUnit(word) != nil {
                _ = bump()
                unit = word
            }
        }
        return try node(.literal(.interval(quantity: quantity, unit: unit)), range(from: start), height: 1)
    }

    private mutating func parseCase() throws(ParseFailure) -> Expr {
        let start = current.range.start
        try expect(.case)
        try enter()
        defer { leave() }
        let operand: Expr? = at(.when) ? nil : try parseExpr()
        var branches: [(Expr, Expr)] = []
        var height = operand?.height ?? 0
        while eat(.when) {
            let before = index
            let condition = try parseExpr()
            try expect(.then)
            let result = try parseExpr()
            branches.append((condition, result))
            height = max(height, condition.height, result.height)
            checkProgress(since: before)
        }
        if branches.isEmpty { throw failure("expected WHEN, found \(describe(current))") }
        let otherwise: Expr? = eat(.else) ? try parseExpr() : nil
        height = max(height, otherwise?.height ?? 0)
        try expect(.end)
        return try node(.caseWhen(operand: operand, branches: branches, otherwise: otherwise), range(from: start),
                        height: height + 1)
    }

    private mutating func parseNamePrimary() throws(ParseFailure) -> Expr {
        let start = current.range.start
        let first = try parseName()
        if !first.quoted, at(.string), first.key == "date" || first.key == "timestamp" {
            let text = lexer.unquoted(bump())
            let literal: LiteralSyntax = first.key == "date" ? .date(text) : .timestamp(text)
            return try node(.literal(literal), range(from: start), height: 1)
        }
        if at(.leftParen) { return try parseCall(first) }
        if !first.quoted, !at(.dot), ["current_date", "current_timestamp"].contains(first.key) {
            // The statement's recorded time (the binder makes it a literal).
            let call = FunctionCall(name: first, arguments: [], distinct: false, star: false, over: nil)
            return try node(.function(call), first.range, height: 1)
        }
        if !first.quoted, !at(.dot), ["current_time", "localtimestamp", "localtime"].contains(first.key) {
            throw failure("\(first.text.uppercased()) is not supported: a replayed transformation must give the same result",
                          at: first.range, code: .unsupportedSyntax)
        }
        var parts = [first]
        while at(.dot) {
            let before = index
            _ = bump()
            if at(.star) { throw failure("'*' is only allowed as a select item") }
            parts.append(try parseName("a column name"))
            if parts.count > 3 { throw failure("a column name has at most three parts", at: range(from: start)) }
            checkProgress(since: before)
        }
        return try node(.column(parts), range(from: start), height: 1)
    }

    private mutating func parseCall(_ name: Identifier) throws(ParseFailure) -> Expr {
        let start = name.range.start
        try expect(.leftParen, "'('")
        try enter()
        defer { leave() }
        if name.key == "extract" && !name.quoted {
            let field = try parseName("a date part such as YEAR")
            try expect(.from)
            let operand = try parseExpr()
            try expect(.rightParen, "')'")
            return try node(.extract(field: field, operand), range(from: start), operand)
        }
        var call = FunctionCall(name: name, arguments: [], distinct: false, star: false, over: nil)
        if name.key == "position" && !name.quoted {
            // POSITION(needle IN haystack): the 1-based character position, 0 when absent.
            let needle = try parseBinary(minimum: Precedence.concat)
            try expect(.in)
            let haystack = try parseExpr()
            try expect(.rightParen, "')'")
            call.arguments = [needle, haystack]
            return try node(.function(call), range(from: start), needle, haystack)
        }
        if at(.star) {
            _ = bump()
            call.star = true
        } else if !at(.rightParen) {
            if eat(.distinct) { call.distinct = true } else { _ = eat(.all) }
            call.arguments = try parseExprList()
            if at(.order) {
                _ = bump()
                try expect(.by)
                call.orderBy = try parseOrderItems()
            }
        }
        try expect(.rightParen, "')'")
        if atWord("filter") && peek().kind == .leftParen {
            try parseFilter(into: &call)
        }
        if atWord("filter") || atWord("within") {
            throw failure("\(lexer.text(current.range).uppercased()) after a function call is not supported",
                          code: .unsupportedSyntax)
        }
        if eat(.over) { call.over = try parseWindowSpec() }
        var height = 0
        for argument in call.arguments where argument.height > height { height = argument.height }
        for item in call.orderBy where item.expr.height > height { height = item.expr.height }
        return try node(.function(call), range(from: start), height: height + 1)
    }

    /// `agg(x) FILTER (WHERE c)`: the aggregate of the rows where c is true,
    /// written as `agg(CASE WHEN c THEN x END)` (`COUNT(*)`: `COUNT(CASE WHEN c
    /// THEN 1 END)`), which every later stage and dialect handles.
    private mutating func parseFilter(into call: inout FunctionCall) throws(ParseFailure) {
        let aggregates: Set<String> = ["count", "sum", "avg", "min", "max", "stddev", "stddev_samp", "stddev_pop",
                                       "variance", "var_samp", "var_pop"]
        guard aggregates.contains(call.name.key), call.star || call.arguments.count == 1 else {
            throw failure("FILTER is supported on aggregates of one argument only", code: .unsupportedSyntax)
        }
        _ = bump()
        try expect(.leftParen, "'('")
        try expect(.where)
        let condition = try parseExpr()
        try expect(.rightParen, "')'")
        let value = call.star ? Expr(kind: .literal(.integer("1")), range: call.name.range, height: 1) : call.arguments[0]
        let whole = condition.range.union(value.range)
        call.star = false
        call.arguments = [try node(.caseWhen(operand: nil, branches: [(condition, value)], otherwise: nil), whole, condition, value)]
    }

    /// `OVER name`, or `(...)`: `[base] [PARTITION BY ...] [ORDER BY ...] [frame]`.
    mutating func parseWindowSpec() throws(ParseFailure) -> WindowSpec {
        let start = current.range.start
        guard eat(.leftParen) else {
            if atName {
                let name = try parseName("a window name")
                return WindowSpec(partitionBy: [], orderBy: [], frame: nil, range: range(from: start), base: name, bare: true)
            }
            throw failure("expected '(' or a window name after OVER, found \(describe(current))")
        }
        var base: Identifier?
        if atName && !atWord("rows") && !atWord("range") && !atWord("groups") {
            base = try parseName("a window name")
        }
        var partitionBy: [Expr] = []
        var orderBy: [OrderItem] = []
        var frame: FrameSpec?
        if eat(.partition) {
            try expect(.by)
            partitionBy = try parseExprList()
        }
        if eat(.order) {
            try expect(.by)
            orderBy = try parseOrderItems()
        }
        if atWord("rows") || atWord("range") || atWord("groups") {
            frame = try parseFrame()
        }
        try expect(.rightParen, "')'")
        return WindowSpec(partitionBy: partitionBy, orderBy: orderBy, frame: frame, range: range(from: start), base: base)
    }

    private mutating func parseFrame() throws(ParseFailure) -> FrameSpec {
        let start = current.range.start
        let word = lexer.text(bump().range).lowercased()
        let unit: FrameSpec.Unit = word == "rows" ? .rows : word == "range" ? .range : .groups
        var frame: FrameSpec
        if eat(.between) {
            let low = try parseFrameBound()
            try expect(.and)
            let high = try parseFrameBound()
            frame = FrameSpec(unit: unit, start: low, end: high, range: range(from: start))
        } else {
            let low = try parseFrameBound()
            frame = FrameSpec(unit: unit, start: low, end: .currentRow, range: range(from: start))
        }
        if atWord("exclude") { throw failure("EXCLUDE in a window frame is not supported", code: .unsupportedSyntax) }
        return frame
    }

    private mutating func parseFrameBound() throws(ParseFailure) -> FrameSpec.Bound {
        if eatWord("unbounded") {
            if eatWord("preceding") { return .unboundedPreceding }
            try expectWord("following")
            return .unboundedFollowing
        }
        if eatWord("current") {
            try expectWord("row")
            return .currentRow
        }
        let offset = try parseExpr()
        if eatWord("preceding") { return .preceding(offset) }
        try expectWord("following")
        return .following(offset)
    }
}
