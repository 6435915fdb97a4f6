import RockyBase
import RockyStore
import RockyTable

extension ObjectKind {
    /// A stashed working set: canonical JSON `{"actor":...,"base":"<commit>",
    /// "branch":...,"message":...,"previous":"<stash>"|null,"time":...,
    /// "transforms":[...],"tree":"<tree>","version":1}`; the tree holds the
    /// working set's tables and the project files as they were on disk.
    public static let stash = ObjectKind("stash")
}

/// One saved working set, as `stash list` shows it (index 0 is the newest).
public struct StashEntry: Sendable {
    public var index: Int
    public var id: ObjectID
    public var branch: String?
    public var base: ObjectID
    public var message: String
    public var actor: String
    public var time: Timestamp
    public var transforms: [ObjectID]
    var tree: ObjectID
    var previous: ObjectID?
}

extension Repository {
    static let stashRef = try! RefName(validating: "refs/stash")

    private func readStash(_ id: ObjectID, index: Int) throws -> StashEntry {
        let payload = try objects.read(id, as: .stash)
        func fail() -> StoreError { .corruptObject(id, reason: "stash does not decode") }
        guard let json = try? JSON(parsing: String(decoding: payload, as: UTF8.self)), json["version"]?.intValue == 1,
              let base = json["base"]?.stringValue.flatMap({ ObjectID(hex: $0) }),
              let tree = json["tree"]?.stringValue.flatMap({ ObjectID(hex: $0) }),
              let message = json["message"]?.stringValue, let actor = json["actor"]?.stringValue,
              let time = json["time"]?.stringValue.flatMap({ Timestamp(parsing: $0) }),
              let transforms = json["transforms"]?.arrayValue?.compactMap({ $0.stringValue.flatMap { ObjectID(hex: $0) } })
        else { throw fail() }
        let previous = json["previous"]?.stringValue.flatMap { ObjectID(hex: $0) }
        return StashEntry(index: index, id: id, branch: json["branch"]?.stringValue, base: base, message: message, actor: actor,
                          time: time, transforms: transforms, tree: tree, previous: previous)
    }

    /// Saves the working set (tables, pending transformations) and the
    /// project files on disk under `refs/stash`, and makes the checked-out
    /// branch clean. Needs `write` on it.
    @discardableResult
    public func stash(message: String? = nil) throws -> StashEntry {
        let context = try gate(.stash); defer { context.end() }
        try context.authorizeRevisionOrWorkingSet(nil, for: .write)
        let target = try currentTarget()
        let (set, worksetID) = try workingSet(target)
        let status = try self.status()
        if status.isClean { throw HistoryError.nothingToStash }
        let headTree = try objects.readTree(try objects.readCommit(set.base).tree)
        let previous = try refs.read(Repository.stashRef)
        let subject = try objects.readCommit(set.base).message.split(separator: "\n").first.map(String.init) ?? ""
        let text = message ?? "WIP on \(target.branch ?? "detached HEAD"): \(set.base.short()) \(subject)"
        let diskFiles = try projectFileIDs(write: true)
        let id = try objects.batch { () -> ObjectID in
            let tree = try objects.write(Tree(tables: set.tables, files: diskFiles))
            let json: JSON = .object([
                "actor": .string(settings.actor), "base": .string(set.base.hex), "branch": target.branch.map(JSON.string) ?? .null,
                "message": .string(text), "previous": previous.map { .string($0.hex) } ?? .null, "time": .string(settings.now.description),
                "transforms": .array(set.transforms.map { .string($0.hex) }), "tree": .string(tree.hex), "version": .int(1),
            ])
            return try objects.write(.stash, Array(json.canonicalText.utf8))
        }
        var changes = [RefChange(Repository.stashRef, from: previous, to: id), RefChange(target.worksetRef, from: worksetID, to: nil)]
        if let ref = target.ref { changes.insert(.check(ref, is: set.base), at: 0) }
        do {
            try refs.update(changes, note: settings.note("stash: " + text))
        } catch StoreError.refMoved {
            throw RepositoryError.lostRace(target)
        }
        try context.record(AuditEntry(operation: "stash", branch: target.branch, details: .object([
            "stash": .string(id.hex), "message": .string(text), "transforms": .int(set.transforms.count),
        ])))
        try writeProjectFiles(from: diskFiles.merging(headTree.files) { a, _ in a }, to: headTree.files)
        return try readStash(id, index: 0)
    }

