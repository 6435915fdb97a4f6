import Rocky
import RockyBase
import RockyTable

/// `rocky tables [<rev>]`.
struct TablesCommand: Command {
    static let name = "tables"
    static let abstract = "List the tables of a revision or the working set"
    static let usage = ["tables [<rev>] [--format table|csv|json|jsonl]"]
    static let help = """
    Lists each table with its row count, column count and key. Without <rev>: the working set.

    options:
      --format <f>   table (default; 'text' is the same), csv, json (the --json document), jsonl: Docs/json.md
    """

    let revision: String?
    let format: String?

    init(parsing arguments: inout Arguments) throws {
        format = try DataFormat.option(&arguments)
        revision = try arguments.positionals(max: 1, names: "[<rev>]").first
    }

    func run(_ context: CommandContext) throws {
        let tables = try context.repository().tables(at: revision)
        let records: [JSON] = tables.map { t in
            .object(["name": .string(t.name), "id": .string(t.id.hex), "rows": .int(t.rows),
                     "columns": .int(t.columns), "key": .array(t.key.map(JSON.string))])
        }
        try DataFormat.print(format, context, document: .object(["tables": .array(records)]), records: records) { context in
            if tables.isEmpty { context.note("no tables"); return }
            context.out.write(Render.table(["table", "rows", "columns", "key"], tables.map { t in
                [t.name, String(t.rows), String(t.columns), t.key.isEmpty ? "(keyless)" : t.key.joined(separator: ", ")]
            }))
        }
    }
}

/// `rocky schema <table> [<rev>]`.
struct SchemaCommand: Command {
    static let name = "schema"
    static let abstract = "Show a table's columns, key, time column and governance"
    static let usage = ["schema <table> [<rev>] [--format table|csv|json|jsonl]"]
    static let help = """
    Columns in order with their stable id, type, nullability and governance fields. Without <rev>: the working set.

    options:
      --format <f>   table (default; 'text' is the same), csv, json (the --json document), jsonl: Docs/json.md
                     (csv and jsonl: one record per column, as the document's columns)
    """

    let table: String
    let revision: String?
    let format: String?

    init(parsing arguments: inout Arguments) throws {
        format = try DataFormat.option(&arguments)
        let names = try arguments.positionals(max: 2, names: "<table> [<rev>]")
        guard let table = names.first else { throw arguments.usage("schema needs a table name") }
        self.table = table
        revision = names.count > 1 ? names[1] : nil
    }

    func run(_ context: CommandContext) throws {
        let (id, table) = try context.repository().table(self.table, at: revision)
        let schema = table.schema
        var json = schema.json
        if case var .object(members) = json {
            members.insert(JSON.Member("table", .string(self.table)), at: 0)
            members.insert(JSON.Member("id", .string(id.hex)), at: 1)
            members.insert(JSON.Member("rows", .int(table.rowCount)), at: 2)
            json = .object(members)
        }
        try DataFormat.print(format, context, document: json, records: json["columns"]?.arrayValue ?? []) { context in
            printText(schema, rows: table.rowCount, context)
        }
    }

    private func printText(_ schema: Schema, rows: Int, _ context: CommandContext) {
        context.out.line("table \(self.table): \(rows) rows, key (\(schema.keyColumnNames.joined(separator: ", ")))"
            + (schema.timeColumnName.map { ", time column \($0)" } ?? ""))
        context.out.write(Render.table(["id", "column", "type", "null", "role", "classification"], schema.columns.map { c in
            let role = schema.key.contains(c.id) ? "key" : (schema.timeColumn == c.id ? "time" : "")
            return [String(c.id), c.name, c.type.name, c.nullable ? "yes" : "no", role,
                    c.governance.classification?.label ?? ""]
        }))
        let defaulted = schema.columns.filter { $0.defaultValue != nil }
        if !defaulted.isEmpty {
            context.out.line("defaults:")
            for c in defaulted { context.out.line("  \(c.name): \(c.defaultValue!)") }
        }
        if !schema.constraints.isEmpty {
            context.out.line("constraints:")
            for constraint in schema.constraints { context.out.line("  \(constraint.name): \(schema.definition(of: constraint))") }
        }
        let governed = schema.columns.filter { c in
            var rest = c.governance
            rest.classification = nil
            return !rest.isEmpty
        }
        guard !governed.isEmpty else { return }
        context.out.line("governance:")
        for c in governed {
            let g = c.governance
            var fields: [String] = []
            if let o = g.owner { fields.append("owner \(o)") }
            if let d = g.description { fields.append("description \"\(d)\"") }
            if !g.masking.isEmpty {
                fields.append("masking " + g.masking.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value.rawValue)" }.joined(separator: " "))
            }
            if !g.access.isEmpty { fields.append("access " + g.access.joined(separator: " ")) }
            if let r = g.retention { fields.append("retention \(r)") }
            if let s = g.source { fields.append("source \(s)") }
            if !g.tags.isEmpty { fields.append("tags " + g.tags.joined(separator: " ")) }
            context.out.line("  \(c.name): " + fields.joined(separator: ", "))
        }
    }
}
