import Foundation
import Glibc
import Rocky
import RockyBase
import RockyTable

/// `rocky import`.
struct ImportCommand: Command {
    static let name = "import"
    static let abstract = "Load a CSV, TSV or JSON Lines file into a table of the working set"
    static let usage = ["import <table> <file> [--format csv|tsv|jsonl] [--delimiter <c>] [--key c1,c2] [--schema <file>] [--time-column c] [--mode replace|append|upsert] [--infer] [-m <message>] [--retry <N>]"]
    static let help = """
    <file> may be - for standard input. Without --schema a new table's column
    types are inferred from the data and reported; numbers written with a
    fixed number of decimal places become DECIMAL, never DOUBLE. An existing
    table keeps its columns' types in every mode (a value that does not fit
    is an error at its position); only columns new to it are inferred, and
    --infer makes --mode replace infer every column afresh. A file that is
    not UTF-8 text (Parquet, a spreadsheet, compressed, binary) or whose
    extension names another format is refused. A bad row (wrong field
    count, a value that does not parse, a duplicate key, NULL in a key column)
    stops the import with file:line:column, and nothing is written. The file
    is streamed and sorted with bounded memory (Docs/import.md). When another
    process changed the branch or its working set meanwhile, nothing is
    written and the command exits 3: run it again, or pass --retry.

    options:
      --format csv|tsv|jsonl  default: from the extension (.csv, .txt: CSV; .tsv, .tab: TSV;
                            .jsonl, .ndjson, .json: JSON Lines); without one, from the first bytes
      --delimiter <c>       the character between CSV fields (default , for CSV, tab for TSV);
                            one ASCII character, or tab
      --key c1,c2           the primary key (default: the table's; a new table without one is keyless)
      --schema <file>       declared types, enforced (JSON, see Docs/import.md)
      --time-column <c>     the event-time column (TIMESTAMP or DATE), used by replay
      --mode <m>            replace (default): the file becomes the table;
                            append: add rows, an existing key is an error;
                            upsert: add rows or replace those with the same key
      --infer               with --mode replace of an existing table: infer every type afresh
      -m <message>          commit at once with this message
      --retry <N>           on exit 3 for a concurrent change, import again on the new state, up to N times
      --max-record-bytes <n>  the longest record (CSV record, JSON line) accepted, in bytes
                            (default 67108864, 64 MiB); a longer one stops the import at its line
      --max-field-bytes <n>   the longest field value accepted, in bytes (default 16777216, 16 MiB)
    """

    let request: ImportRequest

    init(parsing arguments: inout Arguments) throws {
        var format: TableFormat?
        if let f = try arguments.option("--format") {
            guard let parsed = TableFormat(rawValue: f) else { throw arguments.usage("--format is csv, tsv or jsonl, not '\(f)'") }
            format = parsed
        }
        var delimiter: UInt8?
        if let d = try arguments.option("--delimiter") {
            let byte: UInt8? = switch d {
            case "tab", "\\t", "\t": 0x09
            default: d.utf8.count == 1 ? d.utf8.first : nil
            }
            guard let byte, CSVReader.isValidDelimiter(byte) else {
                throw arguments.usage("--delimiter is one ASCII character other than a quote (or tab), not '\(d)'")
            }
            delimiter = byte
        }
        let infer = arguments.flag("--infer")
        let key = try arguments.option("--key").map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }
        let schema = try arguments.option("--schema")
        let time = try arguments.option("--time-column")
        var mode = ImportMode.replace
        if let m = try arguments.option("--mode") {
            guard let parsed = ImportMode(rawValue: m) else { throw arguments.usage("--mode is replace, append or upsert, not '\(m)'") }
            mode = parsed
        }
        let message = try arguments.option("-m", "--message")
        let retries = try arguments.intOption("--retry") ?? 0
        var limits = InputLimits()
        if let n = try arguments.intOption("--max-record-bytes") {
            guard n > 0 else { throw arguments.usage("--max-record-bytes must be at least 1") }
            limits.maxRecordBytes = n
        }
        if let n = try arguments.intOption("--max-field-bytes") {
            guard n > 0 else { throw arguments.usage("--max-field-bytes must be at least 1") }
            limits.maxFieldBytes = n
        }
        let names = try arguments.positionals(max: 2, names: "<table> <file>")
        guard names.count == 2 else { throw arguments.usage("import needs a table name and a file") }
        request = ImportRequest(table: names[0], path: names[1], format: format, key: key, schemaFile: schema,
                                timeColumn: time, mode: mode, commitMessage: message, retries: retries, limits: limits,
                                delimiter: delimiter, infer: infer)
    }

    func run(_ context: CommandContext) throws {
        let repo = try context.repository()
        var request = self.request
        if request.path != "-" { request.path = context.path(request.path) }
        if let schema = request.schemaFile { request.schemaFile = context.path(schema) }
        let bar = ProgressBar(err: context.err, label: "importing \(request.table)")
        let summary: ImportSummary
        do {
            summary = try repo.importTable(request) { bar.update($0) }
            bar.finish()
        } catch {
            bar.finish()
            throw error
        }
        if context.json {
            context.emit(.object([
                "table": .string(summary.table),
                "id": .string(summary.id.hex),
                "created": .bool(summary.created),
                "rows_read": .int(summary.rowsRead),
                "rows": .int(summary.rowsInTable),
                "key": .array(summary.schema.keyColumnNames.map(JSON.string)),
                "time_column": summary.schema.timeColumnName.map(JSON.string),
                "commit": summary.commit.map { .string($0.hex) },
                "columns": .array(summary.schema.columns.map { c in
                    let reason = summary.inferred?.first { $0.name == c.name }?.reason
                    return .object(["name": .string(c.name), "type": .string(c.type.name), "nullable": .bool(c.nullable),
                                    "inferred_because": reason.map(JSON.string)])
                }),
            ]))
            return
        }
        if let inferred = summary.inferred {
            context.out.line("inferred types:")
            context.out.write(Render.table(nil, inferred.map { ["  " + $0.name, $0.type.name, $0.reason] }))
        }
        let key = summary.schema.isKeyless ? "keyless" : "key (\(summary.schema.keyColumnNames.joined(separator: ", ")))"
        context.out.line("\(summary.created ? "created" : "updated") table \(summary.table): \(summary.rowsRead) rows read, "
            + "\(summary.rowsInTable) rows, \(key)" + (summary.schema.timeColumnName.map { ", time column \($0)" } ?? ""))
        for change in summary.schemaChanges { context.out.line("  schema " + describe(change)) }
        if let commit = summary.commit { context.out.line("committed \(commit.short())") }
    }
}

