import RockyBase
import RockySQL
import RockyStore
import RockyTable

/// Statement kinds that change a table in place: its columns keep their
/// identity (and their lineage node) through them.
private let inPlaceKinds: Set<String> = ["insert", "update", "delete", "alterTable"]

/// One input edge of a record's lineage JSON (Docs/sql.md, "Lineage JSON"),
/// placed at the table version the record read.
struct RecordedEdge {
    var table: String
    var column: String
    var columnID: Int
    var version: ObjectID
    /// Just before the record: where the input version's own origin is searched.
    var position: HistoryPosition
    var transform: LineageTransform
    var masked: Bool
    var strategy: String?
    var datasetLevel: Bool
    var via: [String]
    var record: ObjectID
}

/// What wrote one column of one table version, back to where the table was
/// created or imported.
struct ColumnHistory {
    /// The versions of the table the column passed through in place.
    var versions: Set<ObjectID>
    /// The records that wrote the column, newest first.
    var steps: [ObjectID]
    var imported: Bool
    /// Where the oldest versions came to be: nothing before can read them.
    var floors: [HistoryPoint]
    var edges: [RecordedEdge]
}

/// Builds a `LineageGraph` by walking records upstream (breadth first, so a
/// node's distance is its fewest hops) or downstream (records in history order).
struct LineageTracer {
    typealias NodeID = LineageGraph.NodeID

    private struct NodeState {
        var distance: Int
        /// Reached from the root through direct edges only.
        var direct: Bool
        var position: HistoryPosition
        var expanded = false
        var truncated = false
        /// Records found writing this node while tracing downstream, oldest first.
        var laterSteps: [ObjectID] = []
    }

    private struct VersionKey: Hashable {
        var table: String
        var version: ObjectID
        init(_ table: String, _ version: ObjectID) {
            self.table = table.lowercased()
            self.version = version
        }
    }

    let history: LineageHistory
    let options: LineageOptions
    private var states: [NodeID: NodeState] = [:]
    private var order: [NodeID] = []
    private var links: [LineageGraph.Link] = []
    private var linkSet: Set<LineageGraph.Link> = []
    private var histories: [NodeID: ColumnHistory] = [:]
    /// Downstream: the newest version a node reached through in-place
    /// statements after the one that created it; the graph names it by that one.
    private var latest: [NodeID: ObjectID] = [:]

    init(history: LineageHistory, options: LineageOptions) {
        self.history = history
        self.options = options
    }

    private func expandable(_ state: NodeState) -> Bool {
        (options.depth.map { state.distance < $0 } ?? true) && (state.direct || options.traceIndirect)
    }

    private mutating func add(_ id: NodeID, distance: Int, direct: Bool, position: HistoryPosition) {
        states[id] = NodeState(distance: distance, direct: direct, position: position)
        order.append(id)
    }

    private mutating func link(_ edge: RecordedEdge, from: NodeID, to: NodeID) {
        let link = LineageGraph.Link(from: from, to: to, transform: edge.transform, masked: edge.masked, strategy: edge.strategy,
                                     datasetLevel: edge.datasetLevel, via: edge.via, transformation: edge.record)
        if linkSet.insert(link).inserted { links.append(link) }
    }

    // MARK: Upstream

    mutating func traceUpstream(from root: NodeID, at position: HistoryPosition) throws {
        add(root, distance: 0, direct: true, position: position)
        var queue = [root]
        var next = 0
        while next < queue.count {
            let id = queue[next]
            next += 1
            guard let state = states[id], !state.expanded, expandable(state) else { continue }
            states[id]?.expanded = true
            let columnHistory = try self.columnHistory(id)
            for edge in columnHistory.edges {
                let (input, at) = try node(for: edge, feeding: id, history: columnHistory)
                if input == id { continue }
                link(edge, from: input, to: id)
                let direct = state.direct && edge.transform.isDirect && !edge.datasetLevel
                if let existing = states[input] {
                    if direct && !existing.direct {
                        states[input]?.direct = true
                        queue.append(input)
                    }
                } else {
                    add(input, distance: state.distance + 1, direct: direct, position: at)
                    queue.append(input)
                }
            }
        }
        for id in order where states[id]?.expanded == false {
            let columnHistory = try self.columnHistory(id)
            let truncated = try columnHistory.edges.contains { try node(for: $0, feeding: id, history: columnHistory).0 != id }
            states[id]?.truncated = truncated
        }
    }

