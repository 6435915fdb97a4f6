import CSSL
import Foundation
import Glibc

/// The URL of a repository served over HTTP(S): `https://host[:port]/path`
/// (`http://` only for a loopback host, since it carries credentials and
/// data in the clear).
public struct RemoteURL: Equatable, Sendable, CustomStringConvertible {
    public var tls: Bool
    public var host: String
    public var port: Int
    /// The repository's path on the server, without a trailing slash (may be empty).
    public var path: String

    public var description: String {
        let scheme = tls ? "https" : "http"
        let defaultPort = tls ? 443 : 80
        let h = host.contains(":") ? "[\(host)]" : host
        return "\(scheme)://\(h)\(port == defaultPort ? "" : ":\(port)")\(path)"
    }

    /// Whether `text` is an http(s) URL rather than a path.
    public static func isURL(_ text: String) -> Bool {
        let lower = text.lowercased()
        return lower.hasPrefix("https://") || lower.hasPrefix("http://")
    }

    public init(parsing text: String) throws {
        let lower = text.lowercased()
        let rest: Substring
        if lower.hasPrefix("https://") { tls = true; rest = text.dropFirst(8) } else if lower.hasPrefix("http://") { tls = false; rest = text.dropFirst(7) } else {
            throw HTTPRemoteError.invalidURL(text, reason: "it is neither https:// nor http://")
        }
        let authority = rest.prefix { $0 != "/" }
        var pathPart = String(rest.dropFirst(authority.count))
        if authority.contains("@") {
            throw HTTPRemoteError.invalidURL(text, reason: "credentials do not belong in a URL (it is stored in .rocky/remotes.json); use ROCKY_HTTP_USER and ROCKY_HTTP_PASSWORD or ~/.netrc")
        }
        if pathPart.contains("?") || pathPart.contains("#") { throw HTTPRemoteError.invalidURL(text, reason: "a query or fragment is not allowed") }
        while pathPart.hasSuffix("/") { pathPart.removeLast() }
        var hostPart = String(authority)
        var portNumber = tls ? 443 : 80
        if hostPart.hasPrefix("[") {
            guard let close = hostPart.firstIndex(of: "]") else { throw HTTPRemoteError.invalidURL(text, reason: "unclosed '['") }
            let after = hostPart[hostPart.index(after: close)...]
            let inner = String(hostPart[hostPart.index(after: hostPart.startIndex)..<close])
            if after.hasPrefix(":") {
                guard let p = Int(after.dropFirst()), (1...65535).contains(p) else { throw HTTPRemoteError.invalidURL(text, reason: "bad port") }
                portNumber = p
            } else if !after.isEmpty { throw HTTPRemoteError.invalidURL(text, reason: "unexpected text after ']'") }
            hostPart = inner
        } else if let colon = hostPart.lastIndex(of: ":") {
            guard let p = Int(hostPart[hostPart.index(after: colon)...]), (1...65535).contains(p) else {
                throw HTTPRemoteError.invalidURL(text, reason: "bad port")
            }
            portNumber = p
            hostPart = String(hostPart[..<colon])
        }
        guard !hostPart.isEmpty, hostPart.allSatisfy({ $0.isLetter || $0.isNumber || "-.:".contains($0) }) else {
            throw HTTPRemoteError.invalidURL(text, reason: "bad host name")
        }
        guard pathPart.allSatisfy({ $0.isASCII && !$0.isWhitespace && $0 != "%" && $0.asciiValue.map { $0 >= 0x21 } == true }) else {
            throw HTTPRemoteError.invalidURL(text, reason: "the path must be plain ASCII without spaces or '%'")
        }
        host = hostPart.lowercased()
        port = portNumber
        path = pathPart
        if !tls, !isLoopback {
            throw HTTPRemoteError.invalidURL(text, reason: "http:// is only allowed for a loopback host (localhost, 127.0.0.1, ::1); use https://")
        }
    }

