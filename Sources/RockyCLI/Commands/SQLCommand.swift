import Foundation
import Rocky
import RockyBase
import RockyEngine
import RockySQL
import RockyStore
import RockyTable

/// `rocky sql`.
struct SQLCommand: Command {
    static let name = "sql"
    static let abstract = "Run SQL statements on the working set"
    static let usage = ["sql <statements> [-m <message>] [--retry <N>] [--verify-incremental] [--format table|csv|json|jsonl]",
                        "sql -f <file.sql | -> [-m <message>] [--retry <N>] [--verify-incremental] [--format table|csv|json|jsonl]"]
    static let help = """
    Compiles the whole script first (types, lineage, the environment's
    masking from --env); any error stops it before anything runs. DDL, DML and
    CREATE TABLE AS change the working set and are recorded as transformations
    for the next commit ('rocky show' displays them); a SELECT prints its rows.
    A statement that fails leaves the working set as it was. When another
    process changed the branch or its working set meanwhile, nothing is
    written and the command exits 3: run it again, or pass --retry.

    options:
      -f, --file <file>    read the statements from a file; - reads standard input
      -m <message>         commit at once with this message
      --retry <N>          on exit 3 for a concurrent change, run the script again on the new state, up to N times
      --verify-incremental run each CREATE TABLE AS that runs incrementally in full too; a different
                           table id fails the script (incremental_mismatch) and writes nothing
      --format <f>         how SELECT results print: table (default; 'text' is the same), csv,
                           json (one document, the same as --json), jsonl (one compact object per row);
                           with --json, table, csv and jsonl print {"format": <f>, "content": <the text>, ...}
    """

    enum Format: String, CaseIterable { case table, csv, json, jsonl }

    let sql: String?
    let file: String?
    let message: String?
    let retries: Int
    let format: Format?
    let verify: Bool

    init(parsing arguments: inout Arguments) throws {
        verify = arguments.flag("--verify-incremental")
        file = try arguments.option("-f", "--file")
        message = try arguments.option("-m", "--message")
        retries = try arguments.intOption("--retry") ?? 0
        format = try DataFormat.option(&arguments).flatMap(Format.init(rawValue:))
        let rest = try arguments.positionals(max: 1, names: "<statements>")
        sql = rest.first
        if (sql == nil) == (file == nil) { throw arguments.usage("give the statements, or -f <file>") }
    }

    func run(_ context: CommandContext) throws {
        let repo = try RunCommand.repository(context, verify: verify)
        var script = sql ?? ""
        if let file {
            script = try SQLFile.read(file, context)
        }
        let json = context.json || format == .json
        // --json with another format: that format's text inside the document.
        let wrapped = json && format != nil && format != .json
        let printer = wrapped ? CommandContext(out: OutputStream(.capture), err: context.err, directory: context.directory, json: false,
                                               settings: context.settings, environment: context.environment) : context
        var results: [JSON] = []
        let summary = try repo.runSQL(script, commitMessage: message, retries: retries, sourceName: file == "-" ? "<stdin>" : file) { statement, result in
            switch wrapped ? format! : json ? .json : format ?? .table {
            case .json:
                results.append(.object([
                    "statement": .int(statement.index + 1),
                    "columns": .array(result.columns.map { .object(["name": .string($0.name), "type": .string($0.type.name)]) }),
                    "rows": .array(try ResultPrinter.jsonRows(result)),
                ]))
            case .jsonl:
                while let row = try result.nextRow() {
                    printer.out.line(JSON.object(zip(result.columnNames, row).map { JSON.Member($0, ValueRendering.json($1)) }).compactText)
                }
            case .csv: try ResultPrinter.csv(result, to: printer)
            case .table: try ResultPrinter.text(result, to: printer)
            }
        }
        let transformations = JSON.array(summary.transformations.map { TransformRendering.json($0.id, $0.record) })
        let commit = summary.commit.map { JSON.string($0.hex) } ?? .null
        if wrapped {
            printer.out.flush()
            context.emit(.object([
                "format": .string(format!.rawValue), "content": .string(printer.out.capturedText),
                "transformations": transformations, "commit": commit,
            ]))
            return
        }
        if json {
            let document = JSON.object(["results": .array(results), "transformations": transformations, "commit": commit])
            // --format json without --json prints the same document.
            if context.json { context.emit(document) } else { context.out.write(document.prettyText + "\n") }
            return
        }
        for (_, record) in summary.transformations { context.note(TransformRendering.line(record)) }
        if let commit = summary.commit { context.note("committed \(commit.short())") }
    }
}

