import Foundation
import RockyBase
import RockyEngine
import RockySQL
import RockyStore
import RockyTable

/// How a `SparkBackend` reaches its Thrift server and keeps its versions:
/// `[engines.<name>]` of rocky.toml.
public struct SparkEngineOptions: Sendable {
    /// The engine's name in rocky.toml ("spark"), for messages.
    public var name: String
    public var host: String
    public var port: Int
    /// NOSASL, or SASL PLAIN with a user and a password (from the environment, never rocky.toml).
    public var authentication: HiveAuthentication
    public var user: String?
    /// The database holding the table versions (created when missing).
    public var database: String
    public var statementTimeout: Duration?
    /// Tries after the first on a lost connection or session, or a timeout, with exponential backoff.
    public var retries: Int
    public var initialRetryDelay: Duration
    /// How long one reply of the server may take (each FetchResults, each poll).
    public var replyTimeout: Duration
    /// A folder the server reads as this process writes it (a shared file
    /// system, a mounted volume): versions are uploaded as CSV files there
    /// (`StageCSV`), which Spark's CSV reader reads, typed, into the version
    /// table. Nil: INSERTs over the protocol.
    public var stage: String?
    /// The HMAC key of keyed-hash masking (handed to `DatabricksSessionSetup`).
    public var maskingKey: [UInt8]?

    public init(name: String, host: String, port: Int = 10000, authentication: HiveAuthentication = .noSASL, user: String? = nil,
                database: String = "rocky", statementTimeout: Duration? = nil, retries: Int = 0,
                initialRetryDelay: Duration = .milliseconds(200), replyTimeout: Duration = .seconds(120), stage: String? = nil,
                maskingKey: [UInt8]? = nil) {
        self.name = name
        self.host = host
        self.port = port
        self.authentication = authentication
        self.user = user
        self.database = database
        self.statementTimeout = statementTimeout
        self.retries = retries
        self.initialRetryDelay = initialRetryDelay
        self.replyTimeout = replyTimeout
        self.stage = stage
        self.maskingKey = maskingKey
    }
}

/// A failure that was retried until the tries ran out.
struct SparkRetriesExhausted: Error {
    var lastError: any Error
    var attempts: Int
}

/// The Spark backend: runs the Spark SQL (Databricks dialect) of compiled
/// statements on a Spark Thrift server (HiveServer2 protocol), over table
/// versions it keeps there. Statement semantics are `StatementExecutor`'s;
/// this moves rows in and out of Spark.
///
/// - **Versions.** Version `X` is the Parquet table `<database>.v_<hex of
///   X>`, whose table properties record its full id, rows, encoded bytes,
///   origin (upload, result, derived) and load time. It is filled under a
///   staging name (`s_<pid>_<n>_<random>`) and renamed last, so a version
///   table that exists is complete (Spark has no transactions). It enters
///   Spark once (through the stage folder as CSV when one is configured,
///   else batched multi-row INSERTs over the protocol; a keyless row as many
///   times as its multiplicity) and is reused by every later
///   statement, branch, replay and process; results stay in Spark under
///   their new ids.
/// - **Names.** A statement's inputs are session TEMPORARY VIEWs named as
///   its SQL names them, dropped when the operation ends.
/// - **Queries** stream through FetchResults, `fetchRows` rows in the first
///   call, then as many as make about `fetchBytes` (1,000 to 50,000):
///   bounded memory on this side whatever the size.
/// - **CREATE TABLE AS** runs into a staging table of the result's column
///   types (CAST to the schema's), whose rows are then read back in key
///   order into the tree; the tree builder and the reading enforce the key
///   and NOT NULLs (Spark enforces neither); the staging table becomes the
///   new version.
/// - **DML** is run as queries (`DMLQueries`): Spark's own tables take no
///   UPDATE or DELETE. The rows the statement changes are read with their
///   old and new images; the new version is the unchanged rows plus the new
///   images (a CREATE TABLE AS), checked for duplicate keys first.
/// - **Retries.** On a lost connection or session, or a timeout, an
///   operation is run again on a new session up to `retries` times with
///   exponential backoff (a DML operation up to the reading of its changes);
///   then the failure is thrown naming the engine, the SQL and the last error.
public final class SparkBackend: HeldVersions {
    public let kind = EngineKind.spark
    public let dialect = Dialect.databricks
    /// The server's Spark version (GetInfo, else `version()`).
    public private(set) var serverVersion: String
    public let store: any ObjectStore
    public let temporaryDirectory: String
    public let options: SparkEngineOptions
    private var connection: HiveConnection?
    private var resultOpen = false
    private var stagingCount = 0
    /// The temporary views made, by lowercased name (Spark's names are case
    /// insensitive): the version each shows, on the session that made it.
    private var views: [String: (id: ObjectID, connection: HiveConnection)] = [:]
    /// Encoded bytes of the versions known to be held, by id.
    private var heldBytes: [ObjectID: Int] = [:]
    /// Rows sent with INSERT by this backend (versions uploaded).
    public private(set) var rowsUploaded = 0
    /// Versions this backend uploaded.
    public private(set) var versionsUploaded = 0
    /// Tries that failed and were retried.
    public private(set) var retriesUsed = 0
    /// Statements sent to Spark by this backend's operations (each an
    /// ExecuteStatement with its polls and fetches; the session set-up not
    /// counted): the benchmark's count of round trips per step.
    public private(set) var statementsRun = 0

