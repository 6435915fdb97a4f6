import RockyBase
import RockyStore

/// One commit as `log` and `show` present it.
public struct CommitInfo: Sendable {
    public var id: ObjectID
    public var commit: Commit
}

/// What `rocky show` presents: the commit, and what it changed against its
/// first parent.
public struct CommitDetail: Sendable {
    public var info: CommitInfo
    public var tables: [TableChange]
    public var files: [FileChange]
    /// The transformations the commit recorded, in order.
    public var transformations: [(id: ObjectID, record: Transformation)]
}

extension Repository {
    /// Commits reachable from `revision`, newest first, read lazily: the
    /// first `n` cost `n` reads. With `table`, only commits whose first-parent
    /// diff changed that table (its history); `firstParent` follows first parents only.
    /// A commit, tree or parent that cannot be read is thrown by `next()`,
    /// naming the object: a broken history is never shown as a shorter one.
    /// `excluding` (the `A` of `log A..B`): commits reachable from it are left out.
    public func log(from revision: String = "HEAD", excluding: String? = nil, table: String? = nil,
                    firstParent: Bool = false) throws -> CommitLog {
        let context = try gate(.log); defer { context.end() }
        let tip = try context.authorizeRevision(revision)
        var hidden = Set<ObjectID>()
        if let excluding {
            var walk = try CommitWalk(store: objects, from: [try context.authorizeRevision(excluding)])
            while let (id, _) = try walk.nextCommit() { hidden.insert(id) }
        }
        return CommitLog(walk: try CommitWalk(store: objects, from: [tip], firstParentOnly: firstParent),
                         objects: objects, table: table, hidden: hidden)
    }

    public func show(_ revision: String) throws -> CommitDetail {
        let context = try gate(.show); defer { context.end() }
        try context.authorizeRevision(revision)
        let (id, commit) = try self.commit(revision)
        let tree = try objects.readTree(commit.tree)
        let parentTree = try commit.firstParent.map { try objects.readTree(try objects.readCommit($0).tree) } ?? Tree.empty
        return CommitDetail(info: CommitInfo(id: id, commit: commit),
                            tables: try tableChanges(from: parentTree.tables, to: tree.tables),
                            files: fileChanges(from: parentTree.files, to: tree.files),
                            transformations: try maskedStatements(try commit.transforms.map { ($0, try objects.readTransformation($0)) }))
    }
}

/// The commits `Repository.log` yields, newest first; `next()` throws when
/// an object of the history cannot be read.
public struct CommitLog {
    var walk: CommitWalk
    let objects: any ObjectStore
    let table: String?
    var hidden: Set<ObjectID> = []

    public mutating func next() throws -> CommitInfo? {
        while let (id, commit) = try walk.nextCommit() {
            if hidden.contains(id) { continue }
            guard let table else { return CommitInfo(id: id, commit: commit) }
            let mine = try objects.readTree(commit.tree).tables[table]
            let parents = try commit.parents.isEmpty ? [nil] : commit.parents.map { p in
                try objects.readTree(try objects.readCommit(p).tree).tables[table]
            }
            if parents.contains(where: { $0 != mine }) { return CommitInfo(id: id, commit: commit) }
        }
        return nil
    }
}

extension Repository {
    /// The commits reachable from `tip` but not from `base` (all of them when
    /// `base` is nil), newest first: what a branch did since it forked.
    public func commitsSince(_ base: ObjectID?, upTo tip: ObjectID) throws -> [(id: ObjectID, commit: Commit)] {
        let context = try gate(.commitsSince); defer { context.end() }
        try context.authorizeCommit(tip)
        if let base { try context.authorizeCommit(base) }
        var result: [(ObjectID, Commit)] = []
        var stack = [tip]
        var visited = Set<ObjectID>()
        while let id = stack.popLast() {
            guard visited.insert(id).inserted else { continue }
            if let base, try id == base || objects.isAncestor(id, of: base) { continue }
            let commit = try objects.readCommit(id)
            result.append((id, commit))
            stack.append(contentsOf: commit.parents)
        }
        return result.sorted { $0.1.time != $1.1.time ? $0.1.time > $1.1.time : $0.0 < $1.0 }
    }
}
