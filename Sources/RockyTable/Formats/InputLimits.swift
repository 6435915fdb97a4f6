/// How large one record, and one field of it, of an import file may be.
///
/// A reader holds a whole record in memory, so without a bound a file with
/// no line break (`/dev/zero`, a binary file imported by mistake) grows the
/// process until it is killed. Past either limit the reader stops with an
/// error at the record's line (`ImportError.Kind.tooLarge`). The checks cost
/// a comparison per record, and one per field only for a record longer than
/// `maxFieldBytes`.
///
/// Defaults (Docs/import.md): 64 MiB per record, 16 MiB per field, far above
/// real rows; `rocky import --max-record-bytes`, `--max-field-bytes` change them.
public struct InputLimits: Hashable, Sendable {
    /// Bytes of one record as written in the file: a CSV record with its
    /// quotes and line break(s), a JSON Lines line.
    public var maxRecordBytes: Int
    /// Bytes of one field's value (a CSV field without its quotes, a JSON value as stored).
    public var maxFieldBytes: Int

    public static let defaultMaxRecordBytes = 64 << 20
    public static let defaultMaxFieldBytes = 16 << 20

    public init(maxRecordBytes: Int = InputLimits.defaultMaxRecordBytes, maxFieldBytes: Int = InputLimits.defaultMaxFieldBytes) {
        self.maxRecordBytes = max(1, maxRecordBytes)
        self.maxFieldBytes = max(1, maxFieldBytes)
    }

    public func recordTooLarge(file: String, line: Int) -> ImportError {
        ImportError(.tooLarge, file: file, line: line, column: 1,
                    message: "the record starting here is longer than the limit of \(maxRecordBytes) bytes (--max-record-bytes): is this the right file?")
    }

    /// The first field of `slots` longer than `maxFieldBytes`, as an error.
    func checkFields(_ slots: [FieldSlot], file: String) throws(ImportError) {
        for slot in slots where slot.count > maxFieldBytes {
            throw ImportError(.tooLarge, file: file, line: slot.line, column: slot.column,
                              message: "this field is \(slot.count) bytes, more than the limit of \(maxFieldBytes) (--max-field-bytes)")
        }
    }
}
