import RockyBase
import RockySQL
import RockyStore
import RockyTable
import Testing
@testable import RockyEngine
@testable import RockyEngineSQLite

/// Each statement kind, its effect on the table set, the tables it writes and its metrics.
@Suite struct StatementTests {
    func workspace() throws -> Workspace {
        let w = try Workspace()
        try w.add("prices", try pricesSchema(), priceRows(symbols: ["AAPL", "MSFT", "JPM"], days: 40))
        try w.add("sectors", try Schema(named: [("symbol", .text), ("sector", .text)], key: ["symbol"]),
                  [[.text("AAPL"), .text("Technology")], [.text("MSFT"), .text("Technology")], [.text("JPM"), .text("Financials")]])
        return w
    }

    @Test func selectStreamsTypedRowsWithNamesAndMetrics() throws {
        let w = try workspace()
        let outcome = try w.run("""
            SELECT p.symbol, s.sector, count(*) AS n, sum(p.close) AS total, avg(p.close) AS mean, max(p.ts) AS last
            FROM prices p JOIN sectors s ON s.symbol = p.symbol GROUP BY p.symbol, s.sector ORDER BY p.symbol
            """, keepRows: true)
        guard case let .rows(result) = outcome.effect else { Issue.record("no rows"); return }
        #expect(result.columnNames == ["symbol", "sector", "n", "total", "mean", "last"])
        #expect(result.columns.map(\.type) == [.text, .text, .integer, .decimal(precision: 38, scale: 4),
                                                 .decimal(precision: 14, scale: 6), .timestamp])
        let rows = try result.all()
        #expect(rows.count == 3)
        #expect(rows[0][0] == .text("AAPL") && rows[0][1] == .text("Technology") && rows[0][2] == .integer(40))
        let expectedTotal = priceRows(symbols: ["AAPL"], days: 40).reduce(Int128(0)) { sum, row in
            if case let .decimal(d) = row[5] { return sum + d.units }
            return sum
        }
        #expect(rows[0][3] == .decimal(ExactDecimal(units: expectedTotal, scale: 4)))
        #expect(rows[0][5] == .timestamp(Timestamp(microseconds: 39 * 86_400_000_000 + 72_000_000_000)))
        #expect(result.isClosed)
        #expect(outcome.metrics.adapter == "sqlite")
        #expect(outcome.metrics.rowsRead == 123)
        #expect(outcome.metrics.bytesScanned > 0)
        #expect(outcome.metrics.rowsWritten == 0)
        #expect(outcome.metrics.tablesLoaded == 2)
    }

    @Test func anOpenResultBlocksTheAdapterUntilClosed() throws {
        let w = try workspace()
        guard case let .rows(result) = try w.run("SELECT symbol FROM prices", keepRows: true).effect else { Issue.record("no rows"); return }
        _ = try result.nextRow()
        #expect(throws: EngineError.resultStillOpen) { try w.run("SELECT 1 AS one") }
        result.close()
        #expect(try w.query("SELECT 1 AS one") == [[.integer(1)]])
    }

    @Test func createTableDeclaresColumnsKeyAndNotNull() throws {
        let w = try workspace()
        let outcome = try w.run("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL, amount DECIMAL(10,2))", time: nil)
        guard case let .tableWritten(name, id, table) = outcome.effect else { Issue.record("no table"); return }
        #expect(name == "notes" && w.tables["notes"] == id)
        #expect(table.schema.columns.map(\.id) == [1, 2, 3])
        #expect(table.schema.keyColumnNames == ["id"])
        #expect(table.schema.columns.map(\.nullable) == [false, false, true])
        #expect(table.rowCount == 0)
        #expect(try w.run("CREATE TABLE IF NOT EXISTS notes (x INTEGER)").effect.isNothing)
        // NOT NULL holds at run time too, naming the table and column.
        #expect(throws: EngineError.sqlite(SQLiteError(code: constraintNotNull, message: "NULL in NOT NULL column notes.body",
                                                       sql: "INSERT INTO \"notes\" (\"id\", \"body\") VALUES (1, NULLIF('x', 'x'))"))) {
            try w.run("INSERT INTO notes (id, body) VALUES (1, NULLIF('x', 'x'))")
        }
    }

    @Test func insertUpdateDeleteOnAKeyedTable() throws {
        let w = try workspace()
        try w.run("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT, amount DECIMAL(10,2))")
        let insert = try w.run("INSERT INTO notes VALUES (2, 'two', 2.5), (1, 'one', 1), (3, NULL, NULL)")
        #expect(insert.metrics.rowsWritten == 3)
        #expect(try w.rows("notes") == [[.integer(1), .text("one"), dec("1.00")], [.integer(2), .text("two"), dec("2.50")],
                                       [.integer(3), .null, .null]])
        try w.run("INSERT INTO notes (id, body) SELECT volume, symbol FROM prices WHERE ts = TIMESTAMP '1970-01-01 20:00:00' AND symbol = 'JPM'")
        #expect(try w.rows("notes").last == [.integer(1000), .text("JPM"), .null])
        let update = try w.run("UPDATE notes SET amount = amount * 2, body = body || '!' WHERE id <= 2")
        #expect(update.metrics.rowsWritten == 2)
        #expect(try w.rows("notes").prefix(2) == [[.integer(1), .text("one!"), dec("2.00")], [.integer(2), .text("two!"), dec("5.00")]])
        // Changing a key moves the row.
        try w.run("UPDATE notes SET id = 10 WHERE id = 1")
        #expect(try w.rows("notes").map { $0[0] } == [.integer(2), .integer(3), .integer(10), .integer(1000)])
        let delete = try w.run("DELETE FROM notes WHERE body IS NULL")
        #expect(delete.metrics.rowsWritten == 1)
        #expect(try w.rows("notes").map { $0[0] } == [.integer(2), .integer(10), .integer(1000)])
        try w.run("DELETE FROM notes")
        #expect(try w.rows("notes").isEmpty)
        #expect(try w.store.readTable(w.tables["notes"]!).root == nil)
    }

    @Test func dmlGivesTheIDOfTheSameRowsBuiltFromScratch() throws {
        let w = try workspace()
        try w.run("UPDATE prices SET volume = volume + 1 WHERE symbol = 'MSFT' AND volume < 1003")
        try w.run("DELETE FROM prices WHERE symbol = 'JPM' AND volume > 1035")
        try w.run("INSERT INTO prices VALUES ('ZZZ', TIMESTAMP '2026-01-01 00:00:00', 1, 2, 3, 4, 5)")
        var expected = priceRows(symbols: ["AAPL", "MSFT", "JPM"], days: 40)
        for i in expected.indices where expected[i][0] == .text("MSFT") {
            if case let .integer(v) = expected[i][6], v < 1003 { expected[i][6] = .integer(v + 1) }
        }
        expected.removeAll { row in
            if row[0] == .text("JPM"), case let .integer(v) = row[6] { return v > 1035 }
            return false
        }
        expected.append([.text("ZZZ"), ts("2026-01-01T00:00:00Z"), dec("1.0000"), dec("2.0000"), dec("3.0000"), dec("4.0000"), .integer(5)])
        #expect(w.tables["prices"] == (try makeTable(w.store, try pricesSchema(), expected)))
        // The cache follows: a query sees the new version.
        #expect(try w.query("SELECT count(*) AS n FROM prices") == [[.integer(Int64(expected.count))]])
    }

    @Test func dmlOnAKeylessTableKeepsMultiplicities() throws {
        let w = try workspace()
        let schema = try Schema(named: [("tag", .text), ("n", .integer)])
        try w.add("bag", schema, [[.text("a"), .integer(1)], [.text("a"), .integer(1)], [.text("b"), .integer(2)]])
        try w.run("INSERT INTO bag VALUES ('a', 1), ('c', 3)")
        try w.run("UPDATE bag SET n = 20 WHERE tag = 'b'")
        try w.run("DELETE FROM bag WHERE tag = 'c'")
        let expected: [[Value]] = [[.text("a"), .integer(1)], [.text("a"), .integer(1)], [.text("a"), .integer(1)], [.text("b"), .integer(20)]]
        #expect(try w.rows("bag") == expected)
        #expect(w.tables["bag"] == (try makeTable(w.store, schema, expected)))
    }

    @Test func createTableAsCarriesColumnIDsByNameAndSetsKeyAndTime() throws {
        let w = try workspace()
        let first = try w.run("""
            CREATE TABLE daily AS SELECT symbol, ts, close, close - open AS move FROM prices
            """, key: ["symbol", "ts"], time: "ts")
        guard case let .tableWritten(_, _, table) = first.effect else { Issue.record("no table"); return }
        #expect(table.schema.columns.map(\.id) == [1, 2, 3, 4])
        #expect(table.schema.keyColumnNames == ["symbol", "ts"])
        #expect(table.schema.timeColumnName == "ts")
        #expect(table.rowCount == 120)
        #expect(first.metrics.rowsWritten == 120)
        #expect(first.metrics.bytesWritten > 0)
        // Replacing it keeps ids by name; new columns get fresh ids.
        try w.run("CREATE OR REPLACE TABLE daily AS SELECT ts, symbol, volume, daily.close FROM daily JOIN prices USING (symbol, ts)")
        let schema = try w.schema("daily")
        #expect(schema.columns.map(\.name) == ["ts", "symbol", "volume", "close"])
        #expect(schema.columns.map(\.id) == [2, 1, 5, 3])
        #expect(schema.nextColumnID == 6)
        // The join equates prices' whole key, so each daily row meets one price: daily's key is carried (derived).
        #expect(schema.keyColumnNames == ["symbol", "ts"])
        #expect(try w.rows("daily").count == 120)
    }

    @Test func createTableAsChecksTheTargetKey() throws {
        let w = try workspace()
        #expect(throws: EngineError.duplicateKey(table: "bysym", detail: "two rows have the same (symbol)")) {
            try w.run("CREATE TABLE bysym AS SELECT symbol, close FROM prices", key: ["symbol"])
        }
        #expect(throws: EngineError.nullKey(table: "nk", column: "s")) {
            try w.run("CREATE TABLE nk AS SELECT CASE WHEN symbol = 'JPM' THEN NULL ELSE symbol END AS s, max(close) AS c FROM prices GROUP BY 1",
                      key: ["s"])
        }
        #expect(throws: EngineError.self) { try w.run("CREATE TABLE bad AS SELECT symbol FROM prices", key: ["nope"]) }
        #expect(w.tables["bysym"] == nil && w.tables["nk"] == nil)
    }

    @Test func createTableAsOfRowsOutOfKeyOrderBuildsTheSameTree() throws {
        let w = try workspace()
        // The query returns rows in volume order: the one-pass build gives up and reads them in key order.
        try w.run("CREATE TABLE shuffled AS SELECT * FROM prices ORDER BY volume DESC, symbol", key: ["symbol", "ts"], time: "ts")
        #expect(w.tables["shuffled"] == w.tables["prices"])
        // Keys that repeat out of order are still a duplicate key.
        #expect(throws: EngineError.duplicateKey(table: "again", detail: "two rows have the same (symbol)")) {
            try w.run("CREATE TABLE again AS SELECT symbol FROM prices ORDER BY volume", key: ["symbol"])
        }
    }

    @Test func createTableAsOfTextOnlyAndVeryWideResults() throws {
        let w = try workspace()
        try w.run("CREATE TABLE names AS SELECT symbol, sector FROM sectors", key: ["symbol"])
        #expect(w.tables["names"] == w.tables["sectors"])
        // SQL functions take at most 127 arguments: a 130-column result is built in two passes.
        let columns = (1...130).map { ("c\($0)", ColumnType.integer) }
        try w.add("wide", try Schema(named: columns, key: ["c1"]), (1...3).map { r in (1...130).map { Value.integer(Int64(r * 1000 + $0)) } })
        try w.run("CREATE TABLE wide2 AS SELECT * FROM wide", key: ["c1"])
        #expect(w.tables["wide2"] == w.tables["wide"])
    }

    @Test func dmlWhoseTargetVersionIsAlsoAnInput() throws {
        let w = try workspace()
        w.tables["twin"] = w.tables["sectors"]
        try w.run("INSERT INTO twin SELECT symbol || '2', sector FROM sectors")
        #expect(try w.rows("twin").count == 6)
        #expect(try w.rows("sectors").count == 3)
        #expect(try w.query("SELECT count(*) AS n FROM sectors") == [[.integer(3)]])
        #expect(try w.query("SELECT count(*) AS n FROM twin") == [[.integer(6)]])
    }

    @Test func emptyResultsAndStatementsThatChangeNothing() throws {
        let w = try workspace()
        try w.run("CREATE TABLE none AS SELECT symbol, close FROM prices WHERE volume < 0", key: ["symbol"])
        try w.run("CREATE TABLE none2 AS SELECT symbol, close FROM prices WHERE volume < 0")
        #expect(try w.store.readTable(w.tables["none"]!).root == nil)
        #expect(try w.store.readTable(w.tables["none2"]!).rowCount == 0)
        let before = w.tables["prices"]
        let update = try w.run("UPDATE prices SET volume = 0 WHERE volume < 0")
        #expect(update.metrics.rowsWritten == 0)
        #expect(w.tables["prices"] == before)
        // The cached copy is still the version's: later statements use it without reloading.
        #expect(try w.run("SELECT count(*) AS n FROM prices").metrics.tablesLoaded == 0)
        #expect(try w.query("SELECT count(*) AS n FROM none2") == [[.integer(0)]])
    }

    @Test func dropTable() throws {
        let w = try workspace()
        guard case let .tableDropped(name) = try w.run("DROP TABLE sectors").effect else { Issue.record("not dropped"); return }
        #expect(name == "sectors" && w.tables["sectors"] == nil)
        #expect(try w.run("DROP TABLE IF EXISTS sectors").effect.isNothing)
    }

    @Test func alterTableAddRenameDropColumn() throws {
        let w = try workspace()
        let before = try w.store.readTable(w.tables["prices"]!)
        try w.run("ALTER TABLE prices ADD COLUMN note TEXT")
        let added = try w.store.readTable(w.tables["prices"]!)
        #expect(added.root == before.root)
        #expect(added.schema.columns.last?.id == 8 && added.schema.nextColumnID == 9)
        try w.run("UPDATE prices SET note = 'big' WHERE volume > 1038")
        #expect(try w.query("SELECT count(note) AS n FROM prices") == [[.integer(3)]])
        try w.run("ALTER TABLE prices RENAME COLUMN note TO remark")
        let renamed = try w.schema("prices")
        #expect(renamed.columns.last?.name == "remark" && renamed.columns.last?.id == 8)
        #expect(try w.query("SELECT count(remark) AS n FROM prices") == [[.integer(3)]])
        let drop = try w.run("ALTER TABLE prices DROP COLUMN remark")
        #expect(drop.metrics.rowsWritten == 120)
        let dropped = try w.store.readTable(w.tables["prices"]!)
        #expect(dropped.schema.columns.count == 7 && dropped.schema.nextColumnID == 9)
        // Same rows as before the ALTERs: the same tree.
        #expect(dropped.root == before.root)
        #expect(try w.run("ALTER TABLE prices DROP COLUMN IF EXISTS remark").effect.isNothing)
        #expect(try w.query("SELECT count(*) AS n FROM prices") == [[.integer(120)]])
    }

    @Test func dropColumnOfAKeylessTableFoldsRows() throws {
        let w = try workspace()
        try w.add("bag", try Schema(named: [("tag", .text), ("n", .integer)]),
                  [[.text("a"), .integer(1)], [.text("a"), .integer(2)], [.text("b"), .integer(2)]])
        try w.run("ALTER TABLE bag DROP COLUMN n")
        #expect(try w.rows("bag") == [[.text("a")], [.text("a")], [.text("b")]])
        #expect(try w.store.readTable(w.tables["bag"]!).rowCount == 2)
    }

    @Test func governanceClassificationLandsInCreateTableAsSchemas() throws {
        let w = try Workspace()
        var schema = try Schema(named: [("id", .integer), ("email", .text), ("ssn", .text), ("balance", .decimal(precision: 12, scale: 2))],
                                key: ["id"])
        schema.columns[1].governance.classification = .pii
        schema.columns[2].governance.classification = .restricted
        schema.columns[3].governance.classification = .financial
        try w.add("customers", schema, [[.integer(1), .text("a@example.com"), .text("123"), dec("10.00")]])
        let policy = MaskingPolicy.byClassification(["prod": ["restricted": .hash]])
        try w.run("CREATE TABLE report AS SELECT id, email, ssn, balance * 2 AS doubled, upper(email) AS shout FROM customers",
                  compile: CompileOptions(environment: "prod", masking: policy))
        let report = try w.schema("report")
        #expect(report.columns.map { $0.governance.classification } == [nil, .pii, nil, .financial, .pii])
        let row = try w.rows("report")[0]
        #expect(row[2] == .text(SHA256.digest(Array("123".utf8)).map { String($0, radix: 16).leftPadded }.joined()))
    }
}

extension StatementEffect {
    var isNothing: Bool { if case .nothing = self { true } else { false } }
}

extension String {
    var leftPadded: String { count == 1 ? "0" + self : self }
}
