import Foundation
import RockyBase
import RockyEngine
import RockyEngineSQLite
import RockySQL
import RockyStore
import RockyTable
import RockyTestSupport

/// `rocky-bench engine [--rows N]`: the execution goal of issue 6.
///
/// A 15-step chain of CREATE TABLE AS transformations (returns, moving
/// averages, signals, volatility, joins with a small table, aggregations)
/// over the 1M-row prices table, run three ways on the same data:
/// - Rocky: compile, then execute each statement through `SQLiteAdapter`
///   inside `ObjectStore.batch` on a `DiskObjectStore`, writing every result
///   as table objects; prices is already in the table cache (loaded once per
///   repository, as the shell's database is loaded once; the load is reported
///   on its own row).
/// - the sqlite3 shell running the same 15 statements in plain SQLite SQL
///   (REAL prices, ISO text times) on a database where prices was loaded
///   beforehand (untimed);
/// - DuckDB from Python (`$ROCKY_PYTHON`, else build/venv/bin/python, else
///   python3) on the DuckDB SQL the compiler emits, for reference; skipped
///   with a note when the module is missing.
/// Goal: Rocky <= 1.5x the sqlite3 shell. `--rocky-only` skips the other
/// two (for profiling). Then the same chain on PostgreSQL (PostgresBench.swift);
/// `--pg-only` runs only that part; then on Spark (SparkBench.swift),
/// `--spark-only` runs only that part.
enum EngineBench {
    typealias Step = BenchmarkChain.Step

