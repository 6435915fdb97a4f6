import Glibc

/// A buffered output stream: standard output or error, or a capture in tests.
/// A closed pipe (`rocky log | head`) stops output quietly instead of failing.
final class OutputStream {
    enum Target {
        case descriptor(Int32)
        case capture
    }

    private let target: Target
    private var buffer: [UInt8] = []
    private(set) var captured: [UInt8] = []
    private(set) var isClosed = false
    let isTerminal: Bool

    init(_ target: Target) {
        self.target = target
        if case let .descriptor(fd) = target { isTerminal = isatty(fd) == 1 } else { isTerminal = false }
        buffer.reserveCapacity(64 * 1024)
    }

    func write(_ text: String) {
        guard !isClosed else { return }
        buffer.append(contentsOf: text.utf8)
        if buffer.count >= 64 * 1024 { flush() }
    }

    func write(bytes: UnsafeRawBufferPointer) {
        guard !isClosed else { return }
        buffer.append(contentsOf: bytes)
        if buffer.count >= 64 * 1024 { flush() }
    }

    func line(_ text: String = "") { write(text + "\n") }

    func flush() {
        defer { buffer.removeAll(keepingCapacity: true) }
        switch target {
        case .capture:
            captured += buffer
        case let .descriptor(fd):
            var offset = 0
            while offset < buffer.count, !isClosed {
                let n = buffer.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + offset, $0.count - offset) }
                if n < 0 {
                    if errno == EINTR { continue }
                    isClosed = true
                } else {
                    offset += n
                }
            }
        }
    }

    var capturedText: String { String(decoding: captured, as: UTF8.self) }
}
