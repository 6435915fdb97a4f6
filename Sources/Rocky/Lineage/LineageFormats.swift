import RockyBase
import RockySQL
import RockyStore

/// The formats of `rocky lineage` (Docs/lineage.md): a JSON document with a
/// stable shape, a text tree, Graphviz, Mermaid and OpenLineage events.
extension LineageGraph {
    /// `table.column@<first 12 hex digits of the version>`: unique in a graph.
    public func key(_ id: NodeID) -> String {
        "\(id.table).\(node(id)?.column ?? "#\(id.columnID)")@\(id.version.short(12))"
    }

    /// Every node's key, computed once for a whole document.
    private var keys: [NodeID: String] {
        Dictionary(nodes.map { ($0.id, "\($0.id.table).\($0.column)@\($0.id.version.short(12))") }, uniquingKeysWith: { a, _ in a })
    }

    // MARK: JSON

    /// The stable JSON shape of Docs/lineage.md.
    public var json: JSON {
        let keys = self.keys
        func key(_ id: NodeID) -> String { keys[id] ?? self.key(id) }
        let nodes: [JSON] = self.nodes.map { node in
            .object([
                "id": .string(key(node.id)),
                "table": .string(node.id.table),
                "column": .string(node.column),
                "columnId": .int(node.id.columnID),
                "version": .string(node.id.version.hex),
                "classification": node.classification.map { .string($0.label) } ?? .null,
                "distance": .int(node.distance),
                "origin": .string(node.imported ? "import" : "sql"),
                "source": .bool(node.isSource),
                "truncated": .bool(node.truncated),
                "steps": .array(node.steps.map { .string($0.hex) }),
            ])
        }
        let edges: [JSON] = links.map { link in
            .object([
                "from": .string(key(link.from)),
                "to": .string(key(link.to)),
                "type": .string(link.transform.isDirect ? "DIRECT" : "INDIRECT"),
                "subtype": .string(link.transform.subtype),
                "masking": .bool(link.masked),
                "strategy": link.strategy.map(JSON.string),
                "scope": .string(link.datasetLevel ? "dataset" : "column"),
                "via": link.via.isEmpty ? nil : .array(link.via.map(JSON.string)),
                "transformation": .string(link.transformation.hex),
            ])
        }
        let steps: [JSON] = self.steps.map { step in
            .object([
                "id": .string(step.id.hex),
                "commit": step.commit.map { .string($0.hex) } ?? .null,
                "time": .string(step.time.description),
                "kind": .string(step.record.kind),
                "model": step.record.model.map(JSON.string),
                "environment": .string(step.record.environment),
                "statement": .string(step.record.statement),
            ])
        }
        return .object([
            "direction": .string(direction.rawValue),
            "revision": revision.map { .string($0.hex) } ?? .null,
            "root": .string(key(root)),
            "depth": depth.map { .int($0) } ?? .null,
            "traceIndirect": .bool(traceIndirect),
            "nodes": .array(nodes),
            "edges": .array(edges),
            "transformations": .array(steps),
        ])
    }

    // MARK: Labels shared by the formats

