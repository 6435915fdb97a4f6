import RockyBase

/// Applies the environment's masking rules to a statement's lineage.
enum GovernanceCheck {
    /// E0501 for the first denied column reaching an output directly, per
    /// output column; W0503 when UPDATE stores masked values.
    static func diagnostics(for lineage: ColumnLineage, statement: BoundStatement, options: CompileOptions) -> [Diagnostic] {
        var out: [Diagnostic] = []
        let ranges = outputRanges(statement)
        let prefix = lineage.target.map { "\($0)." } ?? ""
        for (i, column) in lineage.columns.enumerated() {
            let range = i < ranges.count ? ranges[i] : SourceRange(at: .start)
            if let edge = column.inputs.first(where: { $0.transform.isDirect && $0.masking == .deny }) {
                let hops = ([prefix + column.name] + edge.path + ["\(edge.source)" + (edge.source.classification.map { " (\($0.label))" } ?? "")])
                let rule = edge.source.classification.map { "masks \($0.label) as deny" } ?? "denies \(edge.source)"
                out.append(Diagnostic(.maskingDenied, "\(hops.joined(separator: " <- ")): environment \(options.environment) \(rule)",
                                      at: range, help: "a denied column may only be used in WHERE, JOIN, GROUP BY or ORDER BY"))
            }
            if case .update = statement, column.masked {
                out.append(Diagnostic(.writesMaskedValues,
                                      "UPDATE stores masked values in \(prefix)\(column.name): environment \(options.environment) masks what it reads",
                                      at: range, severity: .warning))
            }
        }
        return out
    }

    private static func outputRanges(_ statement: BoundStatement) -> [SourceRange] {
        switch statement {
        case let .query(query), let .createTableAs(_, _, query): query.columns.map(\.range)
        case let .insert(insert): insert.source.columns.map(\.range)
        case let .update(update): update.assignments.map(\.value.range)
        default: []
        }
    }
}
