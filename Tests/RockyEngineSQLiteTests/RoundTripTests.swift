import RockyBase
import RockySQL
import RockyStore
import RockyTable
import Testing
@testable import RockyEngine
@testable import RockyEngineSQLite

/// Every type goes into SQLite and comes back exactly: through a query (as
/// `Value`s) and through CREATE TABLE AS (as a table whose id equals the
/// original's, which proves the row bytes are identical).
@Suite struct RoundTripTests {
    static func allTypesSchema() throws -> Schema {
        try Schema(named: [("id", .integer), ("flag", .boolean), ("n", .integer), ("x", .double),
                           ("d18", .decimal(precision: 18, scale: 0)), ("cents", .decimal(precision: 18, scale: 2)),
                           ("frac", .decimal(precision: 18, scale: 18)), ("t", .text), ("day", .date), ("at", .timestamp)],
                   key: ["id"])
    }

    static let edgeRows: [[Value]] = [
        [.integer(1), .boolean(true), .integer(Int64.max), .double(-0.0), dec("999999999999999999"), dec("-0.00"),
         dec("0.999999999999999999"), .text(""), date("1969-12-31"), ts("1969-12-31T23:59:59.999999Z")],
        [.integer(2), .boolean(false), .integer(Int64.min), .double(.infinity), dec("-999999999999999999"),
         dec("9999999999999999.99"), dec("-0.999999999999999999"), .text("Zürich ☃ 東京 🚀"), date("0001-01-01"),
         ts("1900-02-28T12:00:00.000001Z")],
        [.integer(3), .null, .null, .null, .null, .null, .null, .null, .null, .null],
        [.integer(4), .boolean(true), .integer(0), .double(-.infinity), dec("0"), dec("-9999999999999999.99"),
         dec("0.000000000000000001"), .text("a\u{0}b"), date("9999-12-31"), ts("2026-05-20T16:00:00.123456Z")],
        [.integer(5), .boolean(false), .integer(-1), .double(5e-324), dec("-1"), dec("0.01"), dec("0"),
         .text(" "), date("1970-01-01"), ts("1970-01-01T00:00:00Z")],
        [.integer(6), .boolean(true), .integer(42), .double(-1.7976931348623157e308), dec("1"), dec("-0.01"), dec("-0.5"),
         .text("NULL"), date("2000-02-29"), ts("0001-01-01T00:00:00Z")],
        [.integer(-7), .boolean(false), .integer(7), .double(0.1), dec("123456789012345678"), dec("1.50"), dec("0.5"),
         .text("'quoted' \"double\""), date("1600-03-01"), ts("2262-04-11T23:47:16.854775Z")],
    ]

