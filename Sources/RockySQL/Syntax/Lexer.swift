import RockyBase

/// Splits SQL text into tokens, keeping each token's source range.
///
/// Handles `--` and `/* */` comments, `'strings'` with `''` escapes,
/// `"quoted"` and `` `quoted` `` identifiers, numbers (`12`, `1.5`, `.5`,
/// `1e-3`) and operators. Problems become diagnostics and `invalid` tokens;
/// the lexer always reaches the end of the text.
struct Lexer {
    let bytes: [UInt8]
    private(set) var diagnostics: [Diagnostic] = []
    private var position = 0
    private var line = 1
    private var column = 1

    init(_ text: String) {
        bytes = Array(text.utf8)
    }

    /// All tokens, ending with one `end` token.
    mutating func tokenize() -> [Token] {
        var tokens: [Token] = []
        tokens.reserveCapacity(bytes.count / 4 + 1)
        while true {
            let before = position
            let token = next()
            tokens.append(token)
            if token.kind == .endOfInput { return tokens }
            precondition(position > before, "lexer made no progress")
        }
    }

    private var here: SourcePosition { SourcePosition(offset: position, line: line, column: column) }

    private func peek(_ ahead: Int = 0) -> UInt8? {
        position + ahead < bytes.count ? bytes[position + ahead] : nil
    }

    private mutating func advance() {
        let b = bytes[position]
        position += 1
        if b == 10 {
            line += 1
            column = 1
        } else if b & 0xC0 != 0x80 {
            column += 1
        }
    }

    private mutating func skipTrivia() {
        while let b = peek() {
            if b == 32 || b == 9 || b == 10 || b == 13 || b == 12 {
                advance()
            } else if b == UInt8(ascii: "-"), peek(1) == UInt8(ascii: "-") {
                while let c = peek(), c != 10 { advance() }
            } else if b == UInt8(ascii: "/"), peek(1) == UInt8(ascii: "*") {
                let start = here
                advance(); advance()
                var closed = false
                while let c = peek() {
                    if c == UInt8(ascii: "*"), peek(1) == UInt8(ascii: "/") {
                        advance(); advance()
                        closed = true
                        break
                    }
                    advance()
                }
                if !closed {
                    diagnostics.append(Diagnostic(.unterminatedComment, "unterminated block comment",
                                                  at: SourceRange(start: start, end: here)))
                }
            } else {
                return
            }
        }
    }