    var isLoopback: Bool { host == "localhost" || host == "::1" || host.hasPrefix("127.") }
}

/// How far a transfer over HTTP has got: objects and bytes (as stored,
/// compressed) received or sent so far. `rocky` draws it on a terminal.
public struct TransferProgress: Sendable {
    public enum Direction: Sendable { case receiving, sending }
    public var direction: Direction
    public var objects: Int
    public var bytes: Int
}

/// How the HTTPS client verifies servers, authenticates and waits.
public struct HTTPSettings: Sendable {
    /// A PEM file of CA certificates to trust instead of the system's (`ROCKY_CA_BUNDLE`).
    public var caFile: String?
    /// The command line's `--ca-file`: before the remote's `http.ca_file`, which comes before `caFile`.
    public var caFileOption: String?
    /// Basic-auth credentials (`ROCKY_HTTP_USER`, `ROCKY_HTTP_PASSWORD`); else the netrc file.
    public var user: String?
    public var password: String?
    /// `NETRC`, else `$HOME/.netrc`.
    public var netrcPath: String?
    /// A shell command printing `username=` and `password=` lines for the
    /// host given as its last argument, run when the server asks for
    /// credentials that neither the environment nor the netrc file give
    /// (`ROCKY_CREDENTIAL_COMMAND`; a remote's `http.credential_command` comes first).
    public var credentialCommand: String?
    /// Seconds any one connect, read or write may wait (`ROCKY_HTTP_TIMEOUT`, default 60).
    public var timeout: Double = 60
    /// Told as objects arrive or leave (several times a second at most is the caller's business).
    public var progress: (@Sendable (TransferProgress) -> Void)?

    public init() {}

    public static func fromEnvironment(_ env: [String: String]) -> HTTPSettings {
        var s = HTTPSettings()
        func value(_ key: String) -> String? { env[key].flatMap { $0.isEmpty ? nil : $0 } }
        s.caFile = value("ROCKY_CA_BUNDLE")
        s.user = value("ROCKY_HTTP_USER")
        s.password = env["ROCKY_HTTP_PASSWORD"]
        s.netrcPath = value("NETRC") ?? value("HOME").map { $0 + "/.netrc" }
        s.credentialCommand = value("ROCKY_CREDENTIAL_COMMAND")
        if let t = value("ROCKY_HTTP_TIMEOUT").flatMap(Double.init), t > 0 { s.timeout = t }
        return s
    }

    /// The settings for `remote`: its CA file unless `--ca-file` gave one
    /// (both before `ROCKY_CA_BUNDLE`), its credential command before `ROCKY_CREDENTIAL_COMMAND`.
    func applying(_ remote: Remote) -> HTTPSettings {
        var s = self
        s.caFile = caFileOption ?? remote.caFile ?? caFile
        s.caFileOption = nil
        s.credentialCommand = remote.credentialCommand ?? credentialCommand
        return s
    }

    /// The CA file in force: `--ca-file`, else `ROCKY_CA_BUNDLE`.
    var effectiveCAFile: String? { caFileOption ?? caFile }

    /// The credentials for `host`: the environment's, else the netrc
    /// file's `machine <host>` (or `default`) entry.
    func credentials(for host: String) -> (user: String, password: String)? {
        if let user { return (user, password ?? "") }
        return netrcCredentials(for: host)
    }

