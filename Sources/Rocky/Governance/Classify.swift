import Foundation
import RockyBase
import RockyStore
import RockyTable

extension Repository {
    /// Declares governance fields for `table.column` in rocky.toml (merging
    /// with what is declared already) and returns the result. The schema
    /// takes them at the next commit.
    @discardableResult
    public func classify(table: String, column: String, fields: ColumnGovernance) throws -> ColumnGovernance {
        let context = try gate(.classify); defer { context.end() }
        try context.authorizeRevisionOrWorkingSet(nil, for: .write)
        let ids = try tableIDs(at: nil)
        guard let id = ids[table] else { throw RepositoryError.noSuchTable(table, available: ids.keys.sorted()) }
        let schema = try objects.readTable(id).schema
        guard let col = schema.column(named: column) else {
            throw RepositoryError.invalidArgument("table \(table) has no column '\(column)' (columns: \(schema.columns.map(\.name).joined(separator: ", ")))"
                + Suggestion.didYouMean(column, among: schema.columns.map(\.name)))
        }
        let key = "\(table).\(col.name)"
        let path = workDirectory + "/" + ProjectConfig.fileName
        let text = FileManager.default.contents(atPath: path).map { String(decoding: $0, as: UTF8.self) } ?? ""
        let config = try ProjectConfig(text: text)
        let merged = (config.columns[key] ?? ColumnGovernance()).merging(fields)
        let updated = Repository.replacingSection("columns.\"\(key)\"", in: text, with: Repository.tomlFields(merged))
        _ = try ProjectConfig(text: updated)
        try Data(updated.utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
        return merged
    }

    /// The working set's tables with rocky.toml's column declarations applied
    /// to their schemas (only tables whose governance changes get a new id).
    func applyingDeclarations(to tables: [String: ObjectID], config: ProjectConfig) throws -> [String: ObjectID] {
        guard !config.columns.isEmpty else { return tables }
        var result = tables
        for (name, id) in tables {
            var table = try objects.readTable(id)
            var changed = false
            for i in table.schema.columns.indices {
                guard let declared = config.columns["\(name).\(table.schema.columns[i].name)"] else { continue }
                let merged = table.schema.columns[i].governance.merging(declared)
                if merged != table.schema.columns[i].governance {
                    table.schema.columns[i].governance = merged
                    changed = true
                }
            }
            if changed { result[name] = try objects.write(table: table) }
        }
        return result
    }

    static func tomlFields(_ g: ColumnGovernance) -> [String] {
        func quote(_ s: String) -> String {
            "\"" + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
        }
        var lines: [String] = []
        if let c = g.classification { lines.append("classification = \(quote(c.label))") }
        if let o = g.owner { lines.append("owner = \(quote(o))") }
        if let d = g.description { lines.append("description = \(quote(d))") }
        if !g.masking.isEmpty {
            lines.append("masking = { " + g.masking.sorted { $0.key < $1.key }.map { "\($0.key) = \(quote($0.value.rawValue))" }
                .joined(separator: ", ") + " }")
        }
        if !g.access.isEmpty { lines.append("access = [" + g.access.map(quote).joined(separator: ", ") + "]") }
        if let r = g.retention { lines.append("retention = \(quote(r))") }
        if let s = g.source { lines.append("source = \(quote(s))") }
        if !g.tags.isEmpty { lines.append("tags = [" + g.tags.map(quote).joined(separator: ", ") + "]") }
        return lines
    }

    /// Replaces the body of `[header]` (or appends the section), keeping
    /// everything else of the file as written.
    static func replacingSection(_ header: String, in text: String, with body: [String]) -> String {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if lines.last == "" { lines.removeLast() }
        let wanted = "[\(header)]"
        if let start = lines.firstIndex(where: { $0.trimmingCharacters(in: .whitespaces) == wanted }) {
            var end = start + 1
            while end < lines.count, !lines[end].trimmingCharacters(in: .whitespaces).hasPrefix("[") { end += 1 }
            while end > start + 1, lines[end - 1].trimmingCharacters(in: .whitespaces).isEmpty { end -= 1 }
            lines.replaceSubrange((start + 1)..<end, with: body)
        } else {
            if let last = lines.last, !last.isEmpty { lines.append("") }
            lines.append(wanted)
            lines += body
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
