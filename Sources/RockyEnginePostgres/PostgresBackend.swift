import Foundation
import RockyBase
import RockyEngine
import RockySQL
import RockyStore
import RockyTable

/// How a `PostgresBackend` reaches its server and keeps its versions:
/// `[engines.<name>]` of rocky.toml.
public struct PostgresEngineOptions: Sendable {
    /// The engine's name in rocky.toml ("pg"), for messages.
    public var name: String
    /// A libpq conninfo or URI. Passwords come from `PGPASSWORD` or
    /// `~/.pgpass` (libpq reads them); the conninfo is shown only redacted.
    public var conninfo: String
    /// The schema holding the table versions (created when missing).
    public var schema: String
    public var statementTimeout: Duration?
    /// Tries after the first on a lost connection or a timeout, with exponential backoff.
    public var retries: Int
    public var initialRetryDelay: Duration
    /// The HMAC key of keyed-hash masking (handed to `PostgresSessionSetup`).
    public var maskingKey: [UInt8]?

    public init(name: String, conninfo: String, schema: String = "rocky", statementTimeout: Duration? = nil, retries: Int = 0,
                initialRetryDelay: Duration = .milliseconds(200), maskingKey: [UInt8]? = nil) {
        self.name = name
        self.conninfo = conninfo
        self.schema = schema
        self.statementTimeout = statementTimeout
        self.retries = retries
        self.initialRetryDelay = initialRetryDelay
        self.maskingKey = maskingKey
    }
}

/// The PostgreSQL backend: runs the PostgreSQL SQL of compiled statements on
/// a server, over table versions it keeps there. Statement semantics are
/// `StatementExecutor`'s; this moves rows in and out of the server.
///
/// - **Versions.** Version `X` is the table `<schema>."v_<first 60 hex digits
///   of X>"` (an identifier holds at most 63 bytes), listed in
///   `<schema>.rocky_versions` with its full id in the same transaction that
///   filled it, so a listed version is complete. It enters the server once
///   (`COPY ... FROM STDIN`, text format; a keyless row as many times as its
///   multiplicity) and is reused by every later statement, branch, replay
///   and process; results stay on the server under their new ids. Text
///   columns are `COLLATE "C"`: text compares in byte order, as in Rocky's keys.
/// - **Names.** A statement's inputs are TEMP VIEWs named as its SQL names
///   them, created inside the statement's transaction and gone with it.
/// - **Queries** run through a cursor, fetched in batches of
///   `PostgresBackend.fetchRows` rows: bounded memory whatever the size.
/// - **CREATE TABLE AS** runs as the server's CREATE TABLE AS of the
///   result's column types, in key order, into a staging table, whose rows
///   one sequential scan then streams into the tree (which checks their
///   order and that no key repeats; the NOT NULLs are checked on the way);
///   the staging table becomes the new version, in one transaction. A
///   result gets no key index: it is read by scans.
/// - **DML** runs on a staging copy of the target, exposed under the
///   target's name as an (automatically updatable) TEMP VIEW; the old and
///   new images of the rows it changed are the two `EXCEPT ALL` differences
///   of the old version and the copy; the copy becomes the new version.
/// - **Retries.** Each operation is one transaction; on a lost connection
///   or a timeout it is rolled back and run again (reconnecting first) up to
///   `retries` times with exponential backoff. A DML operation is retried
///   up to the end of its statements (after that its changes are being
///   handed over). Then the failure is thrown naming the engine, the SQL
///   and the last error.
public final class PostgresBackend: HeldVersions {
    public let kind = EngineKind.postgres
    public let dialect = Dialect.postgres
    /// The server's version as it reports it (`15.18 (Debian 15.18-0+deb12u1)`).
    public let serverVersion: String
    public let store: any ObjectStore
    public let temporaryDirectory: String
    public let options: PostgresEngineOptions
    let connection: PostgresConnection
    let policy: PostgresRetryPolicy
    /// The server process whose session was set up (a reconnect changes it).
    private var sessionPID: Int32 = 0
    private var resultOpen = false
    private var stagingCount = 0
    /// Bytes sent with COPY by this backend (versions uploaded).
    public private(set) var bytesUploaded = 0
    /// Versions this backend uploaded.
    public private(set) var versionsUploaded = 0
    /// Tries that failed and were retried.
    public private(set) var retriesUsed = 0
    /// The statement being measured: the traffic when it began and the ids
    /// of the commands that ran its SQL (`beginStatement`, `endStatement`).
    private var statementStart: PostgresConnection.Traffic?
    private var statementQueryIDs: [String] = []

    /// Rows per FETCH of a query's cursor.
    public static let fetchRows = 2000
    /// Bytes per COPY chunk of an upload.
    static let copyChunkBytes = 1 << 18

