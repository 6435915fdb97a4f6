import CSQLite
import Dispatch
import Glibc
import RockyBase
import RockyEngine
import RockySQL
import RockyStore
import RockyTable
import Synchronization

/// Table versions loaded into SQLite, keyed by table object id and kept
/// across statements and processes, so a version is loaded once per
/// repository, not once per statement.
///
/// **File.** `<cacheDirectory>/tables.sqlite` (WAL mode, `synchronous =
/// NORMAL`: the cache can always be rebuilt from the object store, so a
/// power loss may cost a reload, never a wrong answer). The WAL is copied
/// into the database by a background `Checkpointer`, not by the committing
/// statement. With no directory the cache is a private in-memory database
/// (tests).
///
/// **Naming.** Version `X` is the table `main."t_<64 hex of X>"`, with the
/// version's column names and types (Docs/sql.md representation), `NOT NULL`
/// where the schema says so and, for a keyed table, its `PRIMARY KEY` as a
/// `WITHOUT ROWID` table (rows stored in key order, uniqueness enforced by
/// DML). A keyless table is an ordinary rowid table holding each row as many
/// times as its multiplicity. The catalog `main.__rocky_table_cache` lists every
/// complete version with its rows, encoded bytes, last use and digest.
///
/// **Verified, never trusted.** The cache is derived state in a file anyone
/// can edit, so each version's catalog entry records the `RowDigest` of its
/// rows as they were loaded (or built by a statement, or changed by DML:
/// the digest follows the rows the statement touched). Before a process
/// first uses a cached version (`verify`, once per process and version) it
/// recomputes the digest of the cached rows; a mismatch, or a table that
/// SQLite cannot read, drops the copy and it is loaded again from the object
/// store. A file SQLite cannot open as a database, or whose catalog is not
/// this layout (`PRAGMA user_version` = `formatVersion`), is deleted and
/// created anew (`rebuiltBecause` says why): a cache is never an error.
///
/// **Atomicity and concurrency.** A version is created, filled and entered in
/// the catalog inside one transaction (`BEGIN IMMEDIATE`), so a crashed or
/// interrupted loader leaves nothing: the half-built table rolls back with
/// the transaction and is never seen. Several processes share the file
/// through SQLite's locking; a loader re-checks the catalog after taking the
/// write lock, so two processes never load the same version twice. A query
/// reads inside one read transaction (a WAL snapshot), so a version evicted
/// by another process meanwhile stays readable until it finishes. Writers
/// serialize: a statement that writes (CREATE TABLE AS, DML, ALTER) holds the
/// write lock while it runs; others wait up to `busyTimeout`.
///
/// **Eviction.** When the catalog's total `bytes` (the encoded size of the
/// cached rows, Docs/format.md) passes `limitBytes`, the least recently used
/// versions not needed by the running statement are dropped until it fits.
/// Freed pages are reused by later loads (the file does not shrink; delete it
/// to reclaim the space: it is only a cache).
///
/// **Versions change id, not content.** A cached version is never modified
/// in place: DML and ALTER TABLE modify it inside a transaction and
/// re-register it under the new id before committing, so the catalog always
/// maps an id to exactly the rows of that id.
final class TableCache {
    struct Entry {
        var rows: Int
        var bytes: Int
        /// `RowDigest` of the rows, as an integer's bit pattern.
        var digest: Int64
    }

    let connection: Connection
    let limitBytes: Int
    /// Copies the WAL into the database in the background (file caches only).
    private let checkpointer: Checkpointer?
    /// Why the cache file was deleted and created anew when opened (nil: it was fine).
    private(set) var rebuiltBecause: String?
    /// Versions whose cached rows this process checked against their digest,
    /// or filled itself: trusted for the rest of the process.
    private var verified = Set<ObjectID>()
    /// Versions loaded from the object store by this instance (for tests and metrics).
    private(set) var loads = 0
    private var stagingCounter = 0

    static let fileName = "tables.sqlite"
    /// `PRAGMA user_version` of a cache file of this layout (catalog with
    /// digests; 3: a DECIMAL of precision over 18 is a 16-byte BLOB).
    static let formatVersion: Int64 = 3
    static let busyTimeoutMilliseconds: Int32 = 600_000

