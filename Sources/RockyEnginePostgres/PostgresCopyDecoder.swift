import RockyBase
import RockyEngine
import RockyTable

/// Reads the rows of `COPY (query) TO STDOUT` (text format: tab-separated,
/// `\N` for NULL, backslash escapes, one row per line) straight from the
/// bytes into values of a schema's column types: no result object, no
/// string per value for numbers. What the server prints under the session
/// settings of `PostgresConnection` (ISO dates, UTC, exact floats).
struct PostgresCopyDecoder {
    let types: [ColumnType]
    let names: [String]
    let table: String
    private var row: [Value] = []

    init(schema: Schema, table: String) {
        types = schema.columns.map(\.type)
        names = schema.columns.map(\.name)
        self.table = table
        row.reserveCapacity(types.count)
    }

    /// Decodes the whole rows of `chunk` (copyOut hands whole rows), each to `body`.
    mutating func decode(_ chunk: [UInt8], _ body: ([Value]) throws -> Void) throws {
        try chunk.withUnsafeBufferPointer { bytes in
            var start = 0
            let end = bytes.count
            while start < end {
                row.removeAll(keepingCapacity: true)
                var fieldStart = start
                var i = start
                var column = 0
                while true {
                    let byte = i < end ? bytes[i] : 10
                    if byte == 9 || byte == 10 {
                        guard column < types.count else { throw malformed("more fields than columns") }
                        row.append(try field(UnsafeBufferPointer(rebasing: bytes[fieldStart..<i]), column))
                        column += 1
                        fieldStart = i + 1
                        if byte == 10 { break }
                    }
                    i += 1
                }
                guard column == types.count else { throw malformed("\(column) fields for \(types.count) columns") }
                try body(row)
                start = i + 1
            }
        }
    }

    private func malformed(_ detail: String) -> EngineError {
        .representation(table: table, column: "?", detail: "unreadable COPY row from PostgreSQL: \(detail)")
    }

    private func field(_ b: UnsafeBufferPointer<UInt8>, _ column: Int) throws -> Value {
        if b.count == 2, b[0] == 92, b[1] == 78 { return .null }
        let type = types[column]
        func mismatch() -> EngineError {
            .representation(table: table, column: names[column],
                            detail: "PostgreSQL returned \(String(decoding: b, as: UTF8.self).debugDescription) where a \(type.name) was expected")
        }
        switch type {
        case .boolean:
            guard b.count == 1, b[0] == 116 || b[0] == 102 else { throw mismatch() }
            return .boolean(b[0] == 116)
        case .integer:
            guard let i = PostgresCopyDecoder.integer(b) else { throw mismatch() }
            return .integer(i)
        case let .decimal(p, s):
            guard let d = PostgresCopyDecoder.decimal(b) else {
                throw EngineError.decimalOverflow(table: table, column: names[column],
                                                  detail: "\(String(decoding: b, as: UTF8.self)) does not fit \(type.name)")
            }
            return try PostgresBackend.decimal(d, precision: p, scale: s, table: table, column: names[column], type: type)
        case .double:
            guard let d = Double(String(decoding: b, as: UTF8.self)) else { throw mismatch() }
            return .double(d)
        case .text:
            return .text(PostgresCopyDecoder.text(b))
        case .date:
            guard let d = CivilDate(parsing: String(decoding: b, as: UTF8.self)) else { throw mismatch() }
            return .date(d)
        case .timestamp:
            guard let t = Timestamp(parsing: PostgresColumn.isoOffset(String(decoding: b, as: UTF8.self))) else { throw mismatch() }
            return .timestamp(t)
        }
    }

    /// `[-]digits` as an Int64; nil for anything else or an overflow.
    static func integer(_ b: UnsafeBufferPointer<UInt8>) -> Int64? {
        var i = 0
        let negative = b.count > 0 && b[0] == 45
        if negative { i = 1 }
        guard i < b.count else { return nil }
        var value: Int64 = 0
        while i < b.count {
            let digit = b[i] &- 48
            guard digit < 10 else { return nil }
            let (m, o1) = value.multipliedReportingOverflow(by: 10)
            let (a, o2) = negative ? m.subtractingReportingOverflow(Int64(digit)) : m.addingReportingOverflow(Int64(digit))
            guard !o1, !o2 else { return nil }
            value = a
            i += 1
        }
        return value
    }

    /// `[-]digits[.digits]` (what numeric prints) as an exact decimal of the
    /// digits written; anything else (NaN) through `ExactDecimal(parsing:)`.
    static func decimal(_ b: UnsafeBufferPointer<UInt8>) -> ExactDecimal? {
        var i = 0
        let negative = b.count > 0 && b[0] == 45
        if negative { i = 1 }
        var units: Int128 = 0
        var scale = 0
        var digits = 0
        var point = false
        while i < b.count {
            let byte = b[i]
            if byte == 46, !point {
                point = true
            } else {
                let digit = byte &- 48
                guard digit < 10 else { return ExactDecimal(parsing: String(decoding: b, as: UTF8.self)) }
                units = units * 10 + Int128(digit)
                digits += 1
                if point { scale += 1 }
                guard digits <= 38 else { return nil }
            }
            i += 1
        }
        guard digits > 0 else { return nil }
        return ExactDecimal(units: negative ? -units : units, scale: scale)
    }

    /// A text field with COPY's backslash escapes undone.
    static func text(_ b: UnsafeBufferPointer<UInt8>) -> String {
        guard b.contains(92) else { return String(decoding: b, as: UTF8.self) }
        var out: [UInt8] = []
        out.reserveCapacity(b.count)
        var i = 0
        while i < b.count {
            let byte = b[i]
            i += 1
            guard byte == 92, i < b.count else { out.append(byte); continue }
            let next = b[i]
            i += 1
            switch next {
            case 110: out.append(10) // \n
            case 114: out.append(13) // \r
            case 116: out.append(9) // \t
            case 98: out.append(8) // \b
            case 102: out.append(12) // \f
            case 118: out.append(11) // \v
            case 48...55:
                // \ooo: up to three octal digits.
                var value = Int(next - 48)
                var n = 1
                while n < 3, i < b.count, (48...55).contains(b[i]) {
                    value = value * 8 + Int(b[i] - 48)
                    i += 1
                    n += 1
                }
                out.append(UInt8(truncatingIfNeeded: value))
            default: out.append(next) // \\ and any other: the character itself
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
