import Foundation
import RockyEngineSpark
import RockyTestSupport
import Testing

/// `--engine spark` against a real, throw-away Spark Thrift server (the
/// shared one of this test process, started once: 45-75 s; each test keeps
/// its versions in a database of its own, so tests never see each other's).
/// Without Java 17 or pyspark the harness fails naming the install command.
@Suite struct SparkEngineTests {
    /// Every kind of statement that writes a table, over exact types and a
    /// DOUBLE aggregate (`stats`).
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

    static func server() throws -> SparkServer { try SparkServer.shared.get() }

    static func newDatabase() -> String { "t_" + UUID().uuidString.lowercased().filter { $0 != "-" }.prefix(16) }

    static func toml(host: String = "127.0.0.1", port: Int, database: String, retries: Int = 2) -> String {
        """
        [engines.spark]
        type = "spark"
        host = "\(host)"
        port = \(port)
        database = "\(database)"
        retries = \(retries)

        """
    }

    static func toml(_ server: SparkServer, database: String, retries: Int = 2) -> String {
        toml(port: server.port, database: database, retries: retries)
    }

    /// The versions Spark holds in `database`: id -> origin.
    static func held(_ server: SparkServer, database: String) throws -> [String: String] {
        let connection = try HiveConnection(host: server.host, port: server.port, authentication: .noSASL, user: "rocky")
        defer { try? connection.close() }
        var held: [String: String] = [:]
        for row in try connection.query("SHOW TABLES IN `\(database)` LIKE 'v_*'").rows {
            guard case let .string(name) = row[1] else { continue }
            let origin = try connection.query("SHOW TBLPROPERTIES `\(database)`.`\(name)` ('rocky.origin')").rows.first?[1]
            guard case let .string(text)? = origin else { continue }
            held[String(name.dropFirst(2))] = text
        }
        return held
    }

    @Test func theSameChainGivesTheSameTableIDsOnSQLiteAndSpark() throws {
        let server = try Self.server()
        let lite = PostgresEngineTests.repository()
        let spark = PostgresEngineTests.repository(Self.toml(server, database: Self.newDatabase()))
        for sql in Self.chain {
            lite.ok("sql", sql)
            spark.ok("--engine", "spark", "sql", sql)
        }
        // Exact types give the same ids; `stats` holds AVG over DOUBLE, which
        // Spark sums per partition then merges: its last bits differ (Docs/spark.md).
        var ids = PostgresEngineTests.ids(spark), liteIDs = PostgresEngineTests.ids(lite)
        #expect(ids.count == 6)
        #expect(ids.removeValue(forKey: "stats") != nil && liteIDs.removeValue(forKey: "stats") != nil)
        #expect(ids == liteIDs)
        let exact = "SELECT symbol, c, n FROM stats ORDER BY symbol"
        #expect(spark.ok("--engine", "spark", "sql", exact) == lite.ok("sql", exact))
        // Queries stream back the same rows.
        let query = "SELECT n.id, n.body, n.amount, n.tag, b.symbol FROM notes n, bag b WHERE b.symbol < 'D' ORDER BY b.symbol, n.id"
        #expect(spark.ok("--engine", "spark", "sql", query) == lite.ok("sql", query))
        // Each transformation records the engine, its kind and Spark's version.
        spark.ok("--engine", "spark", "sql", "CREATE TABLE small AS SELECT symbol FROM positions WHERE quantity < 0", "-m", "small")
        let record = (spark.json(spark.rocky("show", "--json"))["transformations"] as? [[String: Any]])?.first
        #expect(record?["adapter"] as? String == "spark")
        #expect(record?["engine"] as? String == "spark")
        let version = record?["engine_version"] as? String ?? ""
        #expect(version.first?.isNumber == true && version.contains("."), "Spark's version: \(version)")
    }

    /// A version enters Spark once: a second repository with the same data
    /// running the same chain on the same engine uploads nothing, and finds
    /// every result it computes already held.
    @Test func aSecondRunUploadsNothing() throws {
        let server = try Self.server()
        let database = Self.newDatabase()
        let first = PostgresEngineTests.repository(Self.toml(server, database: database))
        for sql in Self.chain { first.ok("--engine", "spark", "sql", sql) }
        let held = try Self.held(server, database: database)
        #expect(held.values.filter { $0 == "upload" }.count == 1, "positions was uploaded once: \(held)")
        #expect(Set(PostgresEngineTests.ids(first).values).isSubset(of: Set(held.keys)), "every table's version is held")
        let second = PostgresEngineTests.repository(Self.toml(server, database: database))
        for sql in Self.chain { second.ok("--engine", "spark", "sql", sql) }
        #expect(try Self.held(server, database: database) == held, "no version was loaded or added again")
        #expect(PostgresEngineTests.ids(second) == PostgresEngineTests.ids(first))
    }

