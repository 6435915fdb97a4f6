import Glibc
import Synchronization
import RockyBase
import RockyStore

extension Repository {
    /// Records in the audit log a lock file that was removed because the
    /// process that took it had died (operation `break-lock`).
    func recordBrokenLock(_ lock: BrokenLock) {
        // Under the audit lock (a ref moved with its entry broke a ref lock)
        // the entry waits until the lock is released: appending now would
        // wait on this process's own lock.
        if brokenLocks.deferIfAuditing(lock) { return }
        var details: [JSON.Member] = [
            JSON.Member("lock", .string(lock.path.hasPrefix(rockyDirectory + "/") ? String(lock.path.dropFirst(rockyDirectory.count + 1)) : lock.path)),
            JSON.Member("pid", .int(Int(lock.owner.pid))),
            JSON.Member("host", .string(lock.owner.host)),
            JSON.Member("age_seconds", .int(lock.ageSeconds)),
        ]
        if let started = lock.owner.started { details.append(JSON.Member("started", .string(String(started)))) }
        // The break already happened; a log that cannot be written must not
        // fail the command that needed the lock (verifyAudit still checks the chain).
        try? audit(AuditEntry(operation: "break-lock", branch: nil, details: .object(details)))
    }

    /// Takes one of the repository's own lock files (`audit.log.lock`,
    /// `remotes.json.lock`) by the ref-lock protocol, runs `body`, removes
    /// it, and records any lock it broke after releasing it.
    func withLockFile<R>(_ path: String, name: String, _ body: () throws -> R) throws -> R {
        var broken: [BrokenLock] = []
        let fd = try LockFile.acquire(path, name: name, wait: 10, staleSeconds: 10, broken: &broken)
        let isAuditLock = path == auditLogPath + ".lock"
        if isAuditLock { brokenLocks.enterAuditing() }
        let result: R
        do {
            defer {
                if isAuditLock { broken += brokenLocks.leaveAuditing() }
                unlink(path)
                close(fd)
            }
            result = try body()
        }
        for lock in broken { recordBrokenLock(lock) }
        return result
    }
}

/// Broken locks whose audit entries wait for the audit lock to be released
/// by the thread that holds it.
final class BrokenLockQueue: Sendable {
    private let state = Mutex<(holder: UInt64?, pending: [BrokenLock])>((nil, []))

    private static var thread: UInt64 { UInt64(pthread_self()) }

    func enterAuditing() { state.withLock { $0.holder = Self.thread } }

    /// The locks broken meanwhile, to record now that the audit lock is free.
    func leaveAuditing() -> [BrokenLock] {
        state.withLock { s in
            s.holder = nil
            defer { s.pending = [] }
            return s.pending
        }
    }

    /// Queues `lock` when this thread holds the audit lock.
    func deferIfAuditing(_ lock: BrokenLock) -> Bool {
        state.withLock { s in
            guard s.holder == Self.thread else { return false }
            s.pending.append(lock)
            return true
        }
    }
}
