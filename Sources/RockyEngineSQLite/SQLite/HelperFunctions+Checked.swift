import Foundation
import CSQLite
import RockyBase
import RockyEngine

/// The helpers that keep SQLite from answering where Rocky's SQL promises an
/// error or an exact value (Docs/sql.md, "Helper functions"): checked casts,
/// the one-row check of scalar subqueries, Unicode case mapping, an exact
/// scaled product-quotient and numerically stable variance aggregates.
extension HelperFunctions {
    static func registerChecked(on connection: Connection) throws {
        let flags = SQLITE_UTF8 | SQLITE_DETERMINISTIC
        let db = connection.handle
        func check(_ code: Int32, _ name: String) throws {
            guard code == SQLITE_OK else { throw connection.error(code, sql: "register \(name)") }
        }
        try check(sqlite3_create_function_v2(db, "rocky_cast", 3, flags, nil, { context, _, arguments in
            HelperFunctions.checkedCast(context, arguments)
        }, nil, nil, nil), "rocky_cast")
        try check(sqlite3_create_function_v2(db, "rocky_from_text", 3, flags, nil, { context, _, arguments in
            HelperFunctions.fromTextAt(context, arguments)
        }, nil, nil, nil), "rocky_from_text")
        try check(sqlite3_create_function_v2(db, "rocky_scalar", 3, flags, nil, { context, _, arguments in
            HelperFunctions.scalar(context, arguments)
        }, nil, nil, nil), "rocky_scalar")
        try check(sqlite3_create_function_v2(db, "rocky_recursion_limit", 3, flags, nil, { context, _, arguments in
            HelperFunctions.recursionLimit(context, arguments)
        }, nil, nil, nil), "rocky_recursion_limit")
        try check(sqlite3_create_function_v2(db, "rocky_upper", 1, flags, nil, { context, _, arguments in
            HelperFunctions.caseMapped(context, arguments, upper: true)
        }, nil, nil, nil), "rocky_upper")
        try check(sqlite3_create_function_v2(db, "rocky_lower", 1, flags, nil, { context, _, arguments in
            HelperFunctions.caseMapped(context, arguments, upper: false)
        }, nil, nil, nil), "rocky_lower")
        try check(sqlite3_create_function_v2(db, "rocky_log10", 1, flags, nil, { context, _, arguments in
            HelperFunctions.log10(context, arguments)
        }, nil, nil, nil), "rocky_log10")
        try check(sqlite3_create_function_v2(db, "rocky_muldiv", 4, flags, nil, { context, _, arguments in
            HelperFunctions.scaledMulDiv(context, arguments)
        }, nil, nil, nil), "rocky_muldiv")
        for kind in VarianceKind.allCases {
            let name = "rocky_\(kind.name)"
            try check(sqlite3_create_window_function(db, name, 1, flags, UnsafeMutableRawPointer(bitPattern: kind.rawValue),
                { context, _, arguments in HelperFunctions.varianceStep(context, arguments, inverse: false) },
                { context in HelperFunctions.varianceResult(context, final: true) },
                { context in HelperFunctions.varianceResult(context, final: false) },
                { context, _, arguments in HelperFunctions.varianceStep(context, arguments, inverse: true) },
                nil), name)
        }
        for kind in VarianceKind.allCases {
            let name = "rocky_exact_\(kind.name)"
            try check(sqlite3_create_window_function(db, name, 2, flags, UnsafeMutableRawPointer(bitPattern: kind.rawValue),
                { context, _, arguments in HelperFunctions.exactVarianceStep(context, arguments, inverse: false) },
                { context in HelperFunctions.varianceResult(context, final: true) },
                { context in HelperFunctions.varianceResult(context, final: false) },
                { context, _, arguments in HelperFunctions.exactVarianceStep(context, arguments, inverse: true) },
                nil), name)
        }
        try registerStringAgg(on: connection)
    }

    private static func failure(_ context: OpaquePointer?, _ message: String) {
        sqlite3_result_error(context, message, -1)
    }

    private static func argumentText(_ value: OpaquePointer?) -> String {
        guard let pointer = sqlite3_value_text(value) else { return "" }
        return String(decoding: UnsafeRawBufferPointer(start: pointer, count: Int(sqlite3_value_bytes(value))), as: UTF8.self)
    }

