import CPostgres
import Foundation
import RockyBase

/// One libpq connection to a PostgreSQL server. Owns its `PGconn*` and
/// closes it in `deinit`; every failure is a `PostgresError` carrying the
/// SQLSTATE, the server's diagnostics and the SQL that failed.
///
/// Secrets come only from libpq's own sources (`PGPASSWORD`, `~/.pgpass`,
/// or a `password=` the caller put in the conninfo); the conninfo is kept
/// only in redacted form, and every message passes `redactingPasswords(in:)`.
///
/// Each session is set to ISO dates, UTC, UTF-8 and exact float output, so
/// values read back in one meaning (`PostgresValue`); `reconnect()` sets it
/// up again, with the statement timeout.
///
/// Not thread-safe: one thread uses a connection at a time. The one thing
/// another thread may do is cancel the running statement, through
/// `cancelHandle`.
public final class PostgresConnection: CustomStringConvertible {
    let handle: OpaquePointer
    /// For messages and `description`: the conninfo with passwords starred out.
    public let redactedConninfo: String
    /// Cancels the statement this connection is running; stays valid across `reconnect()`.
    public let cancelHandle: PostgresCancelHandle
    /// The session's `statement_timeout`; nil for none.
    public private(set) var statementTimeout: Duration?

    /// What this connection exchanged with the server, over all its sessions.
    public struct Traffic: Sendable, Equatable {
        /// Commands sent (a `run` of several statements is one).
        public var commands = 0
        /// Time spent waiting on the server: in libpq calls that send a
        /// command, wait for its results or move COPY data.
        public var serverNanoseconds: UInt64 = 0
        /// Rows and bytes of row data sent with COPY ... FROM STDIN.
        public var rowsSent = 0
        public var bytesSent = 0
        /// Rows and bytes of row data received (results, COPY ... TO STDOUT).
        public var rowsReceived = 0
        public var bytesReceived = 0
    }
    public internal(set) var traffic = Traffic()
    /// Commands sent in the current session (`reconnect()` starts a new one).
    public internal(set) var sessionCommands = 0

    /// The id of the last command sent: `<backend pid>.<n>`, the n-th
    /// command of that server session (the pid is the server log's `%p`).
    public var lastCommandID: String { "\(backendPID).\(sessionCommands)" }

    /// Counts a command and times `body` as time waiting on the server.
    @inline(__always)
    func timed<R, E: Error>(command: Bool = false, _ body: () throws(E) -> R) throws(E) -> R {
        if command {
            traffic.commands += 1
            sessionCommands += 1
        }
        let start = PostgresConnection.monotonicNanoseconds()
        defer { traffic.serverNanoseconds += PostgresConnection.monotonicNanoseconds() - start }
        return try body()
    }

