import Foundation
import RockyBase
import RockyEngine
import RockyEngineSQLite
import RockyEngineSpark
import RockySQL
import RockyStore
import RockyTable
import RockyTestSupport
import Testing

/// The Spark SQL / Databricks SQL Rocky emits gives the values its SQLite
/// SQL gives: each query of the conformance cases (`ConformanceCases`,
/// shared with PostgreSQL's suite) is compiled once, run by the SQLite
/// backend over a table version and, as `querySQL(for: .databricks)`, on the
/// real Spark Thrift server through `HiveConnection` over the same rows, in a
/// session set up by `Dialect.databricks.sessionSetup` (UTC, ANSI mode).
/// Values of exact types are compared exactly, the result column types are
/// checked against the IR's (BIGINT, DECIMAL with exactly the precision and
/// scale, DOUBLE, STRING, ...), DOUBLEs agree within `SparkEngines.tolerance`
/// only where Docs/sql.md ("Spark SQL and Databricks") says Spark's floating
/// point differs, and a query that fails must fail on both, with the same
/// message where Rocky's checked casts make it.
@Suite(.serialized, .timeLimit(.minutes(20))) struct SparkDialectConformanceTests {
    static let key = ConformanceCases.key

    @Test func expressionsFunctionsAndOperators() throws {
        let engines = try SparkEngines.shared()
        engines.bothFailed = []
        var compared = 0
        for e in ConformanceCases.expressions {
            compared += try engines.compare("SELECT id, \(e) AS v FROM t ORDER BY id", label: e,
                                            approximate: SparkEngines.approximate(e))
        }
        #expect(compared == ConformanceCases.expressions.count)
        #expect(engines.bothFailed == [])
    }

    @Test func everyCastPair() throws {
        let engines = try SparkEngines.shared()
        engines.bothFailed = []
        var compiled = 0
        for source in ConformanceCases.castSources {
            for target in ConformanceCases.castTargets {
                let sql = "SELECT id, CAST(\(source) AS \(target)) AS v FROM t ORDER BY id"
                guard engines.compiles(sql) else { continue }
                compiled += try engines.compare(sql, label: "CAST(\(source) AS \(target))")
            }
        }
        #expect(compiled >= 80)
        // As on PostgreSQL: only the casts some row of `t` cannot take fail, on both engines.
        #expect(engines.bothFailed.count <= 34, "\(engines.bothFailed)")
        #expect(compiled - engines.bothFailed.count >= 54)
    }

    @Test func castsOfTextAcceptAndRefuseAlike() throws {
        let engines = try SparkEngines.shared()
        engines.bothFailed = []
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
        // Strict: bad text is an error naming the value and the cast's place, never NULL or 0.
        let failure = engines.sparkOutcome(try #require(try engines.compile("SELECT CAST(CONCAT('12abc') AS INTEGER) AS v")))
        #expect(failure == .failure("rocky_cast: invalid input for INTEGER: '12abc' (cast at line 1, column 8)"))
    }

    @Test func aggregatesGroupsAndWindows() throws {
        let engines = try SparkEngines.shared()
        engines.bothFailed = []
        for a in ConformanceCases.aggregates {
            _ = try engines.compare("SELECT \(a) AS v FROM t", label: a, approximate: SparkEngines.approximate(a))
        }
        // Spark has no GROUPS frames: compiling for databricks refuses them (E0102, DiagnosticTests).
        for q in ConformanceCases.grouped where !q.contains(" GROUPS ") {
            _ = try engines.compare(q, label: q, approximate: SparkEngines.approximate(q))
        }
        #expect(engines.bothFailed == [])
    }

    @Test func textSortsInByteOrderAndSetOperationsAgree() throws {
        let engines = try SparkEngines.shared()
        engines.bothFailed = []
        for q in ConformanceCases.ordered { _ = try engines.compare(q, label: q) }
        #expect(engines.bothFailed == [])
        // Spark compares STRING by UTF-8 bytes: 'B' < 'Z' < 'a' < 'b' < 'é'.
        let rows = try engines.spark("SELECT s FROM t WHERE s IS NOT NULL ORDER BY s").map { $0[0] }
        #expect(rows == ["B", "Z", "a", "abcdef", "b", "straße ß", "Éclair"].map { Value.text($0) })
    }

    /// Spark sorts NULL first ascending (as SQLite), Rocky sorts it last:
    /// the emitted ORDER BY says NULLS LAST / NULLS FIRST explicitly.
    @Test func nullsSortAsRockySaysNotAsSparkDefaults() throws {
        let engines = try SparkEngines.shared()
        let statement = try #require(try engines.compile("SELECT id, i FROM t ORDER BY i, id"))
        #expect(statement.querySQL(for: .databricks)!.contains("NULLS LAST"))
        let ids = try engines.spark("SELECT id, i FROM t ORDER BY i, id").map { $0[0] }
        #expect(ids.last == .integer(4))
        let descending = try engines.spark("SELECT id, i FROM t ORDER BY i DESC, id").map { $0[0] }
        #expect(descending.first == .integer(4))
        // Spark's own default, for the record: NULL first when ascending.
        let (_, raw) = try engines.connection.query("SELECT id FROM t ORDER BY i, id")
        #expect(raw.first == [.int(4)])
    }

    /// Where Spark's own functions and casts differ from Rocky's, the
    /// emitted SQL does not: Spark's round of a DOUBLE to 0 places rounds
    /// half up (SQLite's adds 0.5 in double arithmetic), its cast of a
    /// DECIMAL to BIGINT truncates, its substr reads position 0 as
    /// 1, it prints DOUBLEs in Java's form, and its LIKE escapes with a backslash.
    @Test func whereSparksOwnSQLDiffersTheEmittedSQLGivesRockysValues() throws {
        let engines = try SparkEngines.shared()
        let native = try engines.connection.query("""
            SELECT round(CAST(0.49999999999999994 AS DOUBLE)),
              CAST(CAST(7.77 AS DECIMAL(10,2)) AS BIGINT), substr('abcdef', 0, 2), CAST(CAST(1.005e20 AS DOUBLE) AS STRING),
              'a%' LIKE '%\\\\%'
            """).rows
        #expect(native == [[.double(0), .int(7), .string("ab"), .string("1.005E20"), .bool(true)]])
        let sql = "SELECT ROUND(0.49999999999999994e0) AS a, CAST(d AS INTEGER) AS c, "
            + "SUBSTR('abcdef', 0, 2) AS e, CAST(g * 1e20 AS TEXT) AS h, CONCAT('a%') LIKE '%\\%' AS k FROM t WHERE id = 8"
        #expect(try engines.compare(sql, label: "Spark's own differences") == 1)
        let rocky = try engines.spark(sql)
        #expect(rocky == [[.double(1), .integer(8), .text("a"), .text("1.005e+20"), .boolean(false)]], "\(rocky)")
    }

    @Test(arguments: MaskingStrategy.allCases.filter { $0 != .deny })
    func maskedValuesAreByteIdentical(strategy: MaskingStrategy) throws {
        let engines = try SparkEngines.shared()
        engines.bothFailed = []
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
            let rows = try engines.spark("SELECT s AS v FROM t", options: options)
            #expect(rows.contains([.text(ValueMasking.hashHex("abcdef", key: Self.key))]))
        }
    }

    /// Spark SQL has `sha2` but no HMAC: the session's `rocky_mask_hash`
    /// builds it from two SHA-256s, so the dialect expresses `hash` exactly
    /// and compiling for it refuses no strategy (E0504).
    @Test func keyedHashUnderAnyKeyLengthIsExact() throws {
        let engines = try SparkEngines.shared()
        #expect(Dialect.databricks.exactMaskingStrategies == Set(MaskingStrategy.allCases))
        let options = CompileOptions(environment: "prod", masking: MaskingPolicy { _, _ in .hash }, dialect: .databricks)
        let script = SQLCompiler.compile("SELECT s AS v FROM t", catalog: try InMemoryCatalog(tables: engines.tables, store: engines.store),
                                         options: options)
        #expect(!script.hasErrors)
        // A key longer than a SHA-256 block is hashed first (RFC 2104); a short one is padded; none is plain SHA-256.
        let statement = try #require(script.statements.first)
        for key in [Array(String(repeating: "k", count: 100).utf8), Array("short".utf8), nil] {
            for setup in Dialect.databricks.sessionSetup(maskingKey: key) { try engines.connection.run(setup) }
            let rows = try engines.connection.query(statement.querySQL(for: .databricks)!).rows
            let expected = ValueMasking.hashHex("abcdef", key: key)
            #expect(rows.contains([.string(expected)]), "key of \(key?.count ?? 0) bytes")
        }
        // Back to the suite's key.
        for setup in Dialect.databricks.sessionSetup(maskingKey: Self.key) { try engines.connection.run(setup) }
    }
}

