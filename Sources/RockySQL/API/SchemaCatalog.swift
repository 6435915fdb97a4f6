import RockyBase

/// A catalog read from a schema file: a script of CREATE TABLE statements.
///
/// `rocky check --schema schema.sql` uses it before any table exists. Columns
/// get ids 1, 2, ... per table in declaration order; governance is empty.
public enum SchemaCatalog {
    /// The catalog the statements of `text` declare, and any problems found.
    /// Statements other than CREATE TABLE are reported (E0603) and ignored.
    public static func parse(_ text: String) -> (catalog: InMemoryCatalog, diagnostics: [Diagnostic]) {
        var overlay = CatalogOverlay(InMemoryCatalog())
        var diagnostics: [Diagnostic] = []
        var names: [String] = []
        for (index, item) in Parser.parseScript(text).enumerated() {
            for var diagnostic in item.diagnostics {
                diagnostic.statementIndex = index
                diagnostics.append(diagnostic)
            }
            guard let statement = item.statement else { continue }
            guard case .createTable = statement else {
                diagnostics.append(Diagnostic(.notATableDefinition, "a schema file may only contain CREATE TABLE statements",
                                              at: item.range, statementIndex: index))
                continue
            }
            var binder = Binder(catalog: overlay, options: CompileOptions())
            do {
                let bound = try binder.bindStatement(statement)
                if case let .createTable(name, _, _, _, _) = bound { names.append(name) }
                overlay.apply(bound)
            } catch {
                var diagnostic = error.diagnostic
                diagnostic.statementIndex = index
                diagnostics.append(diagnostic)
            }
        }
        var catalog = InMemoryCatalog()
        for name in names {
            if let table = overlay.table(named: name) { catalog.add(table) }
        }
        return (catalog, diagnostics)
    }
}
