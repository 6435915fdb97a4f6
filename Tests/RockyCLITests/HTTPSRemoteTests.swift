import Foundation
import RockyTestSupport
import Synchronization
import Testing

/// Remotes over HTTPS through a real web server (nginx + fcgiwrap, TLS with
/// a CA made per test, basic authentication) running `rocky http-backend`
/// (Docs/remotes.md).
@Suite(.serialized) struct HTTPSRemoteTests {
    static let users = ["alice": "alice-pw-1", "bob": "bob-pw-2", "carol": "carol-pw-3"]

    /// A sandbox whose `served/data` holds the fixtures, and a web server
    /// serving `served/` (stop it with `defer`).
    func served(policy: String? = nil, environment: String? = nil, maxBody: String = "64m") throws -> (Sandbox, WebServer) {
        let box = Sandbox()
        box.ok("init", "served/data")
        box.ok("import", "prices", fixture("prices.csv"), "--key", "symbol,ts", "--time-column", "ts", in: "served/data")
        box.ok("import", "customers", fixture("customers.csv"), "--key", "customer_id", in: "served/data")
        if let policy { box.write("served/data/rocky.toml", policy) }
        box.ok("commit", "-m", "Load fixtures", in: "served/data")
        let server = try WebServer(projectRoot: box.path + "/served", users: Self.users, maxBody: maxBody, environment: environment)
        return (box, server)
    }

    func head(_ box: Sandbox, _ directory: String, _ revision: String = "main") -> String {
        box.rocky(["rev-parse", revision], in: directory).out.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    func auditEntries(_ box: Sandbox, in directory: String) -> [[String: Any]] {
        let run = box.rocky(["audit", "--json"], in: directory)
        return (box.json(run)["entries"] as? [[String: Any]]) ?? []
    }

    /// Runs `rocky http-backend` as a web server would, with `variables`
    /// and the request body in `body`; returns what it printed.
    func cgi(_ box: Sandbox, _ variables: [String: String], body: Data = Data()) throws -> Run {
        let file = box.path + "/request-\(UUID().uuidString)"
        try body.write(to: URL(fileURLWithPath: file))
        var env = box.environment
        env["ROCKY_ACTOR"] = "mallory"
        for (k, v) in variables { env[k] = v }
        return try runProgram("/bin/sh", ["-c", "exec \"$0\" http-backend --as mallory < \"$1\"", rockyBinary, file], in: box.path, environment: env)
    }

    @Test func cloneFetchPushAndPullOverHTTPS() throws {
        let (box, server) = try served()
        defer { server.stop() }
        let alice = server.clientEnvironment("alice")
        let clone = box.rocky(["clone", server.url("data"), "one"], env: alice)
        #expect(clone.code == 0, "\(clone)\n\(server.errorLog)")
        #expect(head(box, "one") == head(box, "served/data"))
        #expect(box.rocky(["fsck"], in: "one").code == 0)
        #expect(box.rocky(["sql", "SELECT count(*) AS n FROM prices"], in: "one").out
            == box.rocky(["sql", "SELECT count(*) AS n FROM prices"], in: "served/data").out)
        #expect(box.read("one/.rocky/remotes.json")?.contains(server.url("data")) == true)
        #expect(box.read("one/.rocky/remotes.json")?.contains("alice-pw-1") == false, "credentials are never stored")

        // push
        #expect(box.rocky(["sql", "UPDATE prices SET close = close + 1 WHERE symbol = 'AAPL'"], in: "one").code == 0)
        #expect(box.rocky(["commit", "-m", "bump AAPL"], in: "one").code == 0)
        let push = box.rocky(["push"], in: "one", env: alice)
        #expect(push.code == 0, "\(push)\n\(server.errorLog)")
        #expect(head(box, "served/data") == head(box, "one"))
        #expect(box.rocky(["fsck"], in: "served/data").code == 0)

        // a second clone, then fetch and pull what the first pushes
        #expect(box.rocky(["clone", server.url("data"), "two"], env: alice).code == 0)
        #expect(box.rocky(["sql", "DELETE FROM prices WHERE symbol = 'MSFT'"], in: "one").code == 0)
        #expect(box.rocky(["commit", "-m", "drop MSFT"], in: "one").code == 0)
        #expect(box.rocky(["push", "origin", "main"], in: "one", env: alice).code == 0)
        let fetch = box.rocky(["fetch"], in: "two", env: alice)
        #expect(fetch.code == 0, "\(fetch)")
        #expect(head(box, "two", "origin/main") == head(box, "one"))
        #expect(box.rocky(["fetch"], in: "two", env: alice).out.contains("Already up to date"))
        let pull = box.rocky(["pull"], in: "two", env: alice)
        #expect(pull.code == 0, "\(pull)")
        #expect(head(box, "two") == head(box, "one"))
        #expect(box.rocky(["fsck"], in: "two").code == 0)

        // The server's audit trail names the principal (not the actor the
        // server process runs as) and the client address.
        let entries = auditEntries(box, in: "served/data")
        let served = entries.filter { ["serve-fetch", "push"].contains($0["operation"] as? String ?? "") }
        #expect(served.filter { $0["operation"] as? String == "serve-fetch" }.count == 5, "clone, clone, fetch, fetch, pull: \(entries)")
        #expect(served.filter { $0["operation"] as? String == "push" }.count == 2, "\(entries)")
        for entry in served {
            #expect(entry["actor"] as? String == "alice")
            #expect((entry["details"] as? [String: Any])?["address"] as? String == "127.0.0.1")
        }
        #expect(box.rocky(["audit", "--verify"], in: "served/data").code == 0)
    }

