import RockyBase
import RockyStore

/// A model's last recorded run: what an editor's code lens shows over the
/// model (Docs/editors.md).
public struct ModelRun: Sendable {
    /// The commit that recorded it; nil for a run in the working set, not committed yet.
    public var commit: ObjectID?
    /// When the commit was made (nil for the working set).
    public var time: Timestamp?
    public var rowsRead: Int
    public var rowsWritten: Int
    public var seconds: Double
    public var cost: ExactDecimal
    public var currency: String
    /// The run reused a stored result instead of executing (`rocky run` with an unchanged input).
    public var reused: Bool
}

extension Repository {
    /// The last run of model `name` on the checked-out branch: its newest
    /// transformation record in the working set, else in the newest commit
    /// that recorded one, following first parents from the branch head (at
    /// most `searching` commits). Nil when none is found.
    public func lastRun(ofModel name: String, searching limit: Int = 1000) throws -> ModelRun? {
        let context = try gate(.lastRun); defer { context.end() }
        let target = try currentTarget()
        if let branch = target.branch { try context.authorize(.read, branch: branch) } else { try context.authorizeCommit(target.head) }
        let key = name.lowercased()
        func run(_ t: Transformation, commit: ObjectID?, time: Timestamp?) -> ModelRun {
            ModelRun(commit: commit, time: time, rowsRead: t.rowsRead, rowsWritten: t.rowsWritten,
                     seconds: Double(t.durationMicroseconds) / 1e6, cost: t.cost, currency: t.currency, reused: t.reused)
        }
        for id in try workingSet(target).set.transforms.reversed() {
            let t = try objects.readTransformation(id)
            if t.model?.lowercased() == key { return run(t, commit: nil, time: nil) }
        }
        var walk = try CommitWalk(store: objects, from: [target.head], firstParentOnly: true)
        var seen = 0
        while seen < limit, let (id, commit) = try walk.nextCommit() {
            seen += 1
            for transform in commit.transforms.reversed() {
                let t = try objects.readTransformation(transform)
                if t.model?.lowercased() == key { return run(t, commit: id, time: commit.time) }
            }
        }
        return nil
    }
}