    /// Rows asked of the first FetchResults call of a query.
    public static let fetchRows = 5000
    /// Later calls ask for about this many bytes of reply (from the bytes
    /// per row of the last one), within `fetchRowRange`: narrow rows come in
    /// fewer round trips, wide ones still in bounded memory.
    static let fetchBytes = 4 << 20
    static let fetchRowRange = 1000...50_000

    /// Rows to ask of the next FetchResults after one that gave `rows` rows in `bytes` bytes.
    static func nextFetchRows(rows: Int, bytes: Int) -> Int {
        guard rows > 0, bytes > 0 else { return fetchRows }
        let perRow = max(1, bytes / rows)
        return min(max(fetchBytes / perRow, fetchRowRange.lowerBound), fetchRowRange.upperBound)
    }

    /// The next rows of `operation`, `size` of them at most; `size` becomes the next call's.
    static func fetchBatch(_ connection: HiveConnection, _ operation: HiveOperation, size: inout Int) throws -> [[HiveValue]] {
        let batch = try connection.fetch(operation, maxRows: size)
        size = nextFetchRows(rows: batch.count, bytes: connection.lastReplyBytes)
        return batch
    }
    /// Bytes of SQL text per INSERT of an upload.
    static let insertBytes = 1 << 20

    public var modifiesThroughQueries: Bool { true }

    /// Connects (retrying as configured), creates the database when missing,
    /// and sets the session up.
    public init(store: any ObjectStore, options: SparkEngineOptions, temporaryDirectory: String) throws {
        self.store = store
        self.options = options
        self.temporaryDirectory = temporaryDirectory
        serverVersion = ""
        try operation("set up", sql: nil) {
            try session().run("CREATE DATABASE IF NOT EXISTS \(quote(options.database))", timeout: options.statementTimeout)
        }
    }

    deinit { try? connection?.close() }

    // MARK: Names and types

    func quote(_ name: String) -> String { Dialect.databricks.quote(name) }

    /// The table name of version `id` (unqualified, unquoted).
    public static func versionName(_ id: ObjectID) -> String { "v_" + id.hex }

    func versionTable(_ id: ObjectID) -> String { "\(quote(options.database)).\(quote(SparkBackend.versionName(id)))" }

    func stagingTable() -> (qualified: String, name: String) {
        stagingCount += 1
        let name = "s_\(getpid())_\(stagingCount)_\(UInt32.random(in: 0...UInt32.max))"
        return ("\(quote(options.database)).\(quote(name))", name)
    }

    static func columnType(_ type: ColumnType) -> String { Dialect.databricks.typeName(type) }

    func columnList(_ schema: Schema, qualifier: String? = nil) -> String {
        schema.columns.map { (qualifier.map { quote($0) + "." } ?? "") + quote($0.name) }.joined(separator: ", ")
    }

    /// The columns of `schema` cast to their types, from `source`'s columns of the same names.
    func castList(_ schema: Schema, qualifier: String) -> String {
        schema.columns.map { "CAST(\(quote(qualifier)).\(quote($0.name)) AS \(SparkBackend.columnType($0.type))) AS \(quote($0.name))" }
            .joined(separator: ", ")
    }

    // MARK: Sessions, retries, errors

    /// The open session, or a new one, set up for the Spark SQL Rocky emits
    /// (`DatabricksSessionSetup`: UTC, ANSI mode, the `rocky_*` helpers and
    /// keyed-hash masking under the repository's key).
    func session() throws -> HiveConnection {
        if let connection, connection.isOpen { return connection }
        connection = nil
        let opened = try HiveConnection(host: options.host, port: options.port, authentication: options.authentication, user: options.user,
                                        configuration: [:], timeout: options.replyTimeout)
        for statement in Dialect.databricks.sessionSetup(maskingKey: options.maskingKey) {
            try opened.run(statement, timeout: options.statementTimeout)
        }
        if serverVersion.isEmpty {
            serverVersion = opened.serverVersion
            if serverVersion.isEmpty, let row = try opened.query("SELECT version()").rows.first, case let .string(text)? = row.first {
                serverVersion = String(text.split(separator: " ").first ?? "")
            }
        }
        connection = opened
        return opened
    }

    /// Runs a statement to its end on the session.
    func run(_ sql: String) throws {
        statementsRun += 1
        try session().run(sql, timeout: options.statementTimeout)
    }

    /// Runs a small query to its end on the session.
    func rows(_ sql: String) throws -> [[HiveValue]] {
        statementsRun += 1
        return try session().query(sql, timeout: options.statementTimeout).rows
    }

    /// A failure worth another try on a new session: the connection or the
    /// session was lost, or a reply or the statement timed out.
    static func isRetryable(_ error: any Error) -> Bool {
        switch error {
        case is HiveTransportError: return true
        case let error as HiveServerError:
            let message = error.message.lowercased()
            return message.contains("invalid sessionhandle") || message.contains("invalid session") || message.contains("invalid operationhandle")
        default: return false
        }
    }