/// `rocky export`.
struct ExportCommand: Command {
    static let name = "export"
    static let abstract = "Write a table as CSV, TSV or JSON Lines"
    static let usage = ["export <table> [<rev>] [--format csv|tsv|jsonl] [-o <file>]"]
    static let help = """
    Writes the table of <rev> (default: the working set) in key order,
    streaming. A CSV that Rocky wrote imports back to the same table and
    exports again byte for byte: NULL is an empty field, the empty string is "".

    The environment's masking (--env, ROCKY_ENV) applies as to a SELECT: a
    classified column is written masked (the rows then ordered by the key
    columns, then the others, as written). A column the environment denies
    refuses the export with exit code 5, naming its lineage path, and
    nothing is written.

    options:
      --format csv|tsv|jsonl  default: from -o's extension (.csv, .txt, .tsv, .tab, .jsonl,
                           .ndjson, .json), else csv; another extension (.parquet, .xlsx) is refused
      -o <file>            write to a file instead of standard output
    """

    let table: String
    let revision: String?
    let format: TableFormat?
    let output: String?

    init(parsing arguments: inout Arguments) throws {
        if let f = try arguments.option("--format") {
            guard let parsed = TableFormat(rawValue: f) else { throw arguments.usage("--format is csv, tsv or jsonl, not '\(f)'") }
            format = parsed
        } else {
            format = nil
        }
        output = try arguments.option("-o", "--output")
        let names = try arguments.positionals(max: 2, names: "<table> [<rev>]")
        guard let table = names.first else { throw arguments.usage("export needs a table name") }
        self.table = table
        revision = names.count > 1 ? names[1] : nil
    }

    func run(_ context: CommandContext) throws {
        let repo = try context.repository()
        let format = try self.format ?? output.flatMap { try TableFormat.of(path: $0, writing: true) } ?? .csv
        if let output {
            let path = context.path(output)
            let temp = path + ".rocky-tmp-\(getpid())"
            let sink = try OutputSink(path: temp)
            let count: Int
            do {
                count = try repo.exportTable(table, at: revision, format: format, to: sink)
                try sink.flush()
                guard rename(temp, path) == 0 else {
                    throw RepositoryError.invalidArgument("cannot write \(path): \(String(cString: strerror(errno)))")
                }
            } catch {
                try? FileManager.default.removeItem(atPath: temp)
                throw error
            }
            if context.json {
                context.emit(.object(["table": .string(table), "rows": .int(count), "path": .string(path), "format": .string(format.rawValue)]))
            } else {
                context.note("wrote \(count) rows to \(output)")
            }
        } else {
            context.out.flush()
            let sink = OutputSink(fileDescriptor: 1, name: "standard output")
            try repo.exportTable(table, at: revision, format: format, to: sink)
        }
    }
}
