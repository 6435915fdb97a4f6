import RockyBase

extension Parser {
    mutating func parseStatement() throws(ParseFailure) -> Statement {
        let start = current.range.start
        let statement = try parseStatementBody()
        // INSERT, UPDATE, DELETE ... RETURNING items: the rows they wrote (or deleted).
        guard atWord("returning") else { return statement }
        switch statement {
        case .insert, .update, .delete:
            _ = bump()
            var items: [SelectItem] = []
            repeat {
                let before = index
                items.append(try parseSelectItem())
                checkProgress(since: before)
            } while eat(.comma)
            return .returning(statement, items: items, range: range(from: start))
        default:
            throw failure("RETURNING is supported after INSERT, UPDATE and DELETE only", code: .unsupportedSyntax)
        }
    }

    private mutating func parseStatementBody() throws(ParseFailure) -> Statement {
        let start = current.range.start
        switch current.keyword {
        case .select, .with, .values:
            return .query(try parseQuery())
        case .create:
            return try parseCreate(start)
        case .insert:
            return try parseInsert(start)
        case .update:
            return try parseUpdate(start)
        case .delete:
            _ = bump()
            try expect(.from)
            let table = try parseName("a table name")
            let alias = try parseOptionalAlias()
            let condition: Expr? = eat(.where) ? try parseExpr() : nil
            return .delete(table: table, alias: alias, whereClause: condition, range: range(from: start))
        case .drop:
            _ = bump()
            try expect(.table)
            var ifExists = false
            if eatWord("if") {
                try expect(.exists)
                ifExists = true
            }
            let name = try parseName("a table name")
            return .dropTable(name: name, ifExists: ifExists, range: range(from: start))
        case .alter:
            return try parseAlter(start)
        default:
            if at(.leftParen) { return .query(try parseQuery()) }
            if atWord("explain") || atWord("pragma") || atWord("attach") || atWord("begin") || atWord("commit")
                || atWord("truncate") || atWord("merge") || atWord("copy") || atWord("grant") || atWord("revoke")
                || atWord("vacuum") || atWord("analyze") || atWord("rollback") || atWord("call") {
                throw failure("\(lexer.text(current.range).uppercased()) is not supported by Rocky", code: .unsupportedSyntax)
            }
            throw failure("expected a statement (SELECT, WITH, CREATE, INSERT, UPDATE, DELETE, DROP or ALTER), found \(describe(current))")
        }
    }

    private mutating func parseCreate(_ start: SourcePosition) throws(ParseFailure) -> Statement {
        _ = bump()
        var orReplace = false
        if eat(.or) {
            try expectWord("replace")
            orReplace = true
        }
        if atWord("temp") || atWord("temporary") || atWord("view") || atWord("index") {
            throw failure("CREATE \(lexer.text(current.range).uppercased()) is not supported; Rocky creates tables only",
                          code: .unsupportedSyntax)
        }
        try expect(.table)
        var ifNotExists = false
        if eatWord("if") {
            try expect(.not)
            try expect(.exists)
            ifNotExists = true
        }
        let name = try parseName("a table name")
        if eat(.as) {
            if ifNotExists { throw failure("IF NOT EXISTS cannot be used with CREATE TABLE ... AS", code: .unsupportedSyntax) }
            let query = try parseQuery()
            return .createTableAs(name: name, orReplace: orReplace, primaryKey: [], query: query, range: range(from: start))
        }
        // `CREATE [OR REPLACE] TABLE t (PRIMARY KEY (a, b)) AS SELECT ...`: the result's key, declared.
        if at(.leftParen), peek().keyword == .primary {
            let keyStart = index
            _ = bump()
            _ = bump()
            try expect(.key)
            let key = try parseNameList()
            if eat(.rightParen), at(.as) {
                _ = bump()
                if ifNotExists { throw failure("IF NOT EXISTS cannot be used with CREATE TABLE ... AS", code: .unsupportedSyntax) }
                let query = try parseQuery()
                return .createTableAs(name: name, orReplace: orReplace, primaryKey: key, query: query, range: range(from: start))
            }
            index = keyStart
        }
        if orReplace { throw failure("expected AS or (PRIMARY KEY (...)) AS after CREATE OR REPLACE TABLE \(name.text)") }
        try expect(.leftParen, "'(' or AS")
        var columns: [ColumnDefinitionSyntax] = []
        var primaryKey: [Identifier] = []
        var constraints: [ConstraintSyntax] = []
        repeat {
            let before = index
            let constraintStart = current.range.start
            let constraintName = try parseConstraintName()
            if at(.primary) {
                _ = bump()
                try expect(.key)
                primaryKey += try parseNameList()
            } else if (atWord("unique") || atWord("check")) && (constraintName != nil || peek().kind == .leftParen) {
                constraints.append(try parseConstraint(named: constraintName, column: nil, start: constraintStart))
            } else if let constraint = unsupportedConstraint() {
                throw failure("\(constraint) constraints are not supported", code: .unsupportedSyntax)
            } else if constraintName != nil {
                throw failure("expected PRIMARY KEY, UNIQUE or CHECK after CONSTRAINT \(constraintName!.text), found \(describe(current))")
            } else {
                let column = try parseColumnDefinition()
                columns.append(column)
                constraints += column.constraints
            }
            checkProgress(since: before)
        } while eat(.comma)
        try expect(.rightParen, "',' or ')'")
        for column in columns where column.primaryKey { primaryKey.append(column.name) }
        return .createTable(name: name, columns: columns, primaryKey: primaryKey, ifNotExists: ifNotExists,
                            constraints: constraints, range: range(from: start))
    }