    private var stepsByID: [ObjectID: Step] { Dictionary(steps.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a }) }

    /// `model returns 1a2b3c4d`, `CREATE TABLE AS 1a2b3c4d`.
    static func label(_ step: Step) -> String {
        if let model = step.record.model { return "model \(model) \(step.id.short(8))" }
        let words = [
            "createTableAs": "CREATE TABLE AS", "createTable": "CREATE TABLE", "insert": "INSERT", "update": "UPDATE",
            "delete": "DELETE", "alterTable": "ALTER TABLE", "dropTable": "DROP TABLE",
        ][step.record.kind] ?? step.record.kind
        return "\(words) \(step.id.short(8))"
    }

    /// How a node's version came to be: `imported`, `model daily 1a2b3c4d`,
    /// `INSERT 1a2b3c4d (+1 earlier)`, prefixed by `source: ` for an upstream source.
    private func origin(_ node: Node, _ steps: [ObjectID: Step]) -> String {
        let top = node.steps.first.flatMap { steps[$0] }.map(LineageGraph.label)
        var text: String
        if node.imported {
            text = top.map { "imported, then \($0)" } ?? "imported"
        } else {
            text = top ?? "no record"
        }
        if node.steps.count > 1 { text += " (+\(node.steps.count - 1) earlier)" }
        return node.isSource ? "source: \(text)" : text
    }

    /// Tables seen at more than one version get the version in their names.
    private var versionedTables: Set<String> {
        var versions: [String: Set<ObjectID>] = [:]
        for node in nodes { versions[node.id.table, default: []].insert(node.id.version) }
        return Set(versions.filter { $0.value.count > 1 }.keys)
    }

    private func name(_ node: Node, _ versioned: Set<String>) -> String {
        "\(node.id.table).\(node.column)" + (versioned.contains(node.id.table) ? "@\(node.id.version.short(8))" : "")
    }

    private static func edgeLabel(_ link: Link, via: Bool = true) -> String {
        var text = (link.transform.isDirect ? "DIRECT " : "INDIRECT ") + link.transform.subtype.lowercased().replacingOccurrences(of: "_", with: " ")
        if link.masked { text += " masked (\(link.strategy ?? "masked"))" }
        if link.strategy == "deny" { text += " denied" }
        if via && !link.via.isEmpty { text += " via " + link.via.joined(separator: " <- ") }
        return text
    }

    /// The links from each node to the nodes printed below it, grouped by neighbour.
    private func children() -> [NodeID: [(NodeID, [Link])]] {
        var result: [NodeID: [(NodeID, [Link])]] = [:]
        for link in links {
            let (parent, child) = direction == .upstream ? (link.to, link.from) : (link.from, link.to)
            if let i = result[parent]?.firstIndex(where: { $0.0 == child }) {
                result[parent]?[i].1.append(link)
            } else {
                result[parent, default: []].append((child, [link]))
            }
        }
        return result
    }

    // MARK: Text

    /// An indented tree from the requested column, one line per neighbour:
    /// name, classification, edge types (masking marked), and how the
    /// version came to be. A node already shown with what lies beyond is
    /// marked `(see above)`.
    public var text: String {
        let steps = stepsByID, versioned = versionedTables, children = children()
        let byID = Dictionary(nodes.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        let more = direction == .upstream ? "  (+ more upstream)" : "  (+ more downstream)"
        func describe(_ node: Node) -> String {
            name(node, versioned) + (node.classification.map { " [\($0.label)]" } ?? "")
        }
        guard let rootNode = byID[root] else { return "" }
        var out = describe(rootNode) + "  " + origin(rootNode, steps) + (rootNode.truncated ? more : "") + "\n"
        var shown: Set<NodeID> = [root]
        func walk(_ id: NodeID, _ prefix: String) {
            let kids = children[id] ?? []
            for (i, (child, links)) in kids.enumerated() {
                guard let node = byID[child] else { continue }
                let last = i == kids.count - 1
                var line = prefix + (last ? "└── " : "├── ") + describe(node) + "  " + links.map { LineageGraph.edgeLabel($0) }.joined(separator: ", ")
                let hasKids = !(children[child] ?? []).isEmpty
                if shown.contains(child) && hasKids {
                    out += line + "  (see above)\n"
                    continue
                }
                line += "  " + origin(node, steps) + (node.truncated ? more : "")
                out += line + "\n"
                shown.insert(child)
                walk(child, prefix + (last ? "    " : "│   "))
            }
        }
        walk(root, "")
        return out
    }

    // MARK: Graphviz

    /// A `digraph` with data flowing left to right: indirect edges dashed,
    /// masked ones red, the requested column bold, imported sources as cylinders.
    public var dot: String {
        let steps = stepsByID, versioned = versionedTables, keys = self.keys
        func key(_ id: NodeID) -> String { keys[id] ?? self.key(id) }
        func quote(_ s: String) -> String {
            "\"" + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
                .replacingOccurrences(of: "\n", with: "\\n") + "\""
        }
        var out = "digraph lineage {\n  rankdir=LR;\n  node [shape=box, fontname=\"Helvetica\"];\n  edge [fontname=\"Helvetica\", fontsize=10];\n"
        for node in nodes {
            var label = name(node, versioned)
            if let c = node.classification { label += "\n[\(c.label)]" }
            label += "\n" + origin(node, steps)
            var attributes = ["label=" + quote(label)]
            if node.id == root { attributes.append("style=bold") }
            if node.imported && node.steps.isEmpty { attributes.append("shape=cylinder") }
            if node.truncated { attributes.append("peripheries=2") }
            out += "  \(quote(key(node.id))) [\(attributes.joined(separator: ", "))];\n"
        }
        for link in links {
            var attributes = ["label=" + quote(LineageGraph.edgeLabel(link))]
            if !link.transform.isDirect { attributes.append("style=dashed") }
            if link.masked { attributes.append("color=red") }
            out += "  \(quote(key(link.from))) -> \(quote(key(link.to))) [\(attributes.joined(separator: ", "))];\n"
        }
        return out + "}\n"
    }

    // MARK: Mermaid

    /// A `flowchart LR`: `-->` for direct edges, `-.->` for indirect ones,
    /// masked edges drawn red, the requested column in a thick box.
    public var mermaid: String {
        let steps = stepsByID, versioned = versionedTables
        func text(_ s: String) -> String {
            s.replacingOccurrences(of: "&", with: "#amp;").replacingOccurrences(of: "\"", with: "#quot;")
                .replacingOccurrences(of: "<", with: "#lt;").replacingOccurrences(of: ">", with: "#gt;")
        }
        var ids: [NodeID: String] = [:]
        var out = "flowchart LR\n"
        for (i, node) in nodes.enumerated() {
            ids[node.id] = "n\(i)"
            var label = text(name(node, versioned))
            if let c = node.classification { label += "<br/>[\(text(c.label))]" }
            label += "<br/>" + text(origin(node, steps))
            out += "  n\(i)[\"\(label)\"]\n"
        }
        var masked: [Int] = []
        for (i, link) in links.enumerated() {
            guard let from = ids[link.from], let to = ids[link.to] else { continue }
            let arrow = link.transform.isDirect ? "-->" : "-.->"
            out += "  \(from) \(arrow)|\"\(text(LineageGraph.edgeLabel(link, via: false)))\"| \(to)\n"
            if link.masked { masked.append(i) }
        }
        if let rootID = ids[root] { out += "  classDef requested stroke-width:3px\n  class \(rootID) requested\n" }
        if !masked.isEmpty { out += "  linkStyle \(masked.map(String.init).joined(separator: ",")) stroke:red\n" }
        return out
    }

    // MARK: OpenLineage

    public static let openLineageEventSchema = "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/DatasetEvent"
    public static let columnLineageFacetSchema = "https://openlineage.io/spec/facets/1-2-0/ColumnLineageDatasetFacet.json#/$defs/ColumnLineageDatasetFacet"
    public static let datasetVersionFacetSchema = "https://openlineage.io/spec/facets/1-0-1/DatasetVersionDatasetFacet.json#/$defs/DatasetVersionDatasetFacet"

    /// One OpenLineage DatasetEvent per output dataset of the graph (each
    /// table version with a column fed by another), carrying the column
    /// lineage dataset facet: `fields` maps each output column to its
    /// `inputFields` (direct and column-level indirect edges), `dataset`
    /// lists the dataset-level inputs (join, filter, group by, sort). Datasets
    /// are named by table in `namespace`; the version facet holds the table version.
    public func openLineageEvents(namespace: String, producer: String) -> [JSON] {
        let steps = stepsByID
        let byID = Dictionary(nodes.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        struct Dataset: Hashable {
            var table: String
            var version: ObjectID
        }
        var datasets: [Dataset] = []
        var incoming: [Dataset: [Link]] = [:]
        for node in nodes {
            let dataset = Dataset(table: node.id.table, version: node.id.version)
            let into = links.filter { $0.to == node.id }
            guard !into.isEmpty else { continue }
            if incoming[dataset] == nil { datasets.append(dataset) }
            incoming[dataset, default: []] += into
        }
        func transformation(_ link: Link) -> JSON {
            var description = steps[link.transformation].map(LineageGraph.label) ?? "transformation \(link.transformation.short(8))"
            if !link.via.isEmpty { description += " via " + link.via.joined(separator: " <- ") }
            return .object([
                "type": .string(link.transform.isDirect ? "DIRECT" : "INDIRECT"),
                "subtype": .string(link.transform.subtype),
                "description": .string(description),
                "masking": .bool(link.masked),
            ])
        }
        /// Links grouped by input column, in order, each input once.
        func inputFields(_ links: [Link]) -> [JSON] {
            var order: [NodeID] = []
            var grouped: [NodeID: [JSON]] = [:]
            for link in links {
                if grouped[link.from] == nil { order.append(link.from) }
                let t = transformation(link)
                if !(grouped[link.from] ?? []).contains(t) { grouped[link.from, default: []].append(t) }
            }
            return order.map { from in
                .object([
                    "namespace": .string(namespace),
                    "name": .string(from.table),
                    "field": .string(byID[from]?.column ?? "#\(from.columnID)"),
                    "transformations": .array(grouped[from] ?? []),
                ])
            }
        }
        return datasets.map { dataset in
            let into = incoming[dataset] ?? []
            var fieldOrder: [NodeID] = []
            for link in into where !link.datasetLevel && !fieldOrder.contains(link.to) { fieldOrder.append(link.to) }
            let fields: [JSON.Member] = fieldOrder.map { to in
                JSON.Member(byID[to]?.column ?? "#\(to.columnID)",
                            .object(["inputFields": .array(inputFields(into.filter { !$0.datasetLevel && $0.to == to }))]))
            }
            let time = into.compactMap { steps[$0.transformation]?.time }.max()
            let facet: JSON = .object([
                "_producer": .string(producer),
                "_schemaURL": .string(LineageGraph.columnLineageFacetSchema),
                "fields": .object(fields),
                "dataset": .array(inputFields(into.filter(\.datasetLevel))),
            ])
            return .object([
                "eventTime": .string((time ?? Timestamp(microseconds: 0)).description),
                "producer": .string(producer),
                "schemaURL": .string(LineageGraph.openLineageEventSchema),
                "dataset": .object([
                    "namespace": .string(namespace),
                    "name": .string(dataset.table),
                    "facets": .object([
                        "columnLineage": facet,
                        "version": .object([
                            "_producer": .string(producer),
                            "_schemaURL": .string(LineageGraph.datasetVersionFacetSchema),
                            "datasetVersion": .string(dataset.version.hex),
                        ]),
                    ]),
                ]),
            ])
        }
    }
}
