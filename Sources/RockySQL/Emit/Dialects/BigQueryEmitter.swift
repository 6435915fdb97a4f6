import RockyBase

/// BigQuery: backtick identifiers, backslash-escaped strings, INT64 and
/// (BIG)NUMERIC, date functions of its own.
struct BigQueryEmitter: NativeDialectEmitter {
    var dialect: Dialect { .bigquery }

    func quote(_ name: String) -> String {
        "`" + name.replacingAll("\\", with: "\\\\").replacingAll("`", with: "\\`") + "`"
    }

    func string(_ text: String) -> String {
        "'" + text.replacingAll("\\", with: "\\\\").replacingAll("'", with: "\\'") + "'"
    }

    func typeName(_ type: ColumnType) -> String {
        switch type {
        case .boolean: "BOOL"
        case .integer: "INT64"
        case .double: "FLOAT64"
        case let .decimal(p, s): s <= 9 && p - s <= 29 ? "NUMERIC(\(p),\(s))" : "BIGNUMERIC(\(p),\(s))"
        case .text: "STRING"
        case .date: "DATE"
        case .timestamp: "TIMESTAMP"
        }
    }

    func maskHash(_ text: String, _ e: SQLEmitter) -> String { "TO_HEX(SHA256(\(text)))" }

    func position(_ needle: String, in haystack: String) -> String { "strpos(\(haystack), \(needle))" }

    func integerDivide(_ x: String, _ y: String) -> String { "DIV(\(x), NULLIF(\(y), 0))" }

    func specialCast(_ x: String, from: ColumnType, to: ColumnType, target: String) -> String? {
        switch (from, to) {
        case (.timestamp, .text): "FORMAT_TIMESTAMP('%Y-%m-%d %H:%M:%E*S', \(x))"
        case (.boolean, .text): "LOWER(CAST(\(x) AS \(target)))"
        default: nil
        }
    }

    func dateTrunc(_ part: DatePart, _ value: BoundExpr, _ e: SQLEmitter) -> String {
        let x = e.expr(value)
        let unit = part == .week ? "WEEK(MONDAY)" : part.rawValue.uppercased()
        return value.type == .date ? "DATE_TRUNC(\(x), \(unit))" : "TIMESTAMP_TRUNC(\(x), \(unit), 'UTC')"
    }

    func extract(_ part: DatePart, _ value: BoundExpr, _ e: SQLEmitter) -> String {
        let x = e.expr(value)
        switch part {
        case .dayOfWeek: return "(EXTRACT(DAYOFWEEK FROM \(x)) - 1)"
        case .dayOfYear: return "EXTRACT(DAYOFYEAR FROM \(x))"
        case .epoch: return value.type == .date ? "(UNIX_DATE(\(x)) * 86400)" : "UNIX_SECONDS(\(x))"
        default: return "EXTRACT(\(part.rawValue.uppercased()) FROM \(x))"
        }
    }

    func microsecondsBetween(_ a: String, _ b: String) -> String { "TIMESTAMP_DIFF(\(a), \(b), MICROSECOND)" }

    func addMicroseconds(_ value: String, _ micros: String) -> String { "TIMESTAMP_ADD(\(value), INTERVAL \(micros) MICROSECOND)" }

    func addInterval(_ value: BoundExpr, _ interval: Interval, _ e: SQLEmitter) -> String {
        let x = e.expr(value)
        let (quantity, unit) = quantityAndUnit(interval)
        if value.type == .date { return "DATE_ADD(\(x), INTERVAL \(quantity) \(unit.uppercased()))" }
        if unit == "month" { return "TIMESTAMP(DATETIME_ADD(DATETIME(\(x)), INTERVAL \(quantity) MONTH))" }
        return "TIMESTAMP_ADD(\(x), INTERVAL \(quantity) \(unit.uppercased()))"
    }

    func addDays(_ date: String, _ days: String) -> String { "DATE_ADD(\(date), INTERVAL \(days) DAY)" }

    func daysBetween(_ a: String, _ b: String) -> String { "DATE_DIFF(\(a), \(b), DAY)" }
}
