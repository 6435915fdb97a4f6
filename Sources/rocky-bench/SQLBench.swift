import Foundation
import RockySQL

/// `rocky-bench sql [corpus-dir]`: the SQL compiler's goals (issue 5).
///
/// 1. Parse + bind + lineage of a 200-line query with 15 CTEs: under 5 ms.
/// 2. Corpus statements compiled per second: at least 10,000.
/// Side by side: SQLite preparing the emitted SQL of the same query (via
/// Python's sqlite3), which parses and plans but knows no types or lineage.
enum SQLBench {
    static func run(_ arguments: [String]) throws {
        let corpus = arguments.first ?? "Tests/RockySQLTests/Corpus"
        let schema = (try? String(contentsOfFile: corpus + "/schema.sql", encoding: .utf8)) ?? fallbackSchema
        let (catalog, problems) = SchemaCatalog.parse(schema)
        guard problems.isEmpty else { throw BenchError("schema: \(problems)") }

        let query = bigQuery()
        let lines = query.split(separator: "\n").count
        let first = SQLCompiler.compile(query, catalog: catalog)
        guard !first.hasErrors, let compiled = first.statements.first else {
            throw BenchError("the benchmark query does not compile:\n\(first.renderedDiagnostics())")
        }
        var times: [Double] = []
        for _ in 0..<300 {
            let start = DispatchTime.now().uptimeNanoseconds
            let script = SQLCompiler.compile(query, catalog: catalog)
            precondition(!script.statements[0].lineage.columns.isEmpty)
            times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
        }
        times.sort()
        let median = times[times.count / 2]
        let emit = Bench.seconds(repeats: 50) { _ = compiled.sql(for: .sqlite) } * 1000

        let statements = corpusStatements(corpus)
        for statement in statements {
            let script = SQLCompiler.compile(statement, catalog: catalog)
            guard !script.hasErrors else { throw BenchError("corpus statement fails:\n\(script.renderedDiagnostics())") }
        }
        var compiledCount = 0
        let start = DispatchTime.now().uptimeNanoseconds
        var elapsed = 0.0
        while elapsed < 1.0 {
            for statement in statements {
                let script = SQLCompiler.compile(statement, catalog: catalog)
                compiledCount += script.statements.count
            }
            elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        }
        let perSecond = Double(compiledCount) / elapsed

        let sqlite = sqlitePrepareMilliseconds(schema: compiled, catalog: catalog, sql: compiled.sql(for: .sqlite)[0])

        Bench.header("SQL compiler (\(lines)-line query with \(first.statements[0].ir.cteCount) CTEs; \(statements.count) corpus statements)")
        Bench.row("parse + bind + lineage, 200-line query (median of 300)", rocky: "\(Bench.format(median, 3)) ms",
                  other: sqlite.map { "\(Bench.format($0, 3)) ms (SQLite prepare)" } ?? "n/a",
                  ratio: sqlite.map { Bench.format(median / $0) + "x" } ?? "-", goal: "< 5 ms")
        Bench.row("same, best of 300", rocky: "\(Bench.format(times[0], 3)) ms", other: "", ratio: "", goal: "")
        Bench.row("emit SQLite SQL for it", rocky: "\(Bench.format(emit, 3)) ms", other: "", ratio: "", goal: "")
        Bench.row("corpus statements compiled per second", rocky: "\(Int(perSecond))", other: "", ratio: "", goal: ">= 10,000")
    }

