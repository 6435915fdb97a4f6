import Foundation
import Testing
import RockyBase
@testable import RockySQL

/// Runs the SQLite and DuckDB SQL of every corpus query on the fixture data
/// (Harness/compare.py) and compares the results value by value.
@Suite struct DialectExecutionTests {
    static let python = ProcessInfo.processInfo.environment["ROCKY_PYTHON"] ?? "python3"

    /// The fixture CSVs of Fixtures/ (from main).
    static var fixtureDirectory: URL { Fixtures.repositoryRoot.appendingPathComponent("Fixtures") }

    @Test func sqliteAndDuckDBAgreeOnTheCorpus() throws {
        let tables: [JSON] = Fixtures.catalog.tableNames.map { name in
            let table = Fixtures.catalog.table(named: name)!
            return .object([
                JSON.Member("name", .string(table.name)),
                JSON.Member("columns", .array(table.columns.map { .object(["name": .string($0.name), "type": .string($0.type.name)]) })),
            ])
        }
        var statements: [JSON] = []
        for entry in Corpus.entries where entry.compare != "skip" {
            let script = Fixtures.compile(entry.sql)
            guard let statement = script.statements.first, let lite = statement.querySQL(for: .sqlite),
                  let duck = statement.querySQL(for: .duckdb) else { continue }
            var output = statement.outputColumns
            if case let .insert(insert) = statement.ir { output = insert.source.columns }
            statements.append(.object([
                JSON.Member("name", .string(entry.name)),
                JSON.Member("sqlite", .string(lite)),
                JSON.Member("duckdb", .string(duck)),
                JSON.Member("ordered", .bool(entry.compare == "ordered")),
                JSON.Member("columns", .array(output.map { .object(["name": .string($0.name), "type": .string($0.type.name)]) })),
            ]))
        }
        #expect(statements.count >= 150)
        let spec = JSON.object([
            JSON.Member("fixtures", .string(Self.fixtureDirectory.path)),
            JSON.Member("tables", .array(tables)),
            JSON.Member("statements", .array(statements)),
        ])
        let results = try runHarness(spec)
        var failures = 0
        for result in results {
            let ok = result["ok"]?.boolValue == true
            if !ok { failures += 1 }
            #expect(ok, "\(result["name"]?.stringValue ?? "?"): \(result["message"]?.stringValue ?? "")")
        }
        #expect(results.count == statements.count)
    }

