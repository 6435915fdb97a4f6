import CSQLite
import RockyBase
import RockyEngine
import RockyStore

/// The `rocky_*` functions of Docs/sql.md ("Helper functions"), registered
/// on a connection as deterministic SQL functions. Each returns NULL when
/// any argument is NULL.
enum HelperFunctions {
    /// The HMAC key of `rocky_mask_hash`, passed to SQLite as user data.
    final class MaskingKey {
        let bytes: [UInt8]?
        init(_ bytes: [UInt8]?) { self.bytes = bytes }
    }

    static func register(on connection: Connection, maskingKey: [UInt8]?) throws {
        let flags = SQLITE_UTF8 | SQLITE_DETERMINISTIC
        let db = connection.handle
        func check(_ code: Int32, _ name: String) throws {
            guard code == SQLITE_OK else { throw connection.error(code, sql: "register \(name)") }
        }
        try check(sqlite3_create_function_v2(db, "rocky_muldiv", 3, flags, nil, { context, _, arguments in
            HelperFunctions.muldiv(context, arguments)
        }, nil, nil, nil), "rocky_muldiv")
        let key = Unmanaged.passRetained(MaskingKey(maskingKey)).toOpaque()
        try check(sqlite3_create_function_v2(db, "rocky_mask_hash", 1, flags, key, { context, _, arguments in
            HelperFunctions.maskHash(context, arguments)
        }, nil, nil, { pointer in
            if let pointer { Unmanaged<MaskingKey>.fromOpaque(pointer).release() }
        }), "rocky_mask_hash")
        try check(sqlite3_create_function_v2(db, "rocky_to_text", 2, flags, nil, { context, _, arguments in
            HelperFunctions.toText(context, arguments)
        }, nil, nil, nil), "rocky_to_text")
        try check(sqlite3_create_function_v2(db, "rocky_from_text", 2, flags, nil, { context, _, arguments in
            HelperFunctions.fromText(context, arguments)
        }, nil, nil, nil), "rocky_from_text")
        try registerChecked(on: connection)
        try registerDecimal(on: connection)
    }

    private static func fail(_ context: OpaquePointer?, _ message: String) {
        sqlite3_result_error(context, message, -1)
    }

    private static func text(_ value: OpaquePointer?) -> String {
        guard let pointer = sqlite3_value_text(value) else { return "" }
        return String(decoding: UnsafeRawBufferPointer(start: pointer, count: Int(sqlite3_value_bytes(value))), as: UTF8.self)
    }

    private static func resultText(_ context: OpaquePointer?, _ string: String) {
        var string = string
        string.withUTF8 { bytes in
            sqlite3_result_text(context, UnsafeRawPointer(bytes.baseAddress)?.assumingMemoryBound(to: CChar.self),
                                Int32(bytes.count), sqliteTransient)
        }
    }

    /// rocky_muldiv(a, b, c): a·b/c exactly, rounded half away from zero.
    static func muldiv(_ context: OpaquePointer?, _ arguments: UnsafeMutablePointer<OpaquePointer?>?) {
        guard let arguments else { return fail(context, "rocky_muldiv: no arguments") }
        var values: (Int64, Int64, Int64) = (0, 0, 0)
        for i in 0..<3 {
            let type = sqlite3_value_type(arguments[i])
            if type == SQLITE_NULL { return sqlite3_result_null(context) }
            guard type == SQLITE_INTEGER else {
                return fail(context, "rocky_muldiv got a non-integer argument: a DECIMAL value lost exactness (64-bit overflow)")
            }
            let v = sqlite3_value_int64(arguments[i])
            switch i {
            case 0: values.0 = v
            case 1: values.1 = v
            default: values.2 = v
            }
        }
        guard let result = exactMulDiv(values.0, values.1, values.2) else {
            if values.2 == 0 { return sqlite3_result_null(context) }
            return fail(context, "rocky_muldiv: the result does not fit 64 bits (DECIMAL overflow)")
        }
        sqlite3_result_int64(context, result)
    }

