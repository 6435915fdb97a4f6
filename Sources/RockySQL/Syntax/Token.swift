import RockyBase

/// The kinds of SQL tokens.
enum TokenKind: UInt8, Sendable {
    case identifier
    case quotedIdentifier
    case keyword
    case string
    case integer
    case decimal
    /// A number with an exponent (`1e3`): DOUBLE.
    case float
    case plus, minus, star, slash, percent, concat
    case equal, notEqual, less, lessEqual, greater, greaterEqual
    case leftParen, rightParen, comma, dot, semicolon, doubleColon
    case invalid
    case endOfInput
}

/// Reserved words: they can be used as names only when quoted. Words such as
/// `date`, `year`, `first` or `replace`, which are also common column names,
/// are not reserved and the parser recognizes them by context.
enum Keyword: String, Sendable, CaseIterable {
    case select, from, `where`, group, by, having, order, limit, offset
    case union, all, intersect, except, distinct, `as`, on, using
    case join, inner, left, right, full, outer, cross
    case and, or, not, null, `is`, `in`, exists, between, like
    case `case`, when, then, `else`, end, cast, `true`, `false`, with
    case create, table, insert, into, values, update, set, delete, drop, alter, add
    case primary, key, asc, desc, over, partition, interval

    static let byName: [String: Keyword] = {
        var map: [String: Keyword] = [:]
        for keyword in Keyword.allCases { map[keyword.rawValue] = keyword }
        return map
    }()

    var spelling: String { rawValue.uppercased() }
}

/// One token: its kind, its span, and for keywords which one.
struct Token: Sendable {
    var kind: TokenKind
    var range: SourceRange
    var keyword: Keyword?

    var start: Int { range.start.offset }
    var end: Int { range.end.offset }
}
