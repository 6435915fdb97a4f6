import CSQLite
import Foundation
import RockyBase

/// The `rocky_dec_*` helpers of Docs/sql.md ("Helper functions"): exact
/// arithmetic on DECIMALs of up to 38 digits. Each takes a DECIMAL as its
/// units in either SQLite form (INTEGER, or the 16-byte BLOB of
/// `WideDecimal`); the compiler passes the exponents that align the scales,
/// whether the result is wide (`1`: a BLOB of at most 38 digits) or not
/// (`0`: an INTEGER of 64 bits), and the expression's position in the
/// statement, which an overflow error names: `DECIMAL overflow: ... (at
/// line L, column C)` (`EngineError.arithmeticOverflow`).
extension HelperFunctions {
    static func registerDecimal(on connection: Connection) throws {
        let flags = SQLITE_UTF8 | SQLITE_DETERMINISTIC
        let db = connection.handle
        func check(_ code: Int32, _ name: String) throws {
            guard code == SQLITE_OK else { throw connection.error(code, sql: "register \(name)") }
        }
        try check(sqlite3_create_function_v2(db, "rocky_dec_add", 4, flags, nil, { context, _, arguments in
            HelperFunctions.decimalSum(context, arguments, subtract: false)
        }, nil, nil, nil), "rocky_dec_add")
        try check(sqlite3_create_function_v2(db, "rocky_dec_sub", 4, flags, nil, { context, _, arguments in
            HelperFunctions.decimalSum(context, arguments, subtract: true)
        }, nil, nil, nil), "rocky_dec_sub")
        try check(sqlite3_create_function_v2(db, "rocky_dec_muldiv", 6, flags, nil, { context, _, arguments in
            HelperFunctions.decimalMulDiv(context, arguments)
        }, nil, nil, nil), "rocky_dec_muldiv")
        try check(sqlite3_create_function_v2(db, "rocky_dec_rescale", 5, flags, nil, { context, _, arguments in
            HelperFunctions.decimalRescale(context, arguments)
        }, nil, nil, nil), "rocky_dec_rescale")
        try check(sqlite3_create_function_v2(db, "rocky_dec_mod", 3, flags, nil, { context, _, arguments in
            HelperFunctions.decimalModulo(context, arguments)
        }, nil, nil, nil), "rocky_dec_mod")
        try check(sqlite3_create_function_v2(db, "rocky_dec_neg", 1, flags, nil, { context, _, arguments in
            HelperFunctions.decimalUnary(context, arguments, abs: false)
        }, nil, nil, nil), "rocky_dec_neg")
        try check(sqlite3_create_function_v2(db, "rocky_dec_abs", 1, flags, nil, { context, _, arguments in
            HelperFunctions.decimalUnary(context, arguments, abs: true)
        }, nil, nil, nil), "rocky_dec_abs")
        try check(sqlite3_create_function_v2(db, "rocky_dec_sign", 1, flags, nil, { context, _, arguments in
            HelperFunctions.decimalSign(context, arguments)
        }, nil, nil, nil), "rocky_dec_sign")
        try check(sqlite3_create_function_v2(db, "rocky_dec_double", 2, flags, nil, { context, _, arguments in
            HelperFunctions.decimalDouble(context, arguments)
        }, nil, nil, nil), "rocky_dec_double")
        for count in [Int32(1), 3, 4] {
            try check(sqlite3_create_window_function(db, "rocky_dec_sum", count, flags, nil,
                { context, count, arguments in HelperFunctions.decimalSumStepFast(context, count, arguments, inverse: false) },
                { context in HelperFunctions.decimalSumResult(context, final: true) },
                { context in HelperFunctions.decimalSumResult(context, final: false) },
                { context, count, arguments in HelperFunctions.decimalSumStepFast(context, count, arguments, inverse: true) },
                nil), "rocky_dec_sum")
        }
    }

