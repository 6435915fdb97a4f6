import RockyBase
import RockyEngine
import RockyStore
import Testing
@testable import Rocky

@Suite struct EngineConfigTests {
    @Test func enginesParseIntoATypedModel() throws {
        let config = try ProjectConfig(text: """
            [engines.pg]
            type = "postgres"
            conninfo = "host=/run/pg dbname=research user=rocky"
            schema = "rocky"
            statement_timeout = "10m"
            retries = 3

            [engines.spark]
            type = "spark"
            host = "127.0.0.1"
            port = 10000

            [environments.dev]

            [environments.prod]
            engine = "pg"
            """)
        #expect(config.engines["pg"] == EngineConfig(name: "pg", kind: .postgres, conninfo: "host=/run/pg dbname=research user=rocky",
                                                    schema: "rocky", statementTimeoutSeconds: 600, retries: 3))
        #expect(config.engines["spark"] == EngineConfig(name: "spark", kind: .spark, host: "127.0.0.1", port: 10000))
        #expect(config.environmentEngines == ["prod": "pg"])
        #expect(try config.engine(named: "sqlite") == EngineConfig(name: "sqlite", kind: .sqlite))
        #expect(throws: RepositoryError.unknownEngine("pq", declared: ["pg", "spark"])) { try config.engine(named: "pq") }
    }

    @Test func aSparkEngineTakesAuthUserDatabaseAndStage() throws {
        let config = try ProjectConfig(text: """
            [engines.dbx]
            type = "spark"
            host = "spark.example"
            auth = "plain"
            user = "rocky"
            database = "research"
            stage = "/shared/stage"
            """)
        #expect(config.engines["dbx"] == EngineConfig(name: "dbx", kind: .spark, host: "spark.example", auth: "plain", user: "rocky",
                                                     database: "research", stage: "/shared/stage"))
        for (field, reason) in [("auth = \"kerberos\"", "auth must be"), ("auth = \"plain\"", "needs user"),
                                ("stage = \"stage\"", "absolute path"), ("password = \"hunter2\"", "ROCKY_SPARK_PASSWORD")] {
            #expect {
                try ProjectConfig(text: "[engines.dbx]\ntype = \"spark\"\nhost = \"h\"\n\(field)\n")
            } throws: { error in
                "\(error)".contains(reason) && !"\(error)".contains("hunter2")
            }
        }
    }

    /// Replay reuses an execution only on the same engine type and version.
    @Test func theReuseKeyIncludesTheEngineTypeAndVersion() {
        let record = Transformation(statement: "CREATE TABLE t AS SELECT 1 AS one", kind: "createTableAs", executedSQL: ["SELECT 1"],
                                    environment: "dev", model: nil, inputs: [:], outputs: [:], dropped: [], lineage: .null,
                                    rowsRead: 0, rowsWritten: 1, bytesScanned: 0, bytesWritten: 0, durationMicroseconds: 0,
                                    adapter: "sqlite", engine: "sqlite", engineVersion: "3.45.1", cost: ExactDecimal(0), currency: "USD")
        var otherVersion = record
        otherVersion.engineVersion = "3.46.0"
        var otherKind = record
        otherKind.adapter = "postgres"
        var otherName = record
        otherName.engine = "local"
        #expect(record.executionKey != otherVersion.executionKey)
        #expect(record.executionKey != otherKind.executionKey)
        #expect(record.executionKey == otherName.executionKey, "the name is configuration; the kind and version decide the result")
    }
}
