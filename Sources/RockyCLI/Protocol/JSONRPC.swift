import Foundation
import Glibc
import RockyBase

/// JSON-RPC 2.0 over a byte stream, the one protocol layer of `rocky lsp`
/// and `rocky mcp` (Docs/editors.md, Docs/agents.md).
///
/// Messages are framed as the Language Server Protocol frames them
/// (`Content-Length: N` headers, a blank line, N bytes) or as MCP's stdio
/// transport does (one JSON document per line). A message larger than
/// `maxMessageBytes` is skipped and answered with an invalid-request error;
/// a message that is not JSON gets a parse error; one that is JSON but not a
/// request gets an invalid-request error; an unknown method gets
/// method-not-found. None of them stops the server.
enum RPC {
    enum Framing: Sendable { case contentLength, newline }

    /// The error codes of JSON-RPC 2.0 and LSP's cancellation.
    static let parseError = -32700
    static let invalidRequest = -32600
    static let methodNotFound = -32601
    static let invalidParams = -32602
    static let internalError = -32603
    static let requestCancelled = -32800

    /// An error answered to a request.
    struct Failure: Error, CustomStringConvertible {
        var code: Int
        var message: String
        var data: JSON?
        init(_ code: Int, _ message: String, data: JSON? = nil) {
            self.code = code
            self.message = message
            self.data = data
        }
        var description: String { "\(code): \(message)" }
    }

    /// One message read from the stream.
    enum Incoming {
        case request(id: JSON, method: String, params: JSON?)
        case notification(method: String, params: JSON?)
        /// A response from the client to a request of ours (ignored).
        case response
    }
}

/// Reads framed messages from a file descriptor, never holding more than
/// one message (bounded) in memory.
final class MessageReader {
    enum Item {
        case message([UInt8])
        /// Answered with an error; reading goes on.
        case bad(code: Int, message: String)
        case end
    }

    private let fd: Int32
    private let framing: RPC.Framing
    private let maxBytes: Int
    private var buffer: [UInt8] = []
    private var start = 0
    private var atEnd = false

    init(fd: Int32, framing: RPC.Framing, maxBytes: Int) {
        self.fd = fd
        self.framing = framing
        self.maxBytes = maxBytes
    }

    /// Reads more bytes; false at end of input.
    private func fill() -> Bool {
        if atEnd { return false }
        if start > 0 && start == buffer.count { buffer.removeAll(keepingCapacity: true); start = 0 }
        if start > 65536 { buffer.removeSubrange(0..<start); start = 0 }
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, 65536) }
            if n > 0 { buffer.append(contentsOf: chunk[0..<n]); return true }
            if n < 0 && errno == EINTR { continue }
            atEnd = true
            return false
        }
    }

    private var available: Int { buffer.count - start }

    /// The next line (without its `\n`, and without a trailing `\r`), or nil
    /// at end of input; a line longer than `limit` is consumed and reported
    /// as `tooLong`.
    private func line(limit: Int) -> (bytes: [UInt8], tooLong: Bool)? {
        var scanned = 0
        var skipped = false
        while true {
            if let i = buffer[(start + scanned)...].firstIndex(of: UInt8(ascii: "\n")) {
                var bytes = skipped ? [] : Array(buffer[start..<i])
                start = i + 1
                if bytes.last == UInt8(ascii: "\r") { bytes.removeLast() }
                return (bytes, skipped || bytes.count > limit)
            }
            scanned = available
            if scanned > limit {
                // Too long: drop what is buffered and skip to the next newline.
                skipped = true
                start = buffer.count
                scanned = 0
            }
            if !fill() {
                if available == 0 && !skipped { return nil }
                let bytes = skipped ? [] : Array(buffer[start...])
                start = buffer.count
                return (bytes, skipped || bytes.count > limit)
            }
        }
    }

    func next() -> Item {
        switch framing {
        case .newline:
            while true {
                guard let (bytes, tooLong) = line(limit: maxBytes) else { return .end }
                if tooLong { return .bad(code: RPC.invalidRequest, message: "message larger than \(maxBytes) bytes") }
                if bytes.allSatisfy({ $0 == 32 || $0 == 9 || $0 == 13 }) { continue }
                return .message(bytes)
            }
        case .contentLength:
            var length: Int?
            var sawHeader = false
            var malformed: String?
            while true {
                guard let (bytes, tooLong) = line(limit: 8192) else {
                    return sawHeader ? .bad(code: RPC.parseError, message: "input ended inside a message header") : .end
                }
                if tooLong { malformed = "header line longer than 8192 bytes"; sawHeader = true; continue }
                if bytes.isEmpty {
                    if !sawHeader { continue }
                    break
                }
                sawHeader = true
                let text = String(decoding: bytes, as: UTF8.self)
                guard let colon = text.firstIndex(of: ":") else { malformed = "header line without ':'"; continue }
                let name = text[..<colon].trimmingCharacters(in: .whitespaces).lowercased()
                let value = text[text.index(after: colon)...].trimmingCharacters(in: .whitespaces)
                if name == "content-length" {
                    guard let n = Int(value), n >= 0 else { malformed = "Content-Length is not a number: \(value)"; continue }
                    length = n
                }
            }
            if let malformed { return .bad(code: RPC.parseError, message: malformed) }
            guard let length else { return .bad(code: RPC.parseError, message: "a message header without Content-Length") }
            if length > maxBytes {
                var left = length
                while left > 0 {
                    if available == 0 && !fill() { break }
                    let take = min(left, available)
                    start += take
                    left -= take
                }
                return .bad(code: RPC.invalidRequest, message: "message of \(length) bytes is larger than \(maxBytes) bytes")
            }
            while available < length {
                if !fill() {
                    start = buffer.count
                    return .bad(code: RPC.parseError, message: "input ended inside a message of \(length) bytes")
                }
            }
            let bytes = Array(buffer[start..<(start + length)])
            start += length
            return .message(bytes)
        }
    }
}