    /// Connects (retrying as configured), creates the schema and its
    /// catalog when missing, and sets the session up.
    public init(store: any ObjectStore, options: PostgresEngineOptions, temporaryDirectory: String) throws {
        self.store = store
        self.options = options
        self.temporaryDirectory = temporaryDirectory
        policy = PostgresRetryPolicy(retries: options.retries, initialDelay: options.initialRetryDelay)
        var attempt = 0
        var connected: PostgresConnection?
        while connected == nil {
            attempt += 1
            do {
                connected = try PostgresConnection(conninfo: options.conninfo, statementTimeout: options.statementTimeout)
            } catch {
                guard error.isRetryable, attempt <= policy.retries else {
                    var failure = PostgresBackend.backendError(error, engine: options.name, sql: nil)
                    if attempt > 1 { failure.message += " (gave up after \(attempt) tries)" }
                    throw EngineError.backend(failure)
                }
                Thread.sleep(forTimeInterval: PostgresBackend.seconds(policy.delay(beforeRetry: attempt)))
            }
        }
        connection = connected!
        serverVersion = connection.serverVersion
        try operation("set up", sql: nil) {
            try inTransaction {
                // One process at a time creates the schema and its catalog.
                try connection.execute("SELECT pg_advisory_xact_lock(7463015347261839000)")
                try connection.run("CREATE SCHEMA IF NOT EXISTS \(quote(options.schema))")
                try connection.run("""
                    CREATE TABLE IF NOT EXISTS \(catalog) (
                      id text PRIMARY KEY, name text NOT NULL, rows bigint NOT NULL, bytes bigint NOT NULL,
                      origin text NOT NULL, loaded_at timestamptz NOT NULL DEFAULT now())
                    """)
            }
        }
    }

    // MARK: Records

    public func beginStatement() {
        statementStart = connection.traffic
        statementQueryIDs = []
    }

    /// The traffic since `beginStatement`, and the ids (`<pid>.<n>`) of the
    /// commands that carried the statement's SQL (the last try's, after retries).
    public func endStatement() -> RemoteCost? {
        guard let start = statementStart else { return nil }
        statementStart = nil
        let now = connection.traffic
        return RemoteCost(queryIDs: statementQueryIDs, serverSeconds: Double(now.serverNanoseconds - start.serverNanoseconds) / 1e9,
                          rowsUploaded: now.rowsSent - start.rowsSent, bytesUploaded: now.bytesSent - start.bytesSent,
                          rowsDownloaded: now.rowsReceived - start.rowsReceived, bytesDownloaded: now.bytesReceived - start.bytesReceived)
    }

    /// Notes the command just sent as one that ran the statement's SQL.
    private func noteQueryID(restart: Bool) {
        if restart { statementQueryIDs = [] }
        statementQueryIDs.append(connection.lastCommandID)
    }

    // MARK: Names and types

    func quote(_ name: String) -> String { Dialect.postgres.quote(name) }

    /// `<schema>.rocky_versions`: id (hex), table name, rows, encoded bytes,
    /// origin (upload, result, derived), when it was loaded.
    var catalog: String { "\(quote(options.schema)).rocky_versions" }

    /// The table name of version `id` (unqualified, unquoted).
    public static func versionName(_ id: ObjectID) -> String { "v_" + id.hex.prefix(60) }

    func versionTable(_ id: ObjectID) -> String { "\(quote(options.schema)).\(quote(PostgresBackend.versionName(id)))" }

    func stagingTable() -> (qualified: String, name: String) {
        stagingCount += 1
        let name = "s_\(getpid())_\(stagingCount)_\(UInt32.random(in: 0...UInt32.max))"
        return ("\(quote(options.schema)).\(quote(name))", name)
    }

    /// The column type of a version's table.
    static func columnType(_ type: ColumnType) -> String {
        switch type {
        case .boolean: "boolean"
        case .integer: "bigint"
        case .double: "double precision"
        case let .decimal(p, s): "numeric(\(p),\(s))"
        case .text: "text COLLATE \"C\""
        case .date: "date"
        case .timestamp: "timestamp(6)"
        }
    }

    /// The type a result column is cast to in CREATE TABLE AS: the
    /// column's type without its collation (added to the expression).
    static func castType(_ type: ColumnType) -> String {
        type == .text ? "text" : columnType(type)
    }

    /// CREATE TABLE of a version: the schema's columns, NOT NULLs and key.
    func createSQL(_ table: String, schema: Schema, primaryKey: Bool = true) -> String {
        var parts = schema.columns.map { "\(quote($0.name)) \(PostgresBackend.columnType($0.type))\($0.nullable ? "" : " NOT NULL")" }
        if primaryKey, !schema.isKeyless { parts.append("PRIMARY KEY (\(schema.keyColumnNames.map(quote).joined(separator: ", ")))") }
        return "CREATE TABLE \(table) (\(parts.joined(separator: ", ")))"
    }

    /// Builds the key of a table filled without it (one sorted index build).
    func addPrimaryKey(_ table: String, schema: Schema) throws {
        guard !schema.isKeyless else { return }
        try connection.run("ALTER TABLE \(table) ADD PRIMARY KEY (\(schema.keyColumnNames.map(quote).joined(separator: ", ")))")
    }

    func columnList(_ schema: Schema) -> String { schema.columns.map { quote($0.name) }.joined(separator: ", ") }

    // MARK: Sessions, transactions, retries, errors

