import Foundation
import RockyEnginePostgres
import RockyTestSupport
import Testing

/// `--engine pg` against a real, throw-away PostgreSQL cluster (the shared
/// one of this test process; each test keeps its versions in a schema of
/// its own, so tests never see each other's).
@Suite struct PostgresEngineTests {
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

    /// DEFAULT, UNIQUE and CHECK behave on PostgreSQL as on SQLite: the same
    /// stored values, the same refusals with the same messages, and the
    /// same table ids.
    @Test func constraintsAndDefaultsAreTheSameOnPostgreSQL() throws {
        let server = try Self.server()
        let script = "CREATE TABLE z (a INTEGER PRIMARY KEY, b TEXT DEFAULT 'x' CHECK (b <> ''), c INTEGER UNIQUE); "
            + "INSERT INTO z (a) VALUES (1); INSERT INTO z (a, b, c) VALUES (2, DEFAULT, 5), (3, NULL, NULL), (4, 'y', NULL)"
        let boxes = [Self.repository(Self.toml(server, schema: Self.newSchema())), Self.repository()]
        var messages: [[String]] = []
        for (box, engine) in zip(boxes, ["pg", "sqlite"]) {
            box.ok("--engine", engine, "sql", script)
            let before = Self.state(box)
            var seen: [String] = []
            for bad in ["INSERT INTO z (a, b) VALUES (9, '')", "INSERT INTO z (a, c) VALUES (9, 5)", "UPDATE z SET c = 5 WHERE a = 4"] {
                let run = box.rocky(["--engine", engine, "sql", bad, "--json"])
                let error = box.json(run)["error"] as? [String: Any]
                #expect(run.code == 1 && error?["code"] as? String == "constraint_violation", "\(engine): \(run)")
                seen.append(error?["message"] as? String ?? "")
            }
            #expect(Self.state(box) == before, "\(engine): refused statements change nothing")
            #expect(box.ok("export", "z") == "a,b,c\n1,x,\n2,x,5\n3,,\n4,y,\n", "\(engine)")
            messages.append(seen)
        }
        #expect(messages[0] == messages[1] && messages[0][1].contains("(c) = (5)"), "\(messages)")
        #expect(Self.ids(boxes[0])["z"] == Self.ids(boxes[1])["z"])
    }

    /// Each transformation records the engine, its kind, the server's
    /// version, the ids of the server commands that ran its SQL and what
    /// the server did: shown by `rocky show` and summed by `rocky cost`.
    @Test func aTransformationRecordsTheServersQueryIDVersionAndCost() throws {
        let server = try Self.server()
        let box = Self.repository(Self.toml(server, schema: Self.newSchema()))
        box.ok("--engine", "pg", "sql", "CREATE TABLE small AS SELECT account_id, symbol, quantity FROM positions WHERE quantity < 100", "-m", "small")
        box.ok("--engine", "pg", "sql", "UPDATE small SET quantity = quantity - 1", "-m", "update")
        let positions = (box.json(box.rocky("tables", "--json"))["tables"] as? [[String: Any]])?
            .first { $0["name"] as? String == "positions" }?["rows"] as? Int ?? 0
        func record(_ revision: String) -> [String: Any] {
            (box.json(box.rocky("show", revision, "--json"))["transformations"] as? [[String: Any]])?.first ?? [:]
        }
        let create = record("HEAD~1"), update = record("HEAD")
        #expect(create["adapter"] as? String == "postgres")
        #expect(create["engine"] as? String == "pg")
        let version = create["engine_version"] as? String ?? ""
        let major = (server.bin as NSString).deletingLastPathComponent.split(separator: "/").last.map(String.init) ?? "?"
        #expect(version.hasPrefix(major + "."), "the server's version: \(version)")
        let first = create["remote"] as? [String: Any] ?? [:], second = update["remote"] as? [String: Any] ?? [:]
        for remote in [first, second] {
            let ids = remote["query_ids"] as? [String] ?? []
            #expect(ids.count == 1 && ids.allSatisfy { $0.split(separator: ".").count == 2 && $0.split(separator: ".").allSatisfy { Int($0) != nil } },
                    "<backend pid>.<n>: \(remote)")
            #expect((remote["server_us"] as? Int ?? 0) > 0)
        }
        // The first statement uploaded positions and read its result back.
        #expect(first["rows_uploaded"] as? Int == positions && positions > 0, "\(first)")
        #expect((first["bytes_uploaded"] as? Int ?? 0) > 0)
        #expect(first["rows_downloaded"] as? Int == create["rows_written"] as? Int, "\(first) \(create)")
        // The second uploaded nothing (small is the server's own result) and
        // read back the old and new image of each row it changed.
        #expect(second["rows_uploaded"] as? Int == 0 && second["bytes_uploaded"] as? Int == 0, "\(second)")
        #expect((update["rows_written"] as? Int ?? 0) > 0)
        #expect(second["rows_downloaded"] as? Int == 2 * (update["rows_written"] as? Int ?? -1), "\(second) \(update)")
        #expect(box.ok("show", "HEAD~1").contains("server: query \((first["query_ids"] as? [String])?.first ?? "?"), "), "rocky show")
        let cost = box.json(box.rocky("cost", "--json"))["total"] as? [String: Any] ?? [:]
        #expect(cost["bytes_uploaded"] as? Int == first["bytes_uploaded"] as? Int)
        #expect(cost["bytes_downloaded"] as? Int == (first["bytes_downloaded"] as? Int ?? 0) + (second["bytes_downloaded"] as? Int ?? 0))
        #expect(box.ok("cost").contains("MiB uploaded"))
    }

    /// A version enters the server once: a second repository with the same
    /// data running the same chain on the same engine uploads nothing, and
    /// finds every result it computes already held.
    @Test func aSecondRunUploadsNothing() throws {
        let server = try Self.server()
        let schema = Self.newSchema()
        let first = EngineConformanceTests.repository(Self.toml(server, schema: schema))
        for sql in EngineConformanceTests.statements { first.ok("--engine", "pg", "sql", sql) }
        let held = try Self.catalog(server, schema: schema)
        #expect(held.values.filter { $0.hasPrefix("upload ") }.count == 2, "positions and prices were uploaded once: \(held)")
        let second = EngineConformanceTests.repository(Self.toml(server, schema: schema))
        for sql in EngineConformanceTests.statements { second.ok("--engine", "pg", "sql", sql) }
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
        // A result's key is checked by Rocky as the rows stream in (the
        // server holds them unkeyed until then): two positions per symbol.
        let result = box.rocky(["--engine", "pg", "sql", "CREATE TABLE holders (PRIMARY KEY (symbol)) AS SELECT symbol, account_id FROM positions"])
        #expect(result.code == 1)
        #expect(result.err.contains("duplicate key in table holders"), "\(result)")
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
