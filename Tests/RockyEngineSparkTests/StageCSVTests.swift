import Foundation
import RockyBase
@testable import RockyEngineSpark
import RockyTable
import Testing

/// The text of the stage CSV, value by value: what Spark's CSV reader is
/// given (the round trip through Spark itself is SparkEngineTests'
/// `hostileValuesRoundTripThroughTheStageCSV`).
@Suite struct StageCSVTests {
    func line(_ row: [Value], _ csv: inout StageCSV) -> String {
        var out: [UInt8] = []
        csv.append(row, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    @Test func everyValueIsWrittenAsItsTypeReadsIt() {
        var csv = StageCSV()
        let null = String(decoding: csv.nullMarker, as: UTF8.self)
        #expect(null.hasPrefix("rocky-null-") && null.count == 11 + 32)
        let decimals = ["0", "0.0000000001", "-0.0050", "123.4500", "-9999999999999999999999999999.9999999999",
                        "99999999999999999999999999999999999999", "-18446744073709551616", "18446744073709551615.5"]
        for text in decimals {
            let d = ExactDecimal(parsing: text)!
            #expect(line([.decimal(d)], &csv) == text + "\n")
        }
        #expect(line([.integer(.min), .integer(.max), .integer(0)], &csv) == "-9223372036854775808,9223372036854775807,0\n")
        #expect(line([.double(.nan), .double(.infinity), .double(-.infinity), .double(-0.0), .double(5e-324)], &csv)
                == "NaN,Infinity,-Infinity,-0.0,5e-324\n")
        #expect(line([.boolean(true), .boolean(false), .null], &csv) == "true,false,\(null)\n")
        for (date, text) in [(CivilDate(year: 1, month: 1, day: 1)!, "0001-01-01"), (CivilDate(year: 1969, month: 12, day: 31)!, "1969-12-31"),
                             (CivilDate(year: 9999, month: 12, day: 31)!, "9999-12-31"), (CivilDate(year: -44, month: 3, day: 15)!, "-0044-03-15")] {
            #expect(line([.date(date)], &csv) == text + "\n")
        }
        for text in ["1969-12-31T23:59:59.999999Z", "1970-01-01T00:00:00Z", "9999-12-31T23:59:59.000001Z", "0001-01-01T00:00:00Z"] {
            #expect(line([.timestamp(Timestamp(text))], &csv) == text + "\n")
        }
        #expect(!csv.multiLine && !csv.markerSeen)
    }

    @Test func textIsQuotedWithQuotesDoubledAndLineBreaksAsked() {
        var csv = StageCSV()
        #expect(line([.text(""), .text(" a, b "), .text("say \"hi\"")], &csv) == "\"\",\" a, b \",\"say \"\"hi\"\"\"\n")
        #expect(!csv.multiLine)
        #expect(line([.text("two\nlines")], &csv) == "\"two\nlines\"\n")
        #expect(csv.multiLine)
        var other = StageCSV()
        _ = line([.text("cr\ronly")], &other)
        #expect(other.multiLine)
    }

    @Test func aTextEqualToTheNullTokenIsNoticed() {
        var csv = StageCSV()
        let token = String(decoding: csv.nullMarker, as: UTF8.self)
        _ = line([.text(token + " ")], &csv)
        #expect(!csv.markerSeen)
        _ = line([.text(token)], &csv)
        #expect(csv.markerSeen)
        #expect(StageCSV().nullMarker != csv.nullMarker)
    }
}
