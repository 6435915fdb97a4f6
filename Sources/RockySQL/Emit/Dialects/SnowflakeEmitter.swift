import RockyBase

/// Snowflake (assumed to run with the session time zone UTC).
struct SnowflakeEmitter: NativeDialectEmitter {
    var dialect: Dialect { .snowflake }

    func typeName(_ type: ColumnType) -> String {
        switch type {
        case .boolean: "BOOLEAN"
        case .integer: "BIGINT"
        case .double: "FLOAT"
        case let .decimal(p, s): "NUMBER(\(p),\(s))"
        case .text: "VARCHAR"
        case .date: "DATE"
        case .timestamp: "TIMESTAMP_NTZ"
        }
    }

    func maskHash(_ text: String, _ e: SQLEmitter) -> String { "SHA2(\(text), 256)" }

    var hasQualify: Bool { true }

    func position(_ needle: String, in haystack: String) -> String { "POSITION(\(needle), \(haystack))" }

    func integerDivide(_ x: String, _ y: String) -> String { "CAST(TRUNC(\(x) / NULLIF(\(y), 0)) AS BIGINT)" }

    func specialCast(_ x: String, from: ColumnType, to: ColumnType, target: String) -> String? {
        from == .boolean && to == .text ? "LOWER(CAST(\(x) AS \(target)))" : nil
    }

    func dateTrunc(_ part: DatePart, _ value: BoundExpr, _ e: SQLEmitter) -> String {
        "DATE_TRUNC('\(part.rawValue.uppercased())', \(e.expr(value)))"
    }

    func extract(_ part: DatePart, _ value: BoundExpr, _ e: SQLEmitter) -> String {
        let x = e.expr(value)
        switch part {
        case .dayOfWeek: return "EXTRACT(DAYOFWEEK FROM \(x))"
        case .dayOfYear: return "EXTRACT(DAYOFYEAR FROM \(x))"
        case .epoch: return "EXTRACT(EPOCH_SECOND FROM \(x))"
        default: return "EXTRACT(\(part.rawValue.uppercased()) FROM \(x))"
        }
    }

    func microsecondsBetween(_ a: String, _ b: String) -> String { "DATEDIFF(microsecond, \(b), \(a))" }

    func addMicroseconds(_ value: String, _ micros: String) -> String { "DATEADD(microsecond, \(micros), \(value))" }

    func addInterval(_ value: BoundExpr, _ interval: Interval, _ e: SQLEmitter) -> String {
        let (quantity, unit) = quantityAndUnit(interval)
        return "DATEADD(\(unit), \(quantity), \(e.expr(value)))"
    }

    func addDays(_ date: String, _ days: String) -> String { "DATEADD(day, \(days), \(date))" }

    func daysBetween(_ a: String, _ b: String) -> String { "DATEDIFF(day, \(b), \(a))" }
}
