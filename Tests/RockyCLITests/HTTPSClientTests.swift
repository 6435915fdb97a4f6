import Foundation
import RockyTestSupport
import Testing

/// The HTTPS client's settings and manners (Docs/remotes.md, "The client"):
/// the CA file by option, by remote and by environment; the credential
/// command; progress on a terminal; attempts again after dropped connections.
@Suite(.serialized) struct HTTPSClientTests {
    let remotes = HTTPSRemoteTests()

    /// A CA of its own that did not sign `server`'s certificate (in the sandbox).
    func wrongCA(_ box: Sandbox) throws -> String {
        let other = try WebServer(projectRoot: box.path + "/other-root", users: [:])
        defer { other.stop() }
        let path = box.path + "/wrong-ca.crt"
        try FileManager.default.copyItem(atPath: other.caFile, toPath: path)
        return path
    }

    @Test func theCAFileComesFromTheOptionThenTheRemoteThenTheEnvironment() throws {
        let (box, server) = try remotes.served()
        defer { server.stop() }
        let wrong = try wrongCA(box)
        try FileManager.default.copyItem(atPath: server.caFile, toPath: box.path + "/right-ca.crt")
        // The environment names the wrong CA throughout.
        var env = server.clientEnvironment("alice")
        env["ROCKY_CA_BUNDLE"] = wrong

        let refused = box.rocky(["clone", server.url("data"), "none"], env: env)
        #expect(refused.code == 1 && refused.err.contains("certificate is not trusted") && refused.err.contains("--ca-file"), "\(refused)")
        #expect(!FileManager.default.fileExists(atPath: box.path + "/none"))

        // clone --ca-file (relative to the working folder) wins, and is recorded for origin.
        let clone = box.rocky(["clone", "--ca-file", "right-ca.crt", server.url("data"), "one"], env: env)
        #expect(clone.code == 0, "\(clone)")
        let list = box.json(box.rocky(["--json", "remote", "list"], in: "one"))
        let origin = (list["remotes"] as? [[String: Any]])?.first
        #expect(origin?["ca_file"] as? String == box.path + "/right-ca.crt", "\(list)")

        // The remote's http.ca_file wins over ROCKY_CA_BUNDLE ...
        box.ok("sql", "UPDATE prices SET close = close + 1 WHERE symbol = 'AAPL'", in: "served/data")
        box.ok("commit", "-m", "bump", in: "served/data")
        let fetch = box.rocky(["fetch"], in: "one", env: env)
        #expect(fetch.code == 0, "\(fetch)")
        // ... and --ca-file over the remote's.
        box.ok("sql", "UPDATE prices SET close = close + 1 WHERE symbol = 'MSFT'", in: "served/data")
        box.ok("commit", "-m", "bump again", in: "served/data")
        let before = box.snapshot("one/.rocky")
        for command in [["fetch", "--ca-file", wrong], ["pull", "--ca-file", wrong], ["push", "--ca-file", wrong]] {
            let run = box.rocky(command, in: "one", env: env)
            #expect(run.code == 1 && run.err.contains("certificate is not trusted"), "\(command): \(run)")
        }
        #expect(changedPaths(before, box.snapshot("one/.rocky")).filter { !$0.hasPrefix("objects/") } == [],
                "a refused transfer moves nothing")
        let pull = box.rocky(["pull", "--ca-file", box.path + "/right-ca.crt"], in: "one", env: server.clientEnvironment("alice").merging(["ROCKY_CA_BUNDLE": ""]) { $1 })
        #expect(pull.code == 0, "\(pull)")
        #expect(box.rocky(["rev-parse", "main"], in: "one").out == box.rocky(["rev-parse", "main"], in: "served/data").out)

        // remote add --ca-file: recorded per remote; a wrong one refuses even with the right CA in the environment.
        #expect(box.rocky(["remote", "add", "mirror", server.url("data"), "--ca-file", wrong], in: "one").code == 0)
        let viaMirror = box.rocky(["fetch", "mirror"], in: "one", env: server.clientEnvironment("alice"))
        #expect(viaMirror.code == 1 && viaMirror.err.contains("certificate is not trusted"), "\(viaMirror)")
        #expect(box.rocky(["fetch", "mirror", "--ca-file", server.caFile], in: "one", env: server.clientEnvironment("alice")).code == 0)

