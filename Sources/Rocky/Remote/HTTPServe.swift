import Foundation
import RockyBase
import RockyStore
import RockyTable

/// The repository a request of `rocky http-backend` names: `PATH_INFO` is
/// `/<repository>/<endpoint>` below `ROCKY_PROJECT_ROOT`. Every component of
/// `<repository>` must be a plain name (no `.`, `..`, empty or hidden
/// component, no control character or backslash), and every folder from the
/// root down to the repository a real folder, not a symbolic link: nothing
/// outside the root is reachable.
public enum ServedPath {
    public static let endpoints = ["info/refs", "upload-pack", "receive-pack"]

    /// The repository's working directory and the endpoint; throws
    /// `HTTPRemoteError.notFound` (404) for anything else.
    public static func resolve(root: String, pathInfo: String) throws -> (repository: String, endpoint: String) {
        func refuse(_ reason: String) -> HTTPRemoteError { .notFound(url: pathInfo, message: reason) }
        guard root.hasPrefix("/") else { throw refuse("ROCKY_PROJECT_ROOT must be an absolute path") }
        guard let endpoint = endpoints.first(where: { pathInfo.hasSuffix("/" + $0) }) else {
            throw refuse("unknown endpoint (\(endpoints.joined(separator: ", ")))")
        }
        let repositoryPart = pathInfo.dropLast(endpoint.count + 1)
        guard repositoryPart.hasPrefix("/") else { throw refuse("the path must start with '/'") }
        let components = repositoryPart.dropFirst().split(separator: "/", omittingEmptySubsequences: false)
        guard !components.isEmpty else { throw refuse("no repository named") }
        var path = root
        for component in components {
            guard !component.isEmpty, !component.hasPrefix("."),
                  !component.contains(where: { $0.asciiValue.map { $0 < 0x20 || $0 == 0x7f } ?? false || $0 == "\\" }) else {
                throw refuse("'\(component)' is not an allowed path component")
            }
            path += "/" + component
            var st = stat()
            guard lstat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFDIR else {
                throw refuse("no repository here (or a component is a symbolic link)")
            }
        }
        var st = stat()
        guard lstat(path + "/.rocky", &st) == 0, (st.st_mode & S_IFMT) == S_IFDIR, FileManager.default.fileExists(atPath: path + "/.rocky/HEAD") else {
            throw refuse("no repository here")
        }
        return (path, endpoint)
    }
}

/// What a served push did.
public struct ServedPush: Sendable {
    public var branch: String
    public var old: ObjectID?
    public var new: ObjectID
    public var objects: Int
    public var forced: Bool
    /// The tag pushed, when the push was of a tag (`branch` is then `tags/<name>`).
    public var tag: String? = nil
}

/// The serving side of the HTTP protocol, run by `rocky http-backend` with
/// the settings' actor set to the web server's authenticated user.
extension Repository {
    /// The branches the actor may read, and the HEAD branch when it is one of them.
    public func servedRefs() throws -> (head: String?, branches: [(name: String, id: ObjectID)]) {
        let context = try gate(.servedRefs); defer { context.end() }
        let all = try refs.list(prefix: RefName.headsPrefix).compactMap { e in e.name.branchName.map { (name: $0, id: e.id) } }
        let readable = all.filter { (try? context.authorize(.read, branch: $0.name)) != nil }
        var head: String?
        if case let .branch(ref)? = try? refs.head(), let name = ref.branchName, readable.contains(where: { $0.name == name }) { head = name }
        return (head, readable)
    }

