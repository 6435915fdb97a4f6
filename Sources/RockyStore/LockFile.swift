import Glibc
import Synchronization

/// Who took a lock file, written into it the moment it is created
/// (`pid=<pid> host=<host> started=<ticks>`), so that a later process can
/// tell a lock held by a running process from one a killed process left.
public struct LockOwner: Equatable, Sendable, CustomStringConvertible {
    public var pid: Int32
    public var host: String
    /// When the process started, in clock ticks after boot (field 22 of
    /// `/proc/<pid>/stat`); nil where unknown. A pid reused by a later
    /// process has another start time.
    public var started: UInt64?

    public init(pid: Int32, host: String, started: UInt64?) {
        self.pid = pid
        self.host = host
        self.started = started
    }

    /// This process.
    public static let current = LockOwner(pid: getpid(), host: hostName(), started: processStart(getpid()))

    public var text: String { "pid=\(pid) host=\(host)" + (started.map { " started=\($0)" } ?? "") + "\n" }

    public init?(text: String) {
        var fields: [Substring: Substring] = [:]
        for part in text.split(whereSeparator: { $0 == " " || $0 == "\n" }) {
            guard let eq = part.firstIndex(of: "=") else { return nil }
            fields[part[..<eq]] = part[part.index(after: eq)...]
        }
        guard let pid = fields["pid"].flatMap({ Int32($0) }), pid > 0, let host = fields["host"], !host.isEmpty else { return nil }
        self.init(pid: pid, host: String(host), started: fields["started"].flatMap { UInt64($0) })
    }

    public var description: String { "process \(pid) on \(host)" }

    /// The owner is a process of this host that no longer runs: no such
    /// pid, a zombie, or the pid now belongs to a process started later.
    public var isDeadProcessOnThisHost: Bool {
        guard host == LockOwner.current.host else { return false }
        if kill(pid, 0) != 0 && errno == ESRCH { return true }
        guard let stat = LockOwner.procStat(pid) else { return false }
        if stat.state == "Z" || stat.state == "X" { return true }
        if let started, let now = stat.started, now != started { return true }
        return false
    }

    static func hostName() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "localhost" }
        let name = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return name.isEmpty || name.contains(" ") ? "localhost" : name
    }

    static func processStart(_ pid: Int32) -> UInt64? { procStat(pid)?.started }

    /// The state letter and the start time from `/proc/<pid>/stat` (fields
    /// 3 and 22; the name in field 2 may hold spaces, so count from its `)`).
    private static func procStat(_ pid: Int32) -> (state: Character, started: UInt64?)? {
        guard let bytes = try? FileSystem.readAll("/proc/\(pid)/stat"),
              let close = bytes.lastIndex(of: UInt8(ascii: ")")) else { return nil }
        let fields = String(decoding: bytes[(close + 1)...], as: UTF8.self).split(separator: " ")
        guard let state = fields.first?.first else { return nil }
        return (state, fields.count > 19 ? UInt64(fields[19]) : nil)
    }
}

/// A lock file whose owner was found dead and which was removed so the
/// caller could take it; the caller records it (the audit log).
public struct BrokenLock: Equatable, Sendable {
    public var path: String
    public var owner: LockOwner
    public var ageSeconds: Int
}

/// Lock files taken exclusively (refs, `audit.log.lock`,
/// `remotes.json.lock`), each holding its owner.
public enum LockFile {
    private static let stagingCounter = Atomic<Int>(0)

