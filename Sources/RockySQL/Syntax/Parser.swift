import RockyBase

/// A statement as parsed, with its range and the diagnostics found in it.
struct ParsedStatement: Sendable {
    /// nil when the statement did not parse.
    var statement: Statement?
    var range: SourceRange
    var diagnostics: [Diagnostic]
}

/// The failure that unwinds a statement's parse to the next `;`.
struct ParseFailure: Error {
    var diagnostic: Diagnostic
}

/// A predictable recursive-descent parser for Rocky's SQL.
///
/// One function per syntax node; the primitives are `at`, `eat` and
/// `expect`. A statement stops at its first syntax error, which is reported,
/// and parsing resumes after the next `;`. Two invariants make every input
/// terminate: each loop checks that it consumed a token (`checkProgress`),
/// and recursion is bounded by `maxDepth` nested constructs, so even
/// adversarial input cannot hang the parser or overflow its stack.
struct Parser {
    static let maxDepth = 40
    static let maxHeight = 128
    static let maxSetOperands = 128

    var tokens: [Token]
    var index = 0
    var depth = 0
    let lexer: Lexer

    init(_ text: String) {
        var lexer = Lexer(text)
        tokens = lexer.tokenize()
        self.lexer = lexer
    }

    /// One expression filling all of `text` (a stored DEFAULT or CHECK), or
    /// the first error; ranges are positions in `text`.
    static func parseExpression(_ text: String) throws(ParseFailure) -> Expr {
        var parser = Parser(text)
        if let diagnostic = parser.lexer.diagnostics.first { throw ParseFailure(diagnostic: diagnostic) }
        let expr = try parser.parseExpr()
        guard parser.at(.endOfInput) else { throw parser.failure("expected the end of the expression, found \(parser.describe(parser.current))") }
        return expr
    }

    /// Parses a script of statements separated by `;`.
    static func parseScript(_ text: String) -> [ParsedStatement] {
        var parser = Parser(text)
        return parser.parseScript()
    }

    mutating func parseScript() -> [ParsedStatement] {
        var statements: [ParsedStatement] = []
        var lexical = lexer.diagnostics[...]
        while true {
            while eat(.semicolon) {}
            if at(.endOfInput) { break }
            let before = index
            let start = current.range.start
            var diagnostics: [Diagnostic] = []
            var statement: Statement?
            do throws(ParseFailure) {
                let parsed = try parseStatement()
                if !at(.semicolon) && !at(.endOfInput) {
                    if let construct = unsupportedConstruct() {
                        throw failure("\(construct) is not supported", code: .unsupportedSyntax)
                    }
                    throw failure("expected ';' or the end of the script after the statement")
                }
                statement = parsed
            } catch {
                diagnostics.append(error.diagnostic)
                skipToStatementEnd()
            }
            let end = index > before ? tokens[index - 1].range.end : current.range.end
            let range = SourceRange(start: start, end: end)
            // Lexical problems in the statement's span replace its parse error,
            // which they usually caused.
            var lexicalHere: [Diagnostic] = []
            while let first = lexical.first, first.range.start.offset < end.offset {
                lexicalHere.append(first)
                lexical = lexical.dropFirst()
            }
            if !lexicalHere.isEmpty {
                diagnostics = lexicalHere
                statement = nil
            }
            statements.append(ParsedStatement(statement: statement, range: range, diagnostics: diagnostics))
            checkProgress(since: before)
        }
        if !lexical.isEmpty {
            let range = lexical.first!.range
            statements.append(ParsedStatement(statement: nil, range: range, diagnostics: Array(lexical)))
        }
        return statements
    }

    /// The construct a statement's unexpected next token starts, when it is
    /// SQL that Rocky knows and does not support (named in an E0102 with a
    /// caret there), rather than a typo.
    func unsupportedConstruct() -> String? {
        let word = current.kind == .identifier || current.kind == .keyword ? lexer.text(current.range).lowercased() : ""
        let next = peek().kind == .identifier || peek().kind == .keyword ? lexer.text(peek().range).lowercased() : ""
        switch word {
        case "ilike": return "ILIKE"
        case "similar": return "SIMILAR TO"
        case "collate": return "COLLATE"
        case "for" where ["update", "share", "no", "key"].contains(next): return "FOR \(next.uppercased()) (row locking)"
        case "tablesample": return "TABLESAMPLE"
        case "using": return "USING here (ORDER BY ... USING, DELETE ... USING)"
        case "lateral": return "LATERAL"
        case "within": return "WITHIN GROUP"
        case "filter": return "FILTER"
        case "at" where next == "time": return "AT TIME ZONE"
        case "on" where next == "conflict": return "ON CONFLICT"
        default: return nil
        }
    }

    private mutating func skipToStatementEnd() {
        var parens = 0
        while !at(.endOfInput) {
            if at(.semicolon) && parens <= 0 { return }
            if at(.leftParen) { parens += 1 }
            if at(.rightParen) { parens -= 1 }
            index += 1
        }
    }

    // MARK: Primitives

    var current: Token { tokens[index] }

    func peek(_ ahead: Int = 1) -> Token {
        tokens[min(index + ahead, tokens.count - 1)]
    }

    func at(_ kind: TokenKind) -> Bool { current.kind == kind }

