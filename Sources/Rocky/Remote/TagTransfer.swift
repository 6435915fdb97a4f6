import Foundation
import RockyBase
import RockyStore

/// A tag that a fetch or clone brought, or found differing.
public struct TagUpdate: Equatable, Sendable {
    public var name: String
    /// The tag object.
    public var id: ObjectID
    /// nil: the tag is new here. Otherwise this repository's own tag of that
    /// name, which names another object and was kept (tags are immutable).
    public var kept: ObjectID?
}

/// One tag a push sent (or found there already).
public struct TagPush: Equatable, Sendable {
    public var name: String
    public var id: ObjectID
    /// The commit it names.
    public var commit: ObjectID
    /// The remote had this very tag already: nothing moved.
    public var upToDate: Bool
}

/// What `push --tags` (or `push <remote> <tag>`) did.
public struct PushTagsResult: Sendable {
    public var remote: Remote
    public var tags: [TagPush]
    public var transfer: TransferStats
}

extension Repository {
    /// The tags of this repository: name -> tag object.
    func tagRefs() throws -> [(name: String, id: ObjectID)] {
        try refs.list(prefix: Repository.tagsPrefix).map { (String($0.name.path.dropFirst(Repository.tagsPrefix.count)), $0.id) }
    }

    /// Creates here the tags a fetch or clone received (their objects are
    /// stored already): a new name is created by compare-and-swap from
    /// nothing; a name that exists with another object keeps this
    /// repository's tag (tags are immutable) and is reported with `kept`; an
    /// equal one is left alone. Tags the remote no longer has stay.
    func adoptTags(_ tags: [(name: String, id: ObjectID)], from source: String) throws -> [TagUpdate] {
        var updates: [TagUpdate] = []
        let note = settings.note("fetch: tags from \(source)")
        for tag in tags.sorted(by: { $0.name < $1.name }) {
            let ref = try Repository.tagRef(tag.name)
            let current = try refs.read(ref)
            if current == tag.id { continue }
            if let current {
                updates.append(TagUpdate(name: tag.name, id: tag.id, kept: current))
                continue
            }
            do {
                try refs.update(ref, from: nil, to: tag.id, note: note)
                updates.append(TagUpdate(name: tag.name, id: tag.id, kept: nil))
            } catch let StoreError.refMoved(_, _, actual) {
                // Made here meanwhile: this repository's tag stands.
                if let actual, actual != tag.id { updates.append(TagUpdate(name: tag.name, id: tag.id, kept: actual)) }
            }
        }
        return updates
    }

