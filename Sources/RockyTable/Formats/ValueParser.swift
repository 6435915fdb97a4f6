import RockyBase

/// Turns a field's text into a value of a column type, straight from its
/// UTF-8 bytes (no String is made except for TEXT and rare slow paths).
///
/// What each type accepts (nothing else; no surrounding spaces):
/// - BOOLEAN: `true`/`false`, `t`/`f`, `yes`/`no` in any case, `1`/`0`.
/// - INTEGER: an optional sign and decimal digits, within the 64-bit range.
/// - DOUBLE: decimal (`-1.5`, `.5`, `5.`) or exponent notation (`1e-05`),
///   `inf`/`infinity`/`nan` in any case with an optional sign. `-0` reads
///   as `0` and every NaN as the canonical NaN (see `Value`).
/// - DECIMAL(p,s): decimal or exponent notation, exact (never through
///   binary floating point). Fewer than `s` decimal places are padded with
///   zeros; more are accepted only when the extra digits are zeros; at most
///   `p - s` digits before the point.
/// - TEXT: anything.
/// - DATE: `YYYY-MM-DD`.
/// - TIMESTAMP: ISO 8601 as `Timestamp(parsing:)` reads it (UTC, offsets,
///   a space for `T`, 1-6 fraction digits, or a bare date).
public enum ValueParser {
    /// The value of `bytes` as `type`, or nil when the text is not one.
    /// Never returns `.null`: NULL is a property of the field, not of its text.
    public static func value(_ bytes: UnsafeBufferPointer<UInt8>, as type: ColumnType) -> Value? {
        switch type {
        case .boolean: boolean(bytes).map(Value.boolean)
        case .integer: integer(bytes).map(Value.integer)
        case .double: double(bytes).map { Value.double($0).canonical }
        case let .decimal(p, s): decimal(bytes, precision: p, scale: s).map(Value.decimal)
        case .text: .text(String(decoding: bytes, as: UTF8.self))
        case .date: date(bytes).map(Value.date)
        case .timestamp: timestamp(bytes).map(Value.timestamp)
        }
    }

    /// The value of `text` as `type`, or nil.
    public static func value(_ text: String, as type: ColumnType) -> Value? {
        var text = text
        return text.withUTF8 { value($0, as: type) }
    }

    /// The field in `slot` of a record's storage, or an `ImportError` at the field.
    static func parse(_ storage: UnsafeBufferPointer<UInt8>, _ slot: FieldSlot, as type: ColumnType, file: String) throws(ImportError) -> Value {
        if slot.isNull { return .null }
        let bytes = UnsafeBufferPointer(rebasing: storage[slot.start..<(slot.start + slot.count)])
        if let value = value(bytes, as: type) { return value }
        throw failure(bytes, as: type, file: file, line: slot.line, column: slot.column)
    }

    /// The error for text that is not a `type`, with the reason when there is more to say.
    static func failure(_ bytes: UnsafeBufferPointer<UInt8>, as type: ColumnType, file: String, line: Int, column: Int) -> ImportError {
        let text = String(decoding: bytes, as: UTF8.self)
        return .invalidValue(text, expected: type, reason: reason(text, as: type), file: file, line: line, column: column)
    }

