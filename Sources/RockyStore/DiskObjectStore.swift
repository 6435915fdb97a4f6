import Glibc
import Synchronization

/// Objects on disk: loose zlib-compressed files at `objects/<2 hex>/<62 hex>`,
/// and packs in `objects/pack/` (see `PackIndex`).
///
/// A single write compresses into a temporary file in `objects/`, fsyncs it,
/// renames it into place and fsyncs the folder, so a reader sees either no
/// object or a complete one, and a crash leaves at worst a `tmp-*` file that
/// is not an object. Inside `batch`, objects are appended to one temporary
/// pack instead; when the batch ends the pack and then its index are fsynced
/// and renamed into place, so the batch's objects appear together, complete.
/// A batch that throws removes its temporary pack: nothing it wrote becomes
/// an object.
///
/// Writing an object that is stored already *freshens* it: the loose file's,
/// or the pack's, modification time becomes now (a pack at most once per
/// batch), so that `gc`, which only removes unreachable objects older than
/// its grace period, keeps an object a writer has just reused. A writer also
/// holds `objects/gc.lock` shared from its first write until the store is
/// released (see `SharedFileLock`).
public final class DiskObjectStore: ObjectStore, Sendable {
    /// The `objects` folder.
    public let directory: String
    private let batchState = Mutex(BatchState())
    private let packs = Mutex(PackCache())
    private let recent = Mutex(RecentObjects())

    /// Small objects read lately (commits, trees, tables, schemas): one
    /// command reads the same few commits many times over (resolving a
    /// revision, checking access, walking history), and an object never
    /// changes. Chunks and index nodes are larger than `maxSize`.
    private struct RecentObjects {
        static let maxSize = 1024
        static let limit = 256
        var objects: [ObjectID: StoredObject] = [:]
        var order = FIFO<ObjectID>()

        mutating func remember(_ id: ObjectID, _ object: StoredObject) {
            guard object.payload.count <= Self.maxSize, objects.updateValue(object, forKey: id) == nil else { return }
            order.append(id)
            while objects.count > Self.limit, let old = order.popFirst() { objects[old] = nil }
        }
    }

    /// The pack indexes this process has read, the folder state they match,
    /// and an open descriptor per pack.
    private struct PackCache {
        var indexes: [String: PackIndex] = [:]
        var scanned = false
        /// The pack folder's (mtime, ctime) at the last scan: a pack added or
        /// removed changes them, so an unchanged folder needs no new listing.
        var stamp: (Int, Int, Int, Int)?
        var descriptors: [String: PackHandle] = [:]
    }

    /// An open pack, closed when the last reader lets go of it: a pack
    /// dropped from the cache (gc removed it) while another thread reads
    /// it stays open for that read, and its descriptor number is never
    /// reused under it.
    final class PackHandle: Sendable {
        let fd: Int32
        init(_ fd: Int32) { self.fd = fd }
        deinit { close(fd) }
    }
    let writeGuard: SharedFileLock
    let collectorExclusion: SharedFileLock

    private struct BatchState {
        var depth = 0
        /// The pack the current batch writes.
        var writer: PackWriter?
        /// Packs this batch has freshened already.
        var freshenedPacks: Set<String> = []
        /// The small objects this batch wrote, as `RecentObjects` keeps
        /// them: reading one back (a merge reads the table objects it just
        /// wrote) would otherwise wait for everything queued before it to
        /// be compressed.
        var small: [ObjectID: StoredObject] = [:]
    }

    public init(directory: String) {
        self.directory = directory
        writeGuard = SharedFileLock(path: directory + "/" + SharedFileLock.writeGuardName)
        collectorExclusion = SharedFileLock(path: directory + "/" + SharedFileLock.collectorExclusionName)
    }

    var packFolder: String { directory + "/pack" }