    /// Pushes tags (nil: every tag here) to a remote, by name. Tags are
    /// immutable there too: a tag the remote has with another object refuses
    /// the whole push (`RemoteError.remoteTagDiffers`, exit 3, naming both
    /// ids) before anything is sent; one it has with the same object is up
    /// to date. Needs `read` on each tag's commit here and `create` on
    /// `tags/<name>` in the remote's policy (as `tag` does). Each tag made
    /// there gets a `push` audit entry there and here. Deleting a tag on the
    /// remote is `tag -d` there (admin).
    public func pushTags(to remoteName: String = "origin", names: [String]? = nil) throws -> PushTagsResult {
        let context = try gate(.pushTags); defer { context.end() }
        let remote = try remote(named: remoteName)
        let all = try tagRefs()
        var chosen: [(name: String, id: ObjectID)] = []
        if let names {
            for name in names {
                guard let tag = all.first(where: { $0.name == name }) else { throw HistoryError.noSuchTag(name) }
                if !chosen.contains(where: { $0.name == name }) { chosen.append(tag) }
            }
        } else {
            chosen = all
        }
        var commits: [ObjectID: ObjectID] = [:]
        for tag in chosen {
            let commit = try peelTag(tag.id)
            try context.authorizeCommit(commit)
            commits[tag.id] = commit
        }
        if remote.isURL { return try pushTagsHTTP(remote, tags: chosen, commits: commits, context: context) }

        let target = try openRemote(remote)
        let remoteContext = try target.gate(.pushTags); defer { remoteContext.end() }
        var result = PushTagsResult(remote: remote, tags: [], transfer: TransferStats())
        var toSend: [(name: String, id: ObjectID)] = []
        for tag in chosen {
            try remoteContext.authorize(.create, branch: "tags/" + tag.name)
            let there = try target.refs.read(try Repository.tagRef(tag.name))
            if let there, there != tag.id {
                throw RemoteError.remoteTagDiffers(remote: remote.name, tag: tag.name, remoteID: there, localID: tag.id)
            }
            if there == nil { toSend.append(tag) }
            result.tags.append(TagPush(name: tag.name, id: tag.id, commit: commits[tag.id]!, upToDate: there != nil))
        }
        guard !toSend.isEmpty else { return result }
        result.transfer = try transferObjects(from: try diskObjects, to: try target.diskObjects, roots: toSend.map(\.id))
        for tag in toSend {
            let details: JSON = .object([
                "remote": .string(remote.name), "path": .string(remote.path), "from": .string(workDirectory),
                "tag": .string(tag.name), "object": .string(tag.id.hex),
            ])
            do {
                try target.refs.update(try Repository.tagRef(tag.name), from: nil, to: tag.id,
                                       note: settings.note("push: tag \(tag.name) from \(workDirectory)"))
            } catch let StoreError.refMoved(ref, expected, actual) {
                // Made there meanwhile: the same tag is done, another refuses.
                guard let actual else { throw StoreError.refMoved(ref: ref, expected: expected, actual: nil) }
                if actual == tag.id { continue }
                throw RemoteError.remoteTagDiffers(remote: remote.name, tag: tag.name, remoteID: actual, localID: tag.id)
            }
            try remoteContext.record(AuditEntry(operation: "push", branch: nil, newID: commits[tag.id], details: details))
            try context.record(AuditEntry(operation: "push", branch: nil, newID: commits[tag.id], details: details))
        }
        return result
    }

    /// `pushTags` over HTTPS: the server's tag list (`info/refs`) refuses a
    /// differing tag before anything is sent; each new tag is one
    /// `receive-pack` request whose header names the tag, carrying the
    /// objects the server lacks (not reachable from what it listed).
    func pushTagsHTTP(_ remote: Remote, tags: [(name: String, id: ObjectID)], commits: [ObjectID: ObjectID],
                      context: OperationContext) throws -> PushTagsResult {
        let client = try client(remote)
        let listed = try Repository.remoteRefs(client)
        var result = PushTagsResult(remote: remote, tags: [], transfer: TransferStats())
        var toSend: [(name: String, id: ObjectID)] = []
        for tag in tags {
            let there = listed.tags.first { $0.name == tag.name }?.id
            if let there, there != tag.id {
                throw RemoteError.remoteTagDiffers(remote: remote.name, tag: tag.name, remoteID: there, localID: tag.id)
            }
            if there == nil { toSend.append(tag) }
            result.tags.append(TagPush(name: tag.name, id: tag.id, commit: commits[tag.id]!, upToDate: there != nil))
        }
        let store = try diskObjects
        store.holdCollectorOff()
        var haves = listed.branches.map(\.id) + listed.tags.map(\.id)
        for tag in toSend {
            let ids = try objectsToSend(wants: [tag.id], haves: haves, store: store)
            let header: JSON = .object(["new": .string(tag.id.hex), "old": .null, "tag": .string(tag.name), "version": .int(1)])
            var sent = TransferStats()
            let response = try client.send("POST", "receive-pack", contentType: "application/x-rocky-pack") { body in
                var writer = try PackStreamWriter(header: header) { try body.write($0) }
                for id in ids {
                    let (stored, _) = try store.verifiedStoredBytes(id)
                    try writer.append(id, stored: stored)
                }
                try writer.finish()
                sent.objects = writer.count
                sent.bytes = writer.bytes
            }
            guard response.status == 200 else {
                let error = Repository.failure(response, client: client)
                if case let RemoteError.remoteTagDiffers(_, name, remoteID, localID) = error {
                    // A retry after a lost answer finds its own tag there.
                    if remoteID == localID { continue }
                    throw RemoteError.remoteTagDiffers(remote: remote.name, tag: name, remoteID: remoteID, localID: localID)
                }
                throw error
            }
            _ = try response.readAll()
            result.transfer.objects += sent.objects
            result.transfer.bytes += sent.bytes
            haves.append(tag.id)
            try context.record(AuditEntry(operation: "push", branch: nil, newID: commits[tag.id], details: .object([
                "remote": .string(remote.name), "url": .string(client.url.description),
                "tag": .string(tag.name), "object": .string(tag.id.hex), "objects": .int(sent.objects),
            ])))
        }
        return result
    }