    /// The backend's own session settings, then the dialect's (its one call site).
    private func setUpSession() throws {
        try connection.run("SET client_min_messages = warning; SET search_path = pg_catalog, pg_temp; SET synchronize_seqscans = off")
        // PostgreSQL dialect helpers and masking (PostgresSessionSetup.swift):
        for statement in PostgresSessionSetup.statements(maskingKey: options.maskingKey) { try connection.run(statement) }
        sessionPID = connection.backendPID
    }

    private func ensureSession() throws {
        if sessionPID != connection.backendPID || sessionPID == 0 { try setUpSession() }
    }

    /// Runs `body` as one operation: refused while a result is open; run
    /// again after a lost connection or a timeout (see the type's
    /// documentation); PostgreSQL's errors become engine errors about
    /// `target`, naming `sql`.
    func operation<R>(_ name: String, sql: String?, target: String? = nil, keyColumns: [String] = [], _ body: () throws -> R) throws -> R {
        guard !resultOpen else { throw EngineError.resultStillOpen }
        do {
            return try retrying(name, sql: sql, body)
        } catch {
            throw engineError(error, sql: sql, target: target, keyColumns: keyColumns)
        }
    }

    private func retrying<R>(_ name: String, sql: String?, _ body: () throws -> R) throws -> R {
        try connection.withRetries(name, sql: sql, policy: policy, onRetry: { _, _ in retriesUsed += 1 }) { _ in
            try ensureSession()
            return try body()
        }
    }

    /// BEGIN, `body`, COMMIT; ROLLBACK when `body` throws.
    func inTransaction<R>(_ body: () throws -> R) throws -> R {
        try connection.run("BEGIN")
        do {
            let result = try body()
            try connection.run("COMMIT")
            return result
        } catch {
            rollback()
            throw error
        }
    }

    func rollback() {
        if connection.isConnected { try? connection.run("ROLLBACK") }
    }

    /// A failure as an engine error: constraint violations on `target` as
    /// `duplicateKey` / `nullKey`, the rest as `EngineError.backend` with
    /// the SQLSTATE, the message and `sql`.
    func engineError(_ error: any Error, sql: String?, target: String?, keyColumns: [String]) -> any Error {
        switch error {
        case let exhausted as PostgresRetriesExhausted:
            var failure = PostgresBackend.backendError(exhausted.lastError, engine: options.name, sql: sql ?? exhausted.sql)
            failure.message += " (gave up after \(exhausted.attempts) tries)"
            return EngineError.backend(failure)
        case let error as PostgresError:
            if let target, error.sqlState == "23505" {
                return EngineError.duplicateKey(table: target, detail: "two rows have the same (\(keyColumns.joined(separator: ", ")))")
            }
            if let target, error.sqlState == "23502" {
                let column = error.column ?? "?"
                if keyColumns.contains(where: { $0.lowercased() == column.lowercased() }) { return EngineError.nullKey(table: target, column: column) }
                var failure = PostgresBackend.backendError(error, engine: options.name, sql: sql)
                failure.message = "NULL in NOT NULL column \(target).\(column)"
                return EngineError.backend(failure)
            }
            return EngineError.backend(PostgresBackend.backendError(error, engine: options.name, sql: sql ?? error.sql))
        default:
            return error
        }
    }

    /// The engine-neutral form of a PostgreSQL failure. The server's
    /// `detail` is left out: it quotes row values (a key, a bad input).
    static func backendError(_ error: PostgresError, engine: String, sql: String?) -> BackendError {
        let (code, name): (String, String?) = switch error.kind {
        case .connect: (error.sqlState ?? "08001", "cannot connect")
        case .connectionLost: (error.sqlState ?? "08006", "connection lost")
        case .timeout: (error.sqlState ?? "57014", "statement timeout")
        case .canceled: (error.sqlState ?? "57014", "canceled")
        case .server: (error.sqlState ?? "XX000", nil)
        case .client: (error.sqlState ?? "client", "client error")
        }
        return BackendError(engine: "PostgreSQL (engine '\(engine)')", code: code, codeName: name,
                            message: error.message + (error.hint.map { " (hint: \($0))" } ?? ""), sql: sql)
    }

    static func seconds(_ duration: Duration) -> Double {
        let (seconds, attoseconds) = duration.components
        return Double(seconds) + Double(attoseconds) / 1e18
    }

    // MARK: The catalog of versions

    /// The encoded size of version `id` when the server holds it.
    func held(_ id: ObjectID) throws -> Int? {
        let result = try connection.execute("SELECT bytes FROM \(catalog) WHERE id = $1", [.text(id.hex)])
        guard let first = result.rows.first, case let .int64(bytes) = first[0] else { return nil }
        return Int(bytes)
    }

    /// Serializes, until the transaction ends, every change of version `id`'s entry.
    func lock(_ id: ObjectID) throws {
        try connection.execute("SELECT pg_advisory_xact_lock($1)", [.int64(Int64(bitPattern: id.w0))])
    }

    func register(_ id: ObjectID, rows: Int, bytes: Int, origin: String) throws {
        try connection.execute("INSERT INTO \(catalog) (id, name, rows, bytes, origin) VALUES ($1, $2, $3, $4, $5)",
                               [.text(id.hex), .text(PostgresBackend.versionName(id)), .int64(Int64(rows)), .int64(Int64(bytes)),
                                .text(origin)])
    }

