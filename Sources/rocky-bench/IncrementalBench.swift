import Foundation
import RockyBase
import RockyEngine
import RockyEngineSQLite
import RockySQL
import RockyStore
import RockyTable
import RockyTestSupport

/// `rocky-bench incremental [--rows N]`: issue 26, incremental transformations.
///
/// A chain of the shapes that run incrementally (row-wise steps and GROUP BY
/// steps, over prices and over each other) first runs in full over the 1M-row
/// prices table (the earlier run, untimed). Then N rows of prices change
/// (their volume, and a close price) and the chain runs twice on the changed
/// table: in full on an engine whose cache holds the changed prices, and
/// incrementally from the earlier run. Every step's table id must be the
/// same both ways (else the benchmark fails); per step it prints both times
/// and the delta sizes, or why the step ran in full. The same is done for
/// the 15-step chain of `rocky-bench engine` (`--chain own|engine|both`).
enum IncrementalBench {
    struct Step {
        var name: String
        var key: [String]?
        var sql: String
    }

    static let chain: [Step] = [
        Step(name: "daily", key: ["symbol", "ts"],
             sql: "CREATE TABLE daily AS SELECT symbol, ts, close, volume, high - low AS spread, CASE WHEN close >= open THEN 'up' ELSE 'down' END AS dir FROM prices"),
        Step(name: "wide_days", key: ["symbol", "ts"],
             sql: "CREATE TABLE wide_days AS SELECT symbol, ts, spread, volume, ROUND(spread / close, 4) AS rel FROM daily WHERE close > 0 AND spread > close * 0.02"),
        Step(name: "by_symbol", key: ["symbol"],
             sql: "CREATE TABLE by_symbol AS SELECT symbol, COUNT(*) AS days, MIN(low) AS low, MAX(high) AS high, SUM(volume) AS volume, AVG(volume) AS mean_volume FROM prices GROUP BY symbol"),
        Step(name: "by_dir", key: ["symbol", "dir"],
             sql: "CREATE TABLE by_dir AS SELECT symbol, dir, COUNT(*) AS days, SUM(volume) AS volume, MAX(spread) AS widest FROM daily GROUP BY symbol, dir"),
        Step(name: "wide_counts", key: ["symbol"],
             sql: "CREATE TABLE wide_counts AS SELECT symbol, COUNT(*) AS days, SUM(volume) AS volume FROM wide_days GROUP BY symbol"),
        Step(name: "flags", key: ["symbol"],
             sql: "CREATE TABLE flags AS SELECT symbol, days, CASE WHEN volume > 1000000000 THEN 'heavy' ELSE 'light' END AS weight, upper(symbol) AS code FROM by_symbol"),
    ]

    /// `--chain own` (the 6 steps above), `engine` (the 15 steps of
    /// `rocky-bench engine`, BenchmarkChain.steps, over prices and symbols)
    /// or `both` (the default).
    static func run(_ arguments: [String]) throws {
        var rows = 1_000_000
        if let i = arguments.firstIndex(of: "--rows"), i + 1 < arguments.count, let n = Int(arguments[i + 1]) { rows = n }
        var which = "both"
        if let i = arguments.firstIndex(of: "--chain"), i + 1 < arguments.count { which = arguments[i + 1] }
        let csv = try Bench.pricesCSV(rows: rows)
        let dir = Bench.temporaryDirectory("incremental")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let store = DiskObjectStore(directory: dir + "/objects")
        try FileManager.default.createDirectory(atPath: dir + "/objects", withIntermediateDirectories: true)
        let prices = try EngineBench.importTable(store, csv, schema: try EngineBench.pricesSchema(), temporary: dir)
        let symbolsCSV = dir + "/symbols.csv"
        try EngineBench.symbolsText().write(toFile: symbolsCSV, atomically: true, encoding: .utf8)
        let symbols = try EngineBench.importTable(store, symbolsCSV, schema: try EngineBench.symbolsSchema(), temporary: dir)

        var chains: [(label: String, steps: [Step])] = []
        if which != "engine" { chains.append(("the \(chain.count)-step incremental chain", chain)) }
        if which != "own" {
            chains.append(("the 15-step chain of rocky-bench engine",
                           BenchmarkChain.steps.map { Step(name: $0.name, key: $0.key, sql: $0.rocky) }))
        }
        Bench.header("Incremental transformations: chains over \(rows) prices rows after a small change")
        var details: [String] = []
        for changed in [10, rows / 100] {
            let changedPrices = try change(store, prices, rows: changed)
            for (c, (label, steps)) in chains.enumerated() {
                let (full, incremental) = try measure(steps, store: store, prices: prices, changedPrices: changedPrices, symbols: symbols,
                                                      cache: dir + "/cache-\(changed)-\(c)")
                let fullTotal = full.map(\.0).reduce(0, +), incTotal = incremental.map(\.0).reduce(0, +)
                Bench.row("\(changed) changed rows, \(label): incrementally vs in full (every table id equal)",
                          rocky: "\(Bench.format(incTotal, 3)) s", other: "\(Bench.format(fullTotal, 3)) s (full run)",
                          ratio: Bench.format(100 * incTotal / fullTotal, 1) + "%", goal: changed <= 10 ? "< 5%" : "< 20%")
                details.append("\n\(changed) changed rows, \(label):\n\n| step | full | incremental | ratio | delta |\n|---|---|---|---|---|")
                for (i, step) in steps.enumerated() {
                    details.append("| \(i + 1). \(step.name) | \(Bench.format(full[i].0, 3)) s | \(Bench.format(incremental[i].0, 3)) s | "
                                   + "\(Bench.format(100 * incremental[i].0 / full[i].0, 1))% | \(incremental[i].1) |")
                }
            }
        }
        for line in details { print(line) }
    }