    /// Answers a fetch: the branches `requested` (nil: every readable one),
    /// each needing `read` and raw access to its classified columns; then
    /// the objects they reach that `haves` do not. The `serve-fetch` audit
    /// entry (actor, client address, branches, object count) is written
    /// before anything is sent; `begin` gets the refs sent (write the
    /// response head there), `write` the stream.
    @discardableResult
    public func serveFetch(branches requested: [String]?, haves: [ObjectID], client: String,
                           begin: ([(name: String, id: ObjectID)]) throws -> Void,
                           write: @escaping (UnsafeRawBufferPointer) throws -> Void) throws -> Int {
        let context = try gate(.serveFetch); defer { context.end() }
        let all = try refs.list(prefix: RefName.headsPrefix).compactMap { e in e.name.branchName.map { (name: $0, id: e.id) } }
        var chosen: [(name: String, id: ObjectID)] = []
        if let requested {
            for name in requested {
                guard let branch = all.first(where: { $0.name == name }) else {
                    throw RemoteError.noSuchRemoteBranch(remote: "this repository", branch: name, available: [])
                }
                try context.authorize(.read, branch: name)
                chosen.append(branch)
            }
        } else {
            chosen = all.filter { (try? context.authorize(.read, branch: $0.name)) != nil }
            if chosen.isEmpty, let first = all.first { try context.authorize(.read, branch: first.name) }
        }
        for branch in chosen { try checkRawAccess(branch.name, commit: branch.id, context: context) }
        // A fetch of every branch brings the tags the actor may read raw too.
        let tags = requested == nil ? try servableTags(context) : []
        let store = try diskObjects
        store.holdCollectorOff()
        let ids = try objectsToSend(wants: chosen.map(\.id) + tags.map(\.id), haves: haves, store: store)
        var entry: [JSON.Member] = [
            JSON.Member("address", .string(client)),
            JSON.Member("refs", .object(chosen.map { JSON.Member($0.name, .string($0.id.hex)) })),
            JSON.Member("objects", .int(ids.count)),
        ]
        if !tags.isEmpty { entry.append(JSON.Member("tags", .object(tags.map { JSON.Member($0.name, .string($0.id.hex)) }))) }
        try context.record(AuditEntry(operation: "serve-fetch", branch: nil, details: .object(entry)))
        try begin(chosen)
        var writer = try PackStreamWriter(header: .object([
            "refs": .object(chosen.map { JSON.Member($0.name, .string($0.id.hex)) }),
            "tags": .object(tags.map { JSON.Member($0.name, .string($0.id.hex)) }),
            "version": .int(1),
        ]), sink: write)
        for id in ids {
            let (stored, _) = try store.verifiedStoredBytes(id)
            try writer.append(id, stored: stored)
        }
        try writer.finish()
        return ids.count
    }

    /// A pack carries raw values: fetching `branch` needs, besides `read`,
    /// that no column of its tables is masked or denied for the actor in the
    /// settings' environment (`admin` granted by a committed policy
    /// overrides). Throws `rawAccessDenied` naming the columns.
    func checkRawAccess(_ branch: String, commit: ObjectID, context: OperationContext) throws {
        if !context.policy.isEmpty, context.policy.permits(context.actor, .admin, branch: nil, environment: nil) { return }
        let tables = try objects.readTree(try objects.readCommit(commit).tree).tables
        var masked: [String] = []
        let masking = try maskingInForce()
        for (name, id) in tables.sorted(by: { $0.key < $1.key }) {
            let table = try objects.readTable(id)
            let mask = try tableMask(name, versions: [table], masking: masking)
            for column in table.schema.columns where mask.strategies[column.id] != nil {
                masked.append("\(name).\(column.name)")
            }
        }
        if !masked.isEmpty { throw HTTPRemoteError.rawAccessDenied(actor: context.actor, branch: branch, columns: masked) }
    }