    /// `CONSTRAINT name`, or nil when the next clause has no name.
    private mutating func parseConstraintName() throws(ParseFailure) -> Identifier? {
        // `CONSTRAINT name <clause>`; otherwise `constraint` is a column's name.
        let clause = peek(2)
        guard atWord("constraint"), clause.keyword == .primary || clause.keyword == .not || clause.keyword == .null
            || wordMatches(clause, "unique") || wordMatches(clause, "check") else { return nil }
        _ = bump()
        return try parseName("a constraint name")
    }

    /// `UNIQUE [(a, b)]` or `CHECK (condition)`; `column` for a column
    /// constraint (whose UNIQUE takes no list).
    private mutating func parseConstraint(named name: Identifier?, column: Identifier?,
                                          start: SourcePosition) throws(ParseFailure) -> ConstraintSyntax {
        if eatWord("unique") {
            if let column { return ConstraintSyntax(name: name, kind: .unique([column]), column: column, range: range(from: start)) }
            let columns = try parseNameList()
            return ConstraintSyntax(name: name, kind: .unique(columns), column: nil, range: range(from: start))
        }
        try expectWord("check")
        try expect(.leftParen, "'(' after CHECK")
        let condition = try parseExpr()
        try expect(.rightParen, "')'")
        return ConstraintSyntax(name: name, kind: .check(condition, text: lexer.text(condition.range)), column: column,
                                range: range(from: start))
    }

    mutating func parseColumnDefinition() throws(ParseFailure) -> ColumnDefinitionSyntax {
        let start = current.range.start
        let name = try parseName("a column name")
        let type = try parseTypeName()
        var notNull = false
        var primaryKey = false
        var defaultValue: (expr: Expr, text: String)?
        var constraints: [ConstraintSyntax] = []
        while true {
            let before = index
            let clauseStart = current.range.start
            let constraintName = try parseConstraintName()
            if eat(.not) {
                try expect(.null)
                notNull = true
            } else if eat(.null) {
                notNull = false
            } else if eat(.primary) {
                try expect(.key)
                primaryKey = true
                notNull = true
            } else if constraintName == nil, atWord("default") {
                let keyword = bump()
                guard defaultValue == nil else { throw failure("column '\(name.text)' has two DEFAULTs", at: keyword.range) }
                let value = try parseDefaultExpr()
                defaultValue = (value, lexer.text(value.range))
            } else if atWord("unique") || atWord("check") {
                constraints.append(try parseConstraint(named: constraintName, column: name, start: clauseStart))
            } else if let constraint = unsupportedConstraint() {
                throw failure("\(constraint) is not supported in CREATE TABLE", code: .unsupportedSyntax)
            } else if let constraintName {
                throw failure("expected NOT NULL, PRIMARY KEY, UNIQUE or CHECK after CONSTRAINT \(constraintName.text), found \(describe(current))")
            } else {
                break
            }
            checkProgress(since: before)
        }
        return ColumnDefinitionSyntax(name: name, type: type, notNull: notNull, primaryKey: primaryKey,
                                      range: range(from: start), defaultValue: defaultValue, constraints: constraints)
    }

