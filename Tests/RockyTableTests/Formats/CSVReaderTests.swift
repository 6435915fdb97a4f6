import RockyBase
import RockyTable
import Testing

@Suite struct CSVReaderTests {
    @Test func plainRecordsWithAndWithoutTrailingNewline() throws {
        #expect(try texts("a,b\n1,2\n3,4\n") == [["1", "2"], ["3", "4"]])
        #expect(try texts("a,b\n1,2\n3,4") == [["1", "2"], ["3", "4"]])
        #expect(try texts("a,b\n") == [])
        #expect(try texts("a,b") == [])
    }

    @Test func headerIsRead() throws {
        let reader = try CSVReader(text: "id,\"full name\",\"a,b\"\n1,x,y\n")
        #expect(reader.header == ["id", "full name", "a,b"])
        #expect(reader.headerPosition(ofColumn: 1) == (1, 4))
        #expect(reader.headerPosition(ofColumn: 2) == (1, 16))
    }

    @Test func crlfLineEndings() throws {
        #expect(try texts("a,b\r\n1,2\r\n3,4\r\n") == [["1", "2"], ["3", "4"]])
        #expect(try texts("a,b\r\n1,2\r\n3,4") == [["1", "2"], ["3", "4"]])
        #expect(try texts("a,b\r\n1,\r\n") == [["1", nil]])
    }

    @Test func quotedFieldsHoldCommasQuotesAndLineBreaks() throws {
        let csv = "a,b,c\n\"x,y\",\"say \"\"hi\"\"\",\"two\nlines\"\n\"crlf\r\ninside\",\"\"\"\",\"\"\"\"\"\"\n"
        #expect(try texts(csv) == [["x,y", "say \"hi\"", "two\nlines"], ["crlf\r\ninside", "\"", "\"\""]])
    }

    @Test func nullIsAnUnquotedEmptyFieldAndEmptyStringAQuotedOne() throws {
        let fields = try readAll(CSVReader(text: "a,b,c\n,\"\",x\n\"\",,\n"))
        #expect(fields.map { $0.map(\.text) } == [[nil, "", "x"], ["", nil, nil]])
        #expect(fields.map { $0.map(\.quoted) } == [[false, true, false], [true, false, false]])
    }