    private static func decimalText(_ value: OpaquePointer?) -> String {
        guard let pointer = sqlite3_value_text(value) else { return "" }
        return String(decoding: UnsafeRawBufferPointer(start: pointer, count: Int(sqlite3_value_bytes(value))), as: UTF8.self)
    }

    /// The error of a result that does not fit its form, at `position`.
    static func overflowMessage(wide: Bool, position: String, what: String = "the result") -> String {
        let detail = wide ? "\(what) has more than 38 digits" : "\(what) does not fit 64 bits"
        return "DECIMAL overflow: \(detail) (at \(position))"
    }

    private static func lostExactness(_ context: OpaquePointer?, _ name: String) {
        sqlite3_result_error(context, "\(name) got a value that is not a DECIMAL's units (a value lost exactness)", -1)
    }

    /// Reads argument `i` as units: nil when it is NULL (the result is then
    /// set to NULL) or not units (an error is set). No allocation: these run per row.
    @inline(__always)
    private static func units(_ context: OpaquePointer?, _ arguments: UnsafeMutablePointer<OpaquePointer?>, _ i: Int,
                              _ name: StaticString) -> Int128? {
        switch WideDecimal.argument(arguments[i]) {
        case let .units(u): return u
        case .null: sqlite3_result_null(context); return nil
        case .invalid: lostExactness(context, "\(name)"); return nil
        }
    }

    /// rocky_dec_add(a, b, wide, position), rocky_dec_sub(...): a ± b (same scale).
    static func decimalSum(_ context: OpaquePointer?, _ arguments: UnsafeMutablePointer<OpaquePointer?>?, subtract: Bool) {
        guard let arguments, let a = units(context, arguments, 0, "rocky_dec_add"),
              let b = units(context, arguments, 1, "rocky_dec_add") else { return }
        let wide = sqlite3_value_int64(arguments[2]) != 0
        let (r, overflow) = subtract ? a.subtractingReportingOverflow(b) : a.addingReportingOverflow(b)
        if overflow || !WideDecimal.result(context, r, wide: wide) {
            sqlite3_result_error(context, overflowMessage(wide: wide, position: decimalText(arguments[3])), -1)
        }
    }

    /// rocky_dec_muldiv(a, b, e, c, wide, position): a·b·10^e / c exactly,
    /// rounded half away from zero; NULL when c is 0.
    static func decimalMulDiv(_ context: OpaquePointer?, _ arguments: UnsafeMutablePointer<OpaquePointer?>?) {
        guard let arguments else { return }
        // Fast path: a product (e = 0, c = 1) of two 64-bit INTEGERs that fits
        // 64 bits (`price * quantity`), the common case of a wide product.
        if sqlite3_value_type(arguments[0]) == SQLITE_INTEGER, sqlite3_value_type(arguments[1]) == SQLITE_INTEGER,
           sqlite3_value_int64(arguments[2]) == 0, sqlite3_value_type(arguments[3]) == SQLITE_INTEGER,
           sqlite3_value_int64(arguments[3]) == 1 {
            let (p, overflow) = sqlite3_value_int64(arguments[0]).multipliedReportingOverflow(by: sqlite3_value_int64(arguments[1]))
            if !overflow {
                // 64 bits always fit 38 digits.
                if sqlite3_value_int64(arguments[4]) == 0 { return sqlite3_result_int64(context, p) }
                var encoded = WideDecimal.bytes(Int128(p))
                return withUnsafeBytes(of: &encoded) { sqlite3_result_blob(context, $0.baseAddress, Int32(WideDecimal.byteCount), sqliteTransient) }
            }
        }
        guard let a = units(context, arguments, 0, "rocky_dec_muldiv"), let b = units(context, arguments, 1, "rocky_dec_muldiv"),
              let c = units(context, arguments, 3, "rocky_dec_muldiv") else { return }
        let v = (a, b, c)
        let e = Int(sqlite3_value_int64(arguments[2]))
        let wide = sqlite3_value_int64(arguments[4]) != 0
        var result: Int128??
        if e >= 0, e <= 38 {
            // Fast path: all of it in 128 bits.
            let (p, o1) = v.0.multipliedReportingOverflow(by: v.1)
            let (n, o2) = p.multipliedReportingOverflow(by: ExactDecimal.pow10(e))
            if !o1, !o2 {
                if v.2 == 0 { return sqlite3_result_null(context) }
                if v.2 == 1 { result = .some(n) } else if v.2 == -1 {
                    let (negated, o3) = Int128(0).subtractingReportingOverflow(n)
                    if !o3 { result = .some(negated) }
                } else {
                    var q = n / v.2
                    let r = n % v.2
                    if r.magnitude >= v.2.magnitude - r.magnitude { q += (n < 0) != (v.2 < 0) ? -1 : 1 }
                    result = .some(q)
                }
            }
        }
        if result == nil { result = WideDecimal.mulDiv(v.0, v.1, e, v.2) }
        switch result {
        case .some(.none): sqlite3_result_null(context)
        case let .some(.some(q)) where WideDecimal.result(context, q, wide: wide): break
        default: sqlite3_result_error(context, overflowMessage(wide: wide, position: decimalText(arguments[5])), -1)
        }
    }

