import Foundation
import Glibc
import RockyBase
import RockyStore
import RockyTable

/// The object stream of the HTTP protocol (Docs/remotes.md, "The protocol"):
///
///     "ROCKY-PACK 1\n"
///     u32 big-endian length, then that many bytes of canonical JSON (the header)
///     per object: its 32-byte id, u64 big-endian length, its stored bytes
///                 (the zlib stream exactly as the sender's store holds it)
///     end:        32 zero bytes, u64 big-endian object count
///
/// A stream that ends before its end record, or whose count differs, is cut
/// off; each object is verified against its id as it arrives.
enum PackStream {
    static let magic = Array("ROCKY-PACK 1\n".utf8)
    /// The largest header and the largest single object accepted.
    static let headerLimit = 64 << 20
    static let objectLimit = 1 << 31

    static func bigEndian(_ value: UInt64, bytes: Int) -> [UInt8] {
        (0..<bytes).map { UInt8(truncatingIfNeeded: value >> (8 * UInt64(bytes - 1 - $0))) }
    }
}

/// Writes a pack stream to `sink`.
struct PackStreamWriter {
    let sink: (UnsafeRawBufferPointer) throws -> Void
    private(set) var count = 0
    private(set) var bytes = 0

    init(header: JSON, sink: @escaping (UnsafeRawBufferPointer) throws -> Void) throws {
        self.sink = sink
        let text = Array(header.canonicalText.utf8)
        try emit(PackStream.magic + PackStream.bigEndian(UInt64(text.count), bytes: 4) + text)
    }

    private func emit(_ data: [UInt8]) throws { try data.withUnsafeBytes { try sink($0) } }

    mutating func append(_ id: ObjectID, stored: [UInt8]) throws {
        try emit(id.bytes + PackStream.bigEndian(UInt64(stored.count), bytes: 8))
        try emit(stored)
        count += 1
        bytes += stored.count
    }

    func finish() throws {
        try emit([UInt8](repeating: 0, count: 32) + PackStream.bigEndian(UInt64(count), bytes: 8))
    }
}

/// Reads a pack stream from `source` (which returns the next bytes, empty at the end).
final class PackStreamReader {
    private let source: () throws -> ArraySlice<UInt8>
    private var buffer: [UInt8] = []
    private var position = 0
    /// Bytes consumed so far.
    private(set) var consumed = 0

    init(source: @escaping () throws -> ArraySlice<UInt8>) {
        self.source = source
    }

    private func exactly(_ n: Int, _ what: String) throws -> ArraySlice<UInt8> {
        while buffer.count - position < n {
            if position > 0 {
                buffer.removeSubrange(0..<position)
                position = 0
            }
            let more = try source()
            if more.isEmpty { throw HTTPRemoteError.protocolError("the pack stream was cut off in \(what)") }
            buffer.append(contentsOf: more)
        }
        defer { position += n; consumed += n }
        return buffer[position..<(position + n)]
    }

    private func number(_ bytes: Int, _ what: String) throws -> UInt64 {
        try exactly(bytes, what).reduce(0) { $0 << 8 | UInt64($1) }
    }

    /// The magic and header.
    func header() throws -> JSON {
        guard Array(try exactly(PackStream.magic.count, "its magic")) == PackStream.magic else {
            throw HTTPRemoteError.protocolError("not a rocky pack stream")
        }
        let length = try number(4, "its header")
        guard length <= PackStream.headerLimit else { throw HTTPRemoteError.protocolError("a header of \(length) bytes") }
        let text = String(decoding: try exactly(Int(length), "its header"), as: UTF8.self)
        guard let json = try? JSON(parsing: text) else { throw HTTPRemoteError.protocolError("the stream's header is not JSON") }
        return json
    }

    /// The next object, or nil after the end record.
    func next() throws -> (id: ObjectID, stored: ArraySlice<UInt8>)? {
        let idBytes = Array(try exactly(32, "an object id"))
        let length = try number(8, "an object length")
        if idBytes.allSatisfy({ $0 == 0 }) {
            endCount = Int(length)
            return nil
        }
        guard length <= PackStream.objectLimit else { throw HTTPRemoteError.protocolError("an object of \(length) bytes") }
        return (ObjectID(bytes: idBytes), try exactly(Int(length), "object \(ObjectID(bytes: idBytes).hex)"))
    }