    /// With `stage`, versions enter Spark as CSV files in that folder
    /// (removed afterwards): the same rows, so the same table ids as SQLite.
    @Test func anUploadThroughTheStageFolderGivesTheSameTables() throws {
        let server = try Self.server()
        let database = Self.newDatabase()
        let stage = NSTemporaryDirectory() + "rocky-stage-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: stage, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: stage) }
        let lite = PostgresEngineTests.repository()
        let spark = PostgresEngineTests.repository(Self.toml(server, database: database) + "stage = \"\(stage)\"\n")
        let script = [
            "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT, amount DECIMAL(10,2), day DATE, at TIMESTAMP, ok BOOLEAN, x DOUBLE)",
            "INSERT INTO notes VALUES (1, 'a \"quoted\"\\\\ line', 1.50, DATE '2026-02-27', TIMESTAMP '2026-01-01 00:00:01.123456', TRUE, -0.5),"
                + " (2, NULL, NULL, NULL, NULL, NULL, NULL)",
        ]
        // Every type, NULLs, quotes and backslashes; both repositories import the same file.
        for sql in script { lite.ok("sql", sql) }
        lite.ok("export", "notes", "-o", spark.path + "/notes.csv")
        for box in [lite, spark] { box.ok("import", "notes2", spark.path + "/notes.csv", "--key", "id") }
        let step = "CREATE TABLE upper AS SELECT id, upper(body) AS b, amount * 2 AS a2, day, at, ok, x FROM notes2"
        lite.ok("sql", step)
        spark.ok("--engine", "spark", "sql", step)
        spark.ok("--engine", "spark", "sql", "CREATE TABLE big AS SELECT account_id, symbol, quantity * 2 AS q2 FROM positions WHERE quantity > 0")
        lite.ok("sql", "CREATE TABLE big AS SELECT account_id, symbol, quantity * 2 AS q2 FROM positions WHERE quantity > 0")
        var ids = PostgresEngineTests.ids(spark), liteIDs = PostgresEngineTests.ids(lite)
        ids.removeValue(forKey: "notes")
        liteIDs.removeValue(forKey: "notes")
        #expect(ids == liteIDs)
        let held = try Self.held(server, database: database)
        #expect(held.values.filter { $0 == "upload" }.count == 2, "notes2 and positions were uploaded: \(held)")
        #expect((try? FileManager.default.contentsOfDirectory(atPath: stage)) == [], "the stage folder is left empty")
    }

