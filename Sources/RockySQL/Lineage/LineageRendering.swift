import RockyBase

extension LineageEdge {
    /// `{"table", "column", "columnId", "type", "subtype", "masking", "strategy"?, "via"?}`
    /// (the shape is documented in Docs/sql.md, "Lineage JSON").
    public var json: JSON {
        var members: [JSON.Member] = [
            JSON.Member("table", .string(source.table)),
            JSON.Member("column", .string(source.column)),
            JSON.Member("columnId", .int(source.columnId)),
            JSON.Member("type", .string(transform.isDirect ? "DIRECT" : "INDIRECT")),
            JSON.Member("subtype", .string(transform.subtype)),
            JSON.Member("masking", .bool(isMasked)),
        ]
        if let masking, masking != MaskingStrategy.none { members.append(JSON.Member("strategy", .string(masking.rawValue))) }
        if let classification = source.classification {
            members.append(JSON.Member("classification", .string(classification.label)))
        }
        if !path.isEmpty { members.append(JSON.Member("via", .array(path.map { .string($0) }))) }
        return .object(members)
    }

    /// `prices.close  DIRECT transformation  via recent.close`.
    public var text: String {
        var line = "\(source)  \(transform.isDirect ? "DIRECT" : "INDIRECT") \(transform.subtype.lowercased())"
        if isMasked, let masking { line += "  masked (\(masking.rawValue))" }
        if masking == .deny { line += "  denied" }
        if !path.isEmpty { line += "  via " + path.joined(separator: " <- ") }
        return line
    }
}

extension ColumnLineage {
    /// The stable JSON shape of Docs/sql.md, "Lineage JSON".
    public var json: JSON {
        let columns: [JSON] = self.columns.map { column in
            .object([
                JSON.Member("name", .string(column.name)),
                JSON.Member("classification", column.classification.map { .string($0.label) } ?? .null),
                JSON.Member("masked", .bool(column.masked)),
                JSON.Member("inputs", .array(column.inputs.map(\.json))),
            ])
        }
        return .object([
            JSON.Member("target", target.map { .string($0) } ?? .null),
            JSON.Member("columns", .array(columns)),
            JSON.Member("dataset", .array(datasetInputs.map(\.json))),
        ])
    }

    /// A text tree for people:
    /// ```
    /// report
    /// ├── ret [financial]
    /// │   └── prices.close  DIRECT transformation
    /// └── (dataset)
    ///     └── prices.symbol  INDIRECT filter
    /// ```
    public var textTree: String {
        var out = (target ?? "(query)") + "\n"
        var groups: [(String, [LineageEdge])] = columns.map { column in
            var label = column.name
            if let classification = column.classification { label += " [\(classification.label)]" }
            if column.masked { label += " (masked)" }
            return (label, column.inputs)
        }
        if !datasetInputs.isEmpty { groups.append(("(dataset)", datasetInputs)) }
        for (g, group) in groups.enumerated() {
            let lastGroup = g == groups.count - 1
            out += (lastGroup ? "└── " : "├── ") + group.0 + "\n"
            let indent = lastGroup ? "    " : "│   "
            if group.1.isEmpty { out += indent + "└── (constant)\n" }
            for (e, edge) in group.1.enumerated() {
                out += indent + (e == group.1.count - 1 ? "└── " : "├── ") + edge.text + "\n"
            }
        }
        return out
    }
}