    /// The tags a served fetch sends: those whose commit the actor may read
    /// and see raw (as `checkRawAccess` decides for a branch).
    func servableTags(_ context: OperationContext) throws -> [(name: String, id: ObjectID)] {
        var result: [(name: String, id: ObjectID)] = []
        for tag in try tagRefs() {
            let commit = try peelTag(tag.id)
            guard (try? context.authorizeCommit(commit)) != nil,
                  (try? checkRawAccess("tags/" + tag.name, commit: commit, context: context)) != nil else { continue }
            result.append(tag)
        }
        return result
    }

    /// The tags `rocky http-backend` lists in `info/refs` for the actor.
    public func servedTags() throws -> [(name: String, id: ObjectID)] {
        let context = try gate(.servedTags); defer { context.end() }
        return try servableTags(context)
    }

    /// Receives a pushed tag (inside `serveReceive`'s gate, its header
    /// read): `create` on `tags/<name>`; an existing tag with another object
    /// is refused (`remoteTagDiffers`, 409, naming both ids) before anything
    /// is read, the same one is up to date. The objects go into quarantine,
    /// must complete the history the tag reaches and the tag object must be
    /// a tag; then the ref is made by compare-and-swap from nothing and a
    /// `push` entry audited.
    func serveReceiveTag(_ name: String, new: ObjectID, reader: PackStreamReader, client: String,
                         context: OperationContext) throws -> ServedPush {
        let ref = try Repository.tagRef(name)
        try context.authorize(.create, branch: "tags/" + name)
        if let current = try refs.read(ref) {
            guard current == new else { throw RemoteError.remoteTagDiffers(remote: "the server", tag: name, remoteID: current, localID: new) }
            return ServedPush(branch: "tags/" + name, old: current, new: new, objects: 0, forced: false, tag: name)
        }
        let main = try diskObjects
        main.holdCollectorOff()
        main.holdWriteGuard()
        let quarantine = try Quarantine(rockyDirectory: rockyDirectory)
        defer { quarantine.remove() }
        try quarantine.receive(reader)
        try checkReceived(roots: [new], quarantine: quarantine, main: main)
        let object = try quarantine.read(new, main: main)
        guard object.kind == .tag else { throw HTTPRemoteError.protocolError("\(new.hex) is not a tag") }
        let commit = try Repository.decodeTag(object.payload, id: new).commit
        try quarantine.adopt(into: main)
        do {
            try refs.update(ref, from: nil, to: new, note: settings.note("push: tag \(name) from \(client) over http"))
        } catch let StoreError.refMoved(ref, expected, actual) {
            guard let actual else { throw StoreError.refMoved(ref: ref, expected: expected, actual: nil) }
            guard actual == new else { throw RemoteError.remoteTagDiffers(remote: "the server", tag: name, remoteID: actual, localID: new) }
            return ServedPush(branch: "tags/" + name, old: actual, new: new, objects: 0, forced: false, tag: name)
        }
        try context.record(AuditEntry(operation: "push", branch: nil, newID: commit, details: .object([
            "address": .string(client), "via": .string("http"), "tag": .string(name), "object": .string(new.hex),
            "objects": .int(quarantine.objects),
        ])))
        return ServedPush(branch: "tags/" + name, old: nil, new: new, objects: quarantine.objects, forced: false, tag: name)
    }
}
