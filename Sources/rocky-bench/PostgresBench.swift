import Foundation
import RockyBase
import RockyEngine
import RockyEnginePostgres
import RockySQL
import RockyStore
import RockyTable
import RockyTestSupport

/// The PostgreSQL part of `rocky-bench engine` (issue 18's goals), on a
/// throw-away cluster of its own (`PostgresServer`: initdb into a temporary
/// folder, a Unix socket there only, fsync off), beside `psql` on the same
/// server:
/// - first run: uploading the prices version (COPY text through
///   `PostgresBackend.makeAvailable`) vs `psql \copy` of the same CSV into a
///   table of the same types and key; goal <= 1.5x;
/// - the 15-step chain with its inputs uploaded (compile, execute through
///   `StatementExecutor` on `PostgresBackend`, read each result back into
///   table objects) vs `psql -f` running the same 15 CREATE TABLE AS
///   statements on tables loaded beforehand; goal <= 1.3x;
/// - a second run of the chain by a new backend: bytes uploaded (goal 0);
/// - peak resident memory of the `rocky` process (GNU time) running the
///   largest result download: CREATE TABLE AS over the 1M-row prices (upload
///   included) and a SELECT streaming all 1M rows; goal < 256 MiB.
enum PostgresBench {
    /// /proc/loadavg's three load averages: the machine is shared, so figures are read with it.
    static func loadAverage() -> String {
        guard let text = try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8) else { return "unknown" }
        return text.split(separator: " ").prefix(3).joined(separator: ", ")
    }

    static func run(csv: String, symbolsCSV: String, dir: String, store: DiskObjectStore, tables inputs: [String: ObjectID], rows: Int) throws {
        Bench.header("Execution on PostgreSQL: the 15-step chain over \(rows) prices rows, beside psql on the same server")
        let server: PostgresServer
        do {
            server = try PostgresServer()
        } catch {
            Bench.row("PostgreSQL engine", rocky: "", other: "skipped: \(error)", ratio: "", goal: "")
            return
        }
        defer { server.stop() }
        let loadAtStart = loadAverage()
        let psql = "'\(server.bin)/psql' '\(server.conninfo)' -X -v ON_ERROR_STOP=1"

        // First run: upload prices (timed) and symbols (untimed).
        let options = PostgresEngineOptions(name: "pg", conninfo: server.conninfo, schema: "rocky")
        let backend = try PostgresBackend(store: store, options: options, temporaryDirectory: dir)
        func backendTable(_ name: String) throws -> BackendTable {
            BackendTable(name: name, id: inputs[name]!, table: try store.readTable(inputs[name]!))
        }
        let uploadStart = DispatchTime.now().uptimeNanoseconds
        _ = try backend.makeAvailable([try backendTable("prices")])
        let uploadSeconds = EngineBench.seconds(since: uploadStart)
        let uploadBytes = backend.bytesUploaded
        _ = try backend.makeAvailable([try backendTable("symbols")])

        // psql: the same CSV into a table of the same types and key.
        let text = "text COLLATE \"C\""
        _ = try EngineBench.capture("""
            \(psql) -q -c 'CREATE SCHEMA peer' \
            -c 'CREATE TABLE peer.prices (symbol \(text) NOT NULL, ts timestamp(6) NOT NULL, open numeric(12,4), high numeric(12,4), low numeric(12,4), close numeric(12,4), volume bigint, PRIMARY KEY (symbol, ts))' \
            -c 'CREATE TABLE peer.symbols (symbol \(text) PRIMARY KEY, sector \(text), beta double precision, lot bigint)'
            """)
        let copy = try Bench.measure("\(psql) -q -c \"\\copy peer.prices FROM '\(csv)' WITH (FORMAT csv, HEADER true)\"")
        _ = try EngineBench.capture("\(psql) -q -c \"\\copy peer.symbols FROM '\(symbolsCSV)' WITH (FORMAT csv, HEADER true)\" -c 'VACUUM ANALYZE'")

        // The chain through Rocky, inputs held by the server.
        let steps = EngineBench.chain()
        var tables = inputs
        let executor = StatementExecutor(backend: backend, name: "pg")
        let chainStart = DispatchTime.now().uptimeNanoseconds
        let script = try EngineBench.compile(steps.map(\.rocky).joined(separator: ";\n"), store: store, tables: tables)
        var rockySteps: [(seconds: Double, rows: Int, server: Double)] = []
        for (step, statement) in zip(steps, script) {
            let start = DispatchTime.now().uptimeNanoseconds
            let outcome = try store.batch {
                try executor.execute(statement, tables: tables, options: ExecutionOptions(targetKey: step.key))
            }
            guard case let .tableWritten(name, id, table) = outcome.effect else { throw BenchError("\(step.name) wrote nothing") }
            tables[name] = id
            rockySteps.append((EngineBench.seconds(since: start), table.rowCount, outcome.metrics.remote?.serverSeconds ?? 0))
        }
        let rockySeconds = EngineBench.seconds(since: chainStart)

        // psql: the same 15 statements on the tables loaded above.
        let chainSQL = dir + "/chain-pg.sql"
        try ("SET search_path = peer;\n\\timing on\n" + steps.map { $0.rocky + ";" }.joined(separator: "\n") + "\n")
            .write(toFile: chainSQL, atomically: true, encoding: .utf8)
        let psqlStart = DispatchTime.now().uptimeNanoseconds
        let psqlOutput = try EngineBench.capture("\(psql) -f '\(chainSQL)'")
        let psqlSeconds = EngineBench.seconds(since: psqlStart)
        let psqlSteps = psqlOutput.split(separator: "\n").filter { $0.hasPrefix("Time: ") }.compactMap { line in
            line.split(separator: " ").dropFirst().first.flatMap { Double($0) }.map { $0 / 1000 }
        }

        // A second run of the chain by a new backend (a new process would be the same): nothing to upload.
        let again = try PostgresBackend(store: store, options: options, temporaryDirectory: dir)
        let secondExecutor = StatementExecutor(backend: again, name: "pg")
        var secondTables = inputs
        let secondStart = DispatchTime.now().uptimeNanoseconds
        for (step, statement) in zip(steps, script) {
            let outcome = try store.batch { try secondExecutor.execute(statement, tables: secondTables, options: ExecutionOptions(targetKey: step.key)) }
            if case let .tableWritten(name, id, _) = outcome.effect { secondTables[name] = id }
        }
        let secondSeconds = EngineBench.seconds(since: secondStart)
        guard secondTables == tables else { throw BenchError("the second run gave other table ids") }

        // Peak memory of the rocky process downloading the largest results.
        let rocky = ProcessInfo.processInfo.environment["ROCKY"] ?? ".build/release/rocky"
        let repo = dir + "/repo"
        try FileManager.default.createDirectory(atPath: repo, withIntermediateDirectories: true)
        _ = try EngineBench.capture("cd '\(repo)' && '\(rocky)' init >/dev/null && '\(rocky)' import prices '\(csv)' --key symbol,ts >/dev/null")
        try "[engines.pg]\ntype = \"postgres\"\nconninfo = \"\(server.conninfo)\"\nschema = \"cli\"\n"
            .write(toFile: repo + "/rocky.toml", atomically: true, encoding: .utf8)
        let largest = steps.first { $0.name == "moving_avg" }!
        let create = try Bench.measure("'\(rocky)' --engine pg sql \"\(largest.rocky.replacingOccurrences(of: "\n", with: " "))\" >/dev/null 2>&1", in: repo)
        let select = try Bench.measure("'\(rocky)' --engine pg sql 'SELECT * FROM prices' >/dev/null 2>&1", in: repo)

        Bench.row("first run: upload the \(rows)-row prices version (COPY)", rocky: "\(Bench.format(uploadSeconds)) s",
                  other: "\(Bench.format(copy.seconds)) s (psql \\copy of the CSV)", ratio: Bench.format(uploadSeconds / copy.seconds) + "x",
                  goal: "<= 1.5x")
        Bench.row("15-step chain, inputs uploaded (compile + execute + read results into table objects)",
                  rocky: "\(Bench.format(rockySeconds)) s", other: "\(Bench.format(psqlSeconds)) s (psql -f, same statements)",
                  ratio: Bench.format(rockySeconds / psqlSeconds) + "x", goal: "<= 1.3x")
        Bench.row("second run of the chain: bytes uploaded", rocky: "\(again.bytesUploaded) B (\(Bench.format(secondSeconds)) s)",
                  other: "first run: \(Bench.megabytes(uploadBytes))", ratio: "", goal: "0 B")
        Bench.row("peak RSS of `rocky --engine pg sql` CREATE TABLE moving_avg AS (uploads prices, downloads \(rows) rows)",
                  rocky: Bench.megabytes(create.peakBytes), other: "\(Bench.format(create.seconds)) s", ratio: "", goal: "< 256 MiB")
        Bench.row("peak RSS of `rocky --engine pg sql` SELECT * FROM prices (streams \(rows) rows)",
                  rocky: Bench.megabytes(select.peakBytes), other: "\(Bench.format(select.seconds)) s", ratio: "", goal: "< 256 MiB")

        print("\n| step | rows | rocky on pg | of which waiting on the server | psql | ratio |")
        print("|---|---|---|---|---|---|")
        let peer = Array(psqlSteps)
        for (i, step) in steps.enumerated() {
            let r = rockySteps[i]
            let p = i < peer.count ? peer[i] : .nan
            print("| \(i + 1). \(step.name) | \(r.rows) | \(Bench.format(r.seconds)) s | \(Bench.format(r.server)) s | \(Bench.format(p)) s | "
                  + "\(Bench.format(r.seconds / p))x |")
        }
        print("\nLoad average (1, 5, 15 min) at the start: \(loadAtStart); at the end: \(loadAverage()).")
    }
}