    /// Creates `path` exclusively and writes this process into it as the
    /// owner; returns the open descriptor (read-write, offset 0).
    ///
    /// While another process holds the lock it waits, up to `wait` seconds,
    /// and not at all for a lock older than `staleSeconds`; then it throws
    /// `refLocked` naming the holder. A lock whose owner is a process of
    /// this host that no longer runs is removed and taken at once, and
    /// reported in `broken`. Breaking is safe against other breakers: the
    /// breaker holds an `flock` on the lock file's inode while it checks
    /// that the path still names that inode, reads the owner and removes it,
    /// so two processes cannot both remove it, nor remove a successor's lock.
    /// A lock without a readable owner (being created this instant, or left
    /// by an older rocky) is only waited on.
    public static func acquire(_ path: String, name: String, wait: Double, staleSeconds: Int,
                               broken: inout [BrokenLock]) throws -> Int32 {
        // The owner is written into a file of this process's own first and
        // linked to the lock's name (which, like O_EXCL, fails when the name
        // exists), so a lock never exists without its owner, even for a
        // process killed the moment it took it. A file system without hard
        // links gets O_CREAT|O_EXCL and then the owner.
        let owner = Array(LockOwner.current.text.utf8)
        let staging = path + ".\(getpid())-\(stagingCounter.add(1, ordering: .relaxed).newValue).lock"
        unlink(staging)
        let fd = Glibc.open(staging, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw StoreError.io(path: staging, operation: "create lock", errno: errno) }
        defer { unlink(staging) }
        guard owner.withUnsafeBytes({ pwrite(fd, $0.baseAddress, $0.count, 0) }) == owner.count else {
            let code = errno
            close(fd)
            throw StoreError.io(path: staging, operation: "write lock owner", errno: code)
        }
        var waited = 0.0
        var pause = 0.0005
        while true {
            if link(staging, path) == 0 { return fd }
            if errno != EEXIST, errno != EINTR {
                let excl = Glibc.open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
                if excl >= 0 {
                    close(fd)
                    guard owner.withUnsafeBytes({ pwrite(excl, $0.baseAddress, $0.count, 0) }) == owner.count else {
                        let code = errno
                        unlink(path)
                        close(excl)
                        throw StoreError.io(path: path, operation: "write lock owner", errno: code)
                    }
                    return excl
                }
            }
            guard errno == EEXIST || errno == EINTR else {
                let code = errno
                close(fd)
                throw StoreError.io(path: path, operation: "create lock", errno: code)
            }
            let holder: LockOwner?
            let inspection = breakIfDead(path)
            switch inspection {
            case .gone: continue
            case let .broken(lock):
                broken.append(lock)
                continue
            case .breaking: holder = nil
            case let .held(owner): holder = owner
            }
            let age = FileSystem.age(path) ?? 0
            if waited >= wait || (age >= staleSeconds && !inspection.isBreaking) {
                close(fd)
                throw StoreError.refLocked(ref: name, lockPath: path, ageSeconds: age, owner: holder)
            }
            usleep(UInt32(pause * 1_000_000))
            waited += pause
            pause = min(pause * 2, 0.05)
        }
    }

    private enum Inspection {
        case gone
        case broken(BrokenLock)
        case held(LockOwner?)
        /// Another process is breaking it.
        case breaking

        var isBreaking: Bool { if case .breaking = self { true } else { false } }
    }

    private static func breakIfDead(_ path: String) -> Inspection {
        let fd = Glibc.open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return errno == ENOENT ? .gone : .held(nil) }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 512)
        let count = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, 0) }
        guard count > 0, let owner = LockOwner(text: String(decoding: buffer[..<count], as: UTF8.self)) else { return .held(nil) }
        guard owner.isDeadProcessOnThisHost else { return .held(owner) }
        // Another breaker is at it: look again in a moment.
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else { return .breaking }
        var opened = stat(), named = stat()
        guard fstat(fd, &opened) == 0 else { return .held(owner) }
        guard stat(path, &named) == 0, opened.st_ino == named.st_ino, opened.st_dev == named.st_dev else { return .gone }
        let age = FileSystem.age(path) ?? 0
        guard unlink(path) == 0 else { return errno == ENOENT ? .gone : .held(owner) }
        return .broken(BrokenLock(path: path, owner: owner, ageSeconds: age))
    }

}
