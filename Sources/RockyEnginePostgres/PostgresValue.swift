import RockyBase

/// One value of a PostgreSQL result or statement parameter, in the types
/// Rocky's tables use. Values travel in libpq's text format; the session is
/// set to ISO dates and UTC (see `PostgresConnection.sessionSetup`), so the
/// text of every type below has one meaning.
///
/// Result columns map by type: `bool`; `int2`, `int4`, `int8`, `oid` to
/// `int64`; `float4`, `float8` to `double`; `numeric` to `numeric` (its exact
/// decimal text, which may exceed 38 digits or be `NaN`); `date`;
/// `timestamp` and `timestamptz` (read in UTC) to `timestamp`; anything else
/// to `text`, as the server prints it.
public enum PostgresValue: Sendable, Hashable, CustomStringConvertible {
    case null
    case bool(Bool)
    case int64(Int64)
    case double(Double)
    /// An exact decimal number as PostgreSQL prints it: `-12.50`, `NaN`.
    case numeric(String)
    case text(String)
    case date(CivilDate)
    case timestamp(Timestamp)

    /// The numeric's value as an exact decimal, when it fits in 38 digits.
    public var exactDecimal: ExactDecimal? {
        if case .numeric(let text) = self { return ExactDecimal(parsing: text) }
        return nil
    }

    public var description: String {
        switch self {
        case .null: "NULL"
        case .bool(let b): b ? "true" : "false"
        case .int64(let i): String(i)
        case .double(let d): String(d)
        case .numeric(let text), .text(let text): text
        case .date(let d): d.description
        case .timestamp(let t): t.description
        }
    }
}

/// Type OIDs of the built-in types the values map to (`pg_type.oid`).
enum TypeOID {
    static let bool: UInt32 = 16
    static let int8: UInt32 = 20
    static let int2: UInt32 = 21
    static let int4: UInt32 = 23
    static let text: UInt32 = 25
    static let oid: UInt32 = 26
    static let float4: UInt32 = 700
    static let float8: UInt32 = 701
    static let date: UInt32 = 1082
    static let timestamp: UInt32 = 1114
    static let timestamptz: UInt32 = 1184
    static let numeric: UInt32 = 1700
}

/// A result column: its name and the OID of its type.
public struct PostgresColumn: Sendable, Hashable {
    public var name: String
    public var typeOID: UInt32

    public init(name: String, typeOID: UInt32) {
        self.name = name
        self.typeOID = typeOID
    }

    /// Reads one value of this column from its text form.
    func decode(_ text: String) throws(PostgresError) -> PostgresValue {
        func bad() -> PostgresError {
            PostgresError(kind: .client, message: "column \(name): cannot read \(text.debugDescription) as type \(typeOID)")
        }
        switch typeOID {
        case TypeOID.bool:
            guard text == "t" || text == "f" else { throw bad() }
            return .bool(text == "t")
        case TypeOID.int8, TypeOID.int2, TypeOID.int4, TypeOID.oid:
            guard let i = Int64(text) else { throw bad() }
            return .int64(i)
        case TypeOID.float4, TypeOID.float8:
            guard let d = Double(text) else { throw bad() }
            return .double(d)
        case TypeOID.numeric:
            return .numeric(text)
        case TypeOID.date:
            // Dates Rocky cannot hold (BC, beyond 9999, infinity) are errors, not text.
            guard let d = CivilDate(parsing: text) else { throw bad() }
            return .date(d)
        case TypeOID.timestamp, TypeOID.timestamptz:
            guard let t = Timestamp(parsing: PostgresColumn.isoOffset(text)) else { throw bad() }
            return .timestamp(t)
        default:
            return .text(text)
        }
    }

    /// PostgreSQL prints a whole-hour offset as `+00`; ISO 8601 wants `+00:00`.
    static func isoOffset(_ text: String) -> String {
        let b = Array(text.utf8)
        guard b.count > 19, b[b.count - 3] == UInt8(ascii: "+") || b[b.count - 3] == UInt8(ascii: "-"),
              b[b.count - 2] >= 48, b[b.count - 2] <= 57, b[b.count - 1] >= 48, b[b.count - 1] <= 57,
              b[b.count - 4] >= 48, b[b.count - 4] <= 57 else { return text }
        return text + ":00"
    }
}

extension PostgresValue {
    /// The parameter's text form (nil for NULL) and the type it is sent as;
    /// text goes as `unknown` (OID 0) so the server types it from context,
    /// the way it types a quoted literal.
    var parameter: (text: String?, type: UInt32) {
        switch self {
        case .null: (nil, 0)
        case .bool(let b): (b ? "t" : "f", TypeOID.bool)
        case .int64(let i): (String(i), TypeOID.int8)
        case .double(let d):
            (d.isNaN ? "NaN" : d.isInfinite ? (d < 0 ? "-Infinity" : "Infinity") : String(d), TypeOID.float8)
        case .numeric(let text): (text, TypeOID.numeric)
        case .text(let text): (text, 0)
        case .date(let d): (d.description, TypeOID.date)
        case .timestamp(let t): (t.description, TypeOID.timestamp)
        }
    }
}

/// One row of a streamed result.
public struct PostgresRow: Sendable {
    public let columns: [PostgresColumn]
    public let values: [PostgresValue]

    public subscript(_ index: Int) -> PostgresValue { values[index] }

    /// The value of the first column named `name`.
    public subscript(_ name: String) -> PostgresValue? {
        columns.firstIndex { $0.name == name }.map { values[$0] }
    }
}

/// What a statement run with `execute` returned: its columns and rows (empty
/// for a command), the command tag (`INSERT 0 3`) and the rows it affected.
public struct PostgresResult: Sendable {
    public var columns: [PostgresColumn]
    public var rows: [[PostgresValue]]
    public var commandTag: String
    /// Rows inserted, updated, deleted, copied or selected; nil when the
    /// command reports none (`CREATE TABLE`).
    public var affectedRows: Int?
}
