import CZlib
import Dispatch
import Synchronization

/// zlib compression for object files.
///
/// Objects are one zlib stream (RFC 1950). Payloads above `parallelThreshold`
/// are cut into blocks that are deflated on all cores, each primed with the
/// last 32 KiB of the block before it and ended with a sync flush, and the
/// pieces are joined into one valid stream, as pigz does. Any zlib reader
/// inflates the result; only the compressed bytes, never the object id, depend
/// on the block size.
public enum Zlib {
    /// zlib level 1: compression is the bottleneck of writing objects, and level
    /// 1 keeps most of the gain of the slower levels on table chunks.
    public static let level: Int32 = 1
    /// The level for objects of a kind: 0 (stored blocks, still one zlib
    /// stream) for `ObjectKind.incompressible`, else `level`.
    static func level(for kind: ObjectKind) -> Int32 { ObjectKind.incompressible.contains(kind) ? 0 : level }
    static let blockSize = 256 * 1024
    static let parallelThreshold = 512 * 1024
    static let windowSize = 32 * 1024
}

/// Deflates a stream given as a sequence of pieces; the output goes to `sink`
/// as it is produced. Large pieces are deflated in parallel blocks.
public final class Deflater {
    private var adler: UInt = adler32(0, nil, 0)
    private var dictionary: [UInt8] = []
    private var wroteHeader = false
    private let sink: (UnsafeRawBufferPointer) throws -> Void
    private var pending: [UInt8] = []
    private let level: Int32

    public init(level: Int32 = Zlib.level, sink: @escaping (UnsafeRawBufferPointer) throws -> Void) {
        self.level = level
        self.sink = sink
    }

    /// Adds bytes to the stream. Small pieces are gathered until a block is full.
    public func feed(_ bytes: UnsafeRawBufferPointer) throws {
        pending.append(contentsOf: bytes)
        if pending.count >= Zlib.parallelThreshold {
            let whole = pending.count / Zlib.blockSize * Zlib.blockSize
            let head = Array(pending[..<whole])
            pending.removeFirst(whole)
            try emit(head, last: false)
        }
    }

    /// Ends the stream: flushes what is pending and writes the Adler-32 trailer.
    public func finish() throws {
        try emit(pending, last: true)
        pending = []
        var trailer = [UInt8](repeating: 0, count: 4)
        let a = UInt32(truncatingIfNeeded: adler)
        for i in 0..<4 { trailer[i] = UInt8(truncatingIfNeeded: a >> (24 - 8 * i)) }
        try trailer.withUnsafeBytes { try sink($0) }
    }

    private func emit(_ input: [UInt8], last: Bool) throws {
        if !wroteHeader {
            wroteHeader = true
            let header: [UInt8] = [0x78, 0x01]
            try header.withUnsafeBytes { try sink($0) }
        }
        input.withUnsafeBufferPointer { buffer in
            adler = adler32(adler, buffer.baseAddress, UInt32(buffer.count))
        }
        let blockCount = max(1, (input.count + Zlib.blockSize - 1) / Zlib.blockSize)
        let results = BlockResults(count: blockCount)
        let dictionary = SharedBytes(bytes: self.dictionary)
        let level = self.level
        input.withUnsafeBufferPointer { buffer in
            let shared = SharedInput(buffer: buffer)
            let work: @Sendable (Int) -> Void = { (i: Int) in
                let start = i * Zlib.blockSize
                let end = min(start + Zlib.blockSize, shared.buffer.count)
                let dictStart = max(0, start - Zlib.windowSize)
                let block = UnsafeBufferPointer(rebasing: shared.buffer[start..<end])
                let finalBlock = last && i == blockCount - 1
                if i == 0 {
                    dictionary.bytes.withUnsafeBufferPointer { d in
                        results.set(i, deflateRaw(block, dictionary: d, finish: finalBlock, level: level))
                    }
                } else {
                    let d = UnsafeBufferPointer(rebasing: shared.buffer[dictStart..<start])
                    results.set(i, deflateRaw(block, dictionary: d, finish: finalBlock, level: level))
                }
            }
            if blockCount == 1 { work(0) } else { DispatchQueue.concurrentPerform(iterations: blockCount, execute: work) }
        }
        for piece in results.pieces { try piece.withUnsafeBytes { try sink($0) } }
        if input.count >= Zlib.windowSize {
            self.dictionary = Array(input[(input.count - Zlib.windowSize)...])
        } else {
            self.dictionary = Array((self.dictionary + input).suffix(Zlib.windowSize))
        }
    }
}

