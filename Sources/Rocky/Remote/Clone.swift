import Foundation
import Glibc
import RockyBase
import RockyStore

/// What `clone` made.
public struct CloneResult: Sendable {
    /// The new working directory.
    public var path: String
    public var source: String
    /// The branch checked out, and its commit.
    public var branch: String
    public var head: ObjectID
    /// The source's branches, now `refs/remotes/origin/<branch>`.
    public var branches: [String]
    public var objects: Int
    /// Object files (loose objects, packs, pack indexes) brought over.
    public var files: Int
    /// How many of those were hard-linked; the rest were copied.
    public var linkedFiles: Int
    public var copiedBytes: Int
    /// Entries of the source's audit log carried over.
    public var auditEntries: Int
}

extension Repository {
    /// Clones the repository whose working directory is `sourcePath` into
    /// `destinationPath` (which must not exist, or be an empty folder).
    ///
    /// Objects are immutable, so loose objects and packs are hard-linked
    /// when both are on one file system (no object bytes are copied: time
    /// and disk do not grow with the data), and copied otherwise (or with
    /// `hardLinks: false`), each copy verified against its id. Linked files
    /// are the source's own, already verified when written and on every
    /// read; the clone reads and verifies the history its branches reach
    /// (commits, trees, table objects) and checks that every table's root and
    /// schema is there, which costs the same whatever the tables hold
    /// (`verifyAll` also reads every linked object).
    ///
    /// The source's branches become `refs/remotes/origin/<branch>`, the
    /// remote `origin` is recorded with the source's absolute path, a local
    /// branch is made for `branch` (default: the source's HEAD branch) and
    /// checked out. The source's audit log is copied and its chain verified
    /// (a broken one refuses the clone), then a `clone` entry is appended.
    ///
    /// Everything is built in a temporary folder beside the destination,
    /// synced, and renamed into place: a failed clone leaves nothing.
    public static func clone(from sourcePath: String, to destinationPath: String, branch: String? = nil,
                             hardLinks: Bool = true, verifyAll: Bool = false, http: RemoteHTTPOptions = RemoteHTTPOptions(),
                             settings: Settings) throws -> (Repository, CloneResult) {
        if RemoteURL.isURL(sourcePath) {
            try http.validate()
            return try cloneOverHTTP(from: sourcePath, to: destinationPath, branch: branch, http: http, settings: settings)
        }
        guard http.isEmpty else {
            throw RepositoryError.invalidArgument("--ca-file and --credential-command are for https:// sources; \(sourcePath) is a path")
        }
        let sourceDirectory = absolutePath(sourcePath)
        let source = try openRemoteRepository(at: sourceDirectory, settings: settings)
        let sourceStore = try source.diskObjects
        let destination = absolutePath(destinationPath)
        let fm = FileManager.default
        var isDirectory: ObjCBool = false
        if fm.fileExists(atPath: destination, isDirectory: &isDirectory) {
            guard isDirectory.boolValue, try fm.contentsOfDirectory(atPath: destination).isEmpty else {
                throw RemoteError.destinationExists(destination)
            }
        }

        // What to clone, read before anything is created: the branches (so
        // that every object they reach is stored by the time the objects are
        // linked) and the audit log, whose chain must hold.
        let branches = try source.refs.list(prefix: RefName.headsPrefix).compactMap { entry in
            entry.name.branchName.map { (name: $0, id: entry.id) }
        }
        guard !branches.isEmpty else { throw RemoteError.emptySource(sourceDirectory) }
        let tags = try source.tagRefs()
        let chosen = try chooseBranch(branch, among: branches.map(\.name), source: source, path: sourceDirectory)
        let head = branches.first { $0.name == chosen }!.id
        let audit = try AuditSnapshot.read(folder: source.rockyDirectory, source: sourceDirectory)

        let parent = (destination as NSString).deletingLastPathComponent
        try fm.createDirectory(atPath: parent, withIntermediateDirectories: true)
        let staging = parent + "/.rocky-clone-" + (destination as NSString).lastPathComponent + "-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let result: CloneResult
        do {
            let rocky = staging + "/.rocky"
            for folder in ["objects", "refs/heads", "logs"] {
                try fm.createDirectory(atPath: rocky + "/" + folder, withIntermediateDirectories: true)
            }
            try Data((formatLine + "\n").utf8).write(to: URL(fileURLWithPath: rocky + "/format"))
            try Data("ref: refs/heads/\(chosen)\n".utf8).write(to: URL(fileURLWithPath: rocky + "/HEAD"))
            // The same masking key as the source (a clone by path stays in one
            // organisation): hashed values match across the two. A source made
            // before keyed hashing gets its key now.
            let key = try maskingKey(rockyDirectory: source.rockyDirectory)
            try fm.createDirectory(atPath: rocky + "/keys", withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            try installMaskingKey(String(decoding: key, as: UTF8.self), at: rocky + "/keys/masking")
            let store = DiskObjectStore(directory: rocky + "/objects")
            let repo = Repository(workDirectory: staging, objects: store, refs: FileRefStore(root: rocky), settings: settings)

            let copied = try store.copyAll(from: sourceStore, allowLinks: hardLinks)
            if verifyAll { _ = try repo.verifyEveryObject() }
            try repo.checkComplete(from: branches.map(\.id) + tags.map(\.id), in: store)

            let note = settings.note("clone: from \(sourceDirectory)")
            for b in branches {
                try repo.refs.update(try trackingRef("origin", b.name), from: nil, to: b.id, note: note)
            }
            _ = try repo.adoptTags(tags, from: sourceDirectory)
            // The source's log first: the clone's entry, which anchors the
            // new branch's first move, extends it.
            try audit.write(to: rocky)
            try audit.write(to: repo.remoteFolder("origin"))
            let local = try RefName.branch(chosen)
            try repo.moveRef(local, from: nil, to: head, note: note, entry: AuditEntry(operation: "clone", branch: chosen, details: .object([
                "source": .string(sourceDirectory),
                "branches": .int(branches.count),
                "objects": .int(copied.objects),
                "linked_files": .int(copied.linked),
            ])), adoptedLog: true)
            try repo.refs.setHead(.branch(local), note: note)
            try repo.changeRemotes { $0 = [Remote(name: "origin", path: sourceDirectory)] }
            let files = try store.readTree(try store.readCommit(head).tree).files
            try repo.writeProjectFiles(from: [:], to: files)
            result = CloneResult(path: destination, source: sourceDirectory, branch: chosen, head: head,
                                 branches: branches.map(\.name), objects: copied.objects, files: copied.files,
                                 linkedFiles: copied.linked, copiedBytes: copied.copiedBytes, auditEntries: audit.count)

            try ObjectFiles.syncFileSystem(of: staging)
            guard rename(staging, destination) == 0 else {
                throw StoreError.io(path: destination, operation: "rename \(staging) to", errno: errno)
            }
            try ObjectFiles.fsyncDirectory(parent)
        } catch {
            try? fm.removeItem(atPath: staging)
            throw error
        }
        return (try open(discoveringFrom: destination, settings: settings), result)
    }

    /// Clones an `https://` URL: the branches the server lets the
    /// principal read (each needing raw access to its classified columns),
    /// built in a temporary folder beside the destination and renamed into
    /// place. The server's audit log stays there (its `serve-fetch` entry
    /// records the clone); the new log starts with the `clone` entry, and
    /// the clone gets a masking key of its own.
    static func cloneOverHTTP(from url: String, to destinationPath: String, branch: String?, http: RemoteHTTPOptions,
                              settings: Settings) throws -> (Repository, CloneResult) {
        _ = try RemoteURL(parsing: url)
        let destination = absolutePath(destinationPath)
        let fm = FileManager.default
        var isDirectory: ObjCBool = false
        if fm.fileExists(atPath: destination, isDirectory: &isDirectory) {
            guard isDirectory.boolValue, try fm.contentsOfDirectory(atPath: destination).isEmpty else {
                throw RemoteError.destinationExists(destination)
            }
        }
        let parent = (destination as NSString).deletingLastPathComponent
        try fm.createDirectory(atPath: parent, withIntermediateDirectories: true)
        let staging = parent + "/.rocky-clone-" + (destination as NSString).lastPathComponent + "-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let result: CloneResult
        do {
            try fm.createDirectory(atPath: staging, withIntermediateDirectories: true)
            let made = try cloneHTTP(from: url, staging: staging, branch: branch, http: http, settings: settings)
            result = CloneResult(path: destination, source: made.url, branch: made.chosen, head: made.head, branches: made.branches,
                                 objects: made.objects, files: 0, linkedFiles: 0, copiedBytes: 0, auditEntries: 0)
            try ObjectFiles.syncFileSystem(of: staging)
            guard rename(staging, destination) == 0 else {
                throw StoreError.io(path: destination, operation: "rename \(staging) to", errno: errno)
            }
            try ObjectFiles.fsyncDirectory(parent)
        } catch {
            try? fm.removeItem(atPath: staging)
            throw error
        }
        return (try open(discoveringFrom: destination, settings: settings), result)
    }

    private static func chooseBranch(_ requested: String?, among names: [String], source: Repository, path: String) throws -> String {
        if let requested {
            guard names.contains(requested) else {
                throw RemoteError.noSuchRemoteBranch(remote: path, branch: requested, available: names)
            }
            return requested
        }
        if case let .branch(ref)? = try? source.refs.head(), let name = ref.branchName, names.contains(name) { return name }
        return names.contains(defaultBranch) ? defaultBranch : names[0]
    }

    /// Checks, without reading any table's rows, that the history `roots`
    /// reach is complete in `store`: reads (and so verifies) every commit,
    /// tree, working set and transformation record, and checks that the
    /// schema and root of every table they name, and every project file, are
    /// present; every tree must keep the rules for paths and table names
    /// (`checkReceivedTree`). The cost follows the history and the number of tables, not
    /// their size; `verifyEveryObject` reads the rest.
    func checkComplete(from roots: [ObjectID], in store: DiskObjectStore) throws {
        var seen = Set<ObjectID>()
        var stack = roots
        func require(_ id: ObjectID) throws {
            guard store.contains(id) else { throw StoreError.objectNotFound(id.hex) }
        }
        while let id = stack.popLast() {
            guard seen.insert(id).inserted else { continue }
            try require(id)
            let object = try store.read(id)
            switch object.kind {
            case .tree:
                try Repository.checkReceivedTree(object.payload, id: id)
                let tree = try Tree(payload: object.payload, id: id)
                for file in tree.files.values { try require(file) }
                for table in tree.tables.values where seen.insert(table).inserted {
                    let (schema, root) = try store.tableHeader(table)
                    try require(schema)
                    if let root { try require(root.id) }
                }
            case .table:
                let (schema, root) = try store.tableHeader(id)
                try require(schema)
                if let root { try require(root.id) }
            default:
                stack += try objectLinks(object, id: id)
            }
        }
    }

    /// Reads every stored object; returns how many.
    func verifyEveryObject() throws -> Int {
        var count = 0
        for id in try objects.allIDs() {
            try objects.stream(id) { _ in }
            count += 1
        }
        return count
    }
}