        // A CA file that is not there, or for a path remote: refused, nothing recorded.
        let remotesBefore = box.read("one/.rocky/remotes.json")
        let missing = box.rocky(["remote", "add", "gone", server.url("data"), "--ca-file", "no-such.pem"], in: "one")
        #expect(missing.code == 2 && missing.err.contains("cannot read the CA file"), "\(missing)")
        let local = box.rocky(["remote", "add", "peer", box.path + "/served/data", "--ca-file", wrong], in: "one")
        #expect(local.code == 2 && local.err.contains("https://"), "\(local)")
        #expect(box.read("one/.rocky/remotes.json") == remotesBefore)
    }

    /// A credential command that logs its argument to `log` and prints `lines`, then exits `status`.
    func helper(_ box: Sandbox, _ name: String, lines: [String], status: Int = 0) -> String {
        let path = box.path + "/" + name
        box.write(name, "#!/bin/sh\necho \"$1\" >> '\(box.path)/\(name).log'\n" + lines.map { "echo '\($0)'\n" }.joined() + "exit \(status)\n")
        chmod(path, 0o755)
        return path
    }

    @Test func aCredentialCommandAnswersWhenTheEnvironmentAndNetrcDoNot() throws {
        let (box, server) = try remotes.served()
        defer { server.stop() }
        let command = helper(box, "creds.sh", lines: ["protocol=https", "username=bob", "password=bob-pw-2"])
        var env = server.clientEnvironment(nil)
        env["HOME"] = box.path + "/home"  // no ~/.netrc there
        env["ROCKY_CREDENTIAL_COMMAND"] = command

        let clone = box.rocky(["clone", server.url("data"), "one"], env: env)
        #expect(clone.code == 0, "\(clone)\n\(server.errorLog)")
        #expect(box.read("creds.sh.log") == "localhost\n", "run once, with the host")
        #expect(!clone.out.contains("bob-pw-2") && !clone.err.contains("bob-pw-2"))
        let files = box.snapshot("one")
        #expect(!files.values.contains { $0.range(of: Data("bob-pw-2".utf8)) != nil }, "the password is stored nowhere in the clone")
        let served = box.json(box.rocky(["--json", "audit"], in: "served/data"))["entries"] as? [[String: Any]] ?? []
        #expect(served.last?["actor"] as? String == "bob", "the server saw bob: \(served.last ?? [:])")
        #expect(box.rocky(["audit", "--json"], in: "one").out.contains("bob-pw-2") == false)

        // The environment's credentials come first: the command does not run.
        #expect(box.rocky(["fetch"], in: "one", env: env.merging(server.clientEnvironment("alice")) { $1 }).code == 0)
        #expect(box.read("creds.sh.log") == "localhost\n")

        // Recorded for a remote (clone --credential-command), it is used without the environment's.
        env["ROCKY_CREDENTIAL_COMMAND"] = nil
        let recorded = box.rocky(["clone", "--credential-command", command, server.url("data"), "two"], env: env)
        #expect(recorded.code == 0, "\(recorded)")
        #expect(box.rocky(["fetch"], in: "two", env: env).code == 0)
        #expect(box.read("creds.sh.log") == "localhost\nlocalhost\nlocalhost\n")
        #expect(box.read("two/.rocky/remotes.json")?.contains("bob-pw-2") == false)

        // A failing command: a clear error that never repeats what it printed.
        let failing = helper(box, "fails.sh", lines: ["username=bob", "password=leaked-secret"], status: 3)
        env["ROCKY_CREDENTIAL_COMMAND"] = failing
        let failed = box.rocky(["clone", server.url("data"), "three"], env: env)
        #expect(failed.code == 1 && failed.err.contains("credential command") && failed.err.contains("exit status 3"), "\(failed)")
        #expect(!failed.err.contains("leaked-secret") && !failed.out.contains("leaked-secret"))
        #expect(!FileManager.default.fileExists(atPath: box.path + "/three"))
        let json = box.rocky(["--json", "clone", server.url("data"), "three"], env: env)
        #expect(box.json(json)["error"].map { "\($0)" }?.contains("credential_command_failed") == true, "\(json)")
        #expect(!json.out.contains("leaked-secret"))

        env["ROCKY_CREDENTIAL_COMMAND"] = helper(box, "silent.sh", lines: ["password=only"])
        let silent = box.rocky(["clone", server.url("data"), "three"], env: env)
        #expect(silent.code == 1 && silent.err.contains("no username= line"), "\(silent)")

        // Credentials the server refuses: 401, as for the environment's.
        env["ROCKY_CREDENTIAL_COMMAND"] = helper(box, "wrong.sh", lines: ["username=bob", "password=wrong"])
        let wrong = box.rocky(["clone", server.url("data"), "three"], env: env)
        #expect(wrong.code == 1 && wrong.err.contains("refused the credentials"), "\(wrong)")
    }

    /// Runs rocky under `script` so that its stderr is a terminal; returns what the terminal showed.
    func onTerminal(_ box: Sandbox, _ arguments: [String], in directory: String, env: [String: String]) throws -> Run {
        guard let script = WebServer.which("script") else { throw HarnessError("script is missing: apt-get install -y bsdutils") }
        let quoted = ([rockyBinary] + arguments).map { "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }.joined(separator: " ")
        return try runProgram(script, ["-qec", quoted, "/dev/null"], in: box.path + "/" + directory,
                              environment: box.environment.merging(env) { $1 })
    }

    @Test func progressIsShownOnATerminalOnly() throws {
        let (box, server) = try remotes.served()
        defer { server.stop() }
        let alice = server.clientEnvironment("alice")
        box.ok("init", "work")
        let clone = try onTerminal(box, ["clone", server.url("data"), "one"], in: "work", env: alice)
        #expect(clone.code == 0, "\(clone)")
        #expect(clone.out.contains("receiving: ") && clone.out.contains(" objects, "), "\(clone.out)")
        #expect(clone.out.contains("Cloned "))

        box.ok("sql", "UPDATE prices SET close = close + 1 WHERE symbol = 'AAPL'", in: "work/one")
        box.ok("commit", "-m", "bump", in: "work/one")
        let push = try onTerminal(box, ["push"], in: "work/one", env: alice)
        #expect(push.code == 0 && push.out.contains("sending: "), "\(push)")

        // Not with --json, and not when stderr is not a terminal.
        box.ok("sql", "UPDATE prices SET close = close + 1 WHERE symbol = 'MSFT'", in: "served/data")
        box.ok("commit", "-m", "bump again", in: "served/data")
        let json = try onTerminal(box, ["--json", "fetch"], in: "work/one", env: alice)
        #expect(json.code == 0 && !json.out.contains("receiving: "), "\(json)")
        let piped = box.rocky(["clone", server.url("data"), "two"], in: "work", env: alice)
        #expect(piped.code == 0 && !piped.err.contains("receiving: "), "\(piped)")
    }

    @Test func droppedConnectionsAreTriedAgain() throws {
        let (box, server) = try remotes.served()
        defer { server.stop() }
        let alice = server.clientEnvironment("alice")
        func url(_ proxy: DroppingProxy) -> String { "https://localhost:\(proxy.port)/data" }

        // How many bytes the server sends for the pack of a clone.
        let measuring = try DroppingProxy(to: server.port) { _ in .forward }
        #expect(box.rocky(["clone", url(measuring), "measured"], env: alice).code == 0)
        measuring.stop()
        let packBytes = measuring.bytesDown(connection: 2)
        #expect(measuring.connections == 2 && packBytes > 4096, "info/refs, then upload-pack of \(packBytes) bytes")

        // Dropped at once, then cut off in the middle of the pack: each is tried again.
        let flaky = try DroppingProxy(to: server.port) { n in
            switch n {
            case 1: .drop
            case 3: .cutAfter(packBytes / 2)
            default: .forward
            }
        }
        let clone = box.rocky(["clone", url(flaky), "one"], env: alice)
        flaky.stop()
        #expect(clone.code == 0, "\(clone)\n\(server.errorLog)")
        #expect(flaky.connections == 4, "dropped, info/refs, cut off, upload-pack again: \(flaky.connections)")
        #expect(box.rocky(["fsck"], in: "one").code == 0)
        #expect(box.rocky(["rev-parse", "main"], in: "one").out == box.rocky(["rev-parse", "main"], in: "served/data").out)
        #expect(!((try? FileManager.default.contentsOfDirectory(atPath: box.path + "/one/.rocky")) ?? []).contains { $0.hasPrefix("tmp-quarantine") })

        // Never answering: three attempts, then a clear error.
        let dead = try DroppingProxy(to: server.port) { _ in .drop }
        let failed = box.rocky(["clone", url(dead), "two"], env: alice)
        dead.stop()
        #expect(failed.code == 1 && failed.err.contains("connection"), "\(failed)")
        #expect(dead.connections == 3)
        #expect(!FileManager.default.fileExists(atPath: box.path + "/two"))
    }
}

