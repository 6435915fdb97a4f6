import RockyBase

/// SQLite, over Rocky's representation contract (Docs/sql.md): BOOLEAN,
/// DECIMAL, DATE and TIMESTAMP are INTEGERs, exact arithmetic and checked
/// casts go through the `rocky_*` helpers the SQLite backend registers, and
/// dates through `strftime` and integer arithmetic (SQLEmitter+Dates,
/// SQLEmitter+Numbers hold that SQL).
struct SQLiteEmitter: DialectEmitter {
    var dialect: Dialect { .sqlite }

    func typeName(_ type: ColumnType) -> String {
        switch type {
        case .double: "REAL"
        case .text: "TEXT"
        // A DECIMAL of more than 18 digits is a 16-byte BLOB (SQLEmitter.isWide).
        case let .decimal(p, _) where p > 18: "BLOB"
        default: "INTEGER"
        }
    }

    var exactMaskingStrategies: Set<MaskingStrategy> { Set(MaskingStrategy.allCases) }

    func maskHash(_ text: String, _ e: SQLEmitter) -> String { e.helper(.maskHash, text) }

    func exactQuotient(numerator: String, numeratorScale: Int, denominator: String, denominatorScale: Int,
                       scale s: Int, type: ColumnType, _ e: SQLEmitter) -> String {
        // Units: x·10^(s + sd - sn) / y.
        let p = SQLEmitter.pow10
        let x = s + denominatorScale - numeratorScale
        if x < 0 { return e.muldiv(numerator, "1", "(\(denominator) * \(p(-x)))") }
        if x > 18 { return "(\(e.muldiv(numerator, p(18), denominator)) * \(p(x - 18)))" }
        return e.muldiv(numerator, p(x), denominator)
    }

    func cast(_ value: BoundExpr, from: ColumnType, to: ColumnType, at range: SourceRange, _ e: SQLEmitter) -> String {
        e.sqliteCast(value, from: from, to: to, at: range)
    }

    func dateTrunc(_ part: DatePart, _ value: BoundExpr, _ e: SQLEmitter) -> String { e.sqliteDateTrunc(part, value) }

    func extract(_ part: DatePart, _ value: BoundExpr, _ e: SQLEmitter) -> String { e.sqliteExtract(part, value) }

    func addInterval(_ value: BoundExpr, _ interval: Interval, _ e: SQLEmitter) -> String { e.sqliteAddInterval(value, interval) }

    /// A TIMESTAMP is its microseconds.
    func microsecondsBetween(_ a: String, _ b: String) -> String { "(\(a) - \(b))" }

    func addMicroseconds(_ value: String, _ micros: String) -> String { "(\(value) + \(micros))" }

    /// A DECIMAL(p, 6) is its value in millionths: the microseconds themselves.
    func secondsOfMicroseconds(_ micros: String, type: ColumnType, _ e: SQLEmitter) -> String { micros }

    /// The key's representation: DATE in days, TIMESTAMP in microseconds.
    func rangeInterval(microseconds: Int64, date: Bool) -> String {
        String(date ? microseconds / 86_400_000_000 : microseconds)
    }
}