    /// The packs' indexes, reloaded from the folder when `refresh` (another
    /// process may have added a pack since, or `gc` removed one).
    func packIndexes(refresh: Bool = false) -> [PackIndex] {
        packs.withLock { cache in
            if refresh || !cache.scanned {
                var st = stat()
                let stamp = stat(packFolder, &st) == 0
                    ? (st.st_mtim.tv_sec, st.st_mtim.tv_nsec, st.st_ctim.tv_sec, st.st_ctim.tv_nsec) : (0, 0, 0, 0)
                if !cache.scanned || cache.stamp.map({ $0 != stamp }) ?? true {
                    cache.scanned = true
                    // A folder changed in the last few milliseconds may change
                    // again within the same clock tick, leaving its stamp as
                    // it is now: such a stamp is not trusted next time.
                    var now = timespec()
                    clock_gettime(CLOCK_REALTIME, &now)
                    let recent = (now.tv_sec - stamp.0) * 1_000_000_000 + (now.tv_nsec - stamp.1) < 50_000_000
                    cache.stamp = recent ? nil : stamp
                    let names = Set(((try? FileSystem.listDirectory(packFolder)) ?? []).filter { $0.hasSuffix(".idx") })
                    for name in cache.indexes.keys where !names.contains(name) {
                        if let index = cache.indexes[name] { cache.descriptors[index.packPath] = nil }
                        cache.indexes[name] = nil
                    }
                    for name in names where cache.indexes[name] == nil {
                        if let index = try? PackIndex(indexPath: packFolder + "/" + name) { cache.indexes[name] = index }
                    }
                }
            }
            return Array(cache.indexes.values)
        }
    }

    /// An open pack, kept for later reads.
    private func packHandle(_ pack: String) throws -> PackHandle {
        if let handle = packs.withLock({ $0.descriptors[pack] }) { return handle }
        let handle = PackHandle(try FileSystem.open(pack, O_RDONLY))
        return packs.withLock { cache in
            if let existing = cache.descriptors[pack] { return existing }
            cache.descriptors[pack] = handle
            return handle
        }
    }

    /// Forgets a pack's descriptor (the pack was removed or replaced); it
    /// closes once no read holds it.
    private func dropDescriptor(_ pack: String) {
        packs.withLock { $0.descriptors[pack] = nil }
    }

    /// Where a packed object is: its pack and span, looking again on a miss.
    /// The pack holding the object, looking again at the folder when the
    /// packs known do not (unless `lookAgain` is false).
    func packed(_ id: ObjectID, lookAgain: Bool = true) -> (String, (offset: Int, length: Int))? {
        for refresh in lookAgain ? [false, true] : [false] {
            for index in packIndexes(refresh: refresh) {
                if let span = index.find(id) { return (index.packPath, span) }
            }
        }
        return nil
    }

    /// The path at which the object is (or would be) stored.
    public func path(of id: ObjectID) -> String {
        let hex = id.hex
        return directory + "/" + hex.prefix(2) + "/" + hex.dropFirst(2)
    }

    /// The batch's pack writer when it holds the object.
    private func pendingWriter(_ id: ObjectID) -> PackWriter? {
        batchState.withLock { state in state.writer.flatMap { $0.contains(id) ? $0 : nil } }
    }

    public func contains(_ id: ObjectID) -> Bool {
        if pendingWriter(id) != nil { return true }
        // Packs first: a lookup in memory, where a loose file costs a stat.
        for index in packIndexes() where index.find(id) != nil { return true }
        return FileSystem.exists(path(of: id)) || packed(id) != nil
    }