    @Test func everyTypeComesBackFromAQuery() throws {
        let w = try Workspace()
        let schema = try Self.allTypesSchema()
        try w.add("edge", schema, Self.edgeRows)
        let rows = try w.query("SELECT * FROM edge ORDER BY id")
        let expected = Self.edgeRows.sorted { a, b in
            if case let .integer(x) = a[0], case let .integer(y) = b[0] { return x < y }
            return false
        }
        #expect(rows.count == expected.count)
        for (got, want) in zip(rows, expected) {
            #expect(got == want.map(\.canonical))
            // Equal values keep their representation: the scale of a DECIMAL, the exact double bits.
            for (g, e) in zip(got, want.map(\.canonical)) {
                if case let .decimal(a) = g, case let .decimal(b) = e { #expect(a.units == b.rescaled(to: a.scale)!.units) }
                if case let .double(a) = g, case let .double(b) = e { #expect(a.bitPattern == b.bitPattern) }
                if case let .text(a) = g, case let .text(b) = e { #expect(Array(a.utf8) == Array(b.utf8)) }
            }
        }
        // Empty text and NULL stay distinct.
        #expect(rows.first { $0[0] == .integer(1) }?[7] == .text(""))
        #expect(rows.first { $0[0] == .integer(3) }?[7] == .null)
    }

    @Test func createTableAsOfACopyGivesTheSameTableID() throws {
        let w = try Workspace()
        try w.add("edge", try Self.allTypesSchema(), Self.edgeRows)
        let original = w.tables["edge"]!
        try w.run("CREATE TABLE copy AS SELECT * FROM edge", key: ["id"])
        #expect(w.tables["copy"] == original)
        // Keyless too: duplicates fold into multiplicities exactly as the original holds them.
        var keyless = try Self.allTypesSchema()
        keyless.key = []
        for i in keyless.columns.indices { keyless.columns[i].nullable = true }
        try w.add("bag", keyless, Self.edgeRows + Self.edgeRows.prefix(3))
        try w.run("CREATE TABLE bag2 AS SELECT * FROM bag")
        #expect(w.tables["bag2"] == w.tables["bag"])
        #expect(try w.rows("bag2").count == Self.edgeRows.count + 3)
    }

    @Test func theFastEncoderWritesWhatRowCodecWrites() throws {
        let w = try Workspace()
        let schema = try Self.allTypesSchema()
        try w.add("edge", schema, Self.edgeRows)
        _ = try w.query("SELECT id FROM edge")
        let statement = try w.adapter.connection.statement(
            "SELECT * FROM main.\(quote(TableCache.tableName(w.tables["edge"]!))) ORDER BY id")
        let codec = RowCodec(schema: schema)
        for keyless in [false, true] {
            var s = schema
            if keyless { s.key = [] }
            let encoder = RowEncoder(schema: s, table: "edge")
            let reference = RowCodec(schema: s)
            var count = 0
            while try statement.step() {
                var key: [UInt8] = [], value: [UInt8] = []
                try encoder.encode(statement, key: &key, value: &value)
                let row = try (0..<Int32(schema.columns.count)).map {
                    try Representation.read(statement, $0, type: schema.columns[Int($0)].type, place: .init(table: "edge", column: "?"))
                }
                #expect(key == reference.key(of: row))
                if !keyless { #expect(value == reference.value(of: row)) }
                #expect(codec.key(of: row).count > 0)
                count += 1
            }
            statement.reset()
            #expect(count == Self.edgeRows.count)
        }
    }

    @Test func sqliteOrdersTheRepresentationAsRockyOrdersKeys() throws {
        // Keys of every type, including NULL-free edge values, read back in
        // SQLite's ORDER BY must arrive in strictly ascending encoded order.
        let w = try Workspace()
        let schema = try Schema(named: [("t", .text), ("x", .double), ("d", .decimal(precision: 18, scale: 2)),
                                        ("b", .boolean), ("at", .timestamp)], key: ["t", "x", "d", "b", "at"])
        var rows: [[Value]] = []
        let texts = ["", "a", "a\u{0}", "a\u{0}b", "ab", "b", "é", "z", "\u{7F}", "日本"]
        let doubles: [Double] = [-.infinity, -1e300, -1, -0.0, 1e-300, 1, .infinity]
        for (i, t) in texts.enumerated() {
            for (j, x) in doubles.enumerated() {
                rows.append([.text(t), .double(x), .decimal(ExactDecimal(units: Int128(j * 7 - 20 + i), scale: 2)),
                             .boolean((i + j) % 2 == 0), .timestamp(Timestamp(microseconds: Int64(i * j) - 50))])
            }
        }
        try w.add("k", schema, rows)
        try w.run("CREATE TABLE k2 AS SELECT * FROM k", key: ["t", "x", "d", "b", "at"])
        #expect(w.tables["k2"] == w.tables["k"])
    }

    @Test func nanIsStoredAsNullBySQLite() throws {
        let w = try Workspace()
        try w.add("n", try Schema(named: [("id", .integer), ("x", .double)], key: ["id"]), [[.integer(1), .double(.nan)]])
        #expect(try w.query("SELECT x FROM n") == [[.null]])
    }
}
