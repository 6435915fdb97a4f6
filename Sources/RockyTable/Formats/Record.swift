import RockyBase

/// Where a field's bytes lie in its record's storage, and where it started in the file.
struct FieldSlot: Sendable {
    var start: Int
    var count: Int
    var column: Int
    var flags: UInt8
    var line: Int

    static let null: UInt8 = 1
    static let quoted: UInt8 = 2

    var isNull: Bool { flags & FieldSlot.null != 0 }
    var isQuoted: Bool { flags & FieldSlot.quoted != 0 }
}

/// One record of an input file: its fields in header order.
///
/// A record owns its bytes (a copy of the fields, with CSV quotes undone), so
/// it stays valid after the reader moves on. Readers reuse the storage of a
/// record that nobody holds any more, so a loop that drops each record
/// before asking for the next one allocates nothing per record.
public struct Record: Sendable {
    /// The file as the user named it (for error messages).
    public let file: String
    /// The 1-based line on which the record starts.
    public let line: Int
    var bytes: [UInt8]
    var slots: [FieldSlot]

    /// The number of fields.
    public var count: Int { slots.count }

    public subscript(index: Int) -> Field { Field(record: self, index: index) }

    public var fields: [Field] { (0..<count).map { self[$0] } }
}

/// One field of a record.
///
/// NULL and the empty string differ: in CSV an unquoted empty field is NULL
/// and a quoted one (`""`) is the empty string; in JSON Lines `null` or a
/// missing key is NULL and `""` is the empty string. `isQuoted` says the
/// field was written in quotes: a quoted CSV field or a JSON string.
public struct Field: Sendable {
    let record: Record
    let index: Int

    var slot: FieldSlot { record.slots[index] }

    public var isNull: Bool { slot.isNull }
    public var isQuoted: Bool { slot.isQuoted }
    /// The 1-based line on which the field starts.
    public var line: Int { slot.line }
    /// The 1-based column (in Unicode scalars) at which the field starts: its
    /// opening quote when quoted.
    public var column: Int { slot.column }
    public var file: String { record.file }

    /// The field's UTF-8 bytes (quotes and escapes undone); empty for NULL.
    public func withBytes<R, E: Error>(_ body: (UnsafeBufferPointer<UInt8>) throws(E) -> R) throws(E) -> R {
        let s = slot
        return try record.bytes.withUnsafeBufferPointer { (all) throws(E) -> R in
            try body(UnsafeBufferPointer(rebasing: all[s.start..<(s.start + s.count)]))
        }
    }

    /// The field's text; nil for NULL.
    public var string: String? {
        isNull ? nil : withBytes { String(decoding: $0, as: UTF8.self) }
    }
}

/// A stream of records with a header, as CSV and JSON Lines readers give
/// them, so that the importer treats both alike.
///
/// `next()` returns nil at the end of the input; after an error the source
/// must not be used again.
public protocol RecordSource: AnyObject {
    /// The file as the user named it.
    var file: String { get }
    /// Column names, in field order. A JSON Lines reader without a fixed
    /// column list adds names as new keys appear, so records read earlier
    /// may have fewer fields than the header has names.
    var header: [String] { get }
    /// Whether a quoted field is a string by its syntax (a JSON string, as
    /// opposed to a JSON number or `true`), which type inference respects.
    /// False for CSV, where any field may be quoted.
    var quotedFieldsAreStrings: Bool { get }
    /// How many bytes of the file the records returned so far span (for progress).
    var bytesConsumed: Int64 { get }
    /// Where the header names column `index` (line 0 when there is no header line).
    func headerPosition(ofColumn index: Int) -> (line: Int, column: Int)
    /// The next record, or nil at the end of the input.
    func next() throws(ImportError) -> Record?
}
