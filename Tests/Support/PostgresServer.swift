import Foundation

/// A throw-away PostgreSQL cluster of this test process: `initdb` into a
/// fresh folder under /tmp, served on a Unix socket in that folder only (no
/// TCP port at all, so two test processes never meet), started with
/// `pg_ctl -w` and removed with its folder by `stop()`.
///
/// Stopping is guaranteed three ways: `stop()` (also from `deinit`), an
/// `atexit` handler for every server still running when the process exits,
/// and a detached watchdog that stops the server and removes the folder
/// when the test process is gone without either (a crash, a SIGKILL).
///
/// The server refuses to run as root, so as root every server command runs
/// as the `postgres` OS user (`runuser`), which owns the folder.
public final class PostgresServer: Sendable {
    /// The folder holding `data/`, the socket and the logs.
    public let root: String
    public let bin: String
    public let runAs: String?

    /// Connects as the cluster's superuser `rocky` (trust authentication).
    public var conninfo: String { "host=\(root) port=5432 user=rocky dbname=postgres" }
    public var dataDirectory: String { root + "/data" }

    /// The suite's one server, started on first use, stopped at process exit.
    public static let shared = Result { try PostgresServer() }

    public init() throws {
        bin = try PostgresServer.findBinaries()
        runAs = geteuid() == 0 ? "postgres" : nil
        var template = Array("/tmp/rocky-pg-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw HarnessError("mkdtemp failed: errno \(errno)") }
        root = String(cString: made)
        if let runAs {
            guard let account = getpwnam(runAs) else {
                throw HarnessError("running as root, and there is no '\(runAs)' OS user to run the server as")
            }
            guard chown(root, account.pointee.pw_uid, account.pointee.pw_gid) == 0 else {
                throw HarnessError("cannot chown \(root) to \(runAs): errno \(errno)")
            }
        }
        chmod(root, 0o700)
        ExitRegistry.add(root) { [root, bin, runAs] in PostgresServer.stop(root: root, bin: bin, runAs: runAs) }
        startWatchdog()
        do {
            try run(bin + "/initdb", ["-D", dataDirectory, "-U", "rocky", "--auth=trust", "-E", "UTF8", "--locale=C",
                                      "--no-sync", "--no-instructions"])
            let options = "-c listen_addresses='' -c unix_socket_directories='\(root)' -c port=5432 "
                + "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=40"
            try run(bin + "/pg_ctl", ["start", "-D", dataDirectory, "-l", root + "/server.log", "-w", "-t", "60", "-o", options])
        } catch {
            stop()
            throw error
        }
    }

    deinit { stop() }

    /// Stops the server (fast shutdown) and removes its folder; idempotent.
    public func stop() {
        PostgresServer.stop(root: root, bin: bin, runAs: runAs)
        ExitRegistry.remove(root)
    }

    public static func stop(root: String, bin: String, runAs: String?) {
        if FileManager.default.fileExists(atPath: root + "/data/postmaster.pid") {
            try? PostgresServer.run(bin + "/pg_ctl", ["stop", "-D", root + "/data", "-m", "fast", "-w", "-t", "60"],
                                    runAs: runAs, log: root + "/stop.log")
        }
        try? FileManager.default.removeItem(atPath: root)
    }

    /// The newest installed server: `/usr/lib/postgresql/<major>/bin`, or `ROCKY_PG_BIN`.
    public static func findBinaries() throws -> String {
        if let bin = ProcessInfo.processInfo.environment["ROCKY_PG_BIN"] { return bin }
        let base = "/usr/lib/postgresql"
        let majors = ((try? FileManager.default.contentsOfDirectory(atPath: base)) ?? [])
            .compactMap(Int.init)
            .filter { FileManager.default.isExecutableFile(atPath: "\(base)/\($0)/bin/initdb") }
        guard let newest = majors.max() else {
            throw HarnessError("no PostgreSQL server found in \(base)/*/bin: run `make test` as root, "
                               + "or `sudo apt-get install -y postgresql libpq-dev`")
        }
        return "\(base)/\(newest)/bin"
    }

    private func run(_ executable: String, _ arguments: [String]) throws {
        try PostgresServer.run(executable, arguments, runAs: runAs, log: root + "/command.log")
    }

    /// Runs a server command to its end, as `runAs` when given; its output
    /// goes to `log` and into the error when it fails.
    public static func run(_ executable: String, _ arguments: [String], runAs: String?, log: String) throws {
        let argv = runAs.map { ["/usr/sbin/runuser", "-u", $0, "--", executable] } ?? [executable]
        let pid = try spawn(argv + arguments, output: log)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        guard status == 0 else {
            let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            throw HarnessError("\(executable) \(arguments.joined(separator: " ")) failed (wait status \(status)):\n\(text)")
        }
    }

    /// Starts a process with stdin from /dev/null, stdout and stderr to
    /// `output`, and no other descriptor of ours: the server it may start
    /// outlives it, and must not hold open a pipe of this process (Foundation's
    /// `Process` would wait for the server to close its end, forever).
    public static func spawn(_ argv: [String], output: String) throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, output, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        closeFrom3(&actions)
        let cArguments = argv.map { strdup($0) } + [nil]
        defer { cArguments.forEach { free($0) } }
        var pid: pid_t = 0
        let code = posix_spawn(&pid, argv[0], &actions, nil, cArguments, environ)
        guard code == 0 else { throw HarnessError("cannot start \(argv[0]): error \(code)") }
        return pid
    }

    /// glibc's `posix_spawn_file_actions_addclosefrom_np` (2.34+), which the
    /// Glibc module does not export.
    private static func closeFrom3(_ actions: inout posix_spawn_file_actions_t) {
        typealias CloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
        guard let symbol = dlsym(nil, "posix_spawn_file_actions_addclosefrom_np") else { return }
        _ = unsafeBitCast(symbol, to: CloseFrom.self)(&actions, 3)
    }

    /// A detached shell that waits for this process to end, then makes sure
    /// the server is gone (immediate shutdown) and its folder removed.
    private func startWatchdog() {
        let pidFile = dataDirectory + "/postmaster.pid"
        let script = """
            while kill -0 \(getpid()) 2>/dev/null; do sleep 1; done
            if [ -f '\(pidFile)' ]; then
              pm=$(head -n 1 '\(pidFile)')
              kill -QUIT "$pm" 2>/dev/null
              while kill -0 "$pm" 2>/dev/null; do sleep 0.2; done
            fi
            rm -rf '\(root)'
            """
        _ = try? PostgresServer.spawn(["/usr/bin/setsid", "sh", "-c", script], output: "/dev/null")
    }
}

public struct HarnessError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
