import RockyBase
import Testing

@Suite struct ExactDecimalTests {
    @Test(arguments: [
        ("0", "0", 0), ("-0.00", "0.00", 2), ("1.50", "1.50", 2), ("-12.345", "-12.345", 3),
        (".5", "0.5", 1), ("+7", "7", 0), ("0.0001", "0.0001", 4),
        ("99999999999999999999999999999999999999", "99999999999999999999999999999999999999", 0),
        ("-0.00000000000000000000000000000000000001", "-0.00000000000000000000000000000000000001", 38),
        ("1.5e2", "150", 0), ("1.25E-1", "0.125", 3),
    ])
    func parsesAndFormatsExactly(text: String, formatted: String, scale: Int) throws {
        let d = try #require(ExactDecimal(parsing: text))
        #expect(d.description == formatted)
        #expect(d.scale == scale)
        #expect(ExactDecimal(parsing: d.description) == d)
    }

    @Test(arguments: ["", "-", ".", "1.2.3", "abc", "1e", "--1", "1 ", "100000000000000000000000000000000000000", "0x10"])
    func rejectsMalformedText(text: String) {
        #expect(ExactDecimal(parsing: text) == nil)
    }

    @Test func equalityIgnoresScaleButKeepsIt() throws {
        let a = dec("1.50"), b = dec("1.5")
        #expect(a == b)
        #expect(a.hashValue == b.hashValue)
        #expect(a.description != b.description)
        #expect(dec("-2") < b)
        #expect(dec("0.09") < dec("0.1"))
    }

    @Test func sumOfOneMillionCentsIsExact() throws {
        let cent = dec("0.01")
        var total = ExactDecimal(units: 0, scale: 2)
        for _ in 0..<1_000_000 { total = try #require(ExactDecimal.adding(total, cent)) }
        #expect(total.description == "10000.00")
    }

    @Test func roundingIsHalfAwayFromZero() throws {
        #expect(dec("2.345").rounded(toScale: 2).description == "2.35")
        #expect(dec("-2.345").rounded(toScale: 2).description == "-2.35")
        #expect(dec("2.344").rounded(toScale: 2).description == "2.34")
        #expect(dec("0.5").rounded(toScale: 0).description == "1")
    }

    @Test func rescalingNeverDropsDigits() throws {
        let d = dec("1.25")
        #expect(d.rescaled(to: 4)?.description == "1.2500")
        #expect(d.rescaled(to: 1) == nil)
        #expect(d.fits(precision: 3, scale: 2))
        #expect(!d.fits(precision: 2, scale: 2))
    }

    @Test func arithmeticReportsOverflow() throws {
        let big = dec("99999999999999999999999999999999999999")
        #expect(ExactDecimal.adding(big, ExactDecimal(1)) == nil)
        #expect(ExactDecimal.multiplying(big, ExactDecimal(2)) == nil)
        let p = try #require(ExactDecimal.multiplying(dec("1.5"), dec("0.25")))
        #expect(p.description == "0.375")
    }
}

private func dec(_ text: String) -> ExactDecimal { ExactDecimal(parsing: text)! }
