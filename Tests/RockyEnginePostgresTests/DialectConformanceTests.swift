import Foundation
import RockyBase
import RockyEngine
import RockyEngineSQLite
import RockyEnginePostgres
import RockySQL
import RockyStore
import RockyTable
import RockyTestSupport
import Testing

/// The PostgreSQL SQL Rocky emits gives exactly the values its SQLite SQL
/// gives: each query is compiled once, run by the SQLite backend over a
/// table version and, as `querySQL(for: .postgres)`, on a throw-away
/// PostgreSQL server over the same rows (in a database whose default
/// collation is ICU en-US, so that only the emitted `COLLATE "C"` gives byte
/// order), with the session set up by `PostgresSessionSetup`. Values are
/// compared exactly, PostgreSQL's result column types are checked against
/// the IR's (BIGINT, NUMERIC with exactly the scale, DOUBLE PRECISION, ...),
/// and a query that fails must fail on both, with the same message where
/// Rocky's checked casts make it.
@Suite(.serialized) struct DialectConformanceTests {
    static let key = ConformanceCases.key

    @Test func expressionsFunctionsAndOperators() throws {
        let engines = try Engines()
        var compared = 0
        for e in ConformanceCases.expressions {
            compared += try engines.compare("SELECT id, \(e) AS v FROM t ORDER BY id", label: e)
        }
        #expect(compared == ConformanceCases.expressions.count)
        // None of them fails: every comparison was of values.
        #expect(engines.bothFailed == [])
    }

    @Test func everyCastPair() throws {
        let engines = try Engines()
        var compiled = 0
        for source in ConformanceCases.castSources {
            for target in ConformanceCases.castTargets {
                let sql = "SELECT id, CAST(\(source) AS \(target)) AS v FROM t ORDER BY id"
                guard engines.compiles(sql) else { continue }
                compiled += try engines.compare(sql, label: "CAST(\(source) AS \(target))")
            }
        }
        // numeric <-> numeric, anything <-> TEXT, BOOLEAN <-> numeric, DATE <-> TIMESTAMP, NULL to anything.
        #expect(compiled >= 80)
        // Only the casts some row of `t` cannot take fail (on both engines): f (1e15) to DECIMAL(12,2) and, at
        // 64 bits, to DECIMAL(38,6); s and w (words) to anything but TEXT; n (integers) to BOOLEAN, DATE and
        // TIMESTAMP; x (dates) and y (timestamps) to numbers and BOOLEAN, y to DATE.
        #expect(engines.bothFailed.count <= 34, "\(engines.bothFailed)")
        #expect(compiled - engines.bothFailed.count >= 54)
    }

    @Test func castsOfTextLiteralsAcceptAndRefuseAlike() throws {
        let engines = try Engines()
        var accepted = 0, refused = 0
        for text in ConformanceCases.castTexts {
            for target in ConformanceCases.textCastTargets {
                // CONCAT keeps the compiler from checking a DATE or TIMESTAMP literal itself: the cast runs.
                let literal = "CONCAT('" + text.replacingOccurrences(of: "'", with: "''") + "')"
                let failed = engines.bothFailed.count
                _ = try engines.compare("SELECT CAST(\(literal) AS \(target)) AS v", label: "CAST(\(literal) AS \(target))",
                                        sameMessage: true)
                if engines.bothFailed.count > failed { refused += 1 } else { accepted += 1 }
            }
        }
        #expect(accepted >= 40 && refused >= 150)
    }

    @Test func aggregatesGroupsAndWindows() throws {
        let engines = try Engines()
        for a in ConformanceCases.aggregates {
            _ = try engines.compare("SELECT \(a) AS v FROM t", label: a, approximate: a.lowercased().contains("dev") || a.lowercased().contains("var"))
        }
        for q in ConformanceCases.grouped { _ = try engines.compare(q, label: q, approximate: q.lowercased().contains("stddev")) }
        #expect(engines.bothFailed == [])
    }

    @Test func textSortsInByteOrder() throws {
        let engines = try Engines()
        for q in ConformanceCases.ordered { _ = try engines.compare(q, label: q) }
        #expect(engines.bothFailed == [])
        // The database's own collation would put 'a' before 'B': the emitted SQL must not.
        let rows = try engines.postgres("SELECT s FROM t WHERE s IS NOT NULL ORDER BY s").map { $0[0] }
        let bytes = rows.sorted { a, b in
            guard case let .text(x) = a, case let .text(y) = b else { return false }
            return Array(x.utf8).lexicographicallyPrecedes(Array(y.utf8))
        }
        #expect(rows == bytes)
    }

    @Test(arguments: MaskingStrategy.allCases.filter { $0 != .deny })
    func maskedValuesAreByteIdentical(strategy: MaskingStrategy) throws {
        let engines = try Engines()
        let options = CompileOptions(environment: "prod", masking: MaskingPolicy { _, _ in strategy })
        var compared = 0
        for column in ConformanceCases.maskedColumns {
            let sql = "SELECT \(column) AS v FROM t"
            guard engines.compiles(sql, options: options) else { continue }
            compared += try engines.compare(sql, label: "\(strategy) of \(column)", options: options, unordered: true)
        }
        #expect(compared >= (strategy == .year ? 2 : 9))
        #expect(engines.bothFailed == [])
        if strategy == .hash {
            // Keyed: HMAC-SHA-256 under the masking key, as the stored-value masking computes it.
            let rows = try engines.postgres("SELECT s AS v FROM t", options: options)
            #expect(rows.contains([.text(ValueMasking.hashHex("abcdef", key: Self.key))]))
        }
    }

