import Foundation
import RockyBase
import RockyTable
import Testing

/// Records that straddle the reader's block boundaries read exactly as records that do not.
@Suite struct BufferBoundaryTests {
    static let fixtureNames = ["prices.csv", "positions.csv", "risk_scores.csv", "customers.csv", "accounts.csv", "trades.csv"]

    @Test(arguments: fixtureNames)
    func fixturesReadTheSameWithAnyBlockSize(name: String) throws {
        let bytes = try fixtureBytes(name)
        let expected = try readAll(CSVReader(bytes: bytes))
        #expect(expected.count > 5)
        for blockSize in [1, 2, 3, 5, 7, 13, 64, 333, 4096] {
            #expect(try readAll(CSVReader(bytes: bytes, blockSize: blockSize)) == expected, "block size \(blockSize)")
        }
    }

    static let tricky = "\u{FEFF}id,\"note, with comma\",empty\r\n"
        + "1,\"line one\nline two\",\"\"\r\n"
        + "2,\"say \"\"hi\"\"\r\nagain\",\r\n"
        + "3,Zoë 王芳 🙂,\"🙂\"\n"
        + "4,,\"\"\"\"\n"
        + "5,\"ends with quote\"\"\",x"

    @Test func trickyInputReadsTheSameWithEveryBlockSize() throws {
        let expected = try readAll(CSVReader(text: Self.tricky))
        #expect(expected.map { $0.map(\.text) } == [
            ["1", "line one\nline two", ""],
            ["2", "say \"hi\"\r\nagain", nil],
            ["3", "Zoë 王芳 🙂", "🙂"],
            ["4", nil, "\""],
            ["5", "ends with quote\"", "x"],
        ])
        for blockSize in 1...48 {
            #expect(try readAll(CSVReader(text: Self.tricky, blockSize: blockSize)) == expected, "block size \(blockSize)")
        }
    }

    @Test func errorsAreAtTheSamePlaceWithEveryBlockSize() {
        let inputs = ["a,b\n1,\"x\ny\"z\n", "a,b\n1,2\n\"open\n", "a,b\nok,bad\"\n", "a,b\n1,2\r3\n", "a,b\n1\n"]
        for input in inputs {
            let expected = csvError(input)
            #expect(expected != nil)
            for blockSize in 1...12 {
                #expect(csvError(input, blockSize: blockSize) == expected, "block size \(blockSize): \(input)")
            }
        }
    }

    /// A file a little larger than one default 1 MiB block, whose records
    /// hold a quoted line break, doubled quotes, CRLF and multi-byte
    /// characters. The header's length is chosen so that the block boundary
    /// falls just before the byte of the record named by `target`.
    static let straddler = "\"quoted, \"\"text\"\"\nsecond line é🙂\",,\"\"\r\n"

    static func targets() -> [(String, Int)] {
        let b = Array(straddler.utf8)
        let newline = b.firstIndex(of: 10)!
        let doubled = b.indices.dropFirst().first { b[$0] == 34 && b[$0 - 1] == 34 }!
        let accent = b.firstIndex(of: 0xC3)! + 1
        let emoji = b.firstIndex(of: 0xF0)! + 2
        let cr = b.firstIndex(of: 13)!
        return [("record start", 0), ("quoted line break", newline), ("after the line break", newline + 1),
                ("second of a doubled quote", doubled), ("inside é", accent), ("inside 🙂", emoji),
                ("closing quote", b.lastIndex(of: 34)! - 3), ("CR of CRLF", cr), ("LF of CRLF", cr + 1),
                ("NULL field", cr - 3)]
    }

    @Test(arguments: targets())
    func recordsStraddlingTheDefaultBlockBoundary(target: String, offset: Int) throws {
        let record = Self.straddler
        let length = record.utf8.count
        let block = 1 << 20
        // The header is "a" + padding + ",c,d\n": 6 + padding bytes.
        let padding = ((block - offset - 6) % length + length) % length
        let header = "a" + String(repeating: "b", count: padding) + ",c,d\n"
        let count = (block - header.utf8.count) / length + 3
        let text = header + String(repeating: record, count: count)
        let straddling = (block - header.utf8.count) / length
        #expect(header.utf8.count + straddling * length + offset == block, "the boundary falls at \(target)")

        let path = FileManager.default.temporaryDirectory.appendingPathComponent("rocky-straddle-\(offset).csv").path
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        for reader in [try CSVReader(text: text), try CSVReader(path: path)] {
            let records = try readAll(reader)
            #expect(records.count == count)
            let fields = records[straddling]
            #expect(fields.map(\.text) == ["quoted, \"text\"\nsecond line é🙂", nil, ""])
            #expect(fields.map(\.line) == [2 + 2 * straddling, 3 + 2 * straddling, 3 + 2 * straddling])
            #expect(fields.map(\.column) == [1, 17, 18])
            #expect(Set(records.map { $0.map(\.text) }).count == 1)
        }
    }

    @Test func aRecordLargerThanTheBlockGrowsTheBuffer() throws {
        let long = String(repeating: "x,\"\"\n", count: 3000)
        let text = "a,b\n1,\"\(long)\"\n2,y\n"
        let records = try texts(text, blockSize: 100)
        let value = long.replacingOccurrences(of: "\"\"", with: "\"")
        #expect(records.count == 2)
        #expect(records.first?[1]?.count == value.count)
        let same = records == [["1", value], ["2", "y"]]   // compared outside #expect, which would print 15,000 characters
        #expect(same)
    }
}