    /// Makes staging table `staging` (nil: a new empty table) version `id`,
    /// or drops it when the server holds `id` already (the same rows were
    /// computed before). Inside the caller's transaction.
    func adopt(_ staging: (qualified: String, name: String)?, as id: ObjectID, schema: Schema, rows: Int, bytes: Int,
               origin: String = "result") throws {
        try lock(id)
        if try held(id) != nil {
            if let staging { try connection.run("DROP TABLE \(staging.qualified)") }
            return
        }
        if let staging {
            try connection.run("ALTER TABLE \(staging.qualified) RENAME TO \(quote(PostgresBackend.versionName(id)))")
        } else {
            try connection.run(createSQL(versionTable(id), schema: schema))
        }
        try register(id, rows: rows, bytes: bytes, origin: origin)
    }

    /// The versions the server holds, by id.
    public func heldVersions() throws -> [ObjectID] {
        try operation("list versions", sql: nil) {
            try connection.execute("SELECT id FROM \(catalog) ORDER BY id").rows.compactMap { row in
                if case let .text(hex) = row[0] { return ObjectID(hex: hex) }
                return nil
            }
        }
    }

    /// Drops every version the server holds that is not in `keep` and was
    /// loaded as `loaded` allows (each in its own transaction, under the
    /// version's lock); returns the ids dropped (with `dryRun`, that would
    /// be) and how many unreachable ones were kept as too recent.
    public func dropVersions(keeping keep: Set<ObjectID>, loaded age: VersionAge = .any, dryRun: Bool = false) throws -> (dropped: [ObjectID], keptRecent: Int) {
        let condition: String
        var parameters: [PostgresValue] = []
        switch age {
        case .any: condition = "true"
        case .none: condition = "false"
        case let .olderThan(seconds):
            condition = "loaded_at < now() - make_interval(secs => $1)"
            parameters = [.double(Double(seconds))]
        case let .before(time):
            condition = "loaded_at < $1::timestamptz"
            parameters = [.text(time.description)]
        }
        let rows = try operation("list versions", sql: nil) {
            try connection.execute("SELECT id, \(condition) FROM \(catalog) ORDER BY id", parameters).rows
        }
        var dropped: [ObjectID] = []
        var kept = 0
        for row in rows {
            guard case let .text(hex) = row[0], let id = ObjectID(hex: hex), !keep.contains(id) else { continue }
            guard row[1] == .bool(true) else { kept += 1; continue }
            dropped.append(id)
            if dryRun { continue }
            try operation("drop version", sql: nil) {
                try inTransaction {
                    try lock(id)
                    try connection.run("DROP TABLE IF EXISTS \(versionTable(id))")
                    try connection.execute("DELETE FROM \(catalog) WHERE id = $1", [.text(id.hex)])
                }
            }
        }
        return (dropped, kept)
    }

    // MARK: Views

    /// Exposes each input under the name its SQL uses, as a TEMP VIEW of its
    /// version (inside the operation's transaction).
    func createViews(_ tables: [BackendTable]) throws {
        for input in tables {
            try connection.run("DROP VIEW IF EXISTS pg_temp.\(quote(input.name)); "
                               + "CREATE TEMP VIEW \(quote(input.name)) AS SELECT * FROM \(versionTable(input.id))")
        }
    }

    func dropViews(_ names: [String]) throws {
        for name in names { try connection.run("DROP VIEW IF EXISTS pg_temp.\(quote(name))") }
    }

    // MARK: ExecutionBackend

    public func makeAvailable(_ tables: [BackendTable]) throws -> Availability {
        try Availability.gathering(tables) { input in
            try operation("upload", sql: nil, target: input.name, keyColumns: input.table.schema.keyColumnNames) { try upload(input) }
        }
    }

    /// Loads one version with COPY unless the server holds it. Returns its
    /// encoded size, the rows copied and whether it was loaded.
    private func upload(_ input: BackendTable) throws -> (bytes: Int, rows: Int, loaded: Bool) {
        if let bytes = try held(input.id) { return (bytes, 0, false) }
        return try inTransaction {
            try lock(input.id)
            if let bytes = try held(input.id) { return (bytes, 0, false) }
            let schema = input.table.schema
            let table = versionTable(input.id)
            try connection.run(createSQL(table, schema: schema))
            var source = VersionRows(input, store: store)
            var line: [UInt8] = []
            var rows = 0, sent = 0
            var done = false
            try connection.copyIn("COPY \(table) (\(columnList(schema))) FROM STDIN") { () throws -> [UInt8]? in
                guard !done else { return nil }
                var chunk: [UInt8] = []
                chunk.reserveCapacity(PostgresBackend.copyChunkBytes + 4096)
                while chunk.count < PostgresBackend.copyChunkBytes {
                    guard let count = try source.next() else { done = true; break }
                    line.removeAll(keepingCapacity: true)
                    PostgresBackend.appendCopyLine(source.row, to: &line)
                    for _ in 0..<count { chunk.append(contentsOf: line) }
                    rows += count
                }
                sent += chunk.count
                return chunk.isEmpty ? nil : chunk
            }
            try register(input.id, rows: rows, bytes: source.bytes, origin: "upload")
            bytesUploaded += sent
            versionsUploaded += 1
            return (source.bytes, rows, true)
        }
    }