    private func netrcCredentials(for host: String) -> (user: String, password: String)? {
        guard let netrcPath, let data = FileManager.default.contents(atPath: netrcPath) else { return nil }
        let words = String(decoding: data, as: UTF8.self).split(whereSeparator: { $0.isWhitespace }).map(String.init)
        var i = 0
        var found: (user: String, password: String)?
        var matching = false
        var login: String?, secret: String?
        func settle() { if matching, let login, found == nil { found = (login, secret ?? "") } }
        while i < words.count {
            switch words[i] {
            case "machine":
                settle()
                matching = i + 1 < words.count && words[i + 1].lowercased() == host
                login = nil; secret = nil
                i += 2
            case "default":
                settle()
                matching = found == nil
                login = nil; secret = nil
                i += 1
            case "login": login = i + 1 < words.count ? words[i + 1] : nil; i += 2
            case "password": secret = i + 1 < words.count ? words[i + 1] : nil; i += 2
            default: i += 1
            }
        }
        settle()
        return found
    }
}

/// A failure of an HTTP remote. RockyCLI maps `refused` to exit code 5,
/// `raced`-like conflicts come back as `RemoteError`, the rest exit 1.
public enum HTTPRemoteError: Error, Equatable, Sendable, CustomStringConvertible {
    case invalidURL(String, reason: String)
    /// Could not connect (DNS, refused, timeout).
    case connection(url: String, reason: String)
    /// The TLS handshake failed (certificate not trusted, wrong host, ...).
    case tls(url: String, reason: String)
    case timeout(url: String, seconds: Double)
    /// 401: no or wrong credentials.
    case unauthorized(url: String, hadCredentials: Bool)
    /// 403, or a refusal by the served repository's policy.
    case refused(url: String, message: String)
    case notFound(url: String, message: String)
    /// Another status, with the server's message.
    case server(url: String, status: Int, message: String)
    /// The response or request did not follow the protocol (cut off, malformed).
    case protocolError(String)
    /// Fetching raw data of a branch whose classified columns the principal may not see unmasked.
    case rawAccessDenied(actor: String, branch: String, columns: [String])
    /// The credential command failed or printed no `username=` line (its output is never repeated).
    case credentialCommand(host: String, reason: String)
    /// A CA file given to `--ca-file` or `http.ca_file` that cannot be read.
    case unreadableCAFile(String)

    public var description: String {
        switch self {
        case let .invalidURL(url, reason): "invalid remote URL '\(url)': \(reason)"
        case let .connection(url, reason): "cannot connect to \(url): \(reason)"
        case let .tls(url, reason): "TLS with \(url) failed: \(reason) (for a private CA give its PEM file with --ca-file, the remote's http.ca_file, or ROCKY_CA_BUNDLE)"
        case let .timeout(url, seconds): "\(url) did not answer within \(Int(seconds)) s (ROCKY_HTTP_TIMEOUT)"
        case let .unauthorized(url, had):
            had ? "\(url) refused the credentials (HTTP 401): check ROCKY_HTTP_USER/ROCKY_HTTP_PASSWORD, ~/.netrc or the credential command"
                : "\(url) needs credentials (HTTP 401): set ROCKY_HTTP_USER and ROCKY_HTTP_PASSWORD, add the host to ~/.netrc, or configure a credential command"
        case let .refused(url, message): "\(url) refused: \(message)"
        case let .notFound(url, message): "\(url): not found (HTTP 404)\(message.isEmpty ? "" : ": " + message)"
        case let .server(url, status, message): "\(url) answered HTTP \(status)\(message.isEmpty ? "" : ": " + message)"
        case let .protocolError(message): "HTTP remote protocol error: \(message)"
        case let .rawAccessDenied(actor, branch, columns):
            "\(actor) may not fetch \(branch): a fetch carries raw values, and \(actor) may not see these classified columns unmasked: "
                + columns.joined(separator: ", ") + " (needs an environment that does not mask them, the column's access role, or admin)"
        case let .credentialCommand(host, reason): "the credential command for \(host) failed: \(reason)"
        case let .unreadableCAFile(path): "cannot read the CA file \(path)"
        }
    }

