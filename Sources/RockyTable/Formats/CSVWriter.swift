/// Writes rows as CSV (or, with a tab `delimiter`, TSV) that `CSVReader`
/// reads back to the same values with the same delimiter.
///
/// A header row, then one record per row, each ending with LF. A field is
/// quoted only when it must be: when it holds the delimiter, a quote (doubled
/// inside), CR or LF, begins or ends with a space, or is the empty string
/// (written `""`, so that it differs from NULL, which is an empty unquoted
/// field). Values are in their canonical text (`Value.text`): decimals at
/// their column's scale, `true`/`false`, `YYYY-MM-DD`, timestamps as
/// `2026-05-20T16:00:00Z` with six fraction digits only when they are not zero.
///
/// Given the schema, a file Rocky wrote round-trips byte for byte through
/// `CSVReader`, `RowDecoder` and this writer.
public final class CSVWriter {
    public let sink: OutputSink
    public let columnCount: Int
    /// The byte between fields: `,` unless given.
    public let delimiter: UInt8
    /// The row being written, reused from row to row.
    private var line: [UInt8] = []

    /// Writes the header row at once.
    public init(sink: OutputSink, header: [String], delimiter: UInt8 = UInt8(ascii: ",")) throws(ExportError) {
        precondition(!header.isEmpty, "a CSV file needs at least one column")
        precondition(CSVReader.isValidDelimiter(delimiter) && delimiter != 0x20, "a delimiter is a tab or a printable ASCII character other than a quote or a space")
        self.sink = sink
        self.delimiter = delimiter
        columnCount = header.count
        var line: [UInt8] = []
        for (i, name) in header.enumerated() {
            if i > 0 { line.append(delimiter) }
            CSVWriter.appendField(text: name.utf8, delimiter: delimiter, to: &line)
        }
        line.append(UInt8(ascii: "\n"))
        try sink.write(line)
    }

    /// Writes one row; `row` holds one value per header column.
    public func write(_ row: [Value]) throws(ExportError) {
        precondition(row.count == columnCount, "a row must have one value per column")
        var line: [UInt8] = []
        swap(&line, &self.line)   // a local array: no exclusivity check per byte
        defer { swap(&line, &self.line) }
        line.removeAll(keepingCapacity: true)
        for (i, value) in row.enumerated() {
            if i > 0 { line.append(delimiter) }
            if case let .text(s) = value {
                CSVWriter.appendField(text: s.utf8, delimiter: delimiter, to: &line)
            } else {
                // Other types' canonical text never holds a comma, tab, quote, line break or space.
                _ = CanonicalText.append(value, to: &line)
            }
        }
        line.append(UInt8(ascii: "\n"))
        try sink.write(line)
    }

    /// Flushes the sink.
    public func finish() throws(ExportError) { try sink.flush() }

    /// Appends `text` as a field, quoted only when it must be.
    static func appendField<C: Collection<UInt8>>(text: C, delimiter: UInt8 = UInt8(ascii: ","), to line: inout [UInt8]) {
        guard needsQuotes(text, delimiter: delimiter) else {
            line.append(contentsOf: text)
            return
        }
        line.append(UInt8(ascii: "\""))
        for b in text {
            line.append(b)
            if b == UInt8(ascii: "\"") { line.append(b) }
        }
        line.append(UInt8(ascii: "\""))
    }

    /// Whether a field must be quoted to read back as written.
    static func needsQuotes<C: Collection<UInt8>>(_ utf8: C, delimiter: UInt8 = UInt8(ascii: ",")) -> Bool {
        guard let first = utf8.first else { return true }
        if first == 32 { return true }
        var last = first
        for b in utf8 {
            if b == delimiter || b == UInt8(ascii: "\"") || b == 10 || b == 13 { return true }
            last = b
        }
        return last == 32
    }
}
