import Glibc
import Synchronization

/// Objects as zlib-compressed files at `objects/<2 hex>/<62 hex>`.
///
/// A write compresses into a temporary file in `objects/`, fsyncs it, renames
/// it into place and fsyncs the folder, so a reader sees either no object or a
/// complete one, and a crash leaves at worst a `tmp-*` file that is not an
/// object. Inside `batch`, the per-object fsyncs are replaced by two `syncfs`
/// calls at the end (data, then renames); the objects become visible only after
/// the first, so the guarantee is the same. A batch that throws removes its
/// temporary files: nothing it wrote becomes an object.
public final class LooseObjectStore: ObjectStore, Sendable {
    /// The `objects` folder.
    public let directory: String
    private let batchState = Mutex(BatchState())

    private struct BatchState {
        var depth = 0
        /// Objects written in the current batch: id -> temporary path.
        var pending: [ObjectID: String] = [:]
    }

    public init(directory: String) {
        self.directory = directory
    }

    /// The path at which the object is (or would be) stored.
    public func path(of id: ObjectID) -> String {
        let hex = id.hex
        return directory + "/" + hex.prefix(2) + "/" + hex.dropFirst(2)
    }

    private func pendingPath(_ id: ObjectID) -> String? {
        batchState.withLock { $0.pending[id] }
    }

    public func contains(_ id: ObjectID) -> Bool {
        pendingPath(id) != nil || FileSystem.exists(path(of: id))
    }

    // MARK: Writing

    @discardableResult
    public func write(_ kind: ObjectKind, _ payload: [UInt8]) throws -> ObjectID {
        let header = objectHeader(kind, payload.count)
        let hasher = SHA256()
        hasher.update(header)
        hasher.update(payload)
        let id = ObjectID(bytes: hasher.finish())
        if contains(id) { return id }
        let temp = try writeTemporary { deflater in
            try header.withUnsafeBytes { try deflater.feed($0) }
            try payload.withUnsafeBytes { try deflater.feed($0) }
        }
        try publish(temp, as: id)
        return id
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
        if contains(id) {
            try FileSystem.unlink(temp)
            return id
        }
        try publish(temp, as: id)
        return id
    }

    /// Compresses what `fill` feeds into a new temporary file and returns its
    /// path. Outside a batch the file is fsynced before this returns.
    private func writeTemporary(_ fill: (Deflater) throws -> Void) throws -> String {
        let temp = directory + "/" + FileSystem.temporaryName("tmp-")
        let fd = try FileSystem.open(temp, O_WRONLY | O_CREAT | O_EXCL, mode: 0o444)
        do {
            defer { close(fd) }
            var buffered: [UInt8] = []
            buffered.reserveCapacity(256 * 1024)
            let deflater = Deflater { piece in
                buffered.append(contentsOf: piece)
                if buffered.count >= 256 * 1024 {
                    try FileSystem.writeAll(fd, buffered, path: temp)
                    buffered.removeAll(keepingCapacity: true)
                }
            }
            try fill(deflater)
            try deflater.finish()
            try FileSystem.writeAll(fd, buffered, path: temp)
            if !inBatch { try FileSystem.fsync(fd, path: temp) }
        } catch {
            try? FileSystem.unlink(temp)
            throw error
        }
        return temp
    }

    private var inBatch: Bool { batchState.withLock { $0.depth > 0 } }

    /// Moves a complete temporary file to the object's path, or, in a batch,
    /// records it to be moved when the batch ends.
    private func publish(_ temp: String, as id: ObjectID) throws {
        let deferred = batchState.withLock { state -> Bool in
            guard state.depth > 0 else { return false }
            if state.pending[id] == nil { state.pending[id] = temp } else { try? FileSystem.unlink(temp) }
            return true
        }
        if deferred { return }
        let final = path(of: id)
        let folder = FileSystem.parentDirectory(final)
        try FileSystem.makeDirectories(folder)
        try FileSystem.rename(temp, final)
        try FileSystem.fsyncDirectory(folder)
    }

