import Rocky
import RockyBase
import RockyStore
import RockyTable

/// `rocky diff`.
struct DiffCommand: Command {
    static let name = "diff"
    static let abstract = "Show row and schema differences between revisions or the working set"
    static let usage = ["diff [<rev> [<rev>]] [--table <t>]... [--stat] [--format text|json|jsonl|sql|csv]", "diff <rev>..<rev>"]
    static let help = """
    No revision: the working set against HEAD. One: that revision against the
    working set. Two (or A..B): the first against the second. Reports tables
    added and removed, schema changes by column id (added, dropped, renamed,
    retyped, key, time column, governance), and rows added, removed and
    changed, with each changed cell's old and new value. Rows are compared on
    the columns both sides share. Identical subtrees are skipped unread, and
    output streams.

    options:
      --table <t>       only this table (repeatable)
      --stat            counts per table
      --format <f>      text (default; 'table' is the same), json (same as --json),
                        jsonl (one compact object per changed row, 'table' first, as in
                        the document's rows), sql (statements that turn the old side
                        into the new), csv (one table: diff_type and the row's columns;
                        a change prints a 'before' and an 'after' line); with --json,
                        the others print {"format": <f>, "content": <the text>}
    """

    enum Format: String, CaseIterable { case text, json, jsonl, sql, csv }

    let from: String?
    let to: String?
    let tables: [String]?
    let stat: Bool
    let format: Format?

    init(parsing arguments: inout Arguments) throws {
        stat = arguments.flag("--stat")
        let t = try arguments.options("--table", "-t")
        tables = t.isEmpty ? nil : t
        format = try DataFormat.option(&arguments, among: Format.allCases.map(\.rawValue)).flatMap(Format.init(rawValue:))
        var revisions = try arguments.positionals(max: 2, names: "[<rev> [<rev>]]")
        if revisions.count == 1, let range = revisions[0].range(of: "..") {
            let a = String(revisions[0][..<range.lowerBound]), b = String(revisions[0][range.upperBound...])
            revisions = [a.isEmpty ? "HEAD" : a, b.isEmpty ? "HEAD" : b]
        }
        switch revisions.count {
        case 0: (from, to) = ("HEAD", nil)
        case 1: (from, to) = (revisions[0], nil)
        default: (from, to) = (revisions[0], revisions[1])
        }
    }

    func run(_ context: CommandContext) throws {
        let repo = try context.repository()
        let diff = try repo.diff(from: from, to: to, tables: tables)
        if context.json, let format, format != .json {
            // One document whatever the format: the output inside it.
            return try context.emitWrapped(format: format.rawValue) { try self.run($0) }
        }
        let format = context.json ? .json : (self.format ?? .text)
        if stat && format == .jsonl { throw UsageError("--stat has no jsonl form: use --stat --format json", command: Self.self) }
        if stat && format != .json { return try printStat(diff, context) }
        // A table whose rows the environment denies refuses before anything is printed.
        if !stat { for table in diff.tables { try table.refuseIfRowsDenied() } }
        switch format {
        case .text: try DiffText(context: context).print(diff)
        case .json: try DiffJSON(context: context, statOnly: stat).print(diff)
        case .jsonl: try DiffJSON(context: context, statOnly: false).printLines(diff)
        case .sql: try DiffSQL(context: context).print(diff)
        case .csv: try DiffCSV(context: context).print(diff)
        }
    }

    private func printStat(_ diff: RepositoryDiff, _ context: CommandContext) throws {
        var rows: [[String]] = []
        var total = DiffStats()
        for table in diff.tables {
            let s = try table.stats()
            total.added += s.added; total.removed += s.removed; total.modified += s.modified
            let schema = table.schemaChanges.count
            let what: String
            switch table.kind {
            case .added: what = "new table, \(table.new?.rowCount ?? 0) rows"
            case .removed: what = "removed table, had \(table.old?.rowCount ?? 0) rows"
            case .modified: what = "+\(s.added) -\(s.removed) ~\(s.modified)" + (schema > 0 ? ", \(schema) schema change(s)" : "")
            }
            rows.append([table.name, "|", what])
        }
        context.out.write(Render.table(nil, rows))
        context.out.line("\(diff.tables.count) table(s) changed, \(total.added) row(s) added, \(total.removed) removed, \(total.modified) modified")
    }
}

