import Glibc
import RockyStore

/// Sorts encoded rows by key with bounded memory.
///
/// Rows accumulate in one byte arena; when it passes `memoryBudget` the
/// batch is sorted and written to a temporary run file. `finish()` merges
/// the runs (or sorts the single batch in place) into one ascending stream.
/// Equal keys come out adjacent, in arrival order, so the caller sees
/// duplicates with both origins. Peak memory is about `memoryBudget` plus
/// 24 bytes per buffered row plus one read buffer per run.
public final class RowSorter {
    public struct Record: Sendable {
        /// Slices of the sorter's storage: no copy per row.
        public var key: ArraySlice<UInt8>
        public var value: ArraySlice<UInt8>
        /// Where the row came from (a line number), for error messages.
        public var origin: Int
    }

    private struct Entry {
        var offset: Int
        var keyLength: Int32
        var valueLength: Int32
        var origin: Int
    }

    private let memoryBudget: Int
    private let temporaryDirectory: String
    private var arena: [UInt8] = []
    private var entries: [Entry] = []
    private var runs: [String] = []
    private var sequence = 0
    /// Whether the rows arrived in ascending key order so far (then no sort is needed).
    private var arrivedSorted = true
    private var lastKeyRange: Range<Int>?
    public private(set) var count = 0

    public init(memoryBudget: Int = 64 << 20, temporaryDirectory: String) {
        self.memoryBudget = memoryBudget
        self.temporaryDirectory = temporaryDirectory
        // Reserved, not touched: pages are only mapped as rows arrive, and the
        // arena never has to be copied while it grows.
        arena.reserveCapacity(memoryBudget + (1 << 20))
    }

    deinit { for run in runs { unlink(run) } }

    public func add(key: [UInt8], value: [UInt8], origin: Int) throws {
        try add(origin: origin) { arena in
            arena.append(contentsOf: key)
            return key.count
        } value: { arena in arena.append(contentsOf: value) }
    }

    /// Adds a row whose key and value are encoded straight into the
    /// sorter's storage: `key` appends the key and returns its length,
    /// `value` appends the value. No per-row allocation.
    public func add(origin: Int, key encodeKey: (inout [UInt8]) -> Int, value encodeValue: (inout [UInt8]) -> Void) throws {
        let offset = arena.count
        _ = encodeKey(&arena)
        let keyCount = arena.count - offset
        encodeValue(&arena)
        let valueCount = arena.count - offset - keyCount
        let key = (count: keyCount, offset: offset)
        let value = (count: valueCount, offset: offset + keyCount)
        if arrivedSorted, let last = lastKeyRange {
            arena.withUnsafeBytes { raw in
                let a = UnsafeRawBufferPointer(rebasing: raw[last])
                let b = UnsafeRawBufferPointer(rebasing: raw[offset..<(offset + key.count)])
                if compareBytes(a, b) > 0 { arrivedSorted = false }
            }
        }
        _ = value
        lastKeyRange = offset..<(offset + key.count)
        entries.append(Entry(offset: offset, keyLength: Int32(key.count), valueLength: Int32(value.count), origin: origin))
        count += 1
        if arena.count >= memoryBudget { try spill() }
    }

    private func sortBatch() {
        guard !arrivedSorted else { return }
        arena.withUnsafeBytes { raw in
            entries.sort { a, b in
                let x = UnsafeRawBufferPointer(rebasing: raw[a.offset..<(a.offset + Int(a.keyLength))])
                let y = UnsafeRawBufferPointer(rebasing: raw[b.offset..<(b.offset + Int(b.keyLength))])
                let c = compareBytes(x, y)
                return c != 0 ? c < 0 : a.origin < b.origin
            }
        }
    }

