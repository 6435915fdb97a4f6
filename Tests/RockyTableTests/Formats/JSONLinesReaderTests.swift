import RockyBase
import RockyTable
import Testing

@Suite struct JSONLinesReaderTests {
    @Test func keysBecomeColumnsInOrderOfFirstAppearance() throws {
        let text = """
        {"id": 1, "name": "Zoë", "price": 187.2500}

        {"name": "王芳", "id": 2, "active": true}\r
        {"id": 3, "price": null, "note": ""}
        """
        let reader = JSONLinesReader(text: text)
        let records = try readAll(reader)
        #expect(reader.header == ["id", "name", "price", "active", "note"])
        #expect(records.map { $0.map(\.text) } == [
            ["1", "Zoë", "187.2500"],
            ["2", "王芳", nil, "true"],
            ["3", nil, nil, nil, ""],
        ])
        #expect(records[0].map(\.quoted) == [false, true, false])
        #expect(records[2][4].quoted)
        #expect(records.map { $0[0].line } == [1, 3, 4])
        #expect(records[0].map(\.column) == [8, 19, 35])
        #expect(records[1].map(\.column) == [22, 10, 1, 35])   // a missing key is NULL at the object's '{'
    }

    @Test func byteOrderMarkIsSkipped() throws {
        let reader = JSONLinesReader(bytes: [0xEF, 0xBB, 0xBF] + Array("{\"a\": 1}\n".utf8))
        let records = try readAll(reader)
        #expect(reader.header == ["a"])
        #expect(records == [[SeenField(text: "1", quoted: false, line: 1, column: 7)]])
        #expect(try readAll(JSONLinesReader(bytes: [0xEF, 0xBB, 0xBF])).isEmpty)
    }

    @Test func numbersKeepTheirExactText() throws {
        let reader = JSONLinesReader(text: #"{"a": 0.1000, "b": -1.5e-7, "c": 12345678901234567890123456789012345678, "d": -0}"#)
        #expect(try readAll(reader).first?.map(\.text) == ["0.1000", "-1.5e-7", "12345678901234567890123456789012345678", "-0"])
    }

    @Test func stringsAreUnescaped() throws {
        let reader = JSONLinesReader(text: #"{"s": "a\"b\\c\nd\u00e9\ud83d\ude42", "t": "x,y"}"#)
        #expect(try readAll(reader).first?.map(\.text) == ["a\"b\\c\ndé🙂", "x,y"])
    }

    @Test func fixedColumnsMapKeysAndRefuseUnknownOnes() throws {
        let reader = JSONLinesReader(text: "{\"B\": 2}\n{\"a\": 1, \"b\": 3}\n", columns: ["a", "b"])
        #expect(try readAll(reader).map { $0.map(\.text) } == [[nil, "2"], ["1", "3"]])
        #expect(jsonlError("{\"a\": 1, \"zz\": 2}", columns: ["a", "b"])?.description
            == "t.jsonl:1:10: unknown column 'zz' (columns: a, b)")
    }

    @Test func nestedValuesAreRefusedNamingTheKey() {
        #expect(jsonlError("{\"a\": 1}\n{\"a\": 2, \"tags\": [1, 2]}\n")?.description
            == "t.jsonl:2:18: the value of 'tags' is an array; only strings, numbers, booleans and null can be imported")
        #expect(jsonlError("{\"ü\": {\"x\": 1}}")?.description
            == "t.jsonl:1:7: the value of 'ü' is an object; only strings, numbers, booleans and null can be imported")
    }

    @Test func syntaxErrorsArePositioned() {
        #expect(jsonlError("{\"a\": 1}\n[1, 2]\n")?.description == "t.jsonl:2:1: expected a JSON object ('{') on each line")
        #expect(jsonlError("{\"a\": tru}")?.description == "t.jsonl:1:7: invalid JSON: invalid literal")
        #expect(jsonlError("{\"a\": 1.}")?.description == "t.jsonl:1:9: invalid JSON: invalid number: digits expected after '.'")
        #expect(jsonlError("{\"a\": 01}")?.description == "t.jsonl:1:8: invalid JSON: unexpected text after the JSON value")
        #expect(jsonlError("{\"a\": 1 \"b\": 2}")?.description == "t.jsonl:1:9: expected ',' or '}' after the value of 'a'")
        #expect(jsonlError("{\"a\": 1} x")?.description == "t.jsonl:1:10: unexpected text after the JSON object; each line holds one object")
        #expect(jsonlError("{\"a\": \"open}")?.description == "t.jsonl:1:7: unterminated string")
        #expect(jsonlError("{a: 1}")?.description == "t.jsonl:1:2: expected a key in double quotes")
        #expect(jsonlError("{\"a\" 1}")?.description == "t.jsonl:1:6: expected ':' after the key 'a'")
        #expect(jsonlError("{\"a\": 1, \"a\": 2}")?.description == "t.jsonl:1:10: the key 'a' appears twice in the object")
        #expect(jsonlError("{\"é\": \"\\x\"}")?.description == "t.jsonl:1:10: invalid JSON: invalid escape '\\x'")
        #expect(jsonlError("{\"a\": ")?.description == "t.jsonl:1:7: expected a value for the key 'a'")
    }

    @Test func invalidUTF8IsRefused() {
        let bytes = Array("{\"a\": \"".utf8) + [0xFF] + Array("\"}".utf8)
        let error: ImportError?
        do {
            let reader = JSONLinesReader(bytes: bytes, file: "t.jsonl")
            while try reader.next() != nil {}
            error = nil
        } catch let e {
            error = e
        }
        #expect(error?.kind == .malformed)
        #expect(error?.line == 1)
    }

    @Test func linesStraddlingBlocksReadTheSame() throws {
        var text = ""
        for i in 0..<200 { text += "{\"id\": \(i), \"note\": \"line \(i) é🙂\", \"v\": \(i).50}\n" }
        text += "{\"id\": 200}"
        let expected = try readAll(JSONLinesReader(text: text))
        #expect(expected.count == 201)
        for blockSize in [1, 2, 3, 7, 64, 100] {
            #expect(try readAll(JSONLinesReader(text: text, blockSize: blockSize)) == expected)
        }
    }

    @Test func decodingAgainstASchema() throws {
        let schema = try Schema(named: [("id", .integer), ("px", .decimal(precision: 6, scale: 2)), ("at", .date),
                                        ("ok", .boolean), ("d", .double)], key: ["id"])
        let text = """
        {"id": 1, "px": 1.5, "at": "2026-05-20", "ok": true, "d": "nan"}
        {"id": 2, "px": "2.25", "ok": false, "d": 1e-05}
        """
        let rows = try decodeAll(JSONLinesReader(text: text, columns: schema.columns.map(\.name)), schema: schema)
        #expect(rows.map { $0.map(\.description) } == [["1", "1.50", "2026-05-20", "true", "nan"],
                                                        ["2", "2.25", "NULL", "false", "1e-05"]])
        #expect(throws: ImportError.nullValue(column: "id", isKey: true, file: "t.jsonl", line: 1, column: 1)) {
            try decodeAll(JSONLinesReader(text: "{\"px\": 1}", file: "t.jsonl", columns: schema.columns.map(\.name)), schema: schema)
        }
        #expect(throws: ImportError.invalidValue("1.234", expected: .decimal(precision: 6, scale: 2),
                                                 reason: "it has more than 2 decimal places", file: "t.jsonl", line: 1, column: 17)) {
            try decodeAll(JSONLinesReader(text: "{\"id\": 1, \"px\": 1.234}", file: "t.jsonl", columns: schema.columns.map(\.name)),
                          schema: schema)
        }
    }
}