    /// The node an input edge comes from. The node's own table, read at a
    /// version it passed through in place, is the node's version: an UPDATE
    /// that sets `a = b` makes `b` of the same node version an input (unless
    /// `b` was dropped since, when it is `b` of the version read).
    private func node(for edge: RecordedEdge, feeding id: NodeID, history columnHistory: ColumnHistory) throws -> (NodeID, HistoryPosition) {
        let columnID = try history.schema(of: edge.version).column(named: edge.column)?.id ?? edge.columnID
        if edge.table.lowercased() == id.table.lowercased(), columnHistory.versions.contains(edge.version), let state = states[id],
           try history.schema(of: id.version).column(id: columnID) != nil {
            return (NodeID(table: id.table, columnID: columnID, version: id.version), state.position)
        }
        return (NodeID(table: edge.table, columnID: columnID, version: edge.version), edge.position)
    }

    /// Follows a column back through the records that wrote its table
    /// version, and the in-place statements before them, to the statement
    /// that created the table (or to its import), gathering the column's input edges.
    private mutating func columnHistory(_ id: NodeID) throws -> ColumnHistory {
        if let known = histories[id] { return known }
        guard let start = states[id]?.position else { preconditionFailure("column history of an unknown node") }
        var result = ColumnHistory(versions: [id.version], steps: [], imported: false, floors: [], edges: [])
        var work = [(version: id.version, position: start)]
        var seen: Set<HistoryPosition> = []
        while let (version, position) = work.popLast() {
            switch try history.origin(of: id.table, version: version, from: position) {
            case let .imported(point):
                result.imported = true
                result.floors.append(point)
            case let .restated(version, position):
                if seen.insert(position).inserted {
                    result.versions.insert(version)
                    work.append((version, position))
                }
            case let .merged(sides):
                for side in sides where seen.insert(side.position).inserted {
                    result.versions.insert(side.version)
                    work.append(side)
                }
            case let .record(point, index, recordID):
                let record = try history.record(recordID, at: point)
                guard let output = record.outputs.entry(named: id.table)?.value,
                      let column = try history.schema(of: output).column(id: id.columnID) else {
                    result.floors.append(point)
                    continue
                }
                let own = record.lineage["columns"]?.arrayValue?.first { $0["name"]?.stringValue?.lowercased() == column.name.lowercased() }
                // An in-place statement continues the column from the version it
                // read; so does any statement whose output is the version it read.
                var previous: ObjectID?
                if let read = record.inputs.entry(named: id.table)?.value, inPlaceKinds.contains(record.kind) || read == output,
                   try history.schema(of: read).column(id: id.columnID) != nil {
                    previous = read
                }
                let touches = own != nil || record.kind == "delete"
                if touches || previous == nil { result.steps.append(recordID) }
                let before = HistoryPosition(point: point, before: index)
                for input in own?["inputs"]?.arrayValue ?? [] {
                    if let edge = recorded(input, of: record, id: recordID, at: before, datasetLevel: false) { result.edges.append(edge) }
                }
                if touches {
                    for input in record.lineage["dataset"]?.arrayValue ?? [] {
                        if let edge = recorded(input, of: record, id: recordID, at: before, datasetLevel: true) { result.edges.append(edge) }
                    }
                }
                if let previous {
                    result.versions.insert(previous)
                    work.append((previous, before))
                } else {
                    result.floors.append(point)
                }
            }
        }
        histories[id] = result
        return result
    }

