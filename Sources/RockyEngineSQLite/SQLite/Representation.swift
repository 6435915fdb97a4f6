import CSQLite
import RockyBase
import RockyEngine
import RockySQL
import RockyTable

/// The SQLite representation contract of Docs/sql.md, both ways:
///
/// | Rocky type | SQLite value |
/// |---|---|
/// | BOOLEAN | INTEGER 0 or 1 |
/// | INTEGER | INTEGER |
/// | DOUBLE | REAL |
/// | DECIMAL(p,s), p <= 18 | INTEGER holding value × 10^s |
/// | DECIMAL(p,s), p > 18 | 16-byte BLOB of value × 10^s (`WideDecimal`) |
/// | TEXT | TEXT |
/// | DATE | INTEGER days since 1970-01-01 |
/// | TIMESTAMP | INTEGER microseconds since 1970-01-01T00:00:00Z |
///
/// SQLite has no NaN: a DOUBLE NaN is stored as NULL (`sqlite3_bind_double`
/// does so itself). Everything else round-trips exactly.
enum Representation {
    /// Where a value belongs, for messages.
    struct Place {
        var table: String
        var column: String
    }

    /// Binds `value` of a column of `type` to parameter `index`.
    static func bind(_ value: Value, type: ColumnType, to statement: PreparedStatement, at index: Int32, place: @autoclosure () -> Place) throws {
        switch value {
        case .null: statement.bindNull(at: index)
        case let .boolean(b): statement.bind(Int64(b ? 1 : 0), at: index)
        case let .integer(i): statement.bind(i, at: index)
        case let .double(d): statement.bind(d, at: index)
        case let .decimal(d):
            let scale: Int
            if case let .decimal(_, s) = type { scale = s } else { scale = d.scale }
            let units = (d.rescaled(to: scale) ?? d.rounded(toScale: scale)).units
            if isWide(type) { return statement.bind(wideDecimal: units, at: index) }
            guard let small = Int64(exactly: units) else {
                let p = place()
                throw EngineError.decimalOverflow(table: p.table, column: p.column,
                                                  detail: "\(d) does not fit SQLite's 64-bit representation of \(type)")
            }
            statement.bind(small, at: index)
        case let .text(s): statement.bind(text: s, at: index)
        case let .date(d): statement.bind(d.daysSinceEpoch, at: index)
        case let .timestamp(t): statement.bind(t.microseconds, at: index)
        }
    }

    /// Whether `type` is a DECIMAL of precision over 18, in the BLOB form.
    @inline(__always)
    static func isWide(_ type: ColumnType) -> Bool {
        if case let .decimal(p, _) = type { return p > 18 }
        return false
    }

    /// The units of a wide DECIMAL result cell, its precision checked.
    static func wideUnits(_ bytes: UnsafeRawBufferPointer, type: ColumnType, place: @autoclosure () -> Place) throws -> Int128 {
        guard bytes.count == WideDecimal.byteCount, let base = bytes.baseAddress else {
            let p = place()
            throw EngineError.representation(table: p.table, column: p.column, detail: "a \(type.name) value came back from SQLite as a BLOB of \(bytes.count) bytes")
        }
        let units = WideDecimal.units(base)
        guard case let .decimal(precision, scale) = type else { return units }
        guard units.magnitude <= WideDecimal.limit(precision: precision) else {
            let p = place()
            throw EngineError.decimalPrecision(table: p.table, column: p.column,
                                               value: ExactDecimal(units: units, scale: scale).description, type: type.name)
        }
        return units
    }

    /// The largest DECIMAL(p, s) magnitude in the representation, per precision.
    static func decimalLimit(_ type: ColumnType) -> UInt64 {
        guard case let .decimal(p, _) = type, p < 19 else { return UInt64.max }
        var limit: UInt64 = 1
        for _ in 0..<p { limit *= 10 }
        return limit - 1
    }

    /// Reads result column `index` as a value of `type`. A DECIMAL or
    /// INTEGER that comes back as REAL means SQLite overflowed 64 bits: an
    /// error, never a conversion. DECIMAL precision is checked.
    static func read(_ statement: PreparedStatement, _ index: Int32, type: ColumnType, place: @autoclosure () -> Place) throws -> Value {
        let storage = statement.type(index)
        if storage == SQLITE_NULL { return .null }
        switch type {
        case .double:
            if storage == SQLITE_FLOAT || storage == SQLITE_INTEGER { return .double(statement.double(index)).canonical }
        case .text:
            if storage != SQLITE_BLOB { return .text(statement.text(index)) }
        case let .decimal(_, s) where isWide(type):
            if storage == SQLITE_BLOB {
                return .decimal(ExactDecimal(units: try wideUnits(statement.blobBytes(index), type: type, place: place()), scale: s))
            }
        default:
            if storage == SQLITE_INTEGER {
                let v = statement.int64(index)
                switch type {
                case .boolean: return .boolean(v != 0)
                case .integer: return .integer(v)
                case .date: return .date(CivilDate(daysSinceEpoch: v))
                case .timestamp: return .timestamp(Timestamp(microseconds: v))
                case let .decimal(_, s):
                    guard v.magnitude <= decimalLimit(type) else {
                        let p = place()
                        throw EngineError.decimalPrecision(table: p.table, column: p.column,
                                                           value: ExactDecimal(units: Int128(v), scale: s).description, type: type.name)
                    }
                    return .decimal(ExactDecimal(units: Int128(v), scale: s))
                default: break
                }
            }
        }
        throw mismatch(storage: storage, type: type, real: statement.double(index), place: place())
    }

    /// The error for a value of SQLite storage class `storage` where `type` was
    /// expected (`real`: the value as a REAL, for the message).
    static func mismatch(storage: Int32, type: ColumnType, real: Double, place: Place) -> EngineError {
        if storage == SQLITE_FLOAT, case .decimal = type {
            return .decimalOverflow(table: place.table, column: place.column,
                                    detail: "the result exceeded 64 bits in SQLite (it came back as the REAL \(real))")
        }
        if storage == SQLITE_FLOAT, type == .integer {
            return .representation(table: place.table, column: place.column,
                                   detail: "integer overflow: the INTEGER result exceeded 64 bits in SQLite")
        }
        let name = switch storage {
        case SQLITE_INTEGER: "INTEGER"
        case SQLITE_FLOAT: "REAL"
        case SQLITE_TEXT: "TEXT"
        default: "BLOB"
        }
        return .representation(table: place.table, column: place.column,
                               detail: "a \(type.name) value came back from SQLite as \(name)")
    }

    /// The SQLite column type for a Rocky type (its affinity): the one the
    /// compiler's SQLite dialect emits, so cache tables and compiled SQL agree.
    static func sqliteType(_ type: ColumnType) -> String { Dialect.sqlite.typeName(type) }
}