    public func query(_ sql: String, columns: [OutputColumn], tables: [BackendTable]) throws -> RowStream {
        let (first, finished) = try operation("query", sql: sql) { () throws -> ([[PostgresValue]], Bool) in
            try connection.run("BEGIN")
            do {
                try createViews(tables)
                try connection.run("DECLARE rocky_rows NO SCROLL CURSOR FOR \(sql)")
                noteQueryID(restart: true)
                let batch = try connection.execute("FETCH FORWARD \(PostgresBackend.fetchRows) FROM rocky_rows", data: true)
                return (batch.rows, batch.rows.count < PostgresBackend.fetchRows)
            } catch {
                rollback()
                throw error
            }
        }
        resultOpen = true
        let source = PostgresRows(backend: self, sql: sql, pending: first, finished: finished)
        return RowStream(columns: columns, source: source, exhausted: first.isEmpty && finished)
    }

    /// The next batch of the open cursor (no retry: rows were handed out already).
    func fetch(sql: String) throws -> [[PostgresValue]] {
        do {
            return try connection.execute("FETCH FORWARD \(PostgresBackend.fetchRows) FROM rocky_rows", data: true).rows
        } catch {
            throw engineError(error, sql: sql, target: nil, keyColumns: [])
        }
    }

    /// Ends a query's transaction (its views and cursor go with it).
    func closeResult() {
        rollback()
        resultOpen = false
    }

    public func materialize(_ sql: String?, schema: Schema, target: String, tables: [BackendTable], writer: TreeWriter,
                            commit: (BuiltTree) throws -> ObjectID) throws {
        try operation("materialize", sql: sql, target: target, keyColumns: schema.keyColumnNames) {
            try inTransaction {
                guard let sql else {
                    try adopt(nil, as: try commit(BuiltTree()), schema: schema, rows: 0, bytes: 0)
                    return
                }
                try createViews(tables)
                // The server computes the result as psql's CREATE TABLE AS
                // would (bulk insert, a parallel plan when it pays), into
                // a staging table of the result's column types, in key
                // order; then one sequential scan streams the rows out,
                // in the order they were stored, in COPY's binary format
                // (`PostgresBinaryCopyDecoder`), into the tree. The table
                // is new and not yet committed, so no other scan shares it
                // and the rows come back as inserted. The tree writer checks
                // that each key follows the previous one (no key twice); if
                // not, the rows are read again into a sorting writer,
                // which reports a duplicate key. The NOT NULLs are checked
                // here while streaming (CREATE TABLE AS declares none).
                //
                // No key index is built on a result: the rows are already
                // known unique and in key order, and the statements that
                // read the version scan it (as psql's tables would be).
                // DML builds the key on its staging copy.
                let staging = stagingTable()
                let casts = schema.columns.map { column in
                    "CAST(\(quote(column.name)) AS \(PostgresBackend.castType(column.type)))"
                        + (column.type == .text ? " COLLATE \"C\"" : "") + " AS \(quote(column.name))"
                }.joined(separator: ", ")
                let select = "SELECT \(casts) FROM (\(sql)) AS rocky_result (\(columnList(schema)))"
                try userSQL(sql) {
                    var order = ""
                    if !schema.isKeyless, try !scansInKeyOrder(select, schema: schema, tables: tables) {
                        order = " ORDER BY " + schema.keyColumnNames.map { name in
                            String(schema.columns.firstIndex { $0.name == name }! + 1)
                        }.joined(separator: ", ")
                    }
                    try connection.run("CREATE TABLE \(staging.qualified) AS \(select)\(order)")
                    noteQueryID(restart: true)
                }
                let required = schema.columns.indices.filter { !schema.columns[$0].nullable }
                var streamed = 0
                let built = try writer.build { _, feed in
                    // The second time (out of order or a key twice): the rows again, into a sorting writer.
                    let first = streamed == 0
                    streamed += 1
                    try read(staging.qualified, schema: schema, ordered: false, table: target) { row in
                        if first {
                            for i in required where row[i] == .null { throw nullViolation(column: schema.columns[i].name, schema: schema, table: target, sql: sql) }
                        }
                        try feed.add(row: row)
                    }
                }
                try dropViews(tables.map(\.name))
                let streamedOnce = streamed == 1
                let id = try commit(built)
                // Read twice: the rows were not stored in key order (a guess
                // that they would be was wrong), so no later guess counts on it.
                try adopt(staging, as: id, schema: schema, rows: built.engineRows, bytes: built.encodedBytes,
                          origin: schema.isKeyless || streamedOnce ? "result" : "unordered")
            }
        }
    }

    /// Streams every row of a server table (`select`: its own query),
    /// typed by `schema`, ordered by the key when asked.
    func read(_ table: String, schema: Schema, ordered: Bool, table label: String, _ body: ([Value]) throws -> Void) throws {
        var sql = "SELECT \(columnList(schema)) FROM \(table)"
        if ordered, !schema.isKeyless { sql += " ORDER BY " + schema.keyColumnNames.map(quote).joined(separator: ", ") }
        try stream(sql, schema: schema, table: label, body)
    }