    private func recorded(_ input: JSON, of record: Transformation, id: ObjectID, at position: HistoryPosition,
                          datasetLevel: Bool) -> RecordedEdge? {
        guard let table = input["table"]?.stringValue, let column = input["column"]?.stringValue,
              let (name, version) = record.inputs.entry(named: table),
              let subtype = input["subtype"]?.stringValue,
              let transform = LineageTransform.allCases.first(where: { $0.subtype == subtype }) else { return nil }
        return RecordedEdge(table: name, column: column, columnID: input["columnId"]?.intValue ?? -1, version: version,
                            position: position, transform: transform, masked: input["masking"]?.boolValue ?? false,
                            strategy: input["strategy"]?.stringValue, datasetLevel: datasetLevel,
                            via: input["via"]?.arrayValue?.compactMap(\.stringValue) ?? [], record: id)
    }

    // MARK: Downstream

    mutating func traceDownstream(from root: NodeID, at position: HistoryPosition) throws {
        add(root, distance: 0, direct: true, position: position)
        let rootHistory = try columnHistory(root)
        states[root]?.expanded = true
        var tracked: [VersionKey: [Int: NodeID]] = [:]
        for version in rootHistory.versions { tracked[VersionKey(root.table, version), default: [:]][root.columnID] = root }
        var tips: [HistoryPoint] = [.workingSet]
        if position.point != .workingSet { tips.append(position.point) }
        var seen: Set<ObjectID> = []
        for point in try points(from: tips, since: rootHistory.floors) {
            for (index, recordID) in try history.recordIDs(at: point).enumerated() where seen.insert(recordID).inserted {
                try follow(recordID, at: point, index: index, root: root, tracked: &tracked)
            }
            try carry(at: point, root: root, tracked: &tracked)
        }
    }

    /// Follows one record downstream: the columns it wrote from tracked ones
    /// become nodes (or, for an in-place statement, stay the nodes they were).
    private mutating func follow(_ recordID: ObjectID, at point: HistoryPoint, index: Int, root: NodeID,
                                 tracked: inout [VersionKey: [Int: NodeID]]) throws {
        let record = try history.record(recordID, at: point)
        guard record.inputs.contains(where: { tracked[VersionKey($0.key, $0.value)] != nil }) else { return }
        for (outputName, output) in record.outputs.sorted(by: { $0.key < $1.key }) {
            let schema = try history.schema(of: output)
            let lineage = record.lineage
            let columns = lineage["columns"]?.arrayValue ?? []
            let dataset = lineage["dataset"]?.arrayValue ?? []
            var outputs: [Int: NodeID] = [:]
            if let read = record.inputs.entry(named: outputName)?.value, inPlaceKinds.contains(record.kind) || read == output,
               let continued = tracked[VersionKey(outputName, read)] {
                for (columnID, node) in continued {
                    guard let column = schema.column(id: columnID) else { continue }
                    outputs[columnID] = node
                    if node != root { latest[node] = output }
                    let touched = record.kind == "delete"
                        || columns.contains { $0["name"]?.stringValue?.lowercased() == column.name.lowercased() }
                    if touched && states[node]?.laterSteps.last != recordID { states[node]?.laterSteps.append(recordID) }
                }
            }
            // Each written column with its own inputs; dataset-level inputs
            // shape every one of them (DELETE: every column of the table).
            var written: [(Column, [JSON])] = columns.compactMap { c in
                c["name"]?.stringValue.flatMap { schema.column(named: $0) }.map { ($0, c["inputs"]?.arrayValue ?? []) }
            }
            if record.kind == "delete" { written = schema.columns.map { ($0, []) } }
            let here = HistoryPosition(point: point, before: index + 1)
            for (column, own) in written {
                let inputs = own.map { ($0, false) } + dataset.map { ($0, true) }
                for (input, datasetLevel) in inputs {
                    guard let edge = recorded(input, of: record, id: recordID, at: here, datasetLevel: datasetLevel) else { continue }
                    let columnID = try history.schema(of: edge.version).column(named: edge.column)?.id ?? edge.columnID
                    guard let source = tracked[VersionKey(edge.table, edge.version)]?[columnID], let sourceState = states[source] else { continue }
                    let target = outputs[column.id] ?? NodeID(table: outputName, columnID: column.id, version: output)
                    if target == source { continue }
                    guard expandable(sourceState) else {
                        states[source]?.truncated = true
                        continue
                    }
                    let direct = sourceState.direct && edge.transform.isDirect && !datasetLevel
                    if states[target] == nil {
                        add(target, distance: sourceState.distance + 1, direct: direct, position: here)
                        states[target]?.laterSteps = [recordID]
                        states[target]?.expanded = true
                    } else if direct {
                        states[target]?.direct = true
                    }
                    link(edge, from: source, to: target)
                    outputs[column.id] = target
                }
            }
            if !outputs.isEmpty { tracked[VersionKey(outputName, output), default: [:]].merge(outputs) { old, _ in old } }
        }
    }

