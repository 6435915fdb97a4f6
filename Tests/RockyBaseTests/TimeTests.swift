import RockyBase
import Testing

@Suite struct TimeTests {
    @Test(arguments: [
        ("1970-01-01", 0), ("2026-05-20", 20593), ("2000-02-29", 11016), ("1969-12-31", -1), ("0001-01-01", -719162),
    ])
    func datesRoundTrip(text: String, days: Int64) throws {
        let d = try #require(CivilDate(parsing: text))
        #expect(d.daysSinceEpoch == days)
        #expect(d.description == text)
    }

    @Test(arguments: ["2026-02-29", "2026-13-01", "2026-00-10", "2026-1-01", "20260101", "2026-04-31"])
    func invalidDatesAreRejected(text: String) {
        #expect(CivilDate(parsing: text) == nil)
    }

    @Test(arguments: [
        ("2026-05-20T16:00:00Z", "2026-05-20T16:00:00Z"),
        ("2026-05-20 16:00:00", "2026-05-20T16:00:00Z"),
        ("2026-05-20T18:00:00+02:00", "2026-05-20T16:00:00Z"),
        ("2026-05-20T16:00:00.25Z", "2026-05-20T16:00:00.250000Z"),
        ("2026-05-20T16:00:00.000001Z", "2026-05-20T16:00:00.000001Z"),
        ("2026-05-20", "2026-05-20T00:00:00Z"),
        ("1969-12-31T23:59:59.999999Z", "1969-12-31T23:59:59.999999Z"),
    ])
    func timestampsParseToUTC(text: String, canonical: String) throws {
        let t = try #require(Timestamp(parsing: text))
        #expect(t.description == canonical)
        #expect(Timestamp(parsing: t.description) == t)
    }

    @Test(arguments: ["2026-05-20T25:00:00Z", "2026-05-20T16:00", "2026-05-20T16:00:00.1234567Z", "2026-05-20T16:00:00+2", "yesterday"])
    func malformedTimestampsAreRejected(text: String) {
        #expect(Timestamp(parsing: text) == nil)
    }
}