    /// Streams the rows of query `sql`, typed by `schema`, through
    /// `COPY (sql) TO STDOUT (FORMAT binary)` read straight into values
    /// (`PostgresBinaryCopyDecoder`): no result object per row, no value
    /// printed by the server and parsed by Rocky. `sql`'s columns have the
    /// types of a version's table (`columnType`), as the decoder requires.
    func stream(_ sql: String, schema: Schema, table: String, _ body: ([Value]) throws -> Void) throws {
        var decoder = PostgresBinaryCopyDecoder(schema: schema, table: table)
        try connection.copyOut("COPY (\(sql)) TO STDOUT (FORMAT binary)") { chunk in try decoder.decode(chunk, body) }
        try decoder.finish()
    }

    /// Runs `body`, whose commands run the statement's SQL `sql`: a
    /// server error is reported about `sql` as the user wrote it (not the
    /// statement Rocky wrapped around it).
    func userSQL(_ sql: String, _ body: () throws -> Void) throws {
        do {
            try body()
        } catch var error as PostgresError {
            error.sql = sql
            error.position = nil
            throw error
        }
    }

    /// Whether query `select` yields its rows in the key order of `schema`
    /// without an ORDER BY, as far as its plan shows: a sequential scan of
    /// one input (filtered, projected; no parallel Gather, join, sort or
    /// aggregate) whose key has the result's key columns, in the same order.
    /// An upload's or a result's rows are stored in its key order (copied
    /// or inserted in it; `synchronize_seqscans` is off; the catalog's
    /// origin tells them from DML's and unordered results), so then the
    /// sort is saved. A guess proven wrong costs a second read:
    /// the tree writer checks the order.
    func scansInKeyOrder(_ select: String, schema: Schema, tables: [BackendTable]) throws -> Bool {
        var scanned: Substring?
        for (i, row) in try connection.execute("EXPLAIN (COSTS OFF) \(select)").rows.enumerated() {
            guard case let .text(line) = row.first else { return false }
            var node = line.drop { $0 == " " }
            if node.hasPrefix("->") {
                node = node.dropFirst(2).drop { $0 == " " }
            } else if i > 0 {
                continue  // a node's detail (Filter: ...)
            }
            if node.hasPrefix("Seq Scan on ") {
                guard scanned == nil else { return false }
                scanned = node.dropFirst("Seq Scan on ".count).prefix { $0 != " " }
            } else if !node.hasPrefix("Subquery Scan") && !node.hasPrefix("Result") {
                return false
            }
        }
        guard let scanned, let input = tables.first(where: { PostgresBackend.versionName($0.id) == scanned }),
              input.table.schema.keyColumnNames.map({ $0.lowercased() }) == schema.keyColumnNames.map({ $0.lowercased() })
        else { return false }
        // Stored in key order: an upload, a result read in one pass (not DML's copy, whose changed rows sit at its end).
        let origin = try connection.execute("SELECT origin FROM \(catalog) WHERE id = $1", [.text(input.id.hex)]).rows.first?.first
        return origin == .text("upload") || origin == .text("result")
    }

    /// A NULL in NOT NULL column `column` of a result: on a key column
    /// `nullKey`, else the failure the server reports for one.
    func nullViolation(column: String, schema: Schema, table: String, sql: String) -> any Error {
        if schema.keyColumnNames.contains(column) { return EngineError.nullKey(table: table, column: column) }
        return EngineError.backend(BackendError(engine: "PostgreSQL (engine '\(options.name)')", code: "23502", codeName: nil,
                                                message: "NULL in NOT NULL column \(table).\(column)", sql: sql))
    }

