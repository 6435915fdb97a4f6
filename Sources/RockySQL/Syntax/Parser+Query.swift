import RockyBase

extension Parser {
    /// `[WITH ctes] body [ORDER BY ...] [LIMIT n] [OFFSET n]`.
    mutating func parseQuery() throws(ParseFailure) -> QueryExpr {
        try enter()
        defer { leave() }
        let start = current.range.start
        var ctes: [CommonTableExpr] = []
        var recursive = false
        if eat(.with) {
            recursive = eatWord("recursive")
            repeat {
                let before = index
                let cteStart = current.range.start
                let name = try parseName("a CTE name")
                let columns = at(.leftParen) ? try parseNameList() : []
                try expect(.as)
                try expect(.leftParen, "'('")
                let query = try parseQuery()
                try expect(.rightParen, "')'")
                ctes.append(CommonTableExpr(name: name, columnNames: columns, query: query, range: range(from: cteStart)))
                checkProgress(since: before)
            } while eat(.comma)
        }
        let body = try parseSetExpression()
        var orderBy: [OrderItem] = []
        if eat(.order) {
            try expect(.by)
            orderBy = try parseOrderItems()
        }
        var limit: Expr?
        var offset: Expr?
        if eat(.limit) { limit = try parseExpr() }
        if eat(.offset) {
            offset = try parseExpr()
            _ = eatWord("rows") || eatWord("row")
        }
        if limit == nil && eat(.limit) { limit = try parseExpr() }
        if limit == nil && atWord("fetch") && (wordMatches(peek(), "first") || wordMatches(peek(), "next")) {
            limit = try parseFetchFirst()
        }
        return QueryExpr(ctes: ctes, body: body, orderBy: orderBy, limit: limit, offset: offset, range: range(from: start),
                         recursive: recursive)
    }

    /// `FETCH {FIRST | NEXT} [n] {ROW | ROWS} ONLY`, the standard's LIMIT n
    /// (n defaults to 1); `WITH TIES` is not supported.
    private mutating func parseFetchFirst() throws(ParseFailure) -> Expr {
        _ = bump()
        _ = bump()
        var count = Expr(kind: .literal(.integer("1")), range: current.range, height: 1)
        if !atWord("row") && !atWord("rows") { count = try parseExpr() }
        if !eatWord("rows") { try expectWord("row") }
        if atWord("with") || at(.with) {
            throw failure("FETCH ... WITH TIES is not supported", code: .unsupportedSyntax)
        }
        try expectWord("only")
        return count
    }

    /// UNION and EXCEPT chain INTERSECT terms, left to right; INTERSECT binds tighter.
    private mutating func parseSetExpression() throws(ParseFailure) -> QueryBody {
        let start = current.range.start
        var left = try parseSetTerm()
        var operands = 1
        while at(.union) || at(.except) {
            let before = index
            operands += 1
            if operands > Parser.maxSetOperands {
                throw failure("more than \(Parser.maxSetOperands) set operation operands in one chain", code: .nestingTooDeep)
            }
            let op: SetOperator = bump().keyword == .union ? .union : .except
            let all = eat(.all)
            if !all { _ = eat(.distinct) }
            let right = try parseSetTerm()
            left = .setOperation(op, all: all, left, right, range: range(from: start))
            checkProgress(since: before)
        }
        return left
    }

    private mutating func parseSetTerm() throws(ParseFailure) -> QueryBody {
        let start = current.range.start
        var left = try parseSetPrimary()
        var operands = 1
        while at(.intersect) {
            let before = index
            operands += 1
            if operands > Parser.maxSetOperands {
                throw failure("more than \(Parser.maxSetOperands) set operation operands in one chain", code: .nestingTooDeep)
            }
            _ = bump()
            let all = eat(.all)
            if !all { _ = eat(.distinct) }
            let right = try parseSetPrimary()
            left = .setOperation(.intersect, all: all, left, right, range: range(from: start))
            checkProgress(since: before)
        }
        return left
    }