    /// A commit can hold a table version no record wrote: a merge of two
    /// sides, or rocky.toml governance applied at commit. Such a version
    /// continues the tracked columns of the versions it came from.
    private mutating func carry(at point: HistoryPoint, root: NodeID, tracked: inout [VersionKey: [Int: NodeID]]) throws {
        guard point != .workingSet else { return }
        let names = Set(tracked.keys.map(\.table))
        let parents = try history.parents(of: point)
        let written = try history.recordIDs(at: point).reversed().map { try history.record($0, at: point) }
        for (name, version) in try history.tables(at: point).sorted(by: { $0.key < $1.key })
        where names.contains(name.lowercased()) && tracked[VersionKey(name, version)] == nil {
            // As `LineageHistory.origin` reads it backwards: a merge continues
            // its parents' versions; a version that only restates the last one
            // written here (or the parent's) with other governance continues that.
            var from: [ObjectID] = []
            if parents.count > 1 {
                for parent in parents { if let v = try history.tables(at: parent).entry(named: name)?.value { from.append(v) } }
            } else if let v = try written.lazy.compactMap({ $0.outputs.entry(named: name)?.value }).first
                ?? parents.first.flatMap({ try history.tables(at: $0).entry(named: name)?.value }), try history.restates(version, v) {
                from.append(v)
            }
            let schema = try history.schema(of: version)
            var columns: [Int: NodeID] = [:]
            for source in from {
                for (columnID, node) in tracked[VersionKey(name, source)] ?? [:] where columns[columnID] == nil && schema.column(id: columnID) != nil {
                    columns[columnID] = node
                    if node != root { latest[node] = version }
                }
            }
            if !columns.isEmpty { tracked[VersionKey(name, version)] = columns }
        }
    }

    /// The points reachable from `tips` back to `floors` (where the traced
    /// column's table came to be), parents before children.
    private func points(from tips: [HistoryPoint], since floors: [HistoryPoint]) throws -> [HistoryPoint] {
        let floorSet = Set(floors)
        let floorCommits = floors.compactMap(\.commitID)
        var included: Set<HistoryPoint> = []
        var visited: Set<HistoryPoint> = []
        var stack = tips
        while let point = stack.popLast() {
            guard visited.insert(point).inserted else { continue }
            if !floorSet.contains(point), let id = point.commitID, try history.precedes(id, anyOf: floorCommits) { continue }
            included.insert(point)
            if !floorSet.contains(point) { stack += try history.parents(of: point) }
        }
        // Parents before children: an iterative post-order walk.
        var ordered: [HistoryPoint] = []
        var done: Set<HistoryPoint> = []
        for tip in tips where included.contains(tip) {
            var walk: [(HistoryPoint, Bool)] = [(tip, false)]
            while let (point, parentsDone) = walk.popLast() {
                if parentsDone {
                    if done.insert(point).inserted { ordered.append(point) }
                    continue
                }
                if done.contains(point) { continue }
                walk.append((point, true))
                if floorSet.contains(point) { continue }
                for parent in try history.parents(of: point).reversed() where included.contains(parent) && !done.contains(parent) {
                    walk.append((parent, false))
                }
            }
        }
        return ordered
    }

