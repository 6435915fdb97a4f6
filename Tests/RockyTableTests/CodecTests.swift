import RockyBase
import RockyStore
@testable import RockyTable
import Testing

@Suite struct CodecTests {
    static let samples: [(ColumnType, [Value])] = [
        (.boolean, [.boolean(false), .boolean(true)]),
        (.integer, [.integer(.min), .integer(-1), .integer(0), .integer(1), .integer(42), .integer(.max)]),
        (.double, [.double(-.infinity), .double(-1e300), .double(-1.5), .double(0), .double(5e-324), .double(2.5), .double(.infinity)]),
        (.decimal(precision: 38, scale: 4), [
            .decimal(ExactDecimal(parsing: "-9999999999999999999999999999999999.9999")!), .decimal(ExactDecimal(parsing: "-0.0100")!),
            .decimal(ExactDecimal(parsing: "0.0000")!), .decimal(ExactDecimal(parsing: "0.0001")!),
            .decimal(ExactDecimal(parsing: "187.2500")!), .decimal(ExactDecimal(parsing: "9999999999999999999999999999999999.9999")!),
        ]),
        (.text, [.text(""), .text("\u{0}"), .text("\u{0}\u{0}a"), .text("A"), .text("a"), .text("a\u{0}"), .text("ab"), .text("é"), .text("王芳"), .text("😀")]),
        (.date, [.date(CivilDate(parsing: "0001-01-01")!), .date(CivilDate(parsing: "1969-12-31")!), .date(CivilDate(parsing: "2026-05-20")!)]),
        (.timestamp, [.timestamp(Timestamp("1969-12-31T23:59:59.999999Z")), .timestamp(Timestamp("2026-05-20T16:00:00Z")),
                      .timestamp(Timestamp("2026-05-20T16:00:00.000001Z"))]),
    ]

    @Test func keyEncodingRoundTripsAndPreservesOrder() throws {
        for (type, values) in Self.samples {
            var previous: [UInt8]?
            for value in [Value.null] + values {
                var bytes: [UInt8] = []
                KeyCodec.append(value, type: type, to: &bytes)
                var p = 0
                let decoded = try bytes.withUnsafeBytes { try KeyCodec.decode($0, &p, type: type) }
                #expect(decoded == value, "\(type) \(value)")
                #expect(p == bytes.count)
                if let previous { #expect(compareBytes(previous, bytes) < 0, "\(type): order of \(value)") }
                previous = bytes
            }
        }
    }

    @Test func valueEncodingRoundTrips() throws {
        for (_, values) in Self.samples {
            for value in values {
                var bytes: [UInt8] = []
                ValueCodec.append(value, to: &bytes)
                var p = 0
                let decoded = try bytes.withUnsafeBytes { try ValueCodec.decode($0, &p) }
                #expect(decoded == value)
                #expect(decoded.text == value.text, "the scale of \(value) survives")
            }
        }
    }

    @Test func negativeZeroAndNaNAreCanonical() {
        var a: [UInt8] = [], b: [UInt8] = []
        ValueCodec.append(.double(-0.0), to: &a)
        ValueCodec.append(.double(0.0), to: &b)
        #expect(a == b)
    }

    @Test func rowsRoundTripWithNullsAndEmptyStrings() throws {
        let schema = try Schema(named: [("id", .integer), ("name", .text), ("note", .text), ("price", .decimal(precision: 12, scale: 4))],
                                key: ["id"])
        let codec = RowCodec(schema: schema)
        let row: [Value] = [.integer(7), .text(""), .null, .decimal(ExactDecimal(parsing: "1.5")!)]
        let key = codec.key(of: row), value = codec.value(of: row)
        let decoded = try key.withUnsafeBytes { k in try value.withUnsafeBytes { v in try codec.decode(key: k, value: v) } }
        #expect(decoded.row[0] == .integer(7))
        #expect(decoded.row[1] == .text(""))
        #expect(decoded.row[2] == .null)
        #expect(decoded.row[3].text == "1.5000", "decimals are stored at the column's scale")
    }

    @Test func schemasRoundTripThroughJSON() throws {
        var schema = try Schema(named: [("symbol", .text), ("ts", .timestamp), ("close", .decimal(precision: 12, scale: 4))],
                                key: ["symbol", "ts"], timeColumn: "ts")
        schema.columns[2].governance = ColumnGovernance(classification: .financial, owner: "desk", masking: ["prod": .hash], tags: ["px"])
        let decoded = try Schema(json: try JSON(parsing: schema.json.canonicalText))
        #expect(decoded == schema)
    }
}
