import Rocky
import RockyBase
import RockyTable

/// `rocky diff` for people: aligned, colored on a terminal, wide values cut.
struct DiffText {
    let context: CommandContext

    func print(_ diff: RepositoryDiff) throws {
        for (n, table) in diff.tables.enumerated() {
            if n > 0 { context.out.line() }
            context.out.line(context.paint("table \(table.name): \(table.kind.rawValue)", "1"))
            for change in table.schemaChanges { context.out.line("  schema " + describe(change)) }
            guard let schema = (table.new ?? table.old)?.schema else { continue }
            let widths = schema.columns.map { Self.width(for: $0) }
            var printedHeader = false
            var stats = DiffStats()
            var deltas = try table.rows()
            while let delta = try deltas.nextDelta() {
                if !printedHeader {
                    context.out.line("    " + line(schema.columns.map(\.name), widths))
                    printedHeader = true
                }
                switch delta {
                case let .added(row):
                    stats.added += 1
                    context.out.line(context.paint("  + " + line(cells(row, table.new!.schema, schema), widths), "32"))
                case let .removed(row):
                    stats.removed += 1
                    context.out.line(context.paint("  - " + line(cells(row, table.old!.schema, schema), widths), "31"))
                case let .modified(_, new, changed):
                    stats.modified += 1
                    let key = table.new!.schema.keyIndices.map { new[$0].description }.joined(separator: " ")
                    let detail = changed.map { "\($0.column): \(Render.truncate($0.old.description, 40)) -> \(Render.truncate($0.new.description, 40))" }
                    context.out.line(context.paint("  ~ " + key + "  " + detail.joined(separator: ", "), "33"))
                case let .countChanged(row, old, new):
                    if new > old { stats.added += new - old } else { stats.removed += old - new }
                    let sign = new > old ? "+" : "-"
                    context.out.line(context.paint("  \(sign) " + line(cells(row, table.new?.schema ?? schema, schema), widths)
                        + "  (x\(old) -> x\(new))", new > old ? "32" : "31"))
                }
            }
            if printedHeader {
                context.out.line("  \(stats.added) added, \(stats.removed) removed, \(stats.modified) modified")
            }
        }
    }

    /// The row's cells laid out in `layout`'s column order (NULL where absent).
    private func cells(_ row: [Value], _ schema: Schema, _ layout: Schema) -> [String] {
        layout.columns.map { c in schema.index(ofColumn: c.id).map { row[$0].description } ?? "" }
    }

    private func line(_ cells: [String], _ widths: [Int]) -> String {
        zip(cells, widths).map { cell, w in
            let cut = Render.truncate(cell, w)
            return cut + String(repeating: " ", count: max(0, w - cut.count))
        }.joined(separator: "  ")
    }

    static func width(for column: Column) -> Int {
        let typical: Int
        switch column.type {
        case .boolean: typical = 5
        case .integer: typical = 10
        case .double: typical = 12
        case let .decimal(p, _): typical = min(p + 2, 20)
        case .text: typical = 16
        case .date: typical = 10
        case .timestamp: typical = 20
        }
        return min(max(typical, column.name.count), 24)
    }
}

/// `rocky diff --json`: one document, written as the rows stream.
/// Shape: Docs/commands.md, "diff --json".
struct DiffJSON {
    let context: CommandContext
    let statOnly: Bool

