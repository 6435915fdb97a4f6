/// Validation of one UTF-8 sequence inside a read buffer.
enum UTF8Scan {
    /// The length (2...4) of the well-formed UTF-8 sequence whose lead byte
    /// `p[i]` is at least 0x80; 0 when it is ill-formed (a stray continuation
    /// byte, an overlong form, a surrogate, above U+10FFFF); -1 when it is
    /// well-formed so far but runs past `end`, so more input could complete it.
    @inline(__always)
    static func sequenceLength(_ p: UnsafePointer<UInt8>, _ i: Int, _ end: Int) -> Int {
        let lead = p[i]
        let length: Int
        var low: UInt8 = 0x80, high: UInt8 = 0xBF   // range of the second byte
        switch lead {
        case 0xC2...0xDF: length = 2
        case 0xE0: length = 3; low = 0xA0
        case 0xE1...0xEC, 0xEE...0xEF: length = 3
        case 0xED: length = 3; high = 0x9F
        case 0xF0: length = 4; low = 0x90
        case 0xF1...0xF3: length = 4
        case 0xF4: length = 4; high = 0x8F
        default: return 0
        }
        for k in 1..<length {
            if i + k >= end { return -1 }
            let b = p[i + k]
            if k == 1 {
                if b < low || b > high { return 0 }
            } else if b & 0xC0 != 0x80 {
                return 0
            }
        }
        return length
    }
}
