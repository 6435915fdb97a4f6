import Foundation

/// A throw-away nginx + fcgiwrap serving `rocky http-backend` over TLS with
/// HTTP basic authentication, as Docs/remotes.md describes: a CA and a
/// certificate for `localhost` made with `openssl` in a fresh folder under
/// /tmp, a loopback port the OS picks, stopped (and the folder removed) by
/// `stop()`, by `deinit`, or by a watchdog when the test process is gone.
/// Shared by the HTTPS remote tests and `rocky-bench https` (which also
/// serves `git http-backend` below `/git/` through `extraLocations`).
public final class WebServer: @unchecked Sendable {
    public let folder: String
    /// The folder of served repositories (ROCKY_PROJECT_ROOT).
    public let projectRoot: String
    public private(set) var port = 0
    private var nginx: pid_t?
    private var fcgiwrap: pid_t?

    public var caFile: String { folder + "/ca.crt" }
    public func url(_ repository: String) -> String { "https://localhost:\(port)/\(repository)" }

    /// The client environment: the CA and `user`'s credentials (none for nil).
    public func clientEnvironment(_ user: String?) -> [String: String] {
        var env = ["ROCKY_CA_BUNDLE": caFile, "ROCKY_HTTP_TIMEOUT": "60"]
        if let user { env["ROCKY_HTTP_USER"] = user; env["ROCKY_HTTP_PASSWORD"] = passwords[user] }
        return env
    }

    public let passwords: [String: String]
    /// The rocky binary the server runs as `rocky http-backend`.
    public let backend: String

    /// `backend`: the rocky binary. `users`: name -> password. `maxBody`:
    /// nginx's client_max_body_size. `environment`: ROCKY_ENV of the
    /// backend. `extraLocations`: more nginx `location` blocks, before
    /// rocky's `location /` (`fastcgiSocket` is the fcgiwrap they may use).
    public init(backend: String, projectRoot: String, users: [String: String], maxBody: String = "64m", environment: String? = nil,
                extraLocations: (_ fastcgiSocket: String) -> String = { _ in "" }) throws {
        self.backend = backend
        self.projectRoot = projectRoot
        passwords = users
        for tool in ["nginx", "fcgiwrap", "openssl"] where WebServer.which(tool) == nil {
            throw HarnessError("\(tool) is missing: run `sudo apt-get install -y nginx fcgiwrap openssl` (or `make test`, which installs them)")
        }
        var template = Array("/tmp/rocky-web-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw HarnessError("mkdtemp failed: errno \(errno)") }
        folder = String(cString: made)
        chmod(folder, 0o755)
        try FileManager.default.createDirectory(atPath: projectRoot, withIntermediateDirectories: true)
        for sub in ["logs", "tmp"] { try FileManager.default.createDirectory(atPath: folder + "/" + sub, withIntermediateDirectories: true) }
        do {
            try makeCertificates()
            var lines: [String] = []
            for (user, password) in users.sorted(by: { $0.key < $1.key }) {
                let hash = try WebServer.run("/usr/bin/env", ["openssl", "passwd", "-apr1", password], in: folder).out
                    .trimmingCharacters(in: .whitespacesAndNewlines)
                lines.append("\(user):\(hash)")
            }
            try (lines.joined(separator: "\n") + "\n").write(toFile: folder + "/htpasswd", atomically: true, encoding: .utf8)
            try "#!/bin/sh\nexec '\(backend)' http-backend\n".write(toFile: folder + "/backend.sh", atomically: true, encoding: .utf8)
            chmod(folder + "/backend.sh", 0o755)
            try startFCGIWrap()
            try startNginx(maxBody: maxBody, environment: environment, extraLocations: extraLocations(folder + "/fcgiwrap.sock"))
            startWatchdog()
        } catch {
            stop()
            throw error
        }
    }

    deinit { stop() }

    public func stop() {
        if let nginx { WebServer.end(nginx, signal: SIGTERM) }
        if let fcgiwrap {
            // fcgiwrap ignores SIGTERM while it waits; its workers are its children.
            for child in WebServer.children(of: fcgiwrap) { kill(child, SIGKILL) }
            WebServer.end(fcgiwrap, signal: SIGKILL)
        }
        nginx = nil
        fcgiwrap = nil
        try? FileManager.default.removeItem(atPath: folder)
    }

    /// The error log, for failure messages.
    public var errorLog: String { (try? String(contentsOfFile: folder + "/logs/error.log", encoding: .utf8)) ?? "" }

    private func makeCertificates() throws {
        func openssl(_ arguments: [String]) throws {
            let run = try WebServer.run("/usr/bin/env", ["openssl"] + arguments, in: folder)
            guard run.code == 0 else { throw HarnessError("openssl \(arguments.first ?? ""): \(run.err)") }
        }
        let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        try openssl(["req", "-x509"] + ec + ["-keyout", "ca.key", "-out", "ca.crt", "-days", "2", "-subj", "/CN=Rocky Test CA"])
        try openssl(["req"] + ec + ["-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=localhost"])
        try "subjectAltName=DNS:localhost,IP:127.0.0.1\n".write(toFile: folder + "/ext", atomically: true, encoding: .utf8)
        try openssl(["x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
                     "-out", "server.crt", "-days", "2", "-extfile", "ext"])
    }

    /// Starts a program with /dev/null as its standard streams and no other
    /// descriptor of this process: a long-lived server (or the watchdog)
    /// must not hold the write end of a pipe another test is reading to its end.
    public static func spawn(_ arguments: [String]) throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        for fd: Int32 in [0, 1, 2] { posix_spawn_file_actions_addopen(&actions, fd, "/dev/null", fd == 0 ? O_RDONLY : O_WRONLY, 0) }
        _ = spawnCloseFrom(&actions, 3)
        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { for p in argv { free(p) } }
        var pid: pid_t = 0
        let status = posix_spawn(&pid, arguments[0], &actions, nil, &argv, environ)
        guard status == 0 else { throw HarnessError("cannot start \(arguments[0]): errno \(status)") }
        return pid
    }