/// A JSON-RPC server: a reader thread takes messages off the input (and
/// notes cancellations as soon as they arrive); the calling thread handles
/// them one at a time, in order, and writes each answer.
final class RPCServer: @unchecked Sendable {
    typealias RequestHandler = (_ method: String, _ params: JSON?, _ id: JSON) throws -> JSON
    typealias NotificationHandler = (_ method: String, _ params: JSON?) -> Void

    let framing: RPC.Framing
    private let reader: MessageReader
    private let outputFD: Int32
    private let writeLock = NSLock()
    private let queue = NSCondition()
    private var pending: [MessageReader.Item] = []
    private var cancelled: Set<JSON> = []
    /// The methods whose notification cancels a request, and where its id is.
    private let cancelMethod: String
    private let cancelIDKey: String
    /// A cancelled request is answered (LSP: error -32800) or not at all (MCP).
    private let answerCancelled: Bool
    private var stopped = false

    init(framing: RPC.Framing, inputFD: Int32 = 0, outputFD: Int32 = 1, maxMessageBytes: Int = 8 << 20,
         cancelMethod: String, cancelIDKey: String, answerCancelled: Bool) {
        self.framing = framing
        reader = MessageReader(fd: inputFD, framing: framing, maxBytes: maxMessageBytes)
        self.outputFD = outputFD
        self.cancelMethod = cancelMethod
        self.cancelIDKey = cancelIDKey
        self.answerCancelled = answerCancelled
    }

    /// Whether the client cancelled request `id` (a long handler may ask).
    func isCancelled(_ id: JSON) -> Bool {
        queue.lock(); defer { queue.unlock() }
        return cancelled.contains(id)
    }

    /// Ends `serve` after the message being handled.
    func stop() {
        queue.lock(); stopped = true; queue.unlock()
    }

    /// Handles messages until end of input or `stop()`.
    func serve(request: RequestHandler, notification: NotificationHandler) {
        let thread = Thread { [self] in readLoop() }
        thread.stackSize = 4 << 20
        thread.start()
        while true {
            queue.lock()
            while pending.isEmpty && !stopped { queue.wait() }
            if stopped { queue.unlock(); return }
            let item = pending.removeFirst()
            queue.unlock()
            switch item {
            case .end: return
            case let .bad(code, message): send(error: RPC.Failure(code, message), id: .null)
            case let .message(bytes): handle(bytes, request: request, notification: notification)
            }
        }
    }

    private func readLoop() {
        while true {
            let item = reader.next()
            queue.lock()
            if case let .message(bytes) = item, let id = cancellation(bytes) {
                cancelled.insert(id)
            }
            pending.append(item)
            queue.signal()
            queue.unlock()
            if case .end = item { return }
        }
    }

    /// The request id a cancellation notification names.
    private func cancellation(_ bytes: [UInt8]) -> JSON? {
        guard let message = try? bytes.withUnsafeBufferPointer({ try JSON(parsing: $0) }),
              message["method"]?.stringValue == cancelMethod, let id = message["params"]?[cancelIDKey] else { return nil }
        return id
    }

