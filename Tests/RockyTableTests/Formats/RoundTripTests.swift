import Foundation
import RockyBase
import RockyTable
import Testing

/// What Rocky writes, Rocky reads back to the same values and writes again to the same bytes.
@Suite struct RoundTripTests {
    func csvBytes(_ rows: [[Value]], header: [String]) throws -> [UInt8] {
        let sink = OutputSink(blockSize: 64)   // small, so rows straddle flushes
        let writer = try CSVWriter(sink: sink, header: header)
        for row in rows { try writer.write(row) }
        try writer.finish()
        return sink.contents
    }

    func jsonlBytes(_ rows: [[Value]], header: [String]) throws -> [UInt8] {
        let sink = OutputSink(blockSize: 64)
        let writer = JSONLinesWriter(sink: sink, header: header)
        for row in rows { try writer.write(row) }
        try writer.finish()
        return sink.contents
    }

    @Test(arguments: BufferBoundaryTests.fixtureNames)
    func fixturesRoundTripByteForByteThroughCSV(name: String) throws {
        let schema = try fixtureSchema(name)
        let original = try fixtureBytes(name)
        let rows = try decodeAll(CSVReader(bytes: original), schema: schema)
        let written = try csvBytes(rows, header: schema.columns.map(\.name))
        #expect(written == original)
    }

    @Test(arguments: BufferBoundaryTests.fixtureNames)
    func fixturesRoundTripThroughJSONLines(name: String) throws {
        let schema = try fixtureSchema(name)
        let names = schema.columns.map(\.name)
        let rows = try decodeAll(CSVReader(bytes: fixtureBytes(name)), schema: schema)
        let jsonl = try jsonlBytes(rows, header: names)
        let back = try decodeAll(JSONLinesReader(bytes: jsonl, columns: names), schema: schema)
        #expect(back == rows)
        #expect(try jsonlBytes(back, header: names) == jsonl)
        // Inference on what Rocky wrote gives the table's types back.
        #expect(try TypeInference.infer(JSONLinesReader(bytes: jsonl)).map(\.type) == schema.columns.map(\.type))
    }

    static let trickySchema = try! Schema(named: [
        ("id", .integer), ("label", .text), ("amount", .decimal(precision: 38, scale: 4)), ("ratio", .double),
        ("flag", .boolean), ("day", .date), ("at", .timestamp), ("note", .text),
    ], key: ["id"])

    static let trickyRows: [[Value]] = {
        let d = { (s: String) in Value.decimal(ExactDecimal(parsing: s)!.rescaled(to: 4)!) }
        let t = { (s: String) in Value.timestamp(Timestamp(s)) }
        let day = { (s: String) in Value.date(CivilDate(parsing: s)!) }
        return [
            [.integer(1), .text("plain"), d("-0.0100"), .double(0.1), .boolean(true), day("2026-05-20"),
             t("2026-05-20T16:00:00Z"), .null],
            [.integer(-9_223_372_036_854_775_808), .text(""), d("0"), .double(-1e-05), .boolean(false), day("0001-01-01"),
             t("2026-05-20T16:00:00.250000Z"), .text("")],
            [.integer(9_223_372_036_854_775_807), .text("comma, \"quotes\" and\nnewline\r\nand CRLF"),
             d("9999999999999999999999999999999999.9999"), .double(.infinity), .null, .null, .null, .text(" leading space")],
            [.integer(4), .text("Zoë Müller 王芳 🙂"), d("-9999999999999999999999999999999999.9999"), .double(-.infinity),
             .boolean(true), day("9999-12-31"), t("1969-12-31T23:59:59.999999Z"), .text("trailing space ")],
            [.integer(5), .null, .null, .double(.nan), .null, .null, .null, .text("\"")],
            [.integer(6), .text("tab\tand \\ backslash"), d("187.25"), .double(1.7976931348623157e308), .boolean(false),
             day("2024-02-29"), t("2000-01-01T00:00:00.000001Z"), .text(",")],
            [.integer(7), .text("NULL"), d("0.0001"), .double(0), .boolean(true), day("1970-01-01"), t("1970-01-01T00:00:00Z"),
             .text("\u{7}control\u{1F}")],
        ]
    }()

