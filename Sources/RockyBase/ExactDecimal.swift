/// An exact decimal number: `units × 10^-scale`, with `units` a 128-bit integer.
///
/// No binary floating point is ever involved: parsing, formatting, arithmetic and
/// comparison work on the integer `units`. Two values with different scales are
/// equal when they denote the same number (`1.50 == 1.5`), but keep their scale,
/// so a `DECIMAL(10,2)` column formats `1.50` with its two digits.
public struct ExactDecimal: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The value times `10^scale`.
    public let units: Int128
    /// Digits after the point, 0...38.
    public let scale: Int

    public static let maxScale = 38
    /// 10^38 - 1: the largest `units` magnitude of a DECIMAL(38, s).
    public static let maxUnits: Int128 = pow10(38) - 1

    public init(units: Int128, scale: Int) {
        precondition((0...ExactDecimal.maxScale).contains(scale), "decimal scale out of range")
        self.units = units
        self.scale = scale
    }

    public init(_ integer: Int) { self.init(units: Int128(integer), scale: 0) }

    /// Parses `[+-]digits[.digits][e[+-]digits]`. The scale is the number of
    /// digits written after the point (after applying the exponent). Returns nil
    /// for anything else, or when the value needs more than 38 digits.
    public init?(parsing text: some StringProtocol) {
        var bytes = Array(text.utf8)[...]
        var negative = false
        if let first = bytes.first, first == UInt8(ascii: "-") || first == UInt8(ascii: "+") {
            negative = first == UInt8(ascii: "-")
            bytes = bytes.dropFirst()
        }
        var units: Int128 = 0
        var scale = 0
        var digits = 0
        var sawPoint = false
        var sawDigit = false
        while let b = bytes.first {
            if b >= 48 && b <= 57 {
                sawDigit = true
                if units != 0 || b != 48 { digits += 1 }
                guard digits <= 38 else { return nil }
                units = units * 10 + Int128(b - 48)
                if sawPoint { scale += 1 }
            } else if b == UInt8(ascii: "."), !sawPoint {
                sawPoint = true
            } else {
                break
            }
            bytes = bytes.dropFirst()
        }
        guard sawDigit else { return nil }
        if let e = bytes.first, e == UInt8(ascii: "e") || e == UInt8(ascii: "E") {
            guard let exponent = Int(String(decoding: bytes.dropFirst(), as: UTF8.self)),
                  abs(exponent) <= 76 else { return nil }
            scale -= exponent
            bytes = []
            if scale < 0 {
                guard digits - scale <= 38 else { return nil }
                units *= ExactDecimal.pow10(-scale)
                scale = 0
            }
        }
        guard bytes.isEmpty, scale <= ExactDecimal.maxScale else { return nil }
        self.init(units: negative ? -units : units, scale: scale)
    }

    /// 10^n for 0 <= n <= 38.
    public static func pow10(_ n: Int) -> Int128 {
        var result: Int128 = 1
        for _ in 0..<n { result *= 10 }
        return result
    }

    /// The number of significant digits of `units` (at least 1).
    public var digitCount: Int {
        var magnitude = units.magnitude
        var count = 1
        while magnitude >= 10 { magnitude /= 10; count += 1 }
        return count
    }

    /// Digits before the point.
    public var integerDigitCount: Int { max(digitCount - scale, 1) }

    /// The same number with `newScale` digits after the point, or nil when
    /// that would drop non-zero digits or overflow 38 digits.
    public func rescaled(to newScale: Int) -> ExactDecimal? {
        guard (0...ExactDecimal.maxScale).contains(newScale) else { return nil }
        if newScale == scale { return self }
        if newScale > scale {
            let (product, overflow) = units.multipliedReportingOverflow(by: ExactDecimal.pow10(newScale - scale))
            guard !overflow, product.magnitude <= ExactDecimal.maxUnits.magnitude else { return nil }
            return ExactDecimal(units: product, scale: newScale)
        }
        let divisor = ExactDecimal.pow10(scale - newScale)
        guard units % divisor == 0 else { return nil }
        return ExactDecimal(units: units / divisor, scale: newScale)
    }

    /// The number rounded half away from zero to `newScale` digits.
    public func rounded(toScale newScale: Int) -> ExactDecimal {
        if newScale >= scale { return rescaled(to: newScale) ?? self }
        let divisor = ExactDecimal.pow10(scale - newScale)
        var quotient = units / divisor
        let remainder = units % divisor
        if remainder.magnitude * 2 >= divisor.magnitude { quotient += units < 0 ? -1 : 1 }
        return ExactDecimal(units: quotient, scale: newScale)
    }

    /// Whether the value fits `DECIMAL(precision, scale)` without rounding.
    public func fits(precision: Int, scale targetScale: Int) -> Bool {
        guard let r = rescaled(to: targetScale) else { return false }
        return r.units.magnitude < ExactDecimal.pow10(precision).magnitude
    }

    public var description: String {
        let magnitude = String(units.magnitude)
        let sign = units < 0 ? "-" : ""
        if scale == 0 { return sign + magnitude }
        let padded = magnitude.count <= scale
            ? String(repeating: "0", count: scale - magnitude.count + 1) + magnitude
            : magnitude
        let split = padded.index(padded.endIndex, offsetBy: -scale)
        return sign + padded[..<split] + "." + padded[split...]
    }

    /// Both operands at a common scale, or nil on overflow.
    private static func aligned(_ a: ExactDecimal, _ b: ExactDecimal) -> (Int128, Int128, Int)? {
        let s = max(a.scale, b.scale)
        guard let x = a.rescaled(to: s), let y = b.rescaled(to: s) else { return nil }
        return (x.units, y.units, s)
    }

    public static func == (a: ExactDecimal, b: ExactDecimal) -> Bool { compare(a, b) == 0 }

    public static func < (a: ExactDecimal, b: ExactDecimal) -> Bool { compare(a, b) < 0 }

    private static func compare(_ a: ExactDecimal, _ b: ExactDecimal) -> Int {
        if a.scale == b.scale { return a.units == b.units ? 0 : (a.units < b.units ? -1 : 1) }
        if let (x, y, _) = aligned(a, b) { return x == y ? 0 : (x < y ? -1 : 1) }
        // One side has more than 38 digits at the common scale: compare integer parts first.
        let ai = a.units / pow10(a.scale), bi = b.units / pow10(b.scale)
        if ai != bi { return ai < bi ? -1 : 1 }
        let af = a.units % pow10(a.scale), bf = b.units % pow10(b.scale)
        let s = max(a.scale, b.scale)
        let x = af * pow10(s - a.scale), y = bf * pow10(s - b.scale)
        return x == y ? 0 : (x < y ? -1 : 1)
    }

    public func hash(into hasher: inout Hasher) {
        // Equal values must hash equally whatever their scale: hash the normal form.
        var u = units, s = scale
        while s > 0 && u % 10 == 0 { u /= 10; s -= 1 }
        hasher.combine(u)
        hasher.combine(s)
    }

    /// The exact sum, or nil when it needs more than 38 digits.
    public static func adding(_ a: ExactDecimal, _ b: ExactDecimal) -> ExactDecimal? {
        guard let (x, y, s) = aligned(a, b) else { return nil }
        let (sum, overflow) = x.addingReportingOverflow(y)
        guard !overflow, sum.magnitude <= maxUnits.magnitude else { return nil }
        return ExactDecimal(units: sum, scale: s)
    }

    public static func subtracting(_ a: ExactDecimal, _ b: ExactDecimal) -> ExactDecimal? {
        adding(a, ExactDecimal(units: -b.units, scale: b.scale))
    }

    /// The exact product (scale `a.scale + b.scale`), or nil on overflow.
    public static func multiplying(_ a: ExactDecimal, _ b: ExactDecimal) -> ExactDecimal? {
        let (product, overflow) = a.units.multipliedReportingOverflow(by: b.units)
        guard !overflow, product.magnitude <= maxUnits.magnitude, a.scale + b.scale <= maxScale else { return nil }
        return ExactDecimal(units: product, scale: a.scale + b.scale)
    }
}
