import CSQLite
import Glibc
import RockyBase
import RockyEngine
import RockySQL
import RockyStore
import RockyTable

/// The name the library and its tests have always used for the SQLite backend.
public typealias SQLiteAdapter = SQLiteBackend

/// The SQLite backend: runs the SQLite SQL of compiled statements over table
/// versions loaded into a persistent table cache (`TableCache`). Statement
/// semantics are `StatementExecutor`'s; this moves rows in and out of
/// SQLite: versions load into the cache, queries stream, CREATE TABLE AS
/// runs into a staging table while the tree is built from the same rows
/// (`RowTap`), DML runs on the cached copy with TEMP triggers capturing the
/// touched rows.
///
/// One backend owns one SQLite connection (to the cache database) and is
/// used by one thread at a time. See Docs/sql.md "Execution engine".
public final class SQLiteBackend: ExecutionBackend {
    public let kind = EngineKind.sqlite
    public let dialect = Dialect.sqlite
    /// The SQLite library's version ("3.45.1").
    public let serverVersion = String(cString: sqlite3_libversion())
    public let store: any ObjectStore
    let cache: TableCache
    var connection: Connection { cache.connection }
    public let temporaryDirectory: String
    /// Whether a `RowStream` still holds the connection.
    private var resultOpen = false

    /// The default bound of the table cache: 4 GiB of encoded rows.
    public static let defaultCacheLimitBytes = 4 << 30

    /// cacheDirectory: where the persistent table cache lives (nil: in memory, for tests);
    /// maskingKey: the HMAC key for rocky_mask_hash (nil: plain SHA-256);
    /// cacheLimitBytes: the encoded size of cached versions past which the
    /// least recently used are evicted.
    public init(store: any ObjectStore, cacheDirectory: String?, maskingKey: [UInt8]?,
                cacheLimitBytes: Int = SQLiteBackend.defaultCacheLimitBytes) throws {
        self.store = store
        do {
            cache = try TableCache(directory: cacheDirectory, limitBytes: cacheLimitBytes)
            try HelperFunctions.register(on: cache.connection, maskingKey: maskingKey)
            try cache.connection.execute("PRAGMA case_sensitive_like = ON")
        } catch let error as SQLiteError {
            throw EngineError.sqlite(error)
        }
        temporaryDirectory = cacheDirectory ?? defaultTemporaryDirectory()
    }

    /// The engine's name, recorded in transformation records ("sqlite").
    public var name: String { kind.rawValue }

    /// Table versions this backend loaded from the object store into the
    /// cache (versions found cached, by this or another process, count nothing).
    public var tablesLoaded: Int { cache.loads }

    /// Loads table versions into the cache ahead of the statements that will
    /// read them (after an import, say); returns how many were not cached.
    @discardableResult
    public func preload(_ tables: [String: ObjectID]) throws -> Int {
        guard !resultOpen else { throw EngineError.resultStillOpen }
        var loaded = 0
        do {
            let protecting = Set(tables.values)
            for (name, id) in tables.sorted(by: { $0.key < $1.key }) {
                let table = try store.readTable(id)
                if try cache.entry(id) != nil {
                    if try cache.verify(id, schema: table.schema) { continue }
                    try cache.discard(id)
                }
                if try cache.load(id, table: table, store: store, label: name, protecting: protecting) { loaded += 1 }
            }
        } catch let error as SQLiteError {
            throw EngineError.sqlite(error)
        }
        return loaded
    }

    /// Why the cache file was deleted and created anew when this adapter
    /// opened it (not a database SQLite can read, an older layout), or nil.
    public var cacheRebuiltBecause: String? { cache.rebuiltBecause }

