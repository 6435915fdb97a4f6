import RockyBase

/// Why an import stopped, and where: `file:line:column: message`.
///
/// Readers throw it for malformed input (a CSV quote left open, a JSON line
/// that is not an object, invalid UTF-8, a wrong field count), the value
/// parser for a value that is not of its column's type, and the importer for
/// row-level violations (a duplicate key, NULL in a key column). The caller
/// can do nothing but fix the file: the position is where to look.
///
/// `line` and `column` are 1-based; `column` counts Unicode scalars (as an
/// editor does), not bytes. Both are 0 for a problem with the file as a whole
/// (it cannot be opened or read), and the description then omits them.
public struct ImportError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What kind of problem, for callers that react to some differently.
    public enum Kind: Hashable, Sendable {
        /// The file cannot be opened or read.
        case io
        /// The text is not well-formed CSV or JSON Lines, or not UTF-8.
        case malformed
        /// A CSV record has more or fewer fields than the header.
        case fieldCount
        /// The header names a column the schema lacks, or lacks one it has,
        /// or names a column twice or with an empty name.
        case header
        /// A value is not of its column's type.
        case invalidValue
        /// NULL where the column is NOT NULL (a key column, typically).
        case nullValue
        /// Two rows with the same key.
        case duplicateKey
        /// A record or field longer than its `InputLimits`.
        case tooLarge
        /// Anything else the importer refuses.
        case other
    }

    public var kind: Kind
    /// The file as the user named it.
    public var file: String
    public var line: Int
    public var column: Int
    /// The whole message after the position, e.g. `'18x.50' is not a DECIMAL(12,4)`.
    public var message: String
    /// The offending value as shown to the user: control characters escaped,
    /// cut to `ImportError.maxShownValueLength` characters.
    public var value: String?
    /// The type the value should have had.
    public var expectedType: ColumnType?

    /// Values longer than this are cut (with `...`) in messages.
    public static let maxShownValueLength = 60

    /// A general error at a position; `value` is shown as given to `shown(_:)`.
    public init(_ kind: Kind, file: String, line: Int, column: Int, message: String,
                value: String? = nil, expectedType: ColumnType? = nil) {
        self.kind = kind
        self.file = file
        self.line = line
        self.column = column
        self.message = message
        self.value = value
        self.expectedType = expectedType
    }

    /// `'<value>' is not a <type>`, with an optional reason after a colon.
    public static func invalidValue(_ raw: String, expected type: ColumnType, reason: String? = nil,
                                    file: String, line: Int, column: Int) -> ImportError {
        let shown = ImportError.shown(raw)
        var message = "'\(shown)' is not \(ImportError.article(for: type)) \(type.name)"
        if let reason { message += ": " + reason }
        return ImportError(.invalidValue, file: file, line: line, column: column, message: message,
                           value: shown, expectedType: type)
    }

    /// `NULL in key column 'symbol'` or `NULL in NOT NULL column 'x'`.
    public static func nullValue(column name: String, isKey: Bool, file: String, line: Int, column: Int) -> ImportError {
        let what = isKey ? "key column" : "NOT NULL column"
        return ImportError(.nullValue, file: file, line: line, column: column, message: "NULL in \(what) '\(name)'")
    }

    /// A row-level problem the importer finds, such as a duplicate key.
    public static func row(_ kind: Kind, _ message: String, file: String, line: Int, column: Int) -> ImportError {
        ImportError(kind, file: file, line: line, column: column, message: message)
    }

    public var description: String {
        line > 0 ? "\(file):\(line):\(column): \(message)" : "\(file): \(message)"
    }

    /// A value as messages show it: control characters escaped (`\n`, `\t`,
    /// `\u{7}`), cut to `maxShownValueLength` characters followed by `...`.
    public static func shown(_ raw: String) -> String {
        var out = ""
        var count = 0
        for scalar in raw.unicodeScalars {
            if count == maxShownValueLength { out += "..."; break }
            switch scalar {
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20 || scalar.value == 0x7F: out += "\\u{\(String(scalar.value, radix: 16))}"
            default: out.unicodeScalars.append(scalar)
            }
            count += 1
        }
        return out
    }

    static func article(for type: ColumnType) -> String {
        switch type {
        case .integer: "an"
        default: "a"
        }
    }
}