/// `rocky run`.
struct RunCommand: Command {
    static let name = "run"
    static let abstract = "Run the models (models/*.sql) in dependency order"
    static let usage = ["run [<model>...] [-m <message>] [--retry <N>] [--verify-incremental]"]
    static let help = """
    Each models/<name>.sql holds one SELECT; its result becomes the table
    <name>. Header comments may declare '-- key: a, b', '-- time_column: t'
    and '-- description: ...'. Models run after the models they read; a cycle
    is an error naming it; a failing model stops the run and leaves the
    working set as it was. Each model is recorded as a transformation. When
    another process changed the branch or its working set meanwhile, nothing
    is written and the command exits 3: run it again, or pass --retry.

    options:
      -m <message>   commit at once with this message
      --retry <N>    on exit 3 for a concurrent change, run again on the new state, up to N times
      --verify-incremental
                     run each model that runs incrementally in full too; a different table id
                     fails the run (incremental_mismatch) and writes nothing

    A model whose inputs changed by a few rows since its last run runs
    incrementally when its shape allows (Docs/incremental.md); its record's
    "execution" says full (and why), incremental (with the delta sizes) or reused.
    """

    let names: [String]
    let message: String?
    let retries: Int
    let verify: Bool

    /// The repository, with verification of incremental runs when asked.
    static func repository(_ context: CommandContext, verify: Bool) throws -> Repository {
        guard verify else { return try context.repository() }
        var settings = context.settings
        settings.incremental = .verify
        return try Repository.open(discoveringFrom: context.directory, settings: settings)
    }

    init(parsing arguments: inout Arguments) throws {
        verify = arguments.flag("--verify-incremental")
        message = try arguments.option("-m", "--message")
        retries = try arguments.intOption("--retry") ?? 0
        names = try arguments.positionals(max: .max, names: "[<model>...]")
    }

    func run(_ context: CommandContext) throws {
        let repo = try RunCommand.repository(context, verify: verify)
        let summary = try repo.runModels(names.isEmpty ? nil : names, commitMessage: message, retries: retries) { model in
            if !context.json { context.note("running \(model.name)") }
        }
        if context.json {
            context.emit(.object([
                "transformations": .array(summary.transformations.map { TransformRendering.json($0.id, $0.record) }),
                "commit": summary.commit.map { .string($0.hex) },
            ]))
            return
        }
        for (_, record) in summary.transformations { context.out.line(TransformRendering.line(record)) }
        if let commit = summary.commit { context.out.line("committed \(commit.short())") }
    }
}

enum TransformRendering {
    /// The transformations of a commit: each with its statement and, when it
    /// differs, the SQL the adapter ran.
    static func printList(_ list: [(id: ObjectID, record: Transformation)], to context: CommandContext) {
        guard !list.isEmpty else { return }
        context.out.line()
        context.out.line("transformations:")
        for (n, (id, t)) in list.enumerated() {
            context.out.line("  \(n + 1). \(id.short()) " + line(t))
            for text in t.statement.split(separator: "\n") { context.out.line("       | " + text) }
            if t.executedSQL.joined() != t.statement {
                context.out.line("       executed (\(t.adapter)\(t.engineVersion.map { " " + $0 } ?? ""), env \(t.environment)):")
                for text in t.executedSQL { context.out.line("       > " + text) }
            }
            if let remote = t.remote { context.out.line("       " + server(remote)) }
        }
    }