    private static func result(_ context: OpaquePointer?, text: String) {
        var string = text
        string.withUTF8 { bytes in
            sqlite3_result_text(context, UnsafeRawPointer(bytes.baseAddress)?.assumingMemoryBound(to: CChar.self),
                                Int32(bytes.count), sqliteTransient)
        }
    }

    // MARK: Casts

    /// What `rocky_cast` converts to.
    enum CastTarget: Equatable {
        case integer, double, boolean
        case decimal(precision: Int, scale: Int)

        init?(_ name: String) {
            switch name {
            case "INTEGER": self = .integer
            case "DOUBLE": self = .double
            case "BOOLEAN": self = .boolean
            default:
                guard case let .decimal(p, s)? = ColumnType(parsing: name) else { return nil }
                self = .decimal(precision: p, scale: s)
            }
        }
    }

    /// The result of a checked cast: an SQLite value, NULL, or the message of the error.
    enum CastResult: Equatable {
        case integer(Int64), double(Double), null
        /// The units of a DECIMAL of precision over 18 (`WideDecimal`).
        case wide(Int128)
        case failure(String)
    }

    /// rocky_cast(v, type, position): CAST of a TEXT or REAL value to INTEGER,
    /// DOUBLE, BOOLEAN or DECIMAL(p,s) (REAL only), an error naming the value
    /// and the cast's position in the statement when the value has no such form.
    static func checkedCast(_ context: OpaquePointer?, _ arguments: UnsafeMutablePointer<OpaquePointer?>?) {
        guard let arguments else { return failure(context, "rocky_cast: no arguments") }
        let storage = sqlite3_value_type(arguments[0])
        if storage == SQLITE_NULL { return sqlite3_result_null(context) }
        guard let target = CastTarget(argumentText(arguments[1])) else {
            return failure(context, "rocky_cast: unsupported type \(argumentText(arguments[1]))")
        }
        let outcome: CastResult
        switch storage {
        case SQLITE_INTEGER where target == .integer || target == .double:
            outcome = target == .integer ? .integer(sqlite3_value_int64(arguments[0])) : .double(sqlite3_value_double(arguments[0]))
        case SQLITE_INTEGER, SQLITE_FLOAT:
            outcome = cast(double: sqlite3_value_double(arguments[0]), to: target)
        default:
            outcome = cast(text: argumentText(arguments[0]), to: target)
        }
        switch outcome {
        case let .integer(v): sqlite3_result_int64(context, v)
        case let .double(d): sqlite3_result_double(context, d)
        case let .wide(units): _ = WideDecimal.result(context, units, wide: true)
        case .null: sqlite3_result_null(context)
        case let .failure(message): failure(context, "rocky_cast: \(message) (cast at \(argumentText(arguments[2])))")
        }
    }

    /// A DOUBLE converted: to INTEGER and DECIMAL rounded half away from zero,
    /// an error when the result does not fit (or is not finite).
    static func cast(double d: Double, to target: CastTarget) -> CastResult {
        switch target {
        case .double: return .double(d)
        case .boolean: return .integer(d != 0 ? 1 : 0)
        case .integer:
            let r = d.rounded(.toNearestOrAwayFromZero)
            guard r.isFinite, r >= -9_223_372_036_854_775_808.0, r < 9_223_372_036_854_775_808.0 else {
                return .failure("'\(d)' is out of range for INTEGER")
            }
            return .integer(Int64(r))
        case let .decimal(p, s):
            let limit = Double(ExactDecimal.pow10(p))
            let r = (d * Double(ExactDecimal.pow10(s))).rounded(.toNearestOrAwayFromZero)
            if p > 18 {
                guard r.isFinite, r.magnitude < limit, let units = Int128(exactly: r) else {
                    return .failure("'\(d)' does not fit DECIMAL(\(p),\(s))")
                }
                return .wide(units)
            }
            guard r.isFinite, r.magnitude < limit, r.magnitude < 9_223_372_036_854_775_808.0 else {
                return .failure("'\(d)' does not fit DECIMAL(\(p),\(s))")
            }
            return .integer(Int64(r))
        }
    }

