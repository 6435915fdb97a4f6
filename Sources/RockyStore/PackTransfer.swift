import Dispatch
import Glibc
import Synchronization

/// Builds a pack from objects that are already compressed, exactly as
/// another store (or a pack being rewritten) holds them: fetch, push and gc
/// copy zlib streams without inflating and deflating again. The caller
/// verifies each object before appending it.
///
/// The pack is written under a temporary name in `objects/pack/`; `publish`
/// fsyncs it, renames it into place, then writes, fsyncs and renames its
/// index, and fsyncs the folder (the order of `DiskObjectStore.batch`), so its
/// objects appear together and durable. `discard` (or a failed publish)
/// removes the temporary file: nothing becomes an object.
public final class PackBuilder {
    let folder: String
    let temporaryPath: String
    private let fd: Int32
    private var buffer: [UInt8] = []
    private var offset = 0
    private var entries: [ObjectID: (offset: Int, length: Int)] = [:]
    private var finished = false

    /// A builder for the store's pack folder.
    public convenience init(store: DiskObjectStore) throws {
        try self.init(folder: store.packFolder, below: store.directory)
    }

    /// A builder for `folder`, which must not be (or lie below `root` behind) a symbolic link.
    init(folder: String, below root: String) throws {
        self.folder = folder
        try FileSystem.makeDirectories(folder, below: root)
        temporaryPath = folder + "/" + FileSystem.temporaryName("tmp-pack-")
        fd = try FileSystem.open(temporaryPath, O_WRONLY | O_CREAT | O_EXCL, mode: 0o444)
        buffer = PackIndex.packMagic
        buffer.reserveCapacity(1 << 20)
        offset = buffer.count
    }

    deinit {
        close(fd)
        if !finished { unlink(temporaryPath) }
    }

    public var count: Int { entries.count }
    public var bytes: Int { offset }
    public func contains(_ id: ObjectID) -> Bool { entries[id] != nil }

    /// Appends one object's zlib stream (ignored when already appended).
    public func append(_ id: ObjectID, stored: UnsafeRawBufferPointer) throws {
        guard entries[id] == nil else { return }
        entries[id] = (offset, stored.count)
        offset += stored.count
        if buffer.count + stored.count > 1 << 20 { try flush() }
        if stored.count >= 1 << 20 {
            try FileSystem.writeAll(fd, stored, path: temporaryPath)
        } else {
            buffer.append(contentsOf: stored)
        }
    }

    public func append(_ id: ObjectID, stored: [UInt8]) throws {
        try stored.withUnsafeBytes { try append(id, stored: $0) }
    }

    private func flush() throws {
        try FileSystem.writeAll(fd, buffer, path: temporaryPath)
        buffer.removeAll(keepingCapacity: true)
    }

    /// Makes the pack durable and visible; returns its name, or nil when
    /// nothing was appended (the temporary file is removed).
    @discardableResult
    public func publish() throws -> String? {
        defer { finished = true }
        do {
            guard !entries.isEmpty else {
                try FileSystem.unlink(temporaryPath)
                return nil
            }
            try flush()
            try FileSystem.fsync(fd, path: temporaryPath)
            let sorted = entries.map { (id: $0.key, offset: $0.value.offset, length: $0.value.length) }.sorted { $0.id < $1.id }
            let index = PackIndex.encode(sorted)
            return try PackBuilder.publish(pack: temporaryPath, index: index, in: folder) { try PackBuilder.writeIndex(index, as: $0) }
        } catch {
            try? FileSystem.unlink(temporaryPath)
            throw error
        }
    }

    /// Removes the temporary pack.
    public func discard() {
        finished = true
        try? FileSystem.unlink(temporaryPath)
    }