/// A TCP proxy on a loopback port the OS picks, in front of `target`: each
/// connection (numbered from 1) is dropped at once, cut off after some bytes
/// from the server, or forwarded, as `plan` says.
final class DroppingProxy: @unchecked Sendable {
    enum Action { case drop, cutAfter(Int), forward }
    let port: Int
    private let listener: Int32
    private let target: Int
    private let plan: @Sendable (Int) -> Action
    private let lock = NSLock()
    private var count = 0
    private var down: [Int: Int] = [:]

    init(to target: Int, plan: @escaping @Sendable (Int) -> Action) throws {
        self.target = target
        self.plan = plan
        let (fd, boundPort) = try Loopback.listen(backlog: 16)
        listener = fd
        port = boundPort
        Thread.detachNewThread { [self] in acceptLoop() }
    }

    var connections: Int { lock.withLock { count } }
    func bytesDown(connection: Int) -> Int { lock.withLock { down[connection] ?? 0 } }

    /// Stops accepting. (Connections end with the client's.)
    func stop() {
        shutdown(listener, Int32(SHUT_RDWR))
    }

    deinit { close(listener) }

    private func acceptLoop() {
        while true {
            let client = accept(listener, nil, nil)
            if client < 0 { return }
            let n = lock.withLock { count += 1; return count }
            let action = plan(n)
            if case .drop = action { close(client); continue }
            guard let upstream = Loopback.connect(port: target) else { close(client); continue }
            let limit: Int
            if case let .cutAfter(bytes) = action { limit = bytes } else { limit = .max }
            let ends = Ends(client, upstream)
            Thread.detachNewThread { [self] in pump(from: client, to: upstream, connection: nil, limit: .max); ends.done() }
            Thread.detachNewThread { [self] in pump(from: upstream, to: client, connection: n, limit: limit); ends.done() }
        }
    }

