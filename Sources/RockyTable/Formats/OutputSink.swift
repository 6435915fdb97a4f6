#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writing exported data failed (the disk is full, the pipe closed, ...).
public struct ExportError: Error, Hashable, Sendable, CustomStringConvertible {
    public var message: String
    public var description: String { message }
    public init(_ message: String) { self.message = message }
}

/// Where exported bytes go: a file descriptor, written in large blocks with
/// POSIX `write(2)`, or memory (for tests).
///
/// Bytes reach the descriptor when the block fills and on `flush()`; call
/// `flush()` when done (it is not called on deinit, where an error could
/// not be reported).
public final class OutputSink {
    private enum Target {
        case descriptor(Int32, close: Bool)
        case memory
    }

    private let target: Target
    private let name: String
    private let buffer: UnsafeMutablePointer<UInt8>
    private let capacity: Int
    private var count = 0
    private var memory: [UInt8] = []
    /// All bytes written so far, buffered or not.
    public private(set) var bytesWritten: Int64 = 0

    /// Writes to an open descriptor (standard output, say); does not close it.
    public init(fileDescriptor: Int32, name: String = "output", blockSize: Int = 1 << 20) {
        target = .descriptor(fileDescriptor, close: false)
        self.name = name
        capacity = max(blockSize, 16)
        buffer = .allocate(capacity: capacity)
    }

    /// Creates (or truncates) the file at `path`, closed on deinit.
    public init(path: String, blockSize: Int = 1 << 20) throws(ExportError) {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw ExportError("\(path): cannot create: \(String(cString: strerror(errno)))") }
        target = .descriptor(fd, close: true)
        name = path
        capacity = max(blockSize, 16)
        buffer = .allocate(capacity: capacity)
    }

    /// Collects the bytes in memory; read them with `contents`.
    public init(blockSize: Int = 1 << 16) {
        target = .memory
        name = "memory"
        capacity = max(blockSize, 16)
        buffer = .allocate(capacity: capacity)
    }

    deinit {
        if case let .descriptor(fd, true) = target { _ = close(fd) }
        buffer.deallocate()
    }

    /// Everything written to a memory sink, flushed or not.
    public var contents: [UInt8] { memory + UnsafeBufferPointer(start: buffer, count: count) }

    public func write(_ bytes: UnsafeRawBufferPointer) throws(ExportError) {
        bytesWritten += Int64(bytes.count)
        if count + bytes.count > capacity {
            try flush()
            if bytes.count > capacity {
                try emit(UnsafeRawBufferPointer(bytes))
                return
            }
        }
        if bytes.count > 0 { (buffer + count).update(from: bytes.baseAddress!.assumingMemoryBound(to: UInt8.self), count: bytes.count) }
        count += bytes.count
    }

    public func write(_ text: String) throws(ExportError) {
        try OutputSink.withUTF8(text) { (utf8) throws(ExportError) in try write(UnsafeRawBufferPointer(utf8)) }
    }

    /// `String.withUTF8` for a body with a typed error (that method only rethrows).
    static func withUTF8(_ text: String, _ body: (UnsafeBufferPointer<UInt8>) throws(ExportError) -> Void) throws(ExportError) {
        var text = text
        var failure: ExportError?
        text.withUTF8 { utf8 in
            do throws(ExportError) { try body(utf8) } catch { failure = error }
        }
        if let failure { throw failure }
    }

    public func write(_ bytes: [UInt8]) throws(ExportError) {
        var failure: ExportError?
        bytes.withUnsafeBytes { raw in
            do throws(ExportError) { try write(raw) } catch { failure = error }
        }
        if let failure { throw failure }
    }

    /// Hands the buffered bytes to the descriptor (or memory).
    public func flush() throws(ExportError) {
        guard count > 0 else { return }
        let n = count
        count = 0
        try emit(UnsafeRawBufferPointer(start: buffer, count: n))
    }

    private func emit(_ bytes: UnsafeRawBufferPointer) throws(ExportError) {
        switch target {
        case .memory:
            memory.append(contentsOf: bytes)
        case let .descriptor(fd, _):
            var offset = 0
            while offset < bytes.count {
                let n = Glibc.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    throw ExportError("\(name): cannot write: \(String(cString: strerror(errno)))")
                }
                offset += n
            }
        }
    }
}