    /// Checks every cached version against the digest recorded when it was
    /// loaded, and drops each that fails (it is loaded again from the store
    /// when next used), with tables no catalog entry accounts for and
    /// versions whose table object the store no longer has. Returns what it
    /// dropped, and why.
    public func checkCache() throws -> [(id: ObjectID?, problem: String)] {
        guard !resultOpen else { throw EngineError.resultStillOpen }
        var found: [(ObjectID?, String)] = []
        do {
            for id in try cache.cachedIDs() {
                guard let table = try? store.readTable(id) else {
                    try cache.discard(id)
                    continue
                }
                if try !cache.verify(id, schema: table.schema) {
                    try cache.discard(id)
                    found.append((id, "its cached rows do not match the digest recorded when they were loaded (changed outside rocky): dropped, it is loaded again from the object store when next used"))
                }
            }
            let known = Set(try cache.cachedIDs().map(TableCache.tableName))
            let tables = try connection.statement("SELECT name FROM main.sqlite_master WHERE type = 'table' AND name GLOB 't_*'")
            var orphans: [String] = []
            while try tables.step() {
                if !known.contains(tables.text(0)) { orphans.append(tables.text(0)) }
            }
            for name in orphans {
                try connection.execute("DROP TABLE main.\(quote(name))")
                found.append((nil, "table \(name) is in no catalog entry: dropped"))
            }
        } catch let error as SQLiteError {
            throw EngineError.sqlite(error)
        }
        return found
    }

    /// The versions in the cache, least recently used first.
    public func cachedVersions() throws -> [ObjectID] {
        do { return try cache.cachedIDs() } catch let error as SQLiteError { throw EngineError.sqlite(error) }
    }

    /// Runs one compiled statement with the tables as they are now (name ->
    /// table object id), through a `StatementExecutor` on this backend.
    public func execute(_ statement: CompiledStatement, tables: [String: ObjectID], options: ExecutionOptions = ExecutionOptions()) throws -> StatementOutcome {
        try StatementExecutor(backend: self).execute(statement, tables: tables, options: options)
    }

    func markResultOpen(_ open: Bool) { resultOpen = open }

    /// Runs one backend operation: refused while a result is open; SQLite's
    /// errors become engine errors about `table`.
    func operation<R>(table: String?, keyColumns: [String] = [], _ body: () throws -> R) throws -> R {
        guard !resultOpen else { throw EngineError.resultStillOpen }
        do {
            return try body()
        } catch let error as SQLiteError {
            throw EngineError.from(error, table: table, keyColumns: keyColumns)
        }
    }

    // MARK: ExecutionBackend

    public func makeAvailable(_ tables: [BackendTable]) throws -> Availability {
        try operation(table: nil) {
            var availability = Availability()
            try load(tables, into: &availability)
            for table in tables { availability.bytes[table.id] = try cache.entry(table.id)?.bytes ?? 0 }
            return availability
        }
    }

    /// Loads the versions missing from the cache, each in its own
    /// transaction. A cached version this process has not verified yet is
    /// checked against its digest first (`TableCache.verify`); a copy that
    /// fails is dropped and loaded again from the store.
    func load(_ tables: [BackendTable], into availability: inout Availability) throws {
        let protecting = Set(tables.map(\.id))
        for input in tables {
            if try cache.entry(input.id) != nil {
                if try cache.verify(input.id, schema: input.table.schema) { continue }
                try cache.discard(input.id)
            }
            if try cache.load(input.id, table: input.table, store: store, label: input.name, protecting: protecting) {
                availability.tablesLoaded += 1
                availability.rowsLoaded += input.table.rowCount
            }
        }
    }

    /// Whether every input is still cached (inside the statement's
    /// transaction; another process may have evicted one since `load`).
    func stillCached(_ tables: [BackendTable]) throws -> Bool {
        for input in tables where try cache.entry(input.id) == nil { return false }
        return true
    }