    /// The stash, newest first. Each entry needs read on the commit it was made on.
    public func stashList() throws -> [StashEntry] {
        let context = try gate(.stashList); defer { context.end() }
        var result: [StashEntry] = []
        var next = try refs.read(Repository.stashRef)
        while let id = next {
            let entry = try readStash(id, index: result.count)
            try context.authorizeCommit(entry.base)
            result.append(entry)
            next = entry.previous
        }
        return result
    }

    /// Restores the newest stash entry into the checked-out branch's working
    /// set and project files, and drops it. Refused with uncommitted changes;
    /// when the branch moved since the entry was made, the entry's changes
    /// merge onto HEAD three-way (base = the entry's commit) and conflicts
    /// refuse the pop (`MergeConflicts`, exit 3), changing nothing.
    @discardableResult
    public func stashPop() throws -> StashEntry {
        let context = try gate(.stashPop); defer { context.end() }
        try context.authorizeRevisionOrWorkingSet(nil, for: .write)
        guard let top = try refs.read(Repository.stashRef) else { throw HistoryError.noStash }
        let entry = try readStash(top, index: 0)
        try context.authorizeCommit(entry.base)
        let target = try currentTarget()
        let status = try self.status()
        if !status.isClean {
            throw RepositoryError.uncommittedChanges(status.changeSummary, fix: "Commit or stash them first, then pop")
        }
        let worksetID = try refs.read(target.worksetRef)
        let headTree = try objects.readTree(try objects.readCommit(target.head).tree)
        let saved = try objects.readTree(entry.tree)
        var tables = saved.tables, files = saved.files
        let newWorkset = try objects.batch { () -> ObjectID? in
            if target.head != entry.base {
                let base = try objects.readTree(try objects.readCommit(entry.base).tree)
                let merged = try TableMerger(store: objects, temporaryDirectory: temporaryDirectory())
                    .merge(base: base.tables, ours: headTree.tables, theirs: saved.tables, strategy: nil)
                let mergedFiles = try TextMerge.mergeFiles(store: objects, base: base.files, ours: headTree.files, theirs: saved.files)
                if !merged.isClean || !mergedFiles.conflicts.isEmpty {
                    throw MergeConflicts(source: "stash@{0}", target: target.branch ?? "HEAD",
                                         tables: try maskedConflicts(merged.conflicts.filter { !$0.isResolved },
                                                                     tables: [base.tables, headTree.tables, saved.tables]),
                                         files: mergedFiles.conflicts)
                }
                (tables, files) = (merged.tables, mergedFiles.files)
            }
            return try writeWorkingSetObject(WorkingSet(base: target.head, tables: tables, transforms: entry.transforms))
        }
        var changes = [RefChange(Repository.stashRef, from: top, to: entry.previous),
                       RefChange(target.worksetRef, from: worksetID, to: newWorkset)]
        if let ref = target.ref { changes.insert(.check(ref, is: target.head), at: 0) }
        do {
            try refs.update(changes, note: settings.note("stash pop: " + entry.message))
        } catch StoreError.refMoved {
            throw RepositoryError.lostRace(target)
        }
        try context.record(AuditEntry(operation: "stash-pop", branch: target.branch, details: .object([
            "stash": .string(top.hex), "message": .string(entry.message),
        ])))
        try writeProjectFiles(from: headTree.files, to: files)
        return entry
    }
}
