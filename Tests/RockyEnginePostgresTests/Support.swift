import Foundation
import RockyEnginePostgres
@_exported import RockyTestSupport

extension PostgresServer {
    /// A new connection to this server.
    func connect(statementTimeout: Duration? = nil) throws -> PostgresConnection {
        try PostgresConnection(conninfo: conninfo, statementTimeout: statementTimeout)
    }
}

/// The suite's shared server (one throw-away cluster per test process).
func server() throws -> PostgresServer { try PostgresServer.shared.get() }

/// A new connection to the shared server.
func connect(statementTimeout: Duration? = nil) throws -> PostgresConnection {
    try server().connect(statementTimeout: statementTimeout)
}

/// Polls `sql` on `connection` until it returns at least one row; the
/// server decides, never a clock (the pause only spares the CPU).
func waitForRow(_ connection: PostgresConnection, _ sql: String, _ parameters: [PostgresValue] = []) throws {
    while try connection.execute(sql, parameters).rows.isEmpty { Thread.sleep(forTimeInterval: 0.01) }
}

/// Runs `body` on another thread; `wait()` rethrows what it threw.
final class Background: @unchecked Sendable {
    private let done = DispatchSemaphore(value: 0)
    private var error: (any Error)?

    init(_ body: @escaping @Sendable () throws -> Void) {
        Thread {
            do { try body() } catch { self.error = error }
            self.done.signal()
        }.start()
    }

    func wait() throws {
        done.wait()
        if let error { throw error }
    }
}

/// The error `body` throws, as `E` (nil when it throws nothing or something else).
func caught<E: Error, R>(_ type: E.Type, _ body: () throws -> R) -> E? {
    do { _ = try body(); return nil } catch { return error as? E }
}