    public func modify(_ statements: [String], target: BackendTable, tables: [BackendTable], changes: ChangeCollector,
                       commit: () throws -> ObjectID) throws -> Int {
        guard !resultOpen else { throw EngineError.resultStillOpen }
        let schema = target.table.schema
        let old = versionTable(target.id)
        var running: String? = statements.joined(separator: ";\n")
        do {
            // Up to the end of the statements: one transaction, retried as a whole.
            let (staging, changed, views) = try retrying("modify", sql: running) { () throws -> ((qualified: String, name: String), Int, [String]) in
                try connection.run("BEGIN")
                do {
                    let others = tables.filter { $0.name.lowercased() != target.name.lowercased() }
                    try createViews(others)
                    let staging = stagingTable()
                    // The copy is filled without its key, then the key is built
                    // (one sorted index build, not an index insert per row).
                    try connection.run(createSQL(staging.qualified, schema: schema, primaryKey: false))
                    try connection.run("INSERT INTO \(staging.qualified) (\(columnList(schema))) SELECT \(columnList(schema)) FROM \(old)")
                    try addPrimaryKey(staging.qualified, schema: schema)
                    try captureChanges(of: staging.qualified, schema: schema)
                    try connection.run("DROP VIEW IF EXISTS pg_temp.\(quote(target.name)); "
                                       + "CREATE TEMP VIEW \(quote(target.name)) AS SELECT * FROM \(staging.qualified)")
                    var changed = 0
                    for (i, sql) in statements.enumerated() {
                        running = sql
                        changed += try connection.execute(sql).affectedRows ?? 0
                        noteQueryID(restart: i == 0)
                    }
                    running = nil
                    return (staging, changed, others.map(\.name) + [target.name])
                } catch {
                    rollback()
                    throw error
                }
            }
            do {
                // Old images first, then new ones (ChangeCollector's order):
                // the net change of the statements, from the images captured.
                let columns = columnList(schema)
                try stream("SELECT \(columns) FROM pg_temp.rocky_old_images EXCEPT ALL SELECT \(columns) FROM pg_temp.rocky_new_images",
                           schema: schema, table: target.name) { try changes.add(new: false, row: $0) }
                try stream("SELECT \(columns) FROM pg_temp.rocky_new_images EXCEPT ALL SELECT \(columns) FROM pg_temp.rocky_old_images",
                           schema: schema, table: target.name) { try changes.add(new: true, row: $0) }
                try connection.run("DROP TRIGGER rocky_insert ON \(staging.qualified); DROP TRIGGER rocky_update ON \(staging.qualified); "
                                   + "DROP TRIGGER rocky_delete ON \(staging.qualified); "
                                   + "DROP TABLE pg_temp.rocky_old_images, pg_temp.rocky_new_images")
                try dropViews(views)
                let oldBytes = try held(target.id) ?? 0
                let id = try commit()
                if id == target.id {
                    try connection.run("DROP TABLE \(staging.qualified)")
                } else {
                    try adopt(staging, as: id, schema: schema, rows: max(0, target.table.rowCount + changes.rowDelta),
                              bytes: max(0, oldBytes + changes.byteDelta), origin: "modified")
                }
                try connection.run("COMMIT")
                return changed
            } catch {
                rollback()
                throw error
            }
        } catch {
            throw engineError(error, sql: running, target: target.name, keyColumns: schema.keyColumnNames)
        }
    }

    /// Captures the rows DML changes in `table` (inside the operation's
    /// transaction): statement-level triggers with transition tables append
    /// the old image of every row updated or deleted to
    /// `pg_temp.rocky_old_images` and the new image of every row inserted or
    /// updated to `pg_temp.rocky_new_images`. With the table as T before and
    /// F after the statements, F = T − O + N (as multisets), so the net
    /// change is T ∖ F = O ∖ N and F ∖ T = N ∖ O (EXCEPT ALL): it costs what
    /// the statements touched, not two passes over the whole table.
    func captureChanges(of table: String, schema: Schema) throws {
        let columns = columnList(schema)
        try connection.run("""
            DROP TABLE IF EXISTS pg_temp.rocky_old_images, pg_temp.rocky_new_images;
            CREATE TEMP TABLE rocky_old_images AS SELECT \(columns) FROM \(table) WITH NO DATA;
            CREATE TEMP TABLE rocky_new_images AS SELECT \(columns) FROM \(table) WITH NO DATA;
            CREATE OR REPLACE FUNCTION pg_temp.rocky_capture() RETURNS trigger LANGUAGE plpgsql AS $rocky$
            BEGIN
              IF TG_OP = 'UPDATE' OR TG_OP = 'DELETE' THEN INSERT INTO pg_temp.rocky_old_images SELECT * FROM rocky_old_rows; END IF;
              IF TG_OP = 'UPDATE' OR TG_OP = 'INSERT' THEN INSERT INTO pg_temp.rocky_new_images SELECT * FROM rocky_new_rows; END IF;
              RETURN NULL;
            END $rocky$;
            CREATE TRIGGER rocky_insert AFTER INSERT ON \(table) REFERENCING NEW TABLE AS rocky_new_rows
              FOR EACH STATEMENT EXECUTE FUNCTION pg_temp.rocky_capture();
            CREATE TRIGGER rocky_update AFTER UPDATE ON \(table) REFERENCING OLD TABLE AS rocky_old_rows NEW TABLE AS rocky_new_rows
              FOR EACH STATEMENT EXECUTE FUNCTION pg_temp.rocky_capture();
            CREATE TRIGGER rocky_delete AFTER DELETE ON \(table) REFERENCING OLD TABLE AS rocky_old_rows
              FOR EACH STATEMENT EXECUTE FUNCTION pg_temp.rocky_capture();
            """)
    }

    /// ADD COLUMN and RENAME COLUMN: when the server holds the old version,
    /// the new one is copied from it on the server (columns matched by id).
    public func derive(_ id: ObjectID, from old: BackendTable, schema: Schema, alteration: Alteration) throws {
        try operation("derive", sql: nil, target: old.name) {
            guard let bytes = try held(old.id) else { return }
            try inTransaction {
                try lock(id)
                guard try held(id) == nil else { return }
                let pairs = schema.columns.compactMap { column in
                    old.table.schema.columns.first { $0.id == column.id }.map { (new: column.name, old: $0.name) }
                }
                try connection.run(createSQL(versionTable(id), schema: schema))
                try connection.run("INSERT INTO \(versionTable(id)) (\(pairs.map { quote($0.new) }.joined(separator: ", "))) "
                                   + "SELECT \(pairs.map { quote($0.old) }.joined(separator: ", ")) FROM \(versionTable(old.id))")
                try register(id, rows: old.table.rowCount, bytes: bytes, origin: "derived")
            }
        }
    }

