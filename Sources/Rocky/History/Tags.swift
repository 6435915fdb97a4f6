import RockyBase
import RockyStore

extension ObjectKind {
    /// An annotated tag: canonical JSON `{"message":...,"name":...,"object":"<commit>",
    /// "tagger":...,"time":...,"type":"commit","version":1}` (Docs/format.md).
    public static let tag = ObjectKind("tag")
}

/// An annotated tag: a name for a commit, with who made it, when and why.
public struct Tag: Sendable {
    public var name: String
    /// The tag object.
    public var id: ObjectID
    /// The commit it names.
    public var commit: ObjectID
    public var tagger: String
    public var time: Timestamp
    public var message: String
}

/// Errors of the history verbs (tag, revert, cherry-pick, reset, stash, branch).
public enum HistoryError: Error, Equatable, Sendable, CustomStringConvertible {
    case tagExists(String)
    case noSuchTag(String)
    /// `branch -d` of a branch whose head HEAD does not contain.
    case branchNotMerged(String, into: String)
    case nothingToStash
    case noStash
    /// A revert or cherry-pick that would change nothing.
    case noChange(String)

    public var description: String {
        switch self {
        case let .tagExists(name): "a tag named '\(name)' already exists: tags are immutable (an admin may delete it with tag -d)"
        case let .noSuchTag(name): "no tag named '\(name)'"
        case let .branchNotMerged(name, into):
            "the branch '\(name)' is not merged into \(into): deleting it would leave its commits on no branch (use -D to delete it anyway)"
        case .nothingToStash: "nothing to stash: the working set and the project files are as in HEAD"
        case .noStash: "no stash entries"
        case let .noChange(what): "\(what) changes nothing on the current branch: nothing to commit"
        }
    }
}

extension Repository {
    static let tagsPrefix = "refs/tags/"

    /// `refs/tags/<name>`, validated as branch names are.
    static func tagRef(_ name: String) throws -> RefName {
        _ = try RefName.branch(name)
        return try RefName(validating: tagsPrefix + name)
    }

    /// The commit a tag object names; any other object is itself.
    func peelTag(_ id: ObjectID) throws -> ObjectID {
        guard try objects.header(id).kind == .tag else { return id }
        return try Repository.decodeTag(try objects.read(id, as: .tag), id: id).commit
    }

    static func decodeTag(_ payload: [UInt8], id: ObjectID) throws -> Tag {
        guard let json = try? JSON(parsing: String(decoding: payload, as: UTF8.self)) else {
            throw StoreError.corruptObject(id, reason: "tag does not decode")
        }
        guard json["version"]?.intValue == 1, json["type"]?.stringValue == "commit",
              let name = json["name"]?.stringValue, let commit = json["object"]?.stringValue.flatMap({ ObjectID(hex: $0) }),
              let tagger = json["tagger"]?.stringValue, let time = json["time"]?.stringValue.flatMap({ Timestamp(parsing: $0) }),
              let message = json["message"]?.stringValue
        else { throw StoreError.corruptObject(id, reason: "tag field missing or malformed") }
        return Tag(name: name, id: id, commit: commit, tagger: tagger, time: time, message: message)
    }

    /// Tags a commit (default HEAD) with an annotated, immutable tag at
    /// `refs/tags/<name>`. Needs `create` on `tags/<name>` (branch patterns
    /// match tag names with that prefix) and read on the commit; refused
    /// when the tag exists.
    @discardableResult
    public func tag(_ name: String, at revision: String = "HEAD", message: String) throws -> Tag {
        let context = try gate(.tag); defer { context.end() }
        let ref = try Repository.tagRef(name)
        try context.authorize(.create, branch: "tags/" + name)
        let commit = try context.authorizeRevision(revision)
        _ = try objects.readCommit(commit)
        if try refs.read(ref) != nil { throw HistoryError.tagExists(name) }
        let payload: JSON = .object([
            "message": .string(message), "name": .string(name), "object": .string(commit.hex),
            "tagger": .string(settings.actor), "time": .string(settings.now.description), "type": .string("commit"), "version": .int(1),
        ])
        let id = try objects.write(.tag, Array(payload.canonicalText.utf8))
        do {
            try refs.update(ref, from: nil, to: id, note: settings.note("tag: \(name) at \(commit.short())"))
        } catch StoreError.refMoved {
            throw HistoryError.tagExists(name)
        }
        try context.record(AuditEntry(operation: "tag", branch: nil, newID: commit, details: .object([
            "tag": .string(name), "object": .string(id.hex), "message": .string(message),
        ])))
        return Tag(name: name, id: id, commit: commit, tagger: settings.actor, time: settings.now, message: message)
    }

    /// The tags, by name, whose commits the actor may read.
    public func tags() throws -> [Tag] {
        let context = try gate(.tags); defer { context.end() }
        var result: [Tag] = []
        for (ref, id) in try refs.list(prefix: Repository.tagsPrefix) {
            var tag = try Repository.decodeTag(try objects.read(id, as: .tag), id: id)
            tag.name = String(ref.path.dropFirst(Repository.tagsPrefix.count))
            do { try context.authorizeCommit(tag.commit) } catch RepositoryError.commitNotReadable { continue }
            result.append(tag)
        }
        return result.sorted { $0.name < $1.name }
    }

    /// Deletes a tag (tags are immutable: only `admin` may), audited.
    @discardableResult
    public func deleteTag(_ name: String) throws -> Tag {
        let context = try gate(.deleteTag); defer { context.end() }
        let ref = try Repository.tagRef(name)
        try context.authorize(.admin, branch: nil)
        guard let id = try refs.read(ref) else { throw HistoryError.noSuchTag(name) }
        var tag = try Repository.decodeTag(try objects.read(id, as: .tag), id: id)
        tag.name = name
        try refs.update(ref, from: id, to: nil, note: settings.note("tag: deleted \(name)"))
        try context.record(AuditEntry(operation: "tag-delete", branch: nil, oldID: tag.commit, details: .object([
            "tag": .string(name), "object": .string(id.hex),
        ])))
        return tag
    }
}