    func print(_ diff: RepositoryDiff) throws {
        let out = context.out
        out.write("{\n  \"from\": " + (diff.from.map { JSON.string($0.hex) } ?? .null).compactText)
        out.write(",\n  \"to\": " + (diff.to.map { JSON.string($0.hex) } ?? .null).compactText)
        out.write(",\n  \"tables\": [")
        var total = DiffStats()
        for (n, table) in diff.tables.enumerated() {
            out.write(n == 0 ? "\n    {" : ",\n    {")
            out.write("\"table\": " + JSON.string(table.name).compactText)
            out.write(", \"change\": \"\(table.kind.rawValue)\"")
            out.write(", \"old_id\": " + (table.oldID.map { JSON.string($0.hex) } ?? .null).compactText)
            out.write(", \"new_id\": " + (table.newID.map { JSON.string($0.hex) } ?? .null).compactText)
            out.write(",\n      \"schema_changes\": " + JSON.array(table.schemaChanges.map(json)).compactText)
            var stats = statOnly ? try table.stats() : DiffStats()
            if !statOnly { out.write(",\n      \"rows\": [") }
            var first = true
            var deltas = statOnly ? nil : try table.rows()
            while let delta = try deltas?.nextDelta() {
                let document = rowJSON(delta, table)
                switch delta {
                case .added: stats.added += 1
                case .removed: stats.removed += 1
                case let .modified(_, _, cells):
                    stats.modified += 1
                    stats.cellsChanged += cells.count
                case let .countChanged(_, old, new):
                    if new > old { stats.added += new - old } else { stats.removed += old - new }
                }
                if !statOnly {
                    out.write((first ? "\n        " : ",\n        ") + document.compactText)
                    first = false
                }
            }
            if !statOnly { out.write(first ? "]" : "\n      ]") }
            total.added += stats.added; total.removed += stats.removed
            total.modified += stats.modified; total.cellsChanged += stats.cellsChanged
            out.write(",\n      \"stats\": " + statsJSON(stats).compactText + "}")
        }
        out.write(diff.tables.isEmpty ? "]" : "\n  ]")
        out.write(",\n  \"stats\": " + statsJSON(total).compactText + "\n}\n")
    }

    /// `--format jsonl`: one compact line per changed row, the document's
    /// row object with its table first.
    func printLines(_ diff: RepositoryDiff) throws {
        for table in diff.tables {
            var deltas = try table.rows()
            while let delta = try deltas.nextDelta() {
                let members = rowJSON(delta, table).members ?? []
                context.out.line(JSON.object([JSON.Member("table", .string(table.name))] + members).compactText)
            }
        }
    }

    /// One changed row as the document's `rows` hold it.
    private func rowJSON(_ delta: RowDelta, _ table: TableDiff) -> JSON {
        switch delta {
        case let .added(row):
            let s = table.new!.schema
            return .object(["change": .string("added"), "key": keyJSON(row, s), "row": ValueRendering.json(row, schema: s)])
        case let .removed(row):
            let s = table.old!.schema
            return .object(["change": .string("removed"), "key": keyJSON(row, s), "row": ValueRendering.json(row, schema: s)])
        case let .modified(_, new, cells):
            return .object([
                "change": .string("modified"), "key": keyJSON(new, table.new!.schema),
                "cells": .array(cells.map { c in
                    .object(["column": .string(c.column), "old": ValueRendering.json(c.old), "new": ValueRendering.json(c.new)])
                }),
            ])
        case let .countChanged(row, old, new):
            let s = (table.new ?? table.old)!.schema
            return .object(["change": .string("count"), "row": ValueRendering.json(row, schema: s),
                            "old_count": .int(old), "new_count": .int(new)])
        }
    }

    private func keyJSON(_ row: [Value], _ schema: Schema) -> JSON {
        schema.isKeyless ? .null : ValueRendering.json(row, schema: schema, only: schema.key)
    }

    private func statsJSON(_ s: DiffStats) -> JSON {
        .object(["added": .int(s.added), "removed": .int(s.removed), "modified": .int(s.modified), "cells_changed": .int(s.cellsChanged)])
    }
}

/// `rocky diff --format sql`: statements that turn the old side into the new.
struct DiffSQL {
    let context: CommandContext

    func print(_ diff: RepositoryDiff) throws {
        let out = context.out
        for table in diff.tables {
            let name = ValueRendering.identifier(table.name)
            switch table.kind {
            case .removed:
                out.line("DROP TABLE \(name);")
                continue
            case .added:
                out.line(createTable(name, table.new!.schema))
            case .modified:
                for change in table.schemaChanges { if let statement = alter(name, change) { out.line(statement) } }
            }
            let schema = table.new!.schema
            var deltas = try table.rows(includeAddedColumns: true)
            while let delta = try deltas.nextDelta() {
                switch delta {
                case let .added(row):
                    out.line(insert(name, row, schema))
                case let .removed(row):
                    out.line("DELETE FROM \(name) WHERE \(match(row, table.old!.schema, ids: table.old!.schema.key));")
                case let .modified(_, new, cells):
                    let sets = cells.map { "\(ValueRendering.identifier($0.column)) = \(ValueRendering.sql($0.new))" }
                    out.line("UPDATE \(name) SET \(sets.joined(separator: ", ")) WHERE \(match(new, schema, ids: schema.key));")
                case let .countChanged(row, old, new):
                    if old > 0 { out.line("DELETE FROM \(name) WHERE \(match(row, schema, ids: schema.columns.map(\.id)));") }
                    for _ in 0..<new { out.line(insert(name, row, schema)) }
                }
            }
        }
    }