/// Describes a schema change in words.
func describe(_ change: SchemaChange) -> String {
    switch change {
    case let .columnAdded(c): "+ column \(c.name) \(c.type)\(c.nullable ? "" : " NOT NULL") (id \(c.id))"
    case let .columnDropped(c): "- column \(c.name) \(c.type) (id \(c.id))"
    case let .columnRenamed(id, from, to): "~ column \(from) renamed to \(to) (id \(id))"
    case let .columnRetyped(_, name, from, to): "~ column \(name): \(from) -> \(to)"
    case let .nullabilityChanged(_, name, nullable): "~ column \(name): \(nullable ? "now nullable" : "now NOT NULL")"
    case let .governanceChanged(_, name, from, to):
        "~ column \(name) governance: \(from.classification?.label ?? "unclassified") -> \(to.classification?.label ?? "unclassified")"
            + (from.masking != to.masking || from.owner != to.owner || from.access != to.access ? " (fields changed)" : "")
    case let .keyChanged(from, to): "~ key (\(from.joined(separator: ", "))) -> (\(to.joined(separator: ", ")))"
    case let .timeColumnChanged(from, to): "~ time column \(from ?? "none") -> \(to ?? "none")"
    case let .columnsReordered(_, to): "~ columns reordered: \(to.joined(separator: ", "))"
    case let .defaultChanged(_, name, from, to): "~ column \(name) default: \(from ?? "NULL") -> \(to ?? "NULL")"
    case let .constraintAdded(name, definition): "+ constraint \(name) \(definition)"
    case let .constraintDropped(name, definition): "- constraint \(name) \(definition)"
    }
}

func json(_ change: SchemaChange) -> JSON {
    func column(_ c: Column) -> JSON {
        .object(["id": .int(c.id), "name": .string(c.name), "type": .string(c.type.name), "nullable": .bool(c.nullable)])
    }
    switch change {
    case let .columnAdded(c): return .object(["change": .string("column_added"), "column": column(c)])
    case let .columnDropped(c): return .object(["change": .string("column_dropped"), "column": column(c)])
    case let .columnRenamed(id, from, to):
        return .object(["change": .string("column_renamed"), "id": .int(id), "from": .string(from), "to": .string(to)])
    case let .columnRetyped(id, name, from, to):
        return .object(["change": .string("column_retyped"), "id": .int(id), "column": .string(name),
                        "from": .string(from.name), "to": .string(to.name)])
    case let .nullabilityChanged(id, name, nullable):
        return .object(["change": .string("nullability_changed"), "id": .int(id), "column": .string(name), "nullable": .bool(nullable)])
    case let .governanceChanged(id, name, from, to):
        return .object(["change": .string("governance_changed"), "id": .int(id), "column": .string(name),
                        "from": from.json, "to": to.json])
    case let .keyChanged(from, to):
        return .object(["change": .string("key_changed"), "from": .array(from.map(JSON.string)), "to": .array(to.map(JSON.string))])
    case let .timeColumnChanged(from, to):
        return .object(["change": .string("time_column_changed"), "from": from.map(JSON.string) ?? .null, "to": to.map(JSON.string) ?? .null])
    case let .columnsReordered(from, to):
        return .object(["change": .string("columns_reordered"), "from": .array(from.map(JSON.string)), "to": .array(to.map(JSON.string))])
    case let .defaultChanged(id, name, from, to):
        return .object(["change": .string("default_changed"), "id": .int(id), "column": .string(name),
                        "from": from.map(JSON.string) ?? .null, "to": to.map(JSON.string) ?? .null])
    case let .constraintAdded(name, definition):
        return .object(["change": .string("constraint_added"), "name": .string(name), "definition": .string(definition)])
    case let .constraintDropped(name, definition):
        return .object(["change": .string("constraint_dropped"), "name": .string(name), "definition": .string(definition)])
    }
}