    /// Whether the object is stored already; if so its loose file, or its
    /// pack (once per batch), gets a new modification time, so that a `gc`
    /// running now keeps it. A file that vanished meanwhile (`gc` removed
    /// it) counts as absent: the caller writes the object again.
    private func freshen(_ id: ObjectID) -> Bool {
        if pendingWriter(id) != nil { return true }
        let loose = path(of: id)
        if utimensat(AT_FDCWD, loose, nil, AT_SYMLINK_NOFOLLOW) == 0 { return true }
        // Not ours to touch (a read-only or shared store): it exists, unfreshened.
        if errno != ENOENT && FileSystem.exists(loose) { return true }
        // Only the packs known: a write does not list the pack folder again
        // for every new object (a pack published meanwhile by another process
        // can only make this a duplicate, which is harmless).
        for _ in 0..<3 {
            guard let (pack, _) = packed(id, lookAgain: false) else { return false }
            if batchState.withLock({ $0.depth > 0 && $0.freshenedPacks.contains(pack) }) { return true }
            if utimensat(AT_FDCWD, pack, nil, AT_SYMLINK_NOFOLLOW) == 0 {
                batchState.withLock { if $0.depth > 0 { $0.freshenedPacks.insert(pack) } }
                return true
            }
            if errno != ENOENT { return true }
            _ = packIndexes(refresh: true)
        }
        return false
    }

    // MARK: Writing

    @discardableResult
    public func write(_ kind: ObjectKind, _ payload: [UInt8]) throws -> ObjectID {
        let id = objectID(kind, payload)
        try write(kind, payload, id: id)
        return id
    }

    @discardableResult
    public func write(_ kind: ObjectKind, _ payload: [UInt8], id: ObjectID) throws -> Bool {
        let header = objectHeader(kind, payload.count)
        writeGuard.holdShared()
        if freshen(id) { return false }
        if let writer = batchState.withLock({ state -> PackWriter? in
            if state.writer != nil, payload.count <= RecentObjects.maxSize {
                state.small[id] = StoredObject(kind: kind, payload: payload)
            }
            return state.writer
        }) {
            try writer.add(id, header: header, payload: payload, level: Zlib.level(for: kind))
            return true
        }
        let temp = try writeTemporary(level: Zlib.level(for: kind)) { deflater in
            try header.withUnsafeBytes { try deflater.feed($0) }
            try payload.withUnsafeBytes { try deflater.feed($0) }
        }
        try publish(temp, as: id)
        return true
    }

    @discardableResult
    public func write(_ kind: ObjectKind, size: Int, produce: () throws -> [UInt8]) throws -> ObjectID {
        let header = objectHeader(kind, size)
        let hasher = SHA256()
        hasher.update(header)
        var written = 0
        let temp = try writeTemporary { deflater in
            try header.withUnsafeBytes { try deflater.feed($0) }
            while true {
                let piece = try produce()
                if piece.isEmpty { break }
                written += piece.count
                guard written <= size else { break }
                hasher.update(piece)
                try piece.withUnsafeBytes { try deflater.feed($0) }
            }
        }
        guard written == size else {
            try? FileSystem.unlink(temp)
            throw StoreError.malformed(path: temp, reason: "streamed payload has \(written) bytes, \(size) were announced")
        }
        let id = ObjectID(bytes: hasher.finish())
        writeGuard.holdShared()
        if freshen(id) {
            try FileSystem.unlink(temp)
            return id
        }
        try publish(temp, as: id)
        return id
    }

    /// Compresses what `fill` feeds into a new temporary file, fsyncs it and
    /// returns its path (a loose object's first step; `publish` renames it).
    private func writeTemporary(level: Int32 = Zlib.level, _ fill: (Deflater) throws -> Void) throws -> String {
        let temp = directory + "/" + FileSystem.temporaryName("tmp-")
        let fd = try FileSystem.open(temp, O_WRONLY | O_CREAT | O_EXCL, mode: 0o444)
        do {
            defer { close(fd) }
            var buffered: [UInt8] = []
            buffered.reserveCapacity(256 * 1024)
            let deflater = Deflater(level: level) { piece in
                buffered.append(contentsOf: piece)
                if buffered.count >= 256 * 1024 {
                    try FileSystem.writeAll(fd, buffered, path: temp)
                    buffered.removeAll(keepingCapacity: true)
                }
            }
            try fill(deflater)
            try deflater.finish()
            try FileSystem.writeAll(fd, buffered, path: temp)
            try FileSystem.fsync(fd, path: temp)
        } catch {
            try? FileSystem.unlink(temp)
            throw error
        }
        return temp
    }

