import RockyBase

/// Writes rows as JSON Lines that `JSONLinesReader` reads back to the same values.
///
/// One object per row, keys in column order, no spaces, LF after each.
/// INTEGER and DECIMAL are JSON numbers with their exact canonical text
/// (`-0.0100` stays `-0.0100`); DOUBLE is a number in its shortest
/// round-tripping form, except `"nan"`, `"inf"`, `"-inf"`, which JSON
/// numbers cannot express, as strings; BOOLEAN is `true`/`false`; TEXT,
/// DATE and TIMESTAMP are strings; NULL is `null`.
public final class JSONLinesWriter {
    public let sink: OutputSink
    /// `{"name":` for the first column, `,"name":` for the others.
    private let keyPrefixes: [[UInt8]]
    /// The row being written, reused from row to row.
    private var line: [UInt8] = []

    public init(sink: OutputSink, header: [String]) {
        precondition(!header.isEmpty, "a row needs at least one column")
        self.sink = sink
        keyPrefixes = header.enumerated().map { i, name in
            var prefix: [UInt8] = [i == 0 ? UInt8(ascii: "{") : UInt8(ascii: ",")]
            JSONLinesWriter.appendString(name.utf8, to: &prefix)
            prefix.append(UInt8(ascii: ":"))
            return prefix
        }
    }

    /// Writes one row; `row` holds one value per header column.
    public func write(_ row: [Value]) throws(ExportError) {
        precondition(row.count == keyPrefixes.count, "a row must have one value per column")
        var line: [UInt8] = []
        swap(&line, &self.line)   // a local array: no exclusivity check per byte
        defer { swap(&line, &self.line) }
        line.removeAll(keepingCapacity: true)
        for (i, value) in row.enumerated() {
            line.append(contentsOf: keyPrefixes[i])
            switch value {
            case .null:
                line.append(contentsOf: JSONLinesWriter.null)
            case let .text(s):
                JSONLinesWriter.appendString(s.utf8, to: &line)
            case let .double(d) where !d.isFinite:
                JSONLinesWriter.appendString(Value.format(d).utf8, to: &line)
            case .date, .timestamp:
                line.append(UInt8(ascii: "\""))   // digits, '-', ':', '.', 'T', 'Z': nothing to escape
                _ = CanonicalText.append(value, to: &line)
                line.append(UInt8(ascii: "\""))
            case .boolean, .integer, .decimal, .double:
                _ = CanonicalText.append(value, to: &line)
            }
        }
        line.append(UInt8(ascii: "}"))
        line.append(UInt8(ascii: "\n"))
        try sink.write(line)
    }

    /// Flushes the sink.
    public func finish() throws(ExportError) { try sink.flush() }

    private static let null = Array("null".utf8)
    private static let hex = Array("0123456789abcdef".utf8)

    /// Appends a JSON string as `JSON.writeString` writes it: `"` and `\`
    /// escaped, control characters as `\n`, `\r`, `\t`, `\b`, `\f` or
    /// `\u00XX`, everything else as raw UTF-8.
    static func appendString<C: Collection<UInt8>>(_ utf8: C, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for b in utf8 {
            switch b {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"): out.append(UInt8(ascii: "\\")); out.append(b)
            case 0x0A: out.append(UInt8(ascii: "\\")); out.append(UInt8(ascii: "n"))
            case 0x0D: out.append(UInt8(ascii: "\\")); out.append(UInt8(ascii: "r"))
            case 0x09: out.append(UInt8(ascii: "\\")); out.append(UInt8(ascii: "t"))
            case 0x08: out.append(UInt8(ascii: "\\")); out.append(UInt8(ascii: "b"))
            case 0x0C: out.append(UInt8(ascii: "\\")); out.append(UInt8(ascii: "f"))
            case 0..<0x20:
                out.append(contentsOf: Array("\\u00".utf8))
                out.append(hex[Int(b >> 4)])
                out.append(hex[Int(b & 0xF)])
            default: out.append(b)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}