/// SQLite and a Spark session over the same input table `t`, one per test
/// process (the Spark server takes a minute to start).
final class SparkEngines: DialectComparison {
    let connection: HiveConnection
    let database = "conformance_\(UInt32.random(in: 0...UInt32.max))"

    private static let instance = Result { try SparkEngines() }
    static func shared() throws -> SparkEngines { try instance.get() }

    init(key: [UInt8]? = ConformanceCases.key) throws {
        connection = try connectToSpark()
        try super.init(key: key, dialect: .databricks, serverName: "spark", tolerance: SparkEngines.tolerance)
        for statement in Dialect.databricks.sessionSetup(maskingKey: key) { try connection.run(statement) }
        try connection.run("CREATE DATABASE \(database)")
        try connection.run("USE \(database)")
        let columns = ConformanceCases.columns.map { "\(Dialect.databricks.quote($0.0)) \(Dialect.databricks.typeName($0.1))" }
        try connection.run("CREATE TABLE t (\(columns.joined(separator: ", "))) USING parquet")
        let rows = ConformanceCases.rows.map { "(" + zip($0, ConformanceCases.columns).map { SparkEngines.literal($0, $1.1) }.joined(separator: ", ") + ")" }
        try connection.run("INSERT INTO t VALUES \(rows.joined(separator: ", "))")
    }

