#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A window of input bytes read with POSIX `read(2)` in large blocks.
///
/// Readers parse `buffer[start..<end]` in place. When a record runs past
/// `end`, the reader calls `refill(keepingFrom:)` with the record's first
/// byte: those bytes move to the front and more are read behind them, so a
/// record never has to fit a fixed block; the buffer doubles when a single
/// record fills it. Memory is therefore bounded by the block size or twice
/// the longest record, whichever is larger, never by the file size.
final class ByteInput {
    enum Source {
        case descriptor(Int32, close: Bool)
        /// In-memory bytes, handed out a block at a time like a file (for tests).
        case memory([UInt8], position: Int)
    }

    private(set) var buffer: UnsafeMutablePointer<UInt8>
    private(set) var capacity: Int
    /// Bytes `0..<end` of `buffer` hold input.
    private(set) var end = 0
    /// Whether the source is exhausted: `buffer[..<end]` is all that is left.
    private(set) var atEOF = false
    /// The offset in the file of `buffer[0]`.
    private(set) var bufferOffset: Int64 = 0
    private var source: Source
    let file: String

    /// The default block: 1 MiB.
    static let defaultBlockSize = 1 << 20

    init(source: Source, file: String, blockSize: Int) {
        precondition(blockSize > 0)
        self.source = source
        self.file = file
        capacity = blockSize
        buffer = .allocate(capacity: blockSize)
    }

    /// Opens `path` for reading.
    convenience init(path: String, file: String, blockSize: Int) throws(ImportError) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw ImportError(.io, file: file, line: 0, column: 0, message: "cannot open: \(ByteInput.errorText(errno))")
        }
        self.init(source: .descriptor(fd, close: true), file: file, blockSize: blockSize)
    }

    deinit {
        if case let .descriptor(fd, true) = source { _ = close(fd) }
        buffer.deallocate()
    }

    /// Drops `buffer[..<keep]`, moves the rest to the front, and reads at
    /// least one more byte unless the source is exhausted. Returns whether
    /// new bytes arrived; indexes into the buffer shift down by `keep`.
    func refill(keepingFrom keep: Int) throws(ImportError) -> Bool {
        precondition(keep <= end)
        if atEOF { return false }
        let kept = end - keep
        if keep > 0 {
            if kept > 0 { buffer.update(from: buffer + keep, count: kept) }
            bufferOffset += Int64(keep)
            end = kept
        }
        if end == capacity {
            let bigger = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity * 2)
            bigger.update(from: buffer, count: end)
            buffer.deallocate()
            buffer = bigger
            capacity *= 2
        }
        while true {
            let n = try readSome(into: buffer + end, count: capacity - end)
            if n == 0 { atEOF = true; return false }
            end += n
            return true
        }
    }

    private func readSome(into target: UnsafeMutablePointer<UInt8>, count: Int) throws(ImportError) -> Int {
        switch source {
        case let .descriptor(fd, _):
            while true {
                let n = read(fd, target, count)
                if n >= 0 { return n }
                if errno == EINTR { continue }
                throw ImportError(.io, file: file, line: 0, column: 0, message: "cannot read: \(ByteInput.errorText(errno))")
            }
        case let .memory(bytes, position):
            let n = min(count, bytes.count - position)
            if n > 0 {
                bytes.withUnsafeBufferPointer { target.update(from: $0.baseAddress! + position, count: n) }
                source = .memory(bytes, position: position + n)
            }
            return n
        }
    }

    static func errorText(_ code: Int32) -> String {
        String(cString: strerror(code))
    }
}