    private mutating func next() -> Token {
        skipTrivia()
        let start = here
        guard let b = peek() else { return Token(kind: .endOfInput, range: SourceRange(at: start)) }
        func make(_ kind: TokenKind, _ length: Int) -> Token {
            for _ in 0..<length { advance() }
            return Token(kind: kind, range: SourceRange(start: start, end: here))
        }
        switch b {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "_"), 0x80...:
            return word(start)
        case UInt8(ascii: "0")...UInt8(ascii: "9"):
            return number(start)
        case UInt8(ascii: "."):
            if let d = peek(1), d >= 48, d <= 57 { return number(start) }
            return make(.dot, 1)
        case UInt8(ascii: "'"):
            return quoted(start, quote: b, kind: .string)
        case UInt8(ascii: "\""), UInt8(ascii: "`"):
            return quoted(start, quote: b, kind: .quotedIdentifier)
        case UInt8(ascii: "+"): return make(.plus, 1)
        case UInt8(ascii: "-"): return make(.minus, 1)
        case UInt8(ascii: "*"): return make(.star, 1)
        case UInt8(ascii: "/"): return make(.slash, 1)
        case UInt8(ascii: "%"): return make(.percent, 1)
        case UInt8(ascii: "("): return make(.leftParen, 1)
        case UInt8(ascii: ")"): return make(.rightParen, 1)
        case UInt8(ascii: ","): return make(.comma, 1)
        case UInt8(ascii: ";"): return make(.semicolon, 1)
        case UInt8(ascii: "="): return make(.equal, peek(1) == UInt8(ascii: "=") ? 2 : 1)
        case UInt8(ascii: "|") where peek(1) == UInt8(ascii: "|"): return make(.concat, 2)
        case UInt8(ascii: ":") where peek(1) == UInt8(ascii: ":"): return make(.doubleColon, 2)
        case UInt8(ascii: "!") where peek(1) == UInt8(ascii: "="): return make(.notEqual, 2)
        case UInt8(ascii: "<"):
            if peek(1) == UInt8(ascii: "=") { return make(.lessEqual, 2) }
            if peek(1) == UInt8(ascii: ">") { return make(.notEqual, 2) }
            return make(.less, 1)
        case UInt8(ascii: ">"):
            return peek(1) == UInt8(ascii: "=") ? make(.greaterEqual, 2) : make(.greater, 1)
        default:
            let token = make(.invalid, 1)
            let shown = b >= 32 && b < 127 ? "'\(Character(Unicode.Scalar(b)))'" : "byte 0x\(String(b, radix: 16))"
            diagnostics.append(Diagnostic(.unexpectedCharacter, "unexpected character \(shown)", at: token.range))
            return token
        }
    }

    private mutating func word(_ start: SourcePosition) -> Token {
        while let b = peek(), Lexer.isWordByte(b) { advance() }
        let range = SourceRange(start: start, end: here)
        let length = position - start.offset
        if length <= 12 {
            var key = ""
            key.reserveCapacity(length)
            for b in bytes[start.offset..<position] {
                guard b < 0x80 else { return Token(kind: .identifier, range: range) }
                key.unicodeScalars.append(Unicode.Scalar(b >= 65 && b <= 90 ? b + 32 : b))
            }
            if let keyword = Keyword.byName[key] { return Token(kind: .keyword, range: range, keyword: keyword) }
        }
        return Token(kind: .identifier, range: range)
    }

    static func isWordByte(_ b: UInt8) -> Bool {
        (b >= 97 && b <= 122) || (b >= 65 && b <= 90) || (b >= 48 && b <= 57) || b == 95 || b == 36 || b >= 0x80
    }

    private mutating func number(_ start: SourcePosition) -> Token {
        var kind = TokenKind.integer
        while let b = peek(), b >= 48, b <= 57 { advance() }
        if peek() == UInt8(ascii: "."), !(peek(1) == UInt8(ascii: ".")) {
            kind = .decimal
            advance()
            while let b = peek(), b >= 48, b <= 57 { advance() }
        }
        if let e = peek(), e == UInt8(ascii: "e") || e == UInt8(ascii: "E") {
            var ahead = 1
            if let s = peek(1), s == UInt8(ascii: "+") || s == UInt8(ascii: "-") { ahead = 2 }
            if let d = peek(ahead), d >= 48, d <= 57 {
                kind = .float
                for _ in 0..<ahead { advance() }
                while let b = peek(), b >= 48, b <= 57 { advance() }
            }
        }
        if let b = peek(), Lexer.isWordByte(b), !(b >= 48 && b <= 57) {
            while let c = peek(), Lexer.isWordByte(c) { advance() }
            let range = SourceRange(start: start, end: here)
            diagnostics.append(Diagnostic(.invalidNumber, "invalid number '\(text(range))'", at: range))
            return Token(kind: .invalid, range: range)
        }
        return Token(kind: kind, range: SourceRange(start: start, end: here))
    }

    private mutating func quoted(_ start: SourcePosition, quote: UInt8, kind: TokenKind) -> Token {
        advance()
        while let b = peek() {
            advance()
            if b == quote {
                if peek() == quote { advance(); continue }
                return Token(kind: kind, range: SourceRange(start: start, end: here))
            }
        }
        let range = SourceRange(start: start, end: here)
        if kind == .string {
            diagnostics.append(Diagnostic(.unterminatedString, "unterminated string literal", at: range,
                                          help: "close it with '"))
        } else {
            diagnostics.append(Diagnostic(.unterminatedIdentifier, "unterminated quoted identifier", at: range))
        }
        return Token(kind: .invalid, range: range)
    }

    func text(_ range: SourceRange) -> String {
        String(decoding: bytes[range.start.offset..<range.end.offset], as: UTF8.self)
    }

    /// The content of a quoted token without its quotes, with doubled quotes undone.
    func unquoted(_ token: Token) -> String {
        let inner = bytes[(token.start + 1)..<(token.end - 1)]
        let quote = bytes[token.start]
        guard inner.contains(quote) else { return String(decoding: inner, as: UTF8.self) }
        var out: [UInt8] = []
        out.reserveCapacity(inner.count)
        var skip = false
        for b in inner {
            if skip { skip = false; continue }
            out.append(b)
            if b == quote { skip = true }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