    /// rocky_dec_rescale(x, e, mode, wide, position): x·10^e, rounded (e < 0)
    /// half away from zero (mode 0), toward zero (1), down (2) or up (3).
    static func decimalRescale(_ context: OpaquePointer?, _ arguments: UnsafeMutablePointer<OpaquePointer?>?) {
        guard let arguments, let x = units(context, arguments, 0, "rocky_dec_rescale") else { return }
        let e = Int(sqlite3_value_int64(arguments[1]))
        let mode = Int(sqlite3_value_int64(arguments[2]))
        let wide = sqlite3_value_int64(arguments[3]) != 0
        var result: Int128?
        if e >= 0 {
            if e <= 38 {
                let (n, overflow) = x.multipliedReportingOverflow(by: ExactDecimal.pow10(e))
                if !overflow { result = n }
            } else if x == 0 {
                result = 0
            }
        } else if e >= -38 {
            let d = ExactDecimal.pow10(-e)
            var q = x / d
            let r = x % d
            switch mode {
            case 1: break
            case 2: if r < 0 { q -= 1 }
            case 3: if r > 0 { q += 1 }
            default: if r.magnitude >= d.magnitude - r.magnitude { q += x < 0 ? -1 : 1 }
            }
            result = q
        } else {
            result = WideDecimal.mulDiv(x, 1, e, 1, mode: mode) ?? nil
        }
        if let result, WideDecimal.result(context, result, wide: wide) { return }
        sqlite3_result_error(context, overflowMessage(wide: wide, position: decimalText(arguments[4])), -1)
    }

    /// rocky_dec_mod(a, b, wide): the remainder of a / b (same scale), with
    /// the sign of a; NULL when b is 0.
    static func decimalModulo(_ context: OpaquePointer?, _ arguments: UnsafeMutablePointer<OpaquePointer?>?) {
        guard let arguments, let a = units(context, arguments, 0, "rocky_dec_mod"), let b = units(context, arguments, 1, "rocky_dec_mod") else {
            return
        }
        guard b != 0 else { return sqlite3_result_null(context) }
        let r = b == -1 ? 0 : a % b
        _ = WideDecimal.result(context, r, wide: sqlite3_value_int64(arguments[2]) != 0)
    }

    /// rocky_dec_neg(x), rocky_dec_abs(x): in x's own form.
    static func decimalUnary(_ context: OpaquePointer?, _ arguments: UnsafeMutablePointer<OpaquePointer?>?, abs: Bool) {
        guard let arguments, let x = units(context, arguments, 0, "rocky_dec_neg") else { return }
        let wide = sqlite3_value_type(arguments[0]) == SQLITE_BLOB
        guard x != .min else { return lostExactness(context, abs ? "rocky_dec_abs" : "rocky_dec_neg") }
        let r = abs ? (x < 0 ? -x : x) : -x
        if !WideDecimal.result(context, r, wide: wide) {
            sqlite3_result_error(context, "DECIMAL overflow: \(abs ? "ABS" : "negation") does not fit 64 bits", -1)
        }
    }

