import Foundation
import Glibc
import Rocky
import RockyBase
import RockyStore

/// `rocky http-backend`: the CGI program behind a web server.
struct HTTPBackendCommand: Command {
    static let name = "http-backend"
    static let abstract = "Serve repositories over HTTP(S) as a CGI program behind a web server"
    static let usage = ["http-backend"]
    static let help = """
    A CGI program (for any web server that runs CGI, or FastCGI through
    fcgiwrap): the web server terminates TLS and authenticates; this speaks
    the repository protocol (Docs/remotes.md). It reads the CGI variables:

      ROCKY_PROJECT_ROOT  the folder of served repositories (absolute); nothing outside it is reachable
      PATH_INFO           /<repository>/info/refs | upload-pack | receive-pack
      REMOTE_USER         the authenticated user: the principal of [access.principals]
                          (a request without one is refused; --as and ROCKY_ACTOR are ignored)
      REMOTE_ADDR         the client address, recorded in the audit entries
      ROCKY_ENV           the environment whose masking decides what may be fetched raw

    A fetch needs 'read' on each branch and the right to see its classified
    columns unmasked; a push needs 'write', and applies by compare-and-swap
    after every received object is verified in quarantine. Both are audited.
    """

    init(parsing arguments: inout Arguments) throws {
        _ = try arguments.positionals(max: 0, names: "no arguments (the request comes in CGI variables)")
    }

    func run(_ context: CommandContext) throws {
        let env = context.environment
        guard env["REQUEST_METHOD"] != nil else {
            throw UsageError("rocky http-backend is a CGI program: run it from a web server, which sets REQUEST_METHOD, PATH_INFO and REMOTE_USER (Docs/remotes.md)", command: HTTPBackendCommand.self)
        }
        let output = CGIOutput()
        do {
            try serve(env, output: output, context: context)
        } catch {
            if output.headersSent { throw error }
            output.error(error)
        }
        try output.flush()
    }

    private func serve(_ env: [String: String], output: CGIOutput, context: CommandContext) throws {
        guard let root = env["ROCKY_PROJECT_ROOT"], !root.isEmpty else {
            throw CGIFailure(status: 500, code: "no_project_root", message: "the web server sets no ROCKY_PROJECT_ROOT (the folder of served repositories)")
        }
        let (path, endpoint) = try ServedPath.resolve(root: root, pathInfo: env["PATH_INFO"] ?? "")
        guard let user = env["REMOTE_USER"], !user.isEmpty else {
            throw CGIFailure(status: 401, code: "unauthenticated",
                             message: "the request is not authenticated (the web server passed no REMOTE_USER): anonymous access is refused")
        }
        let method = env["REQUEST_METHOD"] ?? "GET"
        let client = env["REMOTE_ADDR"].flatMap { $0.isEmpty ? nil : $0 } ?? "unknown"
        var settings = context.settings
        settings.actor = user
        let repo = try Repository.open(discoveringFrom: path, settings: settings)
        let input = CGIInput(limit: env["CONTENT_LENGTH"].flatMap(Int.init))
        switch (endpoint, method) {
        case ("info/refs", "GET"):
            let (head, branches) = try repo.servedRefs()
            let json: JSON = .object([
                "head": head.map(JSON.string) ?? .null,
                "refs": .object(branches.map { JSON.Member($0.name, .string($0.id.hex)) }),
                "tags": .object(try repo.servedTags().map { JSON.Member($0.name, .string($0.id.hex)) }),
                "version": .int(1),
            ])
            output.head(200, contentType: "application/json")
            try output.write(Array((json.canonicalText + "\n").utf8))
        case ("upload-pack", "POST"):
            let body = try input.readAll(limit: 64 << 20)
            guard let request = try? JSON(parsing: String(decoding: body, as: UTF8.self)) else {
                throw CGIFailure(status: 400, code: "bad_request", message: "upload-pack needs a JSON request")
            }
            let haves = (request["haves"]?.arrayValue ?? []).compactMap { $0.stringValue.flatMap { ObjectID(hex: $0) } }
            let branches = request["branches"]?.arrayValue?.compactMap(\.stringValue)
            try repo.serveFetch(branches: branches, haves: haves, client: client, begin: { _ in
                output.head(200, contentType: "application/x-rocky-pack")
            }, write: { try output.write($0) })
        case ("receive-pack", "POST"):
            let pushed = try repo.serveReceive(client: client) { try input.read() }
            output.head(200, contentType: "application/json")
            var json: JSON = .object([
                "branch": .string(pushed.branch),
                "old": pushed.old.map { .string($0.hex) } ?? .null,
                "new": .string(pushed.new.hex),
                "objects": .int(pushed.objects),
                "forced": .bool(pushed.forced),
            ])
            if let tag = pushed.tag { json = .object((json.members ?? []) + [JSON.Member("tag", .string(tag))]) }
            try output.write(Array((json.canonicalText + "\n").utf8))
        default:
            throw CGIFailure(status: 405, code: "method_not_allowed", message: "\(method) \(endpoint) is not served (GET info/refs, POST upload-pack, POST receive-pack)")
        }
    }
}

