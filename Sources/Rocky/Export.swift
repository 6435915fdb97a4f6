import RockyBase
import RockyStore
import RockyTable

extension Repository {
    /// Writes a table of a revision (nil: the working set) to `sink` as CSV
    /// or JSON Lines, one chunk in memory at a time. Returns the row count.
    @discardableResult
    public func exportTable(_ name: String, at revision: String?, format: TableFormat, to sink: OutputSink) throws -> Int {
        try authorize(.read, branch: try currentBranch())
        let (_, table) = try self.table(name, at: revision)
        let header = table.schema.columns.map(\.name)
        var rows = self.rows(of: table)
        var count = 0
        switch format {
        case .csv:
            let writer = try CSVWriter(sink: sink, header: header)
            while let row = try rows.nextRow() { try writer.write(row); count += 1 }
            try writer.finish()
        case .jsonl:
            let writer = JSONLinesWriter(sink: sink, header: header)
            while let row = try rows.nextRow() { try writer.write(row); count += 1 }
            try writer.finish()
        }
        return count
    }
}