    private mutating func parseSetPrimary() throws(ParseFailure) -> QueryBody {
        if at(.select) { return .select(try parseSelectCore()) }
        if at(.values) { return try parseValues() }
        if at(.leftParen) {
            _ = bump()
            let query = try parseQuery()
            try expect(.rightParen, "')'")
            return .nested(query)
        }
        throw failure("expected SELECT, VALUES or '(', found \(describe(current))")
    }

    private mutating func parseValues() throws(ParseFailure) -> QueryBody {
        let start = current.range.start
        try expect(.values)
        var rows: [[Expr]] = []
        repeat {
            let before = index
            try expect(.leftParen, "'('")
            var row: [Expr] = []
            repeat {
                let item = index
                if atWord("default"), peek().kind == .comma || peek().kind == .rightParen {
                    // `DEFAULT` as a value: the column's default (INSERT ... VALUES only).
                    let token = bump()
                    row.append(Expr(kind: .literal(.columnDefault), range: token.range, height: 1))
                } else {
                    row.append(try parseExpr())
                }
                checkProgress(since: item)
            } while eat(.comma)
            rows.append(row)
            try expect(.rightParen, "')'")
            checkProgress(since: before)
        } while eat(.comma)
        return .values(rows, range: range(from: start))
    }

    private mutating func parseSelectCore() throws(ParseFailure) -> SelectCore {
        let start = current.range.start
        try expect(.select)
        var distinct = false
        var distinctOn: [Expr] = []
        if eat(.distinct) {
            if eat(.on) || eatWord("on") {
                try expect(.leftParen, "'('")
                distinctOn = try parseExprList()
                try expect(.rightParen, "')'")
            } else {
                distinct = true
            }
        } else {
            _ = eat(.all)
        }
        var items: [SelectItem] = []
        repeat {
            let before = index
            items.append(try parseSelectItem())
            checkProgress(since: before)
        } while eat(.comma)
        var from: [TableRef] = []
        if eat(.from) {
            repeat {
                let before = index
                from.append(try parseTableRef())
                checkProgress(since: before)
            } while eat(.comma)
        }
        let condition: Expr? = eat(.where) ? try parseExpr() : nil
        var groupBy: [Expr] = []
        var groupingSets: [[Expr]]?
        if eat(.group) {
            try expect(.by)
            (groupBy, groupingSets) = try parseGroupBy()
        }
        let having: Expr? = eat(.having) ? try parseExpr() : nil
        var windows: [NamedWindow] = []
        if eatWord("window") {
            repeat {
                let before = index
                let name = try parseName("a window name")
                try expect(.as)
                guard at(.leftParen) else { throw failure("expected '(' after WINDOW \(name.text) AS, found \(describe(current))") }
                windows.append(NamedWindow(name: name, spec: try parseWindowSpec()))
                checkProgress(since: before)
            } while eat(.comma)
        }
        let qualify: Expr? = eatWord("qualify") ? try parseExpr() : nil
        return SelectCore(distinct: distinct, items: items, from: from, whereClause: condition, groupBy: groupBy,
                          having: having, range: range(from: start), windows: windows, qualify: qualify,
                          distinctOn: distinctOn, groupingSets: groupingSets)
    }

    /// The most grouping sets one GROUP BY may expand to (CUBE of n keys is 2^n sets).
    static let maxGroupingSets = 4096

    /// `GROUP BY` items: expressions, or (with any of ROLLUP, CUBE, GROUPING
    /// SETS or `()`) the grouping sets they mean, the cross product of the items'.
    private mutating func parseGroupBy() throws(ParseFailure) -> ([Expr], [[Expr]]?) {
        var elements: [[[Expr]]] = []
        var plain = true
        repeat {
            let before = index
            if let sets = try parseGroupingElement(nested: false) {
                plain = false
                elements.append(sets)
            } else {
                elements.append([[try parseExpr()]])
            }
            checkProgress(since: before)
        } while eat(.comma)
        if plain { return (elements.map { $0[0][0] }, nil) }
        var product: [[Expr]] = [[]]
        for sets in elements {
            guard product.count * sets.count <= Parser.maxGroupingSets else {
                throw failure("GROUP BY expands to more than \(Parser.maxGroupingSets) grouping sets", code: .unsupportedSyntax)
            }
            product = product.flatMap { prefix in sets.map { prefix + $0 } }
        }
        return ([], product)
    }

