/// Text files that must be UTF-8 (SQL scripts, models): decoded strictly,
/// never with replacement characters.
public enum UTF8Text {
    /// Where the first invalid UTF-8 sequence is: the byte offset (from 0),
    /// and the line and column (from 1; columns count Unicode scalars).
    public struct Invalid: Error, Equatable, Sendable, CustomStringConvertible {
        /// The file as the user named it.
        public var file: String
        public var offset: Int
        public var line: Int
        public var column: Int
        public var byte: UInt8

        /// `file:line:column: invalid UTF-8 ...`
        public var description: String {
            "\(file):\(line):\(column): invalid UTF-8 (byte 0x\(String(byte, radix: 16, uppercase: true)) at byte offset \(offset)): the file must be UTF-8"
        }
    }

    /// The bytes of `file` as a string; throws where they are not UTF-8.
    public static func decode(_ bytes: [UInt8], file: String) throws(Invalid) -> String {
        if let text = String(validating: bytes, as: UTF8.self) { return text }
        var iterator = bytes.makeIterator()
        var decoder = Unicode.UTF8()
        var offset = 0, line = 1, column = 1
        while true {
            switch decoder.decode(&iterator) {
            case let .scalarValue(scalar):
                offset += UTF8.width(scalar)
                if scalar == "\n" { line += 1; column = 1 } else { column += 1 }
            case .emptyInput:
                return String(decoding: bytes, as: UTF8.self)
            case .error:
                throw Invalid(file: file, offset: offset, line: line, column: column, byte: bytes[offset])
            }
        }
    }
}
