import Rocky
import RockyBase
import RockyStore
import RockyTable

/// Text layout helpers shared by the commands.
enum Render {
    /// Columns padded to the widest cell; the last column is not padded.
    static func table(_ header: [String]?, _ rows: [[String]], indent: String = "") -> String {
        let all = (header.map { [$0] } ?? []) + rows
        guard let width = all.map(\.count).max(), width > 0 else { return "" }
        var widths = [Int](repeating: 0, count: width)
        for row in all { for (i, cell) in row.enumerated() { widths[i] = max(widths[i], cell.count) } }
        var out = ""
        for row in all {
            let cells = row.enumerated().map { i, cell in
                i == row.count - 1 ? cell : cell + String(repeating: " ", count: widths[i] - cell.count)
            }
            out += indent + cells.joined(separator: "  ") + "\n"
        }
        return out
    }

    /// A value cut to `width` characters with an ellipsis.
    static func truncate(_ text: String, _ width: Int) -> String {
        text.count <= width ? text : String(text.prefix(max(1, width - 1))) + "…"
    }

    static func json(_ info: CommitInfo) -> JSON {
        let c = info.commit
        return .object([
            "id": .string(info.id.hex),
            "parents": .array(c.parents.map { .string($0.hex) }),
            "tree": .string(c.tree.hex),
            "actor": .string(c.actor),
            "time": .string(c.time.description),
            "message": .string(c.message),
            "run_id": c.runID.map(JSON.string),
            "transforms": .array(c.transforms.map { .string($0.hex) }),
            "meta": c.meta,
        ])
    }

    static func json(_ change: TableChange) -> JSON {
        .object([
            "table": .string(change.name),
            "change": .string(change.kind.rawValue),
            "rows_before": change.rowsBefore.map { .int($0) },
            "rows_after": change.rowsAfter.map { .int($0) },
        ])
    }

    static func json(_ change: FileChange) -> JSON {
        .object(["path": .string(change.path), "change": .string(change.kind.rawValue)])
    }

    static func describe(_ change: TableChange) -> String {
        switch change.kind {
        case .added: "new table: \(change.name) (\(change.rowsAfter ?? 0) rows)"
        case .removed: "removed:   \(change.name) (had \(change.rowsBefore ?? 0) rows)"
        case .modified: "modified:  \(change.name) (\(change.rowsBefore ?? 0) -> \(change.rowsAfter ?? 0) rows)"
        }
    }

    static func describe(_ change: FileChange) -> String {
        switch change.kind {
        case .added: "new file:  \(change.path)"
        case .removed: "deleted:   \(change.path)"
        case .modified: "modified:  \(change.path)"
        }
    }
}
