import Foundation

/// How often and how patiently an operation is retried after a lost
/// connection or a timeout: `retries` more tries after the first, waiting
/// `initialDelay`, then twice as long each time, up to `maxDelay`.
public struct PostgresRetryPolicy: Sendable, Hashable {
    public var retries: Int
    public var initialDelay: Duration
    public var maxDelay: Duration

    public init(retries: Int, initialDelay: Duration = .milliseconds(200), maxDelay: Duration = .seconds(10)) {
        precondition(retries >= 0, "retries must not be negative")
        self.retries = retries
        self.initialDelay = initialDelay
        self.maxDelay = maxDelay
    }

    /// The wait before retry number `retry` (1-based): exponential, capped.
    public func delay(beforeRetry retry: Int) -> Duration {
        var delay = initialDelay
        for _ in 1..<max(1, retry) {
            delay *= 2
            if delay >= maxDelay { return maxDelay }
        }
        return min(delay, maxDelay)
    }
}

extension PostgresConnection {
    /// Runs `body`, and runs it again when it fails with a lost connection
    /// (reconnecting first) or a timeout, waiting longer before each retry,
    /// up to `policy.retries` times. Any other error is thrown at once, as it
    /// is. After the last try it throws `PostgresRetriesExhausted` naming
    /// `operation`, `sql` and the last error.
    ///
    /// `body` must be a whole unit of work: a retry after a lost connection
    /// starts a new session, so a transaction `body` began is gone.
    /// `onRetry` hears each failure that will be retried (for logs).
    public func withRetries<R>(_ operation: String, sql: String?, policy: PostgresRetryPolicy,
                               onRetry: (_ failedTry: Int, _ error: PostgresError) -> Void = { _, _ in },
                               _ body: (PostgresConnection) throws -> R) throws -> R {
        var attempt = 0
        var mustReconnect = !isConnected
        while true {
            attempt += 1
            do {
                if mustReconnect || !isConnected {
                    try reconnect()
                    mustReconnect = false
                }
                return try body(self)
            } catch let error as PostgresError {
                guard error.isRetryable else { throw error }
                guard attempt <= policy.retries else {
                    throw PostgresRetriesExhausted(operation: operation, sql: sql, attempts: attempt, lastError: error)
                }
                if error.kind != .timeout { mustReconnect = true }
                onRetry(attempt, error)
                Thread.sleep(forTimeInterval: seconds(policy.delay(beforeRetry: attempt)))
            }
        }
    }
}

private func seconds(_ duration: Duration) -> Double {
    let (seconds, attoseconds) = duration.components
    return Double(seconds) + Double(attoseconds) / 1e18
}
