import CSQLite
import Glibc
import RockyBase
import RockySQL
import RockyStore
import RockyTable

/// The SQLite adapter: runs the SQLite SQL of compiled statements over table
/// versions loaded into a persistent table cache (`TableCache`), and writes
/// results back to the object store as table objects.
///
/// One adapter owns one SQLite connection (to the cache database) and is
/// used by one thread at a time. See Docs/sql.md "Execution engine".
public final class SQLiteAdapter: Adapter {
    public let name = "sqlite"
    public let dialect = Dialect.sqlite
    public let store: any ObjectStore
    let cache: TableCache
    var connection: Connection { cache.connection }
    let temporaryDirectory: String
    /// Whether a `QueryResult` still holds the connection.
    private var resultOpen = false

    /// The default bound of the table cache: 4 GiB of encoded rows.
    public static let defaultCacheLimitBytes = 4 << 30

    /// cacheDirectory: where the persistent table cache lives (nil: in memory, for tests);
    /// maskingKey: the HMAC key for rocky_mask_hash (nil: plain SHA-256);
    /// cacheLimitBytes: the encoded size of cached versions past which the
    /// least recently used are evicted.
    public init(store: any ObjectStore, cacheDirectory: String?, maskingKey: [UInt8]?,
                cacheLimitBytes: Int = SQLiteAdapter.defaultCacheLimitBytes) throws {
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

    /// Table versions this adapter loaded from the object store into the
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

    /// Runs one compiled statement with the tables as they are now (name -> table object id).
    public func execute(_ statement: CompiledStatement, tables: [String: ObjectID], options: ExecutionOptions = ExecutionOptions()) throws -> StatementOutcome {
        guard !resultOpen else { throw EngineError.resultStillOpen }
        let start = TableCache.now()
        let run = StatementRun(adapter: self, statement: statement, tables: tables, options: options)
        let effect: StatementEffect
        do {
            effect = try run.execute()
        } catch let error as SQLiteError {
            throw EngineError.from(error, table: statement.targetTable)
        } catch let error as SchemaError {
            throw EngineError.invalid("\(statement.targetTable.map { "table \($0): " } ?? "")\(error.description)")
        } catch TreeError.duplicateKey(_, _) {
            throw EngineError.duplicateKey(table: statement.targetTable ?? "result", detail: "two rows have the same key")
        }
        var metrics = run.metrics
        metrics.durationSeconds = Double(TableCache.now() - start) / 1e6
        return StatementOutcome(effect: effect, metrics: metrics)
    }

    func markResultOpen(_ open: Bool) { resultOpen = open }
}

/// One input table of a statement: the name the SQL uses, its version and
/// what the cache knows of it.
struct Input {
    var name: String
    var id: ObjectID
    var table: Table
}

/// The state of one `execute` call.
final class StatementRun {
    let adapter: SQLiteAdapter
    let statement: CompiledStatement
    let tables: [String: ObjectID]
    let options: ExecutionOptions
    var metrics: ExecutionMetrics

    init(adapter: SQLiteAdapter, statement: CompiledStatement, tables: [String: ObjectID], options: ExecutionOptions) {
        self.adapter = adapter
        self.statement = statement
        self.tables = tables
        self.options = options
        metrics = ExecutionMetrics(adapter: adapter.name)
    }

    var store: any ObjectStore { adapter.store }
    var cache: TableCache { adapter.cache }
    var connection: Connection { adapter.connection }

    func execute() throws -> StatementEffect {
        switch statement.ir {
        case .query: return try query()
        case let .createTable(table, columns, primaryKey, ifNotExists):
            return try createTable(table, columns: columns, primaryKey: primaryKey, ifNotExists: ifNotExists)
        case let .createTableAs(table, _, _): return try createTableAs(table)
        case let .insert(insert): return try modify(insert.table)
        case let .update(update): return try modify(update.target.table)
        case let .delete(delete): return try modify(delete.target.table)
        case let .dropTable(table, _, _):
            guard let (name, _) = lookup(table) else { return .nothing }
            return .tableDropped(name: name)
        case let .alterTable(table, action): return try alter(table, action)
        }
    }

    /// The caller's name and id of a table, matched case-insensitively.
    func lookup(_ name: String) -> (String, ObjectID)? {
        if let id = tables[name] { return (name, id) }
        let lower = name.lowercased()
        return tables.first { $0.key.lowercased() == lower }.map { ($0.key, $0.value) }
    }