    /// The two sockets of a connection, closed when both pumps are done with them.
    final class Ends: @unchecked Sendable {
        let a: Int32, b: Int32
        let lock = NSLock()
        var finished = 0
        init(_ a: Int32, _ b: Int32) { self.a = a; self.b = b }
        func done() {
            let last = lock.withLock { finished += 1; return finished == 2 }
            if last { close(a); close(b) }
        }
    }

    /// Copies bytes until either side ends (or `limit` bytes went), then shuts both down.
    private func pump(from source: Int32, to sink: Int32, connection: Int?, limit: Int) {
        var buffer = [UInt8](repeating: 0, count: 16 << 10)
        var moved = 0
        while moved < limit {
            let n = buffer.withUnsafeMutableBytes { recv(source, $0.baseAddress, min($0.count, limit - moved), 0) }
            if n <= 0 { break }
            var sent = 0
            while sent < n {
                let w = buffer.withUnsafeBytes { send(sink, $0.baseAddress! + sent, n - sent, Int32(MSG_NOSIGNAL)) }
                if w <= 0 { break }
                sent += w
            }
            moved += n
            if let connection { lock.withLock { down[connection, default: 0] += n } }
            if sent < n { break }
        }
        shutdown(source, Int32(SHUT_RDWR))
        shutdown(sink, Int32(SHUT_RDWR))
    }
}
