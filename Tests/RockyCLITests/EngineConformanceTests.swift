import Foundation
import RockyTestSupport
import Testing

/// A server engine the conformance suite runs beside the embedded sqlite:
/// its name in rocky.toml and the `[engines.<name>]` section of a fresh
/// namespace on a running throw-away server (started on first use).
struct ConformanceEngine: Sendable, CustomTestStringConvertible {
    var name: String
    /// The tables of the suite's chains that hold a DOUBLE aggregate (AVG,
    /// STDDEV over DOUBLE) or a value computed from one, whose DOUBLE
    /// columns this engine computes with other rounding than SQLite (the
    /// last bits differ), so their table ids differ: their exact columns
    /// must still be equal and their DOUBLE columns equal within
    /// `doubleTolerance` (relative). Every other table has SQLite's id.
    var roundsDoublesDifferently: Set<String> = []
    var section: @Sendable () throws -> String
    var testDescription: String { name }

    static let postgres = ConformanceEngine(name: "pg") {
        PostgresEngineTests.toml(try PostgresEngineTests.server(), schema: PostgresEngineTests.newSchema())
    }

    /// The Spark Thrift server of this test process (SparkEngineTests'), a
    /// fresh database per repository. Spark aggregates each partition, then
    /// merges the partial states (Docs/spark.md, "Semantics"): `stats` and
    /// `ranges` (AVG, STDDEV over DOUBLE); in the benchmark chain
    /// `vol_stats` (STDDEV), and `enriched`, `sector_stats` and `report`,
    /// which are computed from its `vol`.
    static let spark = ConformanceEngine(name: "spark",
                                         roundsDoublesDifferently: ["stats", "ranges", "vol_stats", "enriched", "sector_stats", "report"]) {
        SparkEngineTests.toml(try SparkEngineTests.server(), database: SparkEngineTests.newDatabase())
    }
}

/// One conformance suite for every backend (DESIGN.md "Execution engines"):
/// the same statements over the same inputs, run through the CLI on sqlite
/// and on each server engine, give the same table ids, the same query
/// output and the same masked values. A new engine joins by one line in
/// `engines`.
@Suite struct EngineConformanceTests {
    static let engines: [ConformanceEngine] = [.postgres, .spark]