    @Test func credentialsAndCertificatesAreChecked() throws {
        let (box, server) = try served()
        defer { server.stop() }
        var wrong = server.clientEnvironment("alice")
        wrong["ROCKY_HTTP_PASSWORD"] = "not-the-password"
        let refused = box.rocky(["clone", server.url("data"), "x"], env: wrong)
        #expect(refused.code == 1, "\(refused)")
        #expect(refused.err.contains("401") && refused.err.contains("refused the credentials"), "\(refused.err)")
        #expect(!refused.err.contains("not-the-password") && !refused.out.contains("not-the-password"))
        #expect(!FileManager.default.fileExists(atPath: box.path + "/x"))

        let anonymous = box.rocky(["clone", server.url("data"), "x"], env: server.clientEnvironment(nil))
        #expect(anonymous.code == 1 && anonymous.err.contains("needs credentials"), "\(anonymous)")

        // ~/.netrc
        box.write("home/.netrc", "machine localhost login bob password bob-pw-2\n")
        var netrc = server.clientEnvironment(nil)
        netrc["HOME"] = box.path + "/home"
        #expect(box.rocky(["clone", server.url("data"), "viaNetrc"], env: netrc).code == 0)

        // Without the private CA the system's store does not trust the server.
        var untrusted = server.clientEnvironment("alice")
        untrusted["ROCKY_CA_BUNDLE"] = ""
        let tls = box.rocky(["clone", server.url("data"), "y"], env: untrusted)
        #expect(tls.code == 1 && tls.err.contains("certificate"), "\(tls)")
        // A CA of its own that did not sign the server's certificate.
        let other = try WebServer(projectRoot: box.path + "/other", users: [:])
        defer { other.stop() }
        var wrongCA = server.clientEnvironment("alice")
        wrongCA["ROCKY_CA_BUNDLE"] = other.caFile
        let mismatch = box.rocky(["clone", server.url("data"), "y"], env: wrongCA)
        #expect(mismatch.code == 1 && mismatch.err.contains("certificate"), "\(mismatch)")
        #expect(!FileManager.default.fileExists(atPath: box.path + "/y"))

        // Nothing listening: tried again after a pause, then a clear error.
        let nobody = box.rocky(["clone", "https://localhost:\(try WebServer.freePort())/data", "z"], env: server.clientEnvironment("alice"))
        #expect(nobody.code == 1 && nobody.err.contains("cannot connect"), "\(nobody)")

        // Plain http only for loopback; credentials never in a URL.
        #expect(box.rocky(["remote", "add", "web", "http://example.com/data"], in: "served/data").code == 2)
        #expect(box.rocky(["remote", "add", "web", "https://alice:pw@localhost/data"], in: "served/data").code == 2)
    }

    static let accessPolicy = """
        [access]
        protected = ["main"]
        [access.roles.reader]
        allow = ["read"]
        [access.roles.admin]
        allow = ["*"]
        [access.principals]
        tester = ["admin"]
        alice = ["admin"]
        bob = ["reader"]

        """