    private func handle(_ bytes: [UInt8], request: RequestHandler, notification: NotificationHandler) {
        let message: JSON
        do {
            message = try bytes.withUnsafeBufferPointer { try JSON(parsing: $0) }
        } catch {
            return send(error: RPC.Failure(RPC.parseError, "parse error: \(error)"), id: .null)
        }
        let incoming: RPC.Incoming
        switch RPCServer.classify(message) {
        case let .success(value): incoming = value
        case let .failure(failure): return send(error: failure.value.0, id: failure.value.1)
        }
        switch incoming {
        case .response: return
        case let .notification(method, params):
            if method == cancelMethod { return }
            notification(method, params)
        case let .request(id, method, params):
            if isCancelled(id) {
                queue.lock(); cancelled.remove(id); queue.unlock()
                if answerCancelled { send(error: RPC.Failure(RPC.requestCancelled, "request cancelled"), id: id) }
                return
            }
            do {
                let result = try request(method, params, id)
                if isCancelled(id) {
                    queue.lock(); cancelled.remove(id); queue.unlock()
                    if !answerCancelled { return }
                }
                send(.object(["jsonrpc": .string("2.0"), "id": id, "result": result]))
            } catch let failure as RPC.Failure {
                send(error: failure, id: id)
            } catch {
                send(error: RPC.Failure(RPC.internalError, String(describing: error)), id: id)
            }
        }
    }

    /// A request, a notification or a response, or the error to answer.
    static func classify(_ message: JSON) -> Result<RPC.Incoming, FailureWithID> {
        guard case .object = message else {
            return .failure(FailureWithID((RPC.Failure(RPC.invalidRequest, "a message is a JSON object (batches are not supported)"), .null)))
        }
        let idValue = message["id"]
        var id: JSON = .null
        if let idValue {
            switch idValue {
            case .string, .number: id = idValue
            default:
                return .failure(FailureWithID((RPC.Failure(RPC.invalidRequest, "id is a string or a number"), .null)))
            }
        }
        guard message["jsonrpc"]?.stringValue == "2.0" else {
            return .failure(FailureWithID((RPC.Failure(RPC.invalidRequest, "jsonrpc must be \"2.0\""), id)))
        }
        guard let methodValue = message["method"] else {
            if idValue != nil, message["result"] != nil || message["error"] != nil { return .success(.response) }
            return .failure(FailureWithID((RPC.Failure(RPC.invalidRequest, "a request needs a method"), id)))
        }
        guard let method = methodValue.stringValue else {
            return .failure(FailureWithID((RPC.Failure(RPC.invalidRequest, "method is a string"), id)))
        }
        // `"params": null` is taken as no params (clients send it with `shutdown` and `exit`).
        let params = message["params"].flatMap { $0.isNull ? nil : $0 }
        if let params {
            switch params {
            case .object, .array: break
            default: return .failure(FailureWithID((RPC.Failure(RPC.invalidRequest, "params is an object or an array"), id)))
            }
        }
        return .success(idValue == nil ? .notification(method: method, params: params) : .request(id: id, method: method, params: params))
    }

    struct FailureWithID: Error {
        var value: (RPC.Failure, JSON)
        init(_ value: (RPC.Failure, JSON)) { self.value = value }
    }

    func send(error: RPC.Failure, id: JSON) {
        var body: [JSON.Member] = [JSON.Member("code", .int(error.code)), JSON.Member("message", .string(error.message))]
        if let data = error.data { body.append(JSON.Member("data", data)) }
        send(.object(["jsonrpc": .string("2.0"), "id": id, "error": .object(body)]))
    }

    /// A notification from the server.
    func notify(_ method: String, _ params: JSON) {
        send(.object(["jsonrpc": .string("2.0"), "method": .string(method), "params": params]))
    }

    func send(_ message: JSON) {
        let body = Array(message.compactText.utf8)
        var bytes: [UInt8]
        switch framing {
        case .contentLength: bytes = Array("Content-Length: \(body.count)\r\n\r\n".utf8) + body
        case .newline: bytes = body + [UInt8(ascii: "\n")]
        }
        writeLock.lock(); defer { writeLock.unlock() }
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { write(outputFD, $0.baseAddress, $0.count) }
            if n > 0 { offset += n; continue }
            if n < 0 && errno == EINTR { continue }
            return
        }
    }
}