    /// Every kind of statement that writes a table, over exact types and
    /// DOUBLE aggregates: CREATE TABLE [AS] with joins, aggregates, windows,
    /// DISTINCT and set operations; INSERT, UPDATE, DELETE; ALTER TABLE ADD,
    /// DROP and RENAME COLUMN. Inputs: positions and prices (fixtures).
    static let statements = [
        "CREATE TABLE big AS SELECT account_id, symbol, quantity * 2 AS q2 FROM positions WHERE quantity > 0",
        "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL, amount DECIMAL(10,2))",
        "INSERT INTO notes VALUES (1, 'one', 1.50), (2, 'two', 2.25), (3, 'three', NULL)",
        "UPDATE notes SET amount = amount + 1 WHERE id < 3; DELETE FROM notes WHERE id = 3",
        "ALTER TABLE notes ADD COLUMN tag TEXT",
        "UPDATE notes SET tag = 'x' WHERE id = 2",
        "ALTER TABLE notes RENAME COLUMN tag TO label",
        "CREATE TABLE bag AS SELECT symbol FROM positions",
        "ALTER TABLE big DROP COLUMN q2",
        "INSERT INTO bag SELECT symbol FROM bag WHERE symbol < 'C'",
        "DELETE FROM bag WHERE symbol = 'AAPL'",
        "CREATE TABLE stats AS SELECT symbol, AVG(risk_score) AS r, SUM(avg_cost) AS c, COUNT(*) AS n FROM positions GROUP BY symbol",
        "CREATE TABLE ranked AS SELECT symbol, SUM(quantity) AS q FROM positions GROUP BY symbol HAVING SUM(quantity) > 0",
        """
        CREATE TABLE valued AS SELECT p.account_id, p.symbol, p.quantity, x.close, p.quantity * x.close AS value
        FROM positions p JOIN prices x ON x.symbol = p.symbol WHERE x.ts = TIMESTAMP '2026-05-04 20:00:00'
        """,
        """
        CREATE TABLE ranges AS SELECT symbol, MIN(low) AS low, MAX(high) AS high, AVG(close) AS mean, COUNT(DISTINCT volume) AS volumes,
        STDDEV(close) AS sd FROM prices GROUP BY symbol
        """,
        """
        CREATE TABLE windows AS SELECT symbol, ts, close,
          ROW_NUMBER() OVER (PARTITION BY symbol ORDER BY ts) AS day,
          SUM(volume) OVER (PARTITION BY symbol ORDER BY ts ROWS BETWEEN 2 PRECEDING AND CURRENT ROW) AS volume3,
          LEAD(close) OVER (PARTITION BY symbol ORDER BY ts) AS next_close
        FROM prices
        """,
        "CREATE TABLE held AS SELECT DISTINCT symbol FROM positions",
        "CREATE TABLE every_symbol AS SELECT symbol FROM positions UNION SELECT symbol FROM prices",
        "CREATE TABLE both_symbols AS SELECT symbol FROM positions INTERSECT SELECT symbol FROM prices",
        "CREATE TABLE unpriced AS SELECT symbol FROM positions EXCEPT SELECT symbol FROM prices WHERE close > 200",
        "CREATE TABLE all_symbols AS SELECT symbol FROM held UNION ALL SELECT symbol FROM both_symbols",
        "UPDATE valued SET value = value * 2 WHERE symbol IN (SELECT symbol FROM unpriced)",
        "DELETE FROM windows WHERE day > 3 AND symbol IN (SELECT symbol FROM held WHERE symbol > 'M')",
        "INSERT INTO notes (id, body) SELECT 100 + MAX(n), MIN(symbol) FROM stats",
        // DECIMALs of 38 digits, as a key and summed past 64 bits.
        "CREATE TABLE wide AS SELECT CAST(quantity AS DECIMAL(38,2)) * 1000000000000000000000 AS k, SUM(avg_cost * 100000000000000000) AS v FROM positions GROUP BY quantity",
        "UPDATE wide SET v = v * 2 - k WHERE k > 0",
    ]

    /// Queries whose output must be the same, byte for byte (text sorts in byte order).
    static let queries = [
        "SELECT n.id, n.body, n.amount, n.label, b.symbol FROM notes n, bag b WHERE b.symbol < 'D' ORDER BY b.symbol, n.id",
        "SELECT body FROM notes UNION ALL SELECT 'Zeta' UNION ALL SELECT 'alpha' UNION ALL SELECT '_x' ORDER BY body",
        "SELECT symbol, COUNT(*) AS n, SUM(value) AS value FROM valued GROUP BY symbol ORDER BY symbol",
        "SELECT symbol, ts, day, volume3 FROM windows WHERE day <= 2 ORDER BY symbol, ts",
        "SELECT k, v, SUM(v) OVER () AS total FROM wide ORDER BY v DESC, k",
    ]

    /// A repository holding positions and prices, with `toml` as its rocky.toml.
    static func repository(_ toml: String? = nil) -> Sandbox {
        let box = PostgresEngineTests.repository(toml)
        box.ok("import", "prices", fixture("prices.csv"), "--key", "symbol,ts")
        return box
    }

    /// The relative difference allowed between a DOUBLE computed by an
    /// engine in `roundsDoublesDifferently` and SQLite's: a few units in
    /// the last place, magnified by the cancellation in STDDEV.
    static let doubleTolerance = 1e-12

