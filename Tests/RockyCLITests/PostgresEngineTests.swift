import Foundation
import RockyEnginePostgres
import RockyTestSupport
import Testing

/// `--engine pg` against a real, throw-away PostgreSQL cluster (the shared
/// one of this test process; each test keeps its versions in a schema of
/// its own, so tests never see each other's).
@Suite struct PostgresEngineTests {
    /// The statements of EngineTests' table-id check: every kind of statement
    /// that writes a table, over exact types and DOUBLE aggregates.
    static let chain = [
        "CREATE TABLE big AS SELECT account_id, symbol, quantity * 2 AS q2 FROM positions WHERE quantity > 0",
        "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL, amount DECIMAL(10,2))",
        "INSERT INTO notes VALUES (1, 'one', 1.50), (2, 'two', 2.25), (3, 'three', NULL)",
        "UPDATE notes SET amount = amount + 1 WHERE id < 3; DELETE FROM notes WHERE id = 3",
        "ALTER TABLE notes ADD COLUMN tag TEXT",
        "UPDATE notes SET tag = 'x' WHERE id = 2",
        "CREATE TABLE bag AS SELECT symbol FROM positions",
        "ALTER TABLE big DROP COLUMN q2",
        "INSERT INTO bag SELECT symbol FROM bag WHERE symbol < 'C'",
        "DELETE FROM bag WHERE symbol = 'AAPL'",
        "CREATE TABLE stats AS SELECT symbol, AVG(risk_score) AS r, SUM(avg_cost) AS c, COUNT(*) AS n FROM positions GROUP BY symbol",
        "CREATE TABLE ranked AS SELECT symbol, SUM(quantity) AS q FROM positions GROUP BY symbol HAVING SUM(quantity) > 0",
    ]

    static func server() throws -> PostgresServer { try PostgresServer.shared.get() }

    static func newSchema() -> String { "t_" + UUID().uuidString.lowercased().filter { $0 != "-" }.prefix(16) }

    static func toml(_ server: PostgresServer, schema: String, retries: Int = 2, timeout: String? = nil) -> String {
        """
        [engines.pg]
        type = "postgres"
        conninfo = "\(server.conninfo)"
        schema = "\(schema)"
        retries = \(retries)
        \(timeout.map { "statement_timeout = \"\($0)\"" } ?? "")

        """
    }

    /// A repository holding positions, with `toml` as its rocky.toml.
    static func repository(_ toml: String? = nil) -> Sandbox {
        let box = Sandbox()
        box.ok("init")
        box.ok("import", "positions", fixture("positions.csv"), "--key", "account_id,symbol")
        if let toml { box.write("rocky.toml", toml) }
        return box
    }

    static func ids(_ box: Sandbox) -> [String: String] {
        let tables = (box.json(box.rocky("tables", "--json"))["tables"] as? [[String: Any]]) ?? []
        return Dictionary(uniqueKeysWithValues: tables.compactMap { t in (t["name"] as? String).map { ($0, t["id"] as? String ?? "") } })
    }

    /// What a failed command may not change: everything but caches, temporary files and the audit log.
    static func state(_ box: Sandbox) -> [String: Data] {
        box.snapshot().filter { !$0.key.hasPrefix("cache") && !$0.key.hasPrefix("tmp") && !$0.key.hasPrefix("audit") }
    }

    /// The catalog of versions the server holds in `schema`: id -> (origin, loaded_at).
    static func catalog(_ server: PostgresServer, schema: String) throws -> [String: String] {
        let connection = try PostgresConnection(conninfo: server.conninfo)
        let rows = try connection.execute("SELECT id, origin, loaded_at::text FROM \"\(schema)\".rocky_versions").rows
        return Dictionary(uniqueKeysWithValues: rows.map { ("\($0[0])", "\($0[1]) \($0[2])") })
    }

