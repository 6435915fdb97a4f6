import Foundation
import RockyBase
import RockyEngine
import RockyEngineSpark
import RockySQL
import RockyStore
import RockyTable
import RockyTestSupport

/// The Spark part of `rocky-bench engine` (issue 19's goals), on a
/// throw-away Spark Thrift server of its own (`SparkServer`: `local[2]`, a
/// loopback port, warehouse and metastore in a temporary folder), beside
/// beeline, Spark's own HiveServer2 client, on the same server:
/// - upload of the prices version through the stage folder (CSV written
///   by `SparkBackend.makeAvailable`, read by Spark's CSV reader into a
///   Parquet table) vs Spark reading the same CSV itself (a `USING csv` view of the
///   same types, materialised as a Parquet table), run by beeline; goal
///   <= 2x;
/// - the 15-step chain with its inputs uploaded (compile, execute through
///   `StatementExecutor` on `SparkBackend`, read each result back into
///   table objects) vs beeline running the same 15 statements as CREATE
///   TABLE ... USING parquet AS on tables loaded beforehand; goal <= 1.5x;
/// - `SELECT 1`: a query through `SparkBackend` vs beeline's own time for
///   it in an open session, and a whole `rocky --engine spark sql` process
///   vs a whole `beeline -e` process (a JVM starting).
///
/// The peer is beeline on the same server, not the `spark-sql` CLI: spark-sql
/// starts its own driver JVM with another metastore and warehouse, so it
/// would not be the same Spark (same JVM, same memory, same partitions)
/// running the statements. beeline's per-statement times are its own
/// client-side measure (from sending the statement to its end), so its JVM
/// start is left out; it is printed on its own row.
enum SparkBench {
    static func run(csv: String, symbolsCSV: String, dir: String, store: DiskObjectStore, tables inputs: [String: ObjectID], rows: Int) throws {
        Bench.header("Execution on Spark: the 15-step chain over \(rows) prices rows, beside beeline on the same Thrift server")
        let server: SparkServer
        let java: String
        let serverStart = DispatchTime.now().uptimeNanoseconds
        do {
            java = try SparkServer.findJava()
            server = try SparkServer()
        } catch {
            Bench.row("Spark engine", rocky: "", other: "skipped: \(error)", ratio: "", goal: "")
            return
        }
        defer { server.stop() }
        let serverSeconds = EngineBench.seconds(since: serverStart)
        let javaHome = ((java as NSString).resolvingSymlinksInPath as NSString).deletingLastPathComponent
        let beeline = "JAVA_HOME='\((javaHome as NSString).deletingLastPathComponent)' SPARK_HOME='\(server.sparkHome)' "
            + "'\(server.sparkHome)/bin/beeline' -u 'jdbc:hive2://\(server.host):\(server.port)/default;auth=noSasl' -n rocky "
            + "--silent=false --showHeader=false --outputformat=tsv2"

        /// Runs a beeline script; returns its wall seconds and the seconds it reports for each statement.
        func beelineRun(_ name: String, _ statements: [String]) throws -> (wall: Double, steps: [Double]) {
            let path = dir + "/\(name).sql"
            try (statements.map { $0 + ";" }.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
            let start = DispatchTime.now().uptimeNanoseconds
            let output = try EngineBench.capture("\(beeline) -f '\(path)' 2>&1")
            let wall = EngineBench.seconds(since: start)
            let steps = reportedSeconds(output)
            guard steps.count == statements.count else {
                throw BenchError("beeline reported \(steps.count) statement times for \(statements.count) statements:\n\(output.suffix(3000))")
            }
            return (wall, steps)
        }

        // Upload of prices through the stage folder (timed), symbols (untimed).
        let stage = dir + "/stage"
        try FileManager.default.createDirectory(atPath: stage, withIntermediateDirectories: true)
        let options = SparkEngineOptions(name: "spark", host: server.host, port: server.port, database: "rocky",
                                         replyTimeout: .seconds(600), stage: stage)
        let backend = try SparkBackend(store: store, options: options, temporaryDirectory: dir)
        func backendTable(_ name: String) throws -> BackendTable {
            BackendTable(name: name, id: inputs[name]!, table: try store.readTable(inputs[name]!))
        }
        let uploadStart = DispatchTime.now().uptimeNanoseconds
        let uploadStatementsBefore = backend.statementsRun
        _ = try backend.makeAvailable([try backendTable("prices")])
        let uploadSeconds = EngineBench.seconds(since: uploadStart)
        let uploadStatements = backend.statementsRun - uploadStatementsBefore
        print("(upload of prices through the stage folder: \(Bench.format(uploadSeconds)) s, \(uploadStatements) statements)")
        FileHandle.standardOutput.synchronizeFile()
        _ = try backend.makeAvailable([try backendTable("symbols")])

        // Spark reading the same CSV itself: a csv view of the same types, materialised as Parquet.
        let pricesColumns = "symbol STRING, ts TIMESTAMP, open DECIMAL(12,4), high DECIMAL(12,4), low DECIMAL(12,4), close DECIMAL(12,4), volume BIGINT"
        let load = try beelineRun("load", [
            "CREATE DATABASE peer",
            "CREATE TEMPORARY VIEW prices_csv (\(pricesColumns)) USING csv OPTIONS (path '\(csv)', header 'true', mode 'FAILFAST')",
            "CREATE TABLE peer.prices USING parquet AS SELECT * FROM prices_csv",
            "CREATE TEMPORARY VIEW symbols_csv (symbol STRING, sector STRING, beta DOUBLE, lot BIGINT) USING csv "
                + "OPTIONS (path '\(symbolsCSV)', header 'true', mode 'FAILFAST')",
            "CREATE TABLE peer.symbols USING parquet AS SELECT * FROM symbols_csv",
        ])
        let csvSeconds = load.steps[1] + load.steps[2]

        // The chain through Rocky, inputs held by the server.
        let steps = EngineBench.chain()
        var tables = inputs
        let executor = StatementExecutor(backend: backend, name: "spark")
        let chainStart = DispatchTime.now().uptimeNanoseconds
        let script = try EngineBench.compile(steps.map(\.rocky).joined(separator: ";\n"), store: store, tables: tables)
        var rockySteps: [(seconds: Double, rows: Int, statements: Int)] = []
        for (step, statement) in zip(steps, script) {
            let start = DispatchTime.now().uptimeNanoseconds
            let statementsBefore = backend.statementsRun
            let outcome = try store.batch {
                try executor.execute(statement, tables: tables, options: ExecutionOptions(targetKey: step.key))
            }
            guard case let .tableWritten(name, id, table) = outcome.effect else { throw BenchError("\(step.name) wrote nothing") }
            tables[name] = id
            rockySteps.append((EngineBench.seconds(since: start), table.rowCount, backend.statementsRun - statementsBefore))
            print("(chain step \(step.name): \(Bench.format(rockySteps.last!.seconds)) s, \(table.rowCount) rows)")
            FileHandle.standardOutput.synchronizeFile()
        }
        let rockySeconds = EngineBench.seconds(since: chainStart)

        // beeline: the same 15 statements on the tables loaded above.
        let peerChain = try beelineRun("chain", ["USE peer"] + steps.map { step in
            let prefix = "CREATE TABLE \(step.name) AS"
            guard step.rocky.hasPrefix(prefix) else { fatalError("step \(step.name) is not a CREATE TABLE AS") }
            return "CREATE TABLE \(step.name) USING parquet AS" + step.rocky.dropFirst(prefix.count)
        })
        let peerSteps = Array(peerChain.steps.dropFirst())
        let peerSeconds = peerSteps.reduce(0, +)

        // SELECT 1: through the backend (a query, its rows read, closed) vs beeline's time for it in its session.
        let trivial = 20
        var rockyTrivial: [Double] = []
        let select1 = try EngineBench.compile("SELECT 1", store: store, tables: [:])[0]
        for _ in 0..<trivial {
            let start = DispatchTime.now().uptimeNanoseconds
            let outcome = try executor.execute(select1, tables: [:], options: ExecutionOptions())
            guard case let .rows(result) = outcome.effect else { throw BenchError("SELECT 1 returned no rows") }
            _ = try result.all()
            rockyTrivial.append(EngineBench.seconds(since: start))
        }
        let peerTrivial = try beelineRun("select1", Array(repeating: "SELECT 1", count: trivial))
        let beelineEmpty = try Bench.measure("\(beeline) -e '' >/dev/null 2>&1")

        // Whole processes: `rocky --engine spark sql 'SELECT 1'` vs `beeline -e 'SELECT 1'`.
        let rocky = ProcessInfo.processInfo.environment["ROCKY"] ?? ".build/release/rocky"
        let repo = dir + "/spark-repo"
        try FileManager.default.createDirectory(atPath: repo, withIntermediateDirectories: true)
        _ = try EngineBench.capture("cd '\(repo)' && '\(rocky)' init >/dev/null")
        try "[engines.spark]\ntype = \"spark\"\nhost = \"\(server.host)\"\nport = \(server.port)\ndatabase = \"cli\"\n"
            .write(toFile: repo + "/rocky.toml", atomically: true, encoding: .utf8)
        let rockyProcess = try Bench.shell("'\(rocky)' --engine spark sql 'SELECT 1' >/dev/null", repeats: 3, in: repo)
        let beelineProcess = try Bench.shell("\(beeline) -e 'SELECT 1' >/dev/null 2>&1", repeats: 3)

        let rockyMedian = Bench.median(rockyTrivial), peerMedian = Bench.median(peerTrivial.steps)
        Bench.row("Thrift server start-up (SparkServer, local[2])", rocky: "", other: "\(Bench.format(serverSeconds)) s", ratio: "", goal: "")
        Bench.row("upload the \(rows)-row prices version through the stage folder (CSV, read into Parquet)",
                  rocky: "\(Bench.format(uploadSeconds)) s (\(uploadStatements) statements)",
                  other: "\(Bench.format(csvSeconds)) s (Spark reads the CSV into Parquet, through beeline: 2 statements)",
                  ratio: Bench.format(uploadSeconds / csvSeconds) + "x", goal: "<= 2x")
        Bench.row("15-step chain, inputs uploaded (compile + execute + read results into table objects)",
                  rocky: "\(Bench.format(rockySeconds)) s",
                  other: "\(Bench.format(peerSeconds)) s (beeline -f, same statements, its statement times)",
                  ratio: Bench.format(rockySeconds / peerSeconds) + "x", goal: "<= 1.5x")
        Bench.row("beeline -f of the chain, whole process (JVM start-up and connection included)", rocky: "",
                  other: "\(Bench.format(peerChain.wall)) s", ratio: "", goal: "")
        Bench.row("`SELECT 1` on an open session (median of \(trivial))", rocky: "\(Bench.format(rockyMedian * 1000, 1)) ms",
                  other: "\(Bench.format(peerMedian * 1000, 1)) ms (beeline's own time)",
                  ratio: Bench.format(rockyMedian / peerMedian) + "x", goal: "printed")
        Bench.row("`SELECT 1` as a whole process (best of 3)", rocky: "\(Bench.format(rockyProcess)) s (rocky --engine spark sql)",
                  other: "\(Bench.format(beelineProcess)) s (beeline -e; JVM start-up alone: \(Bench.format(beelineEmpty.seconds)) s)",
                  ratio: Bench.format(rockyProcess / beelineProcess) + "x", goal: "printed")

        print("\n| step | rows | rocky on spark | statements rocky sent | beeline (1 statement) | ratio |")
        print("|---|---|---|---|---|---|")
        for (i, step) in steps.enumerated() {
            let r = rockySteps[i]
            let p = i < peerSteps.count ? peerSteps[i] : .nan
            print("| \(i + 1). \(step.name) | \(r.rows) | \(Bench.format(r.seconds)) s | \(r.statements) | \(Bench.format(p)) s | "
                  + "\(Bench.format(r.seconds / p))x |")
        }
    }

    /// The seconds beeline reports after each statement: "No rows selected (0.123 seconds)", "1 row selected (...)".
    static func reportedSeconds(_ output: String) -> [Double] {
        output.split(separator: "\n").compactMap { line -> Double? in
            guard line.hasSuffix(" seconds)"), let open = line.lastIndex(of: "(") else { return nil }
            return Double(line[line.index(after: open)...].dropLast(" seconds)".count))
        }
    }
}
