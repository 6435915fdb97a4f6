import Foundation
import Glibc
import RockyBase
import RockyStore

/// The client side of the HTTP protocol: fetch, push and clone of a remote
/// whose location is an `https://` URL (Docs/remotes.md).
extension Repository {
    /// A client for `remote` (its CA file and credential command applied).
    func client(_ remote: Remote) throws -> HTTPClient {
        HTTPClient(url: try RemoteURL(parsing: remote.path), settings: settings.http.applying(remote))
    }

    /// Turns a failed answer into its error: 401, 403 (exit 5), 404, 409
    /// (the push conflicts, exit 3, with both ids), others with the server's message.
    static func failure(_ response: HTTPResponse, client: HTTPClient) -> Error {
        let body = (try? response.readAll(limit: 1 << 20)) ?? []
        let json = try? JSON(parsing: String(decoding: body, as: UTF8.self))
        let error = json?["error"]
        let message = error?["message"]?.stringValue ?? String(decoding: body.prefix(300), as: UTF8.self)
            .replacingOccurrences(of: "\n", with: " ").trimmingCharacters(in: .whitespaces)
        let url = client.url.description
        switch response.status {
        case 401: return HTTPRemoteError.unauthorized(url: url, hadCredentials: client.hadCredentials)
        case 403: return HTTPRemoteError.refused(url: url, message: message)
        case 404: return HTTPRemoteError.notFound(url: url, message: message)
        case 409:
            func id(_ key: String) -> ObjectID? { error?[key]?.stringValue.flatMap { ObjectID(hex: $0) } }
            let branch = error?["branch"]?.stringValue ?? ""
            if error?["code"]?.stringValue == "non_fast_forward", let remoteID = id("remote_id"), let localID = id("local_id") {
                return RemoteError.nonFastForward(remote: url, branch: branch, remoteID: remoteID, localID: localID)
            }
            if error?["code"]?.stringValue == "remote_tag_differs", let remoteID = id("remote_id"), let localID = id("local_id") {
                return RemoteError.remoteTagDiffers(remote: url, tag: error?["tag"]?.stringValue ?? "", remoteID: remoteID, localID: localID)
            }
            if let pushed = id("pushed") {
                return RemoteError.pushRaced(remote: url, branch: branch, expected: id("expected"), actual: id("actual"), pushed: pushed)
            }
            return HTTPRemoteError.server(url: url, status: 409, message: message)
        case 413: return HTTPRemoteError.server(url: url, status: 413, message: "the server refused a request body this large")
        default: return HTTPRemoteError.server(url: url, status: response.status, message: message)
        }
    }

    /// `GET info/refs`: the branches the server lets us read, its HEAD
    /// branch, and the tags it lists (a server without tags lists none).
    static func remoteRefs(_ client: HTTPClient) throws
        -> (head: String?, branches: [(name: String, id: ObjectID)], tags: [(name: String, id: ObjectID)]) {
        let response = try client.send("GET", "info/refs")
        guard response.status == 200 else { throw failure(response, client: client) }
        let body = try response.readAll()
        guard let json = try? JSON(parsing: String(decoding: body, as: UTF8.self)), let members = json["refs"]?.members else {
            throw HTTPRemoteError.protocolError("\(client.url) did not answer with a ref list")
        }
        func ids(_ members: [JSON.Member]) throws -> [(name: String, id: ObjectID)] {
            try members.map { m in
                guard let id = m.value.stringValue.flatMap({ ObjectID(hex: $0) }) else { throw HTTPRemoteError.protocolError("a ref without an id") }
                return (m.key, id)
            }
        }
        return (json["head"]?.stringValue, try ids(members), try ids(json["tags"]?.members ?? []))
    }

    /// `POST upload-pack`: receives the branches' objects missing here into
    /// a quarantine, checks them complete and moves them into `store`.
    /// Returns the refs (branches) and tags the server sent.
    /// A connection that drops before the pack's end is tried again (the
    /// quarantine of the failed attempt removed), as often as a request.
    func download(_ client: HTTPClient, haves: [ObjectID], store: DiskObjectStore) throws
        -> (refs: [(name: String, id: ObjectID)], tags: [(name: String, id: ObjectID)], stats: TransferStats) {
        store.holdCollectorOff()
        store.holdWriteGuard()
        var attempt = 1
        while true {
            do {
                return try downloadOnce(client, haves: haves, store: store)
            } catch {
                guard HTTPClient.isDropped(error), attempt < HTTPClient.attempts else { throw error }
                HTTPClient.backoff(after: attempt)
                attempt += 1
            }
        }
    }