    /// Runs `body` as one operation: refused while a result is open; run
    /// again on a new session after a lost connection or a timeout; Spark's
    /// errors become engine errors naming `sql`.
    func operation<R>(_ name: String, sql: String?, _ body: () throws -> R) throws -> R {
        guard !resultOpen else { throw EngineError.resultStillOpen }
        do {
            return try retrying(body)
        } catch {
            throw engineError(error, sql: sql)
        }
    }

    func retrying<R>(_ body: () throws -> R) throws -> R {
        var attempt = 0
        var delay = options.initialRetryDelay
        while true {
            attempt += 1
            do {
                return try body()
            } catch {
                guard SparkBackend.isRetryable(error) else { throw error }
                try? connection?.close()
                connection = nil
                guard attempt <= options.retries else {
                    throw attempt > 1 ? SparkRetriesExhausted(lastError: error, attempts: attempt) : error
                }
                retriesUsed += 1
                Thread.sleep(forTimeInterval: SparkBackend.seconds(delay))
                delay = min(delay * 2, .seconds(10))
            }
        }
    }

    /// A failure as an engine error (engine errors pass through).
    func engineError(_ error: any Error, sql: String?) -> any Error {
        switch error {
        case let exhausted as SparkRetriesExhausted:
            guard case var .backend(failure) = engineError(exhausted.lastError, sql: sql) as? EngineError else { return exhausted.lastError }
            failure.message += " (gave up after \(exhausted.attempts) tries)"
            return EngineError.backend(failure)
        case is EngineError:
            return error
        case let error as HiveServerError:
            return EngineError.backend(BackendError(engine: engineLabel, code: SparkBackend.code(error),
                                                    codeName: error.canceled ? "canceled" : nil,
                                                    message: SparkBackend.message(error.message), sql: sql ?? error.statement))
        case let error as HiveTransportError:
            let (code, name, message): (String, String, String) = switch error {
            case let .connect(m): ("08001", "cannot connect", m)
            case let .closed(m): ("08006", "connection lost", m)
            case let .timeout(m): ("57014", "timeout", "timed out " + m)
            case let .sasl(m): ("28000", "authentication failed", m)
            }
            return EngineError.backend(BackendError(engine: engineLabel, code: code, codeName: name, message: message, sql: sql))
        case let error as ThriftError:
            return EngineError.backend(BackendError(engine: engineLabel, code: "08P01", codeName: "protocol error", message: "\(error)", sql: sql))
        default:
            return error
        }
    }

    var engineLabel: String { "Spark (engine '\(options.name)')" }

    /// The SQLSTATE, else Spark's error class (`[DIVIDE_BY_ZERO] ...`), else "XX000".
    static func code(_ error: HiveServerError) -> String {
        if let state = error.sqlState, !state.isEmpty { return state }
        let message = Substring(message(error.message))
        if message.hasPrefix("["), let end = message.firstIndex(of: "]") {
            return String(message[message.index(after: message.startIndex)..<end])
        }
        return "XX000"
    }

    /// Spark's message without the Java exception prefix and stack lines, at most 1,000 characters.
    static func message(_ text: String) -> String {
        var first = text.split(separator: "\n", omittingEmptySubsequences: true).first.map(String.init) ?? text
        for prefix in ["org.apache.hive.service.cli.HiveSQLException: ", "Error running query: ", "org.apache.spark.sql.AnalysisException: "] {
            if first.hasPrefix(prefix) { first.removeFirst(prefix.count) }
        }
        return first.count <= 1000 ? first : String(first.prefix(997)) + "..."
    }

    static func seconds(_ duration: Duration) -> Double {
        let (seconds, attoseconds) = duration.components
        return Double(seconds) + Double(attoseconds) / 1e18
    }

    // MARK: The versions held

    /// The encoded size of version `id` when Spark holds it.
    func held(_ id: ObjectID) throws -> Int? {
        if let bytes = heldBytes[id] { return bytes }
        let found: [[HiveValue]]
        do {
            found = try rows("SHOW TBLPROPERTIES \(versionTable(id)) ('rocky.bytes')")
        } catch let error as HiveServerError where error.sqlState == "42P01" || error.message.contains("TABLE_OR_VIEW_NOT_FOUND") {
            return nil
        }
        guard let row = found.first, row.count >= 2, case let .string(text) = row[1], let bytes = Int(text) else { return nil }
        heldBytes[id] = bytes
        return bytes
    }

    /// The table properties of version `id`: its full id, rows, encoded
    /// bytes, origin and load time.
    static func properties(_ id: ObjectID, rows: Int, bytes: Int, origin: String) -> String {
        let properties = [("rocky.id", id.hex), ("rocky.rows", String(rows)), ("rocky.bytes", String(bytes)), ("rocky.origin", origin),
                          ("rocky.loaded_at", String(Int(Date().timeIntervalSince1970)))]
        return "(" + properties.map { "\(Dialect.databricks.string($0.0)) = \(Dialect.databricks.string($0.1))" }.joined(separator: ", ") + ")"
    }