    /// The corpus statements (the SQL of each `-- @name` entry).
    static func corpusStatements(_ directory: String) -> [String] {
        let files = ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [])
            .filter { $0.hasSuffix(".sql") && $0 != "schema.sql" }.sorted()
        var statements: [String] = []
        for file in files {
            guard let text = try? String(contentsOfFile: directory + "/" + file, encoding: .utf8) else { continue }
            for block in text.components(separatedBy: "-- @name ").dropFirst() {
                let sql = block.split(separator: "\n").dropFirst().filter { !$0.hasPrefix("-- @") }.joined(separator: "\n")
                statements.append(sql)
            }
        }
        return statements.isEmpty ? [bigQuery()] : statements
    }

    /// A 200-line analytical query with 15 CTEs over the fixture tables.
    static func bigQuery() -> String {
        var ctes: [String] = []
        ctes.append("""
            base AS (
              SELECT p.symbol, p.ts, p.open, p.high, p.low, p.close, p.volume,
                     r.sector, r.beta, r.volatility, r.var_95
              FROM prices p
              JOIN risk_scores r ON r.symbol = p.symbol
              WHERE p.ts >= TIMESTAMP '2026-05-04 00:00:00'
                AND p.close IS NOT NULL
            )
            """)
        for k in 1..<15 {
            let previous = k == 1 ? "base" : "step\(k - 1)"
            ctes.append("""
                step\(k) AS (
                  SELECT b.symbol, b.ts, b.open, b.high, b.low, b.close, b.volume,
                         b.sector, b.beta, b.volatility, b.var_95,
                         AVG(b.close) OVER (PARTITION BY b.symbol ORDER BY b.ts ROWS BETWEEN \(k) PRECEDING AND CURRENT ROW) AS ma_\(k),
                         b.close / NULLIF(LAG(b.close, \(k % 5 + 1)) OVER (PARTITION BY b.symbol ORDER BY b.ts), 0) - 1 AS ret_\(k),
                         CASE WHEN b.close > b.open THEN 'up'
                              WHEN b.close < b.open THEN 'down'
                              ELSE 'flat' END AS direction_\(k),
                         ROUND((b.high - b.low) / b.close * 100, 4) AS range_\(k),
                         COALESCE(b.var_95, 0.05) * ABS(b.close) AS risk_\(k)
                  FROM \(previous) b
                  WHERE b.volume > \(k * 1000) AND b.sector <> 'none'
                )
                """)
        }
        let select = """
            SELECT s.symbol, s.sector, DATE_TRUNC('week', s.ts) AS week,
                   SUM(s.close * s.volume) AS dollar_volume,
                   AVG(s.ma_14) AS avg_ma,
                   MAX(s.ret_14) AS best_return,
                   MIN(s.risk_14) AS min_risk,
                   COUNT(*) AS days,
                   SUM(CASE WHEN s.direction_14 = 'up' THEN 1 ELSE 0 END) AS up_days
            FROM step14 s
            LEFT JOIN positions q ON q.symbol = s.symbol AND q.quantity > 0
            WHERE s.ts < TIMESTAMP '2026-06-01 00:00:00'
            GROUP BY s.symbol, s.sector, DATE_TRUNC('week', s.ts)
            HAVING COUNT(*) > 0
            ORDER BY dollar_volume DESC, s.symbol
            """
        return "WITH " + ctes.joined(separator: ",\n") + "\n" + select
    }

    /// Milliseconds for SQLite to prepare `sql` (median of 300), using Python's sqlite3; nil without Python.
    static func sqlitePrepareMilliseconds(schema: CompiledStatement, catalog: InMemoryCatalog, sql: String) -> Double? {
        var ddl: [String] = []
        for name in catalog.tableNames {
            let table = catalog.table(named: name)!
            ddl.append("CREATE TABLE \"\(table.name)\" (" + table.columns.map { "\"\($0.name)\" \(Dialect.sqlite.typeName($0.type))" }.joined(separator: ", ") + ")")
        }
        let script = """
            import sqlite3, sys, time, json
            spec = json.load(sys.stdin)
            c = sqlite3.connect(':memory:', cached_statements=0)
            c.create_function('rocky_muldiv', 3, lambda a, b, d: None)
            for s in spec['ddl']: c.execute(s)
            times = []
            for i in range(300):
                t = time.perf_counter(); c.execute('EXPLAIN ' + spec['sql']); times.append(time.perf_counter() - t)
            times.sort(); print(times[len(times)//2] * 1000)
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [ProcessInfo.processInfo.environment["ROCKY_PYTHON"] ?? "python3", "-c", script]
        let input = Pipe(), output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        do { try process.run() } catch { return nil }
        let spec = "{\"ddl\": [" + ddl.map(jsonString).joined(separator: ",") + "], \"sql\": " + jsonString(sql) + "}"
        input.fileHandleForWriting.write(Data(spec.utf8))
        try? input.fileHandleForWriting.close()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { return nil }
        return Double(String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
    }

    private static func jsonString(_ s: String) -> String {
        var out = ""
        JSONStringWriter.write(s, to: &out)
        return out
    }

    static let fallbackSchema = """
        CREATE TABLE prices (symbol TEXT NOT NULL, ts TIMESTAMP NOT NULL, open DECIMAL(12,4), high DECIMAL(12,4), low DECIMAL(12,4), close DECIMAL(12,4), volume INTEGER, PRIMARY KEY (symbol, ts));
        CREATE TABLE positions (account_id TEXT NOT NULL, symbol TEXT NOT NULL, quantity INTEGER, avg_cost DECIMAL(12,4), risk_score DOUBLE, PRIMARY KEY (account_id, symbol));
        CREATE TABLE risk_scores (symbol TEXT PRIMARY KEY, sector TEXT, beta DOUBLE, volatility DOUBLE, var_95 DECIMAL(10,4), rating TEXT);
        CREATE TABLE customers (customer_id INTEGER PRIMARY KEY, name TEXT, email TEXT, ssn TEXT, birth_date DATE, country TEXT, segment TEXT);
        CREATE TABLE accounts (account_id TEXT PRIMARY KEY, customer_id INTEGER, opened DATE, strategy TEXT, base_currency TEXT);
        CREATE TABLE trades (trade_id INTEGER PRIMARY KEY, account_id TEXT, symbol TEXT, side TEXT, quantity INTEGER, price DECIMAL(12,4), fee DECIMAL(10,2), executed_at TIMESTAMP, is_algo BOOLEAN);
        """
}

private enum JSONStringWriter {
    static func write(_ s: String, to out: inout String) {
        out += "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20: out += String(format: "\\u%04x", scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        out += "\""
    }
}

extension BoundStatement {
    /// CTEs of a query statement's top level.
    var cteCount: Int {
        if case let .query(query) = self { return query.ctes.count }
        return 0
    }
}