    static func run(_ arguments: [String]) throws {
        var rows = 1_000_000
        if let i = arguments.firstIndex(of: "--rows"), i + 1 < arguments.count, let n = Int(arguments[i + 1]) { rows = n }
        let rockyOnly = arguments.contains("--rocky-only")
        let postgresOnly = arguments.contains("--pg-only")
        let sparkOnly = arguments.contains("--spark-only")
        let csv = try Bench.pricesCSV(rows: rows)
        let dir = Bench.temporaryDirectory("engine")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let symbolsCSV = dir + "/symbols.csv"
        try symbolsText().write(toFile: symbolsCSV, atomically: true, encoding: .utf8)

        // Rocky: import (untimed), warm the cache (reported), run the chain (timed).
        let store = DiskObjectStore(directory: dir + "/objects")
        try FileManager.default.createDirectory(atPath: dir + "/objects", withIntermediateDirectories: true)
        var tables: [String: ObjectID] = [:]
        tables["prices"] = try importTable(store, csv, schema: try pricesSchema(), temporary: dir)
        tables["symbols"] = try importTable(store, symbolsCSV, schema: try symbolsSchema(), temporary: dir)
        if postgresOnly {
            try PostgresBench.run(csv: csv, symbolsCSV: symbolsCSV, dir: dir, store: store, tables: tables, rows: rows)
            return
        }
        if sparkOnly {
            try SparkBench.run(csv: csv, symbolsCSV: symbolsCSV, dir: dir, store: store, tables: tables, rows: rows)
            return
        }
        let adapter = try SQLiteAdapter(store: store, cacheDirectory: dir + "/cache", maskingKey: nil)
        let loadStart = DispatchTime.now().uptimeNanoseconds
        try adapter.preload(tables)
        let loadSeconds = seconds(since: loadStart)
        // What a new process pays before it trusts the cached copies: the
        // digest check of each (once per process and version).
        let verifyStart = DispatchTime.now().uptimeNanoseconds
        let reloaded = try SQLiteAdapter(store: store, cacheDirectory: dir + "/cache", maskingKey: nil).preload(tables)
        let verifySeconds = seconds(since: verifyStart)
        if reloaded != 0 { throw BenchError("verifying the cache reloaded \(reloaded) table(s)") }

        let steps = chain()
        let cpuStart = processCPUSeconds()
        let chainStart = DispatchTime.now().uptimeNanoseconds
        let script = try compile(steps.map(\.rocky).joined(separator: ";\n"), store: store, tables: tables)
        var rockySteps: [(Double, Int, Int)] = []
        for (step, statement) in zip(steps, script) {
            let start = DispatchTime.now().uptimeNanoseconds
            let outcome = try store.batch {
                try adapter.execute(statement, tables: tables, options: ExecutionOptions(targetKey: step.key))
            }
            guard case let .tableWritten(name, id, table) = outcome.effect else { throw BenchError("\(step.name) wrote nothing") }
            tables[name] = id
            rockySteps.append((seconds(since: start), table.rowCount, outcome.metrics.bytesWritten))
        }
        let rockySeconds = seconds(since: chainStart)
        let rockyCPU = processCPUSeconds() - cpuStart

        if rockyOnly {
            print("rocky: \(Bench.format(rockySeconds)) s wall, \(Bench.format(rockyCPU)) s CPU; load \(Bench.format(loadSeconds)) s; "
                  + "verify in a new process \(Bench.format(verifySeconds)) s")
            return
        }

        // The sqlite3 shell on a database loaded beforehand.
        let base = dir + "/base.db"
        _ = try Bench.measure("""
            sqlite3 '\(base)' "CREATE TABLE prices (symbol TEXT NOT NULL, ts TEXT NOT NULL, open REAL, high REAL, low REAL, close REAL, \
            volume INTEGER, PRIMARY KEY (symbol, ts))" ".import --csv --skip 1 '\(csv)' prices" \
            "CREATE TABLE symbols (symbol TEXT PRIMARY KEY, sector TEXT, beta REAL, lot INTEGER)" \
            ".import --csv --skip 1 '\(symbolsCSV)' symbols"
            """)
        let chainSQL = dir + "/chain.sql"
        try (".timer on\n" + steps.map { "CREATE TABLE \($0.name) AS \($0.sqlite);" }.joined(separator: "\n") + "\n")
            .write(toFile: chainSQL, atomically: true, encoding: .utf8)
        _ = try Bench.measure("cp '\(base)' '\(dir)/run.db'")
        let childrenBefore = childrenCPUSeconds()
        let shellStart = DispatchTime.now().uptimeNanoseconds
        let shellOutput = try capture("sqlite3 '\(dir)/run.db' < '\(chainSQL)'")
        let shellSeconds = seconds(since: shellStart)
        let shellCPU = childrenCPUSeconds() - childrenBefore
        let shellSteps = shellOutput.split(separator: "\n").filter { $0.hasPrefix("Run Time:") }.compactMap { line in
            line.split(separator: " ").dropFirst(3).first.flatMap { Double($0) }
        }

        // DuckDB, on the SQL the compiler emits for it.
        let duck = try duckDB(csv: csv, symbols: symbolsCSV, statements: script.map { $0.sql(for: .duckdb).joined(separator: ";\n") }, dir: dir)

        Bench.header("Execution engine: a 15-step transformation chain over \(rows) prices rows")
        Bench.row("15-step chain (compile + execute + write table objects)", rocky: "\(Bench.format(rockySeconds)) s",
                  other: "\(Bench.format(shellSeconds)) s (sqlite3 shell)", ratio: Bench.format(rockySeconds / shellSeconds) + "x",
                  goal: "<= 1.5x")
        if let duck {
            Bench.row("same chain, DuckDB \(duck.version) (reference)", rocky: "\(Bench.format(rockySeconds)) s",
                      other: "\(Bench.format(duck.total)) s (DuckDB)", ratio: Bench.format(rockySeconds / duck.total) + "x", goal: "—")
        } else {
            Bench.row("same chain, DuckDB (reference)", rocky: "", other: "skipped: no duckdb module (set ROCKY_PYTHON)", ratio: "", goal: "")
        }
        Bench.row("same, CPU time (user + sys, all threads)", rocky: "\(Bench.format(rockyCPU)) s",
                  other: "\(Bench.format(shellCPU)) s (sqlite3 shell)", ratio: Bench.format(rockyCPU / shellCPU) + "x", goal: "")
        Bench.row("one-time load of prices into the table cache", rocky: "\(Bench.format(loadSeconds)) s",
                  other: "(sqlite3 .import is untimed)", ratio: "", goal: "once per version")
        Bench.row("digest check of the cached prices and symbols by a new process", rocky: "\(Bench.format(verifySeconds)) s",
                  other: "", ratio: "", goal: "once per process and version")

        print("\n| step | rows | rocky | sqlite3 | ratio | DuckDB | bytes written |")
        print("|---|---|---|---|---|---|---|")
        for (i, step) in steps.enumerated() {
            let (r, n, bytes) = rockySteps[i]
            let s = i < shellSteps.count ? shellSteps[i] : .nan
            let d = duck.flatMap { i < $0.steps.count ? $0.steps[i] : nil }
            print("| \(i + 1). \(step.name) | \(n) | \(Bench.format(r)) s | \(Bench.format(s)) s | \(Bench.format(r / s))x | "
                  + "\(d.map { Bench.format($0) + " s" } ?? "-") | \(Bench.megabytes(bytes)) |")
        }

        try PostgresBench.run(csv: csv, symbolsCSV: symbolsCSV, dir: dir, store: store,
                              tables: ["prices": tables["prices"]!, "symbols": tables["symbols"]!], rows: rows)
        try SparkBench.run(csv: csv, symbolsCSV: symbolsCSV, dir: dir, store: store,
                           tables: ["prices": tables["prices"]!, "symbols": tables["symbols"]!], rows: rows)
    }

    static func seconds(since start: UInt64) -> Double { Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 }

    /// User + system CPU seconds of this process (all threads) or of its waited-for children.
    static func processCPUSeconds() -> Double { cpuSeconds(RUSAGE_SELF) }
    static func childrenCPUSeconds() -> Double { cpuSeconds(RUSAGE_CHILDREN) }