    /// The stage CSV keeps every value exact: text with the CSV's own
    /// characters (commas, quotes, CR and LF, which make Spark read the file
    /// whole), the empty string apart from NULL, spaces at either end,
    /// NULL's usual spellings as text, unicode; extreme BIGINTs, DECIMALs
    /// and DOUBLEs; dates and times at their limits; a keyless table's
    /// repeated rows. Each table is uploaded and copied by Spark; each copy
    /// has the id SQLite gives it, so no value changed on the way.
    @Test func hostileValuesRoundTripThroughTheStageCSV() throws {
        let server = try Self.server()
        let database = Self.newDatabase()
        let stage = NSTemporaryDirectory() + "rocky-stage-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: stage, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: stage) }
        let lite = PostgresEngineTests.repository()
        let spark = PostgresEngineTests.repository(Self.toml(server, database: database) + "stage = \"\(stage)\"\n")
        let texts = ["", " ", "  lead", "trail  ", "a,b", ",", "\"", "\"\"", "say \"hi\", then go", "back\\slash\\", "\\\"",
                     "line\nbreak", "cr\rhere", "crlf\r\n", "\n", "tab\there", "NULL", "null", "\\N", "NaN", "rocky-null-",
                     "é漢字🙂", "\u{FEFF}bom", "#comment", "'single'"]
        let rows = texts.enumerated().map { i, text in "(\(i + 1), '\(text.replacingOccurrences(of: "'", with: "''"))')" }
        let script = [
            "CREATE TABLE words (id INTEGER PRIMARY KEY, w TEXT)",
            "INSERT INTO words VALUES " + rows.joined(separator: ", ") + ", (100, NULL)",
            "CREATE TABLE numbers (id INTEGER PRIMARY KEY, i BIGINT, d DECIMAL(38,10), s DECIMAL(38,0), x DOUBLE, day DATE, at TIMESTAMP, ok BOOLEAN)",
            "INSERT INTO numbers VALUES (1, 9223372036854775807, 9999999999999999999999999999.9999999999, 99999999999999999999999999999999999999, "
                + "1.7976931348623157e308, DATE '9999-12-31', TIMESTAMP '9999-12-31 23:59:59.999999', TRUE), "
                + "(2, -9223372036854775807, -9999999999999999999999999999.9999999999, -99999999999999999999999999999999999999, "
                + "-4.9e-324, DATE '0001-01-01', TIMESTAMP '0001-01-01 00:00:00', FALSE), "
                + "(3, 0, 0.0000000001, 0, -0.0, DATE '1970-01-01', TIMESTAMP '1970-01-01 00:00:00.000001', NULL), "
                + "(4, NULL, -0.0000000001, NULL, 0.1, NULL, NULL, TRUE), (5, 1, NULL, 1, 2.2250738585072014e-308, DATE '2024-02-29', "
                + "TIMESTAMP '2024-02-29 12:34:56.5', FALSE), (6, -1, 1.5, -1, NULL, DATE '1969-12-31', TIMESTAMP '1969-12-31 23:59:59.999999', TRUE)",
            "CREATE TABLE bag (w TEXT, n INTEGER)",
            "INSERT INTO bag VALUES ('a,\"b\"', 1), ('a,\"b\"', 1), ('a,\"b\"', 1), ('', NULL), ('', NULL), (NULL, 2)",
        ]
        for box in [lite, spark] {
            for sql in script { box.ok("sql", sql) }
        }
        let copies = ["CREATE TABLE words2 AS SELECT * FROM words", "CREATE TABLE numbers2 AS SELECT * FROM numbers",
                      "CREATE TABLE bag2 AS SELECT * FROM bag",
                      "CREATE TABLE lengths AS SELECT id, length(w) AS n, w = '' AS empty, w IS NULL AS missing FROM words"]
        for sql in copies {
            lite.ok("sql", sql)
            spark.ok("--engine", "spark", "sql", sql)
        }
        #expect(PostgresEngineTests.ids(spark) == PostgresEngineTests.ids(lite))
        let held = try Self.held(server, database: database)
        #expect(held.values.filter { $0 == "upload" }.count == 3, "words, numbers and bag were uploaded: \(held)")
        #expect((try? FileManager.default.contentsOfDirectory(atPath: stage)) == [], "the stage folder is left empty")
    }

    @Test func aDuplicateKeyNamesTheTableAndChangesNothing() throws {
        let box = PostgresEngineTests.repository(Self.toml(try Self.server(), database: Self.newDatabase()))
        box.ok("--engine", "spark", "sql", "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL)")
        box.ok("--engine", "spark", "sql", "INSERT INTO notes VALUES (1, 'a'), (2, 'b')")
        let before = PostgresEngineTests.state(box)
        for sql in ["INSERT INTO notes VALUES (3, 'c'), (3, 'd')", "INSERT INTO notes VALUES (2, 'again')", "UPDATE notes SET id = 1 WHERE id = 2"] {
            let run = box.rocky(["--engine", "spark", "sql", sql])
            #expect(run.code == 1)
            #expect(run.err.contains("duplicate key in table notes"), "\(sql): \(run)")
        }
        // Spark enforces no NOT NULL: Rocky does, as the rows come back.
        for sql in ["UPDATE notes SET body = NULLIF(body, 'a')", "INSERT INTO notes SELECT 3 AS id, NULLIF('a', 'a') AS body"] {
            let null = box.rocky(["--engine", "spark", "sql", sql])
            #expect(null.code == 1 && null.err.contains("NULL in NOT NULL column notes.body"), "\(null)")
        }
        #expect(PostgresEngineTests.state(box) == before)
    }

    @Test func aServerErrorNamesTheStatementAndTheSQL() throws {
        let box = PostgresEngineTests.repository(Self.toml(try Self.server(), database: Self.newDatabase()))
        let run = box.rocky(["--engine", "spark", "sql", "SELECT 1 AS one;\nSELECT CAST(symbol AS INTEGER) AS n FROM positions"])
        #expect(run.code == 1)
        for part in ["statement 2 (line 2, column 1)", "Spark (engine 'spark') error", "while running: SELECT "] {
            #expect(run.err.contains(part), "\(part): \(run)")
        }
    }

