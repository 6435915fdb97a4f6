import Foundation
import RockyBase
import RockyStore
@testable import RockyTable
import Testing

/// A table built from scratch from rows in schema order (keyless rows may
/// repeat: each occurrence is a copy).
func makeTable(_ store: any ObjectStore, _ schema: Schema, _ rows: [[Value]]) throws -> Table {
    let codec = RowCodec(schema: schema)
    var encoded: [[UInt8]: [UInt8]] = [:]
    for row in rows {
        let key = codec.key(of: row)
        if codec.isKeyless {
            let n = try encoded[key].map { try RowCodec.multiplicity(of: $0[...]) } ?? 0
            encoded[key] = RowCodec.multiplicity(n + 1)
        } else {
            precondition(encoded[key] == nil, "duplicate key in a test table")
            encoded[key] = codec.value(of: row)
        }
    }
    let builder = TreeBuilder(store: store)
    for (key, value) in encoded.sorted(by: { compareBytes($0.key, $1.key) < 0 }) {
        try builder.append(key: key, value: value)
    }
    return Table(schema: schema, root: try builder.finish())
}

/// The rows of a table in key order, in schema order; keyless rows repeated
/// as many times as their multiplicity.
func tableRows(_ store: any ObjectStore, _ table: Table?) throws -> [[Value]] {
    guard let table else { return [] }
    let codec = RowCodec(schema: table.schema)
    var cursor = TreeReader(store: store).rows(table.root)
    var out: [[Value]] = []
    while let (key, value) = try cursor.nextRow() {
        let (row, count) = try key.withUnsafeBytes { k in try value.withUnsafeBytes { v in try codec.decode(key: k, value: v) } }
        out += Array(repeating: row, count: count)
    }
    return out
}

/// Checks that a merged table is the one a build from scratch of its rows gives.
func expectCanonical(_ store: any ObjectStore, _ table: Table?, sourceLocation: SourceLocation = #_sourceLocation) throws {
    guard let table else { return }
    let rebuilt = try makeTable(store, table.schema, try tableRows(store, table))
    #expect(try store.write(table: rebuilt) == store.write(table: table), "the merged tree is canonical", sourceLocation: sourceLocation)
}

func temporaryDirectory() -> String {
    let path = NSTemporaryDirectory() + "rocky-merge-test-" + UUID().uuidString
    try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

/// A store, a merger and a standard keyed table: id (key), name, price, qty.
struct MergeFixture {
    let store = MemoryObjectStore()
    let merger: TableMerger
    let schema: Schema

    init() throws {
        merger = TableMerger(store: store, temporaryDirectory: temporaryDirectory())
        schema = try Schema(named: [("id", .integer), ("name", .text), ("price", .decimal(precision: 12, scale: 2)), ("qty", .integer)],
                            key: ["id"])
    }

    func table(_ rows: [[Value]], schema: Schema? = nil) throws -> Table {
        try makeTable(store, schema ?? self.schema, rows)
    }

    /// Merges and checks the result is canonical.
    func merge(_ base: Table?, _ ours: Table?, _ theirs: Table?, strategy: MergeStrategy? = nil,
               sourceLocation: SourceLocation = #_sourceLocation) throws -> TableMergeResult {
        let result = try merger.merge(base: base, ours: ours, theirs: theirs, name: "t", strategy: strategy)
        try expectCanonical(store, result.table, sourceLocation: sourceLocation)
        return result
    }

    func rows(_ table: Table?) throws -> [[Value]] { try tableRows(store, table) }
}

/// Shorthands for values.
func int(_ i: Int) -> Value { .integer(Int64(i)) }
func text(_ s: String) -> Value { .text(s) }
func dec(_ s: String) -> Value { .decimal(ExactDecimal(parsing: s)!) }
let null = Value.null

/// A row of the standard table.
func row(_ id: Int, _ name: String, _ price: String?, _ qty: Int?) -> [Value] {
    [int(id), text(name), price.map(dec) ?? .null, qty.map(int) ?? .null]
}