    @Test func principalsArePermittedByThePolicyInForce() throws {
        let (box, server) = try served(policy: Self.accessPolicy)
        defer { server.stop() }
        #expect(box.rocky(["clone", server.url("data"), "bobs"], env: server.clientEnvironment("bob")).code == 0)
        #expect(box.rocky(["sql", "DELETE FROM prices WHERE symbol = 'AAPL'"], in: "bobs").code == 0)
        #expect(box.rocky(["commit", "-m", "bob's change"], in: "bobs").code == 0)

        // bob may read, not write: refused before anything is stored.
        let before = box.snapshot("served/data")
        let push = box.rocky(["push"], in: "bobs", env: server.clientEnvironment("bob"))
        #expect(push.code == 5, "\(push)\n\(server.errorLog)")
        #expect(push.err.contains("bob") && push.err.contains("'write'"), "\(push.err)")
        #expect(changedPaths(before, box.snapshot("served/data")) == [], "a refused push leaves the server byte-identical")

        // carol is authenticated but holds no role: nothing to read.
        let carol = box.rocky(["clone", server.url("data"), "carols"], env: server.clientEnvironment("carol"))
        #expect(carol.code == 5 && carol.err.contains("'read'"), "\(carol)")
        #expect(changedPaths(before, box.snapshot("served/data")) == [])

        // --as and ROCKY_ACTOR are the client's business, not the server's principal.
        let spoof = box.rocky(["push", "--as", "alice"], in: "bobs", env: server.clientEnvironment("bob").merging(["ROCKY_ACTOR": "alice"]) { $1 })
        #expect(spoof.code == 5, "\(spoof)")
        #expect(box.rocky(["push"], in: "bobs", env: server.clientEnvironment("alice")).code == 0, "alice may write")
        #expect(head(box, "served/data") == head(box, "bobs"))
    }

    static let maskingPolicy = """
        [access]
        protected = ["main"]
        [access.roles.reader]
        allow = ["read", "use"]
        [access.roles.admin]
        allow = ["*"]
        [access.principals]
        tester = ["admin"]
        alice = ["admin"]
        bob = ["reader"]

        [environments.dev.masking]
        pii = "none"

        [environments.prod.masking]
        pii = "hash"

        """

    @Test func fetchingRawDataNeedsTheRightToSeeItUnmasked() throws {
        let (box, server) = try served(policy: Self.maskingPolicy, environment: "prod")
        defer { server.stop() }
        box.ok("classify", "customers.email", "pii", in: "served/data")
        box.ok("classify", "customers.name", "pii", in: "served/data")
        box.ok("commit", "-m", "classify", in: "served/data")
        let bob = box.rocky(["clone", server.url("data"), "bobs"], env: server.clientEnvironment("bob"))
        #expect(bob.code == 5, "\(bob)\n\(server.errorLog)")
        #expect(bob.err.contains("customers.email") && bob.err.contains("customers.name"), "\(bob.err)")
        #expect(!bob.err.contains("customers.customer_id"))
        #expect(!FileManager.default.fileExists(atPath: box.path + "/bobs"))
        let alice = box.rocky(["clone", server.url("data"), "alices"], env: server.clientEnvironment("alice"))
        #expect(alice.code == 0, "admin sees raw values: \(alice)")
    }

    @Test func ofTwoRacingPushesOneWinsAndTheOtherExits3() throws {
        let (box, server) = try served()
        defer { server.stop() }
        let alice = server.clientEnvironment("alice")
        for name in ["one", "two"] {
            #expect(box.rocky(["clone", server.url("data"), name], env: alice).code == 0)
            #expect(box.rocky(["sql", "DELETE FROM prices WHERE symbol = '\(name == "one" ? "AAPL" : "MSFT")'"], in: name).code == 0)
            #expect(box.rocky(["commit", "-m", "change in \(name)"], in: name).code == 0)
        }
        let runs = Mutex<[String: Run]>([:])
        DispatchQueue.concurrentPerform(iterations: 2) { i in
            let name = i == 0 ? "one" : "two"
            let run = box.rocky(["push"], in: name, env: alice)
            runs.withLock { $0[name] = run }
        }
        let results = runs.withLock { $0 }
        let winners = results.filter { $0.value.code == 0 }.map(\.key)
        let losers = results.filter { $0.value.code == 3 }.map(\.key)
        #expect(winners.count == 1 && losers.count == 1, "\(results)\n\(server.errorLog)")
        guard let winner = winners.first, let loser = losers.first else { return }
        #expect(head(box, "served/data") == head(box, winner), "the winner's commit is on the server")
        let loserHead = head(box, loser)
        #expect(results[loser]!.err.contains(loserHead), "the loser is told its commit: \(results[loser]!.err)")
        #expect(results[loser]!.err.contains(head(box, winner)), "and the commit that won: \(results[loser]!.err)")
        #expect(box.rocky(["fsck"], in: "served/data").code == 0)
        // Nothing is lost: the loser fetches, merges and pushes.
        #expect(box.rocky(["pull"], in: loser, env: alice).code == 0)
        #expect(box.rocky(["push"], in: loser, env: alice).code == 0)
        #expect(box.rocky(["log", "-n", "5"], in: "served/data").out.contains("change in \(winner)"))
    }

