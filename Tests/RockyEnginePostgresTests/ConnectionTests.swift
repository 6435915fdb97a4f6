import Foundation
import RockyBase
import RockyEnginePostgres
import Testing

/// Connecting, typed values both ways, and errors as the server reports them.
@Suite struct ConnectionTests {
    @Test func connectsAndReportsTheServerVersion() throws {
        let connection = try connect()
        let number = try connection.execute("SHOW server_version_num").rows
        #expect(number == [[.text(String(connection.serverVersionNumber))]])
        #expect(connection.serverVersionNumber >= 100_000)
        let major = String(connection.serverVersionNumber / 10_000)
        #expect(connection.serverVersion.hasPrefix(major + "."))
        #expect(connection.isConnected)
        let pid = try connection.execute("SELECT pg_backend_pid()").rows
        #expect(pid == [[.int64(Int64(connection.backendPID))]])
    }

    @Test func aPasswordInTheConninfoIsNeverShown() throws {
        // Trust authentication ignores the password; it must still never show.
        let connection = try PostgresConnection(conninfo: try server().conninfo + " password='hunter 2'")
        #expect(!connection.description.contains("hunter"))
        #expect(connection.description.contains("password=***"))
        #expect(redactingPasswords(in: "host=/x password=s3cret user=u") == "host=/x password=*** user=u")
        #expect(redactingPasswords(in: "password = 'a \\' b' dbname=d") == "password=*** dbname=d")
        #expect(redactingPasswords(in: "postgresql://rocky:s3cret@db.example/research") == "postgresql://rocky:***@db.example/research")
        #expect(redactingPasswords(in: "no secrets here") == "no secrets here")
    }

    @Test func everyValueTypeRoundTrips() throws {
        let connection = try connect()
        let values: [PostgresValue] = [
            .null, .bool(true), .bool(false), .int64(Int64.max), .int64(Int64.min), .double(0.1), .double(-1.5e300),
            .double(.infinity), .numeric("-123456789012345678901234567890123456789012.000000000001"), .numeric("0.50"),
            .text("It's \"quoted\", naïve ✓\nand multi-line"), .text(""),
            .date(CivilDate(parsing: "2026-05-20")!), .date(CivilDate(parsing: "1969-12-31")!),
            .timestamp(Timestamp("2026-05-20T16:00:00.123456Z")), .timestamp(Timestamp("1901-01-01T00:00:00Z")),
        ]
        // As parameters, echoed back with their own types...
        let select = "SELECT " + values.indices.map { "$\($0 + 1)" + (values[$0] == .null ? "::int8" : "") }.joined(separator: ", ")
        let echoed = try connection.execute(select, values)
        #expect(echoed.rows == [values])
        #expect(echoed.columns.map(\.typeOID)[1...3] == [16, 16, 20])

        // ...through a table...
        try connection.execute("""
            CREATE TEMP TABLE every_type (b bool, i int8, d float8, n numeric, t text, day date, ts timestamp)
            """)
        let row: [PostgresValue] = [.bool(true), .int64(-42), .double(2.5), .numeric("1e-3"), .text("x"),
                                    .date(CivilDate(parsing: "2000-02-29")!), .timestamp(Timestamp("2000-02-29T23:59:59.5Z"))]
        let inserted = try connection.execute("INSERT INTO every_type VALUES ($1, $2, $3, $4, $5, $6, $7)", row)
        #expect(inserted.affectedRows == 1 && inserted.commandTag == "INSERT 0 1")
        try connection.execute("INSERT INTO every_type VALUES (NULL, NULL, NULL, NULL, NULL, NULL, NULL)")
        let read = try connection.execute("SELECT * FROM every_type ORDER BY i NULLS LAST")
        #expect(read.rows == [[.bool(true), .int64(-42), .double(2.5), .numeric("0.001"), .text("x"),
                               .date(CivilDate(parsing: "2000-02-29")!), .timestamp(Timestamp("2000-02-29T23:59:59.5Z"))],
                              Array(repeating: .null, count: 7)])
        #expect(read.columns.map(\.name) == ["b", "i", "d", "n", "t", "day", "ts"])
        #expect(read.rows[0][3].exactDecimal == ExactDecimal(parsing: "0.001"))

        // ...and from literals of the other built-in types that map to them.
        let literals = try connection.execute("""
            SELECT 7::int2, 8::int4, 1.25::float4, 'NaN'::float8, 'NaN'::numeric,
                   TIMESTAMPTZ '2026-05-20 18:00:00+02', interval '1 day', '{1,2}'::int[]
            """)
        let r = literals.rows[0]
        #expect(r[0] == .int64(7) && r[1] == .int64(8) && r[2] == .double(1.25) && r[4] == .numeric("NaN"))
        if case .double(let nan) = r[3] { #expect(nan.isNaN) } else { Issue.record("float8 NaN read as \(r[3])") }
        #expect(r[5] == .timestamp(Timestamp("2026-05-20T16:00:00Z")))
        #expect(r[6] == .text("P1D") && r[7] == .text("{1,2}"))
    }

    @Test func aDateRockyCannotHoldIsAnErrorNotText() throws {
        let connection = try connect()
        let error = caught(PostgresError.self) { try connection.execute("SELECT 'infinity'::date AS d") }
        #expect(error?.kind == .client)
        #expect(error?.message.contains("infinity") == true)
        #expect(try connection.execute("SELECT 1").rows == [[.int64(1)]])
    }

    @Test func aSQLErrorCarriesSQLStatePositionAndStatement() throws {
        let connection = try connect()
        let sql = "SELECT id FROM no_such_table WHERE id = 1"
        let missing = caught(PostgresError.self) { try connection.execute(sql) }
        #expect(missing?.kind == .server)
        #expect(missing?.sqlState == "42P01")
        #expect(missing?.message == "relation \"no_such_table\" does not exist")
        #expect(missing?.position == 16)
        #expect(missing?.sql == sql)
        #expect(missing?.description.contains("[42P01]") == true && missing?.description.contains(sql) == true)

        let syntax = caught(PostgresError.self) { try connection.execute("SELECT 1 +") }
        #expect(syntax?.sqlState == "42601" && syntax?.position == 11)

        try connection.execute("CREATE TEMP TABLE keyed (k int PRIMARY KEY)")
        try connection.execute("INSERT INTO keyed VALUES (1)")
        let duplicate = caught(PostgresError.self) { try connection.execute("INSERT INTO keyed VALUES ($1)", [.int64(1)]) }
        #expect(duplicate?.sqlState == "23505")
        #expect(duplicate?.detail == "Key (k)=(1) already exists.")
        #expect(duplicate?.isRetryable == false)
        // The connection is still usable.
        #expect(try connection.execute("SELECT count(*) FROM keyed").rows == [[.int64(1)]])
    }

    @Test func theStatementTimeoutIsSetAndSurvivesAReconnect() throws {
        let connection = try connect(statementTimeout: .seconds(90))
        #expect(try connection.execute("SHOW statement_timeout").rows == [[.text("90s")]])
        try connection.setStatementTimeout(.milliseconds(1500))
        let pid = connection.backendPID
        try connection.reconnect()
        #expect(connection.backendPID != pid)
        #expect(try connection.execute("SHOW statement_timeout").rows == [[.text("1500ms")]])
        #expect(try connection.execute("SHOW TimeZone").rows == [[.text("UTC")]])
        try connection.setStatementTimeout(nil)
        #expect(try connection.execute("SHOW statement_timeout").rows == [[.text("0")]])
    }
}