    /// Makes a durable temporary pack visible under its name (the hash of
    /// `index`): the pack is renamed into place, then `placeIndex` puts the
    /// index beside it, then the folder is fsynced. A pack is visible once
    /// its index exists; when placing the index fails, the renamed pack is
    /// removed again (unless an index for it exists already: the same pack
    /// was published before), so no pack without an index is left behind.
    /// A crash between the two steps leaves one, which `temporaryFiles`
    /// lists for gc.
    static func publish(pack temporaryPack: String, index: [UInt8], in folder: String,
                        placeIndex: (String) throws -> Void) throws -> String {
        let name = "pack-" + ObjectID(bytes: SHA256.digest(index)).hex
        let packPath = folder + "/" + name + ".pack", indexPath = folder + "/" + name + ".idx"
        try FileSystem.rename(temporaryPack, packPath)
        do {
            try placeIndex(indexPath)
        } catch {
            if !FileSystem.exists(indexPath) { try? FileSystem.unlink(packPath) }
            throw error
        }
        try FileSystem.fsyncDirectory(folder)
        return name
    }

    static func writeIndex(_ index: [UInt8], as path: String) throws {
        try FileSystem.replaceFile(path, with: index, temporaryPrefix: "tmp-idx-", mode: 0o444)
    }
}

/// Moving whole files between stores: hard links when allowed, copies otherwise.
public enum ObjectFiles {
    /// Hard-links `source` to `destination` (which must not exist) when
    /// `allowLink` and the file system permits it (same file system, and a
    /// file we may link); otherwise copies it. A copy is not fsynced: the
    /// caller makes the destination durable before anything points at it.
    /// Returns true when it linked.
    /// `source` must be a regular file: a symbolic link (or anything else)
    /// throws `unsafePath` and nothing is linked or copied.
    public static func linkOrCopy(_ source: String, to destination: String, allowLink: Bool) throws -> Bool {
        var st = stat()
        guard lstat(source, &st) == 0 else { throw StoreError.io(path: source, operation: "stat", errno: errno) }
        guard (st.st_mode & S_IFMT) == S_IFREG else {
            throw StoreError.unsafePath(source, reason: "it is not a regular file (a symbolic link?); only regular files are linked or copied")
        }
        if allowLink {
            if Glibc.link(source, destination) == 0 { return true }
            let code = errno
            guard [EXDEV, EPERM, EMLINK, ENOTSUP, EACCES].contains(code) else {
                throw StoreError.io(path: destination, operation: "link \(source) to", errno: code)
            }
        }
        try copy(source, to: destination)
        return false
    }

    static func copy(_ source: String, to destination: String) throws {
        try FileSystem.withOpenFile(source, O_RDONLY) { input in
            let output = try FileSystem.open(destination, O_WRONLY | O_CREAT | O_EXCL, mode: 0o444)
            defer { close(output) }
            do {
                var buffer = [UInt8](repeating: 0, count: 1 << 20)
                while true {
                    let n = try buffer.withUnsafeMutableBytes { try FileSystem.read(input, into: $0, path: source) }
                    if n == 0 { break }
                    try buffer.withUnsafeBytes { try FileSystem.writeAll(output, UnsafeRawBufferPointer(rebasing: $0[..<n]), path: destination) }
                }
            } catch {
                try? FileSystem.unlink(destination)
                throw error
            }
        }
    }

    /// Makes everything written to the file system holding `path` durable
    /// (`syncfs(2)`): one call instead of an fsync per file.
    public static func syncFileSystem(of path: String) throws {
        try FileSystem.withOpenFile(path, O_RDONLY) { fd in
            guard systemSyncFS(fd) == 0 else { throw StoreError.io(path: path, operation: "syncfs", errno: errno) }
        }
    }

    public static func fsyncDirectory(_ path: String) throws { try FileSystem.fsyncDirectory(path) }

    /// Throws `unsafePath` when `path`, or a folder between `root` and it,
    /// is a symbolic link (what does not exist yet is fine).
    public static func refuseSymbolicLinks(_ path: String, below root: String) throws {
        try FileSystem.refuseSymbolicLinks(path, below: root)
    }