    private func downloadOnce(_ client: HTTPClient, haves: [ObjectID], store: DiskObjectStore) throws
        -> (refs: [(name: String, id: ObjectID)], tags: [(name: String, id: ObjectID)], stats: TransferStats) {
        let request: JSON = .object(["haves": .array(haves.map { .string($0.hex) }), "version": .int(1)])
        let response = try client.send("POST", "upload-pack", contentType: "application/json") { try $0.write(Array(request.canonicalText.utf8)) }
        guard response.status == 200 else { throw Repository.failure(response, client: client) }
        let reader = PackStreamReader { try response.read() }
        let header = try reader.header()
        guard let members = header["refs"]?.members else { throw HTTPRemoteError.protocolError("the pack names no refs") }
        let refs = try members.map { m -> (name: String, id: ObjectID) in
            guard let id = m.value.stringValue.flatMap({ ObjectID(hex: $0) }) else { throw HTTPRemoteError.protocolError("a ref without an id") }
            _ = try RefName.branch(m.key)
            return (m.key, id)
        }
        let tags = try (header["tags"]?.members ?? []).map { m -> (name: String, id: ObjectID) in
            guard let id = m.value.stringValue.flatMap({ ObjectID(hex: $0) }) else { throw HTTPRemoteError.protocolError("a tag without an id") }
            _ = try Repository.tagRef(m.key)
            return (m.key, id)
        }
        let quarantine = try Quarantine(rockyDirectory: rockyDirectory)
        defer { quarantine.remove() }
        try quarantine.receive(reader, progress: client.settings.progress)
        while try !response.read().isEmpty {}
        try checkReceived(roots: refs.map(\.id) + tags.map(\.id), quarantine: quarantine, main: store)
        for tag in tags where try quarantine.read(tag.id, main: store).kind != .tag {
            throw HTTPRemoteError.protocolError("the tag \(tag.name) names \(tag.id.hex), which is not a tag")
        }
        try quarantine.adopt(into: store)
        var stats = TransferStats()
        stats.objects = quarantine.objects
        stats.bytes = quarantine.bytes
        return (refs, tags, stats)
    }

    /// Fetch from an HTTP remote (inside `fetch`'s gate): every branch the
    /// server lets us read; the remote's audit log stays on the server
    /// (its own `serve-fetch` entry records this fetch there).
    func fetchHTTP(_ remote: Remote, context: OperationContext) throws -> FetchResult {
        let client = try client(remote)
        let local = try diskObjects
        var haves = Set<ObjectID>()
        for (_, id) in try refs.list(prefix: RefName.headsPrefix) { haves.insert(id) }
        for (_, id) in try refs.list(prefix: "refs/remotes/\(remote.name)/") { haves.insert(id) }
        for (_, id) in try tagRefs() { haves.insert(id) }
        let (remoteBranches, remoteTags, transfer) = try download(client, haves: haves.sorted(), store: local)

        let (updates, unchanged) = try updateTrackingRefs(remote.name, to: remoteBranches, gone: "no longer lists")
        let tags = try adoptTags(remoteTags, from: remote.name)
        try context.record(AuditEntry(operation: "fetch", branch: nil, details: .object([
            "remote": .string(remote.name),
            "url": .string(client.url.description),
            "objects": .int(transfer.objects),
            "refs": .array(updates.map { u in
                .object(["ref": .string(u.ref), "old": u.old.map { .string($0.hex) }, "new": u.new.map { .string($0.hex) }])
            }),
            "tags": .object(tags.filter { $0.kept == nil }.map { JSON.Member($0.name, .string($0.id.hex)) }),
        ])))
        return FetchResult(remote: remote, updates: updates, unchanged: unchanged, transfer: transfer, auditEntries: 0, newAuditEntries: 0,
                           tags: tags)
    }