    /// `ROLLUP (...)`, `CUBE (...)`, `GROUPING SETS (...)` or `()` as its
    /// grouping sets; nil (nothing consumed) for anything else. Inside
    /// GROUPING SETS (`nested`) a parenthesized list is one set.
    private mutating func parseGroupingElement(nested: Bool) throws(ParseFailure) -> [[Expr]]? {
        if at(.leftParen) && (peek().kind == .rightParen || nested) {
            return [try parseGroupingList()]
        }
        let isRollup = atWord("rollup") && peek().kind == .leftParen, isCube = atWord("cube") && peek().kind == .leftParen
        if isRollup || isCube {
            _ = bump()
            try expect(.leftParen, "'('")
            var parts: [[Expr]] = []
            repeat {
                parts.append(at(.leftParen) ? try parseGroupingList() : [try parseExpr()])
            } while eat(.comma)
            try expect(.rightParen, "')'")
            if isRollup {
                return (0...parts.count).reversed().map { n in parts.prefix(n).flatMap { $0 } }
            }
            guard parts.count <= 12 else { throw failure("CUBE of more than 12 items is not supported", code: .unsupportedSyntax) }
            return (0..<(1 << parts.count)).reversed().map { mask in
                parts.indices.filter { mask & (1 << (parts.count - 1 - $0)) != 0 }.flatMap { parts[$0] }
            }
        }
        if atWord("grouping") && wordMatches(peek(), "sets") {
            _ = bump()
            _ = bump()
            try expect(.leftParen, "'('")
            var sets: [[Expr]] = []
            repeat {
                let before = index
                if let inner = try parseGroupingElement(nested: true) {
                    sets += inner
                } else {
                    sets.append([try parseExpr()])
                }
                guard sets.count <= Parser.maxGroupingSets else {
                    throw failure("GROUP BY expands to more than \(Parser.maxGroupingSets) grouping sets", code: .unsupportedSyntax)
                }
                checkProgress(since: before)
            } while eat(.comma)
            try expect(.rightParen, "')'")
            return sets
        }
        return nil
    }

    /// `(a, b)` or `()`: one grouping set's expressions.
    private mutating func parseGroupingList() throws(ParseFailure) -> [Expr] {
        try expect(.leftParen, "'('")
        if eat(.rightParen) { return [] }
        let list = try parseExprList()
        try expect(.rightParen, "')'")
        return list
    }

    mutating func parseSelectItem() throws(ParseFailure) -> SelectItem {
        if at(.star) { return .star(bump().range) }
        if atName && peek().kind == .dot && peek(2).kind == .star {
            let start = current.range.start
            let qualifier = try parseName()
            _ = bump()
            _ = bump()
            return .qualifiedStar(qualifier, range(from: start))
        }
        let expr = try parseExpr()
        let alias = try parseOptionalAlias()
        return .expr(expr, alias: alias)
    }

    mutating func parseOrderItems() throws(ParseFailure) -> [OrderItem] {
        var items: [OrderItem] = []
        repeat {
            let before = index
            let start = current.range.start
            let expr = try parseExpr()
            var descending = false
            if eat(.desc) { descending = true } else { _ = eat(.asc) }
            var nullsFirst: Bool?
            if eatWord("nulls") {
                if eatWord("first") { nullsFirst = true } else {
                    try expectWord("last")
                    nullsFirst = false
                }
            }
            items.append(OrderItem(expr: expr, descending: descending, nullsFirst: nullsFirst, range: range(from: start)))
            checkProgress(since: before)
        } while eat(.comma)
        return items
    }

    // MARK: FROM