    /// The count of the end record, once read.
    private(set) var endCount: Int?
}

/// Received objects held apart from the repository's store until the ref
/// update that needs them commits: a folder `.rocky/tmp-quarantine-*` with a
/// store of its own, into which each object goes after it is verified
/// against its id. `adopt` moves the pack into the repository's store
/// (verified again, durable, atomic); `remove` (always called) deletes the
/// folder, so a refused or cut-off transfer leaves the store as it was.
final class Quarantine {
    let folder: String
    let store: DiskObjectStore
    private(set) var objects = 0
    private(set) var bytes = 0

    init(rockyDirectory: String) throws {
        folder = rockyDirectory + "/tmp-quarantine-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try ObjectFiles.makeDirectories(folder + "/objects", below: rockyDirectory)
        store = DiskObjectStore(directory: folder + "/objects")
    }

    /// Reads the stream's objects to its end record, verifying each;
    /// `progress` is told after each.
    func receive(_ reader: PackStreamReader, progress: (@Sendable (TransferProgress) -> Void)? = nil) throws {
        let builder = try PackBuilder(store: store)
        do {
            while let (id, stored) = try reader.next() {
                _ = try stored.withUnsafeBytes { try DiskObjectStore.verifyReceived($0, as: id) }
                try stored.withUnsafeBytes { try builder.append(id, stored: $0) }
                objects += 1
                bytes += stored.count
                progress?(TransferProgress(direction: .receiving, objects: objects, bytes: bytes))
            }
            guard reader.endCount == objects else {
                throw HTTPRemoteError.protocolError("the stream announced \(reader.endCount ?? -1) objects and carried \(objects)")
            }
            try builder.publish()
        } catch {
            builder.discard()
            throw error
        }
    }

    /// Reads an object from the quarantine, else from `main`.
    func read(_ id: ObjectID, main: DiskObjectStore) throws -> StoredObject {
        store.contains(id) ? try store.read(id) : try main.read(id)
    }

    /// Moves the received pack into `main`.
    func adopt(into main: DiskObjectStore) throws {
        for pack in try store.packFiles() { _ = try main.adoptPack(pack, allowLink: true) }
    }

    func remove() {
        try? FileManager.default.removeItem(atPath: folder)
    }
}

extension Repository {
    /// Checks that everything `roots` reach is in `quarantine` or in the
    /// repository's store (which holds whatever its objects reach), and that
    /// every received tree keeps the rules for paths and table names.
    func checkReceived(roots: [ObjectID], quarantine: Quarantine, main: DiskObjectStore) throws {
        try walkObjects(from: roots, read: { id in
            guard quarantine.store.contains(id) else { throw StoreError.objectNotFound(id.hex) }
            let object = try quarantine.store.read(id)
            if object.kind == .tree { try Repository.checkReceivedTree(object.payload, id: id) }
            return object
        }, stop: { main.contains($0) }) { id, leaf in
            if leaf, !quarantine.store.contains(id) { throw StoreError.objectNotFound(id.hex) }
        }
    }