    public static func isRunning(_ pid: pid_t) -> Bool {
        var status: Int32 = 0
        return waitpid(pid, &status, WNOHANG) == 0
    }

    /// Signals `pid` and reaps it (SIGKILL after 5 s).
    public static func end(_ pid: pid_t, signal: Int32) {
        kill(pid, signal)
        for _ in 0..<200 where isRunning(pid) { usleep(25_000) }
        if isRunning(pid) { kill(pid, SIGKILL) }
        var status: Int32 = 0
        waitpid(pid, &status, 0)
    }

    private func startFCGIWrap() throws {
        fcgiwrap = try WebServer.spawn([WebServer.which("fcgiwrap")!, "-s", "unix:\(folder)/fcgiwrap.sock", "-c", "4"])
        for _ in 0..<200 where !FileManager.default.fileExists(atPath: folder + "/fcgiwrap.sock") { usleep(25_000) }
        guard FileManager.default.fileExists(atPath: folder + "/fcgiwrap.sock") else { throw HarnessError("fcgiwrap did not start") }
    }

    private func startNginx(maxBody: String, environment: String?, extraLocations: String) throws {
        // The port: one the OS gives a socket bound to port 0, then free
        // again for nginx; should another process take it meanwhile, nginx
        // fails to bind and another port is tried.
        for _ in 0..<5 {
            port = try WebServer.freePort()
            let conf = """
                user root root;
                worker_processes 1;
                daemon off;
                pid \(folder)/nginx.pid;
                error_log \(folder)/logs/error.log info;
                events { worker_connections 64; }
                http {
                  access_log \(folder)/logs/access.log;
                  client_body_temp_path \(folder)/tmp/body;
                  fastcgi_temp_path \(folder)/tmp/fastcgi;
                  proxy_temp_path \(folder)/tmp/proxy;
                  uwsgi_temp_path \(folder)/tmp/uwsgi;
                  scgi_temp_path \(folder)/tmp/scgi;
                  client_max_body_size \(maxBody);
                  server {
                    listen 127.0.0.1:\(port) ssl;
                    server_name localhost;
                    ssl_certificate \(folder)/server.crt;
                    ssl_certificate_key \(folder)/server.key;
                    auth_basic "rocky";
                    auth_basic_user_file \(folder)/htpasswd;
                    \(extraLocations)
                    location / {
                      include /etc/nginx/fastcgi_params;
                      fastcgi_param SCRIPT_FILENAME \(folder)/backend.sh;
                      fastcgi_param PATH_INFO $uri;
                      fastcgi_param ROCKY_PROJECT_ROOT \(projectRoot);
                      \(environment.map { "fastcgi_param ROCKY_ENV \($0);" } ?? "")
                      fastcgi_read_timeout 120s;
                      fastcgi_pass unix:\(folder)/fcgiwrap.sock;
                    }
                  }
                }

                """
            try conf.write(toFile: folder + "/nginx.conf", atomically: true, encoding: .utf8)
            let pid = try WebServer.spawn([WebServer.which("nginx")!, "-p", folder, "-c", folder + "/nginx.conf",
                                           "-e", folder + "/logs/error.log"])
            for _ in 0..<400 {
                if !WebServer.isRunning(pid) { break }
                if WebServer.accepts(port) { nginx = pid; return }
                usleep(25_000)
            }
            WebServer.end(pid, signal: SIGTERM)
        }
        throw HarnessError("nginx did not start:\n\(errorLog)")
    }

