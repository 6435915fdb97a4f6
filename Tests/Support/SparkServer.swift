import Foundation

/// A throw-away Spark Thrift server (HiveServer2 protocol) of this test
/// process: `org.apache.spark.sql.hive.thriftserver.HiveThriftServer2` from
/// the `pyspark` package in build/venv, run by Debian's Java 17 with master
/// `local[2]`, listening on 127.0.0.1 at a port the OS chose, with its
/// warehouse, Derby metastore and logs in a fresh folder under /tmp, NOSASL
/// authentication unless asked otherwise. `stop()` (also from `deinit`, an `atexit` handler, and a
/// detached watchdog for a crashed test process) kills it and removes the folder.
public final class SparkServer: Sendable {
    public let root: String
    public let port: Int
    public let host = "127.0.0.1"
    /// The java process.
    public let pid: pid_t
    public let sparkHome: String

    /// The suite's one server, started on first use, stopped at process exit.
    public static let shared = Result { try SparkServer() }

    public var log: String { (try? String(contentsOfFile: root + "/server.log", encoding: .utf8)) ?? "" }

    /// `authentication` is `hive.server2.authentication`: NOSASL (messages
    /// straight on the socket) or NONE (SASL PLAIN, any user and password).
    public init(authentication: String = "NOSASL", startupTimeout: Duration = .seconds(240)) throws {
        let java = try SparkServer.findJava()
        sparkHome = try SparkServer.findSparkHome()
        var template = Array("/tmp/rocky-spark-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw HarnessError("mkdtemp failed: errno \(errno)") }
        root = String(cString: made)
        port = try SparkServer.freePort()
        let warehouse = root + "/warehouse"
        // The module options Spark's own launcher (spark-submit) gives Java 17:
        // Hive's metastore client (ALTER TABLE) and Spark's serializers reach into java.base.
        let opens = ["java.lang", "java.lang.invoke", "java.lang.reflect", "java.io", "java.net", "java.nio", "java.util",
                     "java.util.concurrent", "java.util.concurrent.atomic", "jdk.internal.ref", "sun.nio.ch", "sun.nio.cs",
                     "sun.security.action", "sun.util.calendar"].map { "--add-opens=java.base/\($0)=ALL-UNNAMED" }
        let arguments = [java, "-XX:+IgnoreUnrecognizedVMOptions"] + opens + ["-Dio.netty.tryReflectionSetAccessible=true"] + [
            "-Xmx1g", "-XX:+UseSerialGC", "-Dderby.system.home=\(root)",
            "-Djava.io.tmpdir=\(root)/tmp", "-cp", "\(sparkHome)/jars/*", "org.apache.spark.deploy.SparkSubmit",
            "--master", "local[2]", "--name", "rocky-test",
            "--class", "org.apache.spark.sql.hive.thriftserver.HiveThriftServer2",
            "--conf", "spark.ui.enabled=false", "--conf", "spark.sql.warehouse.dir=\(warehouse)",
            "--conf", "spark.sql.shuffle.partitions=2", "--conf", "spark.driver.host=127.0.0.1",
            "--conf", "spark.driver.bindAddress=127.0.0.1", "--conf", "spark.local.dir=\(root)/tmp",
            "--conf", "spark.hadoop.javax.jdo.option.ConnectionURL=jdbc:derby:;databaseName=\(root)/metastore_db;create=true",
            // The primary resource, then HiveThriftServer2's own arguments.
            "spark-internal",
            "--hiveconf", "hive.server2.thrift.port=\(port)", "--hiveconf", "hive.server2.thrift.bind.host=127.0.0.1",
            "--hiveconf", "hive.server2.authentication=\(authentication)", "--hiveconf", "hive.server2.transport.mode=binary",
        ]
        try FileManager.default.createDirectory(atPath: root + "/tmp", withIntermediateDirectories: true)
        // `exec` in a shell that first moves into the folder: Derby and Hive write beside their working directory.
        let quoted = arguments.map { "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }.joined(separator: " ")
        pid = try PostgresServer.spawn(["/bin/sh", "-c", "cd '\(root)' && export SPARK_HOME='\(sparkHome)' && exec \(quoted)"],
                                       output: root + "/server.log")
        ExitRegistry.add(root) { [root, pid] in SparkServer.stop(root: root, pid: pid) }
        startWatchdog()
        do {
            try waitUntilListening(timeout: startupTimeout)
        } catch {
            let text = log
            stop()
            throw HarnessError("\(error)\n--- Spark Thrift server log (last 4000 characters) ---\n\(text.suffix(4000))")
        }
    }

    deinit { stop() }

    /// Kills the server and removes its folder; idempotent.
    public func stop() {
        SparkServer.stop(root: root, pid: pid)
        ExitRegistry.remove(root)
    }

    static func stop(root: String, pid: pid_t) {
        if kill(pid, 0) == 0 {
            kill(pid, SIGTERM)
            var status: Int32 = 0
            for _ in 0..<100 {
                if waitpid(pid, &status, WNOHANG) == pid || kill(pid, 0) != 0 { break }
                usleep(100_000)
            }
            if kill(pid, 0) == 0 {
                kill(pid, SIGKILL)
                _ = waitpid(pid, &status, 0)
            }
        }
        try? FileManager.default.removeItem(atPath: root)
    }

    /// Waits until the server accepts TCP connections on its port (the
    /// Thrift service opens it once Spark is up), or the process died.
    private func waitUntilListening(timeout: Duration) throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            var status: Int32 = 0
            if waitpid(pid, &status, WNOHANG) == pid {
                throw HarnessError("the Spark Thrift server exited during startup (wait status \(status))")
            }
            if SparkServer.accepts(port: port) { return }
            usleep(250_000)
        }
        throw HarnessError("the Spark Thrift server did not listen on 127.0.0.1:\(port) within \(timeout)")
    }

