import Foundation
import RockyEnginePostgres
import Testing

/// Results bigger than memory: rows handed one at a time while the server is
/// still sending, and COPY both ways.
@Suite struct StreamingTests {
    @Test func aMillionRowsAreHandedWhileTheServerIsStillSending() throws {
        let connection = try connect()
        let observer = try connect()
        let pid = PostgresValue.int64(Int64(connection.backendPID))
        var count: Int64 = 0
        var sum: Int64 = 0
        var stateAtFirstRows: [PostgresValue] = []
        let handed = try connection.query("SELECT i, 'row ' || i AS label FROM generate_series(1, 1000000) AS i") { row in
            count += 1
            guard row[0] == .int64(count), row["label"] == .text("row \(count)") else {
                throw HarnessError("row \(count) out of order: \(row.values)")
            }
            if case .int64(let i) = row[0] { sum += i }
            if count == 1000 {
                // The query is still running on the server: rows come as they are sent.
                stateAtFirstRows = try observer.execute("SELECT state FROM pg_stat_activity WHERE pid = $1", [pid]).rows.first ?? []
            }
        }
        #expect(handed == 1_000_000 && count == 1_000_000)
        #expect(sum == 1_000_000 * 1_000_001 / 2)
        #expect(stateAtFirstRows == [.text("active")])
        // Once done, the connection is idle again.
        #expect(try observer.execute("SELECT state FROM pg_stat_activity WHERE pid = $1", [pid]).rows == [[.text("idle")]])
    }

    @Test func aHandlerThatStopsEndsTheQueryAndKeepsTheConnection() throws {
        let connection = try connect()
        var seen = 0
        let error = caught(HarnessError.self) {
            try connection.query("SELECT i FROM generate_series(1, 50000000) AS i") { _ in
                seen += 1
                if seen == 10 { throw HarnessError("enough") }
            }
        }
        #expect(error?.description == "enough")
        #expect(seen == 10)
        #expect(try connection.execute("SELECT 2").rows == [[.int64(2)]])
        // A server error in the middle of a stream is reported after the rows before it.
        var before = 0
        let failure = caught(PostgresError.self) {
            try connection.query("SELECT 10 / (3 - i) FROM generate_series(1, 5) AS i") { _ in before += 1 }
        }
        #expect(before == 2)
        #expect(failure?.sqlState == "22012")
        #expect(try connection.execute("SELECT 3").rows == [[.int64(3)]])
    }

    @Test func copyInAndOutRoundTrip() throws {
        let connection = try connect()
        try connection.execute("CREATE TEMP TABLE copied (id int8, name text, amount numeric, day date)")
        // CSV as PostgreSQL writes it: quotes only where needed, NULL as an empty field.
        var csv = ""
        for i in 1...20_000 {
            let name = i % 7 == 0 ? "\"comma, \"\"quote\"\" and\nnewline\"" : i % 11 == 0 ? "" : "name \(i)"
            let amount = i % 5 == 0 ? "" : "\(i).\(i % 100 < 10 ? "0" : "")\(i % 100)"
            csv += "\(i),\(name),\(amount),2026-01-\(i % 21 + 10)\n"
        }
        let bytes = Array(csv.utf8)
        // Chunks that cut rows, fields and even UTF-8 anywhere.
        var chunks: [[UInt8]] = []
        var offset = 0
        var size = 1
        while offset < bytes.count {
            let end = min(bytes.count, offset + size)
            chunks.append(Array(bytes[offset..<end]))
            offset = end
            size = size * 3 % 40_000 + 1
        }
        let copied = try connection.copyIn("COPY copied FROM STDIN WITH (FORMAT csv)", chunks: chunks)
        #expect(copied == 20_000)
        #expect(try connection.execute("SELECT count(*), count(amount), sum(id) FROM copied").rows
                == [[.int64(20_000), .int64(16_000), .numeric("200010000")]])

        var out: [UInt8] = []
        var handed = 0
        let exported = try connection.copyOut("COPY (SELECT * FROM copied ORDER BY id) TO STDOUT WITH (FORMAT csv)") { chunk in
            handed += 1
            out += chunk
        }
        #expect(exported == 20_000)
        #expect(handed > 1, "output came in one piece")
        #expect(out == bytes)
    }

    @Test func aFailedCopyLeavesTheTableAsItWas() throws {
        let connection = try connect()
        try connection.execute("CREATE TEMP TABLE strict_copy (id int8 NOT NULL)")
        try connection.copyIn("COPY strict_copy FROM STDIN", chunks: [Array("1\n2\n".utf8)])

        let bad = caught(PostgresError.self) {
            try connection.copyIn("COPY strict_copy FROM STDIN", chunks: [Array("3\nfour\n5\n".utf8)])
        }
        #expect(bad?.sqlState == "22P02")
        #expect(bad?.sql == "COPY strict_copy FROM STDIN")

        var sent = 0
        let aborted = caught(HarnessError.self) {
            try connection.copyIn("COPY strict_copy FROM STDIN") {
                sent += 1
                if sent == 3 { throw HarnessError("source failed") }
                return Array("\(sent + 100)\n".utf8)
            }
        }
        #expect(aborted?.description == "source failed")
        #expect(try connection.execute("SELECT id FROM strict_copy ORDER BY id").rows == [[.int64(1)], [.int64(2)]])

        let notACopy = caught(PostgresError.self) { try connection.copyIn("SELECT 1", chunks: [[UInt8]]()) }
        #expect(notACopy?.kind == .client)
        let wrongWay = caught(PostgresError.self) { try connection.copyOut("COPY strict_copy FROM STDIN") { _ in } }
        #expect(wrongWay?.kind == .client)
        let viaExecute = caught(PostgresError.self) { try connection.execute("COPY strict_copy TO STDOUT") }
        #expect(viaExecute?.kind == .client)
        #expect(try connection.execute("SELECT count(*) FROM strict_copy").rows == [[.int64(2)]])
    }
}