    /// Push to an HTTP remote (inside `push`'s gate, `read` on the local
    /// branch checked): the server's branch value is the compare-and-swap's
    /// expectation; the objects it lacks (not reachable from any branch it
    /// listed that we have) are streamed with the update.
    func pushHTTP(_ remote: Remote, branch: String, remoteBranch: String, new: ObjectID, force: Bool,
                  context: OperationContext) throws -> PushResult {
        let client = try client(remote)
        let listed = try Repository.remoteRefs(client).branches
        let old = listed.first { $0.name == remoteBranch }?.id
        var result = PushResult(remote: remote, branch: branch, remoteBranch: remoteBranch, old: old, new: new,
                                upToDate: old == new, forced: false, transfer: TransferStats())
        if old == new {
            try updateTrackingRef(remote.name, remoteBranch, to: new)
            return result
        }
        if let old, try !objects.contains(old) || !objects.isAncestor(old, of: new) {
            guard force else { throw RemoteError.nonFastForward(remote: remote.name, branch: remoteBranch, remoteID: old, localID: new) }
            result.forced = true
        }
        let store = try diskObjects
        store.holdCollectorOff()
        let ids = try objectsToSend(wants: [new], haves: listed.map(\.id), store: store)
        let header: JSON = .object([
            "branch": .string(remoteBranch),
            "force": .bool(force),
            "new": .string(new.hex),
            "old": old.map { .string($0.hex) } ?? .null,
            "version": .int(1),
        ])
        var sent = TransferStats()
        func finish() throws -> PushResult {
            result.transfer = sent
            try updateTrackingRef(remote.name, remoteBranch, to: new)
            try context.record(AuditEntry(operation: "push", branch: branch, oldID: old, newID: new, details: .object([
                "remote": .string(remote.name),
                "url": .string(client.url.description),
                "branch": .string(branch),
                "forced": .bool(result.forced),
                "objects": .int(sent.objects),
            ])))
            return result
        }
        let response = try client.send("POST", "receive-pack", contentType: "application/x-rocky-pack") { body in
            var writer = try PackStreamWriter(header: header) { try body.write($0) }
            let progress = client.settings.progress
            for id in ids {
                let (stored, _) = try store.verifiedStoredBytes(id)
                try writer.append(id, stored: stored)
                progress?(TransferProgress(direction: .sending, objects: writer.count, bytes: writer.bytes))
            }
            try writer.finish()
            sent.objects = writer.count
            sent.bytes = writer.bytes
        }
        guard response.status == 200 else {
            let error = Repository.failure(response, client: client)
            if case let RemoteError.pushRaced(_, _, _, actual, pushed) = error, actual == pushed, actual == new {
                // A retry after a lost answer: the first attempt moved the branch.
                return try finish()
            }
            if case let RemoteError.pushRaced(_, b, expected, actual, pushed) = error {
                throw RemoteError.pushRaced(remote: remote.name, branch: b, expected: expected, actual: actual, pushed: pushed)
            }
            if case let RemoteError.nonFastForward(_, b, remoteID, localID) = error {
                throw RemoteError.nonFastForward(remote: remote.name, branch: b, remoteID: remoteID, localID: localID)
            }
            throw error
        }
        _ = try response.readAll()
        return try finish()
    }

    /// Clone from an HTTP URL into `staging` (an empty repository being
    /// built): every branch the server lets us read.
    static func cloneHTTP(from location: String, staging: String, branch: String?, http: RemoteHTTPOptions, settings: Settings)
        throws -> (url: String, chosen: String, head: ObjectID, branches: [String], objects: Int) {
        let origin = Remote(name: "origin", path: try RemoteURL(parsing: location).description,
                            caFile: http.caFile, credentialCommand: http.credentialCommand)
        let client = HTTPClient(url: try RemoteURL(parsing: location), settings: settings.http.applying(origin))
        let rocky = staging + "/.rocky"
        for folder in ["objects", "refs/heads", "logs"] {
            try FileManager.default.createDirectory(atPath: rocky + "/" + folder, withIntermediateDirectories: true)
        }
        try Data((formatLine + "\n").utf8).write(to: URL(fileURLWithPath: rocky + "/format"))
        let store = DiskObjectStore(directory: rocky + "/objects")
        let repo = Repository(workDirectory: staging, objects: store, refs: FileRefStore(root: rocky), settings: settings)
        let head = try remoteRefs(client).head
        let (refs, tags, stats) = try repo.download(client, haves: [], store: store)
        guard !refs.isEmpty else { throw RemoteError.emptySource(client.url.description) }
        let names = refs.map(\.name)
        let chosen: String
        if let branch {
            guard names.contains(branch) else { throw RemoteError.noSuchRemoteBranch(remote: client.url.description, branch: branch, available: names) }
            chosen = branch
        } else if let head, names.contains(head) {
            chosen = head
        } else {
            chosen = names.contains(defaultBranch) ? defaultBranch : names[0]
        }
        try Data("ref: refs/heads/\(chosen)\n".utf8).write(to: URL(fileURLWithPath: rocky + "/HEAD"))
        // A new masking key: a clone over HTTP is another organisation's copy as far as hashing goes.
        _ = try maskingKey(rockyDirectory: rocky)
        let note = settings.note("clone: from \(client.url)")
        for r in refs { try repo.refs.update(try trackingRef("origin", r.name), from: nil, to: r.id, note: note) }
        _ = try repo.adoptTags(tags, from: client.url.description)
        let id = refs.first { $0.name == chosen }!.id
        try repo.moveRef(try RefName.branch(chosen), from: nil, to: id, note: note, entry: AuditEntry(operation: "clone", branch: chosen, details: .object([
            "source": .string(client.url.description),
            "branches": .int(refs.count),
            "objects": .int(stats.objects),
        ])))
        try repo.refs.setHead(.branch(try RefName.branch(chosen)), note: note)
        try repo.changeRemotes { $0 = [origin] }
        let files = try store.readTree(try store.readCommit(id).tree).files
        try repo.writeProjectFiles(from: [:], to: files)
        return (client.url.description, chosen, id, names, stats.objects)
    }
}