    /// rocky_dec_sign(x): -1, 0 or 1.
    static func decimalSign(_ context: OpaquePointer?, _ arguments: UnsafeMutablePointer<OpaquePointer?>?) {
        guard let arguments, let x = units(context, arguments, 0, "rocky_dec_sign") else { return }
        sqlite3_result_int64(context, x < 0 ? -1 : x > 0 ? 1 : 0)
    }

    /// rocky_dec_double(x, scale): the DOUBLE nearest x·10^-scale (correctly rounded).
    static func decimalDouble(_ context: OpaquePointer?, _ arguments: UnsafeMutablePointer<OpaquePointer?>?) {
        guard let arguments, let x = units(context, arguments, 0, "rocky_dec_double") else { return }
        let scale = Int(sqlite3_value_int64(arguments[1]))
        sqlite3_result_double(context, Double("\(x)e-\(scale)") ?? .nan)
    }

    // MARK: SUM

    /// The state of `rocky_dec_sum`, in the aggregate context SQLite zeroes
    /// (8-byte aligned), as 64-bit words: the running sum while it fits 64
    /// bits (word 0), the count of values (1), the call's line and column
    /// (2, 3), whether the sum passed 127 bits (4), and the part of the sum
    /// carried out of 64 bits, as an Int128 (words 5-6; zero until the first
    /// 64-bit overflow). A value is added to word 0 and only a sum or value
    /// that leaves 64 bits touches the 128-bit part, so the common case (a
    /// column of DECIMAL(p <= 18), or products of two such) costs one 64-bit
    /// add per row.
    private static let sumStateWords = 7
    private static let sumStateSize = Int32(sumStateWords * 8)

    /// rocky_dec_sum(x[, line, column]) step, rocky_dec_sum(x, y, line,
    /// column) (the sum of x·y: SUM of a product of two 64-bit exact
    /// operands, without a wide value per row), or, `inverse`, removal of the
    /// value from a sliding window frame.
    static func decimalSumStep(_ context: OpaquePointer?, _ count: Int32, _ arguments: UnsafeMutablePointer<OpaquePointer?>?,
                               inverse: Bool) {
        guard let arguments else { return }
        var small: Int64 = 0
        var wide: Int128 = 0
        var isWide = false
        let first = sqlite3_value_type(arguments[0])
        if count == 4 {
            let second = sqlite3_value_type(arguments[1])
            if first == SQLITE_NULL || second == SQLITE_NULL { return }
            if first == SQLITE_INTEGER, second == SQLITE_INTEGER {
                let a = sqlite3_value_int64(arguments[0]), b = sqlite3_value_int64(arguments[1])
                let (p, overflow) = a.multipliedReportingOverflow(by: b)
                if overflow { wide = Int128(a) * Int128(b); isWide = true } else { small = p }  // |a·b| < 2^126
            } else {
                guard case let .units(a) = WideDecimal.argument(arguments[0]), case let .units(b) = WideDecimal.argument(arguments[1]) else {
                    return lostExactness(context, "rocky_dec_sum")
                }
                let (p, overflow) = a.multipliedReportingOverflow(by: b)
                guard !overflow else { return sumOverflow(context, arguments, count) }
                wide = p; isWide = true
            }
        } else if first == SQLITE_INTEGER {
            small = sqlite3_value_int64(arguments[0])
        } else {
            switch WideDecimal.argument(arguments[0]) {
            case .null: return
            case let .units(u): wide = u; isWide = true
            case .invalid: return lostExactness(context, "rocky_dec_sum")
            }
        }
        guard let raw = sqlite3_aggregate_context(context, sumStateSize) else { return sqlite3_result_error_nomem(context) }
        let state = raw.bindMemory(to: Int64.self, capacity: sumStateWords)
        if state[1] == 0, count >= 3 {
            state[2] = sqlite3_value_int64(arguments[Int(count) - 2])
            state[3] = sqlite3_value_int64(arguments[Int(count) - 1])
        }
        state[1] += inverse ? -1 : 1
        if !isWide {
            let (next, overflow) = inverse ? state[0].subtractingReportingOverflow(small) : state[0].addingReportingOverflow(small)
            if !overflow { state[0] = next; return }
            wide = Int128(small)
        }
        // The 128-bit part: the value, plus the 64-bit sum so far.
        var carried = raw.loadUnaligned(fromByteOffset: 40, as: Int128.self)
        let (withSmall, o1) = carried.addingReportingOverflow(Int128(state[0]))
        let (next, o2) = inverse ? withSmall.subtractingReportingOverflow(wide) : withSmall.addingReportingOverflow(wide)
        carried = next
        state[0] = 0
        raw.storeBytes(of: carried, toByteOffset: 40, as: Int128.self)
        if o1 || o2 { state[4] = 1 }
    }