    // MARK: Values

    /// One row in COPY's text format (tab-separated, `\N` for NULL, newline-terminated).
    static func appendCopyLine(_ row: [Value], to out: inout [UInt8]) {
        for (i, value) in row.enumerated() {
            if i > 0 { out.append(9) }
            appendCopyText(value, to: &out)
        }
        out.append(10)
    }

    static func appendCopyText(_ value: Value, to out: inout [UInt8]) {
        switch value {
        case .null: out.append(contentsOf: [92, 78])
        case let .boolean(b): out.append(b ? 116 : 102)
        case let .integer(i): CanonicalText.appendInteger(i, to: &out)
        case let .double(d):
            let text = d.isNaN ? "NaN" : d.isInfinite ? (d < 0 ? "-Infinity" : "Infinity") : "\(d)"
            out.append(contentsOf: text.utf8)
        case let .decimal(d): CanonicalText.appendDecimal(d, to: &out)
        case var .text(s):
            s.withUTF8 { bytes in
                // Most text has nothing to escape: one copy.
                guard bytes.contains(where: { $0 == 92 || $0 == 10 || $0 == 13 || $0 == 9 }) else {
                    return out.append(contentsOf: bytes)
                }
                for byte in bytes {
                    switch byte {
                    case 92: out.append(contentsOf: [92, 92])
                    case 10: out.append(contentsOf: [92, 110])
                    case 13: out.append(contentsOf: [92, 114])
                    case 9: out.append(contentsOf: [92, 116])
                    default: out.append(byte)
                    }
                }
            }
        case let .date(d): CanonicalText.appendDate(d, to: &out)
        case let .timestamp(t): CanonicalText.appendTimestamp(t, to: &out)
        }
    }

    /// A value read from the server as a value of `type`. A DECIMAL is
    /// brought to its column's scale (rounded as Rocky rounds) and its
    /// precision checked; anything else not of the column's type is a
    /// representation error (the compiled SQL and the IR disagree).
    static func value(_ value: PostgresValue, type: ColumnType, table: String, column: String) throws -> Value {
        func mismatch() -> EngineError {
            .representation(table: table, column: column, detail: "PostgreSQL returned \(value) where a \(type.name) was expected")
        }
        switch (type, value) {
        case (_, .null): return .null
        case let (.boolean, .bool(b)): return .boolean(b)
        case let (.integer, .int64(i)): return .integer(i)
        case let (.integer, .numeric(text)):
            guard let i = Int64(text) else { throw mismatch() }
            return .integer(i)
        case let (.double, .double(d)): return .double(d)
        case let (.decimal(p, s), .numeric(text)):
            guard let d = ExactDecimal(parsing: text) else {
                throw EngineError.decimalOverflow(table: table, column: column, detail: "\(text) does not fit \(type.name)")
            }
            return try decimal(d, precision: p, scale: s, table: table, column: column, type: type)
        case let (.decimal(p, s), .int64(i)):
            return try decimal(ExactDecimal(Int(i)), precision: p, scale: s, table: table, column: column, type: type)
        case let (.text, .text(s)): return .text(s)
        case let (.date, .date(d)): return .date(d)
        case let (.timestamp, .timestamp(t)): return .timestamp(t)
        default: throw mismatch()
        }
    }

    static func decimal(_ d: ExactDecimal, precision: Int, scale: Int, table: String, column: String, type: ColumnType) throws -> Value {
        let scaled = d.rescaled(to: scale) ?? d.rounded(toScale: scale)
        guard scaled.fits(precision: precision, scale: scale) else {
            throw EngineError.decimalPrecision(table: table, column: column, value: scaled.description, type: type.name)
        }
        return .decimal(scaled)
    }
}

/// A query's rows, fetched from its cursor in batches.
final class PostgresRows: RowSource {
    private var backend: PostgresBackend?
    private let sql: String
    private var pending: [[PostgresValue]]
    private var index = 0
    private var finished: Bool

    init(backend: PostgresBackend, sql: String, pending: [[PostgresValue]], finished: Bool) {
        self.backend = backend
        self.sql = sql
        self.pending = pending
        self.finished = finished
    }

    func nextRow(columns: [OutputColumn]) throws -> [Value]? {
        guard let backend else { return nil }
        if index == pending.count {
            guard !finished else { return nil }
            pending = try backend.fetch(sql: sql)
            index = 0
            finished = pending.count < PostgresBackend.fetchRows
            if pending.isEmpty { return nil }
        }
        let row = pending[index]
        index += 1
        var values: [Value] = []
        values.reserveCapacity(columns.count)
        for (i, column) in columns.enumerated() {
            values.append(try PostgresBackend.value(row[i], type: column.type, table: "result", column: column.name))
        }
        return values
    }

    func close() {
        backend?.closeResult()
        backend = nil
    }
}