    public var code: String {
        switch self {
        case .invalidURL: "invalid_url"
        case .connection: "http_connection_failed"
        case .tls: "tls_failed"
        case .timeout: "http_timeout"
        case .unauthorized: "http_unauthorized"
        case .refused: "http_refused"
        case .notFound: "http_not_found"
        case .server: "http_server_error"
        case .protocolError: "http_protocol_error"
        case .rawAccessDenied: "raw_access_denied"
        case .credentialCommand: "credential_command_failed"
        case .unreadableCAFile: "unreadable_ca_file"
        }
    }

    /// Refused by the server's policy (exit code 5).
    public var isRefusal: Bool {
        switch self {
        case .refused, .rawAccessDenied: true
        default: false
        }
    }
}

/// One connection: TCP, with TLS for https. Every read and write waits at
/// most the settings' timeout.
final class HTTPConnection {
    let url: RemoteURL
    let timeout: Double
    private var fd: Int32 = -1
    private var context: OpaquePointer?
    private var ssl: OpaquePointer?
    private var buffer = [UInt8](repeating: 0, count: 64 << 10)
    private var start = 0, end = 0

    init(url: RemoteURL, settings: HTTPSettings) throws {
        self.url = url
        timeout = settings.timeout
        try connectSocket()
        if url.tls { try handshake(caFile: settings.effectiveCAFile) }
    }

    deinit {
        if let ssl { SSL_free(ssl) }
        if let context { SSL_CTX_free(context) }
        if fd >= 0 { close(fd) }
    }

    private var name: String { url.description }

