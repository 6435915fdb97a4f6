import RockyBase
@testable import RockyTable
import Testing

/// The import's one-step encoder writes exactly the bytes of the general
/// path (parse each field to a `Value`, then `RowCodec`), and fails on
/// exactly the fields the general path rejects, with the same error.
@Suite struct RecordEncoderTests {
    /// Texts per type: common forms, edge values, forms only the general
    /// path reads, and texts that are not values of the type.
    static let samples: [ColumnType: [String]] = [
        .decimal(precision: 12, scale: 4): [
            "130.4600", "0", "-0.0000", "+5", "5.", ".5", "-.5", "1234567.8", "9999999.9999", "10000000", "-9999999.99990",
            "007.50", "1e3", "-1.5E-2", "12.34500", "12.34501", "", "-", ".", "1.2.3", "1,5", " 1", "abc", "1e", "99999999",
        ],
        .decimal(precision: 38, scale: 10): [
            "1234567890123456789012345678.0123456789", "-0.0000000001", "123456789.123456789", "12345678.1234567891",
            "99999999.99999999999",
        ],
        .decimal(precision: 20, scale: 0): ["18446744073709551616", "-9223372036854775808", "123456789012345678", "1.0", "1.5"],
        .decimal(precision: 3, scale: 3): ["0.123", "0.1239", "1.1", "-0.999"],
        .integer: ["0", "-1", "+42", "9223372036854775807", "-9223372036854775808", "9223372036854775808", "007", "1.0", "", "x"],
        .text: ["S00001", "", "Zoë 王芳 🙂", "a\u{0}b", "\u{0}", "with, comma", "\"quoted\""],
        .date: ["2025-06-02", "1970-01-01", "0001-12-31", "2025-02-30", "2025-6-2", "20250602"],
        .timestamp: [
            "2025-06-02T20:00:00Z", "2025-06-02T20:00:00.5Z", "2025-06-02T20:00:00.123456Z", "2025-06-02 20:00:00",
            "2025-06-02T22:00:00+02:00", "2025-06-02", "1969-12-31T23:59:59Z", "2025-06-02T24:00:00Z", "yesterday",
        ],
        .boolean: ["true", "F", "yes", "No", "1", "0", "maybe"],
        .double: ["1.5", "-0.0", "1e308", "nan", "-inf", "1e999", "x"],
    ]

    static let types: [ColumnType] = [
        .decimal(precision: 12, scale: 4), .decimal(precision: 38, scale: 10), .decimal(precision: 20, scale: 0),
        .decimal(precision: 3, scale: 3), .integer, .text, .date, .timestamp, .boolean, .double,
    ]

    /// What the general path makes of a record: (key, value) or the error.
    func general(_ record: Record, _ decoder: RowDecoder, _ codec: RowCodec) -> Result<([UInt8], [UInt8]), ImportError> {
        do {
            let row = try decoder.decode(record)
            return .success((codec.key(of: row), codec.isKeyless ? [] : codec.value(of: row)))
        } catch {
            return .failure(error)
        }
    }

    func encoded(_ record: Record, _ encoder: RecordEncoder) -> Result<([UInt8], [UInt8]), ImportError> {
        var key: [UInt8] = [], value: [UInt8] = []
        do {
            _ = try encoder.encode(record, key: &key, value: &value)
            return .success((key, value))
        } catch {
            return .failure(error)
        }
    }

    func expectSame(_ csv: String, schema: Schema) throws {
        let decoder = try RowDecoder(schema: schema, source: CSVReader(text: csv))
        let codec = RowCodec(schema: schema)
        let encoder = RecordEncoder(decoder: decoder, codec: codec)
        let reader = try CSVReader(text: csv)
        var rows = 0
        while let record = try reader.next() {
            rows += 1
            switch (general(record, decoder, codec), encoded(record, encoder)) {
            case let (.success(a), .success(b)):
                #expect(a.0 == b.0 && a.1 == b.1, "line \(record.line): \(record.fields.map(\.string))")
            case let (.failure(a), .failure(b)):
                #expect(a.description == b.description)
            case let (a, b):
                Issue.record("line \(record.line) \(record.fields.map(\.string)): general \(a), one-step \(b)")
            }
        }
        #expect(rows > 0)
    }

    static func quoted(_ text: String) -> String { "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }

    @Test(arguments: types)
    func everyTextOfATypeEncodesAsTheGeneralPathDoes(type: ColumnType) throws {
        // The type as a value column, as the key (with a TEXT value beside
        // it), and in a keyless table; an unquoted empty field is NULL.
        let texts = Self.samples[type]!
        let rows = texts.enumerated().map { i, t in "k\(i),\(t.isEmpty ? "" : Self.quoted(t))" }
        let csv = "id,v\n" + rows.joined(separator: "\n") + "\n"
        var valueSchema = Schema(columns: [Column(id: 1, name: "id", type: .text), Column(id: 2, name: "v", type: type)])
        try valueSchema.setKey(["id"])
        try expectSame(csv, schema: valueSchema)

        let keyRows = texts.enumerated().map { i, t in "\(t.isEmpty ? "" : Self.quoted(t)),x\(i)" }
        let keyCSV = "v,other\n" + keyRows.joined(separator: "\n") + "\n"
        var keySchema = Schema(columns: [Column(id: 7, name: "v", type: type), Column(id: 3, name: "other", type: .text)])
        try keySchema.setKey(["v"])
        try expectSame(keyCSV, schema: keySchema)

        let keyless = Schema(columns: [Column(id: 2, name: "v", type: type), Column(id: 1, name: "other", type: .text)])
        try expectSame(keyCSV, schema: keyless)
    }

    @Test func rowsMixingEveryTypeEncodeAsTheGeneralPathDoes() throws {
        var random = SeededRandom(seed: 7)
        let columns = Self.types.enumerated().map { Column(id: 300 - $0.offset * 29, name: "c\($0.offset)", type: $0.element) }
        var schema = Schema(columns: [Column(id: 1, name: "id", type: .integer)] + columns)
        try schema.setKey(["id", "c5", "c7"])
        var lines = ["id," + columns.map(\.name).joined(separator: ",")]
        for i in 0..<2_000 {
            let fields = Self.types.map { type -> String in
                let texts = Self.samples[type]!
                let t = texts[Int(random.next() % UInt64(texts.count))]
                return t.isEmpty || random.next() % 4 == 0 ? "" : Self.quoted(t)
            }
            lines.append("\(i)," + fields.joined(separator: ","))
        }
        try expectSame(lines.joined(separator: "\n") + "\n", schema: schema)
    }

    @Test func aRowLongerThanTheScratchSpaceEncodesAsTheGeneralPathDoes() throws {
        var schema = Schema(columns: [Column(id: 1, name: "id", type: .text), Column(id: 2, name: "note", type: .text)])
        try schema.setKey(["id"])
        let long = String(repeating: "x", count: 70_000)
        try expectSame("id,note\n\(long),\(long)\nshort,\(long)\n\(long),short\n", schema: schema)
    }
}