    /// Receives a push: the stream's header names one branch, the value it
    /// expects there (`old`, null to create it), the new commit and `force`.
    /// Checked before anything is read: `write` on the branch and the
    /// expected value (a moved branch is `pushRaced`, exit 3). Then the
    /// objects go into quarantine, each verified; the history `new` reaches
    /// must be complete; unless forced it must contain `old`; a change of
    /// the policy sections on the protected branch needs `admin`; a branch
    /// checked out on the server must be clean. Only then is the pack moved
    /// into the store and the branch moved by compare-and-swap with its
    /// `push` audit entry (actor, client address) in one step. A refusal at
    /// any point, or a stream cut off, leaves the repository as it was.
    public func serveReceive(client: String, read source: @escaping () throws -> ArraySlice<UInt8>) throws -> ServedPush {
        let context = try gate(.serveReceive); defer { context.end() }
        let reader = PackStreamReader(source: source)
        let header = try reader.header()
        if let tag = header["tag"]?.stringValue {
            guard let new = header["new"]?.stringValue.flatMap({ ObjectID(hex: $0) }) else {
                throw HTTPRemoteError.protocolError("a tag push header needs tag and new")
            }
            return try serveReceiveTag(tag, new: new, reader: reader, client: client, context: context)
        }
        guard let branch = header["branch"]?.stringValue, let new = header["new"]?.stringValue.flatMap({ ObjectID(hex: $0) }) else {
            throw HTTPRemoteError.protocolError("a push header needs branch and new")
        }
        let old: ObjectID? = try header["old"]?.stringValue.map {
            guard let id = ObjectID(hex: $0) else { throw HTTPRemoteError.protocolError("old is not an object id") }
            return id
        }
        let force = header["force"]?.boolValue ?? false
        let ref = try RefName.branch(branch)
        try context.authorize(.write, branch: branch)
        let current = try refs.read(ref)
        guard current == old else {
            throw RemoteError.pushRaced(remote: "the server", branch: branch, expected: old, actual: current, pushed: new)
        }
        let checkedOut = try refs.head() == .branch(ref)
        if checkedOut, old != nil {
            let status = try status()
            if !status.isClean {
                throw RemoteError.remoteHasUncommittedChanges(remote: "the server", branch: branch, changes: status.changeSummary)
            }
        }
        let main = try diskObjects
        main.holdCollectorOff()
        main.holdWriteGuard()
        let quarantine = try Quarantine(rockyDirectory: rockyDirectory)
        defer { quarantine.remove() }
        try quarantine.receive(reader)
        try checkReceived(roots: [new], quarantine: quarantine, main: main)
        let read = { (id: ObjectID) throws -> StoredObject in try quarantine.read(id, main: main) }
        guard try read(new).kind == .commit else { throw HTTPRemoteError.protocolError("\(new.hex) is not a commit") }
        var forced = false
        if let old, try !Repository.isAncestor(old, of: new, read: read) {
            guard force else { throw RemoteError.nonFastForward(remote: "the server", branch: branch, remoteID: old, localID: new) }
            forced = true
        }
        func files(_ commit: ObjectID?) throws -> [String: ObjectID] {
            guard let commit else { return [:] }
            let tree = try Commit(payload: try read(commit).payload, id: commit).tree
            return try Tree(payload: try read(tree).payload, id: tree).files
        }
        let oldFiles = try files(old), newFiles = try files(new)
        try context.authorizePolicyChange(on: branch, from: oldFiles[ProjectConfig.fileName], to: newFiles[ProjectConfig.fileName]) {
            try newFiles[ProjectConfig.fileName].map { String(decoding: try read($0).payload, as: UTF8.self) }
        }
        if checkedOut { try checkProjectFileWrite(from: oldFiles, to: newFiles) }

        try quarantine.adopt(into: main)
        do {
            try moveRef(ref, from: old, to: new, note: settings.note("push: from \(client) over http\(forced ? " (forced)" : "")"),
                        entry: AuditEntry(operation: "push", branch: branch, details: .object([
                            "address": .string(client),
                            "via": .string("http"),
                            "forced": .bool(forced),
                            "objects": .int(quarantine.objects),
                        ])))
        } catch let StoreError.refMoved(_, expected, actual) {
            throw RemoteError.pushRaced(remote: "the server", branch: branch, expected: expected, actual: actual, pushed: new)
        }
        if checkedOut, try refs.head() == .branch(ref) { try writeProjectFiles(from: oldFiles, to: newFiles) }
        return ServedPush(branch: branch, old: old, new: new, objects: quarantine.objects, forced: forced)
    }
}