/// A refusal with its own HTTP status.
struct CGIFailure: Error, CustomStringConvertible {
    var status: Int
    var code: String
    var message: String
    var description: String { message }
}

/// The request body on standard input: at most CONTENT_LENGTH bytes when
/// the server gives one, else to the end of input.
final class CGIInput {
    private var remaining: Int?
    init(limit: Int?) { remaining = limit }

    func read() throws -> ArraySlice<UInt8> {
        if let remaining, remaining <= 0 { return [] }
        var buffer = [UInt8](repeating: 0, count: min(1 << 20, remaining ?? 1 << 20))
        while true {
            let n = buffer.withUnsafeMutableBytes { Glibc.read(0, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            guard n >= 0 else { throw StoreError.io(path: "standard input", operation: "read", errno: errno) }
            if let r = remaining { remaining = r - n }
            return buffer[0..<n]
        }
    }

    func readAll(limit: Int) throws -> [UInt8] {
        var all: [UInt8] = []
        while true {
            let piece = try read()
            if piece.isEmpty { return all }
            all += piece
            if all.count > limit { throw CGIFailure(status: 413, code: "too_large", message: "a request larger than \(limit) bytes") }
        }
    }
}

/// The CGI response on standard output: `Status:` and headers, then the body, buffered.
final class CGIOutput {
    private(set) var headersSent = false
    private var pending: [UInt8] = []

    func head(_ status: Int, contentType: String) {
        let reason = [200: "OK", 400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed",
                      409: "Conflict", 413: "Payload Too Large", 500: "Internal Server Error"][status] ?? "Error"
        pending += Array("Status: \(status) \(reason)\r\nContent-Type: \(contentType)\r\nCache-Control: no-cache\r\n\r\n".utf8)
        headersSent = true
    }

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        pending.append(contentsOf: bytes)
        if pending.count >= 256 << 10 { try flush() }
    }

    func write(_ bytes: [UInt8]) throws { try bytes.withUnsafeBytes { try write($0) } }

    func flush() throws {
        var done = 0
        while done < pending.count {
            let n = pending.withUnsafeBytes { Glibc.write(1, $0.baseAddress! + done, $0.count - done) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw StoreError.io(path: "standard output", operation: "write", errno: errno) }
            done += n
        }
        pending.removeAll(keepingCapacity: true)
    }

    /// An error as the client reads it: the status for its exit code (403
    /// refused, 409 conflict, 404, 400 bad request, 500) and a JSON body.
    func error(_ error: Error) {
        var status: Int
        var code = ExitCode.code(of: error)
        var extra: [JSON.Member] = []
        switch ExitCode.of(error) {
        case .refused: status = 403
        case .conflict: status = 409
        case .usage: status = 400
        default: status = 500
        }
        switch error {
        case let e as CGIFailure:
            status = e.status
            code = e.code
        case let e as HTTPRemoteError:
            if case .notFound = e { status = 404 }
            if case .protocolError = e { status = 400 }
        case let RemoteError.pushRaced(_, branch, expected, actual, pushed):
            extra = [JSON.Member("branch", .string(branch)), JSON.Member("expected", expected.map { .string($0.hex) } ?? .null),
                     JSON.Member("actual", actual.map { .string($0.hex) } ?? .null), JSON.Member("pushed", .string(pushed.hex))]
        case let RemoteError.nonFastForward(_, branch, remoteID, localID):
            extra = [JSON.Member("branch", .string(branch)), JSON.Member("remote_id", .string(remoteID.hex)),
                     JSON.Member("local_id", .string(localID.hex))]
        case let RemoteError.remoteTagDiffers(_, tag, remoteID, localID):
            extra = [JSON.Member("tag", .string(tag)), JSON.Member("remote_id", .string(remoteID.hex)),
                     JSON.Member("local_id", .string(localID.hex))]
        case RemoteError.noSuchRemoteBranch:
            status = 404
        default: break
        }
        let message: String
        if case let HTTPRemoteError.notFound(_, reason) = error { message = reason } else { message = String(describing: error) }
        let json: JSON = .object([JSON.Member("error", .object([
            JSON.Member("code", .string(code)), JSON.Member("message", .string(message)),
        ] + extra))])
        pending.removeAll()
        head(status, contentType: "application/json")
        pending += Array((json.canonicalText + "\n").utf8)
    }
}
