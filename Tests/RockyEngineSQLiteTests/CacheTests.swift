import Foundation
import RockyBase
import RockySQL
import RockyStore
import RockyTable
import Testing
@testable import RockyEngine
@testable import RockyEngineSQLite

/// The table cache: a version is loaded once, survives a reopen, is bounded,
/// and follows DML and ALTER without reloading.
@Suite struct CacheTests {
    @Test func aVersionIsLoadedOncePerCache() throws {
        let w = try Workspace()
        try w.add("prices", try pricesSchema(), priceRows(symbols: ["A", "B"], days: 50))
        let first = try w.run("SELECT count(*) AS n FROM prices")
        #expect(first.metrics.tablesLoaded == 1 && first.metrics.rowsLoaded == 100)
        for _ in 0..<3 {
            let again = try w.run("SELECT max(close) AS m FROM prices")
            #expect(again.metrics.tablesLoaded == 0)
        }
        try w.run("CREATE TABLE a AS SELECT * FROM prices WHERE symbol = 'A'")
        try w.run("CREATE TABLE b AS SELECT symbol, count(*) AS n FROM a GROUP BY symbol")
        // `a` was registered by the statement that built it: nothing more was loaded.
        #expect(w.adapter.tablesLoaded == 1)
        try w.run("UPDATE prices SET volume = 0 WHERE ts < TIMESTAMP '1970-01-03 00:00:00'")
        try w.run("ALTER TABLE prices ADD COLUMN note TEXT")
        try w.run("ALTER TABLE prices RENAME COLUMN note TO remark")
        #expect(try w.query("SELECT count(*) AS n FROM prices WHERE volume = 0") == [[.integer(4)]])
        #expect(w.adapter.tablesLoaded == 1)
    }

    @Test func preloadLoadsWhatIsMissing() throws {
        let w = try Workspace()
        try w.add("prices", try pricesSchema(), priceRows(symbols: ["A"], days: 20))
        try w.add("other", try pricesSchema(), priceRows(symbols: ["B"], days: 20))
        #expect(try w.adapter.preload(["prices": w.tables["prices"]!]) == 1)
        #expect(try w.adapter.preload(w.tables) == 1)
        #expect(try w.run("SELECT count(*) AS n FROM prices JOIN other USING (ts)").metrics.tablesLoaded == 0)
    }

    @Test func theCacheSurvivesAReopenAndIsSharedByAdapters() throws {
        let folder = temporaryFolder("reopen")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let store = MemoryObjectStore()
        let prices = try makeTable(store, try pricesSchema(), priceRows(symbols: ["A", "B", "C"], days: 30))
        do {
            let w = try Workspace(store: store, cacheDirectory: folder)
            w.tables["prices"] = prices
            #expect(try w.query("SELECT count(*) AS n FROM prices") == [[.integer(90)]])
            try w.run("CREATE TABLE recent AS SELECT * FROM prices WHERE volume > 1010")
            #expect(w.adapter.tablesLoaded == 1)
        }
        #expect(FileManager.default.fileExists(atPath: folder + "/tables.sqlite"))
        let w = try Workspace(store: store, cacheDirectory: folder)
        w.tables["prices"] = prices
        let outcome = try w.run("SELECT count(*) AS n FROM prices")
        #expect(outcome.metrics.tablesLoaded == 0)
        // A second adapter on the same file sees the same cache.
        let other = try Workspace(store: store, cacheDirectory: folder)
        other.tables["prices"] = prices
        #expect(try other.query("SELECT sum(volume) AS v FROM prices") == (try w.query("SELECT sum(volume) AS v FROM prices")))
        #expect(other.adapter.tablesLoaded == 0 && w.adapter.tablesLoaded == 0)
        #expect(try w.adapter.cachedVersions().count == 2)
    }

    @Test func leastRecentlyUsedVersionsAreEvictedPastTheLimit() throws {
        // Each version below is about 3 KiB encoded; the limit holds two.
        let w = try Workspace(cacheLimitBytes: 7_000)
        let schema = try pricesSchema()
        let ids = try (0..<4).map { try makeTable(w.store, schema, priceRows(symbols: ["S\($0)"], days: 60)) }
        for (i, id) in ids.enumerated() {
            w.tables = ["p": id]
            _ = try w.query("SELECT count(*) AS n FROM p")
            let cached = try w.adapter.cachedVersions()
            #expect(cached.last == id)
            #expect(cached.count == min(i + 1, 2))
        }
        #expect(Set(try w.adapter.cachedVersions()) == Set(ids.suffix(2)))
        // A version evicted is simply loaded again.
        w.tables = ["p": ids[0]]
        #expect(try w.run("SELECT count(*) AS n FROM p").metrics.tablesLoaded == 1)
    }