    public func batch<R>(_ body: () throws -> R) throws -> R {
        batchState.withLock { $0.depth += 1 }
        let result: R
        do {
            result = try body()
        } catch {
            let abandoned = batchState.withLock { state -> [String] in
                state.depth -= 1
                guard state.depth == 0 else { return [] }
                defer { state.pending = [:] }
                return Array(state.pending.values)
            }
            for temp in abandoned { try? FileSystem.unlink(temp) }
            throw error
        }
        let finished = batchState.withLock { state -> [ObjectID: String]? in
            state.depth -= 1
            return state.depth == 0 ? state.pending : nil
        }
        guard let pending = finished, !pending.isEmpty else { return result }
        do {
            try FileSystem.syncFileSystem(containing: directory)
            for (id, temp) in pending.sorted(by: { $0.key < $1.key }) {
                let final = path(of: id)
                try FileSystem.makeDirectories(FileSystem.parentDirectory(final))
                try FileSystem.rename(temp, final)
            }
            try FileSystem.syncFileSystem(containing: directory)
        } catch {
            for temp in pending.values { try? FileSystem.unlink(temp) }
            batchState.withLock { $0.pending = [:] }
            throw error
        }
        batchState.withLock { $0.pending = [:] }
        return result
    }

    // MARK: Reading

    private func openObject(_ id: ObjectID) throws -> (Int32, String) {
        let file = pendingPath(id) ?? path(of: id)
        do {
            return (try FileSystem.open(file, O_RDONLY), file)
        } catch let StoreError.io(_, _, code) where code == ENOENT {
            throw StoreError.objectNotFound(id.hex)
        }
    }

    public func read(_ id: ObjectID) throws -> StoredObject {
        var payload: [UInt8] = []
        let kind = try stream(id, expectedSize: { payload.reserveCapacity($0) }) { payload.append(contentsOf: $0) }
        return StoredObject(kind: kind, payload: payload)
    }

    @discardableResult
    public func stream(_ id: ObjectID, _ consume: (UnsafeRawBufferPointer) throws -> Void) throws -> ObjectKind {
        try stream(id, expectedSize: { _ in }, consume)
    }

    private func stream(
        _ id: ObjectID, expectedSize: (Int) -> Void, _ consume: (UnsafeRawBufferPointer) throws -> Void
    ) throws -> ObjectKind {
        let (fd, file) = try openObject(id)
        defer { close(fd) }
        let reader = ObjectReader(id: id)
        var buffer = [UInt8](repeating: 0, count: 256 * 1024)
        while true {
            let n = try buffer.withUnsafeMutableBytes { try FileSystem.read(fd, into: $0, path: file) }
            if n == 0 { break }
            try buffer.withUnsafeBytes { raw in
                try reader.feed(UnsafeRawBufferPointer(rebasing: raw[..<n]), expectedSize: expectedSize, consume)
            }
        }
        return try reader.finish()
    }

    public func header(_ id: ObjectID) throws -> (kind: ObjectKind, size: Int) {
        let (fd, file) = try openObject(id)
        defer { close(fd) }
        let reader = ObjectReader(id: id)
        var buffer = [UInt8](repeating: 0, count: 512)
        while reader.parsedHeader == nil {
            let n = try buffer.withUnsafeMutableBytes { try FileSystem.read(fd, into: $0, path: file) }
            if n == 0 { _ = try reader.finish() }
            do {
                try buffer.withUnsafeBytes { raw in
                    try reader.feed(UnsafeRawBufferPointer(rebasing: raw[..<n]), expectedSize: { _ in }) { _ in
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
        let pending = batchState.withLock { Array($0.pending.keys) }
        result += pending.filter { $0.hex.hasPrefix(prefix) }
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

    func feed(
        _ compressed: UnsafeRawBufferPointer, expectedSize: (Int) -> Void,
        _ consume: (UnsafeRawBufferPointer) throws -> Void
    ) throws {
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
                        expectedSize(size)
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
        let actual = ObjectID(bytes: hasher.finish())
        guard actual == id else { throw StoreError.corruptObject(id, reason: "its content hashes to \(actual.hex)") }
        return kind
    }
}
