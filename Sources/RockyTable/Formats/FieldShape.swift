/// What a field's text looks like, for type inference.
enum FieldShape: Equatable {
    /// `true`/`false`, `t`/`f`, `yes`/`no` in any case (never `1`/`0`).
    case boolean
    /// Decimal digits with an optional sign and no leading zero; `digits`
    /// counts the significant ones, `fitsInt64` says it is an INTEGER.
    case integer(digits: Int, fitsInt64: Bool)
    /// `[sign] digits . digits`, no leading zero before the point (except a
    /// lone `0`), no exponent: fixed point, `scale` digits after the point.
    case fixed(integerDigits: Int, scale: Int)
    /// Any other number: exponent notation, `.5`, `5.`, `inf`, `nan`.
    case float
    case date
    case timestamp
    case text

    /// The shape of `b`. With `isString` (a JSON string) the text is only
    /// checked for a date, a timestamp or a non-finite number (`nan`,
    /// `inf`, which JSON cannot write as numbers); else it is text.
    static func of(_ b: UnsafeBufferPointer<UInt8>, isString: Bool) -> FieldShape {
        let n = b.count
        guard n > 0 else { return .text }
        let first = b[0]
        if isString {
            if first >= 48 && first <= 57 { return temporal(b) }
            return nonFinite(b) ? .float : .text
        }
        // Four digits and a dash: no number looks like that, so only a date or timestamp can.
        if n >= 10, b[4] == UInt8(ascii: "-"), isDigit(b[0]), isDigit(b[1]), isDigit(b[2]), isDigit(b[3]) { return temporal(b) }
        if (first >= 48 && first <= 57) || first == UInt8(ascii: "-") || first == UInt8(ascii: "+") || first == UInt8(ascii: ".") {
            if let shape = number(b) { return shape }
            if first >= 48 && first <= 57 { return temporal(b) }
            return nonFinite(b) ? .float : .text
        }
        if ValueParser.boolean(b) != nil { return .boolean }
        return nonFinite(b) ? .float : .text
    }

    @inline(__always)
    private static func isDigit(_ c: UInt8) -> Bool { c &- 48 < 10 }

    private static func temporal(_ b: UnsafeBufferPointer<UInt8>) -> FieldShape {
        if ValueParser.date(b) != nil { return .date }
        if b.count >= 19, ValueParser.timestamp(b) != nil { return .timestamp }
        return .text
    }

    private static func nonFinite(_ b: UnsafeBufferPointer<UInt8>) -> Bool {
        var rest = b
        if let first = b.first, first == UInt8(ascii: "-") || first == UInt8(ascii: "+") { rest = UnsafeBufferPointer(rebasing: b[1...]) }
        return ValueParser.matches(rest, "nan") || ValueParser.matches(rest, "inf") || ValueParser.matches(rest, "infinity")
    }

    /// The shape of a number, or nil when `b` is not one.
    private static func number(_ b: UnsafeBufferPointer<UInt8>) -> FieldShape? {
        let n = b.count
        var i = 0
        if b[0] == UInt8(ascii: "-") || b[0] == UInt8(ascii: "+") { i = 1 }
        let integerStart = i
        while i < n, b[i] >= 48, b[i] <= 57 { i += 1 }
        let integerCount = i - integerStart
        if i == n {
            guard integerCount > 0 else { return nil }
            if integerCount > 1 && b[integerStart] == 48 { return .text }   // `007`: an identifier, not a number
            return .integer(digits: integerCount, fitsInt64: ValueParser.integer(b) != nil)
        }
        var scale = 0
        if b[i] == UInt8(ascii: ".") {
            i += 1
            let fractionStart = i
            while i < n, b[i] >= 48, b[i] <= 57 { i += 1 }
            scale = i - fractionStart
            if i == n, integerCount > 0, scale > 0 {
                if integerCount > 1 && b[integerStart] == 48 { return .text }
                let significant = integerCount == 1 && b[integerStart] == 48 ? 0 : integerCount
                return .fixed(integerDigits: significant, scale: scale)
            }
        }
        return NumberSyntax.isDecimalOrExponent(b) ? .float : nil
    }
}
