import RockySQL
import RockyStore
import RockyTable

/// The kinds of engine a statement can run on. SQLite is embedded; the others
/// are servers named in rocky.toml (`[engines.<name>]`).
public enum EngineKind: String, Sendable, CaseIterable, Codable {
    case sqlite, postgres, spark

    /// The dialect its backend runs (Spark's is Databricks SQL's).
    public var dialect: Dialect {
        switch self {
        case .sqlite: .sqlite
        case .postgres: .postgres
        case .spark: .databricks
        }
    }
}

/// One table version a statement reads: the name its SQL uses, its object
/// id, and its table object (schema and tree root) as read from the store.
public struct BackendTable {
    public var name: String
    public var id: ObjectID
    public var table: Table

    public init(name: String, id: ObjectID, table: Table) {
        self.name = name
        self.id = id
        self.table = table
    }
}

/// What making versions available cost, and what the engine holds of each.
public struct Availability: Sendable {
    /// Versions that were not held by the engine and were loaded from the store.
    public var tablesLoaded = 0
    public var rowsLoaded = 0
    /// The encoded size (Docs/format.md "Chunks": key and value bytes) of
    /// each version's rows: what a full scan of it reads.
    public var bytes: [ObjectID: Int] = [:]

    public init(tablesLoaded: Int = 0, rowsLoaded: Int = 0, bytes: [ObjectID: Int] = [:]) {
        self.tablesLoaded = tablesLoaded
        self.rowsLoaded = rowsLoaded
        self.bytes = bytes
    }

    /// The availability of `tables` (each distinct version once), where
    /// `upload` makes one version available and says its encoded size, the
    /// rows it sent and whether it had to load it (false: already held).
    public static func gathering(
        _ tables: [BackendTable], _ upload: (BackendTable) throws -> (bytes: Int, rows: Int, loaded: Bool)
    ) rethrows -> Availability {
        var availability = Availability()
        for input in tables where availability.bytes[input.id] == nil {
            let (bytes, rows, loaded) = try upload(input)
            availability.bytes[input.id] = bytes
            if loaded {
                availability.tablesLoaded += 1
                availability.rowsLoaded += rows
            }
        }
        return availability
    }
}

/// How ADD COLUMN and RENAME COLUMN change a version whose rows stay the same.
public enum Alteration: Sendable {
    case addColumn(Column)
    case renameColumn(from: String, to: String)
}

/// An engine that runs SQL over table versions of the object store: the one
/// thing a new engine implements. Statement semantics (result schemas,
/// column ids, CREATE/ALTER rules, how DML changes a table, tree writing,
/// metrics) are `StatementExecutor`'s, the same for every backend; a backend
/// only moves rows in and out of its engine, in the engine's dialect.
///
/// Contracts every backend keeps:
/// - **Names.** A version enters the engine under a name derived from its
///   table id (never from the table's name), and the engine's copy of id `X`
///   always holds exactly the rows of `X`: a copy changed by DML or ALTER is
///   re-registered under its new id in the same engine transaction, or
///   dropped. Each operation exposes the statement's inputs under the names
///   its SQL uses (`BackendTable.name`) for that statement only.
/// - **Atomicity.** An operation that throws leaves the engine as it was
///   (its transaction rolled back); the executor runs inside the caller's
///   `ObjectStore.batch`, so no object it wrote remains either.
/// - **Errors.** Engine failures are thrown as `EngineError.backend` (the
///   engine's code, message and the SQL sent); a constraint the engine
///   enforced on the target is thrown as `duplicateKey` / `nullKey` naming
///   the target (not the engine's internal name). Representation problems
///   are `decimalOverflow`, `decimalPrecision`, `representation`.
/// - **One statement at a time.** While a `RowStream` it returned is open,
///   every other operation throws `EngineError.resultStillOpen`.
/// - **Bounded memory.** Rows stream; nothing holds a whole table.
public protocol ExecutionBackend: AnyObject {
    /// The engine kind, recorded in transformation records.
    var kind: EngineKind { get }
    /// The dialect of the SQL it runs.
    var dialect: Dialect { get }
    /// The engine's version ("3.45.1" for SQLite; the server's version for a
    /// server): replay reuses a result only on the same kind and version.
    var serverVersion: String { get }
    /// The object store its versions come from and results go to.
    var store: any ObjectStore { get }
    /// Where sort runs spill.
    var temporaryDirectory: String { get }

    /// Makes each version available to the engine, loading those it does not
    /// hold from the store; says what that cost and each version's size.
    func makeAvailable(_ tables: [BackendTable]) throws -> Availability