    @Test func byteOrderMarkIsSkipped() throws {
        let reader = try CSVReader(bytes: [0xEF, 0xBB, 0xBF] + Array("id,name\n1,x\n".utf8))
        #expect(reader.header == ["id", "name"])
        #expect(try readAll(reader) == [[SeenField(text: "1", quoted: false, line: 2, column: 1),
                                         SeenField(text: "x", quoted: false, line: 2, column: 3)]])
        #expect(csvError(bytes: [0xEF, 0xBB, 0xBF])?.description == "t.csv:1:1: the file is empty: a header row is required")
    }

    @Test func unicodeIsKeptAndColumnsCountCharacters() throws {
        let fields = try readAll(CSVReader(text: "name,city\nZoë Müller,東京\n\"王芳, Jr.\",Åre 🙂\n"))
        #expect(fields.map { $0.map(\.text) } == [["Zoë Müller", "東京"], ["王芳, Jr.", "Åre 🙂"]])
        #expect(fields[0][1].column == 12)
        #expect(fields[1][1].column == 11)
    }

    @Test func fieldPositionsAreWhereFieldsStart() throws {
        let fields = try readAll(CSVReader(text: "a,b,c\nx,\"multi\nline\",z\n,\"q\",\n"))
        #expect(fields == [
            [SeenField(text: "x", quoted: false, line: 2, column: 1),
             SeenField(text: "multi\nline", quoted: true, line: 2, column: 3),
             SeenField(text: "z", quoted: false, line: 3, column: 7)],
            [SeenField(text: nil, quoted: false, line: 4, column: 1),
             SeenField(text: "q", quoted: true, line: 4, column: 2),
             SeenField(text: nil, quoted: false, line: 4, column: 6)],
        ])
    }

    @Test func recordLineIsItsFirstLine() throws {
        let reader = try CSVReader(text: "a,b\n\"1\n2\",x\ny,z\n")
        #expect(try reader.next()?.line == 2)
        #expect(try reader.next()?.line == 4)
        #expect(try reader.next() == nil)
    }

    @Test func blankLinesAreSkippedWhenTheyCannotBeRecords() throws {
        #expect(try texts("a,b\n1,2\n\n3,4\n\r\n") == [["1", "2"], ["3", "4"]])
    }

    @Test func aSingleColumnKeepsEmptyLinesAsNull() throws {
        #expect(try texts("a\nx\n\n\"\"\ny") == [["x"], [nil], [""], ["y"]])
    }

    @Test func spacesArePartOfFields() throws {
        #expect(try texts("a,b\n 1 , x\n\" y \",z\n") == [[" 1 ", " x"], [" y ", "z"]])
    }

    // MARK: - Errors, each at its exact position

    @Test func unterminatedQuoteIsReportedWhereItOpens() {
        #expect(csvError("a,b\n1,\"open\nstill open\n")?.description
            == "t.csv:2:3: unterminated quoted field: the quote opened here is never closed")
    }

    @Test func quoteInsideAnUnquotedField() {
        #expect(csvError("a,b\n1,ab\"c\"\n")?.description
            == "t.csv:2:5: a quote inside an unquoted field; quote the whole field and double the quotes inside it")
    }

    @Test func strayCharacterAfterClosingQuote() {
        #expect(csvError("a,b\n1,\"ab\"c\n")?.description
            == "t.csv:2:7: unexpected 'c' after the closing quote of a field; a field must end at its closing quote")
        #expect(csvError("a,b\n\"x\ny\" ,2\n")?.line == 3)
        #expect(csvError("a,b\n\"x\ny\" ,2\n")?.column == 3)
    }

    @Test func invalidUTF8IsReportedAtTheByte() {
        let bytes = Array("a,b\nok,é".utf8) + [0xFF] + Array("\n".utf8)
        let error = csvError(bytes: bytes)
        #expect(error?.description == "t.csv:2:5: invalid UTF-8 (bytes 0xFF 0xA); the file must be UTF-8")
        #expect(error?.kind == .malformed)
    }

    @Test(arguments: [
        [0xC0, 0x80], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xE2, 0x82], [0x80], [0xF0, 0x8F, 0xBF, 0xBF],
    ] as [[UInt8]])
    func illFormedUTF8IsRefused(sequence: [UInt8]) {
        for quoted in [false, true] {
            let q: [UInt8] = quoted ? [34] : []
            let bytes = Array("a\n".utf8) + q + sequence + q
            let error = csvError(bytes: bytes)
            #expect(error?.line == 2)
            #expect(error?.column == (quoted ? 2 : 1))
        }
    }

    @Test func loneCarriageReturnOutsideQuotes() {
        #expect(csvError("a,b\n1,2\r3,4\n")?.description
            == "t.csv:2:4: a carriage return (CR) not followed by a line feed (LF) outside quotes")
    }

    @Test func tooFewFieldsIsReportedAtTheEndOfTheRecord() {
        let error = csvError("a,b,c\n1,2,3\nxx,yy\n")
        #expect(error?.description == "t.csv:3:6: found 2 fields, expected 3 as in the header")
        #expect(error?.kind == .fieldCount)
        #expect(csvError("a,b,c\n1,\"2\n2\"")?.description == "t.csv:3:3: found 2 fields, expected 3 as in the header")
        #expect(csvError("a,b\nonly\r\n")?.description == "t.csv:2:5: found 1 field, expected 2 as in the header")
    }

    @Test func tooManyFieldsIsReportedAtTheFirstExtraField() {
        #expect(csvError("a,b\n1,2\n1,2,3,4\n")?.description == "t.csv:3:5: found 4 fields, expected 2 as in the header")
        #expect(csvError("a,b\n1,2,\n")?.description == "t.csv:2:5: found 3 fields, expected 2 as in the header")
    }

    @Test func headerProblems() {
        #expect(csvError("")?.description == "t.csv:1:1: the file is empty: a header row is required")
        #expect(csvError("a,,c\n")?.description == "t.csv:1:3: column 2 of the header has an empty name")
        #expect(csvError("id,name,ID\n")?.description == "t.csv:1:9: column 3 of the header repeats the name 'id' of column 1")
        #expect(csvError("a,b\n")?.kind == nil)
    }

    @Test func missingFileIsAnIOError() {
        #expect(throws: ImportError.self) { try CSVReader(path: "/nonexistent/prices.csv", file: "prices.csv") }
        do {
            _ = try CSVReader(path: "/nonexistent/prices.csv", file: "prices.csv")
        } catch {
            #expect(error.kind == .io)
            #expect(error.description == "prices.csv: cannot open: No such file or directory")
        }
    }

    @Test func bytesConsumedTracksProgress() throws {
        let reader = try CSVReader(text: "a\n1\n22\n", blockSize: 3)
        #expect(reader.bytesConsumed == 2)
        _ = try reader.next()
        #expect(reader.bytesConsumed == 4)
        _ = try reader.next()
        #expect(reader.bytesConsumed == 7)
    }

    @Test func aKeptRecordDoesNotChangeWhenTheReaderMovesOn() throws {
        let reader = try CSVReader(text: "a,b\n1,2\n3,4\n")
        let first = try #require(try reader.next())
        let second = try #require(try reader.next())
        #expect(first[0].string == "1" && first[1].string == "2")
        #expect(second[0].string == "3" && second[1].string == "4")
    }
}
