/// Writes rows as CSV that `CSVReader` reads back to the same values.
///
/// A header row, then one record per row, each ending with LF. A field is
/// quoted only when it must be: when it holds a comma, a quote (doubled
/// inside), CR or LF, begins or ends with a space, or is the empty string
/// (written `""`, so that it differs from NULL, which is an empty unquoted
/// field). Values are in their canonical text (`Value.text`): decimals at
/// their column's scale, `true`/`false`, `YYYY-MM-DD`, timestamps as
/// `2026-05-20T16:00:00Z` with six fraction digits only when they are not zero.
///
/// Given the schema, a file Rocky wrote round-trips byte for byte through
/// `CSVReader`, `RowDecoder` and this writer.
public struct CSVWriter {
    public let sink: OutputSink
    public let columnCount: Int

    /// Writes the header row at once.
    public init(sink: OutputSink, header: [String]) throws(ExportError) {
        precondition(!header.isEmpty, "a CSV file needs at least one column")
        self.sink = sink
        columnCount = header.count
        for (i, name) in header.enumerated() {
            if i > 0 { try sink.write(byte: UInt8(ascii: ",")) }
            try writeField(name)
        }
        try sink.write(byte: UInt8(ascii: "\n"))
    }

    /// Writes one row; `row` holds one value per header column.
    public func write(_ row: [Value]) throws(ExportError) {
        precondition(row.count == columnCount, "a row must have one value per column")
        for (i, value) in row.enumerated() {
            if i > 0 { try sink.write(byte: UInt8(ascii: ",")) }
            if let text = value.text { try writeField(text) }
        }
        try sink.write(byte: UInt8(ascii: "\n"))
    }

    /// Flushes the sink.
    public func finish() throws(ExportError) { try sink.flush() }

    private func writeField(_ text: String) throws(ExportError) {
        try OutputSink.withUTF8(text) { (utf8) throws(ExportError) in
            guard CSVWriter.needsQuotes(utf8) else {
                try sink.write(UnsafeRawBufferPointer(utf8))
                return
            }
            try sink.write(byte: UInt8(ascii: "\""))
            var run = 0
            for i in 0..<utf8.count where utf8[i] == UInt8(ascii: "\"") {
                try sink.write(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(utf8)[run...i]))
                try sink.write(byte: UInt8(ascii: "\""))
                run = i + 1
            }
            try sink.write(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(utf8)[run...]))
            try sink.write(byte: UInt8(ascii: "\""))
        }
    }

    /// Whether a field must be quoted to read back as written.
    static func needsQuotes(_ utf8: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let first = utf8.first, let last = utf8.last else { return true }
        if first == 32 || last == 32 { return true }
        for b in utf8 where b == UInt8(ascii: ",") || b == UInt8(ascii: "\"") || b == 10 || b == 13 { return true }
        return false
    }
}