    /// A column or table constraint Rocky does not support, by its SQL name.
    private func unsupportedConstraint() -> String? {
        guard at(.identifier) else { return nil }
        switch lexer.text(current.range).lowercased() {
        case "references": return "REFERENCES"
        case "foreign": return "FOREIGN KEY"
        case "generated": return "GENERATED"
        case "collate": return "COLLATE"
        default: return nil
        }
    }

    private mutating func parseInsert(_ start: SourcePosition) throws(ParseFailure) -> Statement {
        _ = bump()
        try expect(.into)
        let table = try parseName("a table name")
        var columns: [Identifier] = []
        if at(.leftParen) && !(peek().keyword == .select || peek().keyword == .with) {
            columns = try parseNameList()
        }
        guard at(.values) || at(.select) || at(.with) || at(.leftParen) else {
            throw failure("expected VALUES or a query, found \(describe(current))")
        }
        let source = try parseQuery()
        return .insert(table: table, columns: columns, source: source, range: range(from: start))
    }

    private mutating func parseUpdate(_ start: SourcePosition) throws(ParseFailure) -> Statement {
        _ = bump()
        let table = try parseName("a table name")
        let alias = at(.set) ? nil : try parseOptionalAlias()
        try expect(.set)
        var assignments: [Assignment] = []
        repeat {
            let before = index
            let column = try parseName("a column name")
            try expect(.equal, "'='")
            assignments.append(Assignment(column: column, value: try parseExpr()))
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
        return .update(table: table, alias: alias, assignments: assignments, from: from, whereClause: condition, range: range(from: start))
    }

    private mutating func parseAlter(_ start: SourcePosition) throws(ParseFailure) -> Statement {
        _ = bump()
        try expect(.table)
        let name = try parseName("a table name")
        let action: AlterAction
        if at(.add) || at(.drop), wordMatches(peek(), "constraint")
            || at(.add) && (wordMatches(peek(), "unique") || wordMatches(peek(), "check") || peek().keyword == .primary) {
            let verb = at(.add) ? "ADD" : "DROP"
            _ = bump()
            throw failure("ALTER TABLE \(verb) CONSTRAINT is not supported; declare UNIQUE and CHECK in CREATE TABLE",
                          code: .unsupportedSyntax)
        }
        if eat(.add) {
            _ = eatWord("column")
            action = .addColumn(try parseColumnDefinition())
        } else if eat(.drop) {
            _ = eatWord("column")
            var ifExists = false
            if eatWord("if") {
                try expect(.exists)
                ifExists = true
            }
            action = .dropColumn(try parseName("a column name"), ifExists: ifExists)
        } else if eatWord("rename") {
            guard eatWord("column") || atName, !atWord("to") else {
                throw failure("expected RENAME COLUMN old TO new (renaming tables is not supported)", code: .unsupportedSyntax)
            }
            let old = try parseName("a column name")
            try expectWord("to")
            action = .renameColumn(old, to: try parseName("a column name"))
        } else {
            throw failure("expected ADD, DROP or RENAME, found \(describe(current))")
        }
        return .alterTable(name: name, action: action, range: range(from: start))
    }

    /// `[AS] alias`, where a bare alias is any name that is not a reserved word.
    mutating func parseOptionalAlias() throws(ParseFailure) -> Identifier? {
        if eat(.as) { return try parseName("an alias") }
        if atName && !isClauseWord { return try parseName() }
        return nil
    }

    /// Unreserved words that still cannot start an alias because a clause follows.
    var isClauseWord: Bool {
        atWord("window") || atWord("qualify") || atWord("natural") || atWord("lateral") || atWord("returning")
            || atWord("fetch") || atWord("tablesample") || atWord("collate") || atWord("ilike") || atWord("similar")
            || atWord("for") && ["update", "share", "no", "key"].contains(where: { wordMatches(peek(), $0) || peek().keyword?.rawValue == $0 })
    }
}