    /// The server dies while a script runs (a proxy in front of it hangs up
    /// when the second statement is sent, and refuses every connection
    /// after): the reconnections fail, the error names the engine, the
    /// statement and the last error, and the working set is as it was.
    @Test func aServerKilledMidRunIsAClearErrorAndTheWorkingSetIsUnchanged() throws {
        let server = try Self.server()
        let proxy = try DyingProxy(to: server.port, dieOn: "proxy-dies-here")
        defer { proxy.stop() }
        let box = PostgresEngineTests.repository(Self.toml(port: proxy.port, database: Self.newDatabase(), retries: 2))
        box.ok("--engine", "spark", "sql", "CREATE TABLE big AS SELECT symbol, quantity FROM positions")
        let before = PostgresEngineTests.state(box)
        let run = box.rocky(["--engine", "spark", "--json", "sql",
                             "CREATE TABLE one AS SELECT symbol FROM big; CREATE TABLE two AS SELECT symbol FROM big WHERE symbol <> 'proxy-dies-here'"])
        #expect(run.code == 1)
        let error = box.json(run)["error"] as? [String: Any]
        let message = error?["message"] as? String ?? ""
        for part in ["statement 2", "Spark (engine 'spark')", "cannot connect", "gave up after 3 tries", "proxy-dies-here"] {
            #expect(message.contains(part), "\(part): \(message)")
        }
        #expect(proxy.died)
        #expect(PostgresEngineTests.state(box) == before, "the working set is as it was")
    }

    /// A statement longer than the engine's `statement_timeout` is
    /// cancelled on the server, tried again on a new session up to
    /// `retries` times, then reported naming the engine, the statement, its
    /// SQL and the last error; the working set is as it was. (The long
    /// statement: a three-way cross join of 3,000 rows. The timeout is set
    /// only for that command. Spark stops a cancelled task only where it
    /// checks for interruption, so the tries may finish their work in the
    /// background: the next command, without a timeout, waits for them.)
    @Test func aStatementTimeoutIsRetriedThenReportedAndTheWorkingSetIsUnchanged() throws {
        let server = try Self.server()
        let database = Self.newDatabase()
        let box = PostgresEngineTests.repository(Self.toml(server, database: database, retries: 1))
        box.write("g.csv", "k\n" + (1...3000).map(String.init).joined(separator: "\n") + "\n")
        box.ok("import", "g", "g.csv", "--key", "k")
        box.ok("--engine", "spark", "sql", "CREATE TABLE small AS SELECT k FROM g WHERE k < 3")
        box.write("rocky.toml", Self.toml(server, database: database, retries: 1) + "statement_timeout = \"5s\"\n")
        let before = PostgresEngineTests.state(box)
        let run = box.rocky(["--engine", "spark", "--json", "sql", "CREATE TABLE slow AS SELECT COUNT(*) AS n FROM g a, g b, g c WHERE a.k + b.k > c.k"])
        #expect(run.code == 1)
        let error = box.json(run)["error"] as? [String: Any]
        #expect(error?["code"] as? String == "execution_failed", "\(run)")
        let message = error?["message"] as? String ?? ""
        for part in ["statement 1", "Spark (engine 'spark')", "timeout", "timed out running the statement", "gave up after 2 tries",
                     "while running: SELECT COUNT(*)"] {
            #expect(message.contains(part), "\(part): \(message)")
        }
        #expect(PostgresEngineTests.state(box) == before, "the working set is as it was")
        // The engine still works: the next statement runs.
        box.write("rocky.toml", Self.toml(server, database: database, retries: 1))
        box.ok("--engine", "spark", "sql", "CREATE TABLE two AS SELECT k FROM small")
    }