    private func connectSocket() throws {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(url.host, String(url.port), &hints, &list)
        guard status == 0, let first = list else {
            throw HTTPRemoteError.connection(url: name, reason: "cannot resolve \(url.host): \(String(cString: gai_strerror(status)))")
        }
        defer { freeaddrinfo(list) }
        var lastError = ECONNREFUSED
        var node: UnsafeMutablePointer<addrinfo>? = first
        var tv = timeval(tv_sec: Int(timeout), tv_usec: Int((timeout - Double(Int(timeout))) * 1_000_000))
        while let n = node {
            node = n.pointee.ai_next
            let s = socket(n.pointee.ai_family, n.pointee.ai_socktype, n.pointee.ai_protocol)
            if s < 0 { lastError = errno; continue }
            // Linux applies SO_SNDTIMEO to connect(2) too.
            setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
            setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
            var one: Int32 = 1
            setsockopt(s, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
            if connect(s, n.pointee.ai_addr, n.pointee.ai_addrlen) == 0 { fd = s; return }
            lastError = errno
            close(s)
        }
        if lastError == EINPROGRESS || lastError == EAGAIN || lastError == ETIMEDOUT {
            throw HTTPRemoteError.timeout(url: name, seconds: timeout)
        }
        throw HTTPRemoteError.connection(url: name, reason: String(cString: strerror(lastError)))
    }

    private static func errorQueue() -> String {
        var messages: [String] = []
        while case let code = ERR_get_error(), code != 0 {
            var text = [CChar](repeating: 0, count: 256)
            ERR_error_string_n(code, &text, text.count)
            messages.append(String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        return messages.joined(separator: "; ")
    }

    private func handshake(caFile: String?) throws {
        ERR_clear_error()
        guard let ctx = SSL_CTX_new(TLS_client_method()) else { throw HTTPRemoteError.tls(url: name, reason: "cannot create a TLS context") }
        context = ctx
        _ = rocky_ssl_ctx_min_tls12(ctx)
        SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nil)
        if let caFile {
            guard SSL_CTX_load_verify_locations(ctx, caFile, nil) == 1 else {
                throw HTTPRemoteError.tls(url: name, reason: "cannot load the CA bundle \(caFile): \(Self.errorQueue())")
            }
        } else {
            guard SSL_CTX_set_default_verify_paths(ctx) == 1 else {
                throw HTTPRemoteError.tls(url: name, reason: "cannot load the system's CA certificates: \(Self.errorQueue())")
            }
        }
        guard let s = SSL_new(ctx) else { throw HTTPRemoteError.tls(url: name, reason: "cannot create a TLS session") }
        ssl = s
        SSL_set_fd(s, fd)
        var probe = in6_addr()
        let isAddress = inet_pton(AF_INET, url.host, &probe) == 1 || inet_pton(AF_INET6, url.host, &probe) == 1
        if isAddress {
            X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(s), url.host)
        } else {
            _ = rocky_ssl_set_sni(s, url.host)
            SSL_set1_host(s, url.host)
        }
        if SSL_connect(s) != 1 {
            let verify = SSL_get_verify_result(s)
            if verify != X509_V_OK {
                throw HTTPRemoteError.tls(url: name, reason: "the server's certificate is not trusted: " + String(cString: X509_verify_cert_error_string(verify)))
            }
            let queued = Self.errorQueue()
            if errno == EAGAIN && queued.isEmpty { throw HTTPRemoteError.timeout(url: name, seconds: timeout) }
            if queued.isEmpty || queued.contains("unexpected eof") {
                // Closed or reset before the handshake ended: a dropped connection, worth another attempt.
                throw HTTPRemoteError.connection(url: name, reason: "the connection broke during the TLS handshake (\(errno == 0 ? "closed" : String(cString: strerror(errno))))")
            }
            throw HTTPRemoteError.tls(url: name, reason: queued.isEmpty ? "the handshake failed (\(String(cString: strerror(errno))))" : queued)
        }
    }

    // MARK: Bytes

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        var done = 0
        while done < bytes.count {
            let rest = UnsafeRawBufferPointer(rebasing: bytes[done...])
            let n: Int
            if let ssl {
                ERR_clear_error()
                let r = SSL_write(ssl, rest.baseAddress, Int32(min(rest.count, 1 << 30)))
                if r <= 0 {
                    let e = SSL_get_error(ssl, r)
                    if e == SSL_ERROR_WANT_WRITE || e == SSL_ERROR_WANT_READ { throw HTTPRemoteError.timeout(url: name, seconds: timeout) }
                    throw HTTPRemoteError.connection(url: name, reason: "the connection broke while sending (\(Self.errorQueue().isEmpty ? String(cString: strerror(errno)) : Self.errorQueue()))")
                }
                n = Int(r)
            } else {
                let r = Glibc.send(fd, rest.baseAddress, rest.count, Int32(MSG_NOSIGNAL))
                if r < 0 {
                    if errno == EINTR { continue }
                    if errno == EAGAIN { throw HTTPRemoteError.timeout(url: name, seconds: timeout) }
                    throw HTTPRemoteError.connection(url: name, reason: "the connection broke while sending (\(String(cString: strerror(errno))))")
                }
                n = r
            }
            done += n
        }
    }

    func write(_ bytes: [UInt8]) throws { try bytes.withUnsafeBytes { try write($0) } }
    func write(_ text: String) throws { try write(Array(text.utf8)) }

    /// Reads what the socket has into the buffer; false at end of stream.
    private func fill() throws -> Bool {
        if start == end { start = 0; end = 0 }
        if end == buffer.count {
            if start > 0 {
                buffer.replaceSubrange(0..<(end - start), with: buffer[start..<end])
                end -= start; start = 0
            } else {
                buffer += [UInt8](repeating: 0, count: buffer.count)
            }
        }
        let n: Int = try buffer.withUnsafeMutableBytes { raw in
            let target = raw.baseAddress! + end
            let room = raw.count - end
            while true {
                if let ssl {
                    ERR_clear_error()
                    let r = SSL_read(ssl, target, Int32(min(room, 1 << 30)))
                    if r > 0 { return Int(r) }
                    let e = SSL_get_error(ssl, r)
                    if e == SSL_ERROR_ZERO_RETURN { return 0 }
                    if e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE { throw HTTPRemoteError.timeout(url: name, seconds: timeout) }
                    if e == SSL_ERROR_SYSCALL && ERR_peek_error() == 0 && errno == 0 { return 0 }
                    if e == SSL_ERROR_SSL, Self.errorQueue().contains("unexpected eof") { return 0 }
                    throw HTTPRemoteError.connection(url: name, reason: "the connection broke while receiving (\(String(cString: strerror(errno))))")
                } else {
                    let r = Glibc.recv(fd, target, room, 0)
                    if r >= 0 { return r }
                    if errno == EINTR { continue }
                    if errno == EAGAIN { throw HTTPRemoteError.timeout(url: name, seconds: timeout) }
                    throw HTTPRemoteError.connection(url: name, reason: "the connection broke while receiving (\(String(cString: strerror(errno))))")
                }
            }
        }
        end += n
        return n > 0
    }

