import RockyBase
import RockyStore

/// The cost of a commit, or of a branch since it forked from the default branch.
public struct CostReport: Sendable {
    public struct Line: Sendable {
        public var name: String
        public var transformations = 0
        public var seconds = 0.0
        public var rowsRead = 0
        public var rowsWritten = 0
        public var bytesScanned = 0
        public var bytesWritten = 0
        public var cost = ExactDecimal(units: 0, scale: 6)
        /// What server engines report (Transformation.Remote): time waiting
        /// on the server, row data uploaded and downloaded; 0 on SQLite.
        public var serverSeconds = 0.0
        public var bytesUploaded = 0
        public var bytesDownloaded = 0
    }

    /// What was summed: a commit, or a branch and its fork point.
    public var scope: String
    public var commits: Int
    public var total: Line
    /// Per model (statements that are not models group as "(sql)").
    public var byModel: [Line]
    public var currency: String
}

extension Repository {
    /// Sums the transformation records of `revision`: a branch name sums
    /// every commit since the branch forked from main (main sums its whole
    /// history), plus uncommitted transformations of the checked-out branch;
    /// any other revision sums that one commit.
    public func cost(_ revision: String? = nil) throws -> CostReport {
        let context = try gate(.cost); defer { context.end() }
        let name = try revision ?? currentBranch() ?? "HEAD"
        let isRange = name.contains("..") && !name.contains("...")
        if !isRange { try context.authorizeRevision(name) }
        var records: [Transformation] = []
        var commits = 0
        let scope: String
        if isRange, let range = name.range(of: "..") {
            // A..B: the commits reachable from B but not from A (an empty side is HEAD).
            let a = String(name[..<range.lowerBound]), b = String(name[range.upperBound...])
            let from = try context.authorizeRevision(a.isEmpty ? "HEAD" : a), to = try context.authorizeRevision(b.isEmpty ? "HEAD" : b)
            for (_, commit) in try commitsSince(from, upTo: to) {
                commits += 1
                records += try commit.transforms.map { try objects.readTransformation($0) }
            }
            scope = "commits \(name)"
        } else if let ref = try? RefName.branch(name), let head = try refs.read(ref) {
            var base: ObjectID?
            if name != Repository.defaultBranch, let main = try refs.read(try RefName.branch(Repository.defaultBranch)) {
                base = try objects.mergeBases(head, main).first
            }
            for (_, commit) in try commitsSince(base, upTo: head) {
                commits += 1
                records += try commit.transforms.map { try objects.readTransformation($0) }
            }
            if name == (try currentBranch()) {
                records += try workingSet(try currentTarget()).set.transforms.map { try objects.readTransformation($0) }
            }
            scope = base.map { "branch \(name) since \($0.short())" } ?? "branch \(name)"
        } else {
            let (id, commit) = try self.commit(name)
            commits = 1
            records = try commit.transforms.map { try objects.readTransformation($0) }
            scope = "commit \(id.short())"
        }
        var total = CostReport.Line(name: "total")
        var lines: [String: CostReport.Line] = [:]
        func add(_ t: Transformation, to line: inout CostReport.Line) {
            line.transformations += 1
            line.seconds += Double(t.durationMicroseconds) / 1e6
            line.rowsRead += t.rowsRead
            line.rowsWritten += t.rowsWritten
            line.bytesScanned += t.bytesScanned
            line.bytesWritten += t.bytesWritten
            line.cost = ExactDecimal.adding(line.cost, t.cost) ?? line.cost
            if let remote = t.remote {
                line.serverSeconds += Double(remote.serverMicroseconds) / 1e6
                line.bytesUploaded += remote.bytesUploaded
                line.bytesDownloaded += remote.bytesDownloaded
            }
        }
        for t in records {
            add(t, to: &total)
            let key = t.model ?? "(sql)"
            add(t, to: &lines[key, default: CostReport.Line(name: key)])
        }
        return CostReport(scope: scope, commits: commits, total: total,
                          byModel: lines.values.sorted { $0.name < $1.name },
                          currency: records.first?.currency ?? "USD")
    }
}