    /// TEXT converted as PostgreSQL does, surrounding whitespace ignored:
    /// INTEGER takes an optional sign and digits only; DOUBLE a decimal
    /// number with an optional exponent, `Infinity`/`inf` or `NaN` (NULL in
    /// SQLite); BOOLEAN true/false/t/f/yes/no/y/n/on/off/1/0 in any case.
    static func cast(text input: String, to target: CastTarget) -> CastResult {
        let trimmed = input.trimmingWhitespace()
        switch target {
        case .integer:
            var digits = Substring(trimmed)
            var negative = false
            if let sign = digits.first, sign == "+" || sign == "-" {
                negative = sign == "-"
                digits = digits.dropFirst()
            }
            guard !digits.isEmpty, digits.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else {
                return .failure("invalid input for INTEGER: '\(input)'")
            }
            var value: Int64 = 0
            for byte in digits.utf8 {
                let digit = Int64(byte - UInt8(ascii: "0"))
                let (times, o1) = value.multipliedReportingOverflow(by: 10)
                let (next, o2) = negative ? times.subtractingReportingOverflow(digit) : times.addingReportingOverflow(digit)
                if o1 || o2 { return .failure("'\(input)' is out of range for INTEGER") }
                value = next
            }
            return .integer(value)
        case .double:
            guard let d = parseDouble(trimmed) else { return .failure("invalid input for DOUBLE: '\(input)'") }
            return d.isNaN ? .null : .double(d)
        case .boolean:
            switch trimmed.lowercased() {
            case "true", "t", "yes", "y", "on", "1": return .integer(1)
            case "false", "f", "no", "n", "off", "0": return .integer(0)
            default: return .failure("invalid input for BOOLEAN: '\(input)'")
            }
        case .decimal:
            return .failure("rocky_cast does not convert TEXT to DECIMAL (rocky_from_text does)")
        }
    }