    /// One line ending in CRLF (without it); nil at end of stream.
    func readLine(limit: Int = 16 << 10) throws -> String? {
        while true {
            if let nl = buffer[start..<end].firstIndex(of: UInt8(ascii: "\n")) {
                var line = Array(buffer[start..<nl])
                start = nl + 1
                if line.last == UInt8(ascii: "\r") { line.removeLast() }
                return String(decoding: line, as: UTF8.self)
            }
            if end - start > limit { throw HTTPRemoteError.protocolError("a header line longer than \(limit) bytes") }
            if try !fill() { return end > start ? nil : nil }
        }
    }

    /// Up to `max` bytes (at least one), or empty at end of stream.
    func readSome(max: Int) throws -> ArraySlice<UInt8> {
        if start == end, try !fill() { return [] }
        let n = min(max, end - start)
        defer { start += n }
        return buffer[start..<(start + n)]
    }
}

/// An HTTP/1.1 response whose body is read as it arrives.
final class HTTPResponse {
    let status: Int
    let headers: [String: String]
    private let connection: HTTPConnection
    private enum Framing { case length(Int), chunked(remaining: Int, done: Bool), close }
    private var framing: Framing
    private var finished = false

    init(connection: HTTPConnection) throws {
        self.connection = connection
        guard let statusLine = try connection.readLine() else {
            throw HTTPRemoteError.connection(url: connection.url.description, reason: "the connection closed without an answer")
        }
        let parts = statusLine.split(separator: " ", maxSplits: 2)
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/1."), let code = Int(parts[1]) else {
            throw HTTPRemoteError.protocolError("\(connection.url) answered '\(statusLine.prefix(80))', not HTTP/1.1")
        }
        status = code
        var headers: [String: String] = [:]
        while let line = try connection.readLine(), !line.isEmpty {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        self.headers = headers
        if headers["transfer-encoding"]?.lowercased().contains("chunked") == true {
            framing = .chunked(remaining: 0, done: false)
        } else if let length = headers["content-length"].flatMap(Int.init) {
            framing = .length(length)
        } else {
            framing = .close
        }
    }

    /// The next bytes of the body (at most `max`); empty at its end. A body
    /// cut off before its declared end throws.
    func read(max: Int = 1 << 20) throws -> ArraySlice<UInt8> {
        switch framing {
        case let .length(remaining):
            if remaining == 0 { return [] }
            let got = try connection.readSome(max: min(max, remaining))
            if got.isEmpty { throw HTTPRemoteError.connection(url: connection.url.description, reason: "the response was cut off") }
            framing = .length(remaining - got.count)
            return got
        case let .chunked(remaining, done):
            if done { return [] }
            var left = remaining
            if left == 0 {
                guard let sizeLine = try connection.readLine() else { throw HTTPRemoteError.connection(url: connection.url.description, reason: "the response was cut off") }
                let hex = sizeLine.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
                guard let size = Int(hex, radix: 16), size >= 0 else { throw HTTPRemoteError.protocolError("bad chunk size '\(sizeLine.prefix(20))'") }
                if size == 0 {
                    while let trailer = try connection.readLine(), !trailer.isEmpty {}
                    framing = .chunked(remaining: 0, done: true)
                    return []
                }
                left = size
            }
            let got = try connection.readSome(max: min(max, left))
            if got.isEmpty { throw HTTPRemoteError.connection(url: connection.url.description, reason: "the response was cut off") }
            left -= got.count
            if left == 0 { _ = try connection.readLine() }
            framing = .chunked(remaining: left, done: false)
            return got
        case .close:
            return try connection.readSome(max: max)
        }
    }

