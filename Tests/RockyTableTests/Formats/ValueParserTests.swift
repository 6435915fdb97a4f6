import RockyBase
import RockyTable
import Testing

@Suite struct ValueParserTests {
    func parse(_ text: String, _ type: ColumnType) -> Value? { ValueParser.value(text, as: type) }

    /// The error for `text` in a one-column CSV of `type`, at line 2, column 1.
    func failure(_ text: String, _ type: ColumnType) throws -> String? {
        let schema = try Schema(named: [("v", type)])
        let quoted = "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
        do {
            _ = try decodeAll(CSVReader(text: "v\n\(quoted)\n", file: "f.csv"), schema: schema)
            return nil
        } catch {
            return error.description
        }
    }

    @Test func booleans() {
        for t in ["true", "TRUE", "True", "t", "T", "1", "yes", "YES", "Yes"] { #expect(parse(t, .boolean) == .boolean(true), "\(t)") }
        for f in ["false", "FALSE", "f", "F", "0", "no", "NO", "No"] { #expect(parse(f, .boolean) == .boolean(false), "\(f)") }
        for bad in ["", "2", "y", "n", "tru", "truee", " true", "true ", "ja", "-1", "00"] { #expect(parse(bad, .boolean) == nil, "\(bad)") }
    }

    @Test func integers() {
        #expect(parse("0", .integer) == .integer(0))
        #expect(parse("-17", .integer) == .integer(-17))
        #expect(parse("+17", .integer) == .integer(17))
        #expect(parse("007", .integer) == .integer(7))
        #expect(parse("9223372036854775807", .integer) == .integer(.max))
        #expect(parse("-9223372036854775808", .integer) == .integer(.min))
        #expect(parse("000000000000000000000000042", .integer) == .integer(42))
        for bad in ["", "-", "+", "1.0", "1e3", " 1", "1 ", "1_000", "1,000", "0x10", "9223372036854775808",
                    "-9223372036854775809", "99999999999999999999", "١٢"] {
            #expect(parse(bad, .integer) == nil, "\(bad)")
        }
    }

    @Test func integerOverflowSaysSo() throws {
        #expect(try failure("9223372036854775808", .integer)
            == "f.csv:2:1: '9223372036854775808' is not an INTEGER: out of the 64-bit integer range")
        #expect(try failure("12a", .integer) == "f.csv:2:1: '12a' is not an INTEGER")
    }

    @Test func doubles() {
        #expect(parse("1.5", .double) == .double(1.5))
        #expect(parse("-0.25", .double) == .double(-0.25))
        #expect(parse("1e-05", .double) == .double(1e-05))
        #expect(parse("1E+16", .double) == .double(1e16))
        #expect(parse(".5", .double) == .double(0.5))
        #expect(parse("5.", .double) == .double(5))
        #expect(parse("42", .double) == .double(42))
        #expect(parse("0.1", .double) == .double(0.1))
        #expect(parse("1.7976931348623157e308", .double) == .double(.greatestFiniteMagnitude))
        #expect(parse("inf", .double) == .double(.infinity))
        #expect(parse("-inf", .double) == .double(-.infinity))
        #expect(parse("Infinity", .double) == .double(.infinity))
        #expect(parse("-0", .double)?.text == "0.0")
        if case let .double(d)? = parse("nan", .double) { #expect(d.isNaN) } else { Issue.record("nan") }
        if case let .double(d)? = parse("NaN", .double) { #expect(d.isNaN) } else { Issue.record("NaN") }
        for bad in ["", ".", "e5", "1e", "1e+", "0x1p3", "1.5.2", " 1", "1,5", "infin", "nan1", "1e999", "--1"] {
            #expect(parse(bad, .double) == nil, "\(bad)")
        }
    }

    @Test func decimalsAreExactAndRescaledUp() {
        let t: ColumnType = .decimal(precision: 12, scale: 4)
        #expect(parse("187.25", t)?.text == "187.2500")
        #expect(parse("187", t)?.text == "187.0000")
        #expect(parse("-0.0100", t)?.text == "-0.0100")
        #expect(parse("-0.01", t)?.text == "-0.0100")
        #expect(parse("0", t)?.text == "0.0000")
        #expect(parse("+1.5", t)?.text == "1.5000")
        #expect(parse(".5", t)?.text == "0.5000")
        #expect(parse("1.", t)?.text == "1.0000")
        #expect(parse("187.250000", t)?.text == "187.2500")
        #expect(parse("00000187.25", t)?.text == "187.2500")
        #expect(parse("99999999.9999", t)?.text == "99999999.9999")
        #expect(parse("-99999999.9999", t)?.text == "-99999999.9999")
        #expect(parse("1.8725e2", t)?.text == "187.2500")
        #expect(parse("18725E-2", t)?.text == "187.2500")
        if case let .decimal(d)? = parse("0.1", t) { #expect(d.units == 1000 && d.scale == 4) } else { Issue.record("0.1") }
    }

    @Test func decimalsAtMaximumPrecision() {
        let wide: ColumnType = .decimal(precision: 38, scale: 0)
        let max38 = String(repeating: "9", count: 38)
        #expect(parse(max38, wide)?.text == max38)
        #expect(parse("-" + max38, wide)?.text == "-" + max38)
        #expect(parse("1" + String(repeating: "0", count: 38), wide) == nil)
        let fraction: ColumnType = .decimal(precision: 38, scale: 38)
        let digits = "0." + String(repeating: "1234567890", count: 3) + "12345678"
        #expect(parse(digits, fraction)?.text == digits)
        #expect(parse("1", fraction) == nil)
        #expect(parse("-0.5", .decimal(precision: 38, scale: 38))?.text == "-0." + "5" + String(repeating: "0", count: 37))
        let mixed: ColumnType = .decimal(precision: 38, scale: 10)
        let big = String(repeating: "9", count: 28) + "." + String(repeating: "9", count: 10)
        #expect(parse(big, mixed)?.text == big)
        #expect(parse("9" + big, mixed) == nil)
    }

    @Test func decimalsThatWouldLoseDigitsAreRefused() {
        let t: ColumnType = .decimal(precision: 12, scale: 4)
        for bad in ["187.25001", "0.00001", "100000000", "123456789.5", "1e9", "1e-5", "18x.50", "", "-", ".", "1.2.3",
                    "1,5", " 1", "nan", "inf", "1e", "0x10"] {
            #expect(parse(bad, t) == nil, "\(bad)")
        }
        #expect(parse("5", .decimal(precision: 2, scale: 2)) == nil)
        #expect(parse("0.99", .decimal(precision: 2, scale: 2))?.text == "0.99")
    }

    @Test func decimalErrorsSayWhy() throws {
        let t: ColumnType = .decimal(precision: 12, scale: 4)
        #expect(try failure("18x.50", t) == "f.csv:2:1: '18x.50' is not a DECIMAL(12,4)")
        #expect(try failure("187.25001", t) == "f.csv:2:1: '187.25001' is not a DECIMAL(12,4): it has more than 4 decimal places")
        #expect(try failure("123456789.5", t) == "f.csv:2:1: '123456789.5' is not a DECIMAL(12,4): at most 8 digits before the point")
        #expect(try failure("0.05", .decimal(precision: 3, scale: 1))
            == "f.csv:2:1: '0.05' is not a DECIMAL(3,1): it has more than 1 decimal place")
        #expect(try failure(String(repeating: "9", count: 39), .decimal(precision: 38, scale: 0))
            == "f.csv:2:1: '\(String(repeating: "9", count: 39))' is not a DECIMAL(38,0): more than 38 digits")
    }

    @Test func texts() {
        #expect(parse("", .text) == .text(""))
        #expect(parse(" padded ", .text) == .text(" padded "))
        #expect(parse("Zoë 王芳 🙂", .text) == .text("Zoë 王芳 🙂"))
    }

    @Test func dates() throws {
        #expect(parse("2026-05-20", .date) == .date(CivilDate(year: 2026, month: 5, day: 20)!))
        #expect(parse("2024-02-29", .date)?.text == "2024-02-29")
        #expect(parse("0001-01-01", .date)?.text == "0001-01-01")
        for bad in ["2026-02-29", "2026-13-01", "2026-00-10", "2026-04-31", "2026-1-01", "20260101", "2026/05/20",
                    "2026-05-20T00:00:00Z", " 2026-05-20", "", "2026-05-2x"] {
            #expect(parse(bad, .date) == nil, "\(bad)")
        }
        #expect(try failure("2026-02-30", .date) == "f.csv:2:1: '2026-02-30' is not a DATE: no such date")
        #expect(try failure("20.5.2026", .date) == "f.csv:2:1: '20.5.2026' is not a DATE: expected YYYY-MM-DD")
    }

    @Test(arguments: [
        ("2026-05-20T16:00:00Z", "2026-05-20T16:00:00Z"),
        ("2026-05-04T16:39:25.456000Z", "2026-05-04T16:39:25.456000Z"),
        ("2026-05-04T16:39:25.456Z", "2026-05-04T16:39:25.456000Z"),
        ("2026-05-04T16:39:25.000001Z", "2026-05-04T16:39:25.000001Z"),
        ("2026-05-04T16:39:25.000000Z", "2026-05-04T16:39:25Z"),
        ("2026-05-20 16:00:00", "2026-05-20T16:00:00Z"),
        ("2026-05-20T18:00:00+02:00", "2026-05-20T16:00:00Z"),
        ("2026-05-20T16:00:00z", "2026-05-20T16:00:00Z"),
        ("2026-05-20", "2026-05-20T00:00:00Z"),
        ("1969-12-31T23:59:59.999999Z", "1969-12-31T23:59:59.999999Z"),
    ])
    func timestamps(text: String, canonical: String) {
        #expect(parse(text, .timestamp)?.text == canonical)
        #expect(parse(text, .timestamp) == Timestamp(parsing: text).map(Value.timestamp))
    }

    @Test func badTimestamps() throws {
        for bad in ["2026-05-20T24:00:00Z", "2026-05-20T16:60:00Z", "2026-05-20T16:00:60Z", "2026-02-30T16:00:00Z",
                    "2026-05-20T16:00:00.Z", "2026-05-20T16:00:00.1234567Z", "2026-05-20T16:00Z", "yesterday", ""] {
            #expect(parse(bad, .timestamp) == nil, "\(bad)")
        }
        #expect(try failure("2026-05-20T25:00:00Z", .timestamp)
            == "f.csv:2:1: '2026-05-20T25:00:00Z' is not a TIMESTAMP: expected ISO 8601, such as 2026-05-20T16:00:00Z")
    }

    @Test func hugeValuesAreCutAndControlCharactersEscapedInMessages() throws {
        let huge = String(repeating: "x", count: 500)
        let message = try #require(try failure(huge, .integer))
        #expect(message == "f.csv:2:1: '\(String(repeating: "x", count: 60))...' is not an INTEGER")
        #expect(try failure("12\n34", .integer) == "f.csv:2:1: '12\\n34' is not an INTEGER")
    }

    @Test func theEmptyStringIsNotANumberButNullIs() throws {
        #expect(try failure("", .integer) == "f.csv:2:1: '' is not an INTEGER")
        let schema = try Schema(named: [("a", .integer), ("b", .decimal(precision: 5, scale: 2))])
        #expect(try decodeAll(CSVReader(text: "a,b\n,\n"), schema: schema) == [[.null, .null]])
    }
}

@Suite struct RowDecoderTests {
    let schema = try! Schema(named: [("symbol", .text), ("ts", .timestamp), ("close", .decimal(precision: 12, scale: 4)),
                                     ("volume", .integer)], key: ["symbol", "ts"])

    @Test func headerInAnyOrderMapsByName() throws {
        let csv = "VOLUME,close,symbol,ts\n100,1.5,AAPL,2026-05-20T20:00:00Z\n"
        let rows = try decodeAll(CSVReader(text: csv), schema: schema)
        #expect(rows.map { $0.map(\.description) } == [["AAPL", "2026-05-20T20:00:00Z", "1.5000", "100"]])
    }

    @Test func errorsNameTheFieldPositionValueAndType() throws {
        let csv = "symbol,ts,close,volume\nAAPL,2026-05-20T20:00:00Z,1.5,100\nMSFT,2026-05-20T20:00:00Z,18x.50,7\n"
        #expect(throws: ImportError.invalidValue("18x.50", expected: .decimal(precision: 12, scale: 4),
                                                 file: "prices.csv", line: 3, column: 27)) {
            try decodeAll(CSVReader(text: csv, file: "prices.csv"), schema: schema)
        }
        do {
            _ = try decodeAll(CSVReader(text: csv, file: "prices.csv"), schema: schema)
        } catch {
            #expect(error.description == "prices.csv:3:27: '18x.50' is not a DECIMAL(12,4)")
            #expect(error.value == "18x.50")
            #expect(error.expectedType == .decimal(precision: 12, scale: 4))
            #expect(error.kind == .invalidValue)
        }
    }

