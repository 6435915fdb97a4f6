import RockyBase

/// `--format`, the same on every command that prints data (Docs/json.md,
/// "Formats"): `table` (the command's text output; `text` is the same),
/// `csv`, `json` (the `--json` document) and `jsonl` (one compact object per
/// record), plus command-specific ones (`diff`'s `sql`, `lineage`'s `dot`).
enum DataFormat {
    /// The formats of a command that prints a list of records.
    static let standard = ["table", "csv", "json", "jsonl"]

    /// The `--format` option: one of `formats` (`text` is `table`'s other
    /// name where `table` is taken, and the reverse), nil when not given. An
    /// unknown format is a usage error naming the command's formats and the
    /// nearest one.
    static func option(_ arguments: inout Arguments, among formats: [String] = standard) throws -> String? {
        guard let text = try arguments.option("--format") else { return nil }
        if formats.contains(text) { return text }
        if text == "text", formats.contains("table") { return "table" }
        if text == "table", formats.contains("text") { return "text" }
        throw arguments.usage("--format is one of \(formats.joined(separator: ", ")), not '\(text)'"
            + Suggestion.didYouMean(text, among: formats))
    }

    /// Prints a command's data in `format`, from the same records its JSON
    /// document holds: `document` is the `--json` document, `records` the
    /// list in it that csv and jsonl print (one line per record), `table` the
    /// command's own text output. Without `--format` that text prints (the
    /// document with `--json`); `--format json` prints the document; with
    /// `--json`, any other format prints `{"format", "content"}`.
    static func print(_ format: String?, _ context: CommandContext, document: JSON, records: [JSON],
                      table: (CommandContext) throws -> Void) throws {
        if format == "json" || (format == nil && context.json) { return context.emit(document) }
        if let format, context.json {
            return try context.emitWrapped(format: format) { try print(format, $0, document: document, records: records, table: table) }
        }
        switch format {
        case "csv": context.out.write(csv(records))
        case "jsonl": for record in records { context.out.line(record.compactText) }
        default: try table(context)
        }
    }

    /// The records as CSV: a header of every key in order of first
    /// appearance, then one line per record (Docs/json.md, "Formats").
    static func csv(_ records: [JSON]) -> String {
        var columns: [String] = []
        for record in records {
            for member in record.members ?? [] where !columns.contains(member.key) { columns.append(member.key) }
        }
        var out = columns.map(field).joined(separator: ",") + "\n"
        for record in records {
            let members = record.members ?? []
            out += columns.map { column in
                members.first { $0.key == column }.map { cell($0.value) } ?? ""
            }.joined(separator: ",") + "\n"
        }
        return out
    }

    /// A value in a CSV cell: null and an absent key are empty, a string is
    /// its text (an empty string is `""`), a number or boolean its JSON
    /// text, an array or object its compact JSON.
    static func cell(_ value: JSON) -> String {
        switch value {
        case .null: ""
        case let .string(text): field(text)
        default: field(value.compactText)
        }
    }

    /// A CSV field, quoted when it must be (RFC 4180; an empty string is `""`
    /// so that it differs from NULL).
    static func field(_ text: String) -> String {
        if text.isEmpty { return "\"\"" }
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) || text.first == " " || text.last == " " else {
            return text
        }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
