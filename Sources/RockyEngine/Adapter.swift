import RockySQL
import RockyStore
import RockyTable

/// An execution engine: runs compiled statements over table versions held in
/// an object store and turns their results into new table versions.
///
/// The adapter knows tables only by name and object id, as the caller passes
/// them; it knows nothing of branches, commits, refs or the working directory.
/// The caller wraps each `execute` in `ObjectStore.batch`, so a statement that
/// throws leaves no object behind; the adapter leaves its own state (a table
/// cache) as it was too.
public protocol Adapter: AnyObject {
    /// The adapter's name, recorded in transformation records ("sqlite").
    var name: String { get }
    /// The dialect whose SQL it runs.
    var dialect: Dialect { get }
    /// Runs one compiled statement with the tables as they are now (name ->
    /// table object id). A query's rows stream back in `StatementEffect.rows`;
    /// the adapter runs nothing else until that result is consumed or closed.
    func execute(_ statement: CompiledStatement, tables: [String: ObjectID], options: ExecutionOptions) throws -> StatementOutcome
}

/// What the caller knows about the table a statement writes, beyond the SQL.
public struct ExecutionOptions: Sendable {
    /// Key column names of a CREATE TABLE AS result (a model's declared key).
    /// Nil: a CREATE TABLE AS result is keyless (rows with multiplicity) and
    /// a CREATE TABLE keeps its declared PRIMARY KEY.
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
    case rows(QueryResult)
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
///   full scan of the inputs reads. It is an upper bound of what SQLite read.
/// - `rowsWritten`: rows of a CREATE TABLE AS result; rows inserted, updated
///   or deleted by DML; rows rewritten by ALTER TABLE DROP COLUMN; else 0.
/// - `bytesWritten`: payload bytes of the objects the statement added to the
///   store (chunks, index nodes, schema, table), before compression; objects
///   that existed already count nothing.
/// - `durationSeconds`: wall time of `execute`; for a query, until its first
///   row is ready (reading the rows is the caller's time).
/// - `tablesLoaded`, `rowsLoaded`: input versions that were not in the table
///   cache and were loaded into it for this statement (0 when all were cached).
public struct ExecutionMetrics: Equatable, Sendable {
    public var adapter: String
    public var durationSeconds: Double
    public var rowsRead: Int
    public var rowsWritten: Int
    public var bytesScanned: Int
    public var bytesWritten: Int
    public var tablesLoaded: Int
    public var rowsLoaded: Int

    public init(adapter: String, durationSeconds: Double = 0, rowsRead: Int = 0, rowsWritten: Int = 0,
                bytesScanned: Int = 0, bytesWritten: Int = 0, tablesLoaded: Int = 0, rowsLoaded: Int = 0) {
        self.adapter = adapter
        self.durationSeconds = durationSeconds
        self.rowsRead = rowsRead
        self.rowsWritten = rowsWritten
        self.bytesScanned = bytesScanned
        self.bytesWritten = bytesWritten
        self.tablesLoaded = tablesLoaded
        self.rowsLoaded = rowsLoaded
    }
}