    /// Creates `path` and its missing parents, refusing a symbolic link among
    /// the folders below `root`.
    public static func makeDirectories(_ path: String, below root: String) throws {
        try FileSystem.makeDirectories(path, below: root)
    }

    /// Replaces a small file whole and durably: a uniquely named temporary
    /// file beside it is written and fsynced, renamed over it, and the
    /// folder fsynced. A crash leaves the old content or the new, never a
    /// mix, and never an empty file.
    public static func replace(_ path: String, with bytes: [UInt8]) throws {
        try FileSystem.replaceFile(path, with: bytes, temporaryPrefix: ".tmp-", mode: 0o644)
        try FileSystem.fsyncDirectory(FileSystem.parentDirectory(path))
    }
}

extension DiskObjectStore {
    /// What `adoptPack` did.
    public struct AdoptedPack: Sendable {
        public let name: String
        public let objects: Int
        public let bytes: Int
        public let linked: Bool
    }

    /// Takes a whole pack of another store into this one: links (or copies)
    /// the pack and its index under temporary names, verifies every object
    /// in it against its id (both cores), and only then renames them into
    /// place. A corrupt object throws `corruptObject` naming it, and nothing
    /// is added.
    public func adoptPack(_ pack: PackFile, allowLink: Bool) throws -> AdoptedPack {
        writeGuard.holdShared()
        try FileSystem.makeDirectories(packFolder, below: directory)
        let tempPack = packFolder + "/" + FileSystem.temporaryName("tmp-pack-")
        let tempIndex = packFolder + "/" + FileSystem.temporaryName("tmp-idx-")
        var published = false
        defer {
            if !published {
                try? FileSystem.unlink(tempPack)
                try? FileSystem.unlink(tempIndex)
            }
        }
        let linked = try ObjectFiles.linkOrCopy(pack.packPath, to: tempPack, allowLink: allowLink)
        _ = try ObjectFiles.linkOrCopy(pack.indexPath, to: tempIndex, allowLink: allowLink)
        let index = try PackIndex(indexPath: tempIndex)
        try DiskObjectStore.verifyPack(at: tempPack, index: index)
        if !linked {
            try FileSystem.withOpenFile(tempPack, O_RDONLY) { try FileSystem.fsync($0, path: tempPack) }
            try FileSystem.withOpenFile(tempIndex, O_RDONLY) { try FileSystem.fsync($0, path: tempIndex) }
        }
        let name = try PackBuilder.publish(pack: tempPack, index: try FileSystem.readAll(tempIndex), in: packFolder) {
            try FileSystem.rename(tempIndex, $0)
        }
        published = true
        _ = packIndexes(refresh: true)
        return AdoptedPack(name: name, objects: index.count, bytes: pack.size, linked: linked)
    }

