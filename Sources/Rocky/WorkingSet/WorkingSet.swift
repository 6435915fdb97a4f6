import Glibc
import RockyBase
import RockyStore

extension ObjectKind {
    /// A branch's uncommitted state: canonical JSON
    /// `{"base":"<commit>","transforms":[...],"tree":"<tree>","version":1}`;
    /// with a merge in progress, version 2 with `"merge":"<merge state id>"`.
    public static let workset = ObjectKind("workset")
}

/// A branch's working set: the tables that `import`, `sql` and `run` change
/// and `commit` records, the commit it started from, and the transformation
/// records made since. A branch without one is clean (its tables are those
/// of its head). Project files are not here: they live on disk.
public struct WorkingSet: Equatable, Sendable {
    public var base: ObjectID
    public var tables: [String: ObjectID]
    public var transforms: [ObjectID]
    /// A three-way operation stopped on conflicts (`merge --keep-conflicts`):
    /// the tables are its result so far.
    public var merge: MergeInProgress?

    public init(base: ObjectID, tables: [String: ObjectID], transforms: [ObjectID] = [], merge: MergeInProgress? = nil) {
        self.base = base
        self.tables = tables
        self.transforms = transforms
        self.merge = merge
    }
}

/// Where a command works: a branch, or a detached HEAD.
public struct WorkTarget: Equatable, Sendable {
    /// nil when HEAD is detached.
    public var branch: String?
    /// The commit the target is at.
    public var head: ObjectID

    var ref: RefName? { branch.map { try! RefName.branch($0) } }

    /// `refs/worksets/<branch>`, or `refs/worksets/HEAD` when detached
    /// (no branch can be named HEAD).
    var worksetRef: RefName { try! RefName(validating: "refs/worksets/" + (branch ?? "HEAD")) }
}

extension Repository {
    /// The checked-out branch (or detached HEAD) and its commit.
    public func currentTarget() throws -> WorkTarget {
        let context = try gate(.currentTarget); defer { context.end() }
        switch try refs.head() {
        case let .detached(id): return WorkTarget(branch: nil, head: id)
        case let .branch(ref):
            guard let id = try refs.read(ref) else { throw StoreError.refNotFound(ref.path) }
            return WorkTarget(branch: ref.branchName, head: id)
        }
    }

    /// A branch as a target.
    public func target(branch: String) throws -> WorkTarget {
        let context = try gate(.target); defer { context.end() }
        guard let id = try refs.read(try RefName.branch(branch)) else { throw RepositoryError.noSuchBranch(branch, nearest: nearestBranch(to: branch)) }
        return WorkTarget(branch: branch, head: id)
    }

    /// The working set of a target, and the value of its ref (for the
    /// compare-and-swap that saves it). A clean target gets one made from its head.
    public func workingSet(_ target: WorkTarget) throws -> (set: WorkingSet, ref: ObjectID?) {
        let context = try gate(.workingSet); defer { context.end() }
        if let branch = target.branch { try context.authorize(.read, branch: branch) } else { try context.authorizeCommit(target.head) }
        return try loadWorkingSet(target, settling: 200)
    }

    /// `workingSet` without the gate. A commit moves the branch and then
    /// removes the working set, under both refs' locks: a reader between the
    /// two renames sees the new head with the old working set. So a working
    /// set that does not fit its head is looked at again, for up to
    /// `settling` milliseconds, until its ref changes; only one that stays
    /// is a divergence.
    private func loadWorkingSet(_ target: WorkTarget, settling: Int) throws -> (set: WorkingSet, ref: ObjectID?) {
        let headTables = try objects.readTree(try objects.readCommit(target.head).tree).tables
        guard let id = try refs.read(target.worksetRef) else {
            return (WorkingSet(base: target.head, tables: headTables), nil)
        }
        let set = try readWorkingSet(id)
        if set.base == target.head { return (set, id) }
        // A commit that moved the branch but was interrupted before it removed
        // the working set leaves one whose content is the new head's.
        let head = try objects.readCommit(target.head)
        if head.firstParent == set.base && headTables == set.tables && head.transforms == set.transforms {
            return (WorkingSet(base: target.head, tables: headTables), id)
        }
        // The branch moved after `target` was read (another process committed,
        // and a third saved a working set on the new head): a race this
        // command lost, not a divergence; reading again finds them consistent.
        if let ref = target.ref, try refs.read(ref) != target.head { throw RepositoryError.lostRace(target) }
        for waited in 0..<settling {
            usleep(1000)
            if try refs.read(target.worksetRef) != id { return try loadWorkingSet(target, settling: settling - waited - 1) }
        }
        throw RepositoryError.workingSetDiverged(branch: target.branch ?? "HEAD", base: set.base, head: target.head)
    }