    /// Stops the servers and removes the folder once this test process is gone (crash, SIGKILL).
    private func startWatchdog() {
        let nginxPID = nginx ?? 0, fcgiPID = fcgiwrap ?? 0
        let script = "while kill -0 \(getpid()) 2>/dev/null; do sleep 2; done; kill \(nginxPID) 2>/dev/null; "
            + "pkill -KILL -P \(fcgiPID) 2>/dev/null; kill -KILL \(fcgiPID) 2>/dev/null; rm -rf '\(folder)'"
        // The shell starts the watchdog detached, and ends.
        if let pid = try? WebServer.spawn(["/bin/sh", "-c", "setsid sh -c \"$0\" >/dev/null 2>&1 </dev/null &", script]) {
            var status: Int32 = 0
            waitpid(pid, &status, 0)
        }
    }

    /// The processes whose parent is `pid` (from /proc).
    public static func children(of pid: Int32) -> [Int32] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return names.compactMap { name -> Int32? in
            guard let child = Int32(name), let stat = try? String(contentsOfFile: "/proc/\(name)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { return nil }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            return fields.count > 1 && Int32(fields[1]) == pid ? child : nil
        }
    }

    public static func which(_ tool: String) -> String? {
        for dir in ["/usr/sbin", "/usr/bin", "/sbin", "/bin", "/usr/local/sbin", "/usr/local/bin"] where FileManager.default.isExecutableFile(atPath: dir + "/" + tool) {
            return dir + "/" + tool
        }
        return nil
    }

    /// Runs a short program to its end: its exit status, stdout and stderr.
    static func run(_ executable: String, _ arguments: [String], in directory: String) throws -> (code: Int32, out: String, err: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: outData, as: UTF8.self), String(decoding: errData, as: UTF8.self))
    }

    public static func freePort() throws -> Int { try Loopback.freePort() }

    public static func accepts(_ port: Int) -> Bool { Loopback.accepts(port: port) }
}

/// glibc's `posix_spawn_file_actions_addclosefrom_np` (2.34+), which the Glibc module does not export.
@_silgen_name("posix_spawn_file_actions_addclosefrom_np")
private func spawnCloseFrom(_ actions: UnsafeMutablePointer<posix_spawn_file_actions_t>, _ from: Int32) -> Int32