    init(directory: String?, limitBytes: Int) throws {
        self.limitBytes = limitBytes
        guard let directory else {
            connection = try TableCache.open(path: ":memory:", file: false)
            checkpointer = nil
            return
        }
        mkdir(directory, 0o755)
        let path = directory + "/" + TableCache.fileName
        do {
            connection = try TableCache.open(path: path, file: true)
        } catch let problem as CacheFileProblem {
            rebuiltBecause = problem.reason
            for suffix in ["", "-wal", "-shm", "-journal"] { unlink(path + suffix) }
            connection = try TableCache.open(path: path, file: true)
        }
        checkpointer = try Checkpointer(path: path)
    }

    /// Why an existing cache file cannot be used as it is.
    private struct CacheFileProblem: Error { var reason: String }

    /// Opens the cache database and checks (or, for a new file, creates) its
    /// catalog. Throws `CacheFileProblem` when the file is not a database
    /// SQLite can read or not a cache of this layout.
    private static func open(path: String, file: Bool) throws -> Connection {
        func damaged(_ error: SQLiteError) -> Bool {
            [SQLITE_NOTADB, SQLITE_CORRUPT, SQLITE_FORMAT].contains(error.primaryCode)
        }
        let connection: Connection
        do {
            connection = try Connection(path: path)
        } catch let error as SQLiteError where damaged(error) {
            throw CacheFileProblem(reason: error.message)
        }
        sqlite3_busy_timeout(connection.handle, TableCache.busyTimeoutMilliseconds)
        do {
            if file {
                try connection.execute("PRAGMA page_size = 16384")
                try connection.execute("PRAGMA auto_vacuum = INCREMENTAL")
                try connection.execute("PRAGMA journal_mode = WAL")
                try connection.execute("PRAGMA synchronous = NORMAL")
                // Committing a million-row result would otherwise copy it from the
                // WAL into the database before returning; a second connection does
                // that in the background instead.
                try connection.execute("PRAGMA wal_autocheckpoint = 0")
            }
            try connection.execute("PRAGMA cache_size = -131072")
            // Checked and created in one write transaction, so a process that
            // opens the file while another creates it sees all or nothing.
            try connection.transaction(immediate: true) {
                let version = try connection.integer("PRAGMA user_version") ?? 0
                let objects = try connection.integer("SELECT count(*) FROM sqlite_master") ?? 0
                if version == 0 && objects == 0 {
                    try connection.execute("""
                        CREATE TABLE main.__rocky_table_cache (
                          id TEXT PRIMARY KEY, rows INTEGER NOT NULL, bytes INTEGER NOT NULL, last_used INTEGER NOT NULL,
                          digest INTEGER NOT NULL
                        ) WITHOUT ROWID;
                        PRAGMA user_version = \(formatVersion);
                        """)
                    return
                }
                guard version == formatVersion else {
                    throw CacheFileProblem(reason: "cache layout \(version), expected \(formatVersion)")
                }
                let columns = try connection.statement("SELECT name FROM pragma_table_info('__rocky_table_cache') ORDER BY cid")
                var names: [String] = []
                while try columns.step() { names.append(columns.text(0)) }
                guard names == ["id", "rows", "bytes", "last_used", "digest"] else {
                    throw CacheFileProblem(reason: "the catalog has columns \(names), not the expected ones")
                }
            }
            try RowDigest.register(on: connection)
        } catch let error as SQLiteError where damaged(error) {
            throw CacheFileProblem(reason: error.message)
        }
        return connection
    }

    deinit { checkpointer?.wait() }

    /// Called after every write transaction commits.
    func committed() { checkpointer?.request() }

    static func tableName(_ id: ObjectID) -> String { "t_" + id.hex }

    /// A name for a table being built, unique in this process.
    func stagingName() -> String {
        stagingCounter += 1
        return "s_\(getpid())_\(stagingCounter)"
    }

    func entry(_ id: ObjectID) throws -> Entry? {
        let statement = try connection.statement("SELECT rows, bytes, digest FROM main.__rocky_table_cache WHERE id = ?1")
        statement.bind(text: id.hex, at: 1)
        guard try statement.step() else { return nil }
        return Entry(rows: Int(statement.int64(0)), bytes: Int(statement.int64(1)), digest: statement.int64(2))
    }

    /// The `RowDigest` of the rows of SQLite table `name` (in `schema`'s column order).
    func digest(of name: String, schema: Schema, in database: String = "main") throws -> Int64 {
        try connection.integer("SELECT \(RowDigest.expression(schema.columns.map { quote($0.name) })) FROM \(database).\(quote(name))") ?? 0
    }