    /// Runs a query over `tables` and streams its rows, typed by `columns`.
    /// The first row is computed before it returns, so its run-time errors
    /// are thrown here.
    func query(_ sql: String, columns: [OutputColumn], tables: [BackendTable]) throws -> RowStream

    /// Runs query `sql` (nil: no rows) into a new version of `schema`: every
    /// row goes to `writer` (a tree is built while the engine computes), the
    /// engine enforces the schema's key and NOT NULLs, then `commit` is
    /// called with the built tree and returns the new version's id, under
    /// which the engine keeps its copy of the rows. `target` names the table
    /// in errors.
    func materialize(_ sql: String?, schema: Schema, target: String, tables: [BackendTable], writer: TreeWriter,
                     commit: (BuiltTree) throws -> ObjectID) throws

    /// Runs DML `statements` against `target` (the other `tables` readable
    /// beside it) and hands the old and new image of every row they touched
    /// to `changes` (`ChangeCollector.add`); the engine enforces the key and
    /// NOT NULLs. Then `commit` turns the changes into the new version and
    /// returns its id, under which the engine re-registers its changed copy.
    /// Returns the number of rows the statements changed.
    func modify(_ statements: [String], target: BackendTable, tables: [BackendTable], changes: ChangeCollector,
                commit: () throws -> ObjectID) throws -> Int

    /// Whether DML reaches `modify(queries:...)` as `DMLQueries` rather
    /// than `modify(_ statements:...)` as statements: for an engine whose
    /// tables cannot be updated in place. Default false.
    var modifiesThroughQueries: Bool { get }

    /// `modify` for an engine with `modifiesThroughQueries`: the same
    /// contract, with the statement given as the pieces of queries that
    /// read the rows it changes and their new images.
    func modify(queries: DMLQueries, target: BackendTable, tables: [BackendTable], changes: ChangeCollector,
                commit: () throws -> ObjectID) throws -> Int

    /// Version `id` has the rows of `old` under `schema` (`alteration` says
    /// how it differs): the engine may derive its copy from the old one. A
    /// backend may do nothing (the version is then loaded when next used).
    func derive(_ id: ObjectID, from old: BackendTable, schema: Schema, alteration: Alteration) throws

    /// A statement starts: what the server does from now on is its cost.
    func beginStatement()
    /// The statement ended: what the server did for it since
    /// `beginStatement`, or nil for an embedded engine (SQLite's cost is the
    /// process's own, already in the metrics).
    func endStatement() -> RemoteCost?

    /// Version `id` (`table`, a keyed table of `old`'s schema) has the rows of
    /// `old` without `removed` and with `added` (stored rows, key order: the
    /// old image of every row deleted or replaced, the new image of every row
    /// inserted or replaced), as an incremental run wrote it: the engine may
    /// derive its copy from the old one by changing those rows, so the next
    /// statement over `id` loads nothing. A backend may do nothing.
    func derive(_ id: ObjectID, from old: BackendTable, table: Table, removed: [StoredRow], added: [StoredRow]) throws
}

extension ExecutionBackend {
    public func beginStatement() {}
    public func endStatement() -> RemoteCost? { nil }
}

/// What one statement cost on a server engine, as the client measured it
/// (Docs/engines.md, "Records"):
/// - `queryIDs`: the engine's ids of the commands that ran the statement's
///   SQL (PostgreSQL: `<backend pid>.<n>`, the n-th command of that session).
/// - `serverSeconds`: time spent waiting on the server (its work and the
///   round trips; not the client's own work between calls).
/// - `rowsUploaded`, `bytesUploaded`: rows and bytes of row data sent to
///   load versions the server did not hold (COPY).
/// - `rowsDownloaded`, `bytesDownloaded`: rows and bytes of row data the
///   server sent back (results read into the store, DML changes).
public struct RemoteCost: Equatable, Sendable {
    public var queryIDs: [String]
    public var serverSeconds: Double
    public var rowsUploaded: Int
    public var bytesUploaded: Int
    public var rowsDownloaded: Int
    public var bytesDownloaded: Int

    public init(queryIDs: [String] = [], serverSeconds: Double = 0, rowsUploaded: Int = 0, bytesUploaded: Int = 0,
                rowsDownloaded: Int = 0, bytesDownloaded: Int = 0) {
        self.queryIDs = queryIDs
        self.serverSeconds = serverSeconds
        self.rowsUploaded = rowsUploaded
        self.bytesUploaded = bytesUploaded
        self.rowsDownloaded = rowsDownloaded
        self.bytesDownloaded = bytesDownloaded
    }
}

/// One row as a tree stores it: its encoded key and value (Docs/format.md).
public struct StoredRow: Sendable, Equatable {
    public var key: [UInt8]
    public var value: [UInt8]