    /// The whole body (for small answers: ref lists, errors), at most `limit` bytes.
    func readAll(limit: Int = 16 << 20) throws -> [UInt8] {
        var all: [UInt8] = []
        while true {
            let piece = try read()
            if piece.isEmpty { return all }
            all += piece
            if all.count > limit { throw HTTPRemoteError.protocolError("an answer larger than \(limit) bytes") }
        }
    }
}

/// Sends requests to one remote URL: one connection per request
/// (`Connection: close`), basic authentication when credentials are known.
struct HTTPClient {
    let url: RemoteURL
    let settings: HTTPSettings
    /// What the credential command printed, once it has run (never stored, never printed).
    private let fromCommand = CommandCredentials()

    init(url: RemoteURL, settings: HTTPSettings) {
        self.url = url
        self.settings = settings
    }

    /// Attempts of a request whose connection drops (refused, reset,
    /// closed before or while the answer's head arrives), waiting 0.5 s,
    /// then 1 s, between them. Every request of the protocol may be
    /// repeated: listing and fetching change nothing, and a push is a
    /// compare-and-swap (its repetition after a lost answer finds the
    /// branch already moved to the pushed commit).
    static let attempts = 3

    /// The pause before attempt `attempt + 1`.
    static func backoff(after attempt: Int) {
        usleep(useconds_t(500_000 << (attempt - 1)))
    }

    /// Whether `error` is a dropped connection, worth another attempt.
    static func isDropped(_ error: Error) -> Bool {
        if case HTTPRemoteError.connection? = error as? HTTPRemoteError { return true }
        return false
    }

    /// Sends `method` to `<url path>/<endpoint>`; `body` streams the
    /// request body (chunked) through the writer it is given (again, on a
    /// retry after a dropped connection). A 401 to a request sent without
    /// credentials runs the credential command, if there is one, and sends
    /// the request again with what it printed.
    func send(_ method: String, _ endpoint: String, contentType: String? = nil,
              body: ((ChunkedWriter) throws -> Void)? = nil) throws -> HTTPResponse {
        let response = try sendRetrying(method, endpoint, contentType: contentType, body: body)
        guard response.status == 401, credentials == nil, let command = settings.credentialCommand, !fromCommand.ran else { return response }
        fromCommand.value = try Self.runCredentialCommand(command, host: url.host)
        fromCommand.ran = true
        return try sendRetrying(method, endpoint, contentType: contentType, body: body)
    }

    private func sendRetrying(_ method: String, _ endpoint: String, contentType: String?,
                              body: ((ChunkedWriter) throws -> Void)?) throws -> HTTPResponse {
        var attempt = 1
        while true {
            do {
                return try sendOnce(method, endpoint, contentType: contentType, body: body)
            } catch {
                guard Self.isDropped(error), attempt < HTTPClient.attempts else { throw error }
                Self.backoff(after: attempt)
                attempt += 1
            }
        }
    }