    /// Opens a transaction (IMMEDIATE: a write one) in which every input is
    /// cached, reloading inputs another process evicted meanwhile (five
    /// tries), and runs `body` in it. The transaction is left open for
    /// `body`'s caller to end; when `body` throws it is rolled back.
    func inCachedTransaction<R>(_ tables: [BackendTable], immediate: Bool, _ body: () throws -> R) throws -> R {
        for _ in 0..<5 {
            try connection.execute(immediate ? "BEGIN IMMEDIATE" : "BEGIN")
            do {
                guard try stillCached(tables) else {
                    try connection.execute("ROLLBACK")
                    var ignored = Availability()
                    try load(tables, into: &ignored)
                    continue
                }
                return try body()
            } catch {
                if connection.isInTransaction { try? connection.execute("ROLLBACK") }
                throw error
            }
        }
        throw EngineError.invalid("the table cache kept evicting this statement's inputs: raise the cache limit")
    }

    /// Runs `body` in a write transaction in which every input is cached, and commits.
    func writeTransaction<R>(_ tables: [BackendTable], _ body: () throws -> R) throws -> R {
        try inCachedTransaction(tables, immediate: true) {
            try cache.touch(tables.map(\.id))
            let result = try body()
            try connection.execute("COMMIT")
            cache.committed()
            return result
        }
    }

    /// Exposes each input under the name the SQL uses, as a TEMP VIEW of
    /// its cached version (`sourceTable` overrides the cached table of an id).
    func createViews(_ tables: [BackendTable], sourceTable: [ObjectID: String] = [:]) throws -> [String] {
        var names: [String] = []
        for input in tables {
            let source = sourceTable[input.id] ?? TableCache.tableName(input.id)
            try connection.execute("CREATE TEMP VIEW \(quote(input.name)) AS SELECT * FROM main.\(quote(source))")
            names.append(input.name)
        }
        return names
    }

    func dropViews(_ names: [String]) {
        for name in names { try? connection.execute("DROP VIEW IF EXISTS temp.\(quote(name))") }
    }

    /// A SELECT of every column of a SQLite table, ordered by the key when asked.
    static func selectAll(_ table: String, schema: Schema, ordered: Bool) -> String {
        var sql = "SELECT \(schema.columns.map { quote($0.name) }.joined(separator: ", ")) FROM main.\(quote(table))"
        if ordered, !schema.isKeyless { sql += " ORDER BY " + schema.keyColumnNames.map(quote).joined(separator: ", ") }
        return sql
    }

    /// ADD COLUMN and RENAME COLUMN: the cached copy of the old version, when
    /// there is one, is altered the same way and re-registered under the new
    /// id in one transaction.
    public func derive(_ id: ObjectID, from old: BackendTable, schema: Schema, alteration: Alteration) throws {
        try operation(table: old.name) {
            let table = quote(TableCache.tableName(old.id))
            let alter: String
            switch alteration {
            case let .addColumn(column):
                alter = "ALTER TABLE main.\(table) ADD COLUMN \(quote(column.name)) \(Representation.sqliteType(column.type))"
            case let .renameColumn(from, to):
                alter = "ALTER TABLE main.\(table) RENAME COLUMN \(quote(from)) TO \(quote(to))"
            }
            if try cache.entry(old.id) != nil, try !cache.verify(old.id, schema: old.table.schema) {
                try cache.discard(old.id)
            }
            try writeTransaction([]) {
                guard id != old.id, let entry = try cache.entry(old.id) else { return }
                try connection.execute(alter)
                try cache.forget(old.id)
                // The rows are unchanged and trailing NULLs do not enter a row's
                // hash (`RowDigest`), so the digest carries over, but for a table
                // hashed in column groups, whose grouping a new column may change.
                let digest = schema.columns.count > RowDigest.groupWidth
                    ? try cache.digest(of: TableCache.tableName(old.id), schema: schema) : entry.digest
                try cache.adopt(TableCache.tableName(old.id), as: id, rows: entry.rows, bytes: entry.bytes, digest: digest, protecting: [id])
            }
        }
    }
}