    /// Moves a complete temporary file to the object's path.
    private func publish(_ temp: String, as id: ObjectID) throws {
        let final = path(of: id)
        let folder = FileSystem.parentDirectory(final)
        try FileSystem.makeDirectories(folder, below: directory)
        try FileSystem.rename(temp, final)
        try FileSystem.fsyncDirectory(folder)
    }

    public func batch<R>(_ body: () throws -> R) throws -> R {
        writeGuard.holdShared()
        let outermost = batchState.withLock { state -> Bool in
            state.depth += 1
            return state.depth == 1
        }
        if outermost {
            do {
                try FileSystem.makeDirectories(packFolder, below: directory)
                let writer = try PackWriter(folder: packFolder)
                batchState.withLock { $0.writer = writer }
            } catch {
                batchState.withLock { $0.depth -= 1 }
                throw error
            }
        }
        let result: R
        do {
            result = try body()
        } catch {
            if let writer = endBatch() {
                _ = try? writer.drain()
                try? FileSystem.unlink(writer.temporaryPath)
            }
            throw error
        }
        guard let writer = endBatch() else { return result }
        do {
            try publish(writer)
        } catch {
            try? FileSystem.unlink(writer.temporaryPath)
            throw error
        }
        return result
    }

    /// Leaves a batch level; returns the writer when the outermost ends.
    private func endBatch() -> PackWriter? {
        batchState.withLock { state in
            state.depth -= 1
            guard state.depth == 0 else { return nil }
            defer { state.writer = nil; state.freshenedPacks = []; state.small = [:] }
            return state.writer
        }
    }

    /// Makes a batch's pack durable and visible: pack fsynced and renamed,
    /// then its index written, fsynced and renamed, then the folder fsynced.
    private func publish(_ writer: PackWriter) throws {
        let written = try writer.drain()
        guard !written.isEmpty else {
            try FileSystem.unlink(writer.temporaryPath)
            return
        }
        let entries = written.map { (id: $0.key, offset: $0.value.offset, length: $0.value.length) }.sorted { $0.id < $1.id }
        let index = PackIndex.encode(entries)
        try FileSystem.withOpenFile(writer.temporaryPath, O_RDONLY) { try FileSystem.fsync($0, path: writer.temporaryPath) }
        _ = try PackBuilder.publish(pack: writer.temporaryPath, index: index, in: packFolder) { try PackBuilder.writeIndex(index, as: $0) }
        _ = packIndexes(refresh: true)
    }

    // MARK: Reading

    /// Reads a span of a pack into a fresh (not zero-filled) buffer; nil when short.
    static func readSpan(_ fd: Int32, _ span: (offset: Int, length: Int)) -> [UInt8]? {
        var complete = false
        let out = [UInt8](unsafeUninitializedCapacity: span.length) { buffer, count in
            var filled = 0
            while filled < span.length {
                let n = pread(fd, buffer.baseAddress! + filled, span.length - filled, off_t(span.offset + filled))
                if n > 0 { filled += n } else if n < 0 && errno == EINTR { continue } else { break }
            }
            complete = filled == span.length
            count = filled
        }
        return complete ? out : nil
    }

    /// The object's zlib stream: a loose file's whole content, or a span of a pack.
    func compressedBytes(_ id: ObjectID) throws -> [UInt8] {
        if let bytes = try packedBytes(id) { return bytes }
        do {
            return try FileSystem.readAll(path(of: id))
        } catch let StoreError.io(_, _, code) where code == ENOENT {
            // `gc` may have moved the object into a new pack and removed the
            // one this process knew: look again once.
            for attempt in 0..<2 {
                guard let (pack, span) = packed(id) else { break }
                let fd: Int32
                do {
                    fd = try FileSystem.open(pack, O_RDONLY)
                } catch let StoreError.io(_, _, code) where code == ENOENT && attempt == 0 {
                    _ = packIndexes(refresh: true)
                    continue
                }
                defer { close(fd) }
                guard let out = Self.readSpan(fd, span) else { throw StoreError.corruptObject(id, reason: "its pack \(pack) is truncated") }
                return out
            }
            throw StoreError.objectNotFound(id.hex)
        }
    }