    private func createTable(_ name: String, _ schema: Schema) -> String {
        var parts = schema.columns.map { c in
            ValueRendering.identifier(c.name) + " " + c.type.name + (c.nullable ? "" : " NOT NULL")
                + (c.defaultValue.map { " DEFAULT " + $0 } ?? "")
        }
        if !schema.isKeyless { parts.append("PRIMARY KEY (" + schema.keyColumnNames.map(ValueRendering.identifier).joined(separator: ", ") + ")") }
        for constraint in schema.constraints {
            parts.append("CONSTRAINT \(ValueRendering.identifier(constraint.name)) " + (constraint.checkCondition.map { "CHECK (\($0))" }
                ?? "UNIQUE (" + constraint.columns.compactMap { schema.column(id: $0).map { ValueRendering.identifier($0.name) } }.joined(separator: ", ") + ")"))
        }
        return "CREATE TABLE \(name) (" + parts.joined(separator: ", ") + ");"
    }

    private func alter(_ name: String, _ change: SchemaChange) -> String? {
        switch change {
        case let .columnAdded(c):
            return "ALTER TABLE \(name) ADD COLUMN \(ValueRendering.identifier(c.name)) \(c.type.name);"
        case let .columnDropped(c):
            return "ALTER TABLE \(name) DROP COLUMN \(ValueRendering.identifier(c.name));"
        case let .columnRenamed(_, from, to):
            return "ALTER TABLE \(name) RENAME COLUMN \(ValueRendering.identifier(from)) TO \(ValueRendering.identifier(to));"
        default:
            return "-- not expressible in SQL: " + describe(change)
        }
    }

    private func insert(_ name: String, _ row: [Value], _ schema: Schema) -> String {
        "INSERT INTO \(name) (" + schema.columns.map { ValueRendering.identifier($0.name) }.joined(separator: ", ")
            + ") VALUES (" + row.map(ValueRendering.sql).joined(separator: ", ") + ");"
    }

    private func match(_ row: [Value], _ schema: Schema, ids: [Int]) -> String {
        ids.compactMap { id -> String? in
            guard let i = schema.index(ofColumn: id) else { return nil }
            let column = ValueRendering.identifier(schema.columns[i].name)
            return row[i].isNull ? "\(column) IS NULL" : "\(column) = \(ValueRendering.sql(row[i]))"
        }.joined(separator: " AND ")
    }
}

/// `rocky diff --format csv`: one table, a `diff_type` column then the row.
struct DiffCSV {
    let context: CommandContext

    func print(_ diff: RepositoryDiff) throws {
        guard diff.tables.count <= 1 else {
            throw UsageError("--format csv shows one table; \(diff.tables.count) differ (\(diff.tables.map(\.name).joined(separator: ", "))): choose one with --table")
        }
        guard let table = diff.tables.first, let schema = (table.new ?? table.old)?.schema else { return }
        context.out.line((["diff_type"] + schema.columns.map(\.name)).map(csvField).joined(separator: ","))
        func emit(_ type: String, _ row: [Value], _ from: Schema) {
            let cells = schema.columns.map { c in from.index(ofColumn: c.id).map { row[$0] } ?? .null }
            context.out.line(([type] + cells.map { $0.isNull ? "" : csvField($0.text ?? "") }).joined(separator: ","))
        }
        var deltas = try table.rows()
        while let delta = try deltas.nextDelta() {
            switch delta {
            case let .added(row): emit("added", row, table.new!.schema)
            case let .removed(row): emit("removed", row, table.old!.schema)
            case let .modified(old, new, _):
                emit("before", old, table.old!.schema)
                emit("after", new, table.new!.schema)
            case let .countChanged(row, old, new):
                for _ in 0..<abs(new - old) { emit(new > old ? "added" : "removed", row, schema) }
            }
        }
    }

    private func csvField(_ text: String) -> String {
        if text.isEmpty { return "\"\"" }
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) || text.first == " " || text.last == " " else {
            return text
        }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