    @Test func aPushTooLargeForTheServerLeavesItUnchanged() throws {
        let (box, server) = try served(maxBody: "1k")
        defer { server.stop() }
        let alice = server.clientEnvironment("alice")
        #expect(box.rocky(["clone", server.url("data"), "one"], env: alice).code == 0)
        box.ok("import", "positions", fixture("positions.csv"), "--key", "account_id,symbol", in: "one")
        box.ok("commit", "-m", "positions", in: "one")
        let before = box.snapshot("served/data")
        let push = box.rocky(["push"], in: "one", env: alice)
        #expect(push.code == 1 && push.err.contains("413"), "\(push)")
        #expect(changedPaths(before, box.snapshot("served/data")) == [])
    }

    /// A pack stream as `rocky push` sends it (Docs/remotes.md), cut after `keep` bytes of its objects.
    func pushStream(branch: String, old: String, new: String, objects: [(id: String, bytes: [UInt8])], end: Bool) -> Data {
        func be(_ v: UInt64, _ n: Int) -> [UInt8] { (0..<n).map { UInt8(truncatingIfNeeded: v >> (8 * UInt64(n - 1 - $0))) } }
        let header = Array("{\"branch\":\"\(branch)\",\"force\":false,\"new\":\"\(new)\",\"old\":\"\(old)\",\"version\":1}".utf8)
        var data = Array("ROCKY-PACK 1\n".utf8) + be(UInt64(header.count), 4) + header
        for object in objects {
            let id = stride(from: 0, to: 64, by: 2).map { UInt8(object.id.dropFirst($0).prefix(2), radix: 16)! }
            data += id + be(UInt64(object.bytes.count), 8) + object.bytes
        }
        if end { data += [UInt8](repeating: 0, count: 32) + be(UInt64(objects.count), 8) }
        return Data(data)
    }

    @Test func aCutOffOrCorruptPushLeavesTheServerUnchanged() throws {
        let box = Sandbox()
        box.ok("init", "served/data")
        box.ok("import", "prices", fixture("prices.csv"), "--key", "symbol,ts", "--time-column", "ts", in: "served/data")
        box.ok("commit", "-m", "Load", in: "served/data")
        // A real object of another repository, so the stream is well formed up to where it is cut.
        box.ok("init", "elsewhere")
        box.ok("import", "positions", fixture("positions.csv"), "--key", "account_id,symbol", in: "elsewhere")
        box.ok("commit", "-m", "other", in: "elsewhere")
        let new = head(box, "elsewhere")
        let store = box.path + "/elsewhere/.rocky/objects/"
        let loose = FileManager.default.contents(atPath: store + new.prefix(2) + "/" + new.dropFirst(2)).map { [UInt8]($0) }
        let stored: [UInt8]
        if let loose { stored = loose } else {
            // Packed: the bytes do not matter for the cut-off case; the corrupt case needs any bytes.
            stored = Array("x\u{9c}not really zlib".utf8)
        }
        let variables = ["ROCKY_PROJECT_ROOT": box.path + "/served", "PATH_INFO": "/data/receive-pack",
                         "REQUEST_METHOD": "POST", "REMOTE_USER": "alice", "REMOTE_ADDR": "192.0.2.7"]
        // The lock file through which every transfer keeps gc off
        // (`objects/gc.run`, empty) is made by the first one, as by a local
        // push; make it here, so that the snapshot shows data only.
        box.ok("clone", "served/data", "peer")
        box.ok("push", "origin", "main:side", in: "peer")
        let old = head(box, "served/data")
        let before = box.snapshot("served/data")
        let full = pushStream(branch: "main", old: old, new: new, objects: [(new, stored)], end: true)
        for cut in [full.count - 45, full.count - 20, 20] {
            let run = try cgi(box, variables, body: full.prefix(cut))
            #expect(run.out.hasPrefix("Status: 400"), "cut at \(cut): \(run)")
            #expect(run.out.contains("cut off"), "\(run.out)")
            #expect(changedPaths(before, box.snapshot("served/data")) == [], "nothing of a cut-off push stays")
        }
        var corrupt = stored
        corrupt[corrupt.count / 2] ^= 0xff
        let bad = try cgi(box, variables, body: pushStream(branch: "main", old: old, new: new, objects: [(new, corrupt)], end: true))
        #expect(!bad.out.hasPrefix("Status: 200"), "\(bad)")
        #expect(changedPaths(before, box.snapshot("served/data")) == [])
        // The whole stream, but the commit's history is not in it: refused as incomplete.
        let incomplete = try cgi(box, variables, body: full)
        #expect(!incomplete.out.hasPrefix("Status: 200"), "\(incomplete)")
        #expect(changedPaths(before, box.snapshot("served/data")) == [])
        #expect(box.rocky(["fsck"], in: "served/data").code == 0)
    }

