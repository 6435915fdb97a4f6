/// The name of an object: the SHA-256 of `"<kind> <size>\0" + payload`.
///
/// Stored as four big-endian 64-bit words so that comparing ids compares their
/// hex forms, and hashing one costs nothing. The text form is 64 lowercase hex
/// digits; any unambiguous prefix of 4 or more digits names an object on the
/// command line (`ObjectStore.resolve(prefix:)`).
public struct ObjectID: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let w0: UInt64, w1: UInt64, w2: UInt64, w3: UInt64

    /// The id of 32 raw digest bytes. Inlinable, so that callers in other
    /// modules get a specialized copy: decoding index nodes and pack indexes
    /// makes one per entry, and the generic version spent most of a clone's
    /// time in Swift's metadata lookups.
    @inlinable
    public init<C: Collection<UInt8>>(bytes: C) {
        precondition(bytes.count == 32, "an object id is 32 bytes")
        if let words = bytes.withContiguousStorageIfAvailable({ b -> (UInt64, UInt64, UInt64, UInt64) in
            let raw = UnsafeRawBufferPointer(b)
            func word(_ at: Int) -> UInt64 { UInt64(bigEndian: raw.loadUnaligned(fromByteOffset: at, as: UInt64.self)) }
            return (word(0), word(8), word(16), word(24))
        }) {
            (w0, w1, w2, w3) = words
            return
        }
        var words: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        var i = 0
        for b in bytes {
            switch i >> 3 {
            case 0: words.0 = words.0 << 8 | UInt64(b)
            case 1: words.1 = words.1 << 8 | UInt64(b)
            case 2: words.2 = words.2 << 8 | UInt64(b)
            default: words.3 = words.3 << 8 | UInt64(b)
            }
            i += 1
        }
        (w0, w1, w2, w3) = words
    }

    /// The id whose 32 bytes are these four words, big-endian.
    public init(words w0: UInt64, _ w1: UInt64, _ w2: UInt64, _ w3: UInt64) {
        (self.w0, self.w1, self.w2, self.w3) = (w0, w1, w2, w3)
    }

    /// Parses exactly 64 hex digits (either case).
    public init?(hex: some StringProtocol) {
        let utf8 = Array(hex.utf8)
        guard utf8.count == 64 else { return nil }
        var words: [UInt64] = [0, 0, 0, 0]
        for (i, c) in utf8.enumerated() {
            guard let v = hexValue(c) else { return nil }
            words[i / 16] = words[i / 16] << 4 | UInt64(v)
        }
        (w0, w1, w2, w3) = (words[0], words[1], words[2], words[3])
    }

    public var bytes: [UInt8] {
        withUnsafeBytes(of: (w0.bigEndian, w1.bigEndian, w2.bigEndian, w3.bigEndian)) { Array($0) }
    }

    public var hex: String {
        var out = [UInt8]()
        out.reserveCapacity(64)
        for b in bytes {
            out.append(hexDigits[Int(b >> 4)])
            out.append(hexDigits[Int(b & 15)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The first `n` hex digits, for display.
    public func short(_ n: Int = 12) -> String { String(hex.prefix(n)) }

    public var description: String { hex }

    public static func < (a: ObjectID, b: ObjectID) -> Bool {
        (a.w0, a.w1, a.w2, a.w3) < (b.w0, b.w1, b.w2, b.w3)
    }

    /// Whether a text is a valid abbreviation: 4 to 64 hex digits.
    public static func isHexPrefix(_ text: some StringProtocol) -> Bool {
        (4...64).contains(text.utf8.count) && text.utf8.allSatisfy { hexValue($0) != nil }
    }
}

private let hexDigits = Array("0123456789abcdef".utf8)

private func hexValue(_ c: UInt8) -> UInt8? {
    switch c {
    case 48...57: c - 48
    case 97...102: c - 87
    case 65...70: c - 55
    default: nil
    }
}