    /// The object's zlib stream when the current batch or a known pack holds
    /// it; nil when it is not there (loose, or a pack read failed: the
    /// caller falls back to `compressedBytes`, which looks again).
    private func packedBytes(_ id: ObjectID) throws -> [UInt8]? {
        if let writer = pendingWriter(id), let bytes = try writer.compressed(id) { return bytes }
        for index in packIndexes() {
            guard let span = index.find(id) else { continue }
            if let handle = try? packHandle(index.packPath),
               let out = withExtendedLifetime(handle, { Self.readSpan(handle.fd, span) }) { return out }
            dropDescriptor(index.packPath)
            return nil
        }
        return nil
    }

    private func openObject(_ id: ObjectID) throws -> (Int32, String)? {
        let file = path(of: id)
        do {
            return (try FileSystem.open(file, O_RDONLY), file)
        } catch let StoreError.io(_, _, code) where code == ENOENT {
            return nil
        }
    }

    /// Reads the object's whole stream, inflates it into the payload's own
    /// array and checks its hash (`WholeInflation`).
    public func read(_ id: ObjectID) throws -> StoredObject {
        if let known = recent.withLock({ $0.objects[id] }) ?? batchState.withLock({ $0.small[id] }) { return known }
        let stored = try compressedBytes(id)
        do {
            let (header, kind, payload) = try stored.withUnsafeBytes { try WholeInflation.inflate($0) }
            let hasher = SHA256()
            hasher.update(header)
            hasher.update(payload)
            try ObjectReader.check(hasher, against: id)
            let object = StoredObject(kind: kind, payload: payload)
            recent.withLock { $0.remember(id, object) }
            return object
        } catch let failure as WholeInflation.Failure {
            throw StoreError.corruptObject(id, reason: failure.reason)
        }
    }

    @discardableResult
    public func stream(_ id: ObjectID, _ consume: (UnsafeRawBufferPointer) throws -> Void) throws -> ObjectKind {
        let reader = ObjectReader(id: id)
        // Packed (the common case) first; a loose object streams from its file.
        let packed = try packedBytes(id)
        guard packed == nil, let (fd, file) = try openObject(id) else {
            let bytes = try packed ?? compressedBytes(id)
            try bytes.withUnsafeBytes { try reader.feed($0, consume) }
            return try reader.finish()
        }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 256 * 1024)
        while true {
            let n = try buffer.withUnsafeMutableBytes { try FileSystem.read(fd, into: $0, path: file) }
            if n == 0 { break }
            try buffer.withUnsafeBytes { raw in
                try reader.feed(UnsafeRawBufferPointer(rebasing: raw[..<n]), consume)
            }
        }
        return try reader.finish()
    }

    public func header(_ id: ObjectID) throws -> (kind: ObjectKind, size: Int) {
        let reader = ObjectReader(id: id)
        let packed = try packedBytes(id)
        guard packed == nil, let (fd, file) = try openObject(id) else {
            let bytes = try packed ?? compressedBytes(id)
            do {
                try bytes.withUnsafeBytes { raw in
                    try reader.feed(raw) { _ in throw ObjectReader.HeaderComplete() }
                }
            } catch is ObjectReader.HeaderComplete {}
            guard let header = reader.parsedHeader else { _ = try reader.finish(); throw StoreError.corruptObject(id, reason: "no header") }
            return header
        }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 512)
        while reader.parsedHeader == nil {
            let n = try buffer.withUnsafeMutableBytes { try FileSystem.read(fd, into: $0, path: file) }
            if n == 0 { _ = try reader.finish() }
            do {
                try buffer.withUnsafeBytes { raw in
                    try reader.feed(UnsafeRawBufferPointer(rebasing: raw[..<n])) { _ in
                        throw ObjectReader.HeaderComplete()
                    }
                }
            } catch is ObjectReader.HeaderComplete {}
        }
        return reader.parsedHeader!
    }

    // MARK: Listing

    public func ids(withPrefix prefix: String) throws -> [ObjectID] {
        let folders = prefix.count >= 2
            ? [String(prefix.prefix(2))]
            : try FileSystem.listDirectory(directory).filter { $0.utf8.count == 2 && $0.hasPrefix(prefix) }
        var result: [ObjectID] = []
        for folder in folders {
            for name in try FileSystem.listDirectory(directory + "/" + folder) {
                let hex = folder + name
                if hex.hasPrefix(prefix), let id = ObjectID(hex: hex) { result.append(id) }
            }
        }
        let pending = batchState.withLock { $0.writer?.ids ?? [] }
        result += pending.filter { $0.hex.hasPrefix(prefix) }
        for index in packIndexes(refresh: true) {
            result += index.ids(withPrefix: prefix)
        }
        return Array(Set(result)).sorted()
    }
}