private final class BlockResults: @unchecked Sendable {
    var pieces: [[UInt8]]
    init(count: Int) { pieces = Array(repeating: [], count: count) }
    func set(_ i: Int, _ value: [UInt8]) { pieces[i] = value }
}

private struct SharedBytes: Sendable {
    let bytes: [UInt8]
}

private struct SharedInput: @unchecked Sendable {
    let buffer: UnsafeBufferPointer<UInt8>
}

/// Raw-deflates one block, primed with `dictionary`, ending with a sync flush
/// (byte-aligned, not final) or, for the last block, a finish.
private func deflateRaw(_ input: UnsafeBufferPointer<UInt8>, dictionary: UnsafeBufferPointer<UInt8>, finish: Bool, level: Int32) -> [UInt8] {
    var stream = z_stream()
    guard deflateInit2_(&stream, level, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
        fatalError("zlib deflateInit2 failed")
    }
    defer { deflateEnd(&stream) }
    if dictionary.count > 0 {
        deflateSetDictionary(&stream, dictionary.baseAddress, UInt32(dictionary.count))
    }
    var output = [UInt8](repeating: 0, count: Int(deflateBound(&stream, UInt(input.count))) + 16)
    stream.next_in = UnsafeMutablePointer(mutating: input.baseAddress)
    stream.avail_in = UInt32(input.count)
    let produced = output.withUnsafeMutableBufferPointer { out -> Int in
        stream.next_out = out.baseAddress
        stream.avail_out = UInt32(out.count)
        let status = deflate(&stream, finish ? Z_FINISH : Z_SYNC_FLUSH)
        precondition(status == (finish ? Z_STREAM_END : Z_OK) && stream.avail_in == 0, "zlib deflate failed: \(status)")
        return out.count - Int(stream.avail_out)
    }
    output.removeLast(output.count - produced)
    return output
}

/// Inflates one zlib stream fed in pieces. Errors name what went wrong; the
/// caller adds which object it was.
public final class Inflater {
    private var stream = z_stream()
    private var buffer = [UInt8](repeating: 0, count: 64 * 1024)
    public private(set) var isFinished = false

    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    public init() {
        guard inflateInit_(&stream, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            fatalError("zlib inflateInit failed")
        }
    }

    deinit { inflateEnd(&stream) }

    /// Inflates `input`, passing every produced piece to `sink`.
    public func feed(_ input: UnsafeRawBufferPointer, sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        guard !isFinished else {
            if input.count > 0 { throw Failure(description: "data after the end of the zlib stream") }
            return
        }
        guard let base = input.baseAddress, input.count > 0 else { return }
        stream.next_in = UnsafeMutablePointer(mutating: base.assumingMemoryBound(to: UInt8.self))
        stream.avail_in = UInt32(input.count)
        while true {
            let (status, produced) = buffer.withUnsafeMutableBufferPointer { out -> (Int32, Int) in
                stream.next_out = out.baseAddress
                stream.avail_out = UInt32(out.count)
                let status = inflate(&stream, Z_NO_FLUSH)
                return (status, out.count - Int(stream.avail_out))
            }
            if produced > 0 { try buffer.withUnsafeBytes { try sink(UnsafeRawBufferPointer(rebasing: $0[..<produced])) } }
            switch status {
            case Z_STREAM_END:
                isFinished = true
                if stream.avail_in > 0 { throw Failure(description: "data after the end of the zlib stream") }
                return
            case Z_OK:
                if stream.avail_in == 0 && stream.avail_out > 0 { return }
            case Z_BUF_ERROR:
                if stream.avail_in == 0 { return }
                throw Failure(description: "zlib stream is corrupt")
            default:
                let message = stream.msg.map { String(cString: $0) } ?? String(cString: zError(status))
                throw Failure(description: "zlib stream is corrupt (\(message))")
            }
        }
    }
}