    /// Makes staging table `staging` version `id` (its properties set
    /// unless it was created with them, then renamed), or drops it when
    /// Spark holds `id` already. Each is a Hive metastore change (1-7 s on
    /// a loaded machine): a staging table whose rows and bytes are known
    /// before it is filled is created with its properties
    /// (`propertiesSet`), and only renamed here.
    func adopt(_ staging: (qualified: String, name: String), as id: ObjectID, rows: Int, bytes: Int, origin: String,
               propertiesSet: Bool = false) throws {
        // Only a version known held is checked first: asking Spark would be one
        // more statement per result, and the rename below fails anyway when
        // the version exists (then the staging table is dropped).
        if heldBytes[id] != nil {
            try run("DROP TABLE IF EXISTS \(staging.qualified)")
            return
        }
        if !propertiesSet {
            try run("ALTER TABLE \(staging.qualified) SET TBLPROPERTIES \(SparkBackend.properties(id, rows: rows, bytes: bytes, origin: origin))")
        }
        do {
            try run("ALTER TABLE \(staging.qualified) RENAME TO \(versionTable(id))")
        } catch let error as HiveServerError {
            // Another process made the version meanwhile.
            guard try held(id) != nil else { throw error }
            try run("DROP TABLE IF EXISTS \(staging.qualified)")
            return
        }
        heldBytes[id] = bytes
    }

    /// The versions Spark holds in the database: its tables named `v_<hex>`.
    public func heldVersions() throws -> [ObjectID] {
        try operation("list versions", sql: nil) {
            try rows("SHOW TABLES IN \(quote(options.database)) LIKE 'v_*'").compactMap { row -> ObjectID? in
                // (namespace, tableName, isTemporary): a session's temporary view is no version.
                guard row.count >= 2, case let .string(name) = row[1], name.hasPrefix("v_") else { return nil }
                if row.count >= 3, case .bool(true) = row[2] { return nil }
                return ObjectID(hex: String(name.dropFirst(2)))
            }.sorted { $0.hex < $1.hex }
        }
    }

    /// Drops every version Spark holds that is not in `keep` and was loaded
    /// as `age` allows (by its `rocky.loaded_at` property; one without it
    /// counts as old). Spark has no locks: a version a statement running
    /// now has just made is kept by the grace period, as on every engine.
    public func dropVersions(keeping keep: Set<ObjectID>, loaded age: VersionAge = .any, dryRun: Bool = false) throws -> (dropped: [ObjectID], keptRecent: Int) {
        let now = Date().timeIntervalSince1970
        let cutoff: Double? = switch age {
        case .any: .infinity
        case .none: nil
        case let .olderThan(seconds): now - Double(seconds)
        case let .before(time): min(now, Double(time.microseconds) / 1e6)
        }
        var dropped: [ObjectID] = []
        var kept = 0
        for id in try heldVersions() where !keep.contains(id) {
            let old = try cutoff.map { cutoff in
                guard cutoff.isFinite else { return true }
                let found = try operation("list versions", sql: nil) { try rows("SHOW TBLPROPERTIES \(versionTable(id)) ('rocky.loaded_at')") }
                guard let row = found.first, row.count >= 2, case let .string(text) = row[1], let loaded = Double(text) else { return true }
                return loaded < cutoff
            } ?? false
            guard old else { kept += 1; continue }
            dropped.append(id)
            if dryRun { continue }
            try operation("drop version", sql: nil) { try run("DROP TABLE IF EXISTS \(versionTable(id))") }
            heldBytes[id] = nil
        }
        return (dropped, kept)
    }

    /// Drops a staging table after a failure, when the session still works.
    func discard(_ staging: String?) {
        guard let staging, connection?.isOpen == true else { return }
        try? run("DROP TABLE IF EXISTS \(staging)")
    }

    // MARK: Views

    /// Exposes each input under the name its SQL uses, as a TEMPORARY VIEW of
    /// its version. Views are not dropped: every operation makes those of
    /// the names its SQL uses (version tables are always named in full), so
    /// a view left from an earlier one is never read; they end with the session.
    /// A view the session already has for the same version is kept (one
    /// statement less per input: a chain reads the same inputs again and again).
    func createViews(_ tables: [BackendTable]) throws {
        let connection = try session()
        for input in tables {
            let name = input.name.lowercased()
            if let view = views[name], view.id == input.id, view.connection === connection { continue }
            views[name] = nil
            try run("CREATE OR REPLACE TEMPORARY VIEW \(quote(input.name)) AS SELECT * FROM \(versionTable(input.id))")
            views[name] = (input.id, connection)
        }
    }


    // MARK: ExecutionBackend

    public func makeAvailable(_ tables: [BackendTable]) throws -> Availability {
        try Availability.gathering(tables) { input in try operation("upload", sql: nil) { try upload(input) } }
    }

    /// Loads one version unless Spark holds it, through the stage folder
    /// when one is configured, else with INSERTs, into a staging table that
    /// is adopted under the version's name (or dropped on any failure).
    /// Returns its encoded size, the rows sent and whether it was loaded.
    private func upload(_ input: BackendTable) throws -> (bytes: Int, rows: Int, loaded: Bool) {
        if let bytes = try held(input.id) { return (bytes, 0, false) }
        let staging = stagingTable()
        do {
            let (rows, bytes, propertiesSet) = try options.stage.map { try uploadThroughStage(input, into: staging, folder: $0) }
                ?? { let (rows, bytes) = try uploadThroughInserts(input, into: staging); return (rows, bytes, false) }()
            try adopt(staging, as: input.id, rows: rows, bytes: bytes, origin: "upload", propertiesSet: propertiesSet)
            rowsUploaded += rows
            versionsUploaded += 1
            return (bytes, rows, true)
        } catch {
            discard(staging.qualified)
            throw error
        }
    }