    private static func cpuSeconds(_ who: __rusage_who) -> Double {
        var usage = rusage()
        getrusage(who.rawValue, &usage)
        return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
    }

    static func pricesSchema() throws -> Schema {
        try Schema(named: [("symbol", .text), ("ts", .timestamp), ("open", .decimal(precision: 12, scale: 4)),
                           ("high", .decimal(precision: 12, scale: 4)), ("low", .decimal(precision: 12, scale: 4)),
                           ("close", .decimal(precision: 12, scale: 4)), ("volume", .integer)],
                   key: ["symbol", "ts"], timeColumn: "ts")
    }

    static func symbolsSchema() throws -> Schema {
        try Schema(named: [("symbol", .text), ("sector", .text), ("beta", .double), ("lot", .integer)], key: ["symbol"])
    }

    static func symbolsText() -> String { BenchmarkChain.symbolsText() }

    static func importTable(_ store: any ObjectStore, _ path: String, schema: Schema, temporary: String) throws -> ObjectID {
        try store.batch {
            let (table, _) = try TableImporter(store: store, temporaryDirectory: temporary)
                .load(try CSVReader(path: path), schema: schema, into: nil, mode: .replace)
            return try store.write(table: table)
        }
    }

    /// Compiles a script against the tables' schemas; fails loudly on any error.
    static func compile(_ sql: String, store: any ObjectStore, tables: [String: ObjectID]) throws -> [CompiledStatement] {
        let catalog = try InMemoryCatalog(tables: tables, store: store)
        let script = SQLCompiler.compile(sql, catalog: catalog)
        guard !script.hasErrors else { throw BenchError("the chain does not compile:\n\(script.renderedDiagnostics())") }
        return script.statements
    }

    /// Runs a shell command and returns its standard output.
    static func capture(_ command: String) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", command]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw BenchError("command failed: \(command)") }
        return String(decoding: data, as: UTF8.self)
    }

    /// The chain in DuckDB: load untimed, then each statement timed. Nil when DuckDB is missing.
    static func duckDB(csv: String, symbols: String, statements: [String], dir: String) throws -> (version: String, total: Double, steps: [Double])? {
        let environment = ProcessInfo.processInfo.environment
        let python = environment["ROCKY_PYTHON"]
            ?? (FileManager.default.fileExists(atPath: "build/venv/bin/python") ? "build/venv/bin/python" : "python3")
        guard (try? capture("'\(python)' -c 'import duckdb' 2>/dev/null")) != nil else { return nil }
        let spec = dir + "/duck.json"
        let json = try JSONSerialization.data(withJSONObject: ["csv": csv, "symbols": symbols, "statements": statements, "db": dir + "/duck.db"])
        try json.write(to: URL(fileURLWithPath: spec))
        let script = """
            import duckdb, json, sys, time
            spec = json.load(open(sys.argv[1]))
            con = duckdb.connect(spec['db'])
            con.execute("SET TimeZone = 'UTC'")
            con.execute("CREATE TABLE prices (symbol VARCHAR NOT NULL, ts TIMESTAMP NOT NULL, open DECIMAL(12,4), high DECIMAL(12,4), "
                        "low DECIMAL(12,4), close DECIMAL(12,4), volume BIGINT, PRIMARY KEY (symbol, ts))")
            con.execute("INSERT INTO prices SELECT * FROM read_csv(?, header=true, columns={'symbol':'VARCHAR','ts':'TIMESTAMP',"
                        "'open':'DECIMAL(12,4)','high':'DECIMAL(12,4)','low':'DECIMAL(12,4)','close':'DECIMAL(12,4)','volume':'BIGINT'})", [spec['csv']])
            con.execute("CREATE TABLE symbols (symbol VARCHAR PRIMARY KEY, sector VARCHAR, beta DOUBLE, lot BIGINT)")
            con.execute("INSERT INTO symbols SELECT * FROM read_csv(?, header=true)", [spec['symbols']])
            con.execute("CHECKPOINT")
            steps = []
            for sql in spec['statements']:
                t = time.perf_counter(); con.execute(sql); steps.append(time.perf_counter() - t)
            print(json.dumps({"version": duckdb.__version__, "steps": steps}))
            """
        let scriptPath = dir + "/duck.py"
        try script.write(toFile: scriptPath, atomically: true, encoding: .utf8)
        let output = try capture("'\(python)' '\(scriptPath)' '\(spec)'")
        guard let data = output.split(separator: "\n").last.map({ Data($0.utf8) }),
              let result = try JSONSerialization.jsonObject(with: data) as? [String: Any],
              let steps = result["steps"] as? [Double], let version = result["version"] as? String else {
            throw BenchError("unexpected DuckDB output: \(output)")
        }
        return (version, steps.reduce(0, +), steps)
    }

    /// The 15 steps (Tests/Support/BenchmarkChain.swift, shared with the
    /// engine conformance tests).
    static func chain() -> [Step] { BenchmarkChain.steps }
}