    func readWorkingSet(_ id: ObjectID) throws -> WorkingSet {
        let payload = try objects.read(id, as: .workset)
        guard let json = try? JSON(parsing: String(decoding: payload, as: UTF8.self)),
              let base = json["base"]?.stringValue.flatMap({ ObjectID(hex: $0) }),
              let treeID = json["tree"]?.stringValue.flatMap({ ObjectID(hex: $0) }),
              let transforms = json["transforms"]?.arrayValue?.compactMap({ $0.stringValue.flatMap { ObjectID(hex: $0) } }),
              let version = json["version"]?.intValue, version == 1 || version == 2
        else { throw StoreError.corruptObject(id, reason: "working set does not decode") }
        var merge: MergeInProgress?
        if version == 2 {
            guard let mergeID = json["merge"]?.stringValue.flatMap({ ObjectID(hex: $0) }) else {
                throw StoreError.corruptObject(id, reason: "working set does not decode")
            }
            let payload = try objects.read(mergeID, as: .mergeState)
            guard let state = try? JSON(parsing: String(decoding: payload, as: UTF8.self)) else {
                throw StoreError.corruptObject(mergeID, reason: "merge state does not decode")
            }
            merge = try MergeInProgress(json: state, id: mergeID)
        }
        return WorkingSet(base: base, tables: try objects.readTree(treeID).tables, transforms: transforms, merge: merge)
    }

    /// Writes a working set's object; nil for a clean one (same tables as
    /// its base, no transformations, no merge in progress), which has no object.
    func writeWorkingSetObject(_ set: WorkingSet) throws -> ObjectID? {
        let headTables = try objects.readTree(try objects.readCommit(set.base).tree).tables
        guard set.tables != headTables || !set.transforms.isEmpty || set.merge != nil else { return nil }
        let tree = try objects.write(Tree(tables: set.tables))
        let merge = try set.merge.map { try objects.write(.mergeState, Array($0.json.canonicalText.utf8)) }
        let json: JSON = .object([
            "base": .string(set.base.hex),
            "merge": merge.map { .string($0.hex) },
            "transforms": .array(set.transforms.map { .string($0.hex) }),
            "tree": .string(tree.hex),
            "version": .int(merge == nil ? 1 : 2),
        ])
        return try objects.write(.workset, Array(json.canonicalText.utf8))
    }

    /// Saves a working set by compare-and-swap; a clean one (same tables as
    /// its base, no transformations) removes the ref instead. The branch is
    /// checked to be still at the set's base in the same step (under both
    /// locks): a working set saved onto a branch another process just moved
    /// would no longer match it, and every later command would refuse it.
    func saveWorkingSet(_ set: WorkingSet, for target: WorkTarget, expected: ObjectID?, message: String) throws {
        let newID = try writeWorkingSetObject(set)
        if newID == expected { return }
        var changes = [RefChange(target.worksetRef, from: expected, to: newID)]
        if let ref = target.ref { changes.insert(.check(ref, is: set.base), at: 0) }
        do {
            try refs.update(changes, note: settings.note(message))
        } catch StoreError.refMoved {
            throw RepositoryError.lostRace(target)
        }
    }

    /// Loads the current working set, lets `body` change it, and saves it by
    /// compare-and-swap. Objects `body` writes are made durable in one batch
    /// before the working set points at them.
    @discardableResult
    func updateWorkingSet<R>(_ target: WorkTarget? = nil, message: String, _ body: (inout WorkingSet) throws -> R) throws -> R {
        try updateWorkingSet(target, message: message, commit: nil, body).result
    }

    /// As `updateWorkingSet`; with `commitMessage`, the changed set is not
    /// saved but committed at once (the branch and the working set move
    /// together, see `commitWorkingSet`), so a command that loses a race to
    /// another process leaves the working set exactly as it found it.
    /// `entry` makes the command's audit entry from `body`'s result: it is
    /// appended once the set is saved, or, when committing, just before the
    /// commit's entry in the same step as the branch move.
    func updateWorkingSet<R>(_ target: WorkTarget? = nil, message: String, commit commitMessage: String?,
                             entry: ((R) throws -> AuditEntry)? = nil,
                             _ body: (inout WorkingSet) throws -> R) throws -> (result: R, commit: PreparedCommit?) {
        let target = try target ?? currentTarget()
        let (loaded, ref) = try workingSet(target)
        var set = loaded
        let result = try objects.batch { try body(&set) }
        let own = try entry.map { try $0(result) }
        guard let commitMessage else {
            try saveWorkingSet(set, for: target, expected: ref, message: message)
            if let own { try operationContext.record(own) }
            return (result, nil)
        }
        return (result, try commitWorkingSet(set, worksetID: ref, target: target, message: commitMessage,
                                             preceding: own.map { [$0] } ?? []))
    }
}