    /// Creates `staging` and fills it with batched INSERT statements of at
    /// most `insertBytes` each. Returns the rows sent and their encoded size.
    private func uploadThroughInserts(_ input: BackendTable, into staging: (qualified: String, name: String)) throws -> (Int, Int) {
        let schema = input.table.schema
        try run(createSQL(staging.qualified, schema: schema))
        var source = VersionRows(input, store: store)
        var line = ""
        let head = "INSERT INTO \(staging.qualified) (\(columnList(schema))) VALUES "
        var statement = head
        var pending = 0
        var rows = 0
        while let count = try source.next() {
            line = "(" + source.row.map(SparkBackend.literal).joined(separator: ", ") + ")"
            for _ in 0..<count {
                if pending > 0 { statement += ", " }
                statement += line
                pending += 1
                if statement.utf8.count >= SparkBackend.insertBytes {
                    try run(statement)
                    statement = head
                    pending = 0
                }
            }
            rows += count
        }
        if pending > 0 { try run(statement) }
        return (rows, source.bytes)
    }

    /// Writes the version's rows as CSV under `folder` (`StageCSV`), has
    /// Spark read them with its CSV reader, typed, into `staging` (created
    /// with the version's properties), and removes the file. Returns the
    /// rows written, the version's encoded size and that the properties
    /// are set.
    private func uploadThroughStage(_ input: BackendTable, into staging: (qualified: String, name: String),
                                    folder: String) throws -> (Int, Int, Bool) {
        let schema = input.table.schema
        let directory = folder + "/" + staging.name
        let path = directory + "/rows.csv"
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw EngineError.invalid("engine '\(options.name)': cannot write in the stage folder \(folder): \(error.localizedDescription)")
        }
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var written: (csv: StageCSV, rows: Int, bytes: Int)?
        // A text value equal to the random NULL token (never by chance): written again under another.
        for _ in 0..<3 where written == nil {
            let attempt = try writeStage(input, path: path)
            if !attempt.csv.markerSeen { written = attempt }
        }
        guard let (csv, rows, bytes) = written else {
            throw EngineError.invalid("engine '\(options.name)': table \(input.name) holds the stage file's NULL token three times over")
        }
        let view = quote("rocky_stage_" + staging.name)
        let fields = schema.columns.enumerated().map { "\(quote("c\($0.offset + 1)")) \(StageCSV.readType($0.element.type))" }
        let options = csv.options(path: path).map { "\($0.0) \(Dialect.databricks.string($0.1))" }
        try run("CREATE OR REPLACE TEMPORARY VIEW \(view) (\(fields.joined(separator: ", "))) USING csv OPTIONS (\(options.joined(separator: ", ")))")
        defer { try? run("DROP VIEW IF EXISTS \(view)") }
        let values = schema.columns.enumerated().map { i, column in
            let field = quote("c\(i + 1)")
            return (StageCSV.needsCast(column.type) ? "CAST(\(field) AS \(SparkBackend.columnType(column.type)))" : field) + " AS \(quote(column.name))"
        }
        try run("CREATE TABLE \(staging.qualified) USING parquet TBLPROPERTIES \(SparkBackend.properties(input.id, rows: rows, bytes: bytes, origin: "upload")) "
                + "AS SELECT \(values.joined(separator: ", ")) FROM \(view)")
        return (rows, bytes, true)
    }

    /// Writes the rows of `input` to a new file at `path` as `StageCSV`
    /// (a keyless row as many times as its multiplicity), in 1 MiB writes.
    private func writeStage(_ input: BackendTable, path: String) throws -> (csv: StageCSV, rows: Int, bytes: Int) {
        guard FileManager.default.createFile(atPath: path, contents: nil), let file = FileHandle(forWritingAtPath: path) else {
            throw EngineError.invalid("engine '\(options.name)': cannot write \(path)")
        }
        var csv = StageCSV()
        var source = VersionRows(input, store: store)
        var chunk: [UInt8] = []
        chunk.reserveCapacity(SparkBackend.insertBytes + (64 << 10))
        var rows = 0
        do {
            while let count = try source.next() {
                let start = chunk.count
                csv.append(source.row, to: &chunk)
                if count > 1 {
                    let line = Array(chunk[start...])
                    for _ in 1..<count { chunk.append(contentsOf: line) }
                }
                rows += count
                if csv.markerSeen { break }
                if chunk.count >= SparkBackend.insertBytes {
                    try file.write(contentsOf: chunk)
                    chunk.removeAll(keepingCapacity: true)
                }
            }
            try file.write(contentsOf: chunk)
            try file.synchronize()
            try file.close()
        } catch let error as EngineError {
            try? file.close()
            throw error
        } catch {
            try? file.close()
            throw EngineError.invalid("engine '\(options.name)': cannot write \(path): \(error.localizedDescription)")
        }
        return (csv, rows, source.bytes)
    }

    /// CREATE TABLE of a version's columns (Spark enforces neither key nor NOT NULL: Rocky does).
    func createSQL(_ table: String, schema: Schema) -> String {
        let columns = schema.columns.map { "\(quote($0.name)) \(SparkBackend.columnType($0.type))" }.joined(separator: ", ")
        return "CREATE TABLE \(table) (\(columns)) USING parquet"
    }

    public func query(_ sql: String, columns: [OutputColumn], tables: [BackendTable]) throws -> RowStream {
        var size = SparkBackend.fetchRows
        let (operation, first) = try self.operation("query", sql: sql) { () throws -> (HiveOperation, [[HiveValue]]) in
            try createViews(tables)
            let connection = try session()
            statementsRun += 1
            let operation = try connection.execute(sql, timeout: options.statementTimeout)
            do {
                return (operation, try SparkBackend.fetchBatch(connection, operation, size: &size))
            } catch {
                try? connection.closeOperation(operation)
                throw error
            }
        }
        resultOpen = true
        let source = SparkRows(backend: self, operation: operation, sql: sql, pending: first, size: size)
        return RowStream(columns: columns, source: source, exhausted: first.isEmpty)
    }

    /// The next batch of an open query (no retry: rows were handed out already).
    func fetch(_ operation: HiveOperation, sql: String, size: inout Int) throws -> [[HiveValue]] {
        do {
            return try SparkBackend.fetchBatch(try session(), operation, size: &size)
        } catch {
            throw engineError(error, sql: sql)
        }
    }

    /// Ends a query: closes its operation.
    func closeResult(_ operation: HiveOperation) {
        if let connection, connection.isOpen { try? connection.closeOperation(operation) }
        resultOpen = false
    }

    public func materialize(_ sql: String?, schema: Schema, target: String, tables: [BackendTable], writer: TreeWriter,
                            commit: (BuiltTree) throws -> ObjectID) throws {
        try operation("materialize", sql: sql) {
            var staging: (qualified: String, name: String)?
            do {
                try createViews(tables)
                let made = stagingTable()
                staging = made
                if let sql {
                    try runNamingSQL(sql, "CREATE TABLE \(made.qualified) USING parquet AS SELECT \(castList(schema, qualifier: "rocky_result")) "
                                     + "FROM (\(sql)) AS \(quote("rocky_result"))")
                } else {
                    try run(createSQL(made.qualified, schema: schema))
                }
                let built = try writer.build { ordered, feed in
                    try read(made.qualified, schema: schema, ordered: ordered, table: target) { try feed.add(row: $0) }
                }
                let id = try commit(built)
                try adopt(made, as: id, rows: built.engineRows, bytes: built.encodedBytes, origin: "result")
            } catch {
                discard(staging?.qualified)
                throw error
            }
        }
    }

    /// Runs `statement`, whose failure is reported with `sql` (the statement's own SQL).
    func runNamingSQL(_ sql: String, _ statement: String) throws {
        do {
            try run(statement)
        } catch var error as HiveServerError {
            error.statement = sql
            throw error
        }
    }

    /// Streams every row of a Spark table, typed by `schema`, ordered by the key when asked.
    func read(_ table: String, schema: Schema, ordered: Bool, table label: String, _ body: ([Value]) throws -> Void) throws {
        var sql = "SELECT \(columnList(schema)) FROM \(table)"
        if ordered, !schema.isKeyless { sql += " ORDER BY " + schema.keyColumnNames.map(quote).joined(separator: ", ") }
        try stream(sql, schema: schema, table: label, body)
    }

    /// Streams the rows of query `sql`, typed by `schema`; a NULL in a NOT
    /// NULL column is refused (Spark does not enforce it).
    func stream(_ sql: String, schema: Schema, table: String, _ body: ([Value]) throws -> Void) throws {
        let connection = try session()
        statementsRun += 1
        let operation = try connection.execute(sql, timeout: options.statementTimeout)
        defer { if connection.isOpen { try? connection.closeOperation(operation) } }
        let columns = schema.columns
        let keys = Set(schema.keyColumnNames.map { $0.lowercased() })
        var size = SparkBackend.fetchRows
        while true {
            let batch = try SparkBackend.fetchBatch(connection, operation, size: &size)
            if batch.isEmpty { return }
            for row in batch {
                guard row.count == columns.count else {
                    throw EngineError.representation(table: table, column: "*", detail: "Spark returned \(row.count) columns, not \(columns.count)")
                }
                var values: [Value] = []
                values.reserveCapacity(columns.count)
                for (i, column) in columns.enumerated() {
                    let value = try SparkBackend.value(row[i], type: column.type, table: table, column: column.name)
                    if value == .null, !column.nullable {
                        if keys.contains(column.name.lowercased()) { throw EngineError.nullKey(table: table, column: column.name) }
                        throw EngineError.backend(BackendError(engine: engineLabel, code: "23502", codeName: "not null violation",
                                                               message: "NULL in NOT NULL column \(table).\(column.name)", sql: nil))
                    }
                    values.append(value)
                }
                try body(values)
            }
        }
    }

    /// Exposes the target and the other inputs, reads the rows the DML
    /// changes (old images, then new ones) into `changes`, and makes the
    /// new version: the unchanged rows and the new images.
    public func modify(queries: DMLQueries, target: BackendTable, tables: [BackendTable], changes: ChangeCollector,
                       commit: () throws -> ObjectID) throws -> Int {
        guard !resultOpen else { throw EngineError.resultStillOpen }
        let schema = target.table.schema
        let t = quote(target.name)
        let views = tables.contains { $0.name.lowercased() == target.name.lowercased() } ? tables : tables + [target]
        // Each piece: the rows kept, the old images, the new images (each a SELECT of the schema's columns).
        let kept: String, old: String?, new: String?, display: String
        switch queries {
        case let .insert(columns, source):
            let names = columns.indices.map { quote("c\($0 + 1)") }
            let values = schema.columns.map { column -> String in
                let type = SparkBackend.columnType(column.type)
                guard let i = columns.firstIndex(where: { $0.lowercased() == column.name.lowercased() }) else {
                    return "CAST(NULL AS \(type)) AS \(quote(column.name))"
                }
                return "CAST(\(quote("rocky_source")).\(names[i]) AS \(type)) AS \(quote(column.name))"
            }
            kept = "SELECT \(columnList(schema)) FROM \(t)"
            old = nil
            new = "SELECT \(values.joined(separator: ", ")) FROM (\(source)) AS \(quote("rocky_source"))(\(names.joined(separator: ", ")))"
            display = source
        case let .update(alias, assignments, condition):
            let a = quote(alias)
            let matched = condition.map { "coalesce((\($0)), false)" } ?? "true"
            let values = schema.columns.map { column -> String in
                let assigned = assignments.last { $0.column.lowercased() == column.name.lowercased() }?.value
                return "CAST(\(assigned ?? "\(a).\(quote(column.name))") AS \(SparkBackend.columnType(column.type))) AS \(quote(column.name))"
            }
            kept = "SELECT \(columnList(schema, qualifier: alias)) FROM \(t) AS \(a) WHERE NOT \(matched)"
            old = "SELECT \(columnList(schema, qualifier: alias)) FROM \(t) AS \(a) WHERE \(matched)"
            new = "SELECT \(values.joined(separator: ", ")) FROM \(t) AS \(a) WHERE \(matched)"
            display = new!
        case let .delete(alias, condition):
            let a = quote(alias)
            let matched = condition.map { "coalesce((\($0)), false)" } ?? "true"
            kept = "SELECT \(columnList(schema, qualifier: alias)) FROM \(t) AS \(a) WHERE NOT \(matched)"
            old = "SELECT \(columnList(schema, qualifier: alias)) FROM \(t) AS \(a) WHERE \(matched)"
            new = nil
            display = old!
        }
        let result = [kept] + (new.map { [$0] } ?? [])
        let whole = result.joined(separator: " UNION ALL ")
        var staging: (qualified: String, name: String)?
        do {
            // Up to the reading of the changes: retried as a whole on a new session.
            try retrying { () throws -> Void in
                try createViews(views)
                if let new, !schema.isKeyless {
                    let key = schema.keyColumnNames.map(quote).joined(separator: ", ")
                    let duplicates = try rowsNamingSQL(display, "SELECT 1 FROM (\(kept) UNION ALL \(new)) AS \(quote("rocky_all")) "
                                                       + "GROUP BY \(key) HAVING COUNT(*) > 1 LIMIT 1")
                    if !duplicates.isEmpty {
                        throw EngineError.duplicateKey(table: target.name, detail: "two rows have the same (\(schema.keyColumnNames.joined(separator: ", ")))")
                    }
                }
            }
            var changed = 0
            if let old {
                try streamNamingSQL(display, old, schema: schema, table: target.name) {
                    changed += 1
                    try changes.add(new: false, row: $0)
                }
            }
            if let new {
                var added = 0
                try streamNamingSQL(display, new, schema: schema, table: target.name) {
                    added += 1
                    try changes.add(new: true, row: $0)
                }
                if old == nil { changed = added }
            }
            let made = stagingTable()
            staging = made
            try runNamingSQL(display, "CREATE TABLE \(made.qualified) USING parquet AS SELECT * FROM (\(whole)) AS \(quote("rocky_new"))")
            let oldBytes = try held(target.id) ?? 0
            let id = try commit()
            if id == target.id {
                try run("DROP TABLE IF EXISTS \(made.qualified)")
            } else {
                try adopt(made, as: id, rows: max(0, target.table.rowCount + changes.rowDelta), bytes: max(0, oldBytes + changes.byteDelta),
                          origin: "result")
            }
            return changed
        } catch {
            discard(staging?.qualified)
            throw engineError(error, sql: display)
        }
    }

    func rowsNamingSQL(_ sql: String, _ query: String) throws -> [[HiveValue]] {
        do {
            return try rows(query)
        } catch var error as HiveServerError {
            error.statement = sql
            throw error
        }
    }

    func streamNamingSQL(_ sql: String, _ query: String, schema: Schema, table: String, _ body: ([Value]) throws -> Void) throws {
        do {
            try stream(query, schema: schema, table: table, body)
        } catch var error as HiveServerError {
            error.statement = sql
            throw error
        }
    }

    /// DML runs through `modify(queries:...)` (`modifiesThroughQueries`).
    public func modify(_ statements: [String], target: BackendTable, tables: [BackendTable], changes: ChangeCollector,
                       commit: () throws -> ObjectID) throws -> Int {
        throw EngineError.invalid("the Spark engine runs DML as queries (DMLQueries), not as statements")
    }

    /// ADD COLUMN and RENAME COLUMN: when Spark holds the old version, the
    /// new one is copied from it in Spark (columns matched by id).
    public func derive(_ id: ObjectID, from old: BackendTable, schema: Schema, alteration: Alteration) throws {
        try operation("derive", sql: nil) {
            guard let bytes = try held(old.id), try held(id) == nil else { return }
            let values = schema.columns.map { column -> String in
                let type = SparkBackend.columnType(column.type)
                guard let source = old.table.schema.columns.first(where: { $0.id == column.id }) else {
                    return "CAST(NULL AS \(type)) AS \(quote(column.name))"
                }
                return "CAST(\(quote(source.name)) AS \(type)) AS \(quote(column.name))"
            }
            let staging = stagingTable()
            do {
                try run("CREATE TABLE \(staging.qualified) USING parquet "
                        + "TBLPROPERTIES \(SparkBackend.properties(id, rows: old.table.rowCount, bytes: bytes, origin: "derived")) "
                        + "AS SELECT \(values.joined(separator: ", ")) FROM \(versionTable(old.id))")
                try adopt(staging, as: id, rows: old.table.rowCount, bytes: bytes, origin: "derived", propertiesSet: true)
            } catch {
                discard(staging.qualified)
                throw error
            }
        }
    }

    // MARK: Values

    /// A value as a Spark SQL literal of its type.
    static func literal(_ value: Value) -> String {
        switch value {
        case .null: "NULL"
        case let .boolean(b): b ? "TRUE" : "FALSE"
        case let .integer(i): "\(i)L"
        case let .double(d):
            "CAST('\(d.isNaN ? "NaN" : d.isInfinite ? (d < 0 ? "-Infinity" : "Infinity") : "\(d)")' AS DOUBLE)"
        case let .decimal(d): "\(d.description)BD"
        case let .text(s): Dialect.databricks.string(s)
        case let .date(d): "DATE'\(d.description)'"
        case let .timestamp(t): "TIMESTAMP'\(t.description)'"
        }
    }

    /// A value read from Spark as a value of `type`. A DECIMAL is brought to
    /// its column's scale (rounded as Rocky rounds) and its precision
    /// checked; anything else not of the column's type is a representation
    /// error (the compiled SQL and the IR disagree).
    static func value(_ value: HiveValue, type: ColumnType, table: String, column: String) throws -> Value {
        func mismatch() -> EngineError {
            .representation(table: table, column: column, detail: "Spark returned \(value) where a \(type.name) was expected")
        }
        switch (type, value) {
        case (_, .null): return .null
        case let (.boolean, .bool(b)): return .boolean(b)
        case let (.integer, .int(i)): return .integer(i)
        case let (.double, .double(d)): return .double(d)
        case let (.double, .int(i)): return .double(Double(i))
        case let (.decimal(p, s), .string(text)):
            guard let d = ExactDecimal(parsing: text) else {
                throw EngineError.decimalOverflow(table: table, column: column, detail: "\(text) does not fit \(type.name)")
            }
            return try decimal(d, precision: p, scale: s, table: table, column: column, type: type)
        case let (.decimal(p, s), .int(i)):
            return try decimal(ExactDecimal(Int(i)), precision: p, scale: s, table: table, column: column, type: type)
        case let (.text, .string(s)): return .text(s)
        case let (.date, .string(text)):
            guard let d = CivilDate(parsing: text) else { throw mismatch() }
            return .date(d)
        case let (.timestamp, .string(text)):
            guard let t = Timestamp(parsing: text) else { throw mismatch() }
            return .timestamp(t)
        default: throw mismatch()
        }
    }

    private static func decimal(_ d: ExactDecimal, precision: Int, scale: Int, table: String, column: String, type: ColumnType) throws -> Value {
        let scaled = d.rescaled(to: scale) ?? d.rounded(toScale: scale)
        guard scaled.fits(precision: precision, scale: scale) else {
            throw EngineError.decimalPrecision(table: table, column: column, value: scaled.description, type: type.name)
        }
        return .decimal(scaled)
    }
}

