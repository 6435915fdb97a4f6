import RockyBase

/// A read of history in a FROM clause: a table at a revision
/// (`prices AS OF 'main~1'`), a system table (`rocky_log`, `rocky_branches`,
/// `rocky_tags`, `rocky_audit`) or `rocky_diff('<from>', '<to>', '<table>')`.
///
/// The compiler resolves none of them: the caller reads the revision (after
/// authorizing it), materializes the table and offers it in the catalog and
/// to the engine under `catalogName`, as any other input (content-addressed
/// by its table id, so replay and reuse work unchanged). A query names it
/// by its alias, else by the table's own name (`rocky_diff` for a diff).
public enum HistoryReference: Hashable, Sendable {
    case asOf(table: String, revision: String)
    case system(String)
    case diff(from: String, to: String, table: String)

    /// The system tables a query may read by name.
    public static let systemTables = ["rocky_log", "rocky_branches", "rocky_tags", "rocky_audit"]

    /// The name the table has in the catalog, the engine and the
    /// transformation record: `prices@main~1`, `rocky_log`,
    /// `rocky_diff(main~1,main,prices)`. Never a name a user table can have
    /// (table names hold neither `@` nor parentheses), except a system
    /// table's, which a user table of that name shadows.
    public var catalogName: String {
        switch self {
        case let .asOf(table, revision): "\(table)@\(revision)"
        case let .system(name): name.lowercased()
        case let .diff(from, to, table): "rocky_diff(\(from),\(to),\(table))"
        }
    }

    /// The name a query qualifies its columns with when it gives no alias.
    public var defaultQualifier: String {
        switch self {
        case let .asOf(table, _): table
        case let .system(name): name.lowercased()
        case .diff: "rocky_diff"
        }
    }

    /// The reference a catalog name stands for (a recorded input's name);
    /// nil for an ordinary table name.
    public init?(catalogName name: String) {
        if name.hasPrefix("rocky_diff("), name.hasSuffix(")") {
            let parts = name.dropFirst("rocky_diff(".count).dropLast().split(separator: ",", omittingEmptySubsequences: false)
            guard parts.count == 3 else { return nil }
            self = .diff(from: String(parts[0]), to: String(parts[1]), table: String(parts[2]))
        } else if let at = name.firstIndex(of: "@") {
            self = .asOf(table: String(name[..<at]), revision: String(name[name.index(after: at)...]))
        } else if HistoryReference.systemTables.contains(name.lowercased()) {
            self = .system(name.lowercased())
        } else {
            return nil
        }
    }
}

extension SQLCompiler {
    /// The reads of history in `script`, each once, in order of first
    /// appearance, from its syntax alone: what the caller must resolve,
    /// authorize and offer in the catalog before compiling it. A system
    /// table's name shadowed by a CTE is not one.
    public static func historyReferences(in script: String) -> [HistoryReference] {
        var walker = ReferenceWalker()
        for item in Parser.parseScript(script) {
            guard let statement = item.statement else { continue }
            walker.statement(statement)
        }
        var seen = Set<HistoryReference>()
        let system = walker.names.filter { HistoryReference.systemTables.contains($0) }.map { HistoryReference.system($0) }
        return (walker.history + system).filter { seen.insert($0).inserted }
    }
}