    /// Every table of `server` has the id of the same table in `lite`, but
    /// those `engine` rounds differently (`roundsDoublesDifferently`): of
    /// these, the columns and types are the same, the exact columns
    /// (everything but DOUBLE) are equal row for row, byte for byte, and
    /// each DOUBLE is NULL where SQLite's is and otherwise within
    /// `doubleTolerance` of it.
    static func expectSQLitesTables(_ engine: ConformanceEngine, server: Sandbox, lite: Sandbox,
                                    sourceLocation: SourceLocation = #_sourceLocation) {
        var ids = PostgresEngineTests.ids(server), liteIDs = PostgresEngineTests.ids(lite)
        for table in engine.roundsDoublesDifferently where ids[table] != nil {
            ids[table] = nil
            liteIDs[table] = nil
            func columns(_ box: Sandbox) -> [String] {
                let result = (box.json(box.rocky("sql", "SELECT * FROM \(table) LIMIT 0", "--json"))["results"] as? [[String: Any]])?.first
                return ((result?["columns"] as? [[String: Any]]) ?? []).map { "\($0["name"] ?? "") \($0["type"] ?? "")" }
            }
            let schema = columns(server)
            #expect(!schema.isEmpty && schema == columns(lite), "\(table): the same columns", sourceLocation: sourceLocation)
            let exact = schema.filter { !$0.hasSuffix(" DOUBLE") }.map { String($0.split(separator: " ")[0]) }
            let doubles = schema.filter { $0.hasSuffix(" DOUBLE") }.map { String($0.split(separator: " ")[0]) }
            let order = " FROM \(table) ORDER BY " + exact.joined(separator: ", ")
            // Both read the stored tables (on sqlite): what each engine wrote.
            let rows = "SELECT " + exact.joined(separator: ", ") + order
            #expect(server.ok("sql", rows) == lite.ok("sql", rows), "\(table): the exact columns", sourceLocation: sourceLocation)
            for column in doubles {
                let query = "SELECT \(column)" + order
                let (a, b) = (server.ok("sql", query, "--format", "csv"), lite.ok("sql", query, "--format", "csv"))
                let (left, right) = (a.split(separator: "\n", omittingEmptySubsequences: false), b.split(separator: "\n", omittingEmptySubsequences: false))
                #expect(left.count == right.count && left.count > 2, "\(table).\(column)", sourceLocation: sourceLocation)
                for (x, y) in zip(left, right) where x != y {
                    let close = Double(x).flatMap { x in Double(y).map { y in abs(x - y) <= doubleTolerance * max(abs(x), abs(y)) } } ?? false
                    #expect(close, "\(table).\(column): \(x) on \(engine.name), \(y) on sqlite", sourceLocation: sourceLocation)
                }
            }
        }
        #expect(ids == liteIDs, sourceLocation: sourceLocation)
    }

    @Test(arguments: engines)
    func theSameStatementsGiveTheSameTableIDsAndOutputAsSQLite(engine: ConformanceEngine) throws {
        let lite = Self.repository()
        let server = Self.repository(try engine.section())
        for sql in Self.statements {
            lite.ok("sql", sql)
            server.ok("--engine", engine.name, "sql", sql)
        }
        let ids = PostgresEngineTests.ids(server)
        #expect(ids.count == 16)
        Self.expectSQLitesTables(engine, server: server, lite: lite)
        for query in Self.queries {
            #expect(server.ok("--engine", engine.name, "sql", query) == lite.ok("sql", query), "\(query)")
        }
    }

    /// The same, with the server planning every query it can in parallel
    /// (parallel plans made free through libpq's PGOPTIONS): CREATE TABLE AS
    /// then runs its query first into a temporary table (a data-modifying
    /// statement gets no parallel plan), and the ids are still sqlite's.
    @Test func theSameStatementsGiveTheSameTableIDsWhenPostgresPlansInParallel() throws {
        let lite = Self.repository()
        let server = Self.repository(try ConformanceEngine.postgres.section())
        server.environment["PGOPTIONS"] = "-c parallel_setup_cost=0 -c parallel_tuple_cost=0 -c min_parallel_table_scan_size=0 "
            + "-c min_parallel_index_scan_size=0"
        for sql in Self.statements {
            lite.ok("sql", sql)
            server.ok("--engine", "pg", "sql", sql)
        }
        #expect(PostgresEngineTests.ids(server) == PostgresEngineTests.ids(lite))
    }