    // MARK: The graph

    func graph(root: NodeID, revision: ObjectID?) throws -> LineageGraph {
        var renamed: [NodeID: NodeID] = [:]
        var taken = Set(order)
        for id in order {
            guard let version = latest[id] else { continue }
            let newest = NodeID(table: id.table, columnID: id.columnID, version: version)
            if taken.insert(newest).inserted { renamed[id] = newest }
        }
        func final(_ id: NodeID) -> NodeID { renamed[id] ?? id }
        var links: [LineageGraph.Link] = []
        var seenLinks: Set<LineageGraph.Link> = []
        for var link in self.links {
            link.from = final(link.from)
            link.to = final(link.to)
            if seenLinks.insert(link).inserted { links.append(link) }
        }
        /// Records in history order: first-parent depth, then place in the commit.
        func place(_ id: ObjectID) throws -> (Int, Int) {
            guard let point = history.recordPoints[id] else { return (Int.max, Int.max) }
            let depth = try point.commitID.map { try history.commit($0).depth } ?? Int.max
            return (depth, try history.recordIDs(at: point).firstIndex(of: id) ?? 0)
        }
        var nodes: [LineageGraph.Node] = []
        var incoming: Set<NodeID> = []
        for link in links { incoming.insert(link.to) }
        for original in order {
            guard let state = states[original] else { continue }
            let id = final(original)
            let column = try history.schema(of: id.version).column(id: id.columnID)
            let past = histories[original]
            let isSource = options.direction == .upstream && !state.truncated && !incoming.contains(id)
            nodes.append(LineageGraph.Node(
                id: id, column: column?.name ?? "#\(id.columnID)",
                classification: column.flatMap { history.governance(table: id.table, column: $0).classification },
                distance: state.distance, imported: past?.imported ?? false,
                steps: try newestFirst(state.laterSteps + (past?.steps ?? []), place), truncated: state.truncated, isSource: isSource))
        }
        nodes.sort { a, b in
            (a.distance, a.id.table.lowercased(), a.column.lowercased(), a.id.version.hex)
                < (b.distance, b.id.table.lowercased(), b.column.lowercased(), b.id.version.hex)
        }
        let rank = Dictionary(uniqueKeysWithValues: nodes.enumerated().map { ($1.id, $0) })
        let sortedLinks = links.enumerated().sorted { x, y in
            let a = x.element, b = y.element
            return (rank[a.to] ?? 0, rank[a.from] ?? 0, x.offset) < (rank[b.to] ?? 0, rank[b.from] ?? 0, y.offset)
        }.map(\.element)
        var stepIDs: [ObjectID] = []
        var seen: Set<ObjectID> = []
        for id in nodes.flatMap(\.steps) + sortedLinks.map(\.transformation) where seen.insert(id).inserted { stepIDs.append(id) }
        var steps: [LineageGraph.Step] = []
        for id in try newestFirst(stepIDs, place).reversed() {
            guard let point = history.recordPoints[id] else { continue }
            steps.append(LineageGraph.Step(id: id, commit: point.commitID, time: try history.time(of: point),
                                           record: try history.record(id, at: point)))
        }
        return LineageGraph(direction: options.direction, revision: revision, root: root, depth: options.depth,
                            traceIndirect: options.traceIndirect, nodes: nodes, links: sortedLinks, steps: steps)
    }

    /// Each record once, newest first.
    private func newestFirst(_ ids: [ObjectID], _ place: (ObjectID) throws -> (Int, Int)) throws -> [ObjectID] {
        var seen: Set<ObjectID> = []
        let unique = ids.filter { seen.insert($0).inserted }
        let keyed = try unique.map { (id: $0, place: try place($0)) }
        return keyed.sorted { a, b in (a.place.0, a.place.1, a.id.hex) > (b.place.0, b.place.1, b.id.hex) }.map(\.id)
    }
}