    func at(_ keyword: Keyword) -> Bool { current.keyword == keyword }

    /// Whether the current token is the unreserved word `word` (lowercase).
    func atWord(_ word: String) -> Bool {
        current.kind == .identifier && wordMatches(current, word)
    }

    func wordMatches(_ token: Token, _ word: String) -> Bool {
        let length = token.end - token.start
        guard length == word.utf8.count else { return false }
        var i = token.start
        for w in word.utf8 {
            let b = lexer.bytes[i]
            guard (b >= 65 && b <= 90 ? b + 32 : b) == w else { return false }
            i += 1
        }
        return true
    }

    mutating func bump() -> Token {
        let token = current
        if token.kind != .endOfInput { index += 1 }
        return token
    }

    mutating func eat(_ kind: TokenKind) -> Bool {
        guard at(kind) else { return false }
        index += 1
        return true
    }

    mutating func eat(_ keyword: Keyword) -> Bool {
        guard at(keyword) else { return false }
        index += 1
        return true
    }

    mutating func eatWord(_ word: String) -> Bool {
        guard atWord(word) else { return false }
        index += 1
        return true
    }

    @discardableResult
    mutating func expect(_ kind: TokenKind, _ what: String) throws(ParseFailure) -> Token {
        guard at(kind) else { throw failure("expected \(what), found \(describe(current))") }
        return bump()
    }

    @discardableResult
    mutating func expect(_ keyword: Keyword) throws(ParseFailure) -> Token {
        guard at(keyword) else { throw failure("expected \(keyword.spelling), found \(describe(current))") }
        return bump()
    }

    mutating func expectWord(_ word: String) throws(ParseFailure) {
        guard eatWord(word) else { throw failure("expected \(word.uppercased()), found \(describe(current))") }
    }

    /// Fails unless the loop that started at token `before` consumed a token.
    func checkProgress(since before: Int) {
        precondition(index > before, "parser made no progress at token \(index)")
    }

    /// Enters one level of nesting, failing past `maxDepth`.
    mutating func enter() throws(ParseFailure) {
        depth += 1
        if depth > Parser.maxDepth {
            throw ParseFailure(diagnostic: Diagnostic(
                .nestingTooDeep, "nesting deeper than \(Parser.maxDepth) levels", at: current.range))
        }
    }

    mutating func leave() { depth -= 1 }

    func failure(_ message: String, at range: SourceRange? = nil, code: DiagnosticCode = .unexpectedToken) -> ParseFailure {
        ParseFailure(diagnostic: Diagnostic(code, message, at: range ?? current.range))
    }

    func describe(_ token: Token) -> String {
        switch token.kind {
        case .endOfInput: return "the end of the input"
        case .keyword: return "keyword \(token.keyword!.spelling)"
        case .identifier: return "identifier '\(lexer.text(token.range))'"
        case .quotedIdentifier: return "identifier \(lexer.text(token.range))"
        case .string: return "string \(lexer.text(token.range))"
        case .integer, .decimal, .float: return "number \(lexer.text(token.range))"
        default: return "'\(lexer.text(token.range))'"
        }
    }

    func range(from start: SourcePosition) -> SourceRange {
        let end = index > 0 ? tokens[index - 1].range.end : start
        return SourceRange(start: start, end: max(end, start))
    }

    // MARK: Names

    var atName: Bool { at(.identifier) || at(.quotedIdentifier) }

    mutating func parseName(_ what: String = "a name") throws(ParseFailure) -> Identifier {
        if at(.identifier) {
            let token = bump()
            return Identifier(lexer.text(token.range), quoted: false, range: token.range)
        }
        if at(.quotedIdentifier) {
            let token = bump()
            let text = lexer.unquoted(token)
            if text.isEmpty { throw failure("a quoted name cannot be empty", at: token.range) }
            return Identifier(text, quoted: true, range: token.range)
        }
        if at(.keyword) {
            throw failure("expected \(what), found \(describe(current)) (quote it to use a reserved word as a name)")
        }
        throw failure("expected \(what), found \(describe(current))")
    }

    mutating func parseNameList() throws(ParseFailure) -> [Identifier] {
        try expect(.leftParen, "'('")
        var names: [Identifier] = []
        repeat {
            let before = index
            names.append(try parseName("a column name"))
            checkProgress(since: before)
        } while eat(.comma)
        try expect(.rightParen, "')'")
        return names
    }

    mutating func parseTypeName() throws(ParseFailure) -> TypeName {
        let start = current.range.start
        let first = try parseName("a type name")
        var spelled = first.text
        if first.key == "double" && atWord("precision") { _ = bump() }
        if first.key == "character" && atWord("varying") { _ = bump(); spelled = "varchar" }
        if eat(.leftParen) {
            var parts: [String] = []
            repeat {
                let before = index
                parts.append(lexer.text(try expect(.integer, "an integer").range))
                checkProgress(since: before)
            } while eat(.comma)
            try expect(.rightParen, "')'")
            spelled += "(" + parts.joined(separator: ",") + ")"
        }
        let range = range(from: start)
        guard let type = ColumnType(parsing: spelled) else {
            throw failure("unknown or invalid type '\(lexer.text(range))'", at: range, code: .invalidType)
        }
        return TypeName(type: type, range: range)
    }
}