    @Test func aReaderKeepsItsSnapshotWhileAnotherProcessEvicts() throws {
        let folder = temporaryFolder("snapshot")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let store = MemoryObjectStore()
        let schema = try pricesSchema()
        let prices = try makeTable(store, schema, priceRows(symbols: ["A", "B"], days: 400))
        let others = try (0..<3).map { try makeTable(store, schema, priceRows(symbols: ["X\($0)"], days: 800)) }
        // Two adapters on one cache file stand for two rocky processes; each cache holds about one version.
        let reader = try Workspace(store: store, cacheDirectory: folder, cacheLimitBytes: 40_000)
        let writer = try Workspace(store: store, cacheDirectory: folder, cacheLimitBytes: 40_000)
        reader.tables["prices"] = prices
        guard case let .rows(result) = try reader.run("SELECT symbol, volume FROM prices", keepRows: true).effect else { return }
        _ = try result.nextRow()
        for id in others {
            writer.tables = ["p": id]
            _ = try writer.query("SELECT count(*) AS n FROM p")
        }
        #expect(try !writer.adapter.cachedVersions().contains(prices))
        // The open result still reads every row of its snapshot.
        #expect(try result.all().count == 799)
        // A new statement finds the version gone and loads it again.
        #expect(try reader.run("SELECT count(*) AS n FROM prices").metrics.tablesLoaded == 1)
    }

    @Test func aCrashedLoaderLeavesNothingBehind() throws {
        let folder = temporaryFolder("crash")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let store = MemoryObjectStore()
        let prices = try makeTable(store, try pricesSchema(), priceRows(symbols: ["A"], days: 10))
        // Simulate a loader that died after creating and filling part of the table.
        do {
            let cache = try TableCache(directory: folder, limitBytes: 1 << 30)
            try cache.connection.execute("BEGIN IMMEDIATE")
            try cache.connection.execute(TableCache.createSQL(TableCache.tableName(prices), schema: try pricesSchema()))
            // The process goes away here: the connection closes without COMMIT.
        }
        let w = try Workspace(store: store, cacheDirectory: folder)
        w.tables["prices"] = prices
        #expect(try w.run("SELECT count(*) AS n FROM prices").metrics.tablesLoaded == 1)
        #expect(try w.query("SELECT count(*) AS n FROM prices") == [[.integer(10)]])
    }
}

/// The cache is derived state in a file anyone can edit: what it holds is
/// checked against the digest recorded when it was filled, or rebuilt.
@Suite struct CacheVerificationTests {
    /// Runs SQL on the cache file from a connection of its own, as `sqlite3` would.
    private func tamper(_ folder: String, _ sql: String) throws {
        let connection = try Connection(path: folder + "/" + TableCache.fileName)
        try connection.execute(sql)
    }

    @Test func aTamperedCopyIsReloadedBeforeItIsQueriedOrBuiltOn() throws {
        let folder = temporaryFolder("tamper")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let store = MemoryObjectStore()
        let prices = try makeTable(store, try pricesSchema(), priceRows(symbols: ["A", "B"], days: 30))
        let truth: [[Value]]
        do {
            let w = try Workspace(store: store, cacheDirectory: folder)
            w.tables["prices"] = prices
            truth = try w.query("SELECT sum(volume) AS v, count(*) AS n FROM prices")
        }
        try tamper(folder, "UPDATE \"\(TableCache.tableName(prices))\" SET volume = volume + 1000 WHERE symbol = 'A'")
        do {
            let w = try Workspace(store: store, cacheDirectory: folder)
            w.tables["prices"] = prices
            #expect(try w.query("SELECT sum(volume) AS v, count(*) AS n FROM prices") == truth)
            #expect(w.adapter.tablesLoaded == 1)
        }
        // A result committed from a tampered input holds the stored rows.
        try tamper(folder, "DELETE FROM \"\(TableCache.tableName(prices))\" WHERE symbol = 'B'")
        let w = try Workspace(store: store, cacheDirectory: folder)
        w.tables["prices"] = prices
        try w.run("CREATE TABLE copy AS SELECT * FROM prices")
        #expect(try w.rows("copy") == (try readRows(store, prices)))
        #expect(w.adapter.tablesLoaded == 1)
    }

