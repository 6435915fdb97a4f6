import RockyBase
import RockyTable
import Testing

@Suite struct TypeInferenceTests {
    func infer(_ csv: String) throws -> [InferredColumn] {
        try TypeInference.infer(CSVReader(text: csv))
    }

    func inferOne(_ values: [String?]) throws -> InferredColumn {
        let csv = "v\n" + values.map { $0 ?? "" }.joined(separator: "\n") + "\n"
        return try #require(try infer(csv).first)
    }

    @Test(arguments: BufferBoundaryTests.fixtureNames)
    func fixturesInferTheirDocumentedTypes(name: String) throws {
        let inferred = try TypeInference.infer(CSVReader(path: fixturePath(name)))
        let expected = fixtureSchemas[name]!
        #expect(inferred.map(\.name) == expected.map(\.0))
        for (column, (_, type)) in zip(inferred, expected) {
            #expect(column.type == type, "\(name): \(column.name): \(column.reason)")
        }
    }

    @Test func fixtureReasonsAndNullability() throws {
        let prices = try TypeInference.infer(CSVReader(path: fixturePath("prices.csv")))
        #expect(prices[2].reason == "all 200 values have 4 decimal places, at most 3 digits before the point")
        #expect(prices[1].reason == "all 200 values are timestamps")
        #expect(prices[6].reason == "all 200 values are integers")
        #expect(prices[0].reason == "'AAPL' (line 2) is not a number, date, timestamp or boolean")
        #expect(prices.allSatisfy { !$0.nullable })

        let positions = try TypeInference.infer(CSVReader(path: fixturePath("positions.csv")))
        #expect(positions[4].nullable && positions[4].nullCount == 2 && positions[4].valueCount == 168)
        #expect(positions[4].reason.hasPrefix("decimal places vary from "))
        #expect(positions[4].reason.hasSuffix("; 2 NULL"))

        let customers = try TypeInference.infer(CSVReader(path: fixturePath("customers.csv")))
        #expect(customers[4].type == .date && customers[4].nullable)
        #expect(customers[4].reason == "all 38 values are dates; 2 NULL")

        let trades = try TypeInference.infer(CSVReader(path: fixturePath("trades.csv")))
        #expect(trades[6].reason == "all 197 values have 2 decimal places, at most 3 digits before the point; 3 NULL")
        #expect(trades[8].reason == "all 200 values are true/false")
    }

    @Test func deliveriesInferTheSameTypesAsPrices() throws {
        for day in ["15-backfill", "18", "21", "22"] {
            let inferred = try TypeInference.infer(CSVReader(path: fixturePath("deliveries/prices-2026-05-\(day).csv")))
            #expect(inferred.map(\.type) == fixtureSchemas["prices.csv"]!.map(\.1), "\(day)")
        }
    }

    @Test func allNullIsText() throws {
        let c = try inferOne([nil, nil, nil])
        #expect(c.type == .text && c.nullable && c.reason == "all 3 values are NULL")
        let empty = try #require(try infer("a,b\n").first)
        #expect(empty.type == .text && !empty.nullable && empty.reason == "no rows")
    }

    @Test func booleansButNotZeroAndOne() throws {
        #expect(try inferOne(["true", "false", "TRUE", nil]).type == .boolean)
        #expect(try inferOne(["t", "f", "yes", "No"]).type == .boolean)
        #expect(try inferOne(["0", "1", "1", "0"]).type == .integer)
        #expect(try inferOne(["true", "1"]).type == .text)
        #expect(try inferOne(["true", "1"]).reason == "mixes kinds of values: 'true' (line 2) and '1' (line 3)")
    }

    @Test func integers() throws {
        #expect(try inferOne(["1", "-20", "+3", "9223372036854775807"]).type == .integer)
        let big = try inferOne(["1", "9223372036854775808"])
        #expect(big.type == .decimal(precision: 24, scale: 0))
        #expect(big.reason == "'9223372036854775808' (line 3) is beyond the 64-bit INTEGER range")
        #expect(try inferOne(["1", String(repeating: "9", count: 39)]).type == .double)
    }

