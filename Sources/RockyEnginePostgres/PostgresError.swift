import Foundation

/// A failure talking to PostgreSQL: what kind it is (which decides whether a
/// retry can help), the server's SQLSTATE and diagnostics when the server
/// sent them, and the SQL that was sent. Messages never hold a password:
/// everything that could echo a connection string is passed through
/// `redactingPasswords(in:)`.
public struct PostgresError: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable, Hashable {
        /// No connection could be made (server down, wrong socket, refused login).
        case connect
        /// The connection broke: SQLSTATE class 08, the server ended the
        /// session (57P01-57P03), or libpq reports `CONNECTION_BAD`.
        /// `PostgresConnection.reconnect()` (and the retry helper) can recover.
        case connectionLost
        /// The statement ran out of time: 57014 query_canceled when this
        /// connection did not ask for the cancel (`statement_timeout`).
        case timeout
        /// The statement was canceled through this connection's `PostgresCancelHandle`.
        case canceled
        /// The server refused the statement (syntax, constraint, type...):
        /// retrying the same statement fails the same way.
        case server
        /// Rocky misused the protocol or could not read a value.
        case client
    }

    public var kind: Kind
    /// The five-character SQLSTATE (`42P01`), when the server sent one.
    public var sqlState: String?
    public var message: String
    public var detail: String?
    public var hint: String?
    /// 1-based character position of the error in `sql`, when the server gave one.
    public var position: Int?
    /// The statement sent, when the failure belongs to one.
    public var sql: String?
    /// The column a constraint violation concerns (the server's `column_name` field).
    public var column: String?

    public init(kind: Kind, sqlState: String? = nil, message: String, detail: String? = nil, hint: String? = nil,
                position: Int? = nil, sql: String? = nil, column: String? = nil) {
        self.column = column
        self.kind = kind
        self.sqlState = sqlState
        self.message = redactingPasswords(in: message)
        self.detail = detail.map(redactingPasswords(in:))
        self.hint = hint
        self.position = position
        self.sql = sql
    }

    /// Whether running the operation again may succeed: a lost connection
    /// (after reconnecting) or a timeout.
    public var isRetryable: Bool { kind == .connectionLost || kind == .timeout || kind == .connect }

    public var description: String {
        var text = "postgres"
        if let sqlState { text += " [\(sqlState)]" }
        text += ": " + message
        if let detail { text += "\ndetail: " + detail }
        if let hint { text += "\nhint: " + hint }
        if let sql {
            text += "\nstatement: " + sql
            if let position { text += "\nat character \(position)" }
        }
        return text
    }
}

/// The retry helper gave up: the operation, the statement, how many times it
/// ran and the error of the last try.
public struct PostgresRetriesExhausted: Error, Sendable, CustomStringConvertible {
    public var operation: String
    public var sql: String?
    public var attempts: Int
    public var lastError: PostgresError

    public var description: String {
        "postgres: \(operation) failed after \(attempts) \(attempts == 1 ? "try" : "tries")"
            + (sql.map { " running: \($0)" } ?? "") + "\nlast error: \(lastError)"
    }
}

/// `text` with the value of every `password=` setting of a connection string
/// (quoted or not) and the password of a `postgresql://user:password@host`
/// URI replaced by `***`. Use it on anything that may hold a conninfo before
/// it is logged or shown.
public func redactingPasswords(in text: String) -> String {
    var out = ""
    var rest = Substring(text)
    while !rest.isEmpty {
        if let range = rest.range(of: "password") {
            out += rest[..<range.lowerBound]
            out += rest[range]
            var after = rest[range.upperBound...]
            let spaces = after.prefix { $0 == " " }
            after = after.dropFirst(spaces.count)
            guard after.first == "=" else { out += spaces; rest = after; continue }
            after = after.dropFirst()
            after = after.drop { $0 == " " }
            out += "=***"
            rest = dropValue(after)
        } else {
            out += rest
            rest = ""
        }
    }
    return redactingURIPasswords(in: out)
}

/// Skips a conninfo value: 'quoted with \' escapes' or up to the next space.
private func dropValue(_ text: Substring) -> Substring {
    guard text.first == "'" else { return text.drop { $0 != " " } }
    var i = text.index(after: text.startIndex)
    while i < text.endIndex {
        if text[i] == "\\" { i = text.index(after: i); if i < text.endIndex { i = text.index(after: i) }; continue }
        if text[i] == "'" { return text[text.index(after: i)...] }
        i = text.index(after: i)
    }
    return text[text.endIndex...]
}

/// `scheme://user:secret@host` -> `scheme://user:***@host`.
private func redactingURIPasswords(in text: String) -> String {
    var out = ""
    var rest = Substring(text)
    while let scheme = rest.range(of: "://") {
        out += rest[..<scheme.upperBound]
        rest = rest[scheme.upperBound...]
        let authority = rest.prefix { $0 != "/" && $0 != " " && $0 != "?" }
        if let at = authority.lastIndex(of: "@"), let colon = authority[..<at].firstIndex(of: ":") {
            out += rest[..<colon] + ":***"
            rest = rest[at...]
        }
    }
    return out + rest
}