    /// The statement's input tables (all of them, or all but `excluding`),
    /// read from the store and loaded into the cache when missing. Adds
    /// their rows and bytes to the metrics.
    func inputs(excluding: String? = nil) throws -> [Input] {
        var seen = Set<String>()
        var result: [Input] = []
        for name in statement.inputTables where seen.insert(name.lowercased()).inserted {
            if let excluding, excluding.lowercased() == name.lowercased() { continue }
            guard let (_, id) = lookup(name) else { throw EngineError.unknownTable(name) }
            result.append(Input(name: name, id: id, table: try store.readTable(id)))
        }
        try load(result)
        for input in result {
            metrics.rowsRead += input.table.rowCount
            metrics.bytesScanned += try cache.entry(input.id)?.bytes ?? 0
        }
        return result
    }

    /// Loads the inputs missing from the cache, each in its own transaction.
    /// A cached input this process has not verified yet is checked against
    /// its digest first (`TableCache.verify`); a copy that fails is dropped
    /// and loaded again from the store.
    func load(_ inputs: [Input]) throws {
        let protecting = Set(inputs.map(\.id))
        for input in inputs {
            if try cache.entry(input.id) != nil {
                if try cache.verify(input.id, schema: input.table.schema) { continue }
                try cache.discard(input.id)
            }
            if try cache.load(input.id, table: input.table, store: store, label: input.name, protecting: protecting) {
                metrics.tablesLoaded += 1
                metrics.rowsLoaded += input.table.rowCount
            }
        }
    }

    /// Whether every input is still cached (inside the statement's
    /// transaction; another process may have evicted one since `load`).
    func stillCached(_ inputs: [Input]) throws -> Bool {
        for input in inputs where try cache.entry(input.id) == nil { return false }
        return true
    }

    /// Opens a transaction (IMMEDIATE: a write one) in which every input is
    /// cached, reloading inputs another process evicted meanwhile (five
    /// tries), and runs `body` in it. The transaction is left open for
    /// `body`'s caller to end; when `body` throws it is rolled back.
    func inCachedTransaction<R>(_ inputs: [Input], immediate: Bool, _ body: () throws -> R) throws -> R {
        for _ in 0..<5 {
            try connection.execute(immediate ? "BEGIN IMMEDIATE" : "BEGIN")
            do {
                guard try stillCached(inputs) else {
                    try connection.execute("ROLLBACK")
                    try load(inputs)
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
    func writeTransaction<R>(_ inputs: [Input], _ body: () throws -> R) throws -> R {
        try inCachedTransaction(inputs, immediate: true) {
            try cache.touch(inputs.map(\.id))
            let result = try body()
            try connection.execute("COMMIT")
            cache.committed()
            return result
        }
    }

    /// Exposes each input under the name the SQL uses, as a TEMP VIEW of
    /// its cached version (`sourceTable` overrides the cached table of an id).
    func createViews(_ inputs: [Input], sourceTable: [ObjectID: String] = [:]) throws -> [String] {
        var names: [String] = []
        for input in inputs {
            let source = sourceTable[input.id] ?? TableCache.tableName(input.id)
            try connection.execute("CREATE TEMP VIEW \(quote(input.name)) AS SELECT * FROM main.\(quote(source))")
            names.append(input.name)
        }
        return names
    }

    func dropViews(_ names: [String]) {
        for name in names { try? connection.execute("DROP VIEW IF EXISTS temp.\(quote(name))") }
    }

    func treeWriter(_ schema: Schema, label: String) -> TreeWriter {
        TreeWriter(store: store, schema: schema, label: label, temporaryDirectory: adapter.temporaryDirectory)
    }

    /// A SELECT of every column of a SQLite table, ordered by the key when asked.
    static func selectAll(_ table: String, schema: Schema, ordered: Bool) -> String {
        var sql = "SELECT \(schema.columns.map { quote($0.name) }.joined(separator: ", ")) FROM main.\(quote(table))"
        if ordered, !schema.isKeyless { sql += " ORDER BY " + schema.keyColumnNames.map(quote).joined(separator: ", ") }
        return sql
    }

    /// Writes a built table; records what was written.
    func write(_ schema: Schema, _ built: BuiltTree) throws -> (ObjectID, Table) {
        let table = Table(schema: schema, root: built.root)
        let (id, bytes) = try store.writeCounting(table)
        metrics.bytesWritten += built.bytesWritten + bytes
        return (id, table)
    }
}