    @Test func aLongMaskingKeyHashesAlike() throws {
        let long = Array(String(repeating: "k", count: 100).utf8)
        let engines = try Engines(key: long)
        let options = CompileOptions(environment: "prod", masking: MaskingPolicy { _, _ in .hash })
        _ = try engines.compare("SELECT s AS v FROM t", label: "hash under a 100-byte key", options: options, unordered: true)
        #expect(try engines.postgres("SELECT s AS v FROM t", options: options).contains([.text(ValueMasking.hashHex("abcdef", key: long))]))
        #expect(engines.bothFailed == [])
    }
}

/// SQLite and PostgreSQL over the same input table `t`.
final class Engines: DialectComparison {
    let connection: PostgresConnection
    let schemaName = "conformance_\(UInt32.random(in: 0...UInt32.max))"

    init(key: [UInt8]? = DialectConformanceTests.key) throws {
        connection = try PostgresConnection(conninfo: try Engines.icuDatabase())
        try super.init(key: key, dialect: .postgres, serverName: "postgres")
        for statement in PostgresSessionSetup.statements(maskingKey: key) { try connection.execute(statement) }
        try connection.execute("CREATE SCHEMA \(schemaName)")
        try connection.execute("SET search_path = \(schemaName)")
        let columns = ConformanceCases.columns.map { "\"\($0.0)\" \(Dialect.postgres.typeName($0.1))" }.joined(separator: ", ")
        try connection.execute("CREATE TABLE t (\(columns), PRIMARY KEY (id))")
        for row in ConformanceCases.rows {
            try connection.execute("INSERT INTO t VALUES (\(row.map(Engines.literal).joined(separator: ", ")))")
        }
    }

    deinit { _ = try? connection.execute("DROP SCHEMA \(schemaName) CASCADE") }

    /// A database of the shared server whose default collation is ICU en-US
    /// (where 'a' sorts before 'B'), created once per process.
    static let icuConninfo = Result { () throws -> String in
        let server = try PostgresServer.shared.get()
        let admin = try server.connect()
        try admin.execute("CREATE DATABASE conformance TEMPLATE template0 ENCODING 'UTF8' LOCALE_PROVIDER icu "
                          + "ICU_LOCALE 'en-US' LOCALE 'C.UTF-8'")
        return server.conninfo.replacingOccurrences(of: "dbname=postgres", with: "dbname=conformance")
    }

    static func icuDatabase() throws -> String { try icuConninfo.get() }

    static func literal(_ value: Value) -> String {
        switch value {
        case .null: "NULL"
        case let .boolean(b): b ? "TRUE" : "FALSE"
        case let .integer(i): String(i)
        case let .decimal(d): "'\(d)'::numeric"
        case let .double(d): "'\(d.isInfinite ? (d < 0 ? "-Infinity" : "Infinity") : String(d))'::float8"
        case let .text(s): "'" + s.replacingOccurrences(of: "'", with: "''") + "'"
        case let .date(d): "DATE '\(d)'"
        case let .timestamp(t): "('\(t)'::timestamptz AT TIME ZONE 'UTC')"
        }
    }

    override func serverOutcome(_ statement: CompiledStatement) -> Outcome {
        let sql = statement.querySQL(for: .postgres)!
        do {
            let result = try connection.execute(sql)
            var rows: [[Value]] = []
            for row in result.rows {
                var values: [Value] = []
                for (c, column) in statement.outputColumns.enumerated() {
                    values.append(try Engines.value(row[c], column.type, oid: result.columns[c].typeOID))
                }
                rows.append(values)
            }
            return .rows(rows)
        } catch let error as PostgresError {
            return .failure(error.message)
        } catch {
            return .failure("\(error)")
        }
    }

    override func record(_ difference: String) { Issue.record(Comment(rawValue: difference)) }

    /// The rows of a query on PostgreSQL (failing the test on an error).
    func postgres(_ sql: String, options: CompileOptions = CompileOptions()) throws -> [[Value]] {
        try server(sql, options: options)
    }

    struct TypeMismatch: Error, CustomStringConvertible { let description: String }

    /// A PostgreSQL value as the Rocky value of `type`; the column's type
    /// must be the one the dialect names for `type`, a NUMERIC must have
    /// exactly the type's scale, and a NaN is NULL (as the backends store it).
    static func value(_ value: PostgresValue, _ type: ColumnType, oid: UInt32) throws -> Value {
        let expected: UInt32
        switch type {
        case .boolean: expected = 16
        case .integer: expected = 20
        case .double: expected = 701
        case .decimal: expected = 1700
        case .text: expected = 25
        case .date: expected = 1082
        case .timestamp: expected = 1114
        }
        guard oid == expected else { throw TypeMismatch(description: "PostgreSQL type oid \(oid) for \(type) (expected \(expected))") }
        switch (value, type) {
        case (.null, _): return .null
        case let (.bool(b), .boolean): return .boolean(b)
        case let (.int64(i), .integer): return .integer(i)
        case let (.double(d), .double): return d.isNaN ? .null : .double(d)
        case let (.numeric(text), .decimal(_, s)):
            let scale = text.firstIndex(of: ".").map { text.distance(from: $0, to: text.endIndex) - 1 } ?? 0
            guard scale == s, let d = ExactDecimal(parsing: text) else {
                throw TypeMismatch(description: "NUMERIC \(text) for \(type)")
            }
            return .decimal(d)
        case let (.text(t), .text): return .text(t)
        case let (.date(d), .date): return .date(d)
        case let (.timestamp(t), .timestamp): return .timestamp(t)
        default: throw TypeMismatch(description: "\(value) for \(type)")
        }
    }
}
