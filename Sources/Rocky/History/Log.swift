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
    public func log(from revision: String = "HEAD", table: String? = nil, firstParent: Bool = false) throws -> AnySequence<CommitInfo> {
        try authorize(.read, branch: (try? RefName.branch(revision)).flatMap { try? refs.read($0) } != nil ? revision : try currentBranch())
        var walk = try CommitWalk(store: objects, from: [try resolve(revision)], firstParentOnly: firstParent)
        let objects = self.objects
        return AnySequence(AnyIterator {
            while let (id, commit) = walk.next() {
                guard let table else { return CommitInfo(id: id, commit: commit) }
                let mine = try? objects.readTree(commit.tree).tables[table]
                let parents = commit.parents.isEmpty ? [nil] : commit.parents.map { p in
                    (try? objects.readCommit(p)).flatMap { try? objects.readTree($0.tree).tables[table] }
                }
                if parents.contains(where: { $0 != mine }) { return CommitInfo(id: id, commit: commit) }
            }
            return nil
        })
    }

    public func show(_ revision: String) throws -> CommitDetail {
        let (id, commit) = try self.commit(revision)
        let tree = try objects.readTree(commit.tree)
        let parentTree = try commit.firstParent.map { try objects.readTree(try objects.readCommit($0).tree) } ?? Tree.empty
        return CommitDetail(info: CommitInfo(id: id, commit: commit),
                            tables: try tableChanges(from: parentTree.tables, to: tree.tables),
                            files: fileChanges(from: parentTree.files, to: tree.files),
                            transformations: try maskedStatements(try commit.transforms.map { ($0, try objects.readTransformation($0)) }))
    }
}

extension Repository {
    /// The commits reachable from `tip` but not from `base` (all of them when
    /// `base` is nil), newest first: what a branch did since it forked.
    public func commitsSince(_ base: ObjectID?, upTo tip: ObjectID) throws -> [(id: ObjectID, commit: Commit)] {
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