/// Inflates whole stored objects held in memory: the common read, where the
/// payload is wanted as one array. Compared with feeding an `Inflater`, the
/// payload is inflated straight into its final array, zlib's streams are
/// reused (reset, not reallocated), and the Adler-32 trailer is not
/// recomputed: the caller checks the SHA-256 of header and payload, which
/// catches everything Adler-32 would.
enum WholeInflation {
    /// A raw (headerless) inflate stream, reused across objects.
    private final class Stream: @unchecked Sendable {
        var z = z_stream()
        init() {
            guard inflateInit2_(&z, -15, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
                fatalError("zlib inflateInit2 failed")
            }
        }
        deinit { inflateEnd(&z) }
    }

    private static let pool = StreamPool<Stream>()

    struct Failure: Error {
        let reason: String
    }

    /// The object's header and payload, inflated from one zlib stream.
    /// Throws `Failure` when the stream is not a valid zlib stream, its
    /// header is malformed, or the payload's length differs from the header's.
    static func inflate(_ stored: UnsafeRawBufferPointer) throws(Failure) -> (header: [UInt8], kind: ObjectKind, payload: [UInt8]) {
        // RFC 1950: CMF (deflate, window <= 32 KiB), FLG (check bits, no preset dictionary).
        guard stored.count >= 6 else { throw Failure(reason: "the zlib stream is truncated") }
        let cmf = stored[0], flg = stored[1]
        guard cmf & 0x0F == 8, cmf >> 4 <= 7, (Int(cmf) << 8 | Int(flg)) % 31 == 0, flg & 0x20 == 0 else {
            throw Failure(reason: "zlib stream is corrupt (incorrect header check)")
        }
        let stream = pool.take { _ in true } ?? Stream()
        defer {
            inflateReset(&stream.z)
            pool.put(stream)
        }
        stream.z.next_in = UnsafeMutablePointer(mutating: stored.baseAddress!.assumingMemoryBound(to: UInt8.self) + 2)
        stream.z.avail_in = UInt32(stored.count - 2)

        // The header first: at most 41 bytes hold it (see parseObjectHeader).
        var head = [UInt8](repeating: 0, count: 41)
        var status = head.withUnsafeMutableBufferPointer { out -> Int32 in
            stream.z.next_out = out.baseAddress
            stream.z.avail_out = UInt32(out.count)
            return CZlib.inflate(&stream.z, Z_NO_FLUSH)
        }
        try check(status, stream)
        head.removeLast(Int(stream.z.avail_out))
        let (kind, size, length): (ObjectKind, Int, Int)
        switch parseObjectHeader(head) {
        case let .complete(k, s, l): (kind, size, length) = (k, s, l)
        case .incomplete: throw Failure(reason: status == Z_STREAM_END ? "no header" : "the zlib stream is truncated")
        case let .malformed(reason): throw Failure(reason: reason)
        }
        // Deflate expands at most 1032 to 1: a larger size is a corrupt
        // header, refused before the payload's array is allocated for it.
        guard size <= stored.count * 1032 else {
            throw Failure(reason: "its header says \(size) bytes, more than \(stored.count) compressed bytes can hold")
        }
        let early = head.count - length
        guard early <= size else { throw Failure(reason: "payload is longer than its header says (\(size) bytes)") }

        // Then the payload, straight into its array.
        var failure: Failure?
        let payload = [UInt8](unsafeUninitializedCapacity: size) { buffer, count in
            head.withUnsafeBufferPointer { h in
                for i in 0..<early { buffer[i] = h[length + i] }
            }
            count = early
            guard status != Z_STREAM_END else { return }
            var spare: UInt8 = 0   // zlib wants an output pointer even for nothing
            withUnsafeMutablePointer(to: &spare) { spare in
                stream.z.next_out = size > early ? buffer.baseAddress! + early : spare
                stream.z.avail_out = UInt32(size - early)
                status = CZlib.inflate(&stream.z, Z_FINISH)
            }
            count = size - Int(stream.z.avail_out)
            do throws(Failure) { try check(status, stream) } catch { failure = error }
        }
        if let failure { throw failure }
        guard status == Z_STREAM_END else {
            throw Failure(reason: stream.z.avail_in == 0 ? "the zlib stream is truncated"
                                                         : "payload is longer than its header says (\(size) bytes)")
        }
        guard payload.count == size else { throw Failure(reason: "payload has \(payload.count) bytes, its header says \(size)") }
        // What follows the deflate data is the 4-byte Adler-32 trailer, and nothing else.
        guard stream.z.avail_in == 4 else {
            throw Failure(reason: stream.z.avail_in < 4 ? "the zlib stream is truncated" : "data after the end of the zlib stream")
        }
        head.removeLast(early)
        return (head, kind, payload)
    }

