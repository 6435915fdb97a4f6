import Foundation
import RockyBase
import RockySQL
import RockyStore
import RockyTable
import Testing
@testable import RockyEngine
@testable import RockyEngineSQLite

/// A statement that fails throws a clear error, leaves no object in the
/// store's batch and leaves the cache usable, with the old versions intact.
@Suite struct FailureTests {
    func workspace() throws -> Workspace {
        let w = try Workspace()
        try w.add("prices", try pricesSchema(), priceRows(symbols: ["AAPL", "MSFT"], days: 300))
        try w.add("big", try Schema(named: [("id", .integer), ("d", .decimal(precision: 18, scale: 0)), ("t", .text)], key: ["id"]),
                  [[.integer(1), dec("900000000000000000"), .text("2026-13-01")], [.integer(2), dec("5"), .text("x")]])
        _ = try w.query("SELECT count(*) AS n FROM prices")
        _ = try w.query("SELECT count(*) AS n FROM big")
        return w
    }

    /// Runs `sql` in a batch, expects it to throw, and checks the store and cache.
    func expectCleanFailure(_ w: Workspace, _ sql: String, key: [String]? = nil, _ check: (Error) -> Bool) throws {
        let objectsBefore = w.objectCount
        let tablesBefore = w.tables
        let cachedBefore = Set(try w.adapter.cachedVersions())
        var caught: Error?
        do {
            try w.store.batch { try w.run(sql, key: key) }
        } catch {
            caught = error
        }
        #expect(caught != nil, "\(sql) should fail")
        if let caught { #expect(check(caught), "unexpected error: \(caught)") }
        #expect(w.objectCount == objectsBefore, "objects left behind by: \(sql)")
        #expect(w.tables == tablesBefore)
        #expect(Set(try w.adapter.cachedVersions()) == cachedBefore)
        // The cache still answers from the old versions, without reloading.
        let loads = w.adapter.tablesLoaded
        #expect(try w.query("SELECT count(*) AS n FROM prices") == [[.integer(600)]])
        #expect(try w.query("SELECT sum(d) AS s FROM big") == [[dec("900000000000000005")]])
        #expect(w.adapter.tablesLoaded == loads)
    }

    @Test func duplicateKeyOnInsert() throws {
        let w = try workspace()
        try expectCleanFailure(w, "INSERT INTO prices SELECT symbol, ts, open, high, low, close, volume FROM prices WHERE volume = 1001") {
            $0 as? EngineError == .duplicateKey(table: "prices", detail: "two rows have the same (symbol, ts)")
        }
        try expectCleanFailure(w, "UPDATE prices SET ts = TIMESTAMP '1970-01-01 20:00:00' WHERE symbol = 'MSFT'") {
            if case .duplicateKey("prices", _) = $0 as? EngineError { return true }
            return false
        }
    }

    @Test func duplicateKeyOnCreateTableAs() throws {
        let w = try workspace()
        try expectCleanFailure(w, "CREATE TABLE latest AS SELECT symbol, close FROM prices", key: ["symbol"]) {
            if case .duplicateKey("latest", _) = $0 as? EngineError { return true }
            return false
        }
    }

    @Test func runTimeTypeError() throws {
        let w = try workspace()
        try expectCleanFailure(w, "CREATE TABLE dates AS SELECT CAST(t AS DATE) AS day FROM big") {
            guard case let .backend(error) = $0 as? EngineError else { return false }
            return error.message.contains("rocky_from_text") && error.message.contains("2026-13-01")
                && "\(error)".contains("CAST") == false && "\(error)".contains("while running")
        }
        try expectCleanFailure(w, "UPDATE big SET d = CAST(t AS DECIMAL(18,0)) WHERE id = 2") {
            if case .backend = $0 as? EngineError { return true }
            return false
        }
    }

    @Test func decimalOverflowInArithmetic() throws {
        let w = try workspace()
        // Past 64 bits is exact now (a DECIMAL of more than 18 digits is a BLOB in SQLite):
        // eleven times 9e17 is 9.9e18.
        try w.run("CREATE TABLE many AS SELECT id, d + d + d + d + d + d + d + d + d + d + d AS dd FROM big")
        #expect(try w.query("SELECT dd FROM many WHERE id = 1") == [[dec("9900000000000000000")]])
        // 9e17 cubed needs 54 digits: an overflow, at the product's position in the statement.
        try expectCleanFailure(w, "CREATE TABLE cubed AS SELECT id, d * d * d AS dd FROM big") {
            $0 as? EngineError == .arithmeticOverflow(detail: "DECIMAL overflow: the result has more than 38 digits", line: 1, column: 34)
        }
        // A product past 38 digits.
        try expectCleanFailure(w, "CREATE TABLE scaled AS SELECT id, CAST(d AS DECIMAL(38,0)) * 1000000000000000000000 AS x FROM big") {
            if case .arithmeticOverflow = $0 as? EngineError { return true }
            return false
        }
        // A quotient past 38 digits.
        try expectCleanFailure(w, "CREATE TABLE divided AS SELECT id, CAST(d AS DECIMAL(38,0)) / 0.0000000000000000001 AS x FROM big") {
            if case .arithmeticOverflow = $0 as? EngineError { return true }
            return false
        }
        // A result over its declared precision, in DML.
        try expectCleanFailure(w, "UPDATE big SET d = d * 20 WHERE id = 1") {
            if case .decimalOverflow = $0 as? EngineError { return true }
            if case .arithmeticOverflow = $0 as? EngineError { return true }
            if case .decimalPrecision = $0 as? EngineError { return true }
            if case let .backend(error) = $0 as? EngineError { return error.message.contains("rocky_muldiv") || error.message.contains("overflow") }
            return false
        }
    }

    @Test func decimalPrecisionIsCheckedWhenStoring() throws {
        let w = try workspace()
        try w.run("CREATE TABLE small (id INTEGER PRIMARY KEY, amount DECIMAL(4,2))")
        try expectCleanFailure(w, "INSERT INTO small VALUES (1, 12.5), (2, 99.99), (3, 100.00)") {
            $0 as? EngineError == .decimalPrecision(table: "small", column: "amount", value: "100.00", type: "DECIMAL(4,2)")
        }
    }

    @Test func aFailureOnDiskLeavesNoPackAndNoObject() throws {
        let folder = temporaryFolder("disk")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try FileManager.default.createDirectory(atPath: folder + "/objects", withIntermediateDirectories: true)
        let store = DiskObjectStore(directory: folder + "/objects")
        let w = try Workspace(store: store, cacheDirectory: folder + "/cache")
        // 20,000 rows whose last ones overflow 38 digits: chunks are written before the failure.
        let schema = try Schema(named: [("id", .integer), ("d", .decimal(precision: 18, scale: 0))], key: ["id"])
        let rows = (0..<20_000).map { [Value.integer(Int64($0)), .decimal(ExactDecimal(units: $0 < 19_990 ? 1 : 900_000_000_000_000_000, scale: 0))] }
        try store.batch { try w.add("t", schema, rows) }
        let before = Set(FileManager.default.subpaths(atPath: folder + "/objects") ?? [])
        #expect(throws: EngineError.self) {
            try store.batch { try w.run("CREATE TABLE big AS SELECT id, d * d * d AS dd FROM t", key: ["id"]) }
        }
        #expect(Set(FileManager.default.subpaths(atPath: folder + "/objects") ?? []) == before)
        try store.batch { try w.run("CREATE TABLE ok AS SELECT id, d FROM t WHERE id < 100", key: ["id"]) }
        #expect(try w.rows("ok").count == 100)
    }

