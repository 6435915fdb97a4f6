import Glibc
import Synchronization

/// Refs as files under a repository folder, in git's layout: `HEAD`,
/// `refs/heads/<name>` holding 64 hex digits and a newline, and reflogs at
/// `logs/<ref>`.
///
/// Calling sequence of an update (git's lockfile protocol, with the new
/// value beside the lock): create `<ref>.lock` naming its owner (the lock),
/// read the ref and compare with the expected id, append and fsync the
/// reflog entry, write the new id into a fresh `.new-*` file beside the ref
/// (no ref name starts with a dot, so listings skip it), fsync it and rename
/// it over the ref, fsync the folder, remove the lock. Readers see the old value or the new one, never a mix. The lock
/// file names its owner for as long as it exists; a lock whose owner
/// died on this host is broken and reported to `observeBrokenLocks`'s
/// observer, any other is waited on up to `lockWaitSeconds` (not at all
/// once it is `staleLockSeconds` old) and then reported with its holder.
public final class FileRefStore: RefStore, Sendable {
    /// The repository folder (`.rocky`).
    public let root: String
    /// How the file holding a ref's next value is named until it is renamed over the ref.
    public static let newValuePrefix = ".new-"
    /// How long a lock may exist before it is reported as left by a crash.
    public let staleLockSeconds: Int
    /// How long to wait for a live lock holder before giving up.
    public let lockWaitSeconds: Double
    private let brokenLockObserver = Mutex<(@Sendable (BrokenLock) -> Void)?>(nil)

    /// Called with each lock this store removed because its owner had died
    /// (the repository records it in the audit log).
    public func observeBrokenLocks(_ observer: @escaping @Sendable (BrokenLock) -> Void) {
        brokenLockObserver.withLock { $0 = observer }
    }

    public init(root: String, staleLockSeconds: Int = 10, lockWaitSeconds: Double = 10) {
        self.root = root
        self.staleLockSeconds = staleLockSeconds
        self.lockWaitSeconds = lockWaitSeconds
    }

    private func file(_ ref: RefName) -> String { root + "/" + ref.path }

    public func read(_ ref: RefName) throws -> ObjectID? {
        try readID(at: file(ref), name: ref.path)
    }

    private func readID(at path: String, name: String) throws -> ObjectID? {
        if FileSystem.isDirectory(path) { return nil }
        let bytes: [UInt8]
        do {
            bytes = try FileSystem.readAll(path)
        } catch let StoreError.io(_, _, code) where code == ENOENT {
            return nil
        }
        let text = String(decoding: bytes, as: UTF8.self)
        guard text.hasSuffix("\n"), let id = ObjectID(hex: text.dropLast()) else {
            throw StoreError.malformed(path: path, reason: "a ref holds 64 hex digits and a newline")
        }
        return id
    }

    public func update(_ ref: RefName, from expected: ObjectID?, to new: ObjectID?, note: RefNote) throws {
        try update([RefChange(ref, from: expected, to: new)], note: note)
    }

    /// Takes the locks of every ref in name order (so two transactions never
    /// wait on each other), checks them all, then applies the changes in the
    /// order given, each by the single-ref protocol.
    public func update(_ changes: [RefChange], note: RefNote) throws {
        precondition(Set(changes.map(\.ref)).count == changes.count, "a ref appears twice in one update")
        for change in changes {
            let target = file(change.ref)
            try prepareParent(of: target, for: change.ref)
            if FileSystem.isDirectory(target) {
                throw StoreError.invalidRefName(change.ref.path, reason: "refs below \(change.ref.path)/ exist, so it cannot be a ref itself")
            }
        }
        var held: [RefName: HeldLock] = [:]
        defer { for lock in held.values { release(lock) } }
        for change in changes.sorted(by: { $0.ref < $1.ref }) {
            held[change.ref] = try lock(file(change.ref), name: change.ref.path)
        }
        for change in changes {
            let current = try read(change.ref)
            guard current == change.expected else {
                throw StoreError.refMoved(ref: change.ref.path, expected: change.expected, actual: current)
            }
        }
        for change in changes where change.new != change.expected {
            let target = file(change.ref)
            let entry = ReflogEntry(old: change.expected, new: change.new, note: note)
            if let new = change.new {
                try appendReflog(change.ref.path, entry)
                try FileSystem.replaceFile(target, with: Array((new.hex + "\n").utf8), temporaryPrefix: FileRefStore.newValuePrefix, mode: 0o644)
            } else {
                try appendReflog(change.ref.path, entry)
                try FileSystem.unlink(target)
            }
            try FileSystem.fsyncDirectory(FileSystem.parentDirectory(target))
        }
    }

    /// Creates the folders a new ref needs; a ref that exists where a folder
    /// is needed (`a` when creating `a/b`) is a clear error.
    private func prepareParent(of target: String, for ref: RefName) throws {
        try FileSystem.refuseSymbolicLinks(target, below: root)
        var folder = FileSystem.parentDirectory(target)
        while folder.count > root.count {
            if FileSystem.exists(folder) && !FileSystem.isDirectory(folder) {
                let existing = String(folder.dropFirst(root.count + 1))
                throw StoreError.invalidRefName(ref.path, reason: "\(existing) exists, so no ref can live below it")
            }
            folder = FileSystem.parentDirectory(folder)
        }
        try FileSystem.makeDirectories(FileSystem.parentDirectory(target))
    }

