import Glibc
import Synchronization

/// The handshake between object writers and `gc`, on `objects/gc.lock`
/// (`flock(2)`, so a crashed process never leaves it held).
///
/// A process that writes objects (or reuses stored ones) takes the lock
/// shared at its first write and keeps it until its store is released, that
/// is until it has moved the refs that point at what it wrote. `gc` takes it
/// exclusively, for the moment it reads the refs and reflogs: every write
/// that began before `gc` has by then reached a ref, and every write that
/// begins after is newer than `gc`'s start (or freshens what it reuses), so
/// `gc` keeps it. Without the handshake, an object written just before `gc`
/// started but not yet referenced would look unreachable and old under
/// `--prune now`.
final class WriteGuard: Sendable {
    static let fileName = "gc.lock"

    let path: String
    private let descriptor = Mutex<Int32>(-1)

    init(path: String) { self.path = path }

    deinit {
        descriptor.withLock { fd in if fd >= 0 { close(fd) } }
    }

    /// Takes the lock shared, once per store. Waits while a `gc` reads the
    /// refs (milliseconds). A store where the file cannot be created (read
    /// only) goes on without it: it cannot write objects either.
    func holdShared() {
        descriptor.withLock { fd in
            guard fd < 0 else { return }
            let opened = Glibc.open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
            guard opened >= 0 else { return }
            while flock(opened, LOCK_SH) != 0 && errno == EINTR {}
            fd = opened
        }
    }
}

/// `gc`'s side of the handshake, and the lock that lets one `gc` run at a time.
public final class CollectorLock {
    private let guardFD: Int32
    private let runFD: Int32
    private var holdsWriters = false

    /// Takes `objects/gc.run` exclusively, or fails at once when another
    /// `gc` holds it.
    public init(objectsDirectory: String) throws {
        let run = objectsDirectory + "/gc.run"
        runFD = try FileSystem.open(run, O_RDWR | O_CREAT)
        guard flock(runFD, LOCK_EX | LOCK_NB) == 0 else {
            close(runFD)
            throw StoreError.refLocked(ref: "gc", lockPath: run, ageSeconds: FileSystem.age(run) ?? 0)
        }
        do {
            guardFD = try FileSystem.open(objectsDirectory + "/" + WriteGuard.fileName, O_RDWR | O_CREAT)
        } catch {
            close(runFD)
            throw error
        }
    }

    deinit {
        close(guardFD)
        close(runFD)
    }

    /// Waits until no writer holds the guard and takes it exclusively; false
    /// when writers still hold it after `timeout` seconds.
    public func excludeWriters(timeout: Double) -> Bool {
        var waited = 0.0
        var pause = 0.002
        while flock(guardFD, LOCK_EX | LOCK_NB) != 0 {
            guard errno == EWOULDBLOCK || errno == EINTR, waited < timeout else { return false }
            usleep(UInt32(pause * 1_000_000))
            waited += pause
            pause = min(pause * 2, 0.1)
        }
        holdsWriters = true
        return true
    }

    /// Lets writers in again.
    public func admitWriters() {
        if holdsWriters { flock(guardFD, LOCK_UN) }
        holdsWriters = false
    }
}