    /// A value as a Spark literal of the column's type.
    static func literal(_ value: Value, _ type: ColumnType) -> String {
        let target = Dialect.databricks.typeName(type)
        switch value {
        case .null: return "CAST(NULL AS \(target))"
        case let .boolean(b): return b ? "TRUE" : "FALSE"
        case let .integer(i): return "CAST(\(i) AS BIGINT)"
        case let .decimal(d): return "CAST('\(d)' AS \(target))"
        case let .double(d): return "CAST('\(d)' AS DOUBLE)"
        case let .text(s): return Dialect.databricks.string(s)
        case let .date(d): return "DATE '\(d)'"
        case let .timestamp(t): return "TIMESTAMP '\(t)'"
        }
    }

    /// The rows of the statement's Spark SQL; a failure is the message
    /// Rocky's checked cast raised (`raise_error`), when it was one, else
    /// Spark's whole message.
    override func serverOutcome(_ statement: CompiledStatement) -> Outcome {
        let sql = statement.querySQL(for: .databricks)!
        do {
            let (columns, rows) = try connection.query(sql)
            return .rows(try rows.map { row in
                try statement.outputColumns.indices.map { c in
                    try SparkEngines.value(row[c], statement.outputColumns[c].type, column: columns[c])
                }
            })
        } catch let error as HiveServerError {
            return .failure(SparkEngines.raisedMessage(error.message) ?? error.message)
        } catch {
            return .failure("\(error)")
        }
    }

