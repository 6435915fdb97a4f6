import CSQLite
import RockyEngine

/// `rocky_string_agg(value, separator, flags, key...)`: STRING_AGG in a
/// given order, which SQLite 3.40's own aggregates cannot take. `flags` holds
/// two letters per key: `a`/`d` (ascending, descending), then `f`/`l` (NULLs
/// first, last); a leading `u` keeps each distinct value once. NULL values
/// are skipped; no values give NULL (Docs/sql.md, STRING_AGG).
extension HelperFunctions {
    static func registerStringAgg(on connection: Connection) throws {
        let code = sqlite3_create_function_v2(connection.handle, "rocky_string_agg", -1, SQLITE_UTF8 | SQLITE_DETERMINISTIC, nil, nil,
            { context, count, arguments in HelperFunctions.stringAggStep(context, Int(count), arguments) },
            { context in HelperFunctions.stringAggFinal(context) }, nil)
        guard code == SQLITE_OK else { throw connection.error(code, sql: "register rocky_string_agg") }
    }

    /// One sort key's value as SQLite gave it.
    enum SortKey {
        case null, integer(Int64), real(Double), text([UInt8])

        init(_ value: OpaquePointer?) {
            switch sqlite3_value_type(value) {
            case SQLITE_INTEGER: self = .integer(sqlite3_value_int64(value))
            case SQLITE_FLOAT: self = .real(sqlite3_value_double(value))
            case SQLITE_NULL: self = .null
            default: self = .text(HelperFunctions.bytes(value))
            }
        }

        /// -1, 0 or 1, NULLs aside (both sides are non-NULL).
        static func compare(_ a: SortKey, _ b: SortKey) -> Int {
            switch (a, b) {
            case let (.integer(x), .integer(y)): return x < y ? -1 : x > y ? 1 : 0
            case let (.text(x), .text(y)): return x.lexicographicallyPrecedes(y) ? -1 : y.lexicographicallyPrecedes(x) ? 1 : 0
            case (.text, _): return 1
            case (_, .text): return -1
            default:
                let x = a.double, y = b.double
                return x < y ? -1 : x > y ? 1 : 0
            }
        }

        var double: Double {
            switch self {
            case let .integer(i): Double(i)
            case let .real(d): d
            default: 0
            }
        }

        var isNull: Bool { if case .null = self { true } else { false } }
    }

    final class StringAggState {
        var separator: [UInt8] = []
        var flags: [UInt8] = []
        var entries: [(keys: [SortKey], value: [UInt8])] = []

        /// Whether `a` sorts before `b` by the keys, then by the value.
        func precedes(_ a: (keys: [SortKey], value: [UInt8]), _ b: (keys: [SortKey], value: [UInt8])) -> Bool {
            let offset = flags.first == UInt8(ascii: "u") ? 1 : 0
            for i in a.keys.indices {
                let descending = flags.count > offset + 2 * i && flags[offset + 2 * i] == UInt8(ascii: "d")
                let nullsFirst = flags.count > offset + 2 * i + 1 && flags[offset + 2 * i + 1] == UInt8(ascii: "f")
                let x = a.keys[i], y = b.keys[i]
                if x.isNull || y.isNull {
                    if x.isNull && y.isNull { continue }
                    return x.isNull == nullsFirst
                }
                let c = SortKey.compare(x, y)
                if c != 0 { return descending ? c > 0 : c < 0 }
            }
            return a.value.lexicographicallyPrecedes(b.value)
        }
    }

    static func bytes(_ value: OpaquePointer?) -> [UInt8] {
        guard let pointer = sqlite3_value_text(value) else { return [] }
        return Array(UnsafeRawBufferPointer(start: pointer, count: Int(sqlite3_value_bytes(value))))
    }

    private static func stringAggState(_ context: OpaquePointer?, allocate: Bool) -> StringAggState? {
        let size = Int32(MemoryLayout<UnsafeMutableRawPointer?>.stride)
        guard let raw = sqlite3_aggregate_context(context, allocate ? size : 0) else { return nil }
        let slot = raw.assumingMemoryBound(to: UnsafeMutableRawPointer?.self)
        if let pointer = slot.pointee { return Unmanaged<StringAggState>.fromOpaque(pointer).takeUnretainedValue() }
        guard allocate else { return nil }
        let state = StringAggState()
        slot.pointee = Unmanaged.passRetained(state).toOpaque()
        return state
    }

    static func stringAggStep(_ context: OpaquePointer?, _ count: Int, _ arguments: UnsafeMutablePointer<OpaquePointer?>?) {
        guard let arguments, count >= 3 else { return sqlite3_result_error(context, "rocky_string_agg needs 3 arguments or more", -1) }
        guard sqlite3_value_type(arguments[0]) != SQLITE_NULL else { return }
        guard let state = stringAggState(context, allocate: true) else { return sqlite3_result_error_nomem(context) }
        if state.entries.isEmpty {
            state.separator = bytes(arguments[1])
            state.flags = bytes(arguments[2])
        }
        let keys = (3..<count).map { SortKey(arguments[$0]) }
        state.entries.append((keys, bytes(arguments[0])))
    }

    static func stringAggFinal(_ context: OpaquePointer?) {
        guard let raw = sqlite3_aggregate_context(context, 0),
              let pointer = raw.assumingMemoryBound(to: UnsafeMutableRawPointer?.self).pointee else {
            return sqlite3_result_null(context)
        }
        let state = Unmanaged<StringAggState>.fromOpaque(pointer).takeRetainedValue()
        raw.assumingMemoryBound(to: UnsafeMutableRawPointer?.self).pointee = nil
        guard !state.entries.isEmpty else { return sqlite3_result_null(context) }
        let sorted = state.entries.sorted(by: state.precedes)
        let distinct = state.flags.first == UInt8(ascii: "u")
        var result: [UInt8] = []
        var previous: [UInt8]?
        for entry in sorted {
            if distinct, entry.value == previous { continue }
            if previous != nil { result += state.separator }
            result += entry.value
            previous = entry.value
        }
        result.append(0)
        result.withUnsafeBufferPointer { buffer in
            sqlite3_result_text(context, UnsafeRawPointer(buffer.baseAddress)?.assumingMemoryBound(to: CChar.self),
                                Int32(buffer.count - 1), sqliteTransient)
        }
    }
}