    @Test func leadingZerosAreIdentifiers() throws {
        #expect(try inferOne(["007", "12"]).type == .text)
        #expect(try inferOne(["00.5", "1.5"]).type == .text)
        #expect(try inferOne(["0", "0.50", "-0.25"]).type == .decimal(precision: 8, scale: 2))
        #expect(try inferOne(["0", "0.5", "-0.25"]).type == .double)
    }

    @Test func fixedScaleNumbersAreDecimal() throws {
        let c = try inferOne(["187.2500", "-0.0100", "12.0000"])
        #expect(c.type == .decimal(precision: 12, scale: 4))
        #expect(c.reason == "all 3 values have 4 decimal places, at most 3 digits before the point")
        let mixed = try inferOne(["100", "187.25", nil])
        #expect(mixed.type == .decimal(precision: 10, scale: 2))
        #expect(mixed.reason == "1 value with 2 decimal places and 1 integer, at most 3 digits before the point; 1 NULL")
        #expect(try inferOne(["0.0342"]).type == .decimal(precision: 10, scale: 4))
        #expect(try inferOne(["0.5"]).type == .decimal(precision: 7, scale: 1))
        let wide = "1234567890123456789012345678901234.1234"
        #expect(try inferOne([wide]).type == .decimal(precision: 38, scale: 4))
        #expect(try inferOne(["1" + wide]).type == .double)
    }

    @Test func everyInferredDecimalHoldsItsValues() throws {
        let values = ["187.2500", "-0.0100", "99999.9999", "0.0000"]
        let c = try inferOne(values)
        for v in values { #expect(ValueParser.value(v, as: c.type) != nil) }
        #expect(ValueParser.value("9999999999.9999", as: c.type) != nil)   // headroom: 100,000 times larger
    }

    @Test func otherNumbersAreDouble() throws {
        let varying = try inferOne(["0.73", "1.2", "0.848"])
        #expect(varying.type == .double)
        #expect(varying.reason == "decimal places vary from 1 '1.2' (line 3) to 3 '0.848' (line 4)")
        #expect(try inferOne(["1.5", "1e5"]).reason == "'1e5' (line 3) is in exponent notation")
        #expect(try inferOne(["1.5", "nan"]).reason == "'nan' (line 3) is not a finite number")
        #expect(try inferOne(["1.50", "-inf", "2.25"]).type == .double)
        #expect(try inferOne(["1", ".5"]).reason == "'.5' (line 3) is not in fixed-point notation")
        #expect(try inferOne(["1", "2", "3.5e-3"]).type == .double)
    }

    @Test func datesAndTimestamps() throws {
        #expect(try inferOne(["2026-05-20", "1999-12-31"]).type == .date)
        #expect(try inferOne(["2026-05-20T16:00:00Z", "2026-05-20T16:00:00.250000Z"]).type == .timestamp)
        let mixed = try inferOne(["2026-05-20", "2026-05-20T16:00:00+02:00"])
        #expect(mixed.type == .timestamp)
        #expect(mixed.reason == "1 timestamps and 1 dates (read as midnight UTC)")
        #expect(try inferOne(["2026-02-30"]).type == .text)
        #expect(try inferOne(["2026-05-20", "20"]).type == .text)
    }

    @Test func anythingElseIsText() throws {
        #expect(try inferOne(["ACC-1001", "1"]).type == .text)
        #expect(try inferOne([" 42", "7"]).type == .text)
        #expect(try inferOne(["1", "2", "x"]).reason == "'x' (line 4) is not a number, date, timestamp or boolean")
        #expect(try inferOne(["", "\"\"", "1"]).type == .text)
    }

    @Test func jsonStringsAreNotNumbers() throws {
        let text = """
        {"code": "0042", "n": 1.50, "flag": true, "when": "2026-05-20", "d": "nan", "s": "12"}
        {"code": "0043", "n": 2.25, "flag": false, "when": "2026-05-21", "d": 1.5, "s": "13", "late": 7}
        """
        let inferred = try TypeInference.infer(JSONLinesReader(text: text))
        #expect(inferred.map(\.name) == ["code", "n", "flag", "when", "d", "s", "late"])
        #expect(inferred.map(\.type) == [.text, .decimal(precision: 8, scale: 2), .boolean, .date, .double, .text, .integer])
        #expect(inferred[6].nullable && inferred[6].nullCount == 1)
    }
}
