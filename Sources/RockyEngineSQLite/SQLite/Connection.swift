import CSQLite
import RockyEngine

/// SQLite's "copy the bytes now" destructor for bound text and blobs.
var sqliteTransient: sqlite3_destructor_type { unsafeBitCast(-1, to: sqlite3_destructor_type.self) }

/// One SQLite database connection. Owns its `sqlite3*` and closes it in
/// `deinit`; every failure becomes a `SQLiteError` carrying the result code,
/// SQLite's message and the SQL that failed.
///
/// Not thread-safe: one connection is used by one thread at a time (opened
/// with `SQLITE_OPEN_NOMUTEX`).
final class Connection {
    let handle: OpaquePointer

    /// Opens (creating if needed) the database at `path`; ":memory:" for a
    /// private in-memory database.
    init(path: String) throws {
        var db: OpaquePointer?
        let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX
        let code = sqlite3_open_v2(path, &db, flags, nil)
        guard code == SQLITE_OK, let db else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            if let db { sqlite3_close_v2(db) }
            throw SQLiteError(code: code, message: "cannot open \(path): \(message)", sql: nil)
        }
        handle = db
        sqlite3_extended_result_codes(db, 1)
    }

    deinit { sqlite3_close_v2(handle) }

    /// The error for a failed call, with SQLite's current message.
    func error(_ code: Int32, sql: String?) -> SQLiteError {
        SQLiteError(code: sqlite3_extended_errcode(handle) == 0 ? code : sqlite3_extended_errcode(handle),
                    message: String(cString: sqlite3_errmsg(handle)), sql: sql)
    }

    /// Runs one or more statements that return no rows.
    func execute(_ sql: String) throws(SQLiteError) {
        let code = sqlite3_exec(handle, sql, nil, nil, nil)
        guard code == SQLITE_OK else { throw error(code, sql: sql) }
    }

    /// Prepares one statement; nil when `sql` holds no statement (blank or a comment).
    func prepare(_ sql: String) throws(SQLiteError) -> PreparedStatement? {
        var statement: OpaquePointer?
        let code = sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, nil)
        guard code == SQLITE_OK else { throw error(code, sql: sql) }
        guard let statement else { return nil }
        return PreparedStatement(handle: statement, connection: self, sql: sql)
    }

    /// Prepares a statement the engine wrote itself, which is never blank.
    func statement(_ sql: String) throws(SQLiteError) -> PreparedStatement {
        guard let prepared = try prepare(sql) else { throw SQLiteError(code: SQLITE_MISUSE, message: "empty statement", sql: sql) }
        return prepared
    }

    /// Rows changed by the last INSERT, UPDATE or DELETE.
    var changes: Int { Int(sqlite3_changes64(handle)) }

    var isInTransaction: Bool { sqlite3_get_autocommit(handle) == 0 }

    /// Runs `body` in a transaction (`BEGIN IMMEDIATE` takes the write lock
    /// at once); commits when it returns, rolls back when it throws.
    func transaction<R>(immediate: Bool, _ body: () throws -> R) throws -> R {
        try execute(immediate ? "BEGIN IMMEDIATE" : "BEGIN")
        do {
            let result = try body()
            try execute("COMMIT")
            return result
        } catch {
            if isInTransaction { try? execute("ROLLBACK") }
            throw error
        }
    }

    /// The single integer a query returns (nil when it returns no row or NULL).
    func integer(_ sql: String, _ arguments: [String] = []) throws -> Int64? {
        let statement = try statement(sql)
        for (i, argument) in arguments.enumerated() { statement.bind(text: argument, at: Int32(i + 1)) }
        guard try statement.step(), statement.type(0) != SQLITE_NULL else { return nil }
        return statement.int64(0)
    }
}

/// A prepared statement. Finalized in `deinit`.
final class PreparedStatement {
    let handle: OpaquePointer
    let connection: Connection
    let sql: String

    init(handle: OpaquePointer, connection: Connection, sql: String) {
        self.handle = handle
        self.connection = connection
        self.sql = sql
    }

    deinit { sqlite3_finalize(handle) }

    /// Advances: true when a row is ready, false when done.
    @inline(__always)
    func step() throws(SQLiteError) -> Bool {
        let code = sqlite3_step(handle)
        if code == SQLITE_ROW { return true }
        if code == SQLITE_DONE { return false }
        let failure = connection.error(code, sql: sql)
        sqlite3_reset(handle)
        throw failure
    }

    /// Runs to completion, ignoring rows.
    func run() throws(SQLiteError) {
        while try step() {}
        sqlite3_reset(handle)
    }

    func reset() {
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
    }

    @inline(__always) func type(_ i: Int32) -> Int32 { sqlite3_column_type(handle, i) }
    @inline(__always) func int64(_ i: Int32) -> Int64 { sqlite3_column_int64(handle, i) }
    @inline(__always) func double(_ i: Int32) -> Double { sqlite3_column_double(handle, i) }

    /// The column's UTF-8 bytes (valid until the next step or column call).
    @inline(__always)
    func textBytes(_ i: Int32) -> UnsafeRawBufferPointer {
        let pointer = sqlite3_column_text(handle, i)
        let count = Int(sqlite3_column_bytes(handle, i))
        guard let pointer else { return UnsafeRawBufferPointer(start: nil, count: 0) }
        return UnsafeRawBufferPointer(start: pointer, count: count)
    }

    func text(_ i: Int32) -> String { String(decoding: textBytes(i), as: UTF8.self) }

    /// The column's BLOB bytes (valid until the next step or column call).
    @inline(__always)
    func blobBytes(_ i: Int32) -> UnsafeRawBufferPointer {
        let pointer = sqlite3_column_blob(handle, i)
        let count = Int(sqlite3_column_bytes(handle, i))
        return UnsafeRawBufferPointer(start: pointer, count: pointer == nil ? 0 : count)
    }

    /// Binds a DECIMAL of precision over 18 in its BLOB form (`WideDecimal`).
    @inline(__always)
    func bind(wideDecimal units: Int128, at i: Int32) {
        WideDecimal.withBytes(units) { sqlite3_bind_blob(handle, i, $0.baseAddress, Int32(WideDecimal.byteCount), sqliteTransient) }
    }

    /// Binds bytes as a BLOB.
    @inline(__always)
    func bind(blobBytes bytes: UnsafeRawBufferPointer, at i: Int32) {
        sqlite3_bind_blob(handle, i, bytes.baseAddress, Int32(bytes.count), sqliteTransient)
    }

    @inline(__always) func bindNull(at i: Int32) { sqlite3_bind_null(handle, i) }
    @inline(__always) func bind(_ v: Int64, at i: Int32) { sqlite3_bind_int64(handle, i, v) }
    @inline(__always) func bind(_ v: Double, at i: Int32) { sqlite3_bind_double(handle, i, v) }

    func bind(text: String, at i: Int32) {
        var text = text
        text.withUTF8 { bind(textBytes: UnsafeRawBufferPointer($0), at: i) }
    }

    @inline(__always)
    func bind(textBytes bytes: UnsafeRawBufferPointer, at i: Int32) {
        if let base = bytes.baseAddress {
            sqlite3_bind_text(handle, i, base.assumingMemoryBound(to: CChar.self), Int32(bytes.count), sqliteTransient)
        } else {
            sqlite3_bind_text(handle, i, "", 0, sqliteTransient)
        }
    }
}
