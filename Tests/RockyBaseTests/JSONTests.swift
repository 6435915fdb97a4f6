import RockyBase
import Testing

@Suite struct JSONTests {
    @Test func canonicalFormSortsKeysAndKeepsNumbersExact() throws {
        let doc = try JSON(parsing: #" { "b": 1.10, "a": [true, null, "x\ny"], "é": -0e5 } "#)
        #expect(doc.canonicalText == #"{"a":[true,null,"x\ny"],"b":1.10,"é":-0e5}"#)
        #expect(doc["b"]?.numberText == "1.10")
        #expect(try JSON(parsing: doc.canonicalText).canonicalText == doc.canonicalText)
    }

    @Test func objectsKeepTheirOrderWhenNotCanonical() throws {
        let doc = try JSON(parsing: #"{"z":1,"a":2}"#)
        #expect(doc.compactText == #"{"z":1,"a":2}"#)
    }

    @Test func escapesRoundTrip() throws {
        let text = "quote \" backslash \\ tab \t control \u{01} emoji 😀 \u{2028}"
        var out = ""
        JSON.writeString(text, to: &out)
        #expect(try JSON(parsing: out).stringValue == text)
        #expect(try JSON(parsing: #""\ud83d\ude00""#).stringValue == "😀")
    }

    @Test(arguments: [
        (#"{"a":1,}"#, 1, 8), ("[1,2", 1, 5), (#"{"a":1,"a":2}"#, 1, 8), ("01", 1, 2), ("\n  tru", 2, 3),
        (#""\ud800""#, 1, 8), ("[1] x", 1, 5),
    ])
    func syntaxErrorsHaveLineAndColumn(text: String, line: Int, column: Int) {
        #expect(throws: JSONSyntaxError.self) { try JSON(parsing: text) }
        do {
            _ = try JSON(parsing: text)
        } catch {
            #expect(error.line == line)
            #expect(error.column == column)
        }
    }

    @Test func deepNestingIsAnErrorNotACrash() {
        let text = String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000)
        #expect(throws: JSONSyntaxError.self) { try JSON(parsing: text) }
    }
}
