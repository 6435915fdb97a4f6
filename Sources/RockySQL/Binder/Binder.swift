import RockyBase

/// The error that stops binding a statement: its first error.
struct BindFailure: Error {
    var diagnostic: Diagnostic
}

/// A CTE visible to the query being bound.
struct CTEBinding {
    var id: RelationID
    var name: String
    var columns: [OutputColumn]
}

/// Resolves names and types of one statement against a catalog, producing IR.
///
/// The binder stops at a statement's first error (errors rarely come alone,
/// and the first is the one worth reading). Warnings come from the
/// governance pass that follows, not from here.
struct Binder {
    let catalog: any Catalog
    var options: CompileOptions
    var nextRelation = 0
    var cteFrames: [[String: CTEBinding]] = []
    private(set) var inputTables: [String] = []
    /// The key a CREATE TABLE AS declares (`CREATE TABLE t (PRIMARY KEY (a)) AS ...`); empty: none.
    var declaredKey: [String] = []
    private var inputKeys: Set<String> = []
    /// Aggregate calls bound in the current SELECT's own clauses.
    var aggregateCount = 0
    /// Whether the statement reads CURRENT_DATE or CURRENT_TIMESTAMP (`options.statementTime`).
    var usesStatementTime = false
    /// RETURNING: the alias of the derived relation of the rows written, and
    /// the target table's masking its columns take (`bindFrom`).
    var returningRelation: (key: String, table: String, masking: [MaskingStrategy])?
    /// The current SELECT's `WINDOW` definitions, resolved.
    var namedWindows: [String: WindowSpec] = [:]

    init(catalog: any Catalog, options: CompileOptions) {
        self.catalog = catalog
        self.options = options
    }

    mutating func newRelation() -> RelationID {
        nextRelation += 1
        return RelationID(value: nextRelation)
    }

    mutating func noteInput(_ table: String) {
        if inputKeys.insert(table.lowercased()).inserted { inputTables.append(table) }
    }

    func failure(_ code: DiagnosticCode, _ message: String, at range: SourceRange, help: String? = nil) -> BindFailure {
        BindFailure(diagnostic: Diagnostic(code, message, at: range, help: help))
    }

    /// The catalog table `name`, failing with a suggestion when it is unknown.
    func catalogTable(_ name: Identifier) throws(BindFailure) -> CatalogTable {
        if let table = catalog.table(named: name.text) { return table }
        var candidates = catalog.tableNames
        for frame in cteFrames { candidates += frame.values.map(\.name) }
        throw failure(.unknownTable, "unknown table '\(name.text)'", at: name.range,
                      help: Suggestion.nearest(to: name.text, among: candidates).map { "did you mean '\($0)'?" })
    }

    func lookupCTE(_ key: String) -> CTEBinding? {
        for frame in cteFrames.reversed() {
            if let binding = frame[key] { return binding }
        }
        return nil
    }
}