    /// Where SQLite used to answer wrongly: Rocky's SQLite SQL against SQL
    /// written by hand for DuckDB's own semantics (not Rocky's DuckDB
    /// emitter), on the fixtures.
    @Test(arguments: [
        // The exact weighted average is 197.0849995: one rounding gives 197.08 (a quotient rounded to 6 places first gave 197.09).
        ("weighted_average",
         "SELECT ROUND(SUM(p * q) / SUM(q), 2) AS w FROM (VALUES (CAST(197.08 AS DECIMAL(12,4)), 100001), (CAST(197.09 AS DECIMAL(12,4)), 99999)) AS t(p, q)",
         "SELECT CAST(ROUND(SUM(p * q) / SUM(q), 2) AS DECIMAL(38,2)) AS w FROM (VALUES (197.08::DECIMAL(12,4), 100001), (197.09::DECIMAL(12,4), 99999)) t(p, q)"),
        // A percent change is right to every one of its 8 places (rounding the quotient first left 6).
        ("percent_change",
         "SELECT symbol, ts, (close - open) / open * 100 AS pct FROM prices",
         "SELECT symbol, ts, CAST(ROUND((close - open) / open * 100, 8) AS DECIMAL(38,8)) AS pct FROM prices"),
        ("weighted_average_by_symbol",
         "SELECT symbol, ROUND(SUM(price * quantity) / SUM(quantity), 2) AS vwap, ROUND(AVG(price), 3) AS mean FROM trades GROUP BY symbol",
         "SELECT symbol, CAST(ROUND(SUM(price * quantity) / SUM(quantity), 2) AS DECIMAL(38,2)) AS vwap, CAST(ROUND(AVG(price), 3) AS DECIMAL(38,3)) AS mean FROM trades GROUP BY symbol"),
        // A sum of squares of values near 1e9 loses the digits of the deviations.
        ("stddev_of_large_values",
         "SELECT STDDEV(quantity + 1000000000) AS s, STDDEV_POP(quantity + 1000000000) AS p, VARIANCE(quantity + 1000000000) AS v, VAR_POP(quantity) AS vp FROM trades",
         "SELECT STDDEV_SAMP(quantity + 1000000000) AS s, STDDEV_POP(quantity + 1000000000) AS p, VAR_SAMP(quantity + 1000000000) AS v, VAR_POP(quantity) AS vp FROM trades"),
        ("moving_stddev",
         "SELECT symbol, ts, STDDEV(close + 1000000) OVER (PARTITION BY symbol ORDER BY ts ROWS BETWEEN 4 PRECEDING AND CURRENT ROW) AS s FROM prices",
         "SELECT symbol, ts, STDDEV_SAMP(CAST(close AS DOUBLE) + 1000000) OVER (PARTITION BY symbol ORDER BY ts ROWS BETWEEN 4 PRECEDING AND CURRENT ROW) AS s FROM prices"),
        ("unicode_case",
         "SELECT UPPER(a) AS u, LOWER(a) AS l FROM (VALUES ('héllo Ärger Ωμέγα')) AS t(a)",
         "SELECT upper(a) AS u, lower(a) AS l FROM (VALUES ('héllo Ärger Ωμέγα')) t(a)"),
        ("except_all",
         "SELECT x FROM (VALUES (1), (1), (1), (2), (NULL), (NULL)) AS a(x) EXCEPT ALL SELECT x FROM (VALUES (1), (2), (NULL)) AS b(x)",
         "SELECT x FROM (VALUES (1), (1), (1), (2), (NULL), (NULL)) a(x) EXCEPT ALL SELECT x FROM (VALUES (1), (2), (NULL)) b(x)"),
        ("intersect_all_of_tables",
         "SELECT symbol, side FROM trades INTERSECT ALL SELECT symbol, 'buy' FROM positions",
         "SELECT symbol, side FROM trades INTERSECT ALL SELECT symbol, 'buy' FROM positions"),
        ("cte_named_like_its_table",
         "WITH trades AS (SELECT * FROM trades WHERE quantity > 100) SELECT COUNT(*) AS n, MIN(quantity) AS least FROM trades",
         "WITH trades AS (SELECT * FROM trades WHERE quantity > 100) SELECT COUNT(*) AS n, MIN(quantity) AS least FROM trades"),
    ])
    func sqliteMatchesNativeDuckDB(name: String, rocky: String, duckdb: String) throws {
        let tables: [JSON] = Fixtures.catalog.tableNames.map { name in
            let table = Fixtures.catalog.table(named: name)!
            return .object([
                JSON.Member("name", .string(table.name)),
                JSON.Member("columns", .array(table.columns.map { .object(["name": .string($0.name), "type": .string($0.type.name)]) })),
            ])
        }
        let script = Fixtures.compile(rocky)
        let statement = try #require(script.statements.first)
        let lite = try #require(statement.querySQL(for: .sqlite))
        let spec = JSON.object([
            JSON.Member("fixtures", .string(Self.fixtureDirectory.path)),
            JSON.Member("tables", .array(tables)),
            JSON.Member("statements", .array([.object([
                JSON.Member("name", .string(name)),
                JSON.Member("sqlite", .string(lite)),
                JSON.Member("duckdb", .string(duckdb)),
                JSON.Member("ordered", .bool(false)),
                JSON.Member("columns", .array(statement.outputColumns.map {
                    .object(["name": .string($0.name), "type": .string($0.type.name)])
                })),
            ])])),
        ])
        let results = try runHarness(spec)
        #expect(results.count == 1)
        for result in results {
            #expect(result["ok"]?.boolValue == true, "\(name): \(result["message"]?.stringValue ?? "")\n\(lite)")
        }
    }

    /// Runs compare.py on `spec`; fails the test (never skips) when Python or DuckDB is missing.
    func runHarness(_ spec: JSON) throws -> [JSON] {
        let input = FileManager.default.temporaryDirectory.appendingPathComponent("rocky-sql-\(UUID().uuidString).json")
        try spec.compactText.write(to: input, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: input) }
        let harness = Fixtures.directory.appendingPathComponent("Harness/compare.py")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [Self.python, harness.path, input.path]
        let stdout = Pipe(), stderr = Pipe()
        process.standardOutput = stdout
        process.standardError = stderr
        try process.run()
        let output = stdout.fileHandleForReading.readDataToEndOfFile()
        let errors = stderr.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let text = String(decoding: output, as: UTF8.self)
        guard let document = try? JSON(parsing: text) else {
            Issue.record("the harness (\(Self.python)) printed no JSON; exit \(process.terminationStatus): \(String(decoding: errors, as: UTF8.self))")
            return []
        }
        if let error = document["error"]?.stringValue {
            Issue.record("the SQLite/DuckDB harness could not run: \(error)")
            return []
        }
        return document["results"]?.arrayValue ?? []
    }
}