    /// The 15-step benchmark chain (the statements `rocky-bench engine`
    /// times) over a small generated prices table gives the sqlite ids.
    @Test(arguments: engines)
    func theBenchmarkChainGivesTheSameTableIDsAsSQLite(engine: ConformanceEngine) throws {
        func repository(_ toml: String?) -> Sandbox {
            let box = Sandbox()
            box.ok("init")
            box.write("prices.csv", BenchmarkChain.pricesText(symbols: 12, days: 45))
            box.write("symbols.csv", BenchmarkChain.symbolsText())
            box.ok("import", "prices", "prices.csv", "--key", "symbol,ts")
            box.ok("import", "symbols", "symbols.csv", "--key", "symbol")
            if let toml { box.write("rocky.toml", toml) }
            return box
        }
        let lite = repository(nil)
        let server = repository(try engine.section())
        for step in BenchmarkChain.steps {
            lite.ok("sql", step.rocky)
            server.ok("--engine", engine.name, "sql", step.rocky)
        }
        let ids = PostgresEngineTests.ids(server)
        #expect(ids.count == 17)
        Self.expectSQLitesTables(engine, server: server, lite: lite)
    }

    /// Every column type at its edges (extreme and fractional numbers,
    /// dates and times before 1970, around 2000 and in 9999, text with
    /// tabs, backslashes and newlines, NULLs) comes back from the server as
    /// it went in: results over them give the sqlite ids.
    @Test(arguments: engines)
    func everyTypeAtItsEdgesGivesTheSameTableIDsAsSQLite(engine: ConformanceEngine) throws {
        let edges = """
            5,false,-1,2.2250738585072014e-308,-99999999.9999,"tab\tand \\ backslash \\N",9999-12-31,9999-12-31T23:59:59.999999Z
            6,true,42,1.7976931348623157e308,0.0001,\\N,1999-12-31,2000-01-01T00:00:00Z
            7,false,7,-3.5,12345678.5,N,2000-01-01,1999-12-31T23:59:59.999999Z

            """
        func repository(_ toml: String?) -> Sandbox {
            let box = Sandbox()
            box.ok("init")
            box.write("types.csv", everyTypeCSV + edges)
            box.ok("import", "types", "types.csv", "--key", "id")
            if let toml { box.write("rocky.toml", toml) }
            return box
        }
        let lite = repository(nil)
        let server = repository(try engine.section())
        for sql in ["CREATE TABLE copy AS SELECT * FROM types",
                    "CREATE TABLE by_day (PRIMARY KEY (day, id)) AS SELECT day, id, at, amount * 2 AS twice, x, label FROM types WHERE day IS NOT NULL",
                    "CREATE TABLE flags AS SELECT flag, n FROM types"] {
            lite.ok("sql", sql)
            server.ok("--engine", engine.name, "sql", sql)
        }
        let ids = PostgresEngineTests.ids(server)
        #expect(ids.count == 4)
        #expect(ids == PostgresEngineTests.ids(lite))
    }

    /// In an environment that masks, a query shows the same masked values
    /// on every engine: keyed hash (HMAC-SHA-256) and partial masking.
    @Test(arguments: engines)
    func maskingInProdGivesTheSameValuesOnEveryEngine(engine: ConformanceEngine) throws {
        let box = Sandbox()
        box.ok("init")
        box.ok("import", "customers", fixture("customers.csv"), "--key", "customer_id")
        box.write("rocky.toml", try engine.section() + """

            [environments.dev]

            [environments.prod.masking]
            pii = "hash"
            restricted = "partial"

            """)
        // classify adds to rocky.toml.
        box.ok("classify", "customers.name", "pii")
        box.ok("classify", "customers.email", "pii")
        box.ok("classify", "customers.ssn", "restricted")
        let query = "SELECT customer_id, name, email, ssn, segment FROM customers WHERE customer_id <= 12 ORDER BY customer_id"
        let lite = box.rocky(["--env", "prod", "sql", query])
        let server = box.rocky(["--env", "prod", "--engine", engine.name, "sql", query])
        #expect(lite.code == 0 && server.code == 0, "\(lite)\n\(server)")
        #expect(server.out == lite.out)
        #expect(!lite.out.contains("Emma Johnson") && lite.out.contains("retail"), "\(lite)")
    }
}