    static func reason(_ text: String, as type: ColumnType) -> String? {
        switch type {
        case .boolean:
            return "expected true or false (also t/f, yes/no, 1/0)"
        case .integer:
            let digits = text.first == "-" || text.first == "+" ? text.dropFirst() : Substring(text)
            if !digits.isEmpty, digits.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }) { return "out of the 64-bit integer range" }
            return nil
        case .double:
            return NumberSyntax.isDecimalOrExponent(Array(text.utf8)) ? "out of the DOUBLE range" : nil
        case let .decimal(p, s):
            guard let d = ExactDecimal(parsing: text) else {
                return NumberSyntax.isDecimalOrExponent(Array(text.utf8)) ? "more than \(ColumnType.maxDecimalPrecision) digits" : nil
            }
            if d.scale > s, d.rescaled(to: s) == nil { return "it has more than \(s) decimal place\(s == 1 ? "" : "s")" }
            return "at most \(p - s) digit\(p - s == 1 ? "" : "s") before the point"
        case .text:
            return nil
        case .date:
            let b = Array(text.utf8)
            if b.count == 10, b[4] == 45, b[7] == 45 { return "no such date" }
            return "expected YYYY-MM-DD"
        case .timestamp:
            return "expected ISO 8601, such as 2026-05-20T16:00:00Z"
        }
    }

    // MARK: - One function per type

    @inline(__always)
    static func boolean(_ b: UnsafeBufferPointer<UInt8>) -> Bool? {
        switch b.count {
        case 1:
            switch b[0] {
            case UInt8(ascii: "t"), UInt8(ascii: "T"), UInt8(ascii: "1"): return true
            case UInt8(ascii: "f"), UInt8(ascii: "F"), UInt8(ascii: "0"): return false
            default: return nil
            }
        case 2: return matches(b, "no") ? false : nil
        case 3: return matches(b, "yes") ? true : nil
        case 4: return matches(b, "true") ? true : nil
        case 5: return matches(b, "false") ? false : nil
        default: return nil
        }
    }

    /// Whether `b` spells the lowercase ASCII `word` in any case.
    @inline(__always)
    static func matches(_ b: UnsafeBufferPointer<UInt8>, _ word: StaticString) -> Bool {
        guard b.count == word.utf8CodeUnitCount else { return false }
        let w = word.utf8Start
        for k in 0..<b.count where b[k] | 0x20 != w[k] { return false }
        return true
    }

    @inline(__always)
    static func integer(_ b: UnsafeBufferPointer<UInt8>) -> Int64? {
        let n = b.count
        guard n > 0 else { return nil }
        var i = 0
        let negative = b[0] == UInt8(ascii: "-")
        if negative || b[0] == UInt8(ascii: "+") { i = 1 }
        guard i < n else { return nil }
        if n - i <= 18 {
            var v: Int64 = 0
            while i < n {
                let d = b[i] &- 48
                guard d < 10 else { return nil }
                v = v &* 10 &+ Int64(d)
                i += 1
            }
            return negative ? -v : v
        }
        var magnitude: UInt64 = 0
        while i < n {
            let d = b[i] &- 48
            guard d < 10 else { return nil }
            let (m, o1) = magnitude.multipliedReportingOverflow(by: 10)
            let (a, o2) = m.addingReportingOverflow(UInt64(d))
            guard !o1, !o2 else { return nil }
            magnitude = a
            i += 1
        }
        if negative {
            guard magnitude <= UInt64(Int64.max) + 1 else { return nil }
            return magnitude == UInt64(Int64.max) + 1 ? Int64.min : -Int64(magnitude)
        }
        guard magnitude <= UInt64(Int64.max) else { return nil }
        return Int64(magnitude)
    }

    /// 10^0 ... 10^38.
    static let powersOf10: [Int128] = (0...38).map { ExactDecimal.pow10($0) }

    @inline(__always)
    static func decimal(_ b: UnsafeBufferPointer<UInt8>, precision p: Int, scale s: Int) -> ExactDecimal? {
        switch fixedPoint(b, precision: p, scale: s, as: Int128.self) {
        case let .units(units): ExactDecimal(units: units, scale: s)
        case .exponent: decimalWithExponent(b, precision: p, scale: s)
        case .none: nil
        }
    }

    /// What `fixedPoint` found.
    enum FixedPoint<T> {
        /// The value's units at the scale asked for.
        case units(T)
        /// A number in exponent notation (which may or may not fit).
        case exponent
        /// Not a number that fits.
        case none
    }

    /// `[sign] digits [. digits]` as units at scale `s`: at most `p - s`
    /// significant digits before the point, and digits beyond `s` after it
    /// only if they are zeros (fewer are padded). `.none` as well when the
    /// units need more digits than `T` holds (18 for `Int64`, 38 for `Int128`).
    @inline(__always)
    static func fixedPoint<T: FixedWidthInteger & SignedInteger>(_ b: UnsafeBufferPointer<UInt8>, precision p: Int, scale s: Int,
                                                                 as _: T.Type) -> FixedPoint<T> {
        let n = b.count
        guard n > 0 else { return .none }
        var i = 0
        let negative = b[0] == UInt8(ascii: "-")
        if negative || b[0] == UInt8(ascii: "+") { i = 1 }
        var units: T = 0
        var integerDigits = 0   // significant digits before the point
        var sawDigit = false
        var fits = true   // false once a digit cannot be held; an exponent may still save it
        while i < n {
            let d = b[i] &- 48
            guard d < 10 else { break }
            sawDigit = true
            if integerDigits > 0 || d != 0 {
                integerDigits += 1
                if integerDigits > p - s { fits = false }
                if fits { units = units &* 10 &+ T(d) }
            }
            i += 1
        }
        var fractionDigits = 0
        if i < n && b[i] == UInt8(ascii: ".") {
            i += 1
            while i < n {
                let d = b[i] &- 48
                guard d < 10 else { break }
                sawDigit = true
                if fractionDigits < s {
                    if fits { units = units &* 10 &+ T(d) }
                } else if d != 0 {
                    fits = false
                }
                fractionDigits += 1
                i += 1
            }
        }
        guard sawDigit else { return .none }
        if i < n { return b[i] | 0x20 == UInt8(ascii: "e") ? .exponent : .none }
        // The units must fit T: 18 digits for 64 bits, 38 for 128 (log10 2 = 0.30103).
        guard fits, integerDigits + s <= (T.bitWidth - 1) * 30103 / 100_000 else { return .none }
        if fractionDigits < s { units = units &* T(truncatingIfNeeded: powersOf10[s - fractionDigits]) }
        return .units(negative ? 0 - units : units)
    }

    /// The slow path for exponent notation: exact, through `ExactDecimal`.
    static func decimalWithExponent(_ b: UnsafeBufferPointer<UInt8>, precision p: Int, scale s: Int) -> ExactDecimal? {
        guard let d = ExactDecimal(parsing: String(decoding: b, as: UTF8.self)),
              let r = d.rescaled(to: s), r.units.magnitude < powersOf10[p].magnitude else { return nil }
        return r
    }

    static func double(_ b: UnsafeBufferPointer<UInt8>) -> Double? {
        let n = b.count
        guard n > 0 else { return nil }
        var i = 0
        let negative = b[0] == UInt8(ascii: "-")
        if negative || b[0] == UInt8(ascii: "+") { i = 1 }
        let rest = UnsafeBufferPointer(rebasing: b[i...])
        if matches(rest, "inf") || matches(rest, "infinity") { return negative ? -.infinity : .infinity }
        if matches(rest, "nan") { return .nan }
        guard NumberSyntax.isDecimalOrExponent(b), let d = Double(String(decoding: b, as: UTF8.self)), d.isFinite else { return nil }
        return d
    }

    @inline(__always)
    static func date(_ b: UnsafeBufferPointer<UInt8>) -> CivilDate? {
        guard b.count == 10, b[4] == 45, b[7] == 45,
              let y = digits(b, 0, 4), let m = digits(b, 5, 2), let d = digits(b, 8, 2) else { return nil }
        return CivilDate(year: y, month: m, day: d)
    }

    @inline(__always)
    static func timestamp(_ b: UnsafeBufferPointer<UInt8>) -> Timestamp? {
        // Fast path: the canonical form, `YYYY-MM-DDTHH:MM:SS[.f{1,6}]Z`.
        let n = b.count
        if n >= 20, b[10] == UInt8(ascii: "T"), b[13] == 58, b[16] == 58, b[n - 1] == UInt8(ascii: "Z"),
           let day = date(UnsafeBufferPointer(rebasing: b[0..<10])),
           let h = digits(b, 11, 2), let mi = digits(b, 14, 2), let s = digits(b, 17, 2), h < 24, mi < 60, s < 60 {
            var micros = day.daysSinceEpoch * 86_400_000_000 + (h * 3600 + mi * 60 + s) * 1_000_000
            if n == 20 { return Timestamp(microseconds: micros) }
            if b[19] == UInt8(ascii: "."), (22...27).contains(n), let f = digits(b, 20, n - 21) {
                var fraction = f
                for _ in (n - 21)..<6 { fraction *= 10 }
                micros += fraction
                return Timestamp(microseconds: micros)
            }
        }
        return Timestamp(parsing: String(decoding: b, as: UTF8.self))
    }

    /// The decimal number in `b[start..<start+count]`, or nil if not all digits.
    @inline(__always)
    static func digits(_ b: UnsafeBufferPointer<UInt8>, _ start: Int, _ count: Int) -> Int64? {
        var v: Int64 = 0
        for k in start..<(start + count) {
            let d = b[k] &- 48
            guard d < 10 else { return nil }
            v = v * 10 + Int64(d)
        }
        return v
    }
}
