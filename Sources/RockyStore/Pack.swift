import Glibc

/// Packs: many objects in one file, for the batches that write thousands at
/// once (an import writes one object per ~290 rows). On the machines Rocky
/// runs on, creating a file costs about half a millisecond whatever its size,
/// so a batch that wrote 3,600 loose objects spent two seconds in `open`;
/// written as one pack it costs one file.
///
/// `objects/pack/<name>.pack` is `RKPK` + version (4 bytes, big-endian 1),
/// then each object exactly as its loose file would hold it (one zlib stream
/// of header and payload), back to back. `objects/pack/<name>.idx` is `RKIX` +
/// version + count (4 bytes each, big-endian), then per object, sorted by id:
/// the 32-byte id, the offset (8 bytes) and the length (4 bytes) of its zlib
/// stream in the pack. A pack is visible once its index exists: the pack is
/// written and fsynced first, then the index, each under a temporary name
/// renamed into place.
struct PackIndex: Sendable {
    let packPath: String
    /// Sorted ids with their (offset, length).
    private let ids: [ObjectID]
    private let spans: [(offset: Int, length: Int)]

    static let packMagic: [UInt8] = Array("RKPK".utf8) + [0, 0, 0, 1]
    static let indexMagic: [UInt8] = Array("RKIX".utf8) + [0, 0, 0, 1]

    init(indexPath: String) throws {
        let bytes = try FileSystem.readAll(indexPath)
        guard bytes.count >= 12, Array(bytes[0..<8]) == PackIndex.indexMagic else {
            throw StoreError.malformed(path: indexPath, reason: "not a pack index")
        }
        let count = bytes[8..<12].reduce(0) { $0 << 8 | Int($1) }
        guard bytes.count == 12 + count * 44 else { throw StoreError.malformed(path: indexPath, reason: "truncated pack index") }
        var ids: [ObjectID] = [], spans: [(Int, Int)] = []
        ids.reserveCapacity(count)
        spans.reserveCapacity(count)
        var p = 12
        for _ in 0..<count {
            ids.append(ObjectID(bytes: bytes[p..<(p + 32)]))
            let offset = bytes[(p + 32)..<(p + 40)].reduce(0) { $0 << 8 | Int($1) }
            let length = bytes[(p + 40)..<(p + 44)].reduce(0) { $0 << 8 | Int($1) }
            spans.append((offset, length))
            p += 44
        }
        for i in 1..<max(ids.count, 1) where !(ids[i - 1] < ids[i]) {
            throw StoreError.malformed(path: indexPath, reason: "pack index is not sorted")
        }
        self.ids = ids
        self.spans = spans
        packPath = String(indexPath.dropLast(4)) + ".pack"
    }

    var count: Int { ids.count }
    var allIDs: [ObjectID] { ids }

    func find(_ id: ObjectID) -> (offset: Int, length: Int)? {
        var low = 0, high = ids.count
        while low < high {
            let mid = (low + high) / 2
            if ids[mid] < id { low = mid + 1 } else { high = mid }
        }
        return low < ids.count && ids[low] == id ? spans[low] : nil
    }

    /// Index bytes for entries sorted by id.
    static func encode(_ entries: [(id: ObjectID, offset: Int, length: Int)]) -> [UInt8] {
        var out = indexMagic
        out.reserveCapacity(12 + entries.count * 44)
        func append(_ v: Int, _ width: Int) {
            for shift in stride(from: (width - 1) * 8, through: 0, by: -8) { out.append(UInt8(truncatingIfNeeded: v >> shift)) }
        }
        append(entries.count, 4)
        for e in entries {
            out += e.id.bytes
            append(e.offset, 8)
            append(e.length, 4)
        }
        return out
    }
}

/// Appends compressed objects to a temporary pack file.
final class PackWriter: @unchecked Sendable {
    let temporaryPath: String
    private let fd: Int32
    private(set) var offset = 0
    private(set) var entries: [ObjectID: (offset: Int, length: Int)] = [:]
    private var buffer: [UInt8] = []

    init(folder: String) throws {
        temporaryPath = folder + "/" + FileSystem.temporaryName("tmp-pack-")
        fd = try FileSystem.open(temporaryPath, O_RDWR | O_CREAT | O_EXCL, mode: 0o444)
        buffer.reserveCapacity(1 << 20)
        append(PackIndex.packMagic)
    }

    deinit { close(fd) }

    private func append(_ bytes: [UInt8]) {
        buffer += bytes
        offset += bytes.count
    }

    /// Adds one object's zlib stream.
    func add(_ id: ObjectID, compressed: [UInt8]) throws {
        guard entries[id] == nil else { return }
        entries[id] = (offset, compressed.count)
        append(compressed)
        if buffer.count >= 1 << 20 { try flushBuffer() }
    }

    func flushBuffer() throws {
        try FileSystem.writeAll(fd, buffer, path: temporaryPath)
        buffer.removeAll(keepingCapacity: true)
    }

    /// Reads back an object written earlier in this batch.
    func read(_ span: (offset: Int, length: Int)) throws -> [UInt8] {
        try flushBuffer()
        var out = [UInt8](repeating: 0, count: span.length)
        let n = out.withUnsafeMutableBytes { pread(fd, $0.baseAddress, span.length, off_t(span.offset)) }
        guard n == span.length else { throw StoreError.io(path: temporaryPath, operation: "read", errno: errno) }
        return out
    }

    /// Writes everything out without syncing; the caller syncs the file system.
    func finishData() throws { try flushBuffer() }
}