    /// Runs `steps` once in full over `prices` (the earlier run, untimed),
    /// then over `changedPrices` in full and incrementally: per step the
    /// full time, the incremental time and what the incremental run did.
    static func measure(_ steps: [Step], store: DiskObjectStore, prices: ObjectID, changedPrices: ObjectID, symbols: ObjectID,
                        cache: String) throws -> (full: [(Double, ObjectID)], incremental: [(Double, String)]) {
        func table(_ name: String, _ id: ObjectID) throws -> BackendTable { BackendTable(name: name, id: id, table: try store.readTable(id)) }
        // The engine that ran the earlier chain keeps its cache (as a
        // repository's does) and holds the changed prices (as after the DML).
        let incremental = StatementExecutor(backend: try SQLiteBackend(store: store, cacheDirectory: cache + "-inc", maskingKey: nil))
        _ = try incremental.backend.makeAvailable([try table("prices", prices), try table("prices", changedPrices), try table("symbols", symbols)])
        var earlier: [String: ObjectID] = ["prices": prices, "symbols": symbols]
        var bases: [IncrementalBasis] = []
        let statements = try EngineBench.compile(steps.map(\.sql).joined(separator: ";\n"), store: store, tables: earlier)
        for (step, statement) in zip(steps, statements) {
            let inputs = Dictionary(uniqueKeysWithValues: statement.inputTables.map { ($0, earlier[$0]!) })
            let id = try written(try store.batch { try incremental.execute(statement, tables: earlier, options: ExecutionOptions(targetKey: step.key)) })
            earlier[step.name] = id
            bases.append(IncrementalBasis(inputs: inputs, output: id))
        }

        // In full, on an engine that holds the changed prices.
        let full = StatementExecutor(backend: try SQLiteBackend(store: store, cacheDirectory: cache + "-full", maskingKey: nil))
        _ = try full.backend.makeAvailable([try table("prices", changedPrices), try table("symbols", symbols)])
        var fullTables: [String: ObjectID] = ["prices": changedPrices, "symbols": symbols]
        var fullSteps: [(Double, ObjectID)] = []
        for (step, statement) in zip(steps, statements) {
            let start = DispatchTime.now().uptimeNanoseconds
            let id = try written(try store.batch { try full.execute(statement, tables: fullTables, options: ExecutionOptions(targetKey: step.key)) })
            fullSteps.append((EngineBench.seconds(since: start), id))
            fullTables[step.name] = id
        }

        // Incrementally, from the earlier run.
        var tables: [String: ObjectID] = ["prices": changedPrices, "symbols": symbols]
        var incSteps: [(Double, String)] = []
        for (i, (step, statement)) in zip(steps, statements).enumerated() {
            let start = DispatchTime.now().uptimeNanoseconds
            let attempt = try store.batch {
                incremental.executeIncrementally(statement, tables: tables, options: ExecutionOptions(targetKey: step.key), basis: bases[i])
            }
            let id: ObjectID, what: String
            switch attempt {
            case let .incremental(outcome, stats):
                id = try written(outcome)
                what = "\(stats.shape.rawValue): \(stats.inputDeltaRows) input delta rows, "
                    + (stats.shape == .groups ? "\(stats.groupsDerived) groups derived, " : "")
                    + "\(stats.rowsRecomputed) recomputed, \(stats.outputDeltaRows) output delta rows"
            case let .full(reason):
                // What a run does then: the statement in full.
                id = try written(try store.batch { try incremental.execute(statement, tables: tables, options: ExecutionOptions(targetKey: step.key)) })
                what = "full: " + reason
            }
            let seconds = EngineBench.seconds(since: start)
            guard id == fullSteps[i].1 else {
                throw BenchError("\(step.name): the incremental table id \(id.hex) differs from the full run's \(fullSteps[i].1.hex)")
            }
            tables[step.name] = id
            incSteps.append((seconds, what))
        }
        return (fullSteps, incSteps)
    }

    static func written(_ outcome: StatementOutcome) throws -> ObjectID {
        guard case let .tableWritten(_, id, _) = outcome.effect else { throw BenchError("a step wrote nothing") }
        return id
    }

    /// A new version of prices with `rows` rows spread over the table changed:
    /// volume + 1000, and every other one's close up by 1.
    static func change(_ store: any ObjectStore, _ id: ObjectID, rows: Int) throws -> ObjectID {
        let table = try store.readTable(id)
        let codec = RowCodec(schema: table.schema)
        let volume = table.schema.columns.firstIndex { $0.name == "volume" }!
        let close = table.schema.columns.firstIndex { $0.name == "close" }!
        let step = max(1, table.rowCount / max(rows, 1))
        var changes: [KeyedChange] = []
        var cursor = TreeReader(store: store).rows(table.root)
        var position = 0
        while let (key, value) = try cursor.nextRow(), changes.count < rows {
            defer { position += 1 }
            guard position % step == step / 2 else { continue }
            var row = try key.withUnsafeBytes { k in try value.withUnsafeBytes { v in try codec.decode(key: k, value: v).row } }
            if case let .integer(v) = row[volume] { row[volume] = .integer(v + 1000) }
            if changes.count % 2 == 0, case let .decimal(d) = row[close], let up = ExactDecimal.adding(d, ExactDecimal(units: 10000, scale: 4)) {
                row[close] = .decimal(up)
            }
            changes.append(KeyedChange(key: Array(key), change: .upsert(codec.value(of: row))))
        }
        return try store.batch {
            let root = try TreeEditor(store: store).apply(changes.makeIterator(), to: table.root)
            return try store.write(table: Table(schema: table.schema, root: root))
        }
    }
}