    /// The server ends the session in the middle of a command (a proxy in
    /// front of it drops the server-side connection, which closes its
    /// session, and sends the next request on a new connection: the server
    /// answers "Invalid SessionHandle"): the backend opens a new session,
    /// makes its views again, and the command succeeds with SQLite's table.
    @Test func aSessionTheServerClosedIsOpenedAgainAndTheCommandSucceeds() throws {
        let server = try Self.server()
        let proxy = try SessionLosingProxy(to: server.port, on: "session-ends-here")
        defer { proxy.stop() }
        let spark = PostgresEngineTests.repository(Self.toml(port: proxy.port, database: Self.newDatabase(), retries: 2))
        let lite = PostgresEngineTests.repository()
        let script = "CREATE TABLE one AS SELECT symbol, quantity FROM positions; "
            + "CREATE TABLE two AS SELECT symbol, SUM(quantity) AS q FROM one WHERE symbol <> 'session-ends-here' GROUP BY symbol"
        spark.ok("--engine", "spark", "sql", script)
        lite.ok("sql", script)
        #expect(proxy.sessionLost, "the server answered Invalid SessionHandle")
        #expect(PostgresEngineTests.ids(spark) == PostgresEngineTests.ids(lite))
        let query = "SELECT symbol, q FROM two ORDER BY symbol"
        #expect(spark.ok("--engine", "spark", "sql", query) == lite.ok("sql", query))
    }

    /// `gc --engine spark` drops the version tables no revision reaches
    /// (a script that failed after its first statement left one), keeps
    /// those loaded within the grace period, and a dry run drops nothing.
    @Test func gcDropsTheVersionsNoRevisionReaches() throws {
        let server = try Self.server()
        let database = Self.newDatabase()
        let box = PostgresEngineTests.repository(Self.toml(server, database: database))
        box.ok("--engine", "spark", "sql", "CREATE TABLE big AS SELECT symbol, quantity FROM positions")
        let failed = box.rocky(["--engine", "spark", "sql",
                                "CREATE TABLE orphan AS SELECT symbol FROM positions WHERE quantity > 100; SELECT CAST(symbol AS INTEGER) AS n FROM positions"])
        #expect(failed.code == 1)
        let held = try Self.held(server, database: database)
        #expect(held.count == 3, "positions, big and the orphan: \(held)")
        let kept = box.json(box.rocky("--engine", "spark", "gc", "--json"))
        #expect(kept["versions_dropped"] as? [String] == [], "the default grace period keeps what was just loaded: \(kept)")
        let dry = box.json(box.rocky("--engine", "spark", "gc", "--prune", "now", "--dry-run", "--json"))
        #expect((dry["versions_dropped"] as? [String])?.count == 1)
        #expect(try Self.held(server, database: database) == held, "a dry run drops nothing")
        let dropped = box.json(box.rocky("--engine", "spark", "gc", "--prune", "now", "--json"))["versions_dropped"] as? [String] ?? []
        #expect(dropped.count == 1)
        let after = try Self.held(server, database: database)
        #expect(Set(after.keys) == Set(held.keys).subtracting(dropped))
        #expect(Set(after.keys) == Set(PostgresEngineTests.ids(box).values), "every version a revision reaches is kept")
        box.ok("--engine", "spark", "sql", "CREATE TABLE again AS SELECT symbol FROM big")
        #expect(try Self.held(server, database: database).values.filter { $0 == "upload" }.count == 1, "nothing uploaded again")
    }

