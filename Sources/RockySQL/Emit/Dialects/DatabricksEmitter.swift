import RockyBase

/// Databricks (Spark SQL; assumed to run with the session time zone UTC).
struct DatabricksEmitter: NativeDialectEmitter {
    var dialect: Dialect { .databricks }

    func quote(_ name: String) -> String { "`" + name.replacingAll("`", with: "``") + "`" }

    func string(_ text: String) -> String {
        "'" + text.replacingAll("\\", with: "\\\\").replacingAll("'", with: "\\'") + "'"
    }

    func typeName(_ type: ColumnType) -> String {
        switch type {
        case .boolean: "BOOLEAN"
        case .integer: "BIGINT"
        case .double: "DOUBLE"
        case let .decimal(p, s): "DECIMAL(\(p),\(s))"
        case .text: "STRING"
        case .date: "DATE"
        case .timestamp: "TIMESTAMP"
        }
    }

    func maskHash(_ text: String, _ e: SQLEmitter) -> String { "sha2(\(text), 256)" }

    func integerDivide(_ x: String, _ y: String) -> String { "(\(x) DIV NULLIF(\(y), 0))" }

    func extract(_ part: DatePart, _ value: BoundExpr, _ e: SQLEmitter) -> String {
        let x = e.expr(value)
        switch part {
        case .dayOfWeek: return "(EXTRACT(DOW FROM \(x)) - 1)"
        case .epoch: return "CAST(unix_timestamp(\(x)) AS BIGINT)"
        case .second: return "CAST(floor(EXTRACT(SECOND FROM \(x))) AS BIGINT)"
        default: return "EXTRACT(\(part.rawValue.uppercased()) FROM \(x))"
        }
    }

    func addInterval(_ value: BoundExpr, _ interval: Interval, _ e: SQLEmitter) -> String {
        let x = e.expr(value)
        let (quantity, unit) = quantityAndUnit(interval)
        if value.type == .date { return unit == "month" ? "add_months(\(x), \(quantity))" : "date_add(\(x), \(quantity))" }
        return "(\(x) + INTERVAL \(quantity) \(unit.uppercased()))"
    }

    func addDays(_ date: String, _ days: String) -> String { "date_add(\(date), \(days))" }

    func daysBetween(_ a: String, _ b: String) -> String { "datediff(\(a), \(b))" }
    func rangeInterval(microseconds: Int64, date: Bool) -> String {
        date ? "INTERVAL '\(microseconds / 86_400_000_000)' DAY" : "INTERVAL '\(seconds(microseconds))' SECOND"
    }
    private func seconds(_ microseconds: Int64) -> String {
        let fraction = String(microseconds % 1_000_000)
        return "\(microseconds / 1_000_000).\(String(repeating: "0", count: 6 - fraction.count))\(fraction)"
    }
}