    /// The step of the common case, with as little work as can be (a debug
    /// build pays for every local): 64-bit INTEGER values whose product and
    /// running sum fit 64 bits, after the first value (which records the
    /// position); `inverse` removes the value from a sliding window frame.
    /// Anything else takes `decimalSumStep`.
    static func decimalSumStepFast(_ context: OpaquePointer?, _ count: Int32, _ arguments: UnsafeMutablePointer<OpaquePointer?>?,
                                   inverse: Bool) {
        if let arguments, sqlite3_value_type(arguments[0]) == SQLITE_INTEGER,
           count != 4 || sqlite3_value_type(arguments[1]) == SQLITE_INTEGER,
           let state = sqlite3_aggregate_context(context, sumStateSize)?.assumingMemoryBound(to: Int64.self), state[1] != 0 {
            let (x, o1) = count == 4 ? sqlite3_value_int64(arguments[0]).multipliedReportingOverflow(by: sqlite3_value_int64(arguments[1]))
                : (sqlite3_value_int64(arguments[0]), false)
            let (sum, o2) = inverse ? state[0].subtractingReportingOverflow(x) : state[0].addingReportingOverflow(x)
            if !o1, !o2 {
                state[0] = sum
                state[1] += inverse ? -1 : 1
                return
            }
        }
        decimalSumStep(context, count, arguments, inverse: inverse)
    }

    /// The product of a 4-argument step passed 127 bits: the sum is past 38 digits.
    private static func sumOverflow(_ context: OpaquePointer?, _ arguments: UnsafeMutablePointer<OpaquePointer?>, _ count: Int32) {
        guard let raw = sqlite3_aggregate_context(context, sumStateSize) else { return sqlite3_result_error_nomem(context) }
        let state = raw.bindMemory(to: Int64.self, capacity: sumStateWords)
        state[1] += 1
        state[2] = sqlite3_value_int64(arguments[Int(count) - 2])
        state[3] = sqlite3_value_int64(arguments[Int(count) - 1])
        state[4] = 1
    }

    static func decimalSumResult(_ context: OpaquePointer?, final: Bool) {
        guard let raw = sqlite3_aggregate_context(context, 0) else { return sqlite3_result_null(context) }
        let state = raw.bindMemory(to: Int64.self, capacity: sumStateWords)
        let n = state[1]
        var overflowed = state[4] != 0
        if n == 0 && !overflowed { return sqlite3_result_null(context) }
        let (sum, overflow) = raw.loadUnaligned(fromByteOffset: 40, as: Int128.self).addingReportingOverflow(Int128(state[0]))
        overflowed = overflowed || overflow
        if overflowed || !WideDecimal.result(context, sum, wide: true) {
            let line = state[2], column = state[3]
            let message = line > 0 ? overflowMessage(wide: true, position: "line \(line), column \(column)", what: "SUM")
                : "DECIMAL overflow: SUM has more than 38 digits"
            sqlite3_result_error(context, message, -1)
        }
    }
}
