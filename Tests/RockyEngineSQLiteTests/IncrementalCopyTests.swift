import Foundation
import RockyBase
import RockySQL
import RockyStore
import RockyTable
import Testing
@testable import RockyEngine
@testable import RockyEngineSQLite

/// An incremental run leaves the engine a copy of its output, derived from
/// the copy of the earlier output: the next statement over it loads nothing,
/// and the copy holds exactly the new version's rows (its digest checks out
/// when another process opens the cache).
@Suite struct IncrementalCopyTests {
    /// `rows` with some volumes of symbol A changed, one row of A gone and a symbol added.
    static func changed(_ rows: [[Value]]) -> [[Value]] {
        var rows = rows
        for i in stride(from: 3, to: 60, by: 17) { rows[i][6] = .integer(50_000 + Int64(i)) }
        rows.remove(at: 5)
        rows.append([.text("Z"), .timestamp(Timestamp(microseconds: 72_000_000_000)), dec("1.0000"), dec("1.0000"),
                     dec("1.0000"), dec("1.0000"), .integer(7)])
        return rows
    }

    @Test(arguments: [
        "CREATE OR REPLACE TABLE daily AS SELECT symbol, ts, close, volume * 2 AS twice FROM prices WHERE volume > 1010",
        "CREATE OR REPLACE TABLE daily AS SELECT symbol, COUNT(*) AS n, SUM(volume) AS volume, MAX(close) AS top FROM prices GROUP BY symbol",
        // Symbol A drops below the HAVING bound (its output row goes).
        "CREATE OR REPLACE TABLE daily AS SELECT symbol, COUNT(*) AS n, MIN(volume) AS low FROM prices GROUP BY symbol HAVING COUNT(*) >= 60",
    ])
    func theNextStatementReadsTheDerivedCopy(sql: String) throws {
        let folder = temporaryFolder("incremental-copy")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let store = MemoryObjectStore()
        let rows = priceRows(symbols: ["A", "B", "C", "D", "E", "F", "G", "H"], days: 60)
        let before = try makeTable(store, try pricesSchema(), rows)
        let after = try makeTable(store, try pricesSchema(), Self.changed(rows))
        let w = try Workspace(store: store, cacheDirectory: folder)
        w.tables["prices"] = before
        try w.run(sql)
        let earlier = w.tables["daily"]!
        w.tables["prices"] = after
        try w.adapter.preload(["prices": after])

        let statement = try w.compile(sql)
        let executor = StatementExecutor(backend: w.adapter)
        let attempt = executor.executeIncrementally(statement, tables: w.tables,
                                                    basis: IncrementalBasis(inputs: ["prices": before], output: earlier))
        guard case let .incremental(outcome, stats) = attempt, case let .tableWritten(_, id, _) = outcome.effect else {
            Issue.record("not incremental: \(attempt)")
            return
        }
        #expect(stats.outputDeltaRows > 0)
        // A full run gives the same version.
        let full = try Workspace(store: store)
        full.tables["prices"] = after
        try full.run(sql)
        #expect(full.tables["daily"] == id)

        let loads = w.adapter.tablesLoaded
        w.tables["daily"] = id
        let expected = try readRows(store, id).sorted { "\($0)" < "\($1)" }
        let queried = try w.query("SELECT * FROM daily")
        #expect(w.adapter.tablesLoaded == loads, "the next statement loaded the incremental output")
        #expect(queried.sorted { "\($0)" < "\($1)" } == expected)
        #expect(try w.adapter.cachedVersions().contains(id))
        #expect(try !w.adapter.cachedVersions().contains(earlier), "the earlier copy became the new one")

        // Another process checks the copy against its recorded digest.
        let other = try Workspace(store: store, cacheDirectory: folder)
        #expect(try other.adapter.checkCache().isEmpty)
        other.tables = w.tables
        _ = try other.query("SELECT count(*) AS n FROM daily")
        #expect(other.adapter.tablesLoaded == 0)
    }
}
