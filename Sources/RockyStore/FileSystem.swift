import Glibc

/// Thin, throwing wrappers over the POSIX calls the stores use. Every error
/// names the path and the operation.
enum FileSystem {
    /// Opens `path`. An open that may write (`O_WRONLY`, `O_RDWR`, `O_CREAT`)
    /// never follows a symbolic link at `path`: it throws `unsafePath`.
    static func open(_ path: String, _ flags: Int32, mode: mode_t = 0o644) throws -> Int32 {
        let writing = flags & (O_WRONLY | O_RDWR | O_CREAT) != 0
        while true {
            let fd = Glibc.open(path, flags | O_CLOEXEC | (writing ? O_NOFOLLOW : 0), mode)
            if fd >= 0 { return fd }
            if writing && errno == ELOOP { throw StoreError.unsafePath(path, reason: symbolicLinkReason) }
            if errno != EINTR { throw StoreError.io(path: path, operation: "open", errno: errno) }
        }
    }

    static let symbolicLinkReason = "it is a symbolic link, and rocky does not write through symbolic links inside a repository; "
        + "remove it ('rocky fsck' lists every one)"

    /// Throws `unsafePath` when `path`, or any folder on the way to it below
    /// `root`, is a symbolic link. `root` itself may be one (a repository may
    /// live below a linked folder); what does not exist yet is fine.
    static func refuseSymbolicLinks(_ path: String, below root: String) throws {
        guard path.hasPrefix(root + "/") else { return }
        var current = root
        for component in path.dropFirst(root.count + 1).split(separator: "/") {
            current += "/" + component
            var st = stat()
            guard lstat(current, &st) == 0 else { return }
            if (st.st_mode & S_IFMT) == S_IFLNK { throw StoreError.unsafePath(current, reason: symbolicLinkReason) }
        }
    }

    /// `makeDirectories`, refusing a symbolic link among the folders below `root`.
    static func makeDirectories(_ path: String, below root: String) throws {
        try refuseSymbolicLinks(path, below: root)
        try makeDirectories(path)
    }

    /// Whether `path` itself is a symbolic link.
    static func isSymbolicLink(_ path: String) -> Bool {
        var st = stat()
        return lstat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFLNK
    }

    /// Runs `body` with a descriptor and closes it whatever happens.
    static func withOpenFile<R>(_ path: String, _ flags: Int32, mode: mode_t = 0o644, _ body: (Int32) throws -> R) throws -> R {
        let fd = try open(path, flags, mode: mode)
        defer { close(fd) }
        return try body(fd)
    }

    static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, path: String) throws {
        var offset = 0
        while offset < bytes.count {
            let n = Glibc.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
            if n < 0 {
                if errno == EINTR { continue }
                throw StoreError.io(path: path, operation: "write", errno: errno)
            }
            offset += n
        }
    }

    static func writeAll(_ fd: Int32, _ bytes: [UInt8], path: String) throws {
        try bytes.withUnsafeBytes { b in try writeAll(fd, b, path: path) }
    }

    /// Reads up to `buffer.count` bytes; 0 means end of file.
    static func read(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer, path: String) throws -> Int {
        while true {
            let n = Glibc.read(fd, buffer.baseAddress, buffer.count)
            if n >= 0 { return n }
            if errno != EINTR { throw StoreError.io(path: path, operation: "read", errno: errno) }
        }
    }

    static func readAll(_ path: String) throws -> [UInt8] {
        let fd = try open(path, O_RDONLY)
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw StoreError.io(path: path, operation: "stat", errno: errno) }
        var capacity = Int(st.st_size) + 1
        var result = [UInt8]()
        while true {
            var filled = result.count
            let more = try [UInt8](unsafeUninitializedCapacity: capacity) { buffer, count in
                if filled > 0 { _ = buffer.initialize(from: result) }
                while filled < capacity {
                    let n = try read(fd, into: UnsafeMutableRawBufferPointer(rebasing: UnsafeMutableRawBufferPointer(buffer)[filled...]), path: path)
                    if n == 0 { break }
                    filled += n
                }
                count = filled
            }
            result = more
            if filled < capacity { return result }
            capacity *= 2
        }
    }

    static func fsync(_ fd: Int32, path: String) throws {
        guard Glibc.fsync(fd) == 0 else { throw StoreError.io(path: path, operation: "fsync", errno: errno) }
    }

    /// Makes a directory's entries (a rename, a new file) durable.
    static func fsyncDirectory(_ path: String) throws {
        let fd = try open(path, O_RDONLY | O_DIRECTORY)
        defer { close(fd) }
        try fsync(fd, path: path)
    }

    /// Writes `bytes` to a new temporary file beside `path` (named with
    /// `temporaryPrefix`), fsyncs it and renames it over `path`; the
    /// temporary file is removed on failure. The folder is not fsynced.
    static func replaceFile(_ path: String, with bytes: [UInt8], temporaryPrefix: String, mode: mode_t) throws {
        let temp = parentDirectory(path) + "/" + temporaryName(temporaryPrefix)
        do {
            try withOpenFile(temp, O_WRONLY | O_CREAT | O_EXCL, mode: mode) { fd in
                try writeAll(fd, bytes, path: temp)
                try fsync(fd, path: temp)
            }
            try rename(temp, path)
        } catch {
            try? unlink(temp)
            throw error
        }
    }

    static func rename(_ from: String, _ to: String) throws {
        guard Glibc.rename(from, to) == 0 else { throw StoreError.io(path: to, operation: "rename \(from) to", errno: errno) }
    }

    static func unlink(_ path: String) throws {
        guard Glibc.unlink(path) == 0 || errno == ENOENT else { throw StoreError.io(path: path, operation: "remove", errno: errno) }
    }

    static func exists(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0
    }

    static func isDirectory(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR
    }

    /// Seconds since the file was last modified, or nil when it does not exist.
    static func age(_ path: String) -> Int? {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return max(0, now.tv_sec - st.st_mtim.tv_sec)
    }

    /// Creates `path` and its missing parents; fsyncs each parent whose
    /// entries changed, so the new directories survive a crash.
    static func makeDirectories(_ path: String) throws {
        if isDirectory(path) { return }
        let parent = parentDirectory(path)
        if parent != path && !parent.isEmpty { try makeDirectories(parent) }
        if mkdir(path, 0o755) != 0 && errno != EEXIST {
            throw StoreError.io(path: path, operation: "create directory", errno: errno)
        }
        guard isDirectory(path) else { throw StoreError.io(path: path, operation: "create directory", errno: ENOTDIR) }
        if !parent.isEmpty { try fsyncDirectory(parent) }
    }

    static func listDirectory(_ path: String) throws -> [String] {
        guard let dir = opendir(path) else {
            if errno == ENOENT { return [] }
            throw StoreError.io(path: path, operation: "list", errno: errno)
        }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(cString: raw.baseAddress!.assumingMemoryBound(to: CChar.self))
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }

    static func parentDirectory(_ path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "" }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    /// A name unique to this process and call, for temporary files.
    static func temporaryName(_ prefix: String) -> String {
        var bytes = [UInt8](repeating: 0, count: 8)
        getentropy(&bytes, 8)
        return prefix + bytes.map { String($0, radix: 16) }.joined() + "-\(getpid())"
    }
}

func systemErrorMessage(_ code: Int32) -> String {
    String(cString: strerror(code))
}
