import RockyBase
import RockySQL
import RockyStore
import RockyTable
import Testing
@testable import RockyEngine
@testable import RockyEngineSQLite

/// Exactness at a million rows, and DML whose cost follows the rows changed.
@Suite struct ScaleTests {
    @Test func aMillionCentsSumToExactlyTenThousand() throws {
        let w = try Workspace()
        // Keyless: 1,000 distinct rows, each 1,000 times (SQLite holds the 1,000,000 rows).
        let schema = try Schema(named: [("batch", .integer), ("amount", .decimal(precision: 10, scale: 2))])
        let rows = (0..<1_000_000).map { [Value.integer(Int64($0 % 1000)), dec("0.01")] }
        try w.add("cents", schema, rows)
        let result = try w.query("SELECT sum(amount) AS total, avg(amount) AS mean, count(*) AS n FROM cents")
        #expect(result == [[dec("10000.00"), dec("0.010000"), .integer(1_000_000)]])
        if case let .decimal(total) = result[0][0] { #expect(total.description == "10000.00") }
        // Through a stored table too.
        try w.run("CREATE TABLE totals AS SELECT sum(amount) AS total, avg(amount) AS mean FROM cents")
        #expect(try w.rows("totals") == [[dec("10000.00"), dec("0.010000")]])
        #expect(try w.schema("totals").columns.map(\.type) == [.decimal(precision: 38, scale: 2), .decimal(precision: 14, scale: 6)])
    }

    @Test func updatingAFewRowsOfALargeTableWritesAFewObjects() throws {
        let w = try Workspace()
        let schema = try Schema(named: [("id", .integer), ("name", .text), ("amount", .decimal(precision: 12, scale: 2))], key: ["id"])
        var rows = (0..<200_000).map { [Value.integer(Int64($0)), .text("row \($0)"), .decimal(ExactDecimal(units: Int128($0), scale: 2))] }
        try w.add("big", schema, rows)
        _ = try w.query("SELECT count(*) AS n FROM big")
        let before = w.objectCount

        let outcome = try w.run("UPDATE big SET amount = amount + 1 WHERE id IN (17, 90000, 199999)")
        let written = w.objectCount - before
        #expect(outcome.metrics.rowsWritten == 3)
        #expect(outcome.metrics.tablesLoaded == 0)
        // Three chunks, the index nodes above them, the table object (the schema is unchanged).
        #expect(written > 0 && written <= 12, "wrote \(written) objects")
        #expect(outcome.metrics.bytesWritten < 100_000)

        for i in [17, 90000, 199999] { rows[i][2] = .decimal(ExactDecimal(units: Int128(i + 100), scale: 2)) }
        #expect(w.tables["big"] == (try makeTable(MemoryObjectStore(), schema, rows)))

        let delete = try w.run("DELETE FROM big WHERE id = 5")
        #expect(delete.metrics.rowsWritten == 1)
        #expect(w.objectCount - before - written <= 12)
        #expect(try w.query("SELECT count(*) AS n, sum(amount) AS s FROM big")[0][0] == .integer(199_999))
    }
}