/// Inflates an object file fed in pieces, parses its header, hashes the
/// content and checks the id, size and end of stream.
final class ObjectReader {
    struct HeaderComplete: Error {}

    let id: ObjectID
    private let inflater = Inflater()
    private let hasher = SHA256()
    private var headerBytes: [UInt8] = []
    private(set) var parsedHeader: (kind: ObjectKind, size: Int)?
    private var payloadCount = 0

    init(id: ObjectID) { self.id = id }

    func feed(_ compressed: UnsafeRawBufferPointer, _ consume: (UnsafeRawBufferPointer) throws -> Void) throws {
        do {
            try inflater.feed(compressed) { piece in
                var rest = piece
                if parsedHeader == nil {
                    headerBytes.append(contentsOf: piece)
                    switch parseObjectHeader(headerBytes) {
                    case .incomplete: return
                    case let .malformed(reason): throw StoreError.corruptObject(id, reason: reason)
                    case let .complete(kind, size, length):
                        parsedHeader = (kind, size)
                        hasher.update(Array(headerBytes[..<length]))
                        let consumedFromPiece = piece.count - (headerBytes.count - length)
                        rest = UnsafeRawBufferPointer(rebasing: piece[consumedFromPiece...])
                        headerBytes = []
                    }
                }
                guard rest.count > 0 else { return }
                payloadCount += rest.count
                if let size = parsedHeader?.size, payloadCount > size {
                    throw StoreError.corruptObject(id, reason: "payload is longer than its header says (\(size) bytes)")
                }
                hasher.update(rest)
                try consume(rest)
            }
        } catch let failure as Inflater.Failure {
            throw StoreError.corruptObject(id, reason: failure.description)
        }
    }

    func finish() throws -> ObjectKind {
        guard inflater.isFinished else { throw StoreError.corruptObject(id, reason: "the zlib stream is truncated") }
        guard let (kind, size) = parsedHeader else { throw StoreError.corruptObject(id, reason: "no header") }
        guard payloadCount == size else {
            throw StoreError.corruptObject(id, reason: "payload has \(payloadCount) bytes, its header says \(size)")
        }
        try ObjectReader.check(hasher, against: id)
        return kind
    }

    /// Throws `corruptObject` unless what `hasher` hashed (header and payload) is `id`.
    static func check(_ hasher: SHA256, against id: ObjectID) throws {
        let actual = ObjectID(bytes: hasher.finish())
        guard actual == id else { throw StoreError.corruptObject(id, reason: "its content hashes to \(actual.hex)") }
    }
}