    /// `replay` re-runs each step on the engine it recorded: a chain run on
    /// Spark, replayed (without --engine) over inputs that changed since,
    /// runs on Spark; with `--engine sqlite` it runs on SQLite and gives the
    /// same tables (exact types).
    @Test func replayRunsOnTheRecordedEngineUnlessEngineIsGiven() throws {
        let box = Sandbox()
        box.ok("init")
        box.write("rocky.toml", Self.toml(try Self.server(), database: Self.newDatabase()))
        func at(_ time: String, _ arguments: String...) {
            let run = box.rocky(arguments, env: ["ROCKY_COMMIT_TIME": time])
            #expect(run.code == 0, "\(arguments): \(run)")
        }
        at("2026-05-15T21:00:00Z", "import", "positions", fixture("positions.csv"), "--key", "account_id,symbol")
        at("2026-05-15T21:00:00Z", "commit", "-m", "positions")
        at("2026-05-30T09:00:00Z", "checkout", "-b", "agent/x")
        at("2026-05-30T09:00:00Z", "--engine", "spark", "sql", "CREATE TABLE big AS SELECT account_id, symbol, quantity * 2 AS q2 FROM positions", "-m", "big")
        at("2026-05-30T09:00:00Z", "--engine", "spark", "sql", "UPDATE big SET q2 = q2 + 1 WHERE symbol < 'M'", "-m", "update")
        // main changes positions afterwards: the replay computes new tables.
        at("2026-05-31T09:00:00Z", "checkout", "main")
        at("2026-05-31T09:00:00Z", "sql", "UPDATE positions SET quantity = quantity + 5 WHERE symbol = 'AAPL'", "-m", "fix")
        let onSpark = box.json(box.rocky("replay", "agent/x", "--at", "2026-06-01T00:00:00Z", "--name", "r1", "--json"))
        #expect(onSpark["reused"] as? Int == 0 && onSpark["steps"] as? Int == 2, "\(onSpark)")
        let onSQLite = box.json(box.rocky("--engine", "sqlite", "replay", "agent/x", "--at", "2026-06-01T00:00:00Z", "--name", "r2", "--json"))
        #expect(onSQLite["reused"] as? Int == 0 && onSQLite["steps"] as? Int == 2, "\(onSQLite)")
        /// adapter/engine of the transformations of the replay's two commits, oldest first.
        func engines(_ revision: String) -> [String] {
            ["\(revision)~1", revision].map { commit in
                let record = (box.json(box.rocky("show", commit, "--json"))["transformations"] as? [[String: Any]])?.first
                return "\(record?["adapter"] as? String ?? "?")/\(record?["engine"] as? String ?? "?")"
            }
        }
        #expect(engines("r1") == ["spark/spark", "spark/spark"])
        #expect(engines("r2") == ["sqlite/sqlite", "sqlite/sqlite"])
        let tables = { (revision: String) in
            ((box.json(box.rocky("tables", revision, "--json"))["tables"] as? [[String: Any]]) ?? []).map { "\($0["name"] ?? "") \($0["id"] ?? "")" }
        }
        #expect(tables("r1") == tables("r2"))
        #expect(tables("r1") != tables("agent/x"), "the replay computed over the changed positions")
    }

    /// The steps of a replay compile for the engine they run on, not the
    /// command's: a step recorded on sqlite with a GROUPS frame (which Spark
    /// lacks) replays on sqlite although the environment's engine is now
    /// spark (never reached: nothing runs there).
    @Test func aReplayedStepCompilesForItsOwnEngine() {
        let box = Sandbox()
        box.ok("init")
        let early = ["ROCKY_COMMIT_TIME": "2026-05-15T21:00:00Z"], late = ["ROCKY_COMMIT_TIME": "2026-05-30T09:00:00Z"]
        #expect(box.rocky(["import", "positions", fixture("positions.csv"), "--key", "account_id,symbol"], env: early).code == 0)
        #expect(box.rocky(["commit", "-m", "positions"], env: early).code == 0)
        #expect(box.rocky(["checkout", "-b", "agent/x"], env: late).code == 0)
        let step = "CREATE TABLE g AS SELECT account_id, symbol, SUM(quantity) OVER (ORDER BY symbol GROUPS BETWEEN 1 PRECEDING AND CURRENT ROW) AS s FROM positions"
        #expect(box.rocky(["sql", step, "-m", "g"], env: late).code == 0)
        box.write("rocky.toml", Self.toml(port: 1, database: "rocky") + "\n[environments.dev]\nengine = \"spark\"\n")
        let refused = box.rocky(["check", "-e", step])
        #expect(refused.code != 0, "dev's engine is spark, which has no GROUPS frames: \(refused)")
        let replay = box.rocky(["replay", "agent/x", "--at", "2026-05-29T23:00:00Z", "--name", "r1", "--json"])
        #expect(replay.code == 0, "\(replay)")
        let record = (box.json(box.rocky("show", "r1", "--json"))["transformations"] as? [[String: Any]])?.first
        #expect(record?["adapter"] as? String == "sqlite")
    }

    @Test func aPasswordInRockyTomlIsRefusedWithoutShowingIt() {
        let box = PostgresEngineTests.repository("[engines.spark]\ntype = \"spark\"\nhost = \"127.0.0.1\"\nauth = \"plain\"\nuser = \"u\"\npassword = \"hunter2\"\n")
        let run = box.rocky(["--engine", "spark", "--json", "sql", "SELECT 1 AS one"])
        #expect(run.code == 1)
        #expect((box.json(run)["error"] as? [String: Any])?["code"] as? String == "malformed_config")
        #expect(run.out.contains("ROCKY_SPARK_PASSWORD"), "\(run)")
        #expect(!run.out.contains("hunter2") && !run.err.contains("hunter2"))
    }

