import RockyBase
import Testing

@Suite struct ColumnTypeTests {
    @Test(arguments: [
        ("INTEGER", ColumnType.integer), ("bigint", .integer), ("DECIMAL(12,4)", .decimal(precision: 12, scale: 4)),
        ("numeric( 10 , 2 )", .decimal(precision: 10, scale: 2)), ("decimal(5)", .decimal(precision: 5, scale: 0)),
        ("varchar(20)", .text), ("TIMESTAMP", .timestamp), ("date", .date), ("bool", .boolean), ("double", .double),
    ])
    func parsesNamesAndSynonyms(text: String, type: ColumnType) {
        #expect(ColumnType(parsing: text) == type)
        #expect(ColumnType(parsing: type.name) == type)
    }

    @Test(arguments: ["DECIMAL(39,2)", "DECIMAL(4,5)", "DECIMAL(0)", "DECIMAL(a,b)", "BLOB", ""])
    func rejectsUnknownOrOutOfRange(text: String) {
        #expect(ColumnType(parsing: text) == nil)
    }

    @Test func classificationsAreOrderedByStrictness() {
        #expect(Classification.public < Classification.internal)
        #expect(Classification.internal < Classification("desk-only"))
        #expect(Classification("desk-only") < Classification.financial)
        #expect(Classification.pii < Classification.restricted)
    }
}