    /// A server engine's account of a statement: its query ids, time waiting
    /// on the server, rows and bytes each way.
    static func server(_ r: Transformation.Remote) -> String {
        "server: query \(r.queryIDs.isEmpty ? "-" : r.queryIDs.joined(separator: ", ")), "
            + String(format: "%.3f s", Double(r.serverMicroseconds) / 1e6)
            + ", \(r.rowsDownloaded) rows (\(GCCommand.bytes(r.bytesDownloaded))) down, \(r.rowsUploaded) rows (\(GCCommand.bytes(r.bytesUploaded))) up"
    }

    static func line(_ t: Transformation) -> String {
        let what = t.model.map { "model \($0)" } ?? JSONContract.statementWords(t.kind)
        let outputs = t.outputs.keys.sorted().joined(separator: ", ") + t.dropped.map { "-" + $0 }.joined(separator: ", ")
        return "\(what): \(outputs) \(t.rowsWritten) rows written, \(t.rowsRead) read, "
            + String(format: "%.3f s", Double(t.durationMicroseconds) / 1e6) + ", cost \(t.cost) \(t.currency)"
    }

    /// The stored record with its id first, in the names of Docs/json.md:
    /// `kind` and the lineage's keys in snake_case (the object keeps its own).
    static func json(_ id: ObjectID, _ t: Transformation) -> JSON {
        var members = t.json.members ?? []
        for i in members.indices {
            switch members[i].key {
            case "kind": members[i].value = .string(JSONContract.snakeCase(t.kind))
            case "lineage": members[i].value = JSONContract.normalized(members[i].value)
            default: break
            }
        }
        return .object([JSON.Member("id", .string(id.hex))] + members)
    }
}

/// Prints query results.
enum ResultPrinter {
    /// Aligned columns; widths from the first 1000 rows, later rows cut to fit.
    static func text(_ result: RowStream, to context: CommandContext) throws {
        let names = result.columnNames
        var buffered: [[String]] = []
        while buffered.count < 1000, let row = try result.nextRow() { buffered.append(row.map { $0.description }) }
        var widths = names.map(\.count)
        for row in buffered { for (i, cell) in row.enumerated() { widths[i] = min(max(widths[i], cell.count), 40) } }
        func format(_ cells: [String]) -> String {
            zip(cells, widths).map { cell, w in
                let cut = Render.truncate(cell, w)
                return cut + String(repeating: " ", count: max(0, w - cut.count))
            }.joined(separator: "  ").trimmingCharacters(in: .whitespaces)
        }
        context.out.line(format(names))
        context.out.line(widths.map { String(repeating: "-", count: $0) }.joined(separator: "  "))
        var count = 0
        for row in buffered { context.out.line(format(row)); count += 1 }
        while let row = try result.nextRow() { context.out.line(format(row.map { $0.description })); count += 1 }
        context.out.line("(\(count) row\(count == 1 ? "" : "s"))")
    }

    static func csv(_ result: RowStream, to context: CommandContext) throws {
        func field(_ v: Value) -> String {
            guard let text = v.text else { return "" }
            if text.isEmpty { return "\"\"" }
            if text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) || text.first == " " || text.last == " " {
                return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
            }
            return text
        }
        context.out.line(result.columnNames.map { field(.text($0)) }.joined(separator: ","))
        while let row = try result.nextRow() { context.out.line(row.map(field).joined(separator: ",")) }
    }

    static func jsonRows(_ result: RowStream) throws -> [JSON] {
        var rows: [JSON] = []
        while let row = try result.nextRow() {
            rows.append(.object(zip(result.columnNames, row).map { JSON.Member($0, ValueRendering.json($1)) }))
        }
        return rows
    }
}