    private func sendOnce(_ method: String, _ endpoint: String, contentType: String?,
                          body: ((ChunkedWriter) throws -> Void)?) throws -> HTTPResponse {
        let connection = try HTTPConnection(url: url, settings: settings)
        var head = "\(method) \(url.path)/\(endpoint) HTTP/1.1\r\n"
        let defaultPort = url.tls ? 443 : 80
        let hostName = url.host.contains(":") ? "[\(url.host)]" : url.host
        head += "Host: \(hostName)\(url.port == defaultPort ? "" : ":\(url.port)")\r\n"
        head += "User-Agent: rocky\r\nConnection: close\r\nAccept: application/json, application/x-rocky-pack\r\n"
        if let (user, password) = credentials {
            head += "Authorization: Basic " + Data("\(user):\(password)".utf8).base64EncodedString() + "\r\n"
        }
        if let contentType { head += "Content-Type: \(contentType)\r\n" }
        if body != nil { head += "Transfer-Encoding: chunked\r\n" }
        try connection.write(head + "\r\n")
        if let body {
            let writer = ChunkedWriter(connection: connection)
            do {
                try body(writer)
                try writer.finish()
            } catch let error as HTTPRemoteError {
                // The server may have answered early (401, 413): its answer says more.
                if case .connection = error, let response = try? HTTPResponse(connection: connection), response.status >= 400 {
                    return response
                }
                throw error
            }
        }
        return try HTTPResponse(connection: connection)
    }

    /// The credentials sent: the environment's, the netrc file's, else what the credential command printed.
    var credentials: (user: String, password: String)? {
        settings.credentials(for: url.host) ?? fromCommand.value
    }

    var hadCredentials: Bool { credentials != nil }

    /// Runs `command` through /bin/sh with `host` as its last argument, its
    /// standard input empty and its standard error the user's; reads the
    /// `username=` and `password=` lines it prints (others are ignored, as
    /// git's credential helpers may print more). A failure never repeats
    /// what it printed.
    static func runCredentialCommand(_ command: String, host: String) throws -> (user: String, password: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", command + " \"$@\"", "rocky-credential", host]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardInput = FileHandle.nullDevice
        do { try process.run() } catch {
            throw HTTPRemoteError.credentialCommand(host: host, reason: "cannot run /bin/sh: \(error)")
        }
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationReason == .exit, process.terminationStatus == 0 else {
            let how = process.terminationReason == .exit ? "exit status \(process.terminationStatus)" : "killed by signal \(process.terminationStatus)"
            throw HTTPRemoteError.credentialCommand(host: host, reason: how)
        }
        var user: String?, password: String?
        for raw in String(decoding: output, as: UTF8.self).split(separator: "\n") {
            let line = raw.hasSuffix("\r") ? raw.dropLast() : raw
            if line.hasPrefix("username=") { user = String(line.dropFirst(9)) }
            if line.hasPrefix("password=") { password = String(line.dropFirst(9)) }
        }
        guard let user, !user.isEmpty else {
            throw HTTPRemoteError.credentialCommand(host: host, reason: "it printed no username= line")
        }
        return (user, password ?? "")
    }
}

/// The credential command's answer, kept for the requests of one operation.
final class CommandCredentials: @unchecked Sendable {
    var ran = false
    var value: (user: String, password: String)?
}

/// Writes a request body in HTTP/1.1 chunks of up to 256 KiB.
final class ChunkedWriter {
    private let connection: HTTPConnection
    private var pending: [UInt8] = []
    private(set) var bytes = 0

    init(connection: HTTPConnection) {
        self.connection = connection
        pending.reserveCapacity(256 << 10)
    }

    func write(_ data: UnsafeRawBufferPointer) throws {
        bytes += data.count
        pending.append(contentsOf: data)
        if pending.count >= 256 << 10 { try flush() }
    }

    func write(_ data: [UInt8]) throws { try data.withUnsafeBytes { try write($0) } }

    private func flush() throws {
        guard !pending.isEmpty else { return }
        try connection.write(String(pending.count, radix: 16) + "\r\n")
        try connection.write(pending)
        try connection.write("\r\n")
        pending.removeAll(keepingCapacity: true)
    }

    func finish() throws {
        try flush()
        try connection.write("0\r\n\r\n")
    }
}
