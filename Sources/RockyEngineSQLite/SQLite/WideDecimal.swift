import CSQLite
import RockyBase

/// The SQLite form of a DECIMAL(p, s) with p > 18 (Docs/sql.md, "The SQLite
/// representation contract"): a 16-byte BLOB, the big-endian two's
/// complement of value × 10^s with the sign bit flipped. That is the key
/// encoding of Docs/format.md, and SQLite compares BLOBs with memcmp, so
/// `=`, `<`, ORDER BY, GROUP BY, DISTINCT, joins, MIN and MAX order such
/// values correctly without a helper (both sides always have the same scale:
/// the binder converts them to one type first). Arithmetic goes through the
/// `rocky_dec_*` helpers, which also take the INTEGER form of a DECIMAL with
/// p <= 18 (or an INTEGER) as units.
enum WideDecimal {
    static let byteCount = 16
    static let signBit: UInt128 = 1 << 127

    /// The 16 bytes of `units`.
    @inline(__always)
    static func bytes(_ units: Int128) -> (UInt64, UInt64) {
        let bits = UInt128(bitPattern: units) ^ signBit
        return (UInt64(truncatingIfNeeded: bits >> 64).bigEndian, UInt64(truncatingIfNeeded: bits).bigEndian)
    }

    /// The units of 16 encoded bytes.
    @inline(__always)
    static func units(_ bytes: UnsafeRawPointer) -> Int128 {
        let high = UInt64(bigEndian: bytes.loadUnaligned(as: UInt64.self))
        let low = UInt64(bigEndian: bytes.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
        return Int128(bitPattern: (UInt128(high) << 64 | UInt128(low)) ^ signBit)
    }

    /// Calls `body` with the encoded bytes of `units`.
    @inline(__always)
    static func withBytes<R>(_ units: Int128, _ body: (UnsafeRawBufferPointer) -> R) -> R {
        var encoded = bytes(units)
        return withUnsafeBytes(of: &encoded) { body($0) }
    }

    /// The encoding as a SQLite BLOB literal (`X'80...'`).
    static func literal(_ units: Int128) -> String {
        withBytes(units) { bytes in
            "X'" + bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16, uppercase: true) }.joined() + "'"
        }
    }

    /// The largest magnitude of `DECIMAL(p, s)` units.
    static func limit(precision p: Int) -> UInt128 { UInt128(ExactDecimal.pow10(min(p, 38))) - 1 }

    /// A helper's argument as units: nil for NULL, `.invalid` for a REAL,
    /// TEXT or a BLOB that is not 16 bytes.
    enum Argument {
        case null, units(Int128), invalid
    }

    @inline(__always)
    static func argument(_ value: OpaquePointer?) -> Argument {
        switch sqlite3_value_type(value) {
        case SQLITE_INTEGER: return .units(Int128(sqlite3_value_int64(value)))
        case SQLITE_NULL: return .null
        case SQLITE_BLOB:
            guard sqlite3_value_bytes(value) == Int32(byteCount), let pointer = sqlite3_value_blob(value) else { return .invalid }
            return .units(units(pointer))
        default: return .invalid
        }
    }

    /// Sets the result to `units` in form `wide` (16-byte BLOB, at most 38
    /// digits) or not (INTEGER, 64 bits); false when it does not fit.
    @inline(__always)
    static func result(_ context: OpaquePointer?, _ units: Int128, wide: Bool) -> Bool {
        if wide {
            guard units.magnitude <= UInt128(ExactDecimal.maxUnits) else { return false }
            withBytes(units) { sqlite3_result_blob(context, $0.baseAddress, Int32(byteCount), sqliteTransient) }
            return true
        }
        guard let small = Int64(exactly: units) else { return false }
        sqlite3_result_int64(context, small)
        return true
    }
}

/// A 256-bit unsigned integer, for the exact intermediate of a product or
/// quotient of 38-digit values (a·b·10^e / c).
struct UInt256: Equatable {
    var high: UInt128
    var low: UInt128

    init(high: UInt128 = 0, low: UInt128) {
        self.high = high
        self.low = low
    }

    static func product(_ a: UInt128, _ b: UInt128) -> UInt256 {
        let (h, l) = a.multipliedFullWidth(by: b)
        return UInt256(high: h, low: l)
    }

    /// self × m, nil past 256 bits.
    func multiplied(by m: UInt128) -> UInt256? {
        let (lh, ll) = low.multipliedFullWidth(by: m)
        let (hh, hl) = high.multipliedFullWidth(by: m)
        guard hh == 0 else { return nil }
        let (h, overflow) = hl.addingReportingOverflow(lh)
        guard !overflow else { return nil }
        return UInt256(high: h, low: ll)
    }

    /// (self / d, self % d) for d > 0.
    func quotientAndRemainder(dividingBy d: UInt128) -> (UInt256, UInt128) {
        let (qh, rh) = high.quotientAndRemainder(dividingBy: d)
        let (ql, r) = d.dividingFullWidth((rh, low))
        return (UInt256(high: qh, low: ql), r)
    }
}

extension WideDecimal {
    /// a·b·10^e / c rounded half away from zero (`mode` 0), toward zero (1),
    /// down (2) or up (3); nil when c is 0 or the result passes 127 bits.
    static func mulDiv(_ a: Int128, _ b: Int128, _ e: Int, _ c: Int128, mode: Int = 0) -> Int128?? {
        guard c != 0 else { return .some(nil) }
        guard e > -77, e < 77 else { return nil }
        let signs = (a < 0 ? 1 : 0) + (b < 0 ? 1 : 0) + (c < 0 ? 1 : 0)
        let negative = signs % 2 == 1 && a != 0 && b != 0
        var n = UInt256.product(a.magnitude, b.magnitude)
        var d = c.magnitude
        var m: UInt128 = 1  // the divisor's power of ten, applied after d
        if e >= 0 {
            var k = e
            while k > 0 {
                let step = min(k, 38)
                guard let next = n.multiplied(by: UInt128(ExactDecimal.pow10(step))) else { return nil }
                n = next
                k -= step
            }
        } else if -e <= 38 {
            m = UInt128(ExactDecimal.pow10(-e))
        } else {
            // Divides by more than 10^38: first by 10^(-e - 38).
            let (dm, overflow) = d.multipliedReportingOverflow(by: UInt128(ExactDecimal.pow10(-e - 38)))
            if overflow { return .some(.some(roundedZero(negative: negative, nonzero: n != UInt256(low: 0), mode: mode))) }
            d = dm
            m = UInt128(ExactDecimal.pow10(38))
        }
        let (q1, r1) = n.quotientAndRemainder(dividingBy: d)
        let (q, r2) = m == 1 ? (q1, r1) : q1.quotientAndRemainder(dividingBy: m)
        let divisor = m == 1 ? d : m
        let inexact = r2 != 0 || (m != 1 && r1 != 0)
        guard q.high == 0, q.low <= UInt128(Int128.max) else { return nil }
        var magnitude = q.low
        let up: Bool
        switch mode {
        case 1: up = false
        case 2: up = negative && inexact
        case 3: up = !negative && inexact
        default: up = r2 >= divisor - r2
        }
        if up { magnitude += 1 }
        guard magnitude <= UInt128(Int128.max) else { return nil }
        let value = Int128(magnitude)
        return .some(.some(negative ? -value : value))
    }

    private static func roundedZero(negative: Bool, nonzero: Bool, mode: Int) -> Int128 {
        guard nonzero else { return 0 }
        if mode == 2 && negative { return -1 }
        if mode == 3 && !negative { return 1 }
        return 0
    }
}
