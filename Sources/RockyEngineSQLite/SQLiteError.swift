import CSQLite
import RockyEngine

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

    public var description: String { backend.description }

    /// The engine-neutral form of this error.
    public var backend: BackendError {
        BackendError(engine: "SQLite", code: String(code), codeName: String(cString: sqlite3_errstr(code)), message: message, sql: sql)
    }
}

extension EngineError {
    /// A SQLite failure, as an engine-neutral error.
    public static func sqlite(_ error: SQLiteError) -> EngineError {
        overflow(error.message) ?? .backend(error.backend)
    }

    /// A `rocky_dec_*` helper's overflow, `DECIMAL overflow: <detail> (at
    /// line L, column C)`, as the typed error with its position.
    static func overflow(_ message: String) -> EngineError? {
        let marker = " (at line "
        guard message.hasPrefix("DECIMAL overflow: "), message.hasSuffix(")") else { return nil }
        var start = message.endIndex
        while start > message.startIndex, !message[start...].hasPrefix(marker) { start = message.index(before: start) }
        guard message[start...].hasPrefix(marker) else { return nil }
        let numbers = message[start...].dropFirst(marker.count).dropLast().split(separator: ",")
        guard numbers.count == 2, let line = Int(numbers[0]),
              let column = Int(numbers[1].drop(while: { $0 == " " }).dropFirst("column ".count)) else { return nil }
        return .arithmeticOverflow(detail: String(message[..<start]), line: line, column: column)
    }

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
