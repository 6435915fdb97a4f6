import RockyBase

/// Writes rows as JSON Lines that `JSONLinesReader` reads back to the same values.
///
/// One object per row, keys in column order, no spaces, LF after each.
/// INTEGER and DECIMAL are JSON numbers with their exact canonical text
/// (`-0.0100` stays `-0.0100`); DOUBLE is a number in its shortest
/// round-tripping form, except `"nan"`, `"inf"`, `"-inf"`, which JSON
/// numbers cannot express, as strings; BOOLEAN is `true`/`false`; TEXT,
/// DATE and TIMESTAMP are strings; NULL is `null`.
public struct JSONLinesWriter {
    public let sink: OutputSink
    /// `{"name":` for the first column, `,"name":` for the others.
    private let keyPrefixes: [String]

    public init(sink: OutputSink, header: [String]) {
        precondition(!header.isEmpty, "a row needs at least one column")
        self.sink = sink
        keyPrefixes = header.enumerated().map { i, name in
            var prefix = i == 0 ? "{" : ","
            JSON.writeString(name, to: &prefix)
            return prefix + ":"
        }
    }

    /// Writes one row; `row` holds one value per header column.
    public func write(_ row: [Value]) throws(ExportError) {
        precondition(row.count == keyPrefixes.count, "a row must have one value per column")
        var line = ""
        for (i, value) in row.enumerated() {
            line += keyPrefixes[i]
            switch value {
            case .null: line += "null"
            case let .boolean(b): line += b ? "true" : "false"
            case let .integer(n): line += String(n)
            case let .decimal(d): line += d.description
            case let .double(d): line += d.isFinite ? Value.format(d) : "\"" + Value.format(d) + "\""
            case let .text(s): JSON.writeString(s, to: &line)
            case .date, .timestamp: JSON.writeString(value.text!, to: &line)
            }
        }
        line += "}\n"
        try sink.write(line)
    }

    /// Flushes the sink.
    public func finish() throws(ExportError) { try sink.flush() }
}