    /// Checks the magic and every object of a pack against its id, on two
    /// threads (the objects are independent zlib streams).
    static func verifyPack(at path: String, index: PackIndex) throws {
        try index.checkSorted()
        let fd = try FileSystem.open(path, O_RDONLY)
        defer { close(fd) }
        var magic = [UInt8](repeating: 0, count: PackIndex.packMagic.count)
        let n = magic.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, 0) }
        guard n == magic.count, magic == PackIndex.packMagic else { throw StoreError.malformed(path: path, reason: "not a pack") }
        let ids = index.allIDs
        let failure = Mutex<Error?>(nil)
        let slices = 2
        DispatchQueue.concurrentPerform(iterations: slices) { slice in
            var buffer: [UInt8] = []
            var i = slice
            while i < ids.count {
                if failure.withLock({ $0 != nil }) { return }
                let id = ids[i]
                let span = index.find(id)!
                do {
                    if buffer.count < span.length { buffer = [UInt8](repeating: 0, count: span.length) }
                    let got = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, span.length, off_t(span.offset)) }
                    guard got == span.length else { throw StoreError.corruptObject(id, reason: "its pack \(path) is truncated") }
                    _ = try buffer.withUnsafeBytes {
                        try DiskObjectStore.verify(UnsafeRawBufferPointer(rebasing: $0[..<span.length]), as: id, keepPayload: { _ in false })
                    }
                } catch {
                    failure.withLock { if $0 == nil { $0 = error } }
                    return
                }
                i += slices
            }
        }
        if let error = failure.withLock({ $0 }) { throw error }
    }

    /// Links (or copies) every loose object and pack of `source` into this
    /// (empty) store, for `clone`: objects are immutable, so sharing the
    /// files is safe. Copies are verified against their ids; links are the
    /// source's own files, which every read verifies. Nothing is fsynced:
    /// the caller syncs the file system once before pointing refs at them.
    public func copyAll(from source: DiskObjectStore, allowLinks: Bool) throws -> (objects: Int, files: Int, linked: Int, copiedBytes: Int) {
        writeGuard.holdShared()
        var objects = 0, files = 0, linked = 0, copied = 0
        for loose in try source.looseObjects() {
            try FileSystem.refuseSymbolicLinks(loose.path, below: source.directory)
            let target = path(of: loose.id)
            let folder = FileSystem.parentDirectory(target)
            if !FileSystem.isDirectory(folder), mkdir(folder, 0o755) != 0, errno != EEXIST {
                throw StoreError.io(path: folder, operation: "create directory", errno: errno)
            }
            if try ObjectFiles.linkOrCopy(loose.path, to: target, allowLink: allowLinks) {
                linked += 1
            } else {
                copied += loose.size
                let bytes = try FileSystem.readAll(target)
                _ = try bytes.withUnsafeBytes { try DiskObjectStore.verify($0, as: loose.id, keepPayload: { _ in false }) }
            }
            objects += 1
            files += 1
        }
        // Packs by name only: linking needs no look inside them (a copy is verified).
        let names = try FileSystem.listDirectory(source.packFolder).filter { $0.hasPrefix("pack-") && $0.hasSuffix(".idx") }
        if !names.isEmpty { try FileSystem.makeDirectories(packFolder, below: directory) }
        for name in names {
            try FileSystem.refuseSymbolicLinks(source.packFolder + "/" + name, below: source.directory)
            let base = String(name.dropLast(4))
            let packTarget = packFolder + "/" + base + ".pack"
            let indexTarget = packFolder + "/" + name
            if try ObjectFiles.linkOrCopy(source.packFolder + "/" + base + ".pack", to: packTarget, allowLink: allowLinks) {
                linked += 1
            } else {
                copied += FileSystem.status(packTarget).map { Int($0.st_size) } ?? 0
            }
            if try ObjectFiles.linkOrCopy(source.packFolder + "/" + name, to: indexTarget, allowLink: allowLinks) {
                linked += 1
            } else {
                copied += FileSystem.status(indexTarget).map { Int($0.st_size) } ?? 0
                try DiskObjectStore.verifyPack(at: packTarget, index: try PackIndex(indexPath: indexTarget))
            }
            let indexSize = FileSystem.status(indexTarget).map { Int($0.st_size) } ?? 12
            objects += max(0, (indexSize - 12) / 44)
            files += 2
        }
        _ = packIndexes(refresh: true)
        return (objects, files, linked, copied)
    }

    /// Holds `objects/gc.lock` shared (see `SharedFileLock`), for code that adds
    /// objects to this store other than through `write`.
    public func holdWriteGuard() { writeGuard.holdShared() }

    /// Waits for a running `gc` to finish and keeps the next one from
    /// starting until this store is released (see `SharedFileLock`):
    /// for fetch and push, which take an object this store has for complete.
    public func holdCollectorOff() { collectorExclusion.holdShared() }
}

/// glibc's `syncfs(2)`, which its headers declare only under `_GNU_SOURCE`.
@_silgen_name("syncfs")
private func systemSyncFS(_ fd: Int32) -> Int32