    /// The objects reachable from `wants` and not from `haves` (each of
    /// which this store must contain; others are ignored), without reading
    /// everything `haves` reach: what is sent may include objects the
    /// receiver has (never fewer than it lacks), and what is read follows
    /// the change, not the data.
    ///
    /// History first: the commits (tags, transformation records) `haves`
    /// reach are walked, reading no tree; the history `wants` reach beyond
    /// them is sent. Then content: the trees of the new history against
    /// those of `haves` and of the old commits the new ones build on (files
    /// and tables the old trees hold are not sent); each new table against
    /// the old tables of the same name, its index rank by rank
    /// (`sendIndexDifference`). A node both sides hold is the same subtree:
    /// neither side goes below it, and only the nodes of a side that the
    /// other lacks are read: a 10-row change reads a few nodes per level of
    /// the table's index, whatever its size.
    func objectsToSend(wants: [ObjectID], haves: [ObjectID], store: DiskObjectStore) throws -> [ObjectID] {
        let known = haves.filter { store.contains($0) }
        func isContent(_ kind: ObjectKind) -> Bool { kind == .tree || kind == .table || kind == .index }

        // The history the receiver has (commits, tags, records; no content).
        var hadHistory = Set<ObjectID>()
        var stack = known
        while let id = stack.popLast() {
            guard !hadHistory.contains(id) else { continue }
            let object = try store.read(id)
            if isContent(object.kind) { continue }
            hadHistory.insert(id)
            switch object.kind {
            case .commit:
                let commit = try Commit(payload: object.payload, id: id)
                stack += commit.parents + commit.transforms
            default:
                stack += try objectLinks(object, id: id)
            }
        }

        // The history to send; the content it names; the old history it builds on.
        var send: [ObjectID] = []
        var seen = Set<ObjectID>()
        var wantRoots: [ObjectID] = []
        var tableNames: [ObjectID: String] = [:]  // the tables transformation records name
        var boundary = Set(known)
        stack = wants
        while let id = stack.popLast() {
            if hadHistory.contains(id) { boundary.insert(id); continue }
            guard seen.insert(id).inserted else { continue }
            let object = try store.read(id)
            if isContent(object.kind) { wantRoots.append(id); continue }
            send.append(id)
            if object.kind == ObjectKind("transform"), let json = try? JSON(parsing: String(decoding: object.payload, as: UTF8.self)) {
                for member in (json["input_tables"]?.members ?? []) + (json["output_tables"]?.members ?? []) {
                    if let table = member.value.stringValue.flatMap({ ObjectID(hex: $0) }), tableNames[table] == nil { tableNames[table] = member.key }
                }
            }
            stack += try objectLinks(object, id: id)
        }

        // The content the receiver holds at the top: that of the old history named above.
        var baseRoots: [ObjectID] = []
        for id in boundary.sorted() {
            var next: ObjectID? = id
            while let current = next {
                next = nil
                let object = try store.read(current)
                switch object.kind {
                case .commit: baseRoots.append(try Commit(payload: object.payload, id: current).tree)
                case .tag: next = try Repository.decodeTag(object.payload, id: current).commit
                case .tree, .table, .index: baseRoots.append(current)
                default: break
                }
            }
        }

        // Content. What the receiver holds at the top: the old trees, their tables and files.
        var covered = Set<ObjectID>()
        var baseTables: [String: Set<ObjectID>] = [:]
        for id in baseRoots where store.contains(id) && covered.insert(id).inserted {
            let object = try store.read(id)
            guard object.kind == .tree else { continue }
            let tree = try Tree(payload: object.payload, id: id, checkingPaths: false)
            covered.formUnion(tree.files.values)
            for (name, table) in tree.tables {
                baseTables[name, default: []].insert(table)
                covered.insert(table)
            }
        }
        // The new trees: their files, and their tables paired by name with
        // the old ones; then the tables only transformation records name
        // (a statement's intermediate versions), paired by the names they give.
        var tables: [(id: ObjectID, name: String?)] = []
        var recorded: [(id: ObjectID, name: String?)] = []
        var indexRoots: [ObjectID] = []
        for id in wantRoots.sorted() where !covered.contains(id) {
            let object = try store.read(id)
            switch object.kind {
            case .tree:
                covered.insert(id)
                send.append(id)
                let tree = try Tree(payload: object.payload, id: id, checkingPaths: false)
                for file in tree.files.values.sorted() where covered.insert(file).inserted { send.append(file) }
                tables += tree.tables.sorted { $0.key < $1.key }.map { ($0.value, $0.key) }
            case .table: recorded.append((id, tableNames[id]))
            default: indexRoots.append(id)
            }
        }
        for (id, name) in tables + recorded where covered.insert(id).inserted {
            send.append(id)
            let (schema, root) = try tableLinks(id, store: store)
            var olds: [(ObjectID, Int)] = []
            for old in (name.flatMap { baseTables[$0] } ?? []).sorted() where store.contains(old) {
                let (oldSchema, oldRoot) = try tableLinks(old, store: store)
                if let oldSchema { covered.insert(oldSchema) }
                if let oldRoot { olds.append(oldRoot) }
            }
            if let schema, covered.insert(schema).inserted { send.append(schema) }
            if let root { try sendIndexDifference(want: [root], have: olds, covered: &covered, send: &send, store: store) }
        }
        for id in indexRoots {
            try sendIndexDifference(want: [(id, try IndexNode(payload: try store.read(id).payload).level + 1)], have: [],
                                    covered: &covered, send: &send, store: store)
        }
        return send
    }

