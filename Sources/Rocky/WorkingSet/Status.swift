import RockyStore
import RockyTable

/// How a table or project file differs between two states.
public enum ChangeKind: String, Sendable {
    case added, modified, removed
}

public struct TableChange: Equatable, Sendable {
    public var name: String
    public var kind: ChangeKind
    public var rowsBefore: Int?
    public var rowsAfter: Int?
}

public struct FileChange: Equatable, Sendable {
    public var path: String
    public var kind: ChangeKind
}

/// What `rocky status` shows: where HEAD is, and what changed since the last commit.
public struct Status: Sendable {
    public var branch: String?
    public var head: ObjectID
    public var tables: [TableChange]
    public var files: [FileChange]
    public var pendingTransforms: Int
    /// A merge stopped on conflicts and kept in the working set.
    public var merge: MergeStatus?
    public var isClean: Bool { tables.isEmpty && files.isEmpty && pendingTransforms == 0 && merge == nil }

    /// Each uncommitted change in a few words ("table prices", "file
    /// rocky.toml", "2 transformation(s)"), for the errors that refuse to
    /// lose them.
    public var changeSummary: [String] {
        tables.map { "table " + $0.name } + files.map { "file " + $0.path }
            + (pendingTransforms > 0 ? ["\(pendingTransforms) transformation(s)"] : [])
            + (merge.map { ["a \($0.operation) of \($0.source) in progress"] } ?? [])
    }
}

/// The merge in progress a status shows: what is merged and how many conflicts stand.
public struct MergeStatus: Sendable {
    public var operation: String
    public var source: String
    public var otherParent: ObjectID?
    public var conflicts: Int
}

extension Repository {
    public func status() throws -> Status {
        let context = try gate(.status); defer { context.end() }
        try context.authorizeRevisionOrWorkingSet(nil)
        let target = try currentTarget()
        let (set, _) = try workingSet(target)
        let headTree = try objects.readTree(try objects.readCommit(set.base).tree)
        return Status(branch: target.branch, head: target.head,
                      tables: try tableChanges(from: headTree.tables, to: set.tables),
                      files: fileChanges(from: headTree.files, to: try projectFileIDs(write: false)),
                      pendingTransforms: set.transforms.count,
                      merge: set.merge.map { MergeStatus(operation: $0.operation, source: $0.source, otherParent: $0.otherParent,
                                                         conflicts: $0.conflicts.count) })
    }

    func tableChanges(from old: [String: ObjectID], to new: [String: ObjectID]) throws -> [TableChange] {
        var changes: [TableChange] = []
        for name in Set(old.keys).union(new.keys).sorted() {
            let a = old[name], b = new[name]
            guard a != b else { continue }
            let before = try a.map { try objects.tableHeader($0).root?.rows ?? 0 }
            let after = try b.map { try objects.tableHeader($0).root?.rows ?? 0 }
            let kind: ChangeKind = a == nil ? .added : (b == nil ? .removed : .modified)
            changes.append(TableChange(name: name, kind: kind, rowsBefore: before, rowsAfter: after))
        }
        return changes
    }

    func fileChanges(from old: [String: ObjectID], to new: [String: ObjectID]) -> [FileChange] {
        Set(old.keys).union(new.keys).sorted().compactMap { path in
            let a = old[path], b = new[path]
            guard a != b else { return nil }
            return FileChange(path: path, kind: a == nil ? .added : (b == nil ? .removed : .modified))
        }
    }
}
