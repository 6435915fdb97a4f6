import Rocky
import RockyBase
import RockySQL

/// `rocky lineage`: a column's lineage across commits and transformations,
/// or (`--sql`) the lineage of a query that has not run.
struct LineageCommand: Command {
    static let name = "lineage"
    static let abstract = "Trace where a column comes from, or what it feeds"
    static let usage = [
        "lineage <table>.<column> [<rev>] [--downstream] [--depth <n>] [--indirect] [--format <f>] [--namespace <ns>]",
        "lineage --sql <query> [<rev>] [--json]",
    ]
    static let help = """
    Walks from the column as it is at <rev> (default: the working set, with
    its uncommitted transformations) back through every transformation that
    produced it, across commits, to source columns (imported tables, or
    tables written by CREATE TABLE and INSERT ... VALUES). Each edge is typed
    (DIRECT identity, transformation, aggregation; INDIRECT join, group by,
    filter, sort, window, conditional) and marks masking; each column shows
    its classification. Columns that do not contribute are left out. Columns
    reached only through indirect edges are shown but not traced further
    unless --indirect is given.

    With --sql, compiles the query against the revision's tables (default:
    the working set) and prints, for each output column, its input columns.

    options:
      --downstream       what the column feeds: every later transformation that
                         read it, and what those produced, recursively
      --depth <n>        at most <n> transformations from the column
      --indirect         also trace columns reached only through indirect edges
      --format <f>       text (default), json (same as --json), dot (Graphviz),
                         mermaid (flowchart), openlineage (one OpenLineage
                         DatasetEvent per output dataset, one per line, with the
                         column lineage facet); with --json, any other format
                         prints {"format": <f>, "content": <its text>}
      --namespace <ns>   the OpenLineage namespace (default: rocky://<repository path>)
    """

    enum Format: String, CaseIterable {
        case text, json, dot, mermaid, openlineage
    }

    let sql: String?
    let table: String?
    let column: String?
    let revision: String?
    let options: LineageOptions
    let format: Format?
    let namespace: String?

    init(parsing arguments: inout Arguments) throws {
        sql = try arguments.option("--sql")
        let downstream = arguments.flag("--downstream")
        let indirect = arguments.flag("--indirect")
        let depth = try arguments.intOption("--depth")
        namespace = try arguments.option("--namespace")
        if let text = try arguments.option("--format") {
            guard let parsed = Format(rawValue: text.lowercased()) else {
                throw arguments.usage("--format is one of \(Format.allCases.map(\.rawValue).joined(separator: ", ")), not '\(text)'")
            }
            format = parsed
        } else {
            format = nil
        }
        options = LineageOptions(direction: downstream ? .downstream : .upstream, depth: depth, traceIndirect: indirect)
        if sql != nil {
            if downstream || indirect || depth != nil || namespace != nil || ![nil, .text, .json].contains(format) {
                throw arguments.usage("--sql prints text or JSON only; --downstream, --depth, --indirect, --namespace and other formats trace a column")
            }
            revision = try arguments.positionals(max: 1, names: "[<rev>]").first
            table = nil
            column = nil
            return
        }
        let names = try arguments.positionals(max: 2, names: "<table>.<column> [<rev>]")
        guard let target = names.first else { throw arguments.usage("lineage needs <table>.<column> (or --sql <query>)") }
        guard let dot = target.firstIndex(of: "."), dot != target.startIndex, target.index(after: dot) != target.endIndex else {
            throw arguments.usage("name a column as <table>.<column>, not '\(target)'")
        }
        table = String(target[..<dot])
        column = String(target[target.index(after: dot)...])
        revision = names.count > 1 ? names[1] : nil
    }

    func run(_ context: CommandContext) throws {
        if context.json, let format, format != .json {
            // One document whatever the format: the output inside it.
            return try context.emitWrapped(format: format.rawValue) { try self.run($0) }
        }
        let format = context.json ? .json : (self.format ?? .text)
        let repo = try context.repository()
        if let sql {
            let report = SQLTools.lineage(sql: sql, catalog: try repo.catalog(at: revision, for: [sql]), options: try repo.compileOptions())
            if format == .json { context.emit(JSONContract.normalized(report.json())) } else { context.out.write(report.text()) }
            if report.hasErrors { throw ExitStatus(code: .failure, message: "", error: "compile_error") }
            return
        }
        let graph = try repo.lineage(of: table ?? "", column: column ?? "", at: revision, options: options)
        switch format {
        case .text: context.out.write(graph.text)
        case .json: context.emit(JSONContract.normalized(graph.json))
        case .dot: context.out.write(graph.dot)
        case .mermaid: context.out.write(graph.mermaid)
        case .openlineage:
            let events = graph.openLineageEvents(namespace: namespace ?? "rocky://" + repo.workDirectory,
                                                 producer: "urn:rocky:\(RockyCLI.version)")
            for event in events { context.out.line(event.compactText) }
        }
    }
}