    private static func check(_ status: Int32, _ stream: Stream) throws(Failure) {
        switch status {
        case Z_OK, Z_STREAM_END: return
        case Z_BUF_ERROR where stream.z.avail_out == 0 || stream.z.avail_in == 0: return
        default:
            let message = stream.z.msg.map { String(cString: $0) } ?? String(cString: zError(status))
            throw Failure(reason: "zlib stream is corrupt (\(message))")
        }
    }
}

/// Compresses whole objects held in memory into one zlib stream, with
/// deflate streams reused across objects (reset, not allocated and freed
/// for each): the pack writer's common case, objects of a few KiB, where
/// setting a stream up is a noticeable part of compressing it.
enum WholeDeflation {
    private final class Stream: @unchecked Sendable {
        var z = z_stream()
        let level: Int32
        init(level: Int32) {
            self.level = level
            guard deflateInit2_(&z, level, Z_DEFLATED, 15, 8, Z_DEFAULT_STRATEGY, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
                fatalError("zlib deflateInit2 failed")
            }
        }
        deinit { deflateEnd(&z) }
    }

    private static let pool = StreamPool<Stream>()

    /// The zlib stream of `header` followed by `payload`.
    static func compress(header: [UInt8], payload: [UInt8], level: Int32) -> [UInt8] {
        let stream = pool.take { $0.level == level } ?? Stream(level: level)
        defer {
            deflateReset(&stream.z)
            pool.put(stream)
        }
        let bound = Int(deflateBound(&stream.z, UInt(header.count + payload.count)))
        return [UInt8](unsafeUninitializedCapacity: bound) { out, count in
            stream.z.next_out = out.baseAddress
            stream.z.avail_out = UInt32(bound)
            header.withUnsafeBufferPointer { h in
                stream.z.next_in = UnsafeMutablePointer(mutating: h.baseAddress)
                stream.z.avail_in = UInt32(h.count)
                let status = deflate(&stream.z, Z_NO_FLUSH)
                precondition(status == Z_OK && stream.z.avail_in == 0, "zlib deflate failed: \(status)")
            }
            payload.withUnsafeBufferPointer { p in
                stream.z.next_in = UnsafeMutablePointer(mutating: p.baseAddress)
                stream.z.avail_in = UInt32(p.count)
                let status = deflate(&stream.z, Z_FINISH)
                precondition(status == Z_STREAM_END, "zlib deflate failed: \(status)")
            }
            count = bound - Int(stream.z.avail_out)
        }
    }
}

/// zlib streams kept for reuse across objects (a few: one per thread at work).
private final class StreamPool<Stream: AnyObject & Sendable>: Sendable {
    private let streams = Mutex<[Stream]>([])

    /// A kept stream that `fits`, taken out of the pool.
    func take(where fits: (Stream) -> Bool) -> Stream? {
        streams.withLock { kept in kept.lastIndex(where: fits).map { kept.remove(at: $0) } }
    }

    /// Keeps a stream (already reset) for the next object, unless 8 are kept.
    func put(_ stream: Stream) {
        streams.withLock { if $0.count < 8 { $0.append(stream) } }
    }
}