    /// `hash` masking (HMAC-SHA-256 under the repository's key) computed by
    /// Spark's session helpers gives byte for byte the values SQLite gives,
    /// and never the raw value.
    @Test func hashMaskingOnSparkGivesSQLitesValues() throws {
        let server = try Self.server()
        let box = PostgresEngineTests.repository(Self.toml(server, database: Self.newDatabase()) + """

            [environments.dev]

            [environments.prod.masking]
            pii = "hash"

            """)
        box.ok("classify", "positions.account_id", "pii")
        let query = "SELECT account_id, symbol, quantity FROM positions ORDER BY symbol, quantity"
        let spark = box.ok("--env", "prod", "--engine", "spark", "sql", query)
        let lite = box.ok("--env", "prod", "sql", query)
        // The same rows (rows of equal sort keys may come in either order).
        #expect(spark.split(separator: "\n").sorted() == lite.split(separator: "\n").sorted())
        #expect(!spark.contains("ACC-1001") && spark.contains("JPM"), "\(spark)")
    }

    @Test func checkWithASparkEngineEmitsTheDatabricksDialect() {
        let box = PostgresEngineTests.repository(Self.toml(port: 1, database: "rocky"))
        let emitted = box.ok("--engine", "spark", "check", "-e", "SELECT symbol FROM positions", "--emit")
        #expect(emitted.contains("SELECT `positions`.`symbol` FROM `positions`"), "\(emitted)")
        let sqlite = box.ok("check", "-e", "SELECT symbol FROM positions", "--emit")
        #expect(sqlite.contains("\"positions\""), "\(sqlite)")
    }
}

/// A TCP proxy on a loopback port the OS chose, in front of `port`: it
/// forwards both ways until the client sends bytes containing `dieOn`;
/// then it hangs up every connection and closes its listener (as a server
/// killed mid-run: reconnections are refused).
final class DyingProxy: @unchecked Sendable {
    let port: Int
    private let listener: Int32
    private let lock = NSLock()
    private var sockets: Set<Int32> = []
    private var dead = false

    var died: Bool { lock.withLock { dead } }

    init(to target: Int, dieOn marker: String) throws {
        let (fd, boundPort) = try Loopback.listen(backlog: 16)
        listener = fd
        port = boundPort
        let needle = Array(marker.utf8)
        Thread {
            while true {
                let client = accept(fd, nil, nil)
                guard client >= 0 else { return }
                let upstream = Loopback.connect(port: target) ?? -1
                let connected = upstream >= 0
                let alive = self.lock.withLock { () -> Bool in
                    guard !self.dead, connected else { return false }
                    self.sockets.formUnion([client, upstream])
                    return true
                }
                guard alive else {
                    close(client)
                    if connected { close(upstream) }
                    continue
                }
                Thread { self.pump(from: client, to: upstream, watching: needle) }.start()
                Thread { self.pump(from: upstream, to: client, watching: nil) }.start()
            }
        }.start()
    }

    private func pump(from source: Int32, to sink: Int32, watching needle: [UInt8]?) {
        var buffer = [UInt8](repeating: 0, count: 65536)
        var tail: [UInt8] = []
        while true {
            let n = buffer.withUnsafeMutableBytes { recv(source, $0.baseAddress!, $0.count, 0) }
            if n <= 0 { break }
            if let needle {
                let seen = tail + buffer[0..<n]
                if seen.count >= needle.count, (0...(seen.count - needle.count)).contains(where: { Array(seen[$0..<($0 + needle.count)]) == needle }) {
                    kill()
                    return
                }
                tail = Array(seen.suffix(needle.count))
            }
            var sent = 0
            while sent < n {
                let m = buffer.withUnsafeBytes { send(sink, $0.baseAddress! + sent, n - sent, Int32(MSG_NOSIGNAL)) }
                if m <= 0 { return }
                sent += m
            }
        }
        shutdown(sink, Int32(SHUT_RDWR))
    }

    /// Hangs up every connection and stops listening.
    func kill() {
        lock.withLock {
            dead = true
            shutdown(listener, Int32(SHUT_RDWR))
            for fd in sockets { shutdown(fd, Int32(SHUT_RDWR)) }
        }
    }

    func stop() {
        kill()
        close(listener)
    }
}

