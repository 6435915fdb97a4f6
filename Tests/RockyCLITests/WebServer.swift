import Foundation
import Testing

/// A throw-away nginx + fcgiwrap serving `rocky http-backend` over TLS with
/// HTTP basic authentication, as Docs/remotes.md describes: a CA and a
/// certificate for `localhost` made with `openssl` in a fresh folder under
/// /tmp, a loopback port the OS picks, stopped (and the folder removed) by
/// `stop()`, by `deinit`, or by a watchdog when the test process is gone.
final class WebServer: @unchecked Sendable {
    let folder: String
    /// The folder of served repositories (ROCKY_PROJECT_ROOT).
    let projectRoot: String
    private(set) var port = 0
    private var nginx: Process?
    private var fcgiwrap: Process?

    var caFile: String { folder + "/ca.crt" }
    func url(_ repository: String) -> String { "https://localhost:\(port)/\(repository)" }

    /// The client environment: the CA and `user`'s credentials (none for nil).
    func clientEnvironment(_ user: String?) -> [String: String] {
        var env = ["ROCKY_CA_BUNDLE": caFile, "ROCKY_HTTP_TIMEOUT": "60"]
        if let user { env["ROCKY_HTTP_USER"] = user; env["ROCKY_HTTP_PASSWORD"] = passwords[user] }
        return env
    }

    let passwords: [String: String]

    /// `users`: name -> password. `maxBody`: nginx's client_max_body_size.
    /// `environment`: ROCKY_ENV of the backend.
    init(projectRoot: String, users: [String: String], maxBody: String = "64m", environment: String? = nil) throws {
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
            try "#!/bin/sh\nexec '\(rockyBinary)' http-backend\n".write(toFile: folder + "/backend.sh", atomically: true, encoding: .utf8)
            chmod(folder + "/backend.sh", 0o755)
            try startFCGIWrap()
            try startNginx(maxBody: maxBody, environment: environment)
            startWatchdog()
        } catch {
            stop()
            throw error
        }
    }

    deinit { stop() }

    func stop() {
        if let nginx, nginx.isRunning { kill(nginx.processIdentifier, SIGTERM) }
        if let fcgiwrap, fcgiwrap.isRunning {
            // fcgiwrap ignores SIGTERM while it waits; its workers are its children.
            for child in WebServer.children(of: fcgiwrap.processIdentifier) { kill(child, SIGKILL) }
            kill(fcgiwrap.processIdentifier, SIGKILL)
        }
        for process in [nginx, fcgiwrap].compactMap({ $0 }) {
            for _ in 0..<200 where process.isRunning { usleep(25_000) }
        }
        nginx = nil
        fcgiwrap = nil
        try? FileManager.default.removeItem(atPath: folder)
    }

    /// The error log, for failure messages.
    var errorLog: String { (try? String(contentsOfFile: folder + "/logs/error.log", encoding: .utf8)) ?? "" }

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

    private func startFCGIWrap() throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: WebServer.which("fcgiwrap")!)
        process.arguments = ["-s", "unix:\(folder)/fcgiwrap.sock", "-c", "4"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle(forWritingAtPath: "/dev/null")
        try process.run()
        fcgiwrap = process
        for _ in 0..<200 where !FileManager.default.fileExists(atPath: folder + "/fcgiwrap.sock") { usleep(25_000) }
        guard FileManager.default.fileExists(atPath: folder + "/fcgiwrap.sock") else { throw HarnessError("fcgiwrap did not start") }
    }

    private func startNginx(maxBody: String, environment: String?) throws {
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
            let process = Process()
            process.executableURL = URL(fileURLWithPath: WebServer.which("nginx")!)
            process.arguments = ["-p", folder, "-c", folder + "/nginx.conf", "-e", folder + "/logs/error.log"]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            for _ in 0..<400 {
                if !process.isRunning { break }
                if WebServer.accepts(port) { nginx = process; return }
                usleep(25_000)
            }
            if process.isRunning {
                kill(process.processIdentifier, SIGTERM)
                for _ in 0..<200 where process.isRunning { usleep(25_000) }
            }
        }
        throw HarnessError("nginx did not start:\n\(errorLog)")
    }

    /// Stops the servers and removes the folder once this test process is gone (crash, SIGKILL).
    private func startWatchdog() {
        let nginxPID = nginx?.processIdentifier ?? 0, fcgiPID = fcgiwrap?.processIdentifier ?? 0
        let script = "while kill -0 \(getpid()) 2>/dev/null; do sleep 2; done; kill \(nginxPID) 2>/dev/null; "
            + "pkill -KILL -P \(fcgiPID) 2>/dev/null; kill -KILL \(fcgiPID) 2>/dev/null; rm -rf '\(folder)'"
        // posix_spawn and waitpid of our own (Foundation's Process can miss the
        // exit of a child that ends at once): the shell starts the watchdog
        // detached, and ends.
        let arguments = ["/bin/sh", "-c", "setsid sh -c \"$0\" >/dev/null 2>&1 </dev/null &", script]
        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { for p in argv { free(p) } }
        var pid: pid_t = 0
        if posix_spawn(&pid, "/bin/sh", nil, nil, &argv, environ) == 0 {
            var status: Int32 = 0
            waitpid(pid, &status, 0)
        }
    }

    /// The processes whose parent is `pid` (from /proc).
    static func children(of pid: Int32) -> [Int32] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return names.compactMap { name -> Int32? in
            guard let child = Int32(name), let stat = try? String(contentsOfFile: "/proc/\(name)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { return nil }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            return fields.count > 1 && Int32(fields[1]) == pid ? child : nil
        }
    }

    static func which(_ tool: String) -> String? {
        for dir in ["/usr/sbin", "/usr/bin", "/sbin", "/bin", "/usr/local/sbin", "/usr/local/bin"] where FileManager.default.isExecutableFile(atPath: dir + "/" + tool) {
            return dir + "/" + tool
        }
        return nil
    }

    static func run(_ executable: String, _ arguments: [String], in directory: String) throws -> Run {
        try runProgram(executable, arguments, in: directory)
    }

    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard bound else { throw HarnessError("cannot bind a loopback port: errno \(errno)") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    static func accepts(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }
}

/// The paths whose contents differ between two snapshots (`Sandbox.snapshot`).
func changedPaths(_ before: [String: Data], _ after: [String: Data]) -> [String] {
    Set(before.keys).union(after.keys).filter { before[$0] != after[$0] }.sorted()
}

struct HarnessError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