    /// A decimal number (`-1.5`, `.5`, `2.`, `1e-3`), `inf`/`infinity` or `nan`, signed; nil otherwise.
    static func parseDouble(_ text: String) -> Double? {
        var rest = Substring(text)
        var sign = ""
        if let first = rest.first, first == "+" || first == "-" {
            sign = first == "-" ? "-" : ""
            rest = rest.dropFirst()
        }
        switch rest.lowercased() {
        case "inf", "infinity": return sign == "-" ? -.infinity : .infinity
        case "nan": return .nan
        default: break
        }
        let bytes = Array(rest.utf8)
        func isDigit(_ b: UInt8) -> Bool { b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9") }
        var i = 0, mantissaDigits = 0
        while i < bytes.count, isDigit(bytes[i]) { i += 1; mantissaDigits += 1 }
        if i < bytes.count, bytes[i] == UInt8(ascii: ".") {
            i += 1
            while i < bytes.count, isDigit(bytes[i]) { i += 1; mantissaDigits += 1 }
        }
        guard mantissaDigits > 0 else { return nil }
        if i < bytes.count, bytes[i] == UInt8(ascii: "e") || bytes[i] == UInt8(ascii: "E") {
            i += 1
            if i < bytes.count, bytes[i] == UInt8(ascii: "+") || bytes[i] == UInt8(ascii: "-") { i += 1 }
            let start = i
            while i < bytes.count, isDigit(bytes[i]) { i += 1 }
            guard i > start else { return nil }
        }
        guard i == bytes.count else { return nil }
        return Double(sign + String(rest))
    }

    /// rocky_from_text(t, type, position): rocky_from_text(t, type), whose
    /// error also names the cast's position in the statement.
    static func fromTextAt(_ context: OpaquePointer?, _ arguments: UnsafeMutablePointer<OpaquePointer?>?) {
        guard let arguments else { return failure(context, "rocky_from_text: no arguments") }
        if sqlite3_value_type(arguments[0]) == SQLITE_NULL || sqlite3_value_type(arguments[1]) == SQLITE_NULL {
            return sqlite3_result_null(context)
        }
        guard let type = TextType.argument(context, arguments) else {
            return failure(context, "rocky_from_text: unsupported type \(argumentText(arguments[1]))")
        }
        switch parseText(argumentText(arguments[0]), type) {
        case let .success(v): sqlite3_result_int64(context, v)
        case let .wide(units): _ = WideDecimal.result(context, units, wide: true)
        case let .failure(message): failure(context, "rocky_from_text: \(message) (cast at \(argumentText(arguments[2])))")
        }
    }

    // MARK: Scalar subqueries

    /// rocky_scalar(rows, value, position): `value` when the subquery gave at
    /// most one row, else the error PostgreSQL gives.
    static func scalar(_ context: OpaquePointer?, _ arguments: UnsafeMutablePointer<OpaquePointer?>?) {
        guard let arguments else { return failure(context, "rocky_scalar: no arguments") }
        guard sqlite3_value_int64(arguments[0]) <= 1 else {
            return failure(context, "more than one row returned by a subquery used as an expression (subquery at \(argumentText(arguments[2])))")
        }
        sqlite3_result_value(context, arguments[1])
    }

    /// rocky_recursion_limit(rows, limit, cte): TRUE when a recursive CTE
    /// gave at most `limit` rows, else the error that stops a runaway recursion.
    static func recursionLimit(_ context: OpaquePointer?, _ arguments: UnsafeMutablePointer<OpaquePointer?>?) {
        guard let arguments else { return failure(context, "rocky_recursion_limit: no arguments") }
        let limit = sqlite3_value_int64(arguments[1])
        guard sqlite3_value_int64(arguments[0]) <= limit else {
            return failure(context, "WITH RECURSIVE '\(argumentText(arguments[2]))' produced more than \(limit) rows (a recursion that does not end?)")
        }
        sqlite3_result_int64(context, 1)
    }

    // MARK: Text

    /// rocky_upper(t), rocky_lower(t): Unicode case mapping (`UPPER('héllo')` is `HÉLLO`).
    static func caseMapped(_ context: OpaquePointer?, _ arguments: UnsafeMutablePointer<OpaquePointer?>?, upper: Bool) {
        guard let arguments else { return failure(context, "rocky_upper: no arguments") }
        if sqlite3_value_type(arguments[0]) == SQLITE_NULL { return sqlite3_result_null(context) }
        let text = argumentText(arguments[0])
        result(context, text: upper ? text.uppercased() : text.lowercased())
    }

    /// rocky_log10(x): the C library's log10 (SQLite's own divides ln(x) by
    /// ln(10), so LOG10(1000) would be 2.9999999999999996); NULL for x <= 0.
    static func log10(_ context: OpaquePointer?, _ arguments: UnsafeMutablePointer<OpaquePointer?>?) {
        guard let arguments else { return failure(context, "rocky_log10: no arguments") }
        if sqlite3_value_type(arguments[0]) == SQLITE_NULL { return sqlite3_result_null(context) }
        let x = sqlite3_value_double(arguments[0])
        guard x > 0 else { return sqlite3_result_null(context) }
        sqlite3_result_double(context, Foundation.log10(x))
    }

    // MARK: Exact arithmetic

    /// rocky_muldiv(a, b, e, c): a·b·10^e / c exactly, rounded half away from
    /// zero (e may be negative); NULL when c is 0.
    static func scaledMulDiv(_ context: OpaquePointer?, _ arguments: UnsafeMutablePointer<OpaquePointer?>?) {
        guard let arguments else { return failure(context, "rocky_muldiv: no arguments") }
        var values: [Int64] = []
        for i in 0..<4 {
            let type = sqlite3_value_type(arguments[i])
            if type == SQLITE_NULL { return sqlite3_result_null(context) }
            guard type == SQLITE_INTEGER else {
                return failure(context, "rocky_muldiv got a non-integer argument: a DECIMAL value lost exactness (64-bit overflow)")
            }
            values.append(sqlite3_value_int64(arguments[i]))
        }
        if values[3] == 0 { return sqlite3_result_null(context) }
        guard let result = exactScaledMulDiv(values[0], values[1], Int(values[2]), values[3]) else {
            return failure(context, "rocky_muldiv: the result does not fit 64 bits (DECIMAL overflow)")
        }
        sqlite3_result_int64(context, result)
    }

    /// a·b·10^e / c rounded half away from zero in 128-bit arithmetic; nil
    /// when c is 0 or an intermediate or the result does not fit.
    static func exactScaledMulDiv(_ a: Int64, _ b: Int64, _ e: Int, _ c: Int64) -> Int64? {
        guard c != 0, e > -38, e < 38 else { return nil }
        var n = Int128(a) * Int128(b)
        var d = Int128(c)
        if e >= 0 {
            let (m, overflow) = n.multipliedReportingOverflow(by: ExactDecimal.pow10(e))
            if overflow { return nil }
            n = m
        } else {
            let (m, overflow) = d.multipliedReportingOverflow(by: ExactDecimal.pow10(-e))
            if overflow { return nil }
            d = m
        }
        var q = n / d
        let r = n % d
        if r.magnitude >= d.magnitude - r.magnitude { q += (n < 0) != (d < 0) ? -1 : 1 }
        return Int64(exactly: q)
    }

    // MARK: Variance

    enum VarianceKind: Int, CaseIterable {
        case varSamp = 1, varPop, stddevSamp, stddevPop

        var name: String {
            switch self {
            case .varSamp: "var_samp"
            case .varPop: "var_pop"
            case .stddevSamp: "stddev_samp"
            case .stddevPop: "stddev_pop"
            }
        }
    }

    /// The values of an aggregate's frame and Welford's running count, mean
    /// and sum of squared deviations over them. Adding a value updates the
    /// sums; removing one (a sliding window frame) would lose digits, so it
    /// marks them stale and the next result is computed afresh from the
    /// values, in two passes.
    final class Variance {
        private var values: [Double] = []
        private var head = 0
        private var count = 0
        private var mean = 0.0
        private var m2 = 0.0
        private var stale = false

        func add(_ x: Double) {
            values.append(x)
            guard !stale else { return }
            count += 1
            let delta = x - mean
            mean += delta / Double(count)
            m2 += delta * (x - mean)
        }

        /// Removes `x`: the oldest value, as window frames move forward.
        func remove(_ x: Double) {
            if head < values.count, values[head] == x || (values[head].isNaN && x.isNaN) {
                head += 1
            } else if let i = values[head...].firstIndex(of: x) {
                values.remove(at: i)
            }
            if head > 64, head * 2 > values.count {
                values.removeFirst(head)
                head = 0
            }
            stale = true
        }

        /// Exact sums of scaled integers (`addExact`): count, Σu, Σu², the
        /// scale; nil once a value was not one or a sum overflowed.
        private var exact: (count: Int, sum: Int128, squares: Int128, scale: Int)?
        private var inexact = false

        func loseExactness() {
            exact = nil
            inexact = true
        }

        /// Adds (or, `inverse`, removes) units·10^-scale, exactly and as a DOUBLE.
        func addExact(_ units: Int64, scale: Int, inverse: Bool) {
            let x = Double(units) / pow(10, Double(scale))
            if inverse { remove(x) } else { add(x) }
            guard !inexact else { return }
            var e = exact ?? (0, 0, 0, scale)
            let u = Int128(units)
            let (square, o1) = u.multipliedReportingOverflow(by: u)
            let (sum, o2) = inverse ? e.sum.subtractingReportingOverflow(u) : e.sum.addingReportingOverflow(u)
            let (squares, o3) = inverse ? e.squares.subtractingReportingOverflow(square) : e.squares.addingReportingOverflow(square)
            guard !o1, !o2, !o3, e.scale == scale else { return loseExactness() }
            e.count += inverse ? -1 : 1
            e.sum = sum
            e.squares = squares
            e.scale = scale
            exact = e
        }

        /// N = n·Σu² − (Σu)², as a correctly rounded DOUBLE of N·10^(-2·scale),
        /// over n·(n−1) or n·n: what PostgreSQL computes in NUMERIC, then
        /// float8 (SQLEmitter.exactVariance). Nil when the sums overflow.
        private func exactValue(_ kind: VarianceKind) -> Double?? {
            guard let e = exact, !inexact else { return nil }
            let sample = kind == .varSamp || kind == .stddevSamp
            guard e.count > (sample ? 1 : 0) else { return .some(nil) }
            let n = Int128(e.count)
            let (a, o1) = n.multipliedReportingOverflow(by: e.squares)
            let (b, o2) = e.sum.multipliedReportingOverflow(by: e.sum)
            guard !o1, !o2 else { return nil }
            let (numerator, o3) = a.subtractingReportingOverflow(b)
            guard !o3, let scaled = Double("\(numerator)e-\(2 * e.scale)") else { return nil }
            let denominator = sample ? Double(e.count) * Double(e.count - 1) : Double(e.count) * Double(e.count)
            let variance = scaled / denominator
            return .some(kind == .varSamp || kind == .varPop ? variance : variance.squareRoot())
        }

        func value(_ kind: VarianceKind) -> Double? {
            if let exact = exactValue(kind) { return exact }
            if stale {
                let frame = values[head...]
                count = frame.count
                mean = count == 0 ? 0 : frame.reduce(0, +) / Double(count)
                m2 = frame.reduce(0) { $0 + ($1 - mean) * ($1 - mean) }
                stale = false
            }
            let sample = kind == .varSamp || kind == .stddevSamp
            guard count > (sample ? 1 : 0) else { return nil }
            let variance = max(m2, 0) / Double(sample ? count - 1 : count)
            return kind == .varSamp || kind == .varPop ? variance : variance.squareRoot()
        }
    }

    /// The aggregate's state: SQLite keeps a pointer to it, zero until the first value.
    private static func variance(_ context: OpaquePointer?, allocate: Bool) -> Variance? {
        let size = Int32(MemoryLayout<UnsafeMutableRawPointer?>.stride)
        guard let raw = sqlite3_aggregate_context(context, allocate ? size : 0) else { return nil }
        let slot = raw.assumingMemoryBound(to: UnsafeMutableRawPointer?.self)
        if let pointer = slot.pointee { return Unmanaged<Variance>.fromOpaque(pointer).takeUnretainedValue() }
        guard allocate else { return nil }
        let state = Variance()
        slot.pointee = Unmanaged.passRetained(state).toOpaque()
        return state
    }

    static func varianceStep(_ context: OpaquePointer?, _ arguments: UnsafeMutablePointer<OpaquePointer?>?, inverse: Bool) {
        guard let arguments, sqlite3_value_type(arguments[0]) != SQLITE_NULL else { return }
        guard let state = variance(context, allocate: true) else { return sqlite3_result_error_nomem(context) }
        let x = sqlite3_value_double(arguments[0])
        if inverse { state.remove(x) } else { state.add(x) }
    }

    /// A step of `rocky_exact_<kind>(units, scale)`: a scaled integer (a
    /// value that is not one, or sums that overflow, fall back to Welford).
    static func exactVarianceStep(_ context: OpaquePointer?, _ arguments: UnsafeMutablePointer<OpaquePointer?>?, inverse: Bool) {
        guard let arguments, sqlite3_value_type(arguments[0]) != SQLITE_NULL else { return }
        guard let state = variance(context, allocate: true) else { return sqlite3_result_error_nomem(context) }
        let scale = Int(sqlite3_value_int64(arguments[1]))
        if sqlite3_value_type(arguments[0]) == SQLITE_INTEGER {
            state.addExact(sqlite3_value_int64(arguments[0]), scale: scale, inverse: inverse)
        } else if sqlite3_value_type(arguments[0]) == SQLITE_BLOB, case let .units(units) = WideDecimal.argument(arguments[0]) {
            // A DECIMAL of more than 18 digits: exact while its units fit 64 bits.
            if let small = Int64(exactly: units) {
                state.addExact(small, scale: scale, inverse: inverse)
            } else {
                state.loseExactness()
                let x = Double("\(units)e-\(scale)") ?? .nan
                if inverse { state.remove(x) } else { state.add(x) }
            }
        } else {
            state.loseExactness()
            let x = sqlite3_value_double(arguments[0]) / pow(10, Double(scale))
            if inverse { state.remove(x) } else { state.add(x) }
        }
    }

    static func varianceResult(_ context: OpaquePointer?, final: Bool) {
        let state = variance(context, allocate: false)
        if final, let raw = sqlite3_aggregate_context(context, 0),
           let pointer = raw.assumingMemoryBound(to: UnsafeMutableRawPointer?.self).pointee {
            defer { Unmanaged<Variance>.fromOpaque(pointer).release() }
            raw.assumingMemoryBound(to: UnsafeMutableRawPointer?.self).pointee = nil
        }
        guard let kind = VarianceKind(rawValue: Int(bitPattern: sqlite3_user_data(context))),
              let value = state?.value(kind) else {
            return sqlite3_result_null(context)
        }
        sqlite3_result_double(context, value)
    }
}
