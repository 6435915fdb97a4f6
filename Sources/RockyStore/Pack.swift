import Dispatch
import Glibc
import Synchronization

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
/// A pack index, mapped read-only: looking an id up is a binary search in
/// the file's own bytes, so opening a repository costs nothing per object
/// and a lookup touches a few pages (a command used to read and decode every
/// index whole before its first read). `checkSorted()` validates the order,
/// which lookups rely on; whoever adopts a pack from elsewhere calls it.
final class PackIndex: @unchecked Sendable {
    let packPath: String
    let indexPath: String
    let count: Int
    /// The whole index file (header and entries), mapped.
    private let base: UnsafeRawPointer
    private let length: Int

    static let packMagic: [UInt8] = Array("RKPK".utf8) + [0, 0, 0, 1]
    static let indexMagic: [UInt8] = Array("RKIX".utf8) + [0, 0, 0, 1]

    init(indexPath: String) throws {
        let fd = try FileSystem.open(indexPath, O_RDONLY)
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw StoreError.io(path: indexPath, operation: "stat", errno: errno) }
        length = Int(st.st_size)
        guard length >= 12 else { throw StoreError.malformed(path: indexPath, reason: "not a pack index") }
        guard let mapped = mmap(nil, length, PROT_READ, MAP_PRIVATE, fd, 0), mapped != MAP_FAILED else {
            throw StoreError.io(path: indexPath, operation: "map", errno: errno)
        }
        base = UnsafeRawPointer(mapped)
        let header = UnsafeRawBufferPointer(start: base, count: 12)
        guard Array(header[0..<8]) == PackIndex.indexMagic else {
            munmap(mapped, length)
            throw StoreError.malformed(path: indexPath, reason: "not a pack index")
        }
        count = Int(UInt32(bigEndian: header.loadUnaligned(fromByteOffset: 8, as: UInt32.self)))
        guard length == 12 + count * 44 else {
            munmap(mapped, length)
            throw StoreError.malformed(path: indexPath, reason: "truncated pack index")
        }
        self.indexPath = indexPath
        packPath = String(indexPath.dropLast(4)) + ".pack"
    }

    deinit { munmap(UnsafeMutableRawPointer(mutating: base), length) }

    @inline(__always)
    private func word(_ at: Int) -> UInt64 { UInt64(bigEndian: base.loadUnaligned(fromByteOffset: at, as: UInt64.self)) }

    /// The id of entry `i`.
    private func id(_ i: Int) -> ObjectID {
        let p = 12 + i * 44
        return ObjectID(words: word(p), word(p + 8), word(p + 16), word(p + 24))
    }

    private func span(_ i: Int) -> (offset: Int, length: Int) {
        let p = 12 + i * 44
        return (Int(truncatingIfNeeded: word(p + 32)), Int(UInt32(bigEndian: base.loadUnaligned(fromByteOffset: p + 40, as: UInt32.self))))
    }

    var allIDs: [ObjectID] { (0..<count).map(id) }

    /// The ids whose hex form starts with `prefix`: a binary search to the
    /// first id at or above the prefix, then a scan while it matches.
    func ids(withPrefix prefix: String) -> [ObjectID] {
        guard !prefix.isEmpty else { return allIDs }
        guard prefix.utf8.count <= 64, let low = ObjectID(hex: prefix + String(repeating: "0", count: 64 - prefix.utf8.count)) else {
            return []
        }
        var i = 0, high = count
        while i < high {
            let mid = (i + high) / 2
            if id(mid) < low { i = mid + 1 } else { high = mid }
        }
        var found: [ObjectID] = []
        while i < count, id(i).hex.hasPrefix(prefix) {
            found.append(id(i))
            i += 1
        }
        return found
    }

    func find(_ id: ObjectID) -> (offset: Int, length: Int)? {
        var low = 0, high = count
        while low < high {
            let mid = (low + high) / 2
            if self.id(mid) < id { low = mid + 1 } else { high = mid }
        }
        return low < count && self.id(low) == id ? span(low) : nil
    }

    /// Throws `malformed` unless the ids strictly increase.
    func checkSorted() throws {
        for i in 1..<max(count, 1) where !(id(i - 1) < id(i)) {
            throw StoreError.malformed(path: indexPath, reason: "pack index is not sorted")
        }
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

/// Appends objects to a temporary pack file, compressing them on a
/// background queue so that the caller (building a table tree, say) and zlib
/// use both cores. At most `inFlightLimit` bytes wait for compression; beyond
/// that `add` compresses queued objects itself until there is room (or waits,
/// when the queue's thread has taken them all). `drain()` waits for
/// everything queued and reports the first error.
final class PackWriter: @unchecked Sendable {
    let temporaryPath: String
    private let fd: Int32
    private let queue = DispatchQueue(label: "rocky.pack-writer")
    private let budget: DispatchSemaphore
    private let admission = Mutex(())
    private let state = Mutex(State())
    /// The pack's tail not yet written out, and where it starts in the file.
    private let output: Mutex<Output>
    static let budgetUnit = 64 << 10
    /// How many budget units may wait for compression.
    private let budgetUnits: Int

    /// An object waiting to be compressed.
    private struct Job: Sendable {
        var id: ObjectID
        var header: [UInt8]
        var payload: [UInt8]
        var level: Int32
        var units: Int
    }

    private struct State {
        var entries: [ObjectID: (offset: Int, length: Int)] = [:]
        var inFlight: Set<ObjectID> = []
        /// Queued jobs, oldest first.
        var jobs = FIFO<Job>()
        var failure: Error?
    }

    private struct Output {
        var buffer: [UInt8] = []
        var offset = 0
    }

    /// A writer whose queue holds at most `inFlightLimit` bytes (an object
    /// larger than that waits for an empty queue).
    init(folder: String, inFlightLimit: Int = 32 << 20) throws {
        temporaryPath = folder + "/" + FileSystem.temporaryName("tmp-pack-")
        fd = try FileSystem.open(temporaryPath, O_RDWR | O_CREAT | O_EXCL, mode: 0o444)
        budgetUnits = max(1, inFlightLimit / PackWriter.budgetUnit)
        budget = DispatchSemaphore(value: budgetUnits)
        var first = Output()
        first.buffer.reserveCapacity(1 << 20)
        first.buffer += PackIndex.packMagic
        first.offset = first.buffer.count
        output = Mutex(first)
    }

    deinit { close(fd) }

    /// Whether the object was added (compressed or still queued).
    func contains(_ id: ObjectID) -> Bool {
        state.withLock { $0.entries[id] != nil || $0.inFlight.contains(id) }
    }

    var ids: [ObjectID] { state.withLock { Array($0.entries.keys) + Array($0.inFlight) } }

    /// Queues an object (its header and payload) for compression and
    /// appending. The queue compresses one job per call, whichever is
    /// oldest; `drain` compresses what is left on the caller's thread too,
    /// so that the end of a batch uses both cores. Objects land in the pack
    /// in whatever order they are done: the index is sorted by id.
    func add(_ id: ObjectID, header: [UInt8], payload: [UInt8], level: Int32 = Zlib.level) throws {
        let isNew = state.withLock { state -> Bool in
            guard state.entries[id] == nil, !state.inFlight.contains(id) else { return false }
            state.inFlight.insert(id)
            return true
        }
        guard isNew else { return }
        // Capped at the whole budget: an object larger than the queue would otherwise wait forever.
        let units = min(max(1, (header.count + payload.count) / PackWriter.budgetUnit), budgetUnits)
        // One caller at a time takes its units, so that two callers each
        // holding part of what they need cannot wait on each other.
        admission.withLock { _ in
            for _ in 0..<units {
                // When the queue is full, compress its oldest job here instead
                // of waiting: the caller's core would otherwise idle while zlib
                // is the bottleneck. Block only when every queued job is taken.
                while budget.wait(timeout: .now()) == .timedOut {
                    guard compressOne() else {
                        budget.wait()
                        break
                    }
                }
            }
        }
        state.withLock { $0.jobs.append(Job(id: id, header: header, payload: payload, level: level, units: units)) }
        queue.async { [self] in _ = compressOne() }
        if let failure = state.withLock({ $0.failure }) { throw failure }
    }

    /// Compresses the oldest queued job on the calling thread; false when none is queued.
    private func compressOne() -> Bool {
        guard let job = state.withLock({ $0.jobs.popFirst() }) else { return false }
        run(job)
        return true
    }

    /// Compresses one job and appends it to the pack.
    private func run(_ job: Job) {
        defer { for _ in 0..<job.units { budget.signal() } }
        do {
            var compressed: [UInt8] = []
            if job.payload.count < Zlib.parallelThreshold {
                compressed = WholeDeflation.compress(header: job.header, payload: job.payload, level: job.level)
            } else {
                // Large objects: deflated in blocks on every core.
                let deflater = Deflater(level: job.level) { compressed.append(contentsOf: $0) }
                try job.header.withUnsafeBytes { try deflater.feed($0) }
                try job.payload.withUnsafeBytes { try deflater.feed($0) }
                try deflater.finish()
            }
            let start = try output.withLock { out -> Int in
                let start = out.offset
                out.buffer += compressed
                out.offset += compressed.count
                if out.buffer.count >= 1 << 20 { try flush(&out) }
                return start
            }
            state.withLock { state in
                state.inFlight.remove(job.id)
                state.entries[job.id] = (start, compressed.count)
            }
        } catch {
            state.withLock { state in
                state.inFlight.remove(job.id)
                if state.failure == nil { state.failure = error }
            }
        }
    }

    private func flush(_ out: inout Output) throws {
        try FileSystem.writeAll(fd, out.buffer, path: temporaryPath)
        out.buffer.removeAll(keepingCapacity: true)
    }

    /// Compresses what is still queued (here, beside the queue), waits for
    /// the rest, writes the buffer out, and returns the entries (or the
    /// first error).
    func drain() throws -> [ObjectID: (offset: Int, length: Int)] {
        while compressOne() {}
        queue.sync {}
        try output.withLock { try flush(&$0) }
        return try state.withLock { state in
            if let failure = state.failure { throw failure }
            return state.entries
        }
    }

    /// Reads back the zlib stream of an object written in this batch.
    func compressed(_ id: ObjectID) throws -> [UInt8]? {
        guard let span = try drain()[id] else { return nil }
        var out = [UInt8](repeating: 0, count: span.length)
        let n = out.withUnsafeMutableBytes { pread(fd, $0.baseAddress, span.length, off_t(span.offset)) }
        guard n == span.length else { throw StoreError.io(path: temporaryPath, operation: "read", errno: errno) }
        return out
    }
}
