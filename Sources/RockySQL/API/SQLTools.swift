import RockyBase

/// What `rocky check` reports: diagnostics and, when asked, emitted SQL.
public struct CheckReport: Sendable {
    /// One statement as checked.
    public struct Statement: Sendable {
        public var index: Int
        public var range: SourceRange
        public var kind: StatementKind?
        public var targetTable: String?
        public var outputColumns: [OutputColumn]
        /// The emitted SQL, when a dialect was asked for and the statement compiled.
        public var sql: [String]?
    }

    public var script: CompiledScript
    public var statements: [Statement]
    public var dialect: Dialect?

    public var diagnostics: [Diagnostic] { script.diagnostics }
    public var hasErrors: Bool { script.hasErrors }
    /// 1 when any diagnostic is an error, else 0.
    public var exitCode: Int32 { hasErrors ? 1 : 0 }

    /// Diagnostics with carets, then (with a dialect) each statement's SQL,
    /// then a summary line: `3 statements: 2 ok, 1 with errors, 0 warnings`.
    public func text(sourceName: String? = nil) -> String {
        var out = script.renderedDiagnostics(sourceName: sourceName)
        if !out.isEmpty { out += "\n" }
        if let dialect {
            let setup = dialect.sessionSetup()
            if !setup.isEmpty {
                out += "-- session setup (run once per connection, before the statements)\n"
                    + setup.map { $0 + ";" }.joined(separator: "\n") + "\n"
            }
            for statement in statements {
                guard let sql = statement.sql else { continue }
                out += "-- statement \(statement.index + 1)\n" + sql.map { $0 + ";" }.joined(separator: "\n") + "\n"
            }
        }
        let errors = Set(diagnostics.filter(\.isError).compactMap(\.statementIndex)).count
        let warnings = diagnostics.filter { !$0.isError }.count
        let count = script.statementCount
        out += "\(count) statement\(count == 1 ? "" : "s"): \(count - errors) ok, \(errors) with errors, \(warnings) warning\(warnings == 1 ? "" : "s")\n"
        return out
    }

    /// `{"ok", "dialect", "session_setup", "statements": [{"index", "kind", "target", "line", "column", "columns", "sql"}],
    /// "diagnostics": [{"code", "severity", "message", "statement", "line", "column", "endLine", "endColumn", "help", "rendered"}]}`.
    public func json(sourceName: String? = nil) -> JSON {
        .object([
            JSON.Member("ok", .bool(!hasErrors)),
            JSON.Member("dialect", dialect.map { .string($0.rawValue) } ?? .null),
            // What a session must run before the statements' SQL (unkeyed
            // `hash` masking: the repository's key never leaves it).
            JSON.Member("session_setup", dialect.map { .array($0.sessionSetup().map { .string($0) }) } ?? .null),
            JSON.Member("statements", .array(statements.map { statement in
                .object([
                    JSON.Member("index", .int(statement.index)),
                    JSON.Member("kind", statement.kind.map { .string($0.rawValue) } ?? .null),
                    JSON.Member("target", statement.targetTable.map { .string($0) } ?? .null),
                    JSON.Member("line", .int(statement.range.start.line)),
                    JSON.Member("column", .int(statement.range.start.column)),
                    JSON.Member("columns", .array(statement.outputColumns.map { column in
                        .object(["name": .string(column.name), "type": .string(column.type.name), "nullable": .bool(column.nullable)])
                    })),
                    JSON.Member("sql", statement.sql.map { .array($0.map { .string($0) }) } ?? .null),
                ])
            })),
            JSON.Member("diagnostics", .array(diagnostics.map { $0.json(in: script.source, sourceName: sourceName) })),
        ])
    }
}

extension Diagnostic {
    /// The diagnostic as JSON, with its caret rendering.
    public func json(in source: String, sourceName: String? = nil) -> JSON {
        .object([
            JSON.Member("code", .string(code.rawValue)),
            JSON.Member("severity", .string(severity.rawValue)),
            JSON.Member("message", .string(message)),
            JSON.Member("statement", statementIndex.map { .int($0 + 1) } ?? .null),
            JSON.Member("line", .int(range.start.line)),
            JSON.Member("column", .int(range.start.column)),
            JSON.Member("endLine", .int(range.end.line)),
            JSON.Member("endColumn", .int(range.end.column)),
            JSON.Member("help", help.map { .string($0) } ?? .null),
            JSON.Member("rendered", .string(rendered(in: source, sourceName: sourceName))),
        ])
    }
}

/// What `rocky lineage --sql` reports.
public struct LineageReport: Sendable {
    public var script: CompiledScript
    /// The lineage of each compiled statement, in order.
    public var lineages: [ColumnLineage]

    public var hasErrors: Bool { script.hasErrors }
    public var exitCode: Int32 { hasErrors ? 1 : 0 }

    /// The text trees, one per statement, after any diagnostics.
    public func text(sourceName: String? = nil) -> String {
        var out = script.renderedDiagnostics(sourceName: sourceName)
        if !out.isEmpty { out += "\n" }
        return out + lineages.map(\.textTree).joined(separator: "\n")
    }

    /// One statement: its lineage JSON (Docs/sql.md, "Lineage JSON"); several:
    /// `{"statements": [...]}`; errors: `{"diagnostics": [...]}` added.
    public func json(sourceName: String? = nil) -> JSON {
        var members: [JSON.Member] = []
        if lineages.count == 1, !hasErrors, case let .object(single) = lineages[0].json {
            members = single
        } else {
            members.append(JSON.Member("statements", .array(lineages.map(\.json))))
        }
        if !script.diagnostics.isEmpty {
            members.append(JSON.Member("diagnostics", .array(script.diagnostics.map { $0.json(in: script.source, sourceName: sourceName) })))
        }
        return .object(members)
    }
}

/// The library functions behind `rocky check` and `rocky lineage`.
public enum SQLTools {
    /// `rocky check <file.sql> | -e "<sql>" [--dialect d] [--emit]`: compiles
    /// `sql` against `catalog` and reports diagnostics; with `dialect` (the
    /// `--emit` flag, default dialect sqlite), each statement's SQL too.
    public static func check(sql: String, catalog: any Catalog, dialect: Dialect? = nil,
                             options: CompileOptions = CompileOptions()) -> CheckReport {
        var options = options
        if options.dialect == nil { options.dialect = dialect }
        let script = SQLCompiler.compile(sql, catalog: catalog, options: options)
        let statements = script.statements.map { compiled in
            CheckReport.Statement(index: compiled.index, range: compiled.range, kind: compiled.kind, targetTable: compiled.targetTable,
                                  outputColumns: compiled.outputColumns, sql: dialect.map { compiled.sql(for: $0) })
        }
        return CheckReport(script: script, statements: statements, dialect: dialect)
    }

    /// `rocky lineage --sql "<query>" [--json]`: the column lineage of each statement.
    public static func lineage(sql: String, catalog: any Catalog, options: CompileOptions = CompileOptions()) -> LineageReport {
        let script = SQLCompiler.compile(sql, catalog: catalog, options: options)
        return LineageReport(script: script, lineages: script.statements.map(\.lineage))
    }
}