    private func spill() throws {
        sortBatch()
        sequence += 1
        let path = temporaryDirectory + "/sort-run-\(getpid())-\(sequence)"
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw StoreError.io(path: path, operation: "create sort run", errno: errno) }
        defer { close(fd) }
        runs.append(path)
        var buffer: [UInt8] = []
        buffer.reserveCapacity(1 << 20)
        for e in entries {
            Varint.append(Int(e.keyLength), to: &buffer)
            Varint.append(Int(e.valueLength), to: &buffer)
            Varint.append(e.origin, to: &buffer)
            buffer.append(contentsOf: arena[e.offset..<(e.offset + Int(e.keyLength) + Int(e.valueLength))])
            if buffer.count >= 1 << 20 { try writeAll(fd, &buffer, path) }
        }
        try writeAll(fd, &buffer, path)
        arena.removeAll(keepingCapacity: true)
        entries.removeAll(keepingCapacity: true)
        arrivedSorted = true
        lastKeyRange = nil
    }

    private func writeAll(_ fd: Int32, _ buffer: inout [UInt8], _ path: String) throws {
        var offset = 0
        while offset < buffer.count {
            let n = buffer.withUnsafeBytes { write(fd, $0.baseAddress! + offset, $0.count - offset) }
            if n < 0 {
                if errno == EINTR { continue }
                throw StoreError.io(path: path, operation: "write sort run", errno: errno)
            }
            offset += n
        }
        buffer.removeAll(keepingCapacity: true)
    }

    /// The rows in ascending key order (equal keys in arrival order).
    public func finish() throws -> AnyIterator<Record> {
        if runs.isEmpty {
            sortBatch()
            let arena = self.arena, entries = self.entries
            var i = 0
            return AnyIterator {
                guard i < entries.count else { return nil }
                let e = entries[i]
                i += 1
                let keyEnd = e.offset + Int(e.keyLength)
                return Record(key: arena[e.offset..<keyEnd], value: arena[keyEnd..<(keyEnd + Int(e.valueLength))], origin: e.origin)
            }
        }
        if !entries.isEmpty { try spill() }
        var readers = try runs.map { try RunReader(path: $0) }
        var heap: [(Record, Int)] = []
        for (i, reader) in readers.enumerated() { if let r = try reader.next() { heap.append((r, i)) } }
        func before(_ a: (Record, Int), _ b: (Record, Int)) -> Bool {
            let c = a.0.key.withUnsafeBytes { x in b.0.key.withUnsafeBytes { y in compareBytes(x, y) } }
            return c != 0 ? c < 0 : a.0.origin < b.0.origin
        }
        heap.sort { before($0, $1) }
        var failure: Error?
        return AnyIterator {
            guard failure == nil, !heap.isEmpty else { return nil }
            let (record, run) = heap.removeFirst()
            do {
                if let next = try readers[run].next() {
                    let item = (next, run)
                    let at = heap.firstIndex { before(item, $0) } ?? heap.count
                    heap.insert(item, at: at)
                }
            } catch {
                failure = error
                return nil
            }
            _ = readers
            return record
        }
    }
}

/// Reads a sort run file sequentially through a 1 MiB buffer.
private final class RunReader {
    private let fd: Int32
    private let path: String
    private var buffer: [UInt8] = []
    private var position = 0

    init(path: String) throws {
        self.path = path
        fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw StoreError.io(path: path, operation: "open sort run", errno: errno) }
    }

    deinit { close(fd) }

    private func ensure(_ n: Int) throws -> Bool {
        while buffer.count - position < n {
            if position > 0 { buffer.removeFirst(position); position = 0 }
            var chunk = [UInt8](repeating: 0, count: max(1 << 20, n))
            let got = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if got < 0 { throw StoreError.io(path: path, operation: "read sort run", errno: errno) }
            if got == 0 { return false }
            buffer.append(contentsOf: chunk[..<got])
        }
        return true
    }

    private func varint() throws -> Int? {
        guard try ensure(1) else { return nil }
        _ = try ensure(10)
        return try buffer.withUnsafeBytes { raw in
            var p = position
            let v = try Varint.readInt(raw, &p)
            position = p
            return v
        }
    }

    func next() throws -> RowSorter.Record? {
        guard let keyLength = try varint() else { return nil }
        guard let valueLength = try varint(), let origin = try varint(), try ensure(keyLength + valueLength) else {
            throw StoreError.malformed(path: path, reason: "truncated sort run")
        }
        let key = buffer[position..<(position + keyLength)]
        let value = buffer[(position + keyLength)..<(position + keyLength + valueLength)]
        position += keyLength + valueLength
        return RowSorter.Record(key: key, value: value, origin: origin)
    }
}