    @Test func nullInAKeyColumnIsRefused() throws {
        let csv = "symbol,ts,close,volume\n,2026-05-20T20:00:00Z,1.5,100\n"
        #expect(throws: ImportError.nullValue(column: "symbol", isKey: true, file: "t.csv", line: 2, column: 1)) {
            try decodeAll(CSVReader(text: csv, file: "t.csv"), schema: schema)
        }
        #expect(ImportError.nullValue(column: "symbol", isKey: true, file: "t.csv", line: 2, column: 1).description
            == "t.csv:2:1: NULL in key column 'symbol'")
        var notNull = schema
        notNull.columns[3].nullable = false
        #expect(throws: ImportError.nullValue(column: "volume", isKey: false, file: "t.csv", line: 2, column: 28)) {
            try decodeAll(CSVReader(text: "symbol,ts,close,volume\nA,2026-05-20T20:00:00Z,1.5,\n", file: "t.csv"), schema: notNull)
        }
    }

    @Test func headerMustMatchTheSchema() throws {
        #expect(throws: ImportError(.header, file: "t.csv", line: 1, column: 11,
                                    message: "unknown column 'price' (the table's columns: symbol, ts, close, volume)")) {
            try decodeAll(CSVReader(text: "symbol,ts,price,volume\n", file: "t.csv"), schema: schema)
        }
        #expect(throws: ImportError(.header, file: "t.csv", line: 1, column: 1,
                                    message: "the file has no column 'volume' (its columns: symbol, ts, close)")) {
            try decodeAll(CSVReader(text: "symbol,ts,close\n", file: "t.csv"), schema: schema)
        }
    }

    @Test func rowErrorsForTheImporter() {
        let error = ImportError.row(.duplicateKey, "duplicate key (AAPL, 2026-05-20T20:00:00Z), first on line 2",
                                    file: "prices.csv", line: 9, column: 1)
        #expect(error.description == "prices.csv:9:1: duplicate key (AAPL, 2026-05-20T20:00:00Z), first on line 2")
        #expect(error.kind == .duplicateKey)
    }
}