    @Test func aGarbageOrOldCacheFileIsRebuilt() throws {
        let store = MemoryObjectStore()
        let prices = try makeTable(store, try pricesSchema(), priceRows(symbols: ["A"], days: 10))
        for content in ["garbage", "old layout"] {
            let folder = temporaryFolder("garbage")
            defer { try? FileManager.default.removeItem(atPath: folder) }
            let path = folder + "/" + TableCache.fileName
            if content == "garbage" {
                try Data(String(repeating: "not a database ", count: 1000).utf8).write(to: URL(fileURLWithPath: path))
            } else {
                let old = try Connection(path: path)
                try old.execute("CREATE TABLE __rocky_table_cache (id TEXT PRIMARY KEY, rows INTEGER NOT NULL, bytes INTEGER NOT NULL, last_used INTEGER NOT NULL) WITHOUT ROWID")
            }
            let w = try Workspace(store: store, cacheDirectory: folder)
            #expect(w.adapter.cacheRebuiltBecause != nil, "\(content)")
            w.tables["prices"] = prices
            #expect(try w.query("SELECT count(*) AS n FROM prices") == [[.integer(10)]])
            #expect(try Workspace(store: store, cacheDirectory: folder).adapter.cacheRebuiltBecause == nil)
        }
    }

    /// DML and ALTER keep each new version's digest equal to its rows': a
    /// full check finds nothing, and a new process reloads nothing.
    @Test func statementsKeepTheDigestsTrue() throws {
        let folder = temporaryFolder("digests")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let w = try Workspace(cacheDirectory: folder)
        try w.add("prices", try pricesSchema(), priceRows(symbols: ["A", "B"], days: 40))
        try w.run("CREATE TABLE bag AS SELECT symbol, volume % 3 AS r FROM prices")
        for sql in ["UPDATE prices SET volume = volume * 2 WHERE symbol = 'A'",
                    "DELETE FROM prices WHERE volume > 2070",
                    "INSERT INTO prices SELECT 'C', ts, open, high, low, close, volume FROM prices WHERE symbol = 'B'",
                    "UPDATE prices SET volume = volume",
                    "ALTER TABLE prices ADD COLUMN note TEXT",
                    "UPDATE prices SET note = 'x' WHERE symbol = 'C'",
                    "ALTER TABLE prices RENAME COLUMN note TO remark",
                    "ALTER TABLE prices DROP COLUMN remark",
                    "INSERT INTO bag SELECT symbol, r FROM bag WHERE r = 1",
                    "DELETE FROM bag WHERE r = 2",
                    "UPDATE bag SET r = 7 WHERE symbol = 'A'"] {
            try w.run(sql)
        }
        #expect(try w.adapter.checkCache().isEmpty)
        let fresh = try Workspace(store: w.store, cacheDirectory: folder)
        fresh.tables = w.tables
        #expect(try fresh.query("SELECT count(*) AS n FROM prices JOIN bag USING (symbol)")
            == (try w.query("SELECT count(*) AS n FROM prices JOIN bag USING (symbol)")))
        #expect(fresh.adapter.tablesLoaded == 0)
    }

    @Test func checkCacheDropsWhatDoesNotMatch() throws {
        let folder = temporaryFolder("check")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let w = try Workspace(cacheDirectory: folder)
        try w.add("prices", try pricesSchema(), priceRows(symbols: ["A"], days: 10))
        _ = try w.query("SELECT count(*) AS n FROM prices")
        let id = w.tables["prices"]!
        try tamper(folder, "UPDATE \"\(TableCache.tableName(id))\" SET close = close + 1")
        let checker = try Workspace(store: w.store, cacheDirectory: folder)
        let found = try checker.adapter.checkCache()
        #expect(found.map(\.id) == [id])
        #expect(try checker.adapter.cachedVersions().isEmpty)
        #expect(try checker.adapter.checkCache().isEmpty)
    }
}