    static func accepts(port: Int) -> Bool { Loopback.accepts(port: port) }

    /// A loopback port the OS chose (bound, read, released).
    public static func freePort() throws -> Int { try Loopback.freePort() }

    public static func findJava() throws -> String {
        let environment = ProcessInfo.processInfo.environment
        var candidates: [String] = []
        if let home = environment["JAVA_HOME"] { candidates.append(home + "/bin/java") }
        candidates += ["/usr/lib/jvm/java-17-openjdk-amd64/bin/java", "/usr/lib/jvm/java-17-openjdk-arm64/bin/java", "/usr/bin/java"]
        guard let java = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw HarnessError("no Java found: run `make test` as root, or `sudo apt-get install -y openjdk-17-jre-headless`")
        }
        return java
    }

    /// The `pyspark` package folder (holding `jars/`): `ROCKY_SPARK_HOME`, or
    /// the one in the virtual environment of `ROCKY_PYTHON` (else build/venv).
    public static func findSparkHome() throws -> String {
        let environment = ProcessInfo.processInfo.environment
        if let home = environment["ROCKY_SPARK_HOME"] { return home }
        var venvs: [String] = []
        if let python = environment["ROCKY_PYTHON"] {
            venvs.append(((python as NSString).deletingLastPathComponent as NSString).deletingLastPathComponent)
        }
        venvs.append(FileManager.default.currentDirectoryPath + "/build/venv")
        for venv in venvs {
            let lib = venv + "/lib"
            for entry in ((try? FileManager.default.contentsOfDirectory(atPath: lib)) ?? []).sorted() where entry.hasPrefix("python") {
                let home = "\(lib)/\(entry)/site-packages/pyspark"
                let jars = (try? FileManager.default.contentsOfDirectory(atPath: home + "/jars")) ?? []
                if jars.contains(where: { $0.hasPrefix("spark-hive-thriftserver") }) { return home }
            }
        }
        throw HarnessError("no pyspark with the Thrift server jar in \(venvs.joined(separator: " or ")): "
                           + "run `make venv` (requirements-test.txt), or `build/venv/bin/pip install pyspark`")
    }

    private func startWatchdog() {
        let script = """
            while kill -0 \(getpid()) 2>/dev/null; do sleep 1; done
            kill -TERM \(pid) 2>/dev/null; sleep 5; kill -KILL \(pid) 2>/dev/null
            rm -rf '\(root)'
            """
        _ = try? PostgresServer.spawn(["/usr/bin/setsid", "sh", "-c", script], output: "/dev/null")
    }
}