    static func monotonicNanoseconds() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec)
    }

    /// Connects with a libpq conninfo (`host=/run/pg dbname=research` or a
    /// `postgresql://` URI); libpq's environment variables fill what it omits.
    public init(conninfo: String, statementTimeout: Duration? = nil) throws(PostgresError) {
        redactedConninfo = redactingPasswords(in: conninfo)
        // The conninfo is expanded from `dbname`; the later keywords win, so
        // the client encoding is always UTF-8.
        let keywords = ["dbname", "fallback_application_name", "client_encoding"]
        let values = [conninfo, "rocky", "UTF8"]
        let connection = withCStrings(keywords) { k in withCStrings(values) { v in PQconnectdbParams(k, v, 1) } }
        guard let connection else { throw PostgresError(kind: .connect, message: "cannot connect: out of memory") }
        guard PQstatus(connection) == CONNECTION_OK else {
            let message = PostgresConnection.trimmed(PQerrorMessage(connection))
            PQfinish(connection)
            throw PostgresError(kind: .connect, message: "cannot connect to \(redactingPasswords(in: conninfo)): \(message)")
        }
        handle = connection
        cancelHandle = PostgresCancelHandle()
        self.statementTimeout = statementTimeout
        cancelHandle.replace(PQgetCancel(connection))
        try setUpSession()
    }

    deinit { PQfinish(handle) }

    public var description: String { "PostgresConnection(\(redactedConninfo))" }

    /// The server's version as it reports it: `15.18 (Debian 15.18-0+deb12u1)`.
    public var serverVersion: String {
        PQparameterStatus(handle, "server_version").map { String(cString: $0) } ?? String(serverVersionNumber)
    }

    /// The server's version as a number: 150018 for 15.18.
    public var serverVersionNumber: Int { Int(PQserverVersion(handle)) }

    /// The process id of the server backend serving this connection.
    public var backendPID: Int32 { PQbackendPID(handle) }

    /// False once the connection is lost; `reconnect()` restores it.
    public var isConnected: Bool { PQstatus(handle) == CONNECTION_OK }

    /// Sets (nil or zero: clears) the session's `statement_timeout`; kept across `reconnect()`.
    public func setStatementTimeout(_ timeout: Duration?) throws(PostgresError) {
        statementTimeout = timeout
        try run("SET statement_timeout = \(PostgresConnection.milliseconds(timeout))")
    }

    /// Closes the connection and opens it again with the same parameters,
    /// then sets the session up as `init` did. A transaction in progress is lost.
    public func reconnect() throws(PostgresError) {
        PQreset(handle)
        sessionCommands = 0
        guard isConnected else {
            throw PostgresError(kind: .connect, message: "cannot reconnect to \(redactedConninfo): "
                                + PostgresConnection.trimmed(PQerrorMessage(handle)))
        }
        cancelHandle.replace(PQgetCancel(handle))
        try setUpSession()
    }

    /// Runs one statement with `$1`... parameters and returns all its rows.
    /// For results of unknown size use `query(_:_:row:)`, which streams.
    /// `data`: its rows are row data (counted in `traffic`), not Rocky's bookkeeping.
    @discardableResult
    public func execute(_ sql: String, _ parameters: [PostgresValue] = [], data: Bool = false) throws(PostgresError) -> PostgresResult {
        cancelHandle.beginStatement()
        let result = try withParameters(parameters, sql: sql) { types, values in
            timed(command: true) { PQexecParams(handle, sql, Int32(parameters.count), types, values, nil, nil, 0) }
        }
        guard let result else { throw failure(nil, sql: sql) }
        defer { PQclear(result) }
        switch PQresultStatus(result) {
        case PGRES_COMMAND_OK, PGRES_TUPLES_OK:
            let columns = columns(of: result)
            var rows: [[PostgresValue]] = []
            rows.reserveCapacity(Int(PQntuples(result)))
            for r in 0..<PQntuples(result) { rows.append(try row(result, r, columns)) }
            if data { countReceived(result) }
            return PostgresResult(columns: columns, rows: rows, commandTag: String(cString: PQcmdStatus(result)),
                                  affectedRows: Int(String(cString: PQcmdTuples(result))))
        case PGRES_COPY_IN, PGRES_COPY_OUT:
            abandonCopy(PQresultStatus(result))
            throw PostgresError(kind: .client, message: "a COPY runs through copyIn or copyOut, not execute", sql: sql)
        default:
            throw failure(result, sql: sql)
        }
    }

    // MARK: - Internals shared by the other files

    /// Session settings every value decoder relies on.
    private func setUpSession() throws(PostgresError) {
        try run("SET DateStyle = 'ISO, YMD'; SET TimeZone = 'UTC'; SET IntervalStyle = 'iso_8601'; "
                + "SET extra_float_digits = 3; SET statement_timeout = \(PostgresConnection.milliseconds(statementTimeout))")
    }

    /// Runs statements of Rocky's own (several allowed, no parameters, no rows).
    func run(_ sql: String) throws(PostgresError) {
        cancelHandle.beginStatement()
        guard let result = timed(command: true, { PQexec(handle, sql) }) else { throw failure(nil, sql: sql) }
        defer { PQclear(result) }
        guard PQresultStatus(result) == PGRES_COMMAND_OK || PQresultStatus(result) == PGRES_TUPLES_OK else {
            throw failure(result, sql: sql)
        }
    }

    static func milliseconds(_ duration: Duration?) -> Int64 {
        guard let duration else { return 0 }
        let (seconds, attoseconds) = duration.components
        return max(0, seconds * 1000 + attoseconds / 1_000_000_000_000_000)
    }

    /// Adds a result's rows and their bytes to `traffic`.
    func countReceived(_ result: OpaquePointer) {
        let rows = PQntuples(result), fields = PQnfields(result)
        var bytes = 0
        for r in 0..<rows { for c in 0..<fields { bytes += Int(PQgetlength(result, r, c)) } }
        traffic.rowsReceived += Int(rows)
        traffic.bytesReceived += bytes
    }

    func columns(of result: OpaquePointer) -> [PostgresColumn] {
        (0..<PQnfields(result)).map { PostgresColumn(name: String(cString: PQfname(result, $0)), typeOID: PQftype(result, $0)) }
    }

    func row(_ result: OpaquePointer, _ r: Int32, _ columns: [PostgresColumn]) throws(PostgresError) -> [PostgresValue] {
        var values: [PostgresValue] = []
        values.reserveCapacity(columns.count)
        for (c, column) in columns.enumerated() {
            if PQgetisnull(result, r, Int32(c)) == 1 {
                values.append(.null)
            } else {
                values.append(try column.decode(String(cString: PQgetvalue(result, r, Int32(c)))))
            }
        }
        return values
    }

    /// Passes the parameters to libpq as text with their type OIDs.
    func withParameters<R>(_ parameters: [PostgresValue], sql: String,
                           _ body: (UnsafePointer<Oid>?, UnsafePointer<UnsafePointer<CChar>?>?) -> R) throws(PostgresError) -> R {
        let encoded = parameters.map(\.parameter)
        if let bad = encoded.firstIndex(where: { $0.text?.utf8.contains(0) == true }) {
            throw PostgresError(kind: .client, message: "parameter $\(bad + 1) holds a NUL character, which PostgreSQL text cannot", sql: sql)
        }
        let types = encoded.map { Oid($0.type) }
        let strings = encoded.map { $0.text.flatMap { strdup($0) } }
        defer { strings.forEach { free($0) } }
        let pointers = strings.map { $0.map { UnsafePointer($0) } }
        return types.withUnsafeBufferPointer { t in pointers.withUnsafeBufferPointer { v in body(t.baseAddress, v.baseAddress) } }
    }

    /// The error of a failed result (or, with nil, of the connection).
    func failure(_ result: OpaquePointer?, sql: String?) -> PostgresError {
        func field(_ code: Character) -> String? {
            guard let result, let value = PQresultErrorField(result, Int32(code.asciiValue!)) else { return nil }
            return String(cString: value)
        }
        let sqlState = field("C")
        let message = field("M") ?? PostgresConnection.trimmed(result.map { PQresultErrorMessage($0) } ?? PQerrorMessage(handle))
        let kind: PostgresError.Kind
        if let sqlState, sqlState.hasPrefix("08") || ["57P01", "57P02", "57P03"].contains(sqlState) {
            kind = .connectionLost
        } else if PQstatus(handle) == CONNECTION_BAD {
            kind = .connectionLost
        } else if sqlState == "57014" {
            kind = cancelHandle.wasRequested ? .canceled : .timeout
        } else {
            kind = sqlState == nil ? .client : .server
        }
        return PostgresError(kind: kind, sqlState: sqlState, message: message.isEmpty ? "unknown error" : message,
                             detail: field("D"), hint: field("H"), position: field("P").flatMap { Int($0) }, sql: sql,
                             column: field("c"))
    }

    /// Ends a COPY the connection is in (`status` says which way) without
    /// completing it, and reads the results up to the end, so the connection
    /// can run the next statement.
    func abandonCopy(_ status: ExecStatusType) {
        if status == PGRES_COPY_IN {
            PQputCopyEnd(handle, "abandoned by the client")
        } else if status == PGRES_COPY_OUT {
            var buffer: UnsafeMutablePointer<CChar>?
            while PQgetCopyData(handle, &buffer, 0) > 0 { PQfreemem(buffer) }
        }
        drainResults()
    }

    /// Reads what is left of a statement's results (after a failure or an abandoned stream).
    func drainResults() {
        while let result = PQgetResult(handle) {
            let status = PQresultStatus(result)
            PQclear(result)
            if status == PGRES_COPY_IN || status == PGRES_COPY_OUT { abandonCopy(status); return }
        }
    }

    static func trimmed(_ message: UnsafePointer<CChar>?) -> String {
        guard let message else { return "" }
        return String(cString: message).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

/// Cancels the statement a `PostgresConnection` is running, from any thread
/// (libpq's `PQcancel`). The connection then fails with `.canceled`, which
/// the retry helper does not retry — unlike a `statement_timeout`, which
/// fails with `.timeout`.
public final class PostgresCancelHandle: @unchecked Sendable {
    private let lock = NSLock()
    private var cancel: OpaquePointer?
    private var requested = false

    init() {}

    deinit { if let cancel { PQfreeCancel(cancel) } }

    /// Asks the server to cancel the running statement. Harmless when none runs.
    public func cancelStatement() throws(PostgresError) {
        lock.lock()
        defer { lock.unlock() }
        requested = true
        guard let cancel else { throw PostgresError(kind: .client, message: "cannot cancel: no connection") }
        var buffer = [CChar](repeating: 0, count: 256)
        guard PQcancel(cancel, &buffer, Int32(buffer.count)) == 1 else {
            throw PostgresError(kind: .connectionLost, message: "cannot cancel: "
                                + String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
    }

    func replace(_ new: OpaquePointer?) {
        lock.lock()
        defer { lock.unlock() }
        if let cancel { PQfreeCancel(cancel) }
        cancel = new
    }

    func beginStatement() {
        lock.lock()
        requested = false
        lock.unlock()
    }

    var wasRequested: Bool {
        lock.lock()
        defer { lock.unlock() }
        return requested
    }
}

/// Calls `body` with a NULL-terminated array of C strings.
private func withCStrings<R>(_ strings: [String], _ body: (UnsafePointer<UnsafePointer<CChar>?>) -> R) -> R {
    let copies = strings.map { strdup($0) }
    defer { copies.forEach { free($0) } }
    let pointers = copies.map { $0.map { UnsafePointer($0) } } + [nil]
    return pointers.withUnsafeBufferPointer { body($0.baseAddress!) }
}
