import RockyBase

/// The compiler's entry point: SQL text and a catalog in, typed statements,
/// lineage, diagnostics and SQL for any dialect out.
///
/// ```swift
/// let script = SQLCompiler.compile(text, catalog: catalog, options: CompileOptions(environment: "prod", masking: policy))
/// guard !script.hasErrors else { print(script.renderedDiagnostics()); return }
/// for statement in script.statements { run(statement.sql(for: .sqlite)) }
/// ```
public enum SQLCompiler {
    /// Compiles every statement of `script` in order. Each statement sees the
    /// schema changes of the statements before it (through a `CatalogOverlay`).
    /// A statement with an error is reported and skipped; later statements
    /// are still compiled, so one run reports every broken statement.
    public static func compile(_ script: String, catalog: any Catalog, options: CompileOptions = CompileOptions()) -> CompiledScript {
        let parsed = Parser.parseScript(script)
        let utf8 = Array(script.utf8)
        var overlay = CatalogOverlay(catalog)
        var statements: [CompiledStatement] = []
        var diagnostics: [Diagnostic] = []
        for (index, item) in parsed.enumerated() {
            func note(_ found: [Diagnostic]) {
                for var diagnostic in found {
                    diagnostic.statementIndex = index
                    diagnostics.append(diagnostic)
                }
            }
            note(item.diagnostics)
            guard let statement = item.statement else { continue }
            var binder = Binder(catalog: overlay, options: options)
            let ir: BoundStatement
            do {
                ir = try binder.bindStatement(statement)
            } catch {
                note([error.diagnostic])
                continue
            }
            var builder = LineageBuilder()
            let lineage = builder.statement(ir)
            let governance = GovernanceCheck.diagnostics(for: lineage, statement: ir, options: options)
            let warnings = governance.filter { !$0.isError }
            note(governance.filter(\.isError) + warnings)
            if governance.contains(where: \.isError) { continue }
            let text = String(decoding: utf8[item.range.start.offset..<item.range.end.offset], as: UTF8.self)
            let compiled = CompiledStatement(
                index: index, range: item.range, text: text, ir: ir, targetTable: target(of: ir),
                inputTables: binder.inputTables, lineage: lineage, declaredKey: binder.declaredKey,
                diagnostics: warnings.map { var d = $0; d.statementIndex = index; return d },
                statementTime: binder.usesStatementTime ? options.statementTime : nil)
            overlay.apply(compiled)
            statements.append(compiled)
        }
        return CompiledScript(source: script, statementCount: parsed.count, statements: statements, diagnostics: diagnostics)
    }

    private static func target(of statement: BoundStatement) -> String? {
        switch statement {
        case .query: nil
        case let .createTable(table, _, _, _, _), let .createTableAs(table, _, _), let .dropTable(table, _, _),
             let .alterTable(table, _):
            table
        case let .insert(insert): insert.table
        case let .update(update): update.target.table
        case let .delete(delete): delete.target.table
        }
    }
}
