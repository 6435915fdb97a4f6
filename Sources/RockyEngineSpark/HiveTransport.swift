import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// How a HiveServer2 connection authenticates (`hive.server2.authentication`).
public enum HiveAuthentication: Sendable, Equatable {
    /// NOSASL: the binary protocol straight on the socket, unframed.
    case noSASL
    /// PLAIN SASL (the server's NONE, LDAP and CUSTOM modes): a SASL
    /// handshake, then every message in a 4-byte length frame.
    case plain(user: String, password: String)
}

/// Failures below the protocol: the socket, the deadline, the handshake.
public enum HiveTransportError: Error, Equatable, CustomStringConvertible {
    case connect(String)
    case timeout(String)
    case closed(String)
    case sasl(String)

    public var description: String {
        switch self {
        case let .connect(m): "cannot connect: \(m)"
        case let .timeout(m): "timed out \(m)"
        case let .closed(m): "connection lost: \(m)"
        case let .sasl(m): "SASL authentication failed: \(m)"
        }
    }
}

/// A TCP connection to a HiveServer2 endpoint. Every read and write has a
/// deadline (`timeout` from its start); a frame is at most `maximumFrame`
/// bytes. Framed (SASL) or unframed (NOSASL) as `authentication` requires.
public final class HiveTransport: ThriftByteSource {
    private var fd: Int32 = -1
    public let framed: Bool
    /// How long one read or write may wait for the peer.
    public var timeout: Duration
    public let maximumFrame: Int
    /// Bytes received and not read yet: `buffer[bufferOffset..<bufferEnd]`.
    private var buffer: [UInt8] = []
    private var bufferOffset = 0
    private var bufferEnd = 0
    /// Bytes asked of each recv.
    static let receiveBytes = 1 << 18
    /// Bytes left in the current frame (framed mode).
    private var frameLeft = 0
    private var outgoing: [UInt8] = []

    public init(host: String, port: Int, authentication: HiveAuthentication, timeout: Duration = .seconds(30),
                maximumFrame: Int = 256 << 20) throws {
        self.timeout = timeout
        self.maximumFrame = maximumFrame
        framed = authentication != .noSASL
        fd = try HiveTransport.connect(host: host, port: port, timeout: timeout)
        if case let .plain(user, password) = authentication {
            do {
                try saslPlain(user: user, password: password)
            } catch {
                close()
                throw error
            }
        }
    }

    deinit { close() }

    public var isOpen: Bool { fd >= 0 }

    public func close() {
        if fd >= 0 { Glibc.close(fd) }
        fd = -1
    }

