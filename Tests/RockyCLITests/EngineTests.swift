import Foundation
import Testing

@Suite struct EngineTests {
    /// Content addressing does not depend on how the engine is put together:
    /// these ids were computed by the SQLite adapter before execution was
    /// split into an engine-neutral executor and a SQLite backend, for every
    /// kind of statement that writes a table (CREATE TABLE AS keyed and
    /// keyless, CREATE TABLE, INSERT, UPDATE, DELETE, ALTER ADD and DROP COLUMN,
    /// aggregates over DOUBLE and DECIMAL). `big` and `stats` changed once,
    /// deliberately, when CREATE TABLE AS began to derive keys (big carries
    /// positions' key, stats is keyed by its GROUP BY column); the keyless
    /// `bag` kept its id.
    @Test func theSameStatementsOverTheSameInputsGiveTheSameTableIDs() {
        let box = Sandbox()
        box.ok("init")
        box.ok("import", "positions", fixture("positions.csv"), "--key", "account_id,symbol")
        for sql in [
            "CREATE TABLE big AS SELECT account_id, symbol, quantity * 2 AS q2 FROM positions WHERE quantity > 0",
            "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL, amount DECIMAL(10,2))",
            "INSERT INTO notes VALUES (1, 'one', 1.50), (2, 'two', 2.25), (3, 'three', NULL)",
            "UPDATE notes SET amount = amount + 1 WHERE id < 3; DELETE FROM notes WHERE id = 3",
            "ALTER TABLE notes ADD COLUMN tag TEXT",
            "CREATE TABLE bag AS SELECT symbol FROM positions",
            "ALTER TABLE big DROP COLUMN q2",
            "INSERT INTO bag SELECT symbol FROM bag WHERE symbol < 'C'",
            "CREATE TABLE stats AS SELECT symbol, AVG(risk_score) AS r, SUM(avg_cost) AS c, COUNT(*) AS n FROM positions GROUP BY symbol",
        ] {
            box.ok("sql", sql)
        }
        let tables = (box.json(box.rocky("tables", "--json"))["tables"] as? [[String: Any]]) ?? []
        let ids = Dictionary(uniqueKeysWithValues: tables.compactMap { t in (t["name"] as? String).map { ($0, t["id"] as? String ?? "") } })
        #expect(ids == [
            "bag": "2742ee8394e4b6249088321eeef2295ecd33d1e9bfe4d0420eb04a5e730563f2",
            "big": "4b35d653a0df0fcf48e69e790f20463f5522305be805abe1d50d9c77a0ad27ec",
            "notes": "3f8cfd8022b146bcc44bbb132f3ea0f1afdfe731a996e1015d298116b9da2876",
            "positions": "9c45e0344b689ac359513c2dc5dc7e7914b7dbe907ab702127d57de7fa550fc8",
            "stats": "74df7a622e1d2e3f7e8294cd5d71cdcfb6a9ccb8baef5bece1abbf302fd5455b",
        ])
    }
}

@Suite struct EngineChoiceTests {
    static let engines = """
        [engines.pg]
        type = "postgres"
        conninfo = "host=/run/pg dbname=research user=rocky"
        schema = "rocky"
        statement_timeout = "10m"
        retries = 3

        [engines.spark]
        type = "spark"
        host = "127.0.0.1"
        port = 1

        """

    func repository(_ toml: String = EngineChoiceTests.engines) -> Sandbox {
        let box = Sandbox()
        box.ok("init")
        box.ok("import", "positions", fixture("positions.csv"), "--key", "account_id,symbol")
        box.write("rocky.toml", toml)
        return box
    }

    /// What a failed command may not change: everything but caches, temporary files and the audit log.
    func state(_ box: Sandbox) -> [String: Data] {
        box.snapshot().filter { !$0.key.hasPrefix("cache") && !$0.key.hasPrefix("tmp") && !$0.key.hasPrefix("audit") }
    }

    /// Their servers are not there: pg's socket /run/pg, spark's port 1 of the loopback.
    @Test(arguments: [("pg", "postgres", "engine_failure"), ("spark", "spark", "engine_failure")])
    func aDeclaredServerEngineThatCannotRunIsRefusedByNameAndNothingRuns(engine: String, type: String, code: String) {
        let box = repository()
        let before = state(box)
        let run = box.rocky(["--engine", engine, "--json", "sql", "CREATE TABLE big AS SELECT symbol FROM positions"])
        #expect(run.code == 1, "\(run)")
        let error = box.json(run)["error"] as? [String: Any]
        #expect(error?["code"] as? String == code)
        let message = error?["message"] as? String ?? ""
        #expect(message.contains("'\(engine)'") && message.contains(type), "\(message)")
        #expect(state(box) == before, "the working set is as it was")
        #expect(box.rocky("schema", "big").code == 1)
        // A query is refused the same way: nothing runs on an engine that cannot execute.
        #expect(box.rocky(["--engine", engine, "sql", "SELECT symbol FROM positions"]).code == 1)
    }

    @Test func rockyEngineChoosesLikeTheOptionAndTheOptionWins() {
        let box = repository()
        let viaEnvironment = box.rocky(["sql", "CREATE TABLE big AS SELECT symbol FROM positions"], env: ["ROCKY_ENGINE": "pg"])
        #expect(viaEnvironment.code == 1 && viaEnvironment.err.contains("engine 'pg'"), "\(viaEnvironment)")
        let overridden = box.rocky(["--engine", "sqlite", "sql", "CREATE TABLE big AS SELECT symbol FROM positions"], env: ["ROCKY_ENGINE": "pg"])
        #expect(overridden.code == 0, "\(overridden)")
        #expect(box.ok("export", "big").hasPrefix("symbol\n"))
    }

