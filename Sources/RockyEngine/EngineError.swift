import RockyTable

/// A failure reported by an engine, in its own terms: the engine, its error
/// code (a SQLSTATE for PostgreSQL, the extended result code for SQLite),
/// the code's name when the engine has one, its message and the SQL that
/// was sent. The statement's position in the Rocky script is added by the
/// caller (`ExecutionFailure`).
public struct BackendError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The engine's name as shown in messages ("SQLite", "PostgreSQL").
    public var engine: String
    /// The engine's code for the failure ("1299", "23505").
    public var code: String
    /// What the code means, when the engine says ("constraint failed").
    public var codeName: String?
    public var message: String
    /// The SQL that failed, when the failure came from a statement.
    public var sql: String?

    public init(engine: String, code: String, codeName: String? = nil, message: String, sql: String? = nil) {
        self.engine = engine
        self.code = code
        self.codeName = codeName
        self.message = message
        self.sql = sql
    }

    public var description: String {
        var text = "\(engine) error \(code)\(codeName.map { " (\($0))" } ?? ""): \(message)"
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
    /// The engine refused the statement (a run-time type error, a helper
    /// function's error, a constraint, ...). Fix the statement or the data.
    case backend(BackendError)
    /// A DECIMAL result exceeded 64 bits inside the engine (SQLite: it came back as REAL)
    /// or a stored DECIMAL does not fit the 64-bit representation. Use a
    /// smaller scale or split the computation.
    case decimalOverflow(table: String, column: String, detail: String)
    /// An exact result needs more than 38 digits (or, where its form is an
    /// INTEGER, 64 bits): `detail` says which, and `line` and `column` where
    /// the expression that overflowed is in the statement's script.
    case arithmeticOverflow(detail: String, line: Int, column: Int)
    /// A DECIMAL value has more digits than its column's precision allows.
    case decimalPrecision(table: String, column: String, value: String, type: String)
    /// Two rows share a key: the table's primary key would not be unique.
    case duplicateKey(table: String, detail: String)
    /// A key column holds NULL.
    case nullKey(table: String, column: String)
    /// A row the statement would leave in the table breaks one of its
    /// UNIQUE or CHECK constraints (`constraint` names it, `rule` is
    /// `UNIQUE` or `CHECK`): for UNIQUE the duplicated values of its
    /// columns, for CHECK the offending row (every column). Nothing was
    /// written. The values are as stored; a caller that shows them in a
    /// masking environment masks them first.
    case constraintViolation(table: String, constraint: String, rule: String, columns: [String], values: [Value])
    /// A value came back from the engine in a representation its column's type
    /// does not allow (the compiled SQL and the IR disagree: a bug to report).
    case representation(table: String, column: String, detail: String)
    /// A table the statement needs is not among the tables passed in.
    case unknownTable(String)
    /// The previous query's rows are still being read: consume or close its
    /// `RowStream` first.
    case resultStillOpen
    /// The statement cannot run as asked (a bad target key, ...).
    case invalid(String)

    public var description: String {
        switch self {
        case let .backend(error): error.description
        case let .decimalOverflow(table, column, detail):
            "DECIMAL overflow in \(table).\(column): \(detail)"
        case let .arithmeticOverflow(detail, line, column):
            "\(detail) (at line \(line), column \(column))"
        case let .decimalPrecision(table, column, value, type):
            "value \(value) does not fit \(table).\(column) \(type)"
        case let .duplicateKey(table, detail): "duplicate key in table \(table): \(detail)"
        case let .nullKey(table, column): "NULL in key column \(table).\(column)"
        case let .constraintViolation(table, constraint, rule, columns, values):
            (rule == "UNIQUE" ? "duplicate value for UNIQUE constraint \(constraint) of table \(table): "
                : "a row of table \(table) fails CHECK constraint \(constraint): ")
                + "(\(columns.joined(separator: ", "))) = (\(values.map(EngineError.literal).joined(separator: ", ")))"
        case let .representation(table, column, detail): "\(table).\(column): \(detail)"
        case let .unknownTable(name): "no table named '\(name)' was given to the engine"
        case .resultStillOpen: "the previous query's result is still open: read it to the end or close it first"
        case let .invalid(message): message
        }
    }

    /// A value as a SQL literal in a message: text quoted, NULL bare.
    public static func literal(_ value: Value) -> String {
        guard case let .text(text) = value else { return value.description }
        return "'" + text.split(separator: "'", omittingEmptySubsequences: false).joined(separator: "''") + "'"
    }

    /// SQL shortened for a message: whitespace runs folded, at most 300 characters.
    public static func abbreviate(_ sql: String) -> String {
        let folded = sql.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" }).joined(separator: " ")
        return folded.count <= 300 ? folded : String(folded.prefix(297)) + "..."
    }
}