    mutating func parseTableRef() throws(ParseFailure) -> TableRef {
        let start = current.range.start
        var left = try parseTablePrimary()
        while true {
            let before = index
            var natural: SourceRange?
            if atWord("natural") {
                natural = bump().range
                if at(.cross) { throw failure("NATURAL CROSS JOIN is not valid SQL") }
            }
            let kind: JoinKind
            if eat(.join) {
                kind = .inner
            } else if eat(.inner) {
                try expect(.join)
                kind = .inner
            } else if at(.left) || at(.right) || at(.full) {
                let word = bump().keyword!
                _ = eat(.outer)
                try expect(.join)
                kind = word == .left ? .left : word == .right ? .right : .full
            } else if eat(.cross) {
                try expect(.join)
                kind = .cross
            } else {
                if natural != nil { throw failure("expected JOIN after NATURAL, found \(describe(current))") }
                return left
            }
            let right = try parseTablePrimary()
            var condition = JoinCondition.none
            if let natural {
                condition = .natural(natural)
            } else if kind != .cross {
                if eat(.on) {
                    condition = .on(try parseExpr())
                } else if eat(.using) {
                    condition = .using(try parseNameList())
                } else {
                    throw failure("expected ON or USING after the joined table, found \(describe(current))")
                }
            }
            left = .join(left, kind, right, condition, range: range(from: start))
            checkProgress(since: before)
        }
    }

    private mutating func parseTablePrimary() throws(ParseFailure) -> TableRef {
        let start = current.range.start
        if at(.leftParen) {
            try enter()
            defer { leave() }
            let next = peek()
            if next.keyword == .select || next.keyword == .with || next.keyword == .values || next.kind == .leftParen && isQueryAhead() {
                _ = bump()
                let query = try parseQuery()
                try expect(.rightParen, "')'")
                let alias = try parseOptionalAlias()
                let columns = alias != nil && at(.leftParen) ? try parseNameList() : []
                return .subquery(query, alias: alias, columnNames: columns, range: range(from: start))
            }
            _ = bump()
            let inner = try parseTableRef()
            try expect(.rightParen, "')'")
            return inner
        }
        let name = try parseName("a table name")
        if at(.dot) {
            throw failure("qualified table names are not supported: Rocky tables have one-part names", code: .unsupportedSyntax)
        }
        if name.key == "lateral" && !name.quoted && (at(.leftParen) || atName) {
            throw failure("LATERAL is not supported", at: name.range, code: .unsupportedSyntax)
        }
        if at(.leftParen) {
            guard !name.quoted, name.key == "rocky_diff" else {
                throw failure("table functions are not supported (except rocky_diff('<from>', '<to>', '<table>'))", code: .unsupportedSyntax)
            }
            _ = bump()
            var arguments: [String] = []
            repeat {
                guard at(.string) else {
                    throw failure("rocky_diff takes three quoted arguments: rocky_diff('<from>', '<to>', '<table>'), found \(describe(current))")
                }
                arguments.append(lexer.unquoted(bump()))
            } while eat(.comma)
            guard arguments.count == 3 else {
                throw failure("rocky_diff takes three quoted arguments: rocky_diff('<from>', '<to>', '<table>')")
            }
            try expect(.rightParen, "')'")
            let alias = try parseOptionalAlias()
            return .history(.diff(from: arguments[0], to: arguments[1], table: arguments[2]), name: name, alias: alias,
                            range: range(from: start))
        }
        // `t AS OF '<rev>'` (a bare alias `of` stays an alias: a revision string follows AS OF).
        if at(.as), peek().kind == .identifier, wordMatches(peek(), "of"), peek(2).kind == .string {
            _ = bump()
            _ = bump()
            let revision = lexer.unquoted(bump())
            guard !revision.isEmpty else { throw failure("AS OF needs a revision: a commit, branch, tag or branch@{time}") }
            let alias = try parseOptionalAlias()
            return .history(.asOf(table: name.text, revision: revision), name: name, alias: alias, range: range(from: start))
        }
        let alias = try parseOptionalAlias()
        return .table(name: name, alias: alias, range: range(from: start))
    }

    /// After `(`, whether a run of `(` leads to a query rather than a join.
    private func isQueryAhead() -> Bool {
        var ahead = 1
        while peek(ahead).kind == .leftParen { ahead += 1 }
        let token = peek(ahead)
        return token.keyword == .select || token.keyword == .with || token.keyword == .values
    }
}
