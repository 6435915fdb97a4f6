import CSQLite

/// A failure reported by SQLite: the (extended) result code, SQLite's
/// message and the SQL that was running.
public struct SQLiteError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The extended result code (`SQLITE_CONSTRAINT_PRIMARYKEY` = 1555, ...).
    public var code: Int32
    public var message: String
    /// The SQL that failed, when the failure came from a statement.
    public var sql: String?

    /// The primary result code (the low byte: `SQLITE_CONSTRAINT` = 19, ...).
    public var primaryCode: Int32 { code & 0xFF }

    public var description: String {
        var text = "SQLite error \(code) (\(String(cString: sqlite3_errstr(code)))): \(message)"
        if let sql { text += "\n  while running: \(EngineError.abbreviate(sql))" }
        return text
    }
}

/// Why a statement could not be executed. Each description names the
/// statement or the table and column concerned; the caller adds where the
/// statement is in its script ("statement N, line L").
///
/// A statement that throws has changed nothing: when the caller ran it inside
/// `ObjectStore.batch` no object it wrote remains, and the table cache is as
/// it was (its transaction rolled back).
public enum EngineError: Error, Equatable, Sendable, CustomStringConvertible {
    /// SQLite refused the statement (a run-time type error, a helper
    /// function's error, a constraint, ...). Fix the statement or the data.
    case sqlite(SQLiteError)
    /// A DECIMAL result exceeded 64 bits inside SQLite (it came back as REAL)
    /// or a stored DECIMAL does not fit the 64-bit representation. Use a
    /// smaller scale or split the computation.
    case decimalOverflow(table: String, column: String, detail: String)
    /// A DECIMAL value has more digits than its column's precision allows.
    case decimalPrecision(table: String, column: String, value: String, type: String)
    /// Two rows share a key: the table's primary key would not be unique.
    case duplicateKey(table: String, detail: String)
    /// A key column holds NULL.
    case nullKey(table: String, column: String)
    /// A value came back from SQLite in a storage class its column's type
    /// does not allow (the compiled SQL and the IR disagree: a bug to report).
    case representation(table: String, column: String, detail: String)
    /// A table the statement needs is not among the tables passed in.
    case unknownTable(String)
    /// The previous query's rows are still being read: consume or close its
    /// `QueryResult` first.
    case resultStillOpen
    /// The statement cannot run as asked (a bad target key, ...).
    case invalid(String)

    public var description: String {
        switch self {
        case let .sqlite(error): error.description
        case let .decimalOverflow(table, column, detail):
            "DECIMAL overflow in \(table).\(column): \(detail)"
        case let .decimalPrecision(table, column, value, type):
            "value \(value) does not fit \(table).\(column) \(type)"
        case let .duplicateKey(table, detail): "duplicate key in table \(table): \(detail)"
        case let .nullKey(table, column): "NULL in key column \(table).\(column)"
        case let .representation(table, column, detail): "\(table).\(column): \(detail)"
        case let .unknownTable(name): "no table named '\(name)' was given to the engine"
        case .resultStillOpen: "the previous query's result is still open: read it to the end or close it first"
        case let .invalid(message): message
        }
    }

    /// SQL shortened for a message: whitespace runs folded, at most 300 characters.
    static func abbreviate(_ sql: String) -> String {
        let folded = sql.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" }).joined(separator: " ")
        return folded.count <= 300 ? folded : String(folded.prefix(297)) + "..."
    }
}

extension EngineError {
    /// A SQLite failure, recognising constraint violations on `table` (whose
    /// name inside SQLite may be a cache name: messages use `table`).
    static func from(_ error: SQLiteError, table: String?, keyColumns: [String] = []) -> EngineError {
        guard let table, error.primaryCode == SQLITE_CONSTRAINT else { return .sqlite(error) }
        // "UNIQUE constraint failed: t_ab12.symbol, t_ab12.ts" -> ["symbol", "ts"]
        let columns = (error.message.split(separator: ":", maxSplits: 1).last ?? "")
            .split(separator: ",").map { $0.split(separator: ".").last.map { $0.trimmingSpaces } ?? "" }
        switch error.code {
        case constraintPrimaryKey, constraintUnique:
            return .duplicateKey(table: table, detail: "two rows have the same (\(columns.joined(separator: ", ")))")
        case constraintNotNull:
            let column = columns.first ?? "?"
            if keyColumns.contains(where: { $0.lowercased() == column.lowercased() }) { return .nullKey(table: table, column: column) }
            return .sqlite(SQLiteError(code: error.code, message: "NULL in NOT NULL column \(table).\(column)", sql: error.sql))
        default:
            return .sqlite(error)
        }
    }
}

// Extended result codes (C macros, which Swift does not import).
let constraintNotNull: Int32 = 19 | (5 << 8)
let constraintPrimaryKey: Int32 = 19 | (6 << 8)
let constraintUnique: Int32 = 19 | (8 << 8)

extension Substring {
    var trimmingSpaces: String {
        String(drop(while: { $0 == " " }).reversed().drop(while: { $0 == " " }).reversed())
    }
}