    /// a·b/c rounded half away from zero in 128-bit arithmetic; nil when c is
    /// 0 or the result does not fit 64 bits.
    static func exactMulDiv(_ a: Int64, _ b: Int64, _ c: Int64) -> Int64? {
        guard c != 0 else { return nil }
        let n = Int128(a) * Int128(b)
        let d = Int128(c)
        var q = n / d
        let r = n % d
        if r.magnitude * 2 >= d.magnitude { q += (n < 0) != (d < 0) ? -1 : 1 }
        return Int64(exactly: q)
    }

    /// rocky_mask_hash(v): hex SHA-256 (HMAC-SHA-256 with the masking key) of v's UTF-8 text.
    static func maskHash(_ context: OpaquePointer?, _ arguments: UnsafeMutablePointer<OpaquePointer?>?) {
        guard let arguments else { return fail(context, "rocky_mask_hash: no argument") }
        if sqlite3_value_type(arguments[0]) == SQLITE_NULL { return sqlite3_result_null(context) }
        let key = sqlite3_user_data(context).map { Unmanaged<MaskingKey>.fromOpaque($0).takeUnretainedValue().bytes } ?? nil
        resultText(context, ValueMasking.hashHex(text(arguments[0]), key: key))
    }

    /// The representation type named by a helper's type argument.
    enum TextType: Equatable {
        /// `wide`: precision over 18, the 16-byte BLOB form (`WideDecimal`).
        case decimal(scale: Int, wide: Bool), date, timestamp

        init?(_ name: String) {
            switch name.uppercased() {
            case "DATE": self = .date
            case "TIMESTAMP": self = .timestamp
            default:
                guard case let .decimal(p, s)? = ColumnType(parsing: name) else { return nil }
                self = .decimal(scale: s, wide: p > 18)
            }
        }

        private final class Box {
            let type: TextType
            init(_ type: TextType) { self.type = type }
        }

        /// The type named by argument 1 of the call, parsed once per
        /// statement: SQLite keeps it as the argument's auxiliary data while
        /// the argument is a constant (it always is in compiled SQL), so the
        /// rows after the first skip the parse.
        static func argument(_ context: OpaquePointer?, _ arguments: UnsafeMutablePointer<OpaquePointer?>) -> TextType? {
            if let cached = sqlite3_get_auxdata(context, 1) {
                return Unmanaged<Box>.fromOpaque(cached).takeUnretainedValue().type
            }
            guard let type = TextType(text(arguments[1])) else { return nil }
            sqlite3_set_auxdata(context, 1, Unmanaged.passRetained(Box(type)).toOpaque()) { box in
                if let box { Unmanaged<Box>.fromOpaque(box).release() }
            }
            return type
        }
    }

    /// rocky_to_text(v, type): the text form of a DECIMAL(p,s), DATE or TIMESTAMP representation.
    static func toText(_ context: OpaquePointer?, _ arguments: UnsafeMutablePointer<OpaquePointer?>?) {
        guard let arguments else { return fail(context, "rocky_to_text: no arguments") }
        if sqlite3_value_type(arguments[0]) == SQLITE_NULL || sqlite3_value_type(arguments[1]) == SQLITE_NULL {
            return sqlite3_result_null(context)
        }
        guard let type = TextType.argument(context, arguments) else { return fail(context, "rocky_to_text: unsupported type \(text(arguments[1]))") }
        if case let .decimal(scale, _) = type, sqlite3_value_type(arguments[0]) == SQLITE_BLOB,
           case let .units(units) = WideDecimal.argument(arguments[0]) {
            return resultText(context, ExactDecimal(units: units, scale: scale).description)
        }
        guard sqlite3_value_type(arguments[0]) == SQLITE_INTEGER else {
            return fail(context, "rocky_to_text: the value is not an INTEGER (a DECIMAL value lost exactness)")
        }
        resultText(context, formatText(sqlite3_value_int64(arguments[0]), type))
    }