/// A TCP proxy on a loopback port the OS chose, in front of `port`, that
/// ends the server's session once: the first time the client sends bytes
/// containing `marker`, it closes its connection to the server (the server
/// closes the sessions of a connection that ends), waits for the server to
/// have done so, and sends those bytes on a new connection to the server;
/// the client's own connection stays up. `sessionLost` says whether the
/// server then answered "Invalid SessionHandle".
final class SessionLosingProxy: @unchecked Sendable {
    let port: Int
    private let listener: Int32
    private let lock = NSLock()
    private var sockets: Set<Int32> = []
    private var triggered = false
    private var lost = false

    var sessionLost: Bool { lock.withLock { lost } }

    init(to target: Int, on marker: String) throws {
        let (fd, boundPort) = try Loopback.listen(backlog: 16)
        listener = fd
        port = boundPort
        let needle = Array(marker.utf8), invalid = Array("Invalid SessionHandle".utf8)
        Thread {
            while true {
                let client = accept(fd, nil, nil)
                guard client >= 0 else { return }
                guard let upstream = Loopback.connect(port: target) else {
                    close(client)
                    continue
                }
                self.lock.withLock { _ = self.sockets.formUnion([client, upstream]) }
                // The current server-side socket of this client, replaced once.
                let current = Box(upstream)
                Thread { self.answer(from: upstream, to: client, current: current, watching: invalid) }.start()
                Thread {
                    var buffer = [UInt8](repeating: 0, count: 65536)
                    var tail: [UInt8] = []
                    while true {
                        let n = buffer.withUnsafeMutableBytes { recv(client, $0.baseAddress!, $0.count, 0) }
                        if n <= 0 { break }
                        let seen = tail + buffer[0..<n]
                        tail = Array(seen.suffix(needle.count))
                        if SessionLosingProxy.contains(seen, needle), self.lock.withLock({ () -> Bool in
                            defer { self.triggered = true }
                            return !self.triggered
                        }) {
                            let old = current.value
                            current.value = -1
                            shutdown(old, Int32(SHUT_RDWR))
                            // The server closes the session when it sees the connection end
                            // (at once; the wait is for a loaded machine). `sessionLost` tells
                            // whether it had: the test fails otherwise.
                            Thread.sleep(forTimeInterval: 5)
                            guard let fresh = Loopback.connect(port: target) else { break }
                            self.lock.withLock { _ = self.sockets.insert(fresh) }
                            current.value = fresh
                            Thread { self.answer(from: fresh, to: client, current: current, watching: invalid) }.start()
                        }
                        guard SessionLosingProxy.forward(buffer, count: n, to: current.value) else { break }
                    }
                    shutdown(current.value, Int32(SHUT_RDWR))
                }.start()
            }
        }.start()
    }

    /// Forwards the server's replies to the client while `from` is the current server-side socket.
    private func answer(from source: Int32, to client: Int32, current: Box, watching needle: [UInt8]) {
        var buffer = [UInt8](repeating: 0, count: 65536)
        var tail: [UInt8] = []
        while true {
            let n = buffer.withUnsafeMutableBytes { recv(source, $0.baseAddress!, $0.count, 0) }
            if n <= 0 { break }
            let seen = tail + buffer[0..<n]
            tail = Array(seen.suffix(needle.count))
            if SessionLosingProxy.contains(seen, needle) { lock.withLock { lost = true } }
            guard SessionLosingProxy.forward(buffer, count: n, to: client) else { return }
        }
        // A replaced connection ends quietly; the current one ends the client's.
        if current.value == source { shutdown(client, Int32(SHUT_RDWR)) }
    }

    static func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        haystack.count >= needle.count && (0...(haystack.count - needle.count)).contains { Array(haystack[$0..<($0 + needle.count)]) == needle }
    }

    static func forward(_ buffer: [UInt8], count n: Int, to sink: Int32) -> Bool {
        var sent = 0
        while sent < n {
            let m = buffer.withUnsafeBytes { send(sink, $0.baseAddress! + sent, n - sent, Int32(MSG_NOSIGNAL)) }
            if m <= 0 { return false }
            sent += m
        }
        return true
    }

    func stop() {
        lock.withLock {
            shutdown(listener, Int32(SHUT_RDWR))
            for fd in sockets { shutdown(fd, Int32(SHUT_RDWR)) }
        }
        close(listener)
    }

    /// A socket shared by the two threads of one client connection.
    final class Box: @unchecked Sendable {
        private let lock = NSLock()
        private var socket: Int32
        init(_ socket: Int32) { self.socket = socket }
        var value: Int32 {
            get { lock.withLock { socket } }
            set { lock.withLock { socket = newValue } }
        }
    }
}
