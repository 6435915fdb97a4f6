import Glibc

/// Refs as files under a repository folder, in git's layout: `HEAD`,
/// `refs/heads/<name>` holding 64 hex digits and a newline, and reflogs at
/// `logs/<ref>`.
///
/// Calling sequence of an update (git's lockfile protocol): create
/// `<ref>.lock` with `O_CREAT|O_EXCL` (the lock), read the ref and compare
/// with the expected id, write the new id into the lock file and fsync it,
/// append and fsync the reflog entry, rename the lock over the ref and fsync
/// the folder. Readers see the old value or the new one, never a mix. A lock
/// that stays for `staleLockSeconds` is reported as stale rather than waited on.
public final class FileRefStore: RefStore, Sendable {
    /// The repository folder (`.rocky`).
    public let root: String
    /// How long a lock may exist before it is reported as left by a crash.
    public let staleLockSeconds: Int
    /// How long to wait for a live lock holder before giving up.
    public let lockWaitSeconds: Double

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
        let target = file(ref)
        try prepareParent(of: target, for: ref)
        if FileSystem.isDirectory(target) {
            throw StoreError.invalidRefName(ref.path, reason: "refs below \(ref.path)/ exist, so it cannot be a ref itself")
        }
        try withLock(target, name: ref.path) { lockFD, lockPath in
            let current = try read(ref)
            guard current == expected else {
                throw StoreError.refMoved(ref: ref.path, expected: expected, actual: current)
            }
            let entry = ReflogEntry(old: current, new: new, note: note)
            if let new {
                try FileSystem.writeAll(lockFD, Array((new.hex + "\n").utf8), path: lockPath)
                try FileSystem.fsync(lockFD, path: lockPath)
                try appendReflog(ref.path, entry)
                try FileSystem.rename(lockPath, target)
                try FileSystem.fsyncDirectory(FileSystem.parentDirectory(target))
                return true
            }
            try appendReflog(ref.path, entry)
            try FileSystem.unlink(target)
            try FileSystem.fsyncDirectory(FileSystem.parentDirectory(target))
            return false
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

    /// Takes `<path>.lock` and runs `body` with it. `body` returns true when it
    /// renamed the lock into place; otherwise, or when it throws, the lock is
    /// removed. (Never remove it after a rename: by then the name may be
    /// another process's lock.)
    func withLock(_ path: String, name: String, _ body: (Int32, String) throws -> Bool) throws {
        let lockPath = path + ".lock"
        var waited = 0.0
        var pause = 0.0005
        var fd: Int32 = -1
        while true {
            fd = Glibc.open(lockPath, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0o644)
            if fd >= 0 { break }
            if errno == ELOOP { throw StoreError.unsafePath(lockPath, reason: FileSystem.symbolicLinkReason) }
            guard errno == EEXIST else { throw StoreError.io(path: lockPath, operation: "create lock", errno: errno) }
            let age = FileSystem.age(lockPath) ?? 0
            if age >= staleLockSeconds || waited >= lockWaitSeconds {
                throw StoreError.refLocked(ref: name, lockPath: lockPath, ageSeconds: age)
            }
            usleep(UInt32(pause * 1_000_000))
            waited += pause
            pause = min(pause * 2, 0.05)
        }
        let renamed: Bool
        do {
            renamed = try body(fd, lockPath)
        } catch {
            if isSameFile(fd, lockPath) { try? FileSystem.unlink(lockPath) }
            close(fd)
            throw error
        }
        close(fd)
        if !renamed { try FileSystem.unlink(lockPath) }
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
        try withLock(path, name: "HEAD") { fd, lockPath in
            let text: String
            let new: ObjectID?
            switch head {
            case let .branch(ref): text = "ref: \(ref.path)\n"; new = try read(ref)
            case let .detached(id): text = id.hex + "\n"; new = id
            }
            try FileSystem.writeAll(fd, Array(text.utf8), path: lockPath)
            try FileSystem.fsync(fd, path: lockPath)
            try appendReflog("HEAD", ReflogEntry(old: old ?? nil, new: new, note: note))
            try FileSystem.rename(lockPath, path)
            try FileSystem.fsyncDirectory(root)
            return true
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
