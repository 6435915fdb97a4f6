import RockyBase
import RockyTable
import Testing

/// The writers format values straight into bytes; these check them against
/// `Value.text` and `JSON.writeString`, the definitions of the canonical forms.
@Suite struct WriterTests {
    static func sampleValues() -> [Value] {
        var r = SeededRandom(seed: 42)
        var values: [Value] = [.integer(0), .integer(.min), .integer(.max), .integer(-1), .integer(10),
                               .boolean(true), .boolean(false), .double(0.1), .double(-1e-05), .double(.infinity),
                               .double(-.infinity), .double(.nan), .double(1e16), .double(123456789.125)]
        let maxUnits = ExactDecimal.maxUnits
        for scale in [0, 1, 2, 4, 10, 19, 20, 37, 38] {
            for units in [Int128(0), 1, -1, 5, -100, 123_456_789, Int128(UInt64.max), -Int128(UInt64.max), Int128(UInt64.max) + 1,
                          maxUnits, -maxUnits] {
                values.append(.decimal(ExactDecimal(units: units, scale: scale)))
            }
        }
        for _ in 0..<2000 {
            let units = Int128(Int64(bitPattern: r.next()) >> r.below(63))
            values.append(.decimal(ExactDecimal(units: units, scale: r.below(39))))
            values.append(.integer(Int64(bitPattern: r.next()) >> r.below(64)))
            let day = Int64(r.below(3_700_000)) - 1_000_000
            values.append(.date(CivilDate(daysSinceEpoch: day)))
            let withinDay = Int64(r.below(86_400_000_000))
            let micros = day * 86_400_000_000 + (r.below(2) == 0 ? withinDay : withinDay / 1_000_000 * 1_000_000)
            values.append(.timestamp(Timestamp(microseconds: micros)))
            values.append(.double(Double(bitPattern: r.next())))
        }
        for day: Int64 in [-719_162, 2_932_896, -719_163, 2_932_897, -3_000_000, 0, -1] {
            values.append(.date(CivilDate(daysSinceEpoch: day)))
            values.append(.timestamp(Timestamp(microseconds: day * 86_400_000_000 - 1)))
            values.append(.timestamp(Timestamp(microseconds: day * 86_400_000_000 + 1_000)))
        }
        return values
    }

    @Test func csvFieldsAreTheCanonicalText() throws {
        let values = Self.sampleValues()
        let sink = OutputSink()
        let writer = try CSVWriter(sink: sink, header: ["v"])
        for value in values { try writer.write([value]) }
        try writer.finish()
        let lines = String(decoding: sink.contents, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.count == values.count + 2)
        var mismatches: [String] = []
        for (value, line) in zip(values, lines.dropFirst()) where String(line) != value.text! {
            mismatches.append("\(line) != \(value.text!)")
        }
        #expect(mismatches.isEmpty, "\(mismatches.prefix(5))")
    }

    @Test func jsonStringsAreEscapedAsRockyBaseDoes() throws {
        let texts = ["", "plain", "quote \" backslash \\ slash /", "\n\r\t\u{8}\u{C}", "\u{0}\u{1}\u{1F}\u{7F}",
                     "Zoë 王芳 🙂", (0..<32).map { String(UnicodeScalar(UInt8($0))) }.joined()]
        let sink = OutputSink()
        let writer = JSONLinesWriter(sink: sink, header: ["t\"\n"])
        for text in texts { try writer.write([.text(text)]) }
        try writer.finish()
        let lines = String(decoding: sink.contents, as: UTF8.self).split(separator: "\n")
        #expect(lines.count == texts.count)
        for (text, line) in zip(texts, lines) {
            var expected = "{\"t\\\"\\n\":"
            JSON.writeString(text, to: &expected)
            #expect(String(line) == expected + "}")
            #expect(try JSON(parsing: String(line))["t\"\n"] == .string(text))
        }
    }

    @Test func jsonValuesHaveTheirJSONTypes() throws {
        let sink = OutputSink()
        let writer = JSONLinesWriter(sink: sink, header: ["i", "d", "x", "b", "t", "day", "at", "n"])
        try writer.write([.integer(-7), .decimal(ExactDecimal(units: -100, scale: 4)), .double(0.5), .boolean(false),
                          .text("x"), .date(CivilDate(parsing: "2026-05-20")!), .timestamp(Timestamp("2026-05-20T16:00:00.5Z")),
                          .null])
        try writer.finish()
        #expect(String(decoding: sink.contents, as: UTF8.self)
            == #"{"i":-7,"d":-0.0100,"x":0.5,"b":false,"t":"x","day":"2026-05-20","at":"2026-05-20T16:00:00.500000Z","n":null}"# + "\n")
    }

    @Test func csvQuotesOnlyWhenItMust() throws {
        let cases: [(String, String)] = [("plain", "plain"), ("", "\"\""), ("a,b", "\"a,b\""), ("say \"hi\"", "\"say \"\"hi\"\"\""),
                                         ("a\nb", "\"a\nb\""), ("a\rb", "\"a\rb\""), (" a", "\" a\""), ("a ", "\"a \""),
                                         (" ", "\" \""), ("a b", "a b"), ("\ta", "\ta"), ("'", "'"), ("é", "é")]
        let sink = OutputSink()
        let writer = try CSVWriter(sink: sink, header: ["v"])
        for (text, _) in cases { try writer.write([.text(text)]) }
        try writer.finish()
        #expect(String(decoding: sink.contents, as: UTF8.self) == "v\n" + cases.map { $0.1 + "\n" }.joined())
    }
}