    /// Whether the cached copy of version `id` (of `schema`) holds the rows
    /// its catalog entry's digest was taken of: checked once per process,
    /// then trusted. False when it is not cached, or when SQLite cannot
    /// read it as `schema` says (a table dropped or altered behind the
    /// catalog's back); SQLite's busy errors are thrown.
    func verify(_ id: ObjectID, schema: Schema) throws -> Bool {
        if verified.contains(id) { return true }
        do {
            let good = try connection.transaction(immediate: false) { () throws -> Bool in
                guard let entry = try entry(id) else { return false }
                return try digest(of: TableCache.tableName(id), schema: schema) == entry.digest
            }
            if good { verified.insert(id) }
            return good
        } catch let error as SQLiteError where error.primaryCode != SQLITE_BUSY && error.primaryCode != SQLITE_LOCKED {
            return false
        }
    }

    /// Drops the cached copy of version `id` and its catalog entry (in a write transaction of its own).
    func discard(_ id: ObjectID) throws {
        try connection.transaction(immediate: true) {
            try connection.execute("DROP TABLE IF EXISTS main.\(quote(TableCache.tableName(id)))")
            try forget(id)
        }
        committed()
    }

    /// Records a new digest for version `id` (inside the caller's write transaction).
    func setDigest(_ id: ObjectID, _ digest: Int64) throws {
        let statement = try connection.statement("UPDATE main.__rocky_table_cache SET digest = ?1 WHERE id = ?2")
        statement.bind(digest, at: 1)
        statement.bind(text: id.hex, at: 2)
        try statement.run()
    }

    /// Marks versions as just used (inside the caller's write transaction).
    func touch(_ ids: some Sequence<ObjectID>) throws {
        let statement = try connection.statement("UPDATE main.__rocky_table_cache SET last_used = ?1 WHERE id = ?2")
        for id in ids {
            statement.bind(TableCache.now(), at: 1)
            statement.bind(text: id.hex, at: 2)
            try statement.run()
        }
    }

    /// The `CREATE TABLE` of a version's SQLite table.
    static func createSQL(_ name: String, schema: Schema, temporary: Bool = false) -> String {
        var parts = schema.columns.map { column in
            "\(quote(column.name)) \(Representation.sqliteType(column.type))\(column.nullable ? "" : " NOT NULL")"
        }
        if !schema.isKeyless {
            parts.append("PRIMARY KEY (\(schema.keyColumnNames.map(quote).joined(separator: ", ")))")
        }
        return "CREATE TABLE \(temporary ? "temp" : "main").\(quote(name)) (\(parts.joined(separator: ", ")))"
            + (schema.isKeyless ? "" : " WITHOUT ROWID")
    }

    /// Loads version `id` from the store, unless another process did
    /// meanwhile. Runs its own write transaction; returns whether it loaded.
    /// Chunks are read (inflated, verified) a few ahead on a second thread;
    /// rows are bound from their stored bytes (`RowBinder`).
    @discardableResult
    func load(_ id: ObjectID, table: Table, store: any ObjectStore, label: String, protecting: Set<ObjectID>) throws -> Bool {
        defer { committed() }
        return try connection.transaction(immediate: true) {
            if try entry(id) != nil { return false }
            let name = TableCache.tableName(id)
            try connection.execute(TableCache.createSQL(name, schema: table.schema))
            let columns = table.schema.columns
            let insert = try connection.statement(
                "INSERT INTO main.\(quote(name)) VALUES (\(columns.indices.map { "?\($0 + 1)" }.joined(separator: ", ")))")
            var binder = RowBinder(schema: table.schema, label: label)
            let chunks = try ChunkPrefetcher(store: store, root: table.root)
            defer { chunks.cancel() }
            var rows = 0, bytes = 0
            while let chunk = try chunks.nextChunk() {
                try chunk.payload.withUnsafeBytes { raw in
                    for i in 0..<chunk.count {
                        let key = UnsafeRawBufferPointer(rebasing: raw[chunk.keyRange(i)])
                        let value = UnsafeRawBufferPointer(rebasing: raw[chunk.valueRange(i)])
                        bytes += key.count + value.count
                        let count: Int
                        do {
                            count = try binder.bind(key: key, value: value, to: insert)
                        } catch let error as StoredRowError {
                            throw EngineError.invalid("table \(label) (\(id.short())): \(error)")
                        }
                        for _ in 0..<count {
                            do { try insert.run() } catch let error as SQLiteError { throw EngineError.from(error, table: label) }
                            rows += 1
                        }
                    }
                }
            }
            try register(id, rows: rows, bytes: bytes, digest: try digest(of: name, schema: table.schema))
            try evict(protecting: protecting.union([id]))
            loads += 1
            verified.insert(id)
            return true
        }
    }