    public init(key: [UInt8], value: [UInt8]) {
        self.key = key
        self.value = value
    }
}

extension ExecutionBackend {
    public var modifiesThroughQueries: Bool { false }

    public func modify(queries: DMLQueries, target: BackendTable, tables: [BackendTable], changes: ChangeCollector,
                       commit: () throws -> ObjectID) throws -> Int {
        throw EngineError.invalid("the \(kind.rawValue) engine runs DML as statements")
    }
    public func derive(_ id: ObjectID, from old: BackendTable, table: Table, removed: [StoredRow], added: [StoredRow]) throws {}
}

/// What the caller knows about the table a statement writes, beyond the SQL.
public struct ExecutionOptions: Sendable {
    /// Key column names of a CREATE TABLE AS result (a model's declared key;
    /// empty: keyless). Nil: a CREATE TABLE AS result takes the statement's
    /// `resultKey` (declared in the statement or proven by the compiler, else
    /// keyless) and a CREATE TABLE keeps its declared PRIMARY KEY.
    public var targetKey: [String]?
    /// The event-time column of a CREATE TABLE [AS] result.
    public var targetTimeColumn: String?

    public init(targetKey: [String]? = nil, targetTimeColumn: String? = nil) {
        self.targetKey = targetKey
        self.targetTimeColumn = targetTimeColumn
    }
}

/// What a statement did.
public enum StatementEffect {
    /// A query: its rows, streamed.
    case rows(RowStream)
    /// CREATE TABLE [AS], INSERT, UPDATE, DELETE, ALTER TABLE: the table's new
    /// version, already written to the store.
    case tableWritten(name: String, id: ObjectID, table: Table)
    case tableDropped(name: String)
    /// Nothing changed (CREATE TABLE IF NOT EXISTS of an existing table, DROP
    /// TABLE IF EXISTS of a missing one, DROP COLUMN IF EXISTS of a missing column).
    case nothing
}

/// A statement's effect and what it cost.
public struct StatementOutcome {
    public var effect: StatementEffect
    public var metrics: ExecutionMetrics
    /// `INSERT | UPDATE | DELETE ... RETURNING`: the rows returned (besides
    /// the table written); read or close it.
    public var returned: RowStream?

    public init(effect: StatementEffect, metrics: ExecutionMetrics) {
        self.effect = effect
        self.metrics = metrics
    }
}

/// What one statement cost, as recorded in its transformation record.
///
/// - `rowsRead`: the rows of every input table (`CompiledStatement.inputTables`,
///   the DML or ALTER target included), whether or not the query touched them all.
/// - `bytesScanned`: the encoded size of those rows (key and value bytes as
///   stored in chunks, before compression; Docs/format.md "Chunks"): what a
///   full scan of the inputs reads. It is an upper bound of what the engine read.
/// - `rowsWritten`: rows of a CREATE TABLE AS result; rows inserted, updated
///   or deleted by DML; rows rewritten by ALTER TABLE DROP COLUMN; else 0.
/// - `bytesWritten`: payload bytes of the objects the statement added to the
///   store (chunks, index nodes, schema, table), before compression; objects
///   that existed already count nothing.
/// - `durationSeconds`: wall time of `execute`; for a query, until its first
///   row is ready (reading the rows is the caller's time).
/// - `tablesLoaded`, `rowsLoaded`: input versions that the engine did not
///   hold and were loaded into it for this statement (0 when all were held).
/// - `adapter`: the engine kind's name ("sqlite"); `engineVersion` its version.
/// - `remote`: a server engine's own account of the statement (nil for SQLite).
public struct ExecutionMetrics: Equatable, Sendable {
    public var adapter: String
    public var engineVersion: String
    public var durationSeconds: Double
    public var rowsRead: Int
    public var rowsWritten: Int
    public var bytesScanned: Int
    public var bytesWritten: Int
    public var tablesLoaded: Int
    public var rowsLoaded: Int
    public var remote: RemoteCost?

    public init(adapter: String, engineVersion: String = "", durationSeconds: Double = 0, rowsRead: Int = 0, rowsWritten: Int = 0,
                bytesScanned: Int = 0, bytesWritten: Int = 0, tablesLoaded: Int = 0, rowsLoaded: Int = 0, remote: RemoteCost? = nil) {
        self.adapter = adapter
        self.engineVersion = engineVersion
        self.durationSeconds = durationSeconds
        self.rowsRead = rowsRead
        self.rowsWritten = rowsWritten
        self.bytesScanned = bytesScanned
        self.bytesWritten = bytesWritten
        self.tablesLoaded = tablesLoaded
        self.rowsLoaded = rowsLoaded
        self.remote = remote
    }
}
