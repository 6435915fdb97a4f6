import RockyBase
import RockyEngine
import RockyEngineSQLite
import RockySQL
import RockyStore
import RockyTable

/// The harness of the dialect conformance suites (PostgreSQL's and
/// Spark's): a statement compiled once over the table `t` of
/// `ConformanceCases`, run by the SQLite backend and, in the server's
/// dialect, by the server a subclass reaches (`serverOutcome`), the two
/// outcomes compared. A subclass loads `t` on its server and records a
/// difference as a test issue (`record`); everything else is shared.
open class DialectComparison: @unchecked Sendable {
    public let store = MemoryObjectStore()
    public let sqlite: SQLiteBackend
    public var tables: [String: ObjectID] = [:]
    /// The queries that failed on both engines (which `compare` accepts as agreeing).
    public var bothFailed: [String] = []
    /// The dialect the server runs and its name in a difference's report.
    public let dialect: Dialect
    public let serverName: String
    /// The relative difference allowed between two DOUBLEs of an
    /// `approximate` comparison.
    public let tolerance: Double

    public init(key: [UInt8]?, dialect: Dialect, serverName: String, tolerance: Double = 1e-12) throws {
        sqlite = try SQLiteBackend(store: store, cacheDirectory: nil, maskingKey: key)
        self.dialect = dialect
        self.serverName = serverName
        self.tolerance = tolerance
        let schema = try Schema(named: ConformanceCases.columns, key: ["id"])
        tables["t"] = try DialectComparison.makeTable(store, schema, ConformanceCases.rows)
    }

    public enum Outcome: Equatable, CustomStringConvertible {
        case rows([[Value]])
        case failure(String)

        public var description: String {
            switch self {
            case let .rows(rows): rows.map { "(" + $0.map { "\($0)" }.joined(separator: ", ") + ")" }.joined(separator: " ")
            case let .failure(message): "error: " + message
            }
        }
    }

    /// The statement's rows on the server, or the failure's message.
    open func serverOutcome(_ statement: CompiledStatement) -> Outcome {
        fatalError("a DialectComparison subclass runs statements on its server")
    }

    /// Records a difference between the engines as a test issue.
    open func record(_ difference: String) {
        fatalError("a DialectComparison subclass records differences")
    }

    public static func makeTable(_ store: any ObjectStore, _ schema: Schema, _ rows: [[Value]]) throws -> ObjectID {
        let codec = RowCodec(schema: schema)
        let builder = TreeBuilder(store: store)
        for row in rows.sorted(by: { codec.key(of: $0).lexicographicallyPrecedes(codec.key(of: $1)) }) {
            try builder.append(key: codec.key(of: row), value: codec.value(of: row))
        }
        return try store.write(table: Table(schema: schema, root: try builder.finish()))
    }

    public func compile(_ sql: String, options: CompileOptions = CompileOptions()) throws -> CompiledStatement? {
        let script = SQLCompiler.compile(sql, catalog: try InMemoryCatalog(tables: tables, store: store), options: options)
        guard !script.hasErrors, script.statements.count == 1 else { return nil }
        return script.statements[0]
    }

    public func compiles(_ sql: String, options: CompileOptions = CompileOptions()) -> Bool {
        ((try? compile(sql, options: options)) ?? nil) != nil
    }

    public func sqliteOutcome(_ statement: CompiledStatement) -> Outcome {
        do {
            guard case let .rows(stream) = try sqlite.execute(statement, tables: tables).effect else { return .failure("no rows") }
            return .rows(try stream.all())
        } catch let EngineError.backend(error) {
            return .failure(error.message)
        } catch {
            return .failure("\(error)")
        }
    }

    /// The rows of a query on the server (an error when it fails).
    public func server(_ sql: String, options: CompileOptions = CompileOptions()) throws -> [[Value]] {
        guard let statement = try compile(sql, options: options) else { throw HarnessError("does not compile: \(sql)") }
        switch serverOutcome(statement) {
        case let .rows(rows): return rows
        case let .failure(message): throw HarnessError("\(sql): \(message)")
        }
    }

    /// Compiles `sql`, runs it on both engines and records any difference;
    /// returns 1 when it compiled (0, with an issue, when it did not).
    @discardableResult
    public func compare(_ sql: String, label: String, options: CompileOptions = CompileOptions(), sameMessage: Bool = false,
                        approximate: Bool = false, unordered: Bool = false) throws -> Int {
        guard let statement = try compile(sql, options: options) else {
            record("does not compile: \(sql)")
            return 0
        }
        var lite = sqliteOutcome(statement), other = serverOutcome(statement)
        if unordered, case let .rows(a) = lite, case let .rows(b) = other {
            lite = .rows(a.sorted { "\($0)" < "\($1)" })
            other = .rows(b.sorted { "\($0)" < "\($1)" })
        }
        if case .failure = lite, case .failure = other { bothFailed.append(label) }
        switch (lite, other) {
        case (.failure, .failure) where !sameMessage:
            return 1
        case let (.rows(a), .rows(b)) where approximate && close(a, b):
            return 1
        default:
            if lite != other {
                record("\(label)\n  sqlite: \(lite)\n  \(serverName): \(other)\n  sql: \(statement.querySQL(for: dialect)!)")
            }
            return 1
        }
    }

    /// Equal, DOUBLEs within a relative `tolerance`.
    public func close(_ a: [[Value]], _ b: [[Value]]) -> Bool {
        guard a.count == b.count else { return false }
        for (x, y) in zip(a, b) {
            guard x.count == y.count else { return false }
            for (u, v) in zip(x, y) {
                if case let .double(p) = u, case let .double(q) = v {
                    if p != q && abs(p - q) > tolerance * max(abs(p), abs(q)) { return false }
                } else if u != v {
                    return false
                }
            }
        }
        return true
    }
}
