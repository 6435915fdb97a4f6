import Foundation

/// Servers a test process started and has not stopped yet: the `atexit`
/// safety net that stops each one when the process ends without its test
/// stopping it (a failed `#require`, a crash in a test body). The watchdog
/// each harness starts covers a killed process.
enum ExitRegistry {
    nonisolated(unsafe) private static var stops: [String: () -> Void] = [:]
    private static let lock = NSLock()
    nonisolated(unsafe) private static var installed = false

    /// `stop` runs at exit unless `remove(key)` came first.
    static func add(_ key: String, stop: @escaping () -> Void) {
        lock.lock()
        defer { lock.unlock() }
        stops[key] = stop
        if !installed {
            installed = true
            atexit { ExitRegistry.stopAll() }
        }
    }

    static func remove(_ key: String) {
        lock.lock()
        stops[key] = nil
        lock.unlock()
    }

    static func stopAll() {
        lock.lock()
        let running = stops
        stops = [:]
        lock.unlock()
        for (_, stop) in running { stop() }
    }
}