    @Test func anEnvironmentsEngineIsItsDefault() {
        let box = repository(Self.engines + """
            [environments.dev]

            [environments.prod]
            engine = "pg"

            """)
        let prod = box.rocky(["--env", "prod", "--json", "sql", "CREATE TABLE big AS SELECT symbol FROM positions"])
        #expect(prod.code == 1)
        #expect((box.json(prod)["error"] as? [String: Any])?["code"] as? String == "engine_failure", "no server at /run/pg")
        #expect(box.rocky(["--env", "prod", "--engine", "sqlite", "sql", "CREATE TABLE big AS SELECT symbol FROM positions"]).code == 0)
        #expect(box.rocky(["sql", "CREATE TABLE dev_big AS SELECT symbol FROM positions"]).code == 0, "dev has no engine: sqlite")
    }

    @Test func anUndeclaredEngineIsAUsageErrorWithADidYouMean() {
        let box = repository()
        let run = box.rocky(["--engine", "pgg", "--json", "sql", "SELECT 1 AS one"])
        #expect(run.code == 2)
        let error = box.json(run)["error"] as? [String: Any]
        #expect(error?["code"] as? String == "unknown_engine")
        let text = error?["message"] as? String ?? ""
        #expect(text.contains("did you mean 'pg'?"), "\(text)")
    }

    @Test(arguments: [
        ("[engines.pg]\nconninfo = \"x\"\n", "engines.pg.type is missing"),
        ("[engines.pg]\ntype = \"oracle\"\n", "unknown engine type 'oracle'"),
        ("[engines.pg]\ntype = \"postgres\"\n", "a postgres engine needs conninfo"),
        ("[engines.s]\ntype = \"spark\"\nhost = \"h\"\nport = 70000\n", "engines.s.port must be an integer from 1 to 65535"),
        ("[engines.pg]\ntype = \"postgres\"\nconninfo = \"x\"\nstatement_timeout = \"soon\"\n", "engines.pg.statement_timeout must be a duration"),
        ("[engines.pg]\ntype = \"postgres\"\nconninfo = \"x\"\nretry = 3\n", "engines.pg.retry: unknown field"),
        ("[engines.sqlite]\ntype = \"postgres\"\nconninfo = \"x\"\n", "the name sqlite is the embedded engine's"),
        ("[environments.dev]\nengine = \"nope\"\n", "environments.dev.engine: no engine named 'nope'"),
    ])
    func aMalformedEngineDeclarationIsNamed(toml: String, message: String) {
        let box = repository(toml)
        let run = box.rocky(["--json", "sql", "SELECT 1 AS one"])
        #expect(run.code == 1, "\(run)")
        let error = box.json(run)["error"] as? [String: Any]
        #expect(error?["code"] as? String == "malformed_config")
        let text = error?["message"] as? String ?? ""
        #expect(text.contains(message), "\(run)")
    }

    @Test func eachTransformationRecordsTheEngineAndItsVersion() {
        let box = repository()
        box.ok("sql", "CREATE TABLE big AS SELECT symbol FROM positions", "-m", "big")
        let record = (box.json(box.rocky("show", "--json"))["transformations"] as? [[String: Any]])?.first
        #expect(record?["adapter"] as? String == "sqlite")
        #expect(record?["engine"] as? String == "sqlite")
        let version = record?["engine_version"] as? String ?? ""
        #expect(version.hasPrefix("3.") && version.split(separator: ".").count >= 3, "SQLite's library version: \(version)")
    }

    /// Replay runs each step on the engine it recorded (sqlite here), not on
    /// the environment's default; `--engine` overrides that for every step.
    @Test func replayRunsOnTheRecordedEngineUnlessTold() {
        let box = Sandbox()
        box.ok("init")
        box.rocky(["import", "positions", fixture("positions.csv"), "--key", "account_id,symbol"], env: ["ROCKY_COMMIT_TIME": "2026-05-15T21:00:00Z"])
        box.rocky(["commit", "-m", "positions"], env: ["ROCKY_COMMIT_TIME": "2026-05-15T21:00:00Z"])
        let env = ["ROCKY_COMMIT_TIME": "2026-05-30T09:00:00Z"]
        box.rocky(["checkout", "-b", "agent/x"], env: env)
        #expect(box.rocky(["sql", "CREATE TABLE big AS SELECT symbol FROM positions", "-m", "big"], env: env).code == 0)
        box.write("rocky.toml", Self.engines + "[environments.dev]\nengine = \"pg\"\n")
        #expect(box.rocky(["sql", "SELECT 1 AS one"]).code == 1, "dev's default engine cannot execute")
        let before = state(box)
        let refused = box.rocky(["--engine", "pg", "--json", "replay", "agent/x", "--at", "2026-05-29T23:00:00Z", "--name", "r0"])
        #expect(refused.code == 1 && (box.json(refused)["error"] as? [String: Any])?["code"] as? String == "engine_failure", "\(refused)")
        #expect(state(box) == before, "a refused replay writes nothing")
        let replay = box.json(box.rocky("replay", "agent/x", "--at", "2026-05-29T23:00:00Z", "--name", "r1", "--json"))
        #expect(replay["steps"] as? Int == 1)
    }
}