    static func formatText(_ v: Int64, _ type: TextType) -> String {
        switch type {
        case let .decimal(scale, _): return ExactDecimal(units: Int128(v), scale: scale).description
        case .date: return CivilDate(daysSinceEpoch: v).description
        case .timestamp:
            // ISO text "YYYY-MM-DDTHH:MM:SS[.ffffff]Z" -> "YYYY-MM-DD HH:MM:SS[.fff]" (trailing zeros dropped).
            var text = Array(Timestamp(microseconds: v).description.utf8)
            text.removeLast()
            if let t = text.firstIndex(of: UInt8(ascii: "T")) { text[t] = UInt8(ascii: " ") }
            if text.contains(UInt8(ascii: ".")) {
                while text.last == UInt8(ascii: "0") { text.removeLast() }
            }
            return String(decoding: text, as: UTF8.self)
        }
    }

    /// rocky_from_text(t, type): parses text into the representation of DECIMAL(p,s), DATE or TIMESTAMP.
    static func fromText(_ context: OpaquePointer?, _ arguments: UnsafeMutablePointer<OpaquePointer?>?) {
        guard let arguments else { return fail(context, "rocky_from_text: no arguments") }
        if sqlite3_value_type(arguments[0]) == SQLITE_NULL || sqlite3_value_type(arguments[1]) == SQLITE_NULL {
            return sqlite3_result_null(context)
        }
        guard let type = TextType.argument(context, arguments) else { return fail(context, "rocky_from_text: unsupported type \(text(arguments[1]))") }
        let input = text(arguments[0])
        switch parseText(input, type) {
        case let .success(v): sqlite3_result_int64(context, v)
        case let .wide(units): _ = WideDecimal.result(context, units, wide: true)
        case let .failure(message): fail(context, "rocky_from_text: \(message)")
        }
    }

    enum Parsed: Equatable {
        case success(Int64)
        /// The units of a DECIMAL of precision over 18 (at most 38 digits).
        case wide(Int128)
        case failure(String)
    }

    static func parseText(_ input: String, _ type: TextType) -> Parsed {
        let trimmed = input.trimmingWhitespace()
        switch type {
        case let .decimal(scale, wide):
            guard let d = ExactDecimal(parsing: trimmed) else { return .failure("'\(input)' is not a decimal number") }
            if wide {
                let rounded = scale >= d.scale ? d.rescaled(to: scale) : d.rounded(toScale: scale)
                guard let units = rounded?.units, units.magnitude <= ExactDecimal.maxUnits.magnitude else {
                    return .failure("'\(input)' has more than 38 digits at scale \(scale) (DECIMAL overflow)")
                }
                return .wide(units)
            }
            guard let v = Int64(exactly: d.rounded(toScale: scale).units) else {
                return .failure("'\(input)' does not fit 64 bits at scale \(scale) (DECIMAL overflow)")
            }
            return .success(v)
        case .date:
            guard let d = CivilDate(parsing: trimmed) else { return .failure("'\(input)' is not a date (YYYY-MM-DD)") }
            return .success(d.daysSinceEpoch)
        case .timestamp:
            guard let t = Timestamp(parsing: trimmed) else { return .failure("'\(input)' is not a timestamp (ISO 8601)") }
            return .success(t.microseconds)
        }
    }
}

extension String {
    /// The text without leading and trailing spaces, tabs and line breaks.
    func trimmingWhitespace() -> String {
        let drop: Set<Unicode.Scalar> = [" ", "\t", "\n", "\r"]
        let scalars = unicodeScalars
        guard let start = scalars.firstIndex(where: { !drop.contains($0) }) else { return "" }
        let end = scalars.lastIndex(where: { !drop.contains($0) })!
        return String(scalars[start...end])
    }
}
