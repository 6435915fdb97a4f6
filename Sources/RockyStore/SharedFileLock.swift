import Glibc
import Synchronization

/// A `flock(2)` held shared on one file for the life of a store, taken at
/// most once (a crashed process never leaves it held). `gc`'s side of each
/// handshake is `CollectorLock`. Two files use it:
///
/// - `objects/gc.lock` (`writeGuard`): a process that writes objects (or
///   reuses stored ones) takes it at its first write and keeps it until its
///   store is released, that is until it has moved the refs that point at
///   what it wrote. `gc` takes it exclusively for the moment it reads the
///   refs and reflogs: every write that began before `gc` has by then
///   reached a ref, and every write that begins after is newer than `gc`'s
///   start (or freshens what it reuses), so `gc` keeps it. Without it, an
///   object written just before `gc` started but not yet referenced would
///   look unreachable and old under `--prune now`.
/// - `objects/gc.run` (`collectorExclusion`): `gc` holds it exclusively for
///   its whole run, so one runs at a time; fetch and push hold it shared
///   while they add objects (see `DiskObjectStore.holdCollectorOff`),
///   because they stop at objects the store has, taking each for complete
///   with everything it refers to, which holds except while a `gc` is
///   halfway through removing an unreachable object and what it refers to.
final class SharedFileLock: Sendable {
    static let writeGuardName = "gc.lock"
    static let collectorExclusionName = "gc.run"

    let path: String
    private let descriptor = Mutex<Int32>(-1)

    init(path: String) { self.path = path }

    deinit {
        descriptor.withLock { fd in if fd >= 0 { close(fd) } }
    }

    /// Takes the lock shared, once per store, waiting while `gc` holds it
    /// exclusively. A store where the file cannot be created (read only)
    /// goes on without it: it cannot write objects either.
    func holdShared() {
        descriptor.withLock { fd in
            guard fd < 0 else { return }
            let opened = Glibc.open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o644)
            guard opened >= 0 else { return }
            while flock(opened, LOCK_SH) != 0 && errno == EINTR {}
            fd = opened
        }
    }
}

/// `gc`'s side of both handshakes.
public final class CollectorLock {
    private let guardFD: Int32
    private let runFD: Int32
    private var holdsWriters = false

    /// Takes `objects/gc.run` exclusively, waiting up to `timeout` seconds
    /// for another `gc`, or a fetch or push into this store, to finish;
    /// throws `busy` naming the file when they do not.
    public init(objectsDirectory: String, timeout: Double) throws {
        let run = objectsDirectory + "/" + SharedFileLock.collectorExclusionName
        runFD = try FileSystem.open(run, O_RDWR | O_CREAT)
        guard CollectorLock.lock(runFD, timeout: timeout) else {
            close(runFD)
            throw StoreError.busy(activity: "another gc, or a fetch or push into this repository,", lockPath: run)
        }
        do {
            guardFD = try FileSystem.open(objectsDirectory + "/" + SharedFileLock.writeGuardName, O_RDWR | O_CREAT)
        } catch {
            close(runFD)
            throw error
        }
    }

    private static func lock(_ fd: Int32, timeout: Double) -> Bool {
        var waited = 0.0
        var pause = 0.002
        while flock(fd, LOCK_EX | LOCK_NB) != 0 {
            guard errno == EWOULDBLOCK || errno == EINTR, waited < timeout else { return false }
            usleep(UInt32(pause * 1_000_000))
            waited += pause
            pause = min(pause * 2, 0.1)
        }
        return true
    }

    deinit {
        close(guardFD)
        close(runFD)
    }

    /// Waits until no writer holds the guard and takes it exclusively; false
    /// when writers still hold it after `timeout` seconds.
    public func excludeWriters(timeout: Double) -> Bool {
        holdsWriters = CollectorLock.lock(guardFD, timeout: timeout)
        return holdsWriters
    }

    /// Lets writers in again.
    public func admitWriters() {
        if holdsWriters { flock(guardFD, LOCK_UN) }
        holdsWriters = false
    }
}
