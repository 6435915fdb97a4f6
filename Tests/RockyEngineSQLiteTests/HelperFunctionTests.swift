import RockyBase
import RockySQL
import RockyStore
import RockyTable
import Testing
@testable import RockyEngine
@testable import RockyEngineSQLite

/// The rocky_* functions of Docs/sql.md, called from SQL on the adapter's connection.
@Suite struct HelperFunctionTests {
    func scalar(_ adapter: SQLiteAdapter, _ sql: String) throws -> String? {
        let statement = try adapter.connection.statement("SELECT " + sql)
        guard try statement.step() else { return nil }
        switch statement.type(0) {
        case 5: return nil
        case 1: return "int:\(statement.int64(0))"
        default: return statement.text(0)
        }
    }

    @Test func muldivIsExactAndRoundsHalfAwayFromZero() throws {
        let a = try SQLiteAdapter(store: MemoryObjectStore(), cacheDirectory: nil, maskingKey: nil)
        #expect(try scalar(a, "rocky_muldiv(1, 1, 2)") == "int:1")
        #expect(try scalar(a, "rocky_muldiv(-1, 1, 2)") == "int:-1")
        #expect(try scalar(a, "rocky_muldiv(1, 1, 3)") == "int:0")
        #expect(try scalar(a, "rocky_muldiv(-5, 1, -2)") == "int:3")
        #expect(try scalar(a, "rocky_muldiv(9223372036854775807, 9223372036854775807, 9223372036854775807)") == "int:9223372036854775807")
        #expect(try scalar(a, "rocky_muldiv(-9223372036854775808, 3, 4)") == "int:-6917529027641081856")
        #expect(try scalar(a, "rocky_muldiv(1, 2, 0)") == nil)
        #expect(try scalar(a, "rocky_muldiv(NULL, 2, 1)") == nil)
        #expect(throws: SQLiteError.self) { try scalar(a, "rocky_muldiv(9223372036854775807, 2, 1)") }
        #expect(throws: SQLiteError.self) { try scalar(a, "rocky_muldiv(1.5, 2, 1)") }
        #expect(HelperFunctions.exactMulDiv(7, 3, 2) == 11)
        #expect(HelperFunctions.exactMulDiv(-7, 3, 2) == -11)
    }

    @Test func maskHashIsSHA256OrHMACWithTheKey() throws {
        func hex(_ bytes: [UInt8]) -> String { bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined() }
        let plain = try SQLiteAdapter(store: MemoryObjectStore(), cacheDirectory: nil, maskingKey: nil)
        #expect(try scalar(plain, "rocky_mask_hash('abc')") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(try scalar(plain, "rocky_mask_hash(NULL)") == nil)
        #expect(try scalar(plain, "rocky_mask_hash('Zürich')") == hex(SHA256.digest(Array("Zürich".utf8))))
        let key = Array("secret".utf8)
        let keyed = try SQLiteAdapter(store: MemoryObjectStore(), cacheDirectory: nil, maskingKey: key)
        #expect(try scalar(keyed, "rocky_mask_hash('abc')") == hex(SHA256.hmac(key: key, message: Array("abc".utf8))))
    }

