import Glibc
import RockyStore

/// Sorts encoded rows by key with bounded memory.
///
/// Rows accumulate in one byte arena with a 24-byte entry each; when arena
/// and entries together pass `memoryBudget` the batch is sorted and written
/// to a temporary run file. `finish()` merges the runs (or sorts the single
/// batch in place) into one ascending stream, first folding runs together
/// `fanIn` at a time while there are more than that, so that the merge
/// never holds more than `fanIn` read buffers. Equal keys come out
/// adjacent, in arrival order, so the caller sees duplicates with both
/// origins. Peak memory is about `memoryBudget` plus `fanIn` MiB, whatever
/// the number of rows.
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
    private let fanIn: Int
    private let temporaryDirectory: String
    private var arena: [UInt8] = []
    private var entries: [Entry] = []
    private var runs: [String] = []
    /// Whether the rows arrived in ascending key order so far (then no sort is needed).
    private var arrivedSorted = true
    private var lastKeyRange: Range<Int>?

    public init(memoryBudget: Int = 64 << 20, fanIn: Int = 64, temporaryDirectory: String) {
        precondition(fanIn >= 2, "a merge needs two runs at least")
        self.memoryBudget = memoryBudget
        self.fanIn = fanIn
        self.temporaryDirectory = temporaryDirectory
        // Reserved, not touched: pages are only mapped as rows arrive, and the
        // arena never has to be copied while it grows.
        arena.reserveCapacity(memoryBudget + (1 << 20))
        // Entries never outgrow their share of the budget, so they are never copied either.
        entries.reserveCapacity(memoryBudget / MemoryLayout<Entry>.stride + 1)
    }

    deinit { for run in runs { unlink(run) } }

    public func add(key: [UInt8], value: [UInt8], origin: Int) throws {
        try add(origin: origin) { arena in arena.append(contentsOf: key) } value: { arena in arena.append(contentsOf: value) }
    }

    /// Adds a row whose key and value are encoded straight into the
    /// sorter's storage: `key` appends the key, `value` the value. No
    /// per-row allocation.
    public func add(origin: Int, key encodeKey: (inout [UInt8]) -> Void, value encodeValue: (inout [UInt8]) -> Void) throws {
        let offset = arena.count
        encodeKey(&arena)
        let keyEnd = arena.count
        encodeValue(&arena)
        if arrivedSorted, let last = lastKeyRange {
            arena.withUnsafeBytes { raw in
                let a = UnsafeRawBufferPointer(rebasing: raw[last])
                let b = UnsafeRawBufferPointer(rebasing: raw[offset..<keyEnd])
                if compareBytes(a, b) > 0 { arrivedSorted = false }
            }
        }
        lastKeyRange = offset..<keyEnd
        entries.append(Entry(offset: offset, keyLength: Int32(keyEnd - offset), valueLength: Int32(arena.count - keyEnd), origin: origin))
        if arena.count + entries.count * MemoryLayout<Entry>.stride >= memoryBudget { try spill() }
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
        do {
            // A scoped copy of the reference: gone before the arena is reused in place.
            let arena = self.arena
            runs.append(try writeRun(entries.lazy.map { e in
                let keyEnd = e.offset + Int(e.keyLength)
                return Record(key: arena[e.offset..<keyEnd], value: arena[keyEnd..<(keyEnd + Int(e.valueLength))], origin: e.origin)
            }))
        }
        arena.removeAll(keepingCapacity: true)
        entries.removeAll(keepingCapacity: true)
        arrivedSorted = true
        lastKeyRange = nil
    }

    /// Writes records, already in order, to a new run file and returns its
    /// path (a unique name: several sorters may share the temporary folder).
    private func writeRun<S: Sequence<Record>>(_ records: S) throws -> String {
        var template = Array((temporaryDirectory + "/sort-run-XXXXXX").utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        let path = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        guard fd >= 0 else { throw StoreError.io(path: path, operation: "create sort run", errno: errno) }
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        defer { close(fd) }
        do {
            var buffer: [UInt8] = []
            buffer.reserveCapacity(1 << 20)
            for record in records {
                Varint.append(record.key.count, to: &buffer)
                Varint.append(record.value.count, to: &buffer)
                Varint.append(record.origin, to: &buffer)
                buffer.append(contentsOf: record.key)
                buffer.append(contentsOf: record.value)
                if buffer.count >= 1 << 20 { try writeAll(fd, &buffer, path) }
            }
            try writeAll(fd, &buffer, path)
        } catch {
            unlink(path)
            throw error
        }
        return path
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
    /// A run that cannot be read ends the stream early: callers call
    /// `SortedRows.checkComplete()` once they have drained it.
    public func finish() throws -> SortedRows {
        if runs.isEmpty {
            sortBatch()
            let arena = self.arena, entries = self.entries
            var i = 0
            return SortedRows {
                guard i < entries.count else { return nil }
                let e = entries[i]
                i += 1
                let keyEnd = e.offset + Int(e.keyLength)
                return Record(key: arena[e.offset..<keyEnd], value: arena[keyEnd..<(keyEnd + Int(e.valueLength))], origin: e.origin)
            }
        }
        if !entries.isEmpty { try spill() }
        // Fold the oldest runs together until one merge can read them all.
        while runs.count > fanIn {
            let group = Array(runs.prefix(fanIn))
            let merged = try RunMerger(paths: group)
            runs.append(try writeRun(SortedRows(merged.next)))
            if let failure = merged.failure { throw failure }
            runs.removeFirst(fanIn)
            for run in group { unlink(run) }
        }
        let merged = try RunMerger(paths: runs)
        return SortedRows(merged.next) { if let failure = merged.failure { throw failure } }
    }
}

/// The rows a `RowSorter` gives back, in order. Reading a spilled run can
/// fail; the stream then ends and `checkComplete()` throws the error, so a
/// caller never mistakes a short read for the end of the data.
public final class SortedRows: IteratorProtocol, Sequence {
    private let produce: () -> RowSorter.Record?
    private let check: () throws -> Void

    init(_ produce: @escaping () -> RowSorter.Record?, check: @escaping () throws -> Void = {}) {
        self.produce = produce
        self.check = check
    }

    public func next() -> RowSorter.Record? { produce() }

    /// Throws the error that ended the stream early, if any.
    public func checkComplete() throws { try check() }
}

/// The rows of several sorted runs in one ascending stream; equal keys in
/// arrival order.
private final class RunMerger {
    private let readers: [RunReader]
    /// The head of each unexhausted run, kept in order (a run count is small).
    private var heads: [(RowSorter.Record, Int)] = []
    private(set) var failure: Error?

    init(paths: [String]) throws {
        readers = try paths.map { try RunReader(path: $0) }
        for (i, reader) in readers.enumerated() { if let r = try reader.next() { heads.append((r, i)) } }
        heads.sort { Self.before($0, $1) }
    }

    private static func before(_ a: (RowSorter.Record, Int), _ b: (RowSorter.Record, Int)) -> Bool {
        let c = a.0.key.withUnsafeBytes { x in b.0.key.withUnsafeBytes { y in compareBytes(x, y) } }
        return c != 0 ? c < 0 : a.0.origin < b.0.origin
    }

    /// The next row, or nil at the end or after a read error (kept in `failure`).
    func next() -> RowSorter.Record? {
        guard failure == nil, !heads.isEmpty else { return nil }
        let (record, run) = heads.removeFirst()
        do {
            if let next = try readers[run].next() {
                let item = (next, run)
                let at = heads.firstIndex { Self.before(item, $0) } ?? heads.count
                heads.insert(item, at: at)
            }
        } catch {
            failure = error
            return nil
        }
        return record
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

    /// Makes `n` bytes available from `position`. Each refill builds a new
    /// buffer (the unread rest, then up to 1 MiB read straight into it), so
    /// records already handed out keep the old one and nothing is copied
    /// twice or zero-filled.
    private func ensure(_ n: Int) throws -> Bool {
        while buffer.count - position < n {
            let rest = buffer[position...], want = max(1 << 20, n)
            var failure: Int32 = 0
            let next = [UInt8](unsafeUninitializedCapacity: rest.count + want) { out, count in
                _ = out.initialize(from: rest)
                count = rest.count
                while true {
                    let got = read(fd, out.baseAddress! + rest.count, want)
                    if got >= 0 { count += got; return }
                    if errno != EINTR { failure = errno; return }
                }
            }
            if failure != 0 { throw StoreError.io(path: path, operation: "read sort run", errno: failure) }
            if next.count == rest.count { return false }
            buffer = next
            position = 0
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