    @Test func nothingOutsideTheProjectRootIsReachable() throws {
        let (box, server) = try served()
        defer { server.stop() }
        box.ok("init", "outside")
        box.ok("import", "customers", fixture("customers.csv"), "--key", "customer_id", in: "outside")
        box.ok("commit", "-m", "secret", in: "outside")
        symlink(box.path + "/outside", box.path + "/served/link")
        let alice = server.clientEnvironment("alice")
        let viaLink = box.rocky(["clone", server.url("link"), "a"], env: alice)
        #expect(viaLink.code == 1 && viaLink.err.contains("404"), "\(viaLink)")
        let encoded = box.rocky(["clone", "https://localhost:\(server.port)/%2e%2e/outside", "b"], env: alice)
        #expect(encoded.code != 0, "\(encoded)")
        let dotted = box.rocky(["clone", server.url("data/../../outside"), "c"], env: alice)
        #expect(dotted.code != 0, "\(dotted)")
        for name in ["a", "b", "c"] { #expect(!FileManager.default.fileExists(atPath: box.path + "/" + name)) }

        // The program itself refuses, whatever the web server lets through.
        let base = ["ROCKY_PROJECT_ROOT": box.path + "/served", "REQUEST_METHOD": "GET", "REMOTE_USER": "alice"]
        for path in ["/../outside/info/refs", "/data/../../outside/info/refs", "/link/info/refs", "//info/refs",
                     "/.rocky/info/refs", "/data/.rocky/../info/refs", "/info/refs"] {
            let run = try cgi(box, base.merging(["PATH_INFO": path]) { $1 })
            #expect(run.out.hasPrefix("Status: 404"), "\(path): \(run)")
            #expect(!run.out.contains("\"refs\""))
        }
        let ok = try cgi(box, base.merging(["PATH_INFO": "/data/info/refs"]) { $1 })
        #expect(ok.out.hasPrefix("Status: 200") && ok.out.contains("\"main\""), "\(ok)")
        // No authenticated user: refused, whatever --as or ROCKY_ACTOR say.
        let anonymous = try cgi(box, base.merging(["PATH_INFO": "/data/info/refs", "REMOTE_USER": ""]) { $1 })
        #expect(anonymous.out.hasPrefix("Status: 401"), "\(anonymous)")
    }
}

/// The paths whose contents differ between two snapshots (`Sandbox.snapshot`).
func changedPaths(_ before: [String: Data], _ after: [String: Data]) -> [String] {
    Set(before.keys).union(after.keys).filter { before[$0] != after[$0] }.sorted()
}

extension WebServer {
    /// The server of the tests: this build's rocky as the backend.
    convenience init(projectRoot: String, users: [String: String], maxBody: String = "64m", environment: String? = nil) throws {
        try self.init(backend: rockyBinary, projectRoot: projectRoot, users: users, maxBody: maxBody, environment: environment)
    }
}
