import RockyBase
import RockyEngine
import RockyEngineSQLite
import RockySQL
import RockyStore
import RockyTable

extension Repository {
    /// Writes a table of a revision (nil: the working set) to `sink` as CSV,
    /// TSV or JSON Lines. Returns the row count.
    ///
    /// The environment's masking applies as it does to `SELECT * FROM
    /// <table>`: when no column of the table is masked there, the rows are
    /// streamed from storage in key order, one chunk in memory at a time
    /// (byte for byte what import reads back). Otherwise the compiler
    /// injects the masking into a SELECT of every column, ordered by the key
    /// columns then the others (as masked), and the engine runs it. A column
    /// the environment denies refuses the whole export before anything is
    /// written (a `CompileFailure` refused by governance, exit code 5, naming
    /// each such column with its lineage path).
    @discardableResult
    public func exportTable(_ name: String, at revision: String?, format: TableFormat, to sink: OutputSink) throws -> Int {
        let context = try gate(.exportTable); defer { context.end() }
        try context.authorizeRevisionOrWorkingSet(revision)
        try context.authorize(.use, branch: try revision.flatMap { try revisionBranch($0) } ?? currentBranch())
        let ids = try tableIDs(at: revision)
        let (_, table) = try self.table(name, at: revision)
        let header = table.schema.columns.map(\.name)
        guard let statement = try maskedExportStatement(name, schema: table.schema, tables: ids) else {
            var rows = self.rows(of: table)
            return try Repository.writeRows(format: format, header: header, to: sink) { try rows.nextRow() }
        }
        let outcome: StatementOutcome
        do {
            // Export reads the store; its one masked SELECT runs on the embedded engine.
            outcome = try StatementExecutor(backend: try sqliteBackend()).execute(statement, tables: ids)
        } catch {
            throw ExecutionFailure(statement: 1, line: 1, column: 1, model: nil,
                                   underlying: error, reason: Repository.engineErrorText(error, statement: statement))
        }
        guard case let .rows(result) = outcome.effect else { throw RepositoryError.engineFailure("export \(name): the engine returned no rows") }
        defer { result.close() }
        return try Repository.writeRows(format: format, header: result.columnNames, to: sink) { try result.nextRow() }
    }

    /// The SELECT that exports `name` with the environment's masking, or nil
    /// when no column is masked (nor denied) in this environment.
    func maskedExportStatement(_ name: String, schema: Schema, tables: [String: ObjectID]) throws -> CompiledStatement? {
        let catalog = try catalogInForce(tables: tables)
        let options = try compileOptions()
        guard let columns = catalog.table(named: name)?.columns,
              columns.contains(where: { options.masking.strategy(for: $0.governance, environment: options.environment) != .none }) else {
            return nil
        }
        func quote(_ identifier: String) -> String { "\"" + identifier.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }
        let keyFirst = schema.keyColumnNames.compactMap { key in schema.columns.firstIndex { $0.name == key } }
        let order = keyFirst + schema.columns.indices.filter { !keyFirst.contains($0) }
        let sql = "SELECT " + schema.columns.map { quote($0.name) }.joined(separator: ", ") + " FROM " + quote(name)
            + " ORDER BY " + order.map { String($0 + 1) }.joined(separator: ", ")
        let compiled = SQLCompiler.compile(sql, catalog: catalog, options: options)
        let refusals = compiled.diagnostics.filter { $0.isError && $0.code.isGovernanceRefusal }
        if !refusals.isEmpty {
            throw CompileFailure(diagnostics: refusals, rendered: refusals.map { "export \(name): \($0.message)" }.joined(separator: "\n"))
        }
        guard let statement = compiled.statements.first, !compiled.hasErrors else {
            throw CompileFailure(diagnostics: compiled.diagnostics, rendered: compiled.renderedDiagnostics(sourceName: "export \(name)"))
        }
        return statement
    }

    /// Writes rows from `next` until it returns nil; returns the count.
    static func writeRows(format: TableFormat, header: [String], to sink: OutputSink, rows next: () throws -> [Value]?) throws -> Int {
        var count = 0
        switch format {
        case .csv, .tsv:
            let writer = try CSVWriter(sink: sink, header: header, delimiter: format.defaultDelimiter ?? UInt8(ascii: ","))
            while let row = try next() { try writer.write(row); count += 1 }
            try writer.finish()
        case .jsonl:
            let writer = JSONLinesWriter(sink: sink, header: header)
            while let row = try next() { try writer.write(row); count += 1 }
            try writer.finish()
        }
        return count
    }
}