    @Test func trickyTableRoundTripsThroughCSV() throws {
        let schema = Self.trickySchema
        let names = schema.columns.map(\.name)
        let csv = try csvBytes(Self.trickyRows, header: names)
        let text = String(decoding: csv, as: UTF8.self)
        #expect(text.hasPrefix("id,label,amount,ratio,flag,day,at,note\n1,plain,-0.0100,0.1,true,2026-05-20,2026-05-20T16:00:00Z,\n"))
        #expect(text.contains("\n-9223372036854775808,\"\",0.0000,-1e-05,false,0001-01-01,2026-05-20T16:00:00.250000Z,\"\"\n"))
        #expect(text.contains(",\"comma, \"\"quotes\"\" and\nnewline\r\nand CRLF\","))
        #expect(text.contains(",\" leading space\"\n"))
        #expect(text.contains("\n5,,,nan,,,,\"\"\"\"\n"))
        for blockSize in [1, 5, 1 << 20] {
            let rows = try decodeAll(CSVReader(bytes: csv, blockSize: blockSize), schema: schema)
            #expect(rows.count == Self.trickyRows.count)
            #expect(zip(rows, Self.trickyRows).allSatisfy { sameValues($0, $1) })
            #expect(try csvBytes(rows, header: names) == csv)
        }
    }

    @Test func trickyTableRoundTripsThroughJSONLines() throws {
        let schema = Self.trickySchema
        let names = schema.columns.map(\.name)
        let jsonl = try jsonlBytes(Self.trickyRows, header: names)
        let lines = String(decoding: jsonl, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines[0] == #"{"id":1,"label":"plain","amount":-0.0100,"ratio":0.1,"flag":true,"day":"2026-05-20","at":"2026-05-20T16:00:00Z","note":null}"#)
        #expect(lines[2].contains(#""ratio":"inf","flag":null"#))
        #expect(lines[4].contains(#""ratio":"nan""#))
        #expect(lines.count == Self.trickyRows.count + 1 && lines.last == "")
        let rows = try decodeAll(JSONLinesReader(bytes: jsonl, columns: names), schema: schema)
        #expect(zip(rows, Self.trickyRows).allSatisfy { sameValues($0, $1) })
        #expect(try jsonlBytes(rows, header: names) == jsonl)
    }

    @Test func aSingleColumnOfNullsAndEmptyStringsRoundTrips() throws {
        let schema = try Schema(named: [("only", .text)])
        let rows: [[Value]] = [[.null], [.text("")], [.null], [.text("x")], [.null]]
        let csv = try csvBytes(rows, header: ["only"])
        #expect(String(decoding: csv, as: UTF8.self) == "only\n\n\"\"\n\nx\n\n")
        #expect(try decodeAll(CSVReader(bytes: csv), schema: schema) == rows)
    }

    @Test func headerNamesAreQuotedWhenNeeded() throws {
        let header = ["plain", "with, comma", "with \"quote\"", " spaced"]
        let schema = try Schema(named: header.map { ($0, ColumnType.text) })
        let csv = try csvBytes([[.text("a"), .null, .text(""), .text("d")]], header: header)
        #expect(String(decoding: csv, as: UTF8.self) == "plain,\"with, comma\",\"with \"\"quote\"\"\",\" spaced\"\na,,\"\",d\n")
        let reader = try CSVReader(bytes: csv)
        #expect(reader.header == header)
        #expect(try csvBytes(decodeAll(reader, schema: schema), header: header) == csv)
    }

    @Test func writingToAFileAndReadingItBack() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("rocky-roundtrip-\(getpid()).csv").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let schema = Self.trickySchema
        let names = schema.columns.map(\.name)
        // Enough rows to fill more than one 1 MiB block of output and input.
        let rows = (0..<20_000).map { i in
            Self.trickyRows[i % Self.trickyRows.count].enumerated().map { c, v in c == 0 ? Value.integer(Int64(i)) : v }
        }
        let sink = try OutputSink(path: path)
        let writer = try CSVWriter(sink: sink, header: names)
        for row in rows { try writer.write(row) }
        try writer.finish()
        #expect(sink.bytesWritten > 1 << 20)
        let back = try decodeAll(CSVReader(path: path), schema: schema)
        #expect(back.count == rows.count)
        let same = zip(back, rows).allSatisfy { sameValues($0, $1) }
        #expect(same)
    }

    @Test func writingToAClosedDescriptorFails() throws {
        let sink = OutputSink(fileDescriptor: -1, name: "out.csv")
        try sink.write("x")
        #expect(throws: ExportError("out.csv: cannot write: Bad file descriptor")) { try sink.flush() }
    }
}

/// Equal values, with NaN equal to NaN and decimals equal in scale too.
func sameValues(_ a: [Value], _ b: [Value]) -> Bool {
    a.count == b.count && zip(a, b).allSatisfy { x, y in
        switch (x, y) {
        case let (.double(p), .double(q)): p == q || (p.isNaN && q.isNaN)
        case let (.decimal(p), .decimal(q)): p == q && p.scale == q.scale
        default: x == y
        }
    }
}
