import RockyBase

/// One column visible through a FROM item.
struct ScopeColumn {
    var name: String
    var key: String
    var type: ColumnType
    var nullable: Bool
}

/// A FROM item as name resolution sees it.
struct ScopeEntry {
    /// The lowercased name it is referred to by (alias or table name).
    var key: String
    var qualifier: String
    var relation: RelationID
    var columns: [ScopeColumn]
    /// Masking strategies of a catalog table's columns; nil for derived relations.
    var masking: [MaskingStrategy]?
    /// The catalog table, for governance messages.
    var table: String?
    /// Columns left out of an unqualified `*` (the right side of USING).
    var hiddenFromStar: Set<Int> = []
}

/// The names visible in one SELECT: its FROM items, the columns merged by
/// USING, and through `parent` the enclosing query's names (correlation).
final class Scope {
    let parent: Scope?
    var entries: [ScopeEntry] = []
    /// USING columns: an unqualified name resolves to the merged value.
    var merged: [String: BoundExpr] = [:]

    init(parent: Scope?) {
        self.parent = parent
    }

    func entry(_ key: String) -> ScopeEntry? {
        entries.first { $0.key == key }
    }

    /// Every column name visible from here, for suggestions.
    var visibleColumnNames: [String] {
        var names: [String] = []
        var scope: Scope? = self
        while let current = scope {
            for entry in current.entries { names += entry.columns.map(\.name) }
            scope = current.parent
        }
        return names
    }
}

/// Where an expression is being bound: what it may contain and what to call the place.
struct ExprContext {
    var scope: Scope?
    /// The clause name used in messages ("WHERE", "GROUP BY", ...).
    var clause: String
    var allowAggregates: Bool
    var allowWindows: Bool
    /// Select-list aliases a bare name may also mean, when no column has it (QUALIFY).
    var aliases: [String: BoundExpr] = [:]

    static func clause(_ name: String, _ scope: Scope?, aggregates: Bool = false, windows: Bool = false) -> ExprContext {
        ExprContext(scope: scope, clause: name, allowAggregates: aggregates, allowWindows: windows)
    }
}

extension Binder {
    /// Resolves `column`, `table.column` (or a USING-merged name) to an expression.
    mutating func resolveColumn(_ parts: [Identifier], range: SourceRange, in context: ExprContext) throws(BindFailure) -> BoundExpr {
        guard let scope = context.scope else {
            throw failure(.unknownColumn, "unknown column '\(parts.map(\.text).joined(separator: "."))': there is no FROM clause here",
                          at: range)
        }
        if parts.count == 3 {
            throw failure(.unknownQualifier, "schema-qualified names are not supported: Rocky tables have one-part names",
                          at: parts[0].range)
        }
        if parts.count == 2 {
            let qualifier = parts[0]
            var current: Scope? = scope
            while let s = current {
                if let entry = s.entry(qualifier.key) {
                    guard let index = entry.columns.firstIndex(where: { $0.key == parts[1].key }) else {
                        throw failure(.unknownColumn, "unknown column '\(parts[1].text)' in '\(entry.qualifier)'", at: parts[1].range,
                                      help: Suggestion.nearest(to: parts[1].text, among: entry.columns.map(\.name)).map { "did you mean '\($0)'?" })
                    }
                    return try columnExpr(entry, index, range: range)
                }
                current = s.parent
            }
            var names: [String] = []
            current = scope
            while let s = current { names += s.entries.map(\.qualifier); current = s.parent }
            throw failure(.unknownQualifier, "unknown table or alias '\(qualifier.text)'", at: qualifier.range,
                          help: Suggestion.nearest(to: qualifier.text, among: names).map { "did you mean '\($0)'?" })
        }
        let name = parts[0]
        var current: Scope? = scope
        while let s = current {
            if var merged = s.merged[name.key] {
                merged.range = range
                return merged
            }
            var found: (ScopeEntry, Int)?
            var others: [String] = []
            for entry in s.entries {
                if let index = entry.columns.firstIndex(where: { $0.key == name.key }) {
                    if found == nil { found = (entry, index) } else { others.append(entry.qualifier) }
                }
            }
            if let (entry, index) = found {
                if !others.isEmpty {
                    let all = ([entry.qualifier] + others).map { "'\($0).\(name.text)'" }.joined(separator: ", ")
                    throw failure(.ambiguousColumn, "column '\(name.text)' is ambiguous: it could be \(all)", at: range,
                                  help: "qualify it, as in \(entry.qualifier).\(name.text)")
                }
                return try columnExpr(entry, index, range: range)
            }
            current = s.parent
        }
        throw failure(.unknownColumn, "unknown column '\(name.text)'", at: range,
                      help: Suggestion.nearest(to: name.text, among: scope.visibleColumnNames).map { "did you mean '\($0)'?" })
    }

    /// A reference to column `index` of `entry`, masked as the environment requires.
    func columnExpr(_ entry: ScopeEntry, _ index: Int, range: SourceRange) throws(BindFailure) -> BoundExpr {
        let column = entry.columns[index]
        let ref = ColumnRef(relation: entry.relation, index: index, qualifier: entry.qualifier, name: column.name)
        let expr = BoundExpr(.column(ref), type: column.type, nullable: column.nullable, range: range)
        guard let strategy = entry.masking?[index] else { return expr }
        if let dialect = options.dialect, !dialect.exactMaskingStrategies.contains(strategy) {
            throw failure(.maskingNotExpressible,
                          "environment \(options.environment) masks \(entry.table ?? entry.qualifier).\(column.name) as \(strategy), which \(dialect.rawValue) cannot compute exactly",
                          at: range, help: "run it on an engine that can (sqlite or postgres), or choose another strategy")
        }
        switch strategy {
        case .none, .deny:
            return expr
        case .hash, .redact, .partial, .email:
            return BoundExpr(.mask(strategy, expr), type: .text, nullable: expr.nullable, range: range)
        case .nullify:
            return BoundExpr(.mask(strategy, expr), type: column.type, nullable: true, range: range)
        case .year:
            guard column.type == .date || column.type == .timestamp else {
                throw failure(.maskingNotApplicable,
                              "environment \(options.environment) masks \(entry.table ?? entry.qualifier).\(column.name) as year, which needs a DATE or TIMESTAMP column, not \(column.type)",
                              at: range)
            }
            return BoundExpr(.mask(strategy, expr), type: column.type, nullable: expr.nullable, range: range)
        }
    }
}