    @Test func theSameChainGivesTheSameTableIDsOnSQLiteAndPostgres() throws {
        let server = try Self.server()
        let lite = Self.repository()
        let pg = Self.repository(Self.toml(server, schema: Self.newSchema()))
        for sql in Self.chain {
            lite.ok("sql", sql)
            pg.ok("--engine", "pg", "sql", sql)
        }
        let ids = Self.ids(pg)
        #expect(ids.count == 6)
        #expect(ids == Self.ids(lite))
        // Queries stream back the same rows.
        let query = "SELECT n.id, n.body, n.amount, n.tag, b.symbol FROM notes n, bag b WHERE b.symbol < 'D' ORDER BY b.symbol, n.id"
        #expect(pg.ok("--engine", "pg", "sql", query) == lite.ok("sql", query))
        // Each transformation records the engine, its kind and the server's version.
        pg.ok("--engine", "pg", "sql", "CREATE TABLE small AS SELECT symbol FROM positions WHERE quantity < 0", "-m", "small")
        let record = (pg.json(pg.rocky("show", "--json"))["transformations"] as? [[String: Any]])?.first
        #expect(record?["adapter"] as? String == "postgres")
        #expect(record?["engine"] as? String == "pg")
        let version = record?["engine_version"] as? String ?? ""
        let major = (server.bin as NSString).deletingLastPathComponent.split(separator: "/").last.map(String.init) ?? "?"
        #expect(version.hasPrefix(major + "."), "the server's version: \(version)")
    }

    /// A version enters the server once: a second repository with the same
    /// data running the same chain on the same engine uploads nothing, and
    /// finds every result it computes already held.
    @Test func aSecondRunUploadsNothing() throws {
        let server = try Self.server()
        let schema = Self.newSchema()
        let first = Self.repository(Self.toml(server, schema: schema))
        for sql in Self.chain { first.ok("--engine", "pg", "sql", sql) }
        let held = try Self.catalog(server, schema: schema)
        #expect(held.values.filter { $0.hasPrefix("upload ") }.count == 1, "positions was uploaded once: \(held)")
        let second = Self.repository(Self.toml(server, schema: schema))
        for sql in Self.chain { second.ok("--engine", "pg", "sql", sql) }
        #expect(try Self.catalog(server, schema: schema) == held, "no version was loaded or added again")
        #expect(Self.ids(second) == Self.ids(first))
    }

    /// Locks a version table on the server until `release`: statements
    /// reading it wait (a lock wait is a running statement, as far as
    /// `statement_timeout` and `pg_terminate_backend` are concerned).
    final class Lock {
        let connection: PostgresConnection
        init(_ server: PostgresServer, schema: String, tableID: String) throws {
            connection = try PostgresConnection(conninfo: server.conninfo)
            try connection.execute("BEGIN")
            try connection.execute("LOCK TABLE \"\(schema)\".\"v_\(tableID.prefix(60))\" IN ACCESS EXCLUSIVE MODE")
        }
        func release() throws { try connection.execute("COMMIT") }

        /// The rocky session of `schema` waiting for this lock (polled; the
        /// server decides, never a clock). From a connection of its own: a
        /// transaction sees one snapshot of pg_stat_activity.
        func waitingBackend(schema: String, server: PostgresServer) throws -> Int64 {
            let poll = try PostgresConnection(conninfo: server.conninfo)
            while true {
                let rows = try poll.execute("""
                    SELECT pid FROM pg_stat_activity
                    WHERE application_name = 'rocky' AND wait_event_type = 'Lock' AND position($1 IN query) > 0
                    """, [.text(schema)]).rows
                if case let .int64(pid)? = rows.first?.first { return pid }
                Thread.sleep(forTimeInterval: 0.02)
            }
        }
    }