    /// A table object's schema, and its root with the root's rank (an
    /// index node of level L: L + 1; a chunk: 0).
    private func tableLinks(_ id: ObjectID, store: DiskObjectStore) throws -> (schema: ObjectID?, root: (ObjectID, Int)?) {
        let object = try store.read(id)
        guard object.kind == .table, let json = try? JSON(parsing: String(decoding: object.payload, as: UTF8.self)) else {
            throw StoreError.corruptObject(id, reason: "table object does not decode")
        }
        let schema = json["schema"]?.stringValue.flatMap { ObjectID(hex: $0) }
        let root = json["root"]?.stringValue.flatMap { ObjectID(hex: $0) }.map { root -> (ObjectID, Int) in
            let level = json["root_level"]?.intValue ?? 0
            return (root, level == 0 ? 0 : level + 1)
        }
        return (schema, root)
    }

    /// One table's index, the new version's nodes against the old
    /// versions', rank by rank from the top: at each rank the old nodes
    /// join `covered`; the new nodes not covered are sent and read for
    /// their children; the old nodes the new side lacks are read for theirs
    /// (a node both sides hold is one subtree: neither goes below it).
    /// Chunks (rank 0) are never read.
    private func sendIndexDifference(want: [(ObjectID, Int)], have: [(ObjectID, Int)], covered: inout Set<ObjectID>,
                                     send: inout [ObjectID], store: DiskObjectStore) throws {
        var wantByRank: [Int: Set<ObjectID>] = [:]
        var haveByRank: [Int: Set<ObjectID>] = [:]
        for (id, rank) in want { wantByRank[rank, default: []].insert(id) }
        for (id, rank) in have { haveByRank[rank, default: []].insert(id) }
        func children(_ id: ObjectID) throws -> [(ObjectID, Int)] {
            let node: IndexNode
            do { node = try IndexNode(payload: try store.read(id).payload) } catch let error as StoreError { throw error } catch {
                throw StoreError.corruptObject(id, reason: "index node does not decode: \(error)")
            }
            return node.entries.map { ($0.child, node.level == 1 ? 0 : node.level) }
        }
        while let top = Set(wantByRank.keys).union(haveByRank.keys).max() {
            let wanted = wantByRank.removeValue(forKey: top) ?? []
            let had = haveByRank.removeValue(forKey: top) ?? []
            if wanted.isEmpty && wantByRank.isEmpty { break }  // the old side alone: nothing below can matter
            covered.formUnion(had)
            let fresh = wanted.filter { !covered.contains($0) }.sorted()
            covered.formUnion(fresh)
            send += fresh
            guard top > 0 else { continue }
            for id in fresh { for (child, rank) in try children(id) { wantByRank[rank, default: []].insert(child) } }
            for id in had where !wanted.contains(id) && store.contains(id) {
                for (child, rank) in try children(id) { haveByRank[rank, default: []].insert(child) }
            }
        }
    }

    /// Whether `ancestor` is `commit` or reached from it by parents, reading
    /// commits through `read` (quarantine first).
    static func isAncestor(_ ancestor: ObjectID, of commit: ObjectID, read: (ObjectID) throws -> StoredObject) throws -> Bool {
        var seen = Set<ObjectID>()
        var stack = [commit]
        while let id = stack.popLast() {
            if id == ancestor { return true }
            guard seen.insert(id).inserted else { continue }
            let object = try read(id)
            guard object.kind == .commit else { continue }
            stack += try Commit(payload: object.payload, id: id).parents
        }
        return false
    }
}
