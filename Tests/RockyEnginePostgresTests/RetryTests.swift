import Foundation
import RockyEnginePostgres
import Testing

/// Lost connections, timeouts, cancels and a stopped server: what fails, what
/// the retry helper retries, and what it finally reports.
@Suite struct RetryTests {
    let quick = PostgresRetryPolicy(retries: 2, initialDelay: .milliseconds(10))

    @Test func aTerminatedBackendIsReconnectedAndRetried() throws {
        let connection = try connect()
        let holder = try connect()
        // The holder keeps an advisory lock, so the query blocks: mid-query, for sure.
        try holder.execute("SELECT pg_advisory_lock(1801)")
        let victim = connection.backendPID
        let conninfo = try server().conninfo
        let handle = connection.cancelHandle
        let terminator = Background {
            do {
                let admin = try PostgresConnection(conninfo: conninfo)
                try waitForRow(admin, "SELECT 1 FROM pg_stat_activity WHERE pid = $1 AND wait_event_type = 'Lock'",
                               [.int64(Int64(victim))])
                try admin.execute("SELECT pg_terminate_backend($1::int)", [.int64(Int64(victim))])
            } catch {
                try? handle.cancelStatement() // so the test fails instead of waiting forever
                throw error
            }
        }
        var retried: [PostgresError] = []
        let sql = "SELECT pg_advisory_lock_shared(1801), 'got it'"
        let outcome = Result {
            try connection.withRetries("read the lock", sql: sql, policy: quick, onRetry: { _, error in
                retried.append(error)
                // The server ended the session; now let the retry through.
                _ = try? holder.execute("SELECT pg_advisory_unlock(1801)")
            }) { connection in
                try connection.execute(sql)
            }
        }
        try terminator.wait()
        let result = try outcome.get()
        #expect(result.rows == [[.text(""), .text("got it")]])
        #expect(retried.count == 1)
        #expect(retried.first?.kind == .connectionLost)
        #expect(retried.first?.sql == sql)
        #expect(connection.backendPID != victim && connection.isConnected)
    }

    @Test func aTimeoutIsRetriedThenSucceeds() throws {
        let connection = try connect(statementTimeout: .milliseconds(300))
        let holder = try connect()
        try holder.execute("SELECT pg_advisory_lock(1802)")
        var retried: [PostgresError] = []
        let sql = "SELECT pg_advisory_lock_shared(1802), 42 AS answer"
        let pid = connection.backendPID
        let result = try connection.withRetries("read the answer", sql: sql, policy: quick, onRetry: { _, error in
            retried.append(error)
            _ = try? holder.execute("SELECT pg_advisory_unlock(1802)")
        }) { connection in
            try connection.execute(sql)
        }
        #expect(result.rows == [[.text(""), .int64(42)]])
        #expect(retried.map(\.kind) == [.timeout])
        #expect(retried.first?.sqlState == "57014")
        // A timeout keeps the session: no reconnect was needed.
        #expect(connection.backendPID == pid)
    }

    @Test func aTimeoutOnEveryTryIsReportedWithOperationStatementAndLastError() throws {
        let connection = try connect(statementTimeout: .milliseconds(100))
        let sql = "SELECT pg_sleep(30)"
        var tries = 0
        let error = caught(PostgresRetriesExhausted.self) {
            try connection.withRetries("sleep", sql: sql, policy: quick) { connection in
                tries += 1
                return try connection.execute(sql)
            }
        }
        #expect(tries == 3)
        #expect(error?.attempts == 3)
        #expect(error?.operation == "sleep" && error?.sql == sql)
        #expect(error?.lastError.kind == .timeout)
        #expect(error?.lastError.sqlState == "57014")
        let text = error?.description ?? ""
        #expect(text.contains("sleep failed after 3 tries") && text.contains(sql) && text.contains("57014"))
        #expect(try connection.execute("SELECT 1").rows == [[.int64(1)]])
    }

    @Test func anErrorThatARetryCannotFixIsThrownAtOnce() throws {
        let connection = try connect()
        var tries = 0
        let error = caught(PostgresError.self) {
            try connection.withRetries("divide", sql: "SELECT 1/0", policy: quick) { connection in
                tries += 1
                return try connection.execute("SELECT 1/0")
            }
        }
        #expect(tries == 1)
        #expect(error?.sqlState == "22012")
    }

    @Test func aCancelFromAnotherThreadIsCanceledNotRetried() throws {
        let connection = try connect()
        let handle = connection.cancelHandle
        let pid = Int64(connection.backendPID)
        let conninfo = try server().conninfo
        let canceler = Background {
            defer { try? handle.cancelStatement() } // also when waiting failed, so the test cannot hang
            let observer = try PostgresConnection(conninfo: conninfo)
            try waitForRow(observer, "SELECT 1 FROM pg_stat_activity WHERE pid = $1 AND query LIKE '%pg_sleep(60)%' AND state = 'active'",
                           [.int64(pid)])
        }
        var tries = 0
        let outcome = Result {
            try connection.withRetries("sleep", sql: "SELECT pg_sleep(60)", policy: quick) { connection in
                tries += 1
                return try connection.execute("SELECT pg_sleep(60)")
            }
        }
        try canceler.wait()
        let error = caught(PostgresError.self) { try outcome.get() }
        #expect(tries == 1)
        #expect(error?.kind == .canceled && error?.sqlState == "57014")
        #expect(try connection.execute("SELECT 1").rows == [[.int64(1)]])
    }

    @Test func aStoppedServerIsAClearError() throws {
        // A server of its own: stopping the shared one would fail the other tests.
        let own = try PostgresServer()
        defer { own.stop() }
        let connection = try own.connect()
        #expect(try connection.execute("SELECT 1").rows == [[.int64(1)]])
        own.stop()

        let lost = caught(PostgresError.self) { try connection.execute("SELECT 2") }
        #expect(lost?.kind == .connectionLost)
        #expect(lost?.message.isEmpty == false)
        #expect(connection.isConnected == false)

        var tries = 0
        let exhausted = caught(PostgresRetriesExhausted.self) {
            try connection.withRetries("count rows", sql: "SELECT 3", policy: quick) { connection in
                tries += 1
                return try connection.execute("SELECT 3")
            }
        }
        #expect(tries == 0, "the body ran without a connection")
        #expect(exhausted?.attempts == 3)
        #expect(exhausted?.lastError.kind == .connect)
        #expect(exhausted?.description.contains("count rows failed after 3 tries running: SELECT 3") == true)

        let refused = caught(PostgresError.self) { try PostgresConnection(conninfo: own.conninfo + " password=hunter2") }
        #expect(refused?.kind == .connect)
        #expect(refused?.message.contains(own.root) == true)
        #expect(refused?.description.contains("hunter2") == false)
        #expect(refused?.description.contains("password=***") == true)
    }
}