    @Test func aBackendKilledMidQueryIsRetriedAndTheQuerySucceeds() throws {
        let server = try Self.server()
        let schema = Self.newSchema()
        let box = Self.repository(Self.toml(server, schema: schema, retries: 2))
        let query = "SELECT account_id, symbol, quantity FROM positions ORDER BY account_id, symbol"
        let expected = box.ok("--engine", "pg", "sql", query)
        let lock = try Lock(server, schema: schema, tableID: Self.ids(box)["positions"] ?? "")
        nonisolated(unsafe) var run: Run?
        let done = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            run = box.rocky(["--engine", "pg", "sql", query])
            done.signal()
        }
        let pid = try lock.waitingBackend(schema: schema, server: server)
        let killed = try lock.connection.execute("SELECT pg_terminate_backend($1::int)", [.int64(pid)]).rows.first?.first
        try lock.release()
        done.wait()
        #expect(killed == .bool(true))
        #expect(run?.code == 0, "\(run.map(String.init(describing:)) ?? "")")
        #expect(run?.out == expected)
    }

    @Test func aStatementTimeoutIsRetriedThenReportedAndTheWorkingSetIsUnchanged() throws {
        let server = try Self.server()
        let schema = Self.newSchema()
        let box = Self.repository(Self.toml(server, schema: schema, retries: 1, timeout: "1s"))
        box.ok("--engine", "pg", "sql", "SELECT COUNT(*) AS n FROM positions")
        let lock = try Lock(server, schema: schema, tableID: Self.ids(box)["positions"] ?? "")
        defer { try? lock.release() }
        let before = Self.state(box)
        let run = box.rocky(["--engine", "pg", "sql", "CREATE TABLE one AS SELECT 1 AS x; CREATE TABLE big AS SELECT symbol FROM positions"])
        #expect(run.code == 1)
        for part in ["statement 2", "PostgreSQL (engine 'pg')", "57014", "statement timeout", "gave up after 2 tries",
                     "while running: SELECT \"positions\".\"symbol\" FROM \"positions\""] {
            #expect(run.err.contains(part), "\(part): \(run)")
        }
        #expect(Self.state(box) == before, "the working set is as it was")
    }

    @Test func aStoppedServerIsAClearErrorAndTheWorkingSetIsUnchanged() throws {
        let own = try PostgresServer()
        defer { own.stop() }
        let box = Self.repository(Self.toml(own, schema: "rocky", retries: 1))
        box.ok("--engine", "pg", "sql", "CREATE TABLE big AS SELECT symbol FROM positions")
        own.stop()
        let before = Self.state(box)
        let run = box.rocky(["--engine", "pg", "--json", "sql", "CREATE TABLE big2 AS SELECT symbol FROM big"])
        #expect(run.code == 1)
        let error = box.json(run)["error"] as? [String: Any]
        #expect(error?["code"] as? String == "engine_failure")
        let message = error?["message"] as? String ?? ""
        for part in ["engine 'pg'", "PostgreSQL", "cannot connect", "nothing was run", "gave up after 2 tries"] {
            #expect(message.contains(part), "\(part): \(message)")
        }
        #expect(Self.state(box) == before)
    }

    @Test func aServerErrorNamesTheStatementTheSQLStateAndTheSQL() throws {
        let box = Self.repository(Self.toml(try Self.server(), schema: Self.newSchema()))
        let run = box.rocky(["--engine", "pg", "sql", "SELECT 1 AS one;\nSELECT CAST(symbol AS INTEGER) AS n FROM positions"])
        #expect(run.code == 1)
        for part in ["statement 2 (line 2, column 1)", "PostgreSQL (engine 'pg') error 22P02", "invalid input for INTEGER: 'JPM'", "while running: SELECT "] {
            #expect(run.err.contains(part), "\(part): \(run)")
        }
    }

    @Test func aKeyViolationNamesTheTable() throws {
        let box = Self.repository(Self.toml(try Self.server(), schema: Self.newSchema()))
        box.ok("--engine", "pg", "sql", "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
        let before = Self.state(box)
        let run = box.rocky(["--engine", "pg", "sql", "INSERT INTO notes VALUES (1, 'a'), (1, 'b')"])
        #expect(run.code == 1)
        #expect(run.err.contains("duplicate key in table notes"), "\(run)")
        #expect(Self.state(box) == before)
    }

    @Test func aPasswordInRockyTomlIsRefusedWithoutShowingIt() {
        let box = Self.repository("[engines.pg]\ntype = \"postgres\"\nconninfo = \"host=/tmp user=rocky password=hunter2\"\n")
        let run = box.rocky(["--engine", "pg", "--json", "sql", "SELECT 1 AS one"])
        #expect(run.code == 1)
        #expect((box.json(run)["error"] as? [String: Any])?["code"] as? String == "malformed_config")
        #expect(run.err.contains("PGPASSWORD") || run.out.contains("PGPASSWORD"), "\(run)")
        #expect(!run.out.contains("hunter2") && !run.err.contains("hunter2"))
    }

    @Test func gcDropsTheVersionsNoRevisionReaches() throws {
        let server = try Self.server()
        let schema = Self.newSchema()
        let box = Self.repository(Self.toml(server, schema: schema))
        box.ok("--engine", "pg", "sql", "CREATE TABLE big AS SELECT symbol, quantity FROM positions")
        // A script failing after its first statement: the server keeps that
        // statement's result, which no revision reaches.
        let failed = box.rocky(["--engine", "pg", "sql",
                                "CREATE TABLE orphan AS SELECT symbol FROM positions WHERE quantity > 100; SELECT CAST(symbol AS INTEGER) AS n FROM positions"])
        #expect(failed.code == 1)
        let held = try Self.catalog(server, schema: schema)
        #expect(held.count == 3, "positions, big and the orphan: \(held)")
        #expect(box.json(box.rocky("--engine", "pg", "gc", "--json"))["versions_dropped"] as? [String] == [],
                "the default grace period keeps what was just loaded")
        let dry = box.json(box.rocky("--engine", "pg", "gc", "--prune", "now", "--dry-run", "--json"))
        #expect((dry["versions_dropped"] as? [String])?.count == 1)
        #expect(try Self.catalog(server, schema: schema) == held, "a dry run drops nothing")
        let dropped = box.json(box.rocky("--engine", "pg", "gc", "--prune", "now", "--json"))["versions_dropped"] as? [String] ?? []
        #expect(dropped.count == 1)
        let after = try Self.catalog(server, schema: schema)
        #expect(Set(after.keys) == Set(held.keys).subtracting(dropped))
        #expect(Set(after.keys) == Set(Self.ids(box).values), "every version a revision reaches is kept")
        box.ok("--engine", "pg", "sql", "CREATE TABLE again AS SELECT symbol FROM big")
        #expect(try Self.catalog(server, schema: schema).values.filter { $0.hasPrefix("upload ") }.count == 1, "nothing uploaded again")
    }

    /// `replay --engine pg` re-runs a chain recorded on sqlite on PostgreSQL:
    /// the reuse key holds the engine, so nothing is reused, and the result
    /// is the same table.
    @Test func replayWithEngineReRunsOnPostgres() throws {
        let box = Sandbox()
        box.ok("init")
        let early = ["ROCKY_COMMIT_TIME": "2026-05-15T21:00:00Z"], late = ["ROCKY_COMMIT_TIME": "2026-05-30T09:00:00Z"]
        #expect(box.rocky(["import", "positions", fixture("positions.csv"), "--key", "account_id,symbol"], env: early).code == 0)
        #expect(box.rocky(["commit", "-m", "positions"], env: early).code == 0)
        #expect(box.rocky(["checkout", "-b", "agent/x"], env: late).code == 0)
        let step = "CREATE TABLE big AS SELECT account_id, symbol, quantity * 2 AS q2 FROM positions WHERE quantity > 0"
        #expect(box.rocky(["sql", step, "-m", "big"], env: late).code == 0)
        box.write("rocky.toml", Self.toml(try Self.server(), schema: Self.newSchema()))
        let replay = box.json(box.rocky(["--engine", "pg", "replay", "agent/x", "--at", "2026-05-29T23:00:00Z", "--name", "r1", "--json"]))
        #expect(replay["steps"] as? Int == 1)
        #expect(replay["reused"] as? Int == 0, "a sqlite execution is not reused for postgres: \(replay)")
        let record = (box.json(box.rocky("show", "r1", "--json"))["transformations"] as? [[String: Any]])?.first
        #expect(record?["adapter"] as? String == "postgres")
        func big(_ revision: String) -> String? {
            ((box.json(box.rocky("tables", revision, "--json"))["tables"] as? [[String: Any]]) ?? [])
                .first { $0["name"] as? String == "big" }?["id"] as? String
        }
        #expect(big("r1") != nil && big("r1") == big("agent/x"))
    }
}