    /// A lock file this process created, open.
    private struct HeldLock {
        let fd: Int32
        let path: String
    }

    /// Takes `<path>.lock` (see `LockFile.acquire`), and tells the observer
    /// about any lock it broke.
    private func lock(_ path: String, name: String) throws -> HeldLock {
        var broken: [BrokenLock] = []
        let fd = try LockFile.acquire(path + ".lock", name: name, wait: lockWaitSeconds, staleSeconds: staleLockSeconds,
                                      broken: &broken)
        if !broken.isEmpty, let observer = brokenLockObserver.withLock({ $0 }) {
            for lock in broken { observer(lock) }
        }
        return HeldLock(fd: fd, path: path + ".lock")
    }

    private func release(_ lock: HeldLock) {
        if isSameFile(lock.fd, lock.path) { unlink(lock.path) }
        close(lock.fd)
    }

    /// Takes `<path>.lock`, runs `body`, and removes the lock whatever happens.
    func withLock(_ path: String, name: String, _ body: () throws -> Void) throws {
        let held = try lock(path, name: name)
        defer { release(held) }
        try body()
    }

    /// Whether `path` still names the file open at `fd` (our lock, not a successor's).
    private func isSameFile(_ fd: Int32, _ path: String) -> Bool {
        var a = stat(), b = stat()
        return fstat(fd, &a) == 0 && stat(path, &b) == 0 && a.st_ino == b.st_ino && a.st_dev == b.st_dev
    }

    private func appendReflog(_ name: String, _ entry: ReflogEntry) throws {
        let path = root + "/logs/" + name
        try FileSystem.refuseSymbolicLinks(path, below: root)
        try FileSystem.makeDirectories(FileSystem.parentDirectory(path))
        try FileSystem.withOpenFile(path, O_WRONLY | O_APPEND | O_CREAT) { fd in
            try FileSystem.writeAll(fd, Array(entry.line.utf8), path: path)
            try FileSystem.fsync(fd, path: path)
        }
    }

    public func list(prefix: String) throws -> [(name: RefName, id: ObjectID)] {
        var result: [(name: RefName, id: ObjectID)] = []
        func walk(_ relative: String) throws {
            let path = root + "/" + relative
            for entry in try FileSystem.listDirectory(path) where !entry.hasSuffix(".lock") {
                let child = relative + "/" + entry
                if FileSystem.isDirectory(root + "/" + child) {
                    try walk(child)
                } else if let name = try? RefName(validating: child), name.path.hasPrefix(prefix),
                          let id = try read(name) {
                    result.append((name, id))
                }
            }
        }
        try walk("refs")
        return result.sorted { $0.name < $1.name }
    }

    public func head() throws -> Head {
        let path = root + "/HEAD"
        let text = String(decoding: try FileSystem.readAll(path), as: UTF8.self)
        guard text.hasSuffix("\n") else { throw StoreError.malformed(path: path, reason: "no final newline") }
        let body = text.dropLast()
        if body.hasPrefix("ref: ") { return .branch(try RefName(validating: String(body.dropFirst(5)))) }
        guard let id = ObjectID(hex: body) else {
            throw StoreError.malformed(path: path, reason: "HEAD holds 'ref: <ref>' or a commit id")
        }
        return .detached(id)
    }

    public func setHead(_ head: Head, note: RefNote) throws {
        let path = root + "/HEAD"
        let old = try? resolvedHead()
        try withLock(path, name: "HEAD") {
            let text: String
            let new: ObjectID?
            switch head {
            case let .branch(ref): text = "ref: \(ref.path)\n"; new = try read(ref)
            case let .detached(id): text = id.hex + "\n"; new = id
            }
            try appendReflog("HEAD", ReflogEntry(old: old ?? nil, new: new, note: note))
            try FileSystem.replaceFile(path, with: Array(text.utf8), temporaryPrefix: FileRefStore.newValuePrefix, mode: 0o644)
            try FileSystem.fsyncDirectory(root)
        }
    }

    private func resolvedHead() throws -> ObjectID? {
        switch try head() {
        case let .branch(ref): try read(ref)
        case let .detached(id): id
        }
    }

    public func reflog(_ name: String) throws -> [ReflogEntry] {
        let path = root + "/logs/" + name
        guard FileSystem.exists(path) else { return [] }
        let text = String(decoding: try FileSystem.readAll(path), as: UTF8.self)
        var entries: [ReflogEntry] = []
        for (number, line) in text.split(separator: "\n").enumerated() {
            guard let entry = ReflogEntry(line: line) else {
                throw StoreError.malformed(path: path, reason: "line \(number + 1) is not a reflog entry")
            }
            entries.append(entry)
        }
        return entries
    }
}
