import RockyBase
import RockySQL
import RockyStore

/// Which way `lineage` walks from a column: to what it is computed from, or
/// to what is computed from it.
public enum LineageDirection: String, Sendable {
    case upstream, downstream
}

/// What `Repository.lineage(of:column:at:options:)` traces.
public struct LineageOptions: Sendable {
    public var direction: LineageDirection
    /// The most hops (transformations) from the requested column; nil: no limit.
    public var depth: Int?
    /// Also trace past columns reached only through indirect edges (join,
    /// filter, group by, sort, window, conditional). By default those columns
    /// are shown as the leaves of the edges that reach them, not traced further.
    public var traceIndirect: Bool

    public init(direction: LineageDirection = .upstream, depth: Int? = nil, traceIndirect: Bool = false) {
        self.direction = direction
        self.depth = depth
        self.traceIndirect = traceIndirect
    }
}

/// The column lineage around one column, across commits and transformations
/// (Docs/lineage.md).
///
/// A node is one column of one table version. A version written by a chain
/// of statements that change a table in place (INSERT, UPDATE, DELETE, ALTER
/// TABLE) is one node whose `steps` are those statements: the column keeps
/// its identity until a statement creates the table anew (CREATE TABLE [AS],
/// a model run) or it is imported. Links point the way data flows, from an
/// input column to the column it feeds, whichever direction was traced.
public struct LineageGraph: Sendable {
    /// A column of a table version. Columns are told apart by their stable
    /// id, so a renamed column is the same node.
    public struct NodeID: Hashable, Sendable {
        public var table: String
        public var columnID: Int
        public var version: ObjectID

        public init(table: String, columnID: Int, version: ObjectID) {
            self.table = table
            self.columnID = columnID
            self.version = version
        }
    }

    public struct Node: Sendable {
        public var id: NodeID
        /// The column's name in that version.
        public var column: String
        /// The column's classification: the version's schema, with rocky.toml
        /// declarations laid over it as the SQL catalog does.
        public var classification: Classification?
        /// Hops from the requested column.
        public var distance: Int
        /// No transformation record wrote the oldest version of this node: it
        /// was imported (or written outside SQL).
        public var imported: Bool
        /// The transformation records that wrote this column of this version
        /// (newest first).
        public var steps: [ObjectID]
        /// The node has inputs (upstream) or readers (downstream) that the
        /// graph does not show, because of `depth` or because it was reached
        /// only through indirect edges.
        public var truncated: Bool
        /// Upstream: nothing feeds the node (it is not truncated and has no inputs).
        public var isSource: Bool
    }

    /// One typed edge: `from` contributes to `to` through `transformation`.
    public struct Link: Hashable, Sendable {
        public var from: NodeID
        public var to: NodeID
        public var transform: LineageTransform
        /// A masking function produced the value.
        public var masked: Bool
        /// The masking strategy applied where the input was read (`deny` included).
        public var strategy: String?
        /// A dataset-level input (join, filter, group by, sort of the whole
        /// statement) rather than one of the column's own inputs.
        public var datasetLevel: Bool
        /// Named intermediate columns (CTEs, subqueries), outermost first.
        public var via: [String]
        /// The transformation record the edge comes from.
        public var transformation: ObjectID
    }

    /// A transformation record the graph refers to, and where it was recorded.
    public struct Step: Sendable {
        public var id: ObjectID
        /// The commit that recorded it; nil when it is in the working set.
        public var commit: ObjectID?
        public var time: Timestamp
        public var record: Transformation
    }

    public var direction: LineageDirection
    /// The commit traced from; nil for the working set.
    public var revision: ObjectID?
    public var root: NodeID
    public var depth: Int?
    public var traceIndirect: Bool
    /// Ordered by distance, then table, column and version.
    public var nodes: [Node]
    public var links: [Link]
    /// Every record named by a node's steps or a link, oldest first.
    public var steps: [Step]

    public func node(_ id: NodeID) -> Node? { nodes.first { $0.id == id } }
}

/// `rocky lineage` named a column its table does not have.
public struct NoSuchColumn: Error, Sendable, CustomStringConvertible {
    public var table: String
    public var column: String
    public var available: [String]
    public var description: String {
        "table '\(table)' has no column '\(column)' (columns: \(available.joined(separator: ", ")))"
            + Suggestion.didYouMean(column, among: available)
    }
}

extension Repository {
    /// The lineage of `table.column` as it is at `revision` (nil: the working
    /// set of the checked-out branch, uncommitted transformations included).
    ///
    /// Upstream, it walks history backwards from that point, reading commits
    /// only until the records that wrote each table version are found.
    /// Downstream, it reads the records of every commit reachable from the
    /// working set (and from `revision`) since the column's table version
    /// came to be, and follows those that read it.
    public func lineage(of table: String, column: String, at revision: String? = nil,
                        options: LineageOptions = LineageOptions()) throws -> LineageGraph {
        let context = try gate(.lineage); defer { context.end() }
        let target = try currentTarget()
        try context.authorizeRevisionOrWorkingSet(revision)
        // With a revision, the working set only widens a downstream search:
        // a working set that cannot be read must not stop an upstream one.
        let set: WorkingSet
        if revision == nil {
            set = try workingSet(target).set
        } else if let readable = try? workingSet(target).set {
            set = readable
        } else {
            set = WorkingSet(base: target.head, tables: try objects.readTree(try objects.readCommit(target.head).tree).tables)
        }
        let history = LineageHistory(repository: self, workingSet: set, declarations: try workingConfig().columns)
        let start: HistoryPoint = try revision.map { .commit(try resolve($0)) } ?? .workingSet
        let tables = try history.tables(at: start)
        guard let (name, version) = tables.entry(named: table) else {
            throw RepositoryError.noSuchTable(table, available: tables.keys.sorted())
        }
        let schema = try history.schema(of: version)
        guard let found = schema.column(named: column) else {
            throw NoSuchColumn(table: name, column: column, available: schema.columns.map(\.name))
        }
        var tracer = LineageTracer(history: history, options: options)
        let root = LineageGraph.NodeID(table: name, columnID: found.id, version: version)
        let position = HistoryPosition(point: start, before: nil)
        switch options.direction {
        case .upstream: try tracer.traceUpstream(from: root, at: position)
        case .downstream: try tracer.traceDownstream(from: root, at: position)
        }
        return try tracer.graph(root: root, revision: start.commitID)
    }
}

extension Dictionary where Key == String {
    /// The entry whose key is `name`, or else equals it ignoring case (SQL
    /// names match case-insensitively).
    func entry(named name: String) -> (key: String, value: Value)? {
        if let value = self[name] { return (name, value) }
        let lowered = name.lowercased()
        return first { $0.key.lowercased() == lowered }.map { ($0.key, $0.value) }
    }
}