/// A query's rows, fetched in batches.
final class SparkRows: RowSource {
    private var backend: SparkBackend?
    private let operation: HiveOperation
    private let sql: String
    private var pending: [[HiveValue]]
    private var index = 0
    /// Rows to ask of the next FetchResults.
    private var size: Int

    init(backend: SparkBackend, operation: HiveOperation, sql: String, pending: [[HiveValue]], size: Int) {
        self.backend = backend
        self.operation = operation
        self.sql = sql
        self.pending = pending
        self.size = size
    }

    func nextRow(columns: [OutputColumn]) throws -> [Value]? {
        guard let backend else { return nil }
        if index == pending.count {
            pending = try backend.fetch(operation, sql: sql, size: &size)
            index = 0
            if pending.isEmpty { return nil }
        }
        let row = pending[index]
        index += 1
        guard row.count == columns.count else {
            throw EngineError.representation(table: "result", column: "*", detail: "Spark returned \(row.count) columns, not \(columns.count)")
        }
        var values: [Value] = []
        values.reserveCapacity(columns.count)
        for (i, column) in columns.enumerated() {
            values.append(try SparkBackend.value(row[i], type: column.type, table: "result", column: column.name))
        }
        return values
    }

    func close() {
        backend?.closeResult(operation)
        backend = nil
    }
}