    /// Enters a complete table of the running transaction as version `id`:
    /// renames `name` to the version's table, or drops it when the version is
    /// cached already (the same content was built before).
    /// `digest` is the `RowDigest` of the table's rows, which the caller
    /// computed from them; the version then counts as verified.
    func adopt(_ name: String, as id: ObjectID, rows: Int, bytes: Int, digest: Int64, protecting: Set<ObjectID>) throws {
        if try entry(id) != nil {
            try connection.execute("DROP TABLE main.\(quote(name))")
            try touch([id])
            return
        }
        try connection.execute("ALTER TABLE main.\(quote(name)) RENAME TO \(quote(TableCache.tableName(id)))")
        try register(id, rows: rows, bytes: bytes, digest: digest)
        try evict(protecting: protecting.union([id]))
        verified.insert(id)
    }

    /// Forgets version `id` whose table was renamed or dropped by the caller.
    func forget(_ id: ObjectID) throws {
        verified.remove(id)
        verified.remove(id)
        let statement = try connection.statement("DELETE FROM main.__rocky_table_cache WHERE id = ?1")
        statement.bind(text: id.hex, at: 1)
        try statement.run()
    }

    private func register(_ id: ObjectID, rows: Int, bytes: Int, digest: Int64) throws {
        let statement = try connection.statement(
            "INSERT INTO main.__rocky_table_cache (id, rows, bytes, last_used, digest) VALUES (?1, ?2, ?3, ?4, ?5)")
        statement.bind(text: id.hex, at: 1)
        statement.bind(Int64(rows), at: 2)
        statement.bind(Int64(bytes), at: 3)
        statement.bind(TableCache.now(), at: 4)
        statement.bind(digest, at: 5)
        try statement.run()
    }

    /// Drops least recently used versions until the cache fits its limit.
    func evict(protecting: Set<ObjectID>) throws {
        guard var total = try connection.integer("SELECT sum(bytes) FROM main.__rocky_table_cache"), total > limitBytes else { return }
        let candidates = try connection.statement("SELECT id, bytes FROM main.__rocky_table_cache ORDER BY last_used")
        var victims: [(ObjectID, Int64)] = []
        while total > limitBytes, try candidates.step() {
            guard let id = ObjectID(hex: candidates.text(0)), !protecting.contains(id) else { continue }
            victims.append((id, candidates.int64(1)))
            total -= candidates.int64(1)
        }
        candidates.reset()
        for (id, _) in victims {
            try connection.execute("DROP TABLE IF EXISTS main.\(quote(TableCache.tableName(id)))")
            try forget(id)
        }
    }

    /// Ids of every cached version, least recently used first.
    func cachedIDs() throws -> [ObjectID] {
        let statement = try connection.statement("SELECT id FROM main.__rocky_table_cache ORDER BY last_used")
        var ids: [ObjectID] = []
        while try statement.step() { if let id = ObjectID(hex: statement.text(0)) { ids.append(id) } }
        return ids
    }

    /// Microseconds since the epoch: the LRU clock, shared by processes.
    static func now() -> Int64 {
        var time = timespec()
        clock_gettime(CLOCK_REALTIME, &time)
        return Int64(time.tv_sec) * 1_000_000 + Int64(time.tv_nsec) / 1000
    }
}

/// Checkpoints a WAL database from its own connection on a background
/// queue (`PASSIVE`: it never blocks readers or writers, and copies what it
/// can). Requests made while one runs are folded into the next.
final class Checkpointer: @unchecked Sendable {
    private let connection: Connection
    private let queue = DispatchQueue(label: "rocky.engine.checkpoint")
    private var pending = false
    private let lock = Mutex(())

    init(path: String) throws {
        connection = try Connection(path: path)
        sqlite3_busy_timeout(connection.handle, 1000)
    }

    func request() {
        let start = lock.withLock { _ -> Bool in
            if pending { return false }
            pending = true
            return true
        }
        guard start else { return }
        queue.async {
            self.lock.withLock { _ in self.pending = false }
            sqlite3_wal_checkpoint_v2(self.connection.handle, nil, SQLITE_CHECKPOINT_PASSIVE, nil, nil)
        }
    }

    func wait() { queue.sync {} }
}

/// A quoted SQLite identifier, as the compiler's SQLite dialect quotes it.
func quote(_ name: String) -> String { Dialect.sqlite.quote(name) }