    /// The message of `raise_error` in Spark's error text (`Error running
    /// query: [USER_RAISED_EXCEPTION] org.apache.spark.SparkRuntimeException:
    /// [USER_RAISED_EXCEPTION] <message> SQLSTATE: P0001`, then the server's
    /// stack trace on the next lines).
    static func raisedMessage(_ text: String) -> String? {
        guard let start = text.range(of: "[USER_RAISED_EXCEPTION] ", options: .backwards) else { return nil }
        var message = text[start.upperBound...]
        if let end = message.firstIndex(where: \.isNewline) { message = message[..<end] }
        if let end = message.range(of: " SQLSTATE: ") { message = message[..<end.lowerBound] }
        return String(message)
    }

    func sparkOutcome(_ statement: CompiledStatement) -> Outcome { serverOutcome(statement) }

    override func record(_ difference: String) { Issue.record(Comment(rawValue: difference)) }

    /// The rows of a query on Spark (failing the test on an error).
    func spark(_ sql: String, options: CompileOptions = CompileOptions()) throws -> [[Value]] {
        try server(sql, options: options)
    }

    struct TypeMismatch: Error, CustomStringConvertible { let description: String }

    /// A Spark value as the Rocky value of `type`; the column's type must be
    /// the one the dialect names for `type` (a DECIMAL with exactly the
    /// type's precision and scale), and a NaN is NULL (as the backends store it).
    static func value(_ value: HiveValue, _ type: ColumnType, column: HiveColumn) throws -> Value {
        let expected: String
        switch type {
        case .boolean: expected = "BOOLEAN"
        case .integer: expected = "BIGINT"
        case .double: expected = "DOUBLE"
        case let .decimal(p, s):
            expected = "DECIMAL"
            guard column.precision == p, column.scale == s else {
                throw TypeMismatch(description: "Spark DECIMAL(\(column.precision ?? -1),\(column.scale ?? -1)) for \(type)")
            }
        case .text: expected = "STRING"
        case .date: expected = "DATE"
        case .timestamp: expected = "TIMESTAMP"
        }
        guard column.typeName == expected else { throw TypeMismatch(description: "Spark type \(column.typeName) for \(type)") }
        switch (value, type) {
        case (.null, _): return .null
        case let (.bool(b), .boolean): return .boolean(b)
        case let (.int(i), .integer): return .integer(i)
        case let (.double(d), .double): return d.isNaN ? .null : .double(d)
        case let (.string(text), .decimal(_, s)):
            let scale = text.firstIndex(of: ".").map { text.distance(from: $0, to: text.endIndex) - 1 } ?? 0
            guard scale == s, let d = ExactDecimal(parsing: text) else { throw TypeMismatch(description: "DECIMAL \(text) for \(type)") }
            return .decimal(d)
        case let (.string(t), .text): return .text(t)
        case let (.string(t), .date):
            guard let d = CivilDate(parsing: t) else { throw TypeMismatch(description: "DATE \(t)") }
            return .date(d)
        case let (.string(t), .timestamp):
            guard let ts = Timestamp(parsing: t) else { throw TypeMismatch(description: "TIMESTAMP \(t)") }
            return .timestamp(ts)
        default: throw TypeMismatch(description: "\(value) for \(type)")
        }
    }

    /// The relative difference allowed between two DOUBLEs where Docs/sql.md
    /// says Spark's floating point differs: STDDEV and VARIANCE (Welford in
    /// SQLite, Spark's central moments), and the math functions of Java's
    /// StrictMath (LN, EXP, POWER, SQRT of a non-square) against C's libm.
    static let tolerance = 1e-12

    /// Whether a case's DOUBLE results are compared within `tolerance`.
    static func approximate(_ sql: String) -> Bool {
        let text = sql.lowercased()
        return ["stddev", "var", "ln(", "exp(", "power(", "pow("].contains { text.contains($0) }
    }
}