    @Test func textConversions() throws {
        let a = try SQLiteAdapter(store: MemoryObjectStore(), cacheDirectory: nil, maskingKey: nil)
        #expect(try scalar(a, "rocky_to_text(-1234, 'DECIMAL(10,4)')") == "-0.1234")
        #expect(try scalar(a, "rocky_to_text(5, 'DECIMAL(3,0)')") == "5")
        #expect(try scalar(a, "rocky_to_text(-1, 'DATE')") == "1969-12-31")
        #expect(try scalar(a, "rocky_to_text(1500000, 'TIMESTAMP')") == "1970-01-01 00:00:01.5")
        #expect(try scalar(a, "rocky_to_text(-1, 'TIMESTAMP')") == "1969-12-31 23:59:59.999999")
        #expect(try scalar(a, "rocky_to_text(0, 'TIMESTAMP')") == "1970-01-01 00:00:00")
        #expect(try scalar(a, "rocky_from_text('-12.345', 'DECIMAL(10,2)')") == "int:-1235")
        #expect(try scalar(a, "rocky_from_text(' 2.5 ', 'DECIMAL(10,0)')") == "int:3")
        #expect(try scalar(a, "rocky_from_text('1969-12-31', 'DATE')") == "int:-1")
        #expect(try scalar(a, "rocky_from_text('1970-01-01T01:00:00+01:00', 'TIMESTAMP')") == "int:0")
        #expect(try scalar(a, "rocky_from_text('1970-01-01 00:00:00.25Z', 'TIMESTAMP')") == "int:250000")
        #expect(try scalar(a, "rocky_from_text(NULL, 'DATE')") == nil)
        #expect(throws: SQLiteError.self) { try scalar(a, "rocky_from_text('2026-02-30', 'DATE')") }
        #expect(throws: SQLiteError.self) { try scalar(a, "rocky_from_text('abc', 'DECIMAL(5,2)')") }
        #expect(throws: SQLiteError.self) { try scalar(a, "rocky_from_text('99999999999999999999', 'DECIMAL(18,0)')") }
        // A DECIMAL of more than 18 digits is a 16-byte BLOB, up to 38 digits.
        #expect(try scalar(a, "rocky_to_text(rocky_from_text('-99999999999999999999.5', 'DECIMAL(38,1)'), 'DECIMAL(38,1)')")
            == "-99999999999999999999.5")
        #expect(throws: SQLiteError.self) { try scalar(a, "rocky_from_text('1e38', 'DECIMAL(38,0)')") }
    }

    @Test func wideDecimalArithmeticIsExactTo38Digits() throws {
        let a = try SQLiteAdapter(store: MemoryObjectStore(), cacheDirectory: nil, maskingKey: nil)
        let x = "rocky_from_text('12345678901234567890123456789', 'DECIMAL(38,0)')"
        let y = "rocky_from_text('98765432109876543210', 'DECIMAL(38,0)')"
        func text(_ sql: String) throws -> String? { try scalar(a, "rocky_to_text(\(sql), 'DECIMAL(38,0)')") }
        // The 49-digit product, divided back under 38 digits in 256-bit arithmetic.
        #expect(try scalar(a, "rocky_dec_muldiv(\(x), \(y), -30, 1, 0, 'p')") == "int:1219326311370217952")
        #expect(try text("rocky_dec_muldiv(\(x), \(y), 0, rocky_from_text('98765432109876543211', 'DECIMAL(38,0)'), 1, 'p')")
            == "12345678901234567889998456790")
        #expect(try text("rocky_dec_muldiv(rocky_dec_neg(\(x)), 1, 5, 7, 1, 'p')") == "-176366841446208112716049382700000")
        #expect(try scalar(a, "rocky_dec_muldiv(\(x), \(y), -40, 1, 0, 'p')") == "int:121932631")
        #expect(try scalar(a, "rocky_dec_muldiv(\(x), 1, 0, 0, 1, 'p')") == nil)
        #expect(try text("rocky_dec_add(\(x), 1, 1, 'p')") == "12345678901234567890123456790")
        #expect(try text("rocky_dec_rescale(\(x), -5, 2, 1, 'p')") == "123456789012345678901234")
        #expect(try text("rocky_dec_rescale(rocky_dec_neg(\(x)), -5, 2, 1, 'p')") == "-123456789012345678901235")
        #expect(try text("rocky_dec_mod(\(x), 1000, 1)") == "789")
        #expect(try scalar(a, "rocky_dec_sign(rocky_dec_neg(\(x)))") == "int:-1")
        // Order: the BLOB form compares as the numbers do.
        #expect(try scalar(a, "rocky_dec_neg(\(x)) < rocky_from_text('-1', 'DECIMAL(38,0)')") == "int:1")
        #expect(try scalar(a, "\(x) > \(y)") == "int:1")
        // Past 38 digits: the error names the position it was given.
        #expect(throws: SQLiteError(code: 1, message: "DECIMAL overflow: the result has more than 38 digits (at line 2, column 7)",
                                    sql: "SELECT rocky_dec_muldiv(\(x), \(y), 0, 1, 1, 'line 2, column 7')")) {
            try scalar(a, "rocky_dec_muldiv(\(x), \(y), 0, 1, 1, 'line 2, column 7')")
        }
    }

    @Test func likeIsCaseSensitive() throws {
        let a = try SQLiteAdapter(store: MemoryObjectStore(), cacheDirectory: nil, maskingKey: nil)
        #expect(try scalar(a, "'ABC' LIKE 'a%'") == "int:0")
        #expect(try scalar(a, "'abc' LIKE 'a%'") == "int:1")
    }
}
