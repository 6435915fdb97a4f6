import Foundation
import RockyEngineSpark
import RockyTestSupport
import Testing

/// The HiveServer2 client against a real Spark Thrift server.
@Suite(.serialized, .timeLimit(.minutes(5))) struct HiveClientTests {
    /// Ten minutes of a sleeping task, unless cancelled: a sleep is
    /// interrupted at once (a compute loop would hold its task slot).
    static let sleeper = "SELECT reflect('java.lang.Thread', 'sleep', 600000L) FROM range(1)"

    @Test func opensASessionAndReportsTheServer() throws {
        let connection = try connectToSpark()
        defer { try? connection.close() }
        #expect(connection.protocolVersion >= 5)
        #expect(connection.serverVersion.first?.isNumber == true)
        let (columns, rows) = try connection.query("SELECT 1 AS one, 'x' AS x")
        #expect(columns.map(\.name) == ["one", "x"])
        #expect(columns.map(\.typeName) == ["INT", "STRING"])
        #expect(rows == [[.int(1), .string("x")]])
        try connection.close()
        #expect(!connection.isOpen)
    }

    @Test func everyColumnTypeAndNULLsComeBackTyped() throws {
        let connection = try connectToSpark()
        defer { try? connection.close() }
        // Ten rows, so NULL bitmaps span two bytes; NULLs in different rows per column.
        let sql = """
            SELECT id,
              CASE WHEN id % 3 = 0 THEN NULL ELSE id % 2 = 0 END AS b,
              CAST(CASE WHEN id = 9 THEN NULL ELSE id - 5 END AS TINYINT) AS t,
              CAST(CASE WHEN id = 1 THEN NULL ELSE id * 1000 END AS SMALLINT) AS s,
              CAST(CASE WHEN id = 8 THEN NULL ELSE id * 100000 END AS INT) AS i,
              CASE WHEN id = 0 THEN NULL ELSE id * 9223372036854775 END AS l,
              CAST(CASE WHEN id = 2 THEN NULL ELSE id / 4 END AS FLOAT) AS f,
              CASE WHEN id = 3 THEN NULL ELSE id / 8 END AS d,
              CASE WHEN id = 4 THEN NULL ELSE concat('row ', id, ' naïve') END AS str,
              CAST(CASE WHEN id = 5 THEN NULL ELSE concat('-1234567890123456789012345678.012345678', id) END AS DECIMAL(38, 10)) AS dec,
              CASE WHEN id = 6 THEN NULL ELSE date_add(DATE '2026-02-27', CAST(id AS INT)) END AS day,
              CASE WHEN id = 7 THEN NULL ELSE timestamp_micros(1767225600123456 + id * 1000000) END AS ts,
              CASE WHEN id = 9 THEN NULL ELSE CAST(concat('b', id) AS BINARY) END AS bin
            FROM range(10) ORDER BY id
            """
        try connection.run("SET spark.sql.session.timeZone=UTC")
        let (columns, rows) = try connection.query(sql)
        #expect(columns.map(\.typeName) == ["BIGINT", "BOOLEAN", "TINYINT", "SMALLINT", "INT", "BIGINT", "FLOAT", "DOUBLE", "STRING",
                                            "DECIMAL", "DATE", "TIMESTAMP", "BINARY"])
        #expect(columns[9].precision == 38 && columns[9].scale == 10)
        #expect(rows.count == 10)
        for (id, row) in rows.enumerated() {
            let n = Int64(id)
            #expect(row[0] == .int(n))
            #expect(row[1] == (id % 3 == 0 ? .null : .bool(id % 2 == 0)))
            #expect(row[2] == (id == 9 ? .null : .int(n - 5)))
            #expect(row[3] == (id == 1 ? .null : .int(n * 1000)))
            #expect(row[4] == (id == 8 ? .null : .int(n * 100_000)))
            #expect(row[5] == (id == 0 ? .null : .int(n * 9_223_372_036_854_775)))
            #expect(row[6] == (id == 2 ? .null : .double(Double(Float(Double(n) / 4)))))
            #expect(row[7] == (id == 3 ? .null : .double(Double(n) / 8)))
            #expect(row[8] == (id == 4 ? .null : .string("row \(id) naïve")))
            #expect(row[9] == (id == 5 ? .null : .string("-1234567890123456789012345678.012345678\(id)")))
            #expect(row[10] == (id == 6 ? .null : .string(["2026-02-27", "2026-02-28", "2026-03-01", "2026-03-02", "2026-03-03",
                                                           "2026-03-04", "2026-03-05", "2026-03-06", "2026-03-07", "2026-03-08"][id])))
            #expect(row[11] == (id == 7 ? .null : .string("2026-01-01 00:00:0\(id).123456")))
            #expect(row[12] == (id == 9 ? .null : .binary(Array("b\(id)".utf8))))
        }
    }

    @Test func largeResultsStreamInBatches() throws {
        let connection = try connectToSpark()
        defer { try? connection.close() }
        let operation = try connection.execute("SELECT id, repeat('x', CAST(id % 7 AS INT)) AS pad FROM range(25000) ORDER BY id")
        var seen: Int64 = 0
        var batches = 0
        while true {
            let batch = try connection.fetch(operation, maxRows: 4096)
            if batch.isEmpty { break }
            #expect(batch.count <= 4096)
            batches += 1
            for row in batch {
                #expect(row == [.int(seen), .string(String(repeating: "x", count: Int(seen % 7)))])
                seen += 1
            }
        }
        try connection.closeOperation(operation)
        #expect(seen == 25000)
        #expect(batches >= 7)
    }

    @Test func tablesAreCreatedFilledAndRead() throws {
        let connection = try connectToSpark()
        defer { try? connection.close() }
        let table = "hive_client_t_\(UInt32.random(in: 0...UInt32.max))"
        try connection.run("CREATE TABLE \(table) (k BIGINT, v STRING, amount DECIMAL(12, 2)) USING parquet")
        defer { try? connection.run("DROP TABLE IF EXISTS \(table)") }
        try connection.run("INSERT INTO \(table) VALUES (1, 'it''s', 10.50), (2, NULL, -0.01), (3, '\\\\n', NULL)")
        let (_, rows) = try connection.query("SELECT k, v, amount FROM \(table) ORDER BY k")
        #expect(rows == [[.int(1), .string("it's"), .string("10.50")], [.int(2), .null, .string("-0.01")],
                         [.int(3), .string("\\n"), .null]])
    }

    @Test func aFailingStatementIsTheServersErrorAndTheSessionGoesOn() throws {
        let connection = try connectToSpark()
        defer { try? connection.close() }
        do {
            _ = try connection.query("SELECT * FROM no_such_table_anywhere")
            Issue.record("expected an error")
        } catch let error as HiveServerError {
            #expect(error.message.contains("no_such_table_anywhere"))
            #expect(error.statement == "SELECT * FROM no_such_table_anywhere")
            #expect(!error.canceled)
        }
        #expect(try connection.query("SELECT 2").rows == [[.int(2)]])
    }

    @Test func aLongQueryIsCancelled() throws {
        let connection = try connectToSpark()
        defer { try? connection.close() }
        let operation = try connection.start("\(HiveClientTests.sleeper)")
        try connection.cancel(operation)
        #expect(throws: HiveServerError.self) { try connection.wait(for: operation) }
        try? connection.closeOperation(operation)
        #expect(try connection.query("SELECT 3").rows == [[.int(3)]])
    }

    @Test func aStatementOverItsTimeoutIsCancelledAndReported() throws {
        let connection = try connectToSpark()
        defer { try? connection.close() }
        #expect(throws: HiveTransportError.timeout("running the statement (over 1.0 seconds)")) {
            try connection.run("\(HiveClientTests.sleeper)",
                               timeout: .seconds(1))
        }
        #expect(try connection.query("SELECT 4").rows == [[.int(4)]])
    }
}


/// SASL PLAIN (the server's NONE mode: framed messages after the handshake)
/// against a server of its own.
@Suite(.timeLimit(.minutes(5))) struct HivePlainSASLTests {
    @Test func plainSASLSessionsRunStatements() throws {
        let server = try SparkServer(authentication: "NONE")
        defer { server.stop() }
        let connection = try HiveConnection(host: server.host, port: server.port, authentication: .plain(user: "rocky", password: "any"),
                                            timeout: .seconds(120))
        defer { try? connection.close() }
        #expect(connection.protocolVersion >= 5)
        let (columns, rows) = try connection.query("SELECT id, current_user() AS who FROM range(3) ORDER BY id")
        #expect(columns.map(\.name) == ["id", "who"])
        #expect(rows == [[.int(0), .string("rocky")], [.int(1), .string("rocky")], [.int(2), .string("rocky")]])
        // A NOSASL client gets no session from a SASL server: an error, not a hang.
        #expect(throws: (any Error).self) {
            try HiveConnection(host: server.host, port: server.port, authentication: .noSASL, timeout: .seconds(30))
        }
    }
}