    @Test func aStoredDecimalBeyond64BitsLoadsExactly() throws {
        let w = try Workspace()
        try w.add("huge", try Schema(named: [("id", .integer), ("amount", .decimal(precision: 30, scale: 2))], key: ["id"]),
                  [[.integer(1), dec("1.00")], [.integer(2), dec("123456789012345678901.00")], [.integer(3), dec("-5.25")]])
        #expect(try w.query("SELECT SUM(amount) AS s FROM huge") == [[dec("123456789012345678896.75")]])
        #expect(try w.query("SELECT id FROM huge ORDER BY amount") == [[.integer(3)], [.integer(1)], [.integer(2)]])
        #expect(try w.adapter.cachedVersions().count == 1)
    }

    @Test func aDroppedResultReleasesTheAdapter() throws {
        let w = try workspace()
        do {
            guard case let .rows(result) = try w.run("SELECT symbol FROM prices", keepRows: true).effect else { return }
            var seen = 0
            for row in result where row.count == 1 {
                seen += 1
                if seen == 3 { break }
            }
            #expect(!result.isClosed)
        }
        #expect(try w.query("SELECT count(*) AS n FROM big") == [[.integer(2)]])
    }

    @Test func aFailedQueryReleasesTheAdapter() throws {
        let w = try workspace()
        #expect(throws: EngineError.self) { try w.query("SELECT CAST(t AS DATE) AS day FROM big") }
        #expect(try w.query("SELECT count(*) AS n FROM big") == [[.integer(2)]])
    }
}
