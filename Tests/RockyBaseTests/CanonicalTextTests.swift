import RockyBase
import Testing

/// The byte writers the engines' bulk loads use must write exactly each
/// value's `description`: the text the server parses is the value's
/// canonical text, or an uploaded version would hold other values.
@Suite struct CanonicalTextTests {
    static func written(_ append: (inout [UInt8]) -> Void) -> String {
        var out: [UInt8] = []
        append(&out)
        return String(decoding: out, as: UTF8.self)
    }

    @Test func integersAndDecimalsAreTheirDescription() {
        var generator = SystemRandomNumberGenerator()
        var integers: [Int64] = [0, 1, -1, 9, 10, Int64.max, Int64.min]
        for _ in 0..<2_000 { integers.append(Int64.random(in: Int64.min...Int64.max, using: &generator) >> Int64.random(in: 0...63)) }
        for n in integers { #expect(Self.written { CanonicalText.appendInteger(n, to: &$0) } == String(n)) }
        var decimals: [ExactDecimal] = [ExactDecimal(units: 0, scale: 0), ExactDecimal(units: 0, scale: 4), ExactDecimal(units: -5, scale: 3),
                                        ExactDecimal(units: Int128(Int64.max) * 1_000_000_000_000, scale: 20),
                                        ExactDecimal(units: -(Int128(Int64.max) * Int128(Int64.max)), scale: 38)]
        for _ in 0..<2_000 {
            let units = Int128(Int64.random(in: Int64.min...Int64.max)) * Int128(Int64.random(in: -1_000_000...1_000_000))
            decimals.append(ExactDecimal(units: units >> Int128(Int.random(in: 0...100)), scale: Int.random(in: 0...38)))
        }
        for d in decimals { #expect(Self.written { CanonicalText.appendDecimal(d, to: &$0) } == d.description, "\(d.units) scale \(d.scale)") }
    }

    @Test func datesAndTimestampsAreTheirDescription() {
        var days: [Int64] = [0, -1, 1, 2_932_896, -719_528, -719_529, -4_371_587]  // 9999-12-31, 0000-01-01, before, -9999
        for _ in 0..<2_000 { days.append(Int64.random(in: -4_371_587...2_932_896)) }
        for day in days {
            let date = CivilDate(daysSinceEpoch: day)
            #expect(Self.written { CanonicalText.appendDate(date, to: &$0) } == date.description)
            for micros in [0, 1, 999_999, 86_399_999_999, Int64.random(in: 0..<86_400_000_000), Int64.random(in: 0..<86_400) * 1_000_000] {
                let t = Timestamp(microseconds: day * 86_400_000_000 + micros)
                #expect(Self.written { CanonicalText.appendTimestamp(t, to: &$0) } == t.description)
            }
        }
    }
}