    static func connect(host: String, port: Int, timeout: Duration) throws -> Int32 {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let code = getaddrinfo(host, String(port), &hints, &list)
        guard code == 0, let list else {
            throw HiveTransportError.connect("\(host):\(port): \(String(cString: gai_strerror(code)))")
        }
        defer { freeaddrinfo(list) }
        var lastError = "no address"
        var entry: UnsafeMutablePointer<addrinfo>? = list
        while let info = entry {
            entry = info.pointee.ai_next
            let fd = socket(info.pointee.ai_family, info.pointee.ai_socktype | Int32(SOCK_CLOEXEC.rawValue), info.pointee.ai_protocol)
            guard fd >= 0 else { lastError = String(cString: strerror(errno)); continue }
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
            if Glibc.connect(fd, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0 {
                return fd
            }
            guard errno == EINPROGRESS else {
                lastError = String(cString: strerror(errno))
                Glibc.close(fd)
                continue
            }
            do {
                try wait(fd, events: Int16(POLLOUT), deadline: .now + timeout, what: "connecting to \(host):\(port)")
            } catch {
                Glibc.close(fd)
                throw error
            }
            var soError: Int32 = 0
            var length = socklen_t(MemoryLayout<Int32>.size)
            getsockopt(fd, SOL_SOCKET, SO_ERROR, &soError, &length)
            if soError == 0 {
                var one: Int32 = 1
                setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
                return fd
            }
            lastError = String(cString: strerror(soError))
            Glibc.close(fd)
        }
        throw HiveTransportError.connect("\(host):\(port): \(lastError)")
    }

    /// Waits until `fd` is ready for `events`, at most until `deadline`.
    static func wait(_ fd: Int32, events: Int16, deadline: ContinuousClock.Instant, what: String) throws {
        while true {
            let left = ContinuousClock.now.duration(to: deadline)
            guard left > .zero else { throw HiveTransportError.timeout(what) }
            let (seconds, atto) = left.components
            let ms = Int32(clamping: seconds * 1000 + atto / 1_000_000_000_000_000 + 1)
            var p = pollfd(fd: fd, events: events, revents: 0)
            let n = poll(&p, 1, ms)
            if n < 0 {
                if errno == EINTR { continue }
                throw HiveTransportError.closed("poll: \(String(cString: strerror(errno)))")
            }
            if n > 0 { return }
        }
    }

    // MARK: Raw bytes

    private func sendRaw(_ bytes: [UInt8]) throws {
        guard fd >= 0 else { throw HiveTransportError.closed("the connection is closed") }
        let deadline = ContinuousClock.now + timeout
        var sent = 0
        while sent < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress! + sent, bytes.count - sent, Int32(MSG_NOSIGNAL)) }
            if n > 0 { sent += n; continue }
            if n < 0, errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR {
                try HiveTransport.wait(fd, events: Int16(POLLOUT), deadline: deadline, what: "sending to the server")
                continue
            }
            let reason = n < 0 ? String(cString: strerror(errno)) : "send returned 0"
            close()
            throw HiveTransportError.closed(reason)
        }
    }

    /// Exactly `count` bytes from the socket into `out`, within the deadline.
    private func receiveRaw(_ count: Int, into out: inout [UInt8], deadline: ContinuousClock.Instant) throws {
        var needed = count
        while needed > 0 {
            if bufferOffset < bufferEnd {
                let n = min(needed, bufferEnd - bufferOffset)
                out.append(contentsOf: buffer[bufferOffset..<bufferOffset + n])
                bufferOffset += n
                needed -= n
                continue
            }
            guard fd >= 0 else { throw HiveTransportError.closed("the connection is closed") }
            // Straight into the buffer (kept between reads): no chunk allocated per recv.
            if buffer.count != HiveTransport.receiveBytes { buffer = [UInt8](repeating: 0, count: HiveTransport.receiveBytes) }
            bufferOffset = 0
            bufferEnd = 0
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress!, $0.count, 0) }
            if n > 0 {
                bufferEnd = n
            } else if n == 0 {
                close()
                throw HiveTransportError.closed("the server closed the connection")
            } else if errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR {
                do {
                    try HiveTransport.wait(fd, events: Int16(POLLIN), deadline: deadline, what: "waiting for the server's answer")
                } catch {
                    close()
                    throw error
                }
            } else {
                let reason = String(cString: strerror(errno))
                close()
                throw HiveTransportError.closed(reason)
            }
        }
    }

    // MARK: Messages

    /// Sends one message (framed when the transport is).
    public func send(message: [UInt8]) throws {
        guard message.count <= maximumFrame else { throw ThriftError.limit("outgoing message of \(message.count) bytes") }
        if framed {
            var frame = withUnsafeBytes(of: Int32(message.count).bigEndian) { Array($0) }
            frame.append(contentsOf: message)
            try sendRaw(frame)
        } else {
            try sendRaw(message)
        }
    }

    private var readDeadline = ContinuousClock.now

    /// Starts reading a response: the deadline runs from now.
    public func beginResponse() {
        readDeadline = ContinuousClock.now + timeout
    }

    public func read(_ count: Int, into out: inout [UInt8]) throws {
        guard framed else { return try receiveRaw(count, into: &out, deadline: readDeadline) }
        var needed = count
        while needed > 0 {
            if frameLeft == 0 {
                var header: [UInt8] = []
                try receiveRaw(4, into: &header, deadline: readDeadline)
                let length = Int(Int32(bigEndian: header.withUnsafeBytes { $0.loadUnaligned(as: Int32.self) }))
                guard length > 0, length <= maximumFrame else {
                    close()
                    throw ThriftError.malformed("frame length \(length)")
                }
                frameLeft = length
            }
            let n = min(needed, frameLeft)
            try receiveRaw(n, into: &out, deadline: readDeadline)
            frameLeft -= n
            needed -= n
        }
    }

    /// Ends a response: a framed response must have been read to its end.
    public func endResponse() throws {
        if framed, frameLeft != 0 {
            close()
            throw ThriftError.malformed("\(frameLeft) bytes left over in a frame")
        }
    }

    // MARK: SASL PLAIN

    private enum SASLStatus: UInt8 { case start = 1, ok = 2, bad = 3, error = 4, complete = 5 }

    private func saslPlain(user: String, password: String) throws {
        func message(_ status: SASLStatus, _ payload: [UInt8]) -> [UInt8] {
            [status.rawValue] + withUnsafeBytes(of: Int32(payload.count).bigEndian) { Array($0) } + payload
        }
        try sendRaw(message(.start, Array("PLAIN".utf8)))
        try sendRaw(message(.ok, [0] + Array(user.utf8) + [0] + Array(password.utf8)))
        let deadline = ContinuousClock.now + timeout
        var header: [UInt8] = []
        try receiveRaw(5, into: &header, deadline: deadline)
        let length = Int(Int32(bigEndian: Array(header[1...]).withUnsafeBytes { $0.loadUnaligned(as: Int32.self) }))
        guard length >= 0, length <= 1 << 16 else { throw HiveTransportError.sasl("a reply of \(length) bytes") }
        var payload: [UInt8] = []
        try receiveRaw(length, into: &payload, deadline: deadline)
        switch SASLStatus(rawValue: header[0]) {
        case .complete: return
        case .bad, .error: throw HiveTransportError.sasl(String(decoding: payload, as: UTF8.self))
        default: throw HiveTransportError.sasl("unexpected SASL status \(header[0])")
        }
    }
}
