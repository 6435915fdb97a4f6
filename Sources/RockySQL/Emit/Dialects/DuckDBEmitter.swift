import RockyBase

/// DuckDB: native types; exact DECIMAL quotients by HUGEINT division (DuckDB
/// would divide in DOUBLE); PostgreSQL's rules for casts from TEXT.
struct DuckDBEmitter: NativeDialectEmitter {
    var dialect: Dialect { .duckdb }

    func typeName(_ type: ColumnType) -> String {
        switch type {
        case .boolean: "BOOLEAN"
        case .integer: "BIGINT"
        case .double: "DOUBLE"
        case let .decimal(p, s): "DECIMAL(\(p),\(s))"
        case .text: "VARCHAR"
        case .date: "DATE"
        case .timestamp: "TIMESTAMP"
        }
    }

    func maskHash(_ text: String, _ e: SQLEmitter) -> String { "sha256(\(text))" }
    var hasQualify: Bool { true }
    var hasDistinctOn: Bool { true }

    func integerDivide(_ x: String, _ y: String) -> String { "(\(x) // NULLIF(\(y), 0))" }

    func exactQuotient(numerator: String, numeratorScale: Int, denominator: String, denominatorScale: Int,
                       scale s: Int, type: ColumnType, _ e: SQLEmitter) -> String {
        // Integer division of the scaled values at one extra digit, then ROUND.
        let n = "CAST(\(numerator) * \(hugeint(s + denominatorScale + 1)) AS HUGEINT)"
        let d = denominatorScale == 0 ? "CAST(\(denominator) AS HUGEINT)" : "CAST(\(denominator) * \(hugeint(denominatorScale)) AS HUGEINT)"
        let q = "CAST((\(n) // NULLIF(\(d), 0)) AS DECIMAL(38,0))"
        return e.conform("round(\(q) * \(SQLEmitter.fraction(s + 1)), \(s))", type)
    }

    private func hugeint(_ power: Int) -> String {
        power <= 18 ? SQLEmitter.pow10(power) : "CAST('\(SQLEmitter.pow10(power))' AS HUGEINT)"
    }

    func specialCast(_ x: String, from: ColumnType, to: ColumnType, target: String) -> String? {
        switch (from, to) {
        case (.text, .integer):
            // DuckDB would round '3.7'; Rocky takes PostgreSQL's rule: an optional sign and digits only.
            return "CAST(CASE WHEN \(x) IS NULL OR regexp_full_match(\(x), '\\s*[+-]?[0-9]+\\s*') THEN \(x) "
                + "ELSE error('invalid input for INTEGER: ''' || \(x) || '''') END AS \(target))"
        case let (.decimal(p, s), .text) where p == s:
            // DuckDB writes a DECIMAL(2,2) 0.10 as '.10'; one more integer digit gives Rocky's '0.10'.
            return "CAST(CAST(\(x) AS DECIMAL(\(min(p + 1, 38)),\(s))) AS \(target))"
        case (.text, .boolean):
            // PostgreSQL's spellings, of which DuckDB accepts only some.
            return "(CASE WHEN \(x) IS NULL THEN NULL WHEN lower(trim(\(x))) IN ('true', 't', 'yes', 'y', 'on', '1') THEN TRUE "
                + "WHEN lower(trim(\(x))) IN ('false', 'f', 'no', 'n', 'off', '0') THEN FALSE "
                + "ELSE CAST(error('invalid input for BOOLEAN: ''' || \(x) || '''') AS BOOLEAN) END)"
        default:
            return nil
        }
    }

    func microsecondsBetween(_ a: String, _ b: String) -> String { "(epoch_us(\(a)) - epoch_us(\(b)))" }

    func addMicroseconds(_ value: String, _ micros: String) -> String { "(\(value) + to_microseconds(\(micros)))" }

    func extract(_ part: DatePart, _ value: BoundExpr, _ e: SQLEmitter) -> String {
        let x = e.expr(value)
        return part == .epoch ? "CAST(floor(epoch(\(x))) AS BIGINT)" : "extract(\(part.rawValue) FROM \(x))"
    }
}
