/// The shapes of numbers, shared by the parser and type inference.
enum NumberSyntax {
    /// `[+-]? (digits [. digits?] | . digits) ([eE] [+-]? digits)?`
    static func isDecimalOrExponent<C: Collection<UInt8>>(_ b: C) -> Bool where C.Index == Int {
        var i = b.startIndex
        let n = b.endIndex
        if i < n && (b[i] == UInt8(ascii: "-") || b[i] == UInt8(ascii: "+")) { i += 1 }
        var mantissaDigits = 0
        while i < n, b[i] >= 48, b[i] <= 57 { i += 1; mantissaDigits += 1 }
        if i < n && b[i] == UInt8(ascii: ".") {
            i += 1
            while i < n, b[i] >= 48, b[i] <= 57 { i += 1; mantissaDigits += 1 }
        }
        guard mantissaDigits > 0 else { return false }
        if i < n && b[i] | 0x20 == UInt8(ascii: "e") {
            i += 1
            if i < n && (b[i] == UInt8(ascii: "-") || b[i] == UInt8(ascii: "+")) { i += 1 }
            var exponentDigits = 0
            while i < n, b[i] >= 48, b[i] <= 57 { i += 1; exponentDigits += 1 }
            guard exponentDigits > 0 else { return false }
        }
        return i == n
    }
}
