import Foundation
import RockyBase
import RockySQL
import RockyStore
import RockyTable
import Testing
@testable import RockyEngine
@testable import RockyEngineSQLite

/// Builds a table version from rows (any order), as an import would.
func makeTable(_ store: any ObjectStore, _ schema: Schema, _ rows: [[Value]]) throws -> ObjectID {
    try store.write(table: Table(schema: schema, root: try makeTree(store, schema, rows)))
}

func makeTree(_ store: any ObjectStore, _ schema: Schema, _ rows: [[Value]]) throws -> TreeRoot? {
    let codec = RowCodec(schema: schema)
    var counts: [[UInt8]: (Int, [UInt8])] = [:]
    for row in rows {
        let key = codec.key(of: row)
        if codec.isKeyless {
            counts[key, default: (0, [])].0 += 1
        } else {
            precondition(counts[key] == nil, "duplicate key in test rows")
            counts[key] = (1, codec.value(of: row))
        }
    }
    let builder = TreeBuilder(store: store)
    for key in counts.keys.sorted(by: { $0.lexicographicallyPrecedes($1) }) {
        let (count, value) = counts[key]!
        try builder.append(key: key, value: codec.isKeyless ? RowCodec.multiplicity(count) : value)
    }
    return try builder.finish()
}

/// Every row of a table version, in key order, a keyless row repeated by its multiplicity.
func readRows(_ store: any ObjectStore, _ id: ObjectID) throws -> [[Value]] {
    let table = try store.readTable(id)
    let codec = RowCodec(schema: table.schema)
    var cursor = TreeReader(store: store).rows(table.root)
    var rows: [[Value]] = []
    while let (key, value) = try cursor.nextRow() {
        let (row, count) = try key.withUnsafeBytes { k in try value.withUnsafeBytes { v in try codec.decode(key: k, value: v) } }
        for _ in 0..<count { rows.append(row) }
    }
    return rows
}

/// A store, an adapter and a set of named tables, as the Repository layer
/// would hold them: statements compile against the tables' schemas and their
/// effects update the set.
final class Workspace {
    let store: any ObjectStore
    let adapter: SQLiteAdapter
    var tables: [String: ObjectID] = [:]

    init(store: any ObjectStore = MemoryObjectStore(), cacheDirectory: String? = nil, maskingKey: [UInt8]? = nil,
         cacheLimitBytes: Int = SQLiteAdapter.defaultCacheLimitBytes) throws {
        self.store = store
        adapter = try SQLiteAdapter(store: store, cacheDirectory: cacheDirectory, maskingKey: maskingKey, cacheLimitBytes: cacheLimitBytes)
    }

    func add(_ name: String, _ schema: Schema, _ rows: [[Value]]) throws {
        tables[name] = try makeTable(store, schema, rows)
    }

    var catalog: InMemoryCatalog {
        get throws { try InMemoryCatalog(tables: tables, store: store) }
    }

    func compile(_ sql: String, options: CompileOptions = CompileOptions()) throws -> CompiledStatement {
        let script = SQLCompiler.compile(sql, catalog: try catalog, options: options)
        guard !script.hasErrors, script.statements.count == 1 else {
            Issue.record("does not compile: \(sql)\n\(script.renderedDiagnostics())")
            throw EngineError.invalid("compile error")
        }
        return script.statements[0]
    }

    /// Runs one statement and applies its effect to `tables`. A query's
    /// result is closed unless `keepRows`.
    @discardableResult
    func run(_ sql: String, key: [String]? = nil, time: String? = nil, compile options: CompileOptions = CompileOptions(),
             keepRows: Bool = false) throws -> StatementOutcome {
        let statement = try compile(sql, options: options)
        let outcome = try adapter.execute(statement, tables: tables, options: ExecutionOptions(targetKey: key, targetTimeColumn: time))
        switch outcome.effect {
        case let .tableWritten(name, id, _): tables[name] = id
        case let .tableDropped(name): tables[name] = nil
        case let .rows(result): if !keepRows { result.close() }
        case .nothing: break
        }
        return outcome
    }

    /// Runs a query and returns its rows.
    func query(_ sql: String) throws -> [[Value]] {
        guard case let .rows(result) = try run(sql, keepRows: true).effect else { throw EngineError.invalid("not a query") }
        return try result.all()
    }

    func rows(_ name: String) throws -> [[Value]] { try readRows(store, tables[name]!) }

    func schema(_ name: String) throws -> Schema { try store.readTable(tables[name]!).schema }

    var objectCount: Int { (try? store.allIDs().count) ?? -1 }
}

func dec(_ text: String) -> Value { .decimal(ExactDecimal(parsing: text)!) }
func date(_ text: String) -> Value { .date(CivilDate(parsing: text)!) }
func ts(_ text: String) -> Value { .timestamp(Timestamp(text)) }

/// A fresh folder under the temporary directory.
func temporaryFolder(_ name: String) -> String {
    let path = NSTemporaryDirectory() + "rocky-engine-tests-\(name)-\(getpid())-\(UUID().uuidString.prefix(8))"
    try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

/// The prices fixture shape: keyed by (symbol, ts), DECIMAL prices.
func pricesSchema() throws -> Schema {
    try Schema(named: [("symbol", .text), ("ts", .timestamp), ("open", .decimal(precision: 12, scale: 4)),
                       ("high", .decimal(precision: 12, scale: 4)), ("low", .decimal(precision: 12, scale: 4)),
                       ("close", .decimal(precision: 12, scale: 4)), ("volume", .integer)],
               key: ["symbol", "ts"], timeColumn: "ts")
}

func priceRows(symbols: [String], days: Int) -> [[Value]] {
    var rows: [[Value]] = []
    for (s, symbol) in symbols.enumerated() {
        for day in 0..<days {
            let units = Int128(1_000_000 + s * 10_000 + (day * 37) % 5000)
            let close = Value.decimal(ExactDecimal(units: units, scale: 4))
            rows.append([.text(symbol), .timestamp(Timestamp(microseconds: Int64(day) * 86_400_000_000 + 72_000_000_000)),
                         close, close, close, close, .integer(Int64(1000 + day))])
        }
    }
    return rows
}
