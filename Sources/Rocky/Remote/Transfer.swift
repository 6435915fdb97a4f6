import RockyBase
import RockyStore
import RockyTable

/// What moving objects between two stores did.
public struct TransferStats: Equatable, Sendable {
    /// Objects that arrived (each verified against its id).
    public var objects = 0
    /// Bytes of stored (compressed) objects that arrived, linked or copied.
    public var bytes = 0
    /// Whole packs taken over (hard-linked, or copied across file systems).
    public var packsLinked = 0
    public var packsCopied = 0
    /// Objects written into a new pack (from loose files or parts of packs).
    public var objectsRepacked = 0

    public init() {}
}

extension Repository {
    /// The objects an object refers to, split into those that may refer to
    /// more (read them to go on) and leaves known to refer to nothing, which
    /// a walk need not read: the chunks under a level-1 index node or a
    /// level-0 table root, a table's schema, a tree's project files. Reading
    /// only the inner nodes, a walk over a 10M-row table reads ~1% of its bytes.
    func splitLinks(_ object: StoredObject, id: ObjectID) throws -> (nodes: [ObjectID], leaves: [ObjectID]) {
        switch object.kind {
        case .index:
            let node: IndexNode
            do { node = try IndexNode(payload: object.payload) } catch {
                throw StoreError.corruptObject(id, reason: "index node does not decode: \(error)")
            }
            let children = node.entries.map(\.child)
            return node.level == 1 ? ([], children) : (children, [])
        case .table:
            guard let json = try? JSON(parsing: String(decoding: object.payload, as: UTF8.self)) else {
                throw StoreError.corruptObject(id, reason: "table object does not decode")
            }
            var leaves: [ObjectID] = []
            var nodes: [ObjectID] = []
            if let schema = json["schema"]?.stringValue.flatMap({ ObjectID(hex: $0) }) { leaves.append(schema) }
            if let root = json["root"]?.stringValue.flatMap({ ObjectID(hex: $0) }) {
                if json["root_level"]?.intValue == 0 { leaves.append(root) } else { nodes.append(root) }
            }
            return (nodes, leaves)
        case .tree:
            let tree = try Tree(payload: object.payload, id: id, checkingPaths: false)
            return (Array(tree.tables.values), Array(tree.files.values))
        default:
            return (try objectLinks(object, id: id), [])
        }
    }

    /// Walks everything reachable from `roots`: reads inner objects through
    /// `read` (which verifies them; nil: go no further below this one),
    /// calls `visit` once per object reached
    /// (with whether it is a leaf that was not read), and does not go below
    /// an object for which `stop` is true (`visit` is not called for it).
    func walkObjects(from roots: [ObjectID], read: (ObjectID) throws -> StoredObject?, stop: (ObjectID) -> Bool,
                     visit: (ObjectID, _ leaf: Bool) throws -> Void) throws {
        var seen = Set<ObjectID>()
        var stack: [ObjectID] = []
        for root in roots where seen.insert(root).inserted && !stop(root) { stack.append(root) }
        while let id = stack.popLast() {
            try visit(id, false)
            guard let object = try read(id) else { continue }
            let (nodes, leaves) = try splitLinks(object, id: id)
            for leaf in leaves where seen.insert(leaf).inserted && !stop(leaf) { try visit(leaf, true) }
            for node in nodes where seen.insert(node).inserted && !stop(node) { stack.append(node) }
        }
    }

    /// Copies into `destination` every object reachable from `roots` in
    /// `source` that `destination` lacks, walking from the roots and stopping
    /// at objects it has (it holds what those reach: no `gc` runs in
    /// `destination` meanwhile, see `holdCollectorOff`).
    ///
    /// Every object is verified against its id before it becomes visible
    /// here, and all are durable when this returns, before any ref can point
    /// at them: a pack of the source whose
    /// objects are all wanted is hard-linked (copied across file systems)
    /// under a temporary name and verified whole; everything else is
    /// verified and copied, as stored (no recompression), into one new pack.
    /// A corrupt object throws `corruptObject` naming it, a tree with an
    /// unsafe path or table name `unsafePath`, and nothing is added.
    func transferObjects(from source: DiskObjectStore, to destination: DiskObjectStore, roots: [ObjectID],
                         allowLinks: Bool = true) throws -> TransferStats {
        destination.holdCollectorOff()
        destination.holdWriteGuard()
        var missing: [ObjectID] = []
        // Every tree that arrives is checked before anything is added: a path
        // that would leave the working directory refuses the whole transfer.
        try walkObjects(from: roots, read: { id in
            let object = try source.read(id)
            if object.kind == .tree { try Repository.checkReceivedTree(object.payload, id: id) }
            return object
        }, stop: { destination.contains($0) }) { id, _ in
            missing.append(id)
        }
        var stats = TransferStats()
        guard !missing.isEmpty else { return stats }

        var loose: [ObjectID] = []
        var byPack: [String: [ObjectID]] = [:]
        for id in missing {
            switch source.storedForm(of: id) {
            case .loose?: loose.append(id)
            case let .packed(pack, _, _)?: byPack[pack, default: []].append(id)
            case nil: throw StoreError.objectNotFound(id.hex)
            }
        }
        let packs = Dictionary(try source.packFiles().map { ($0.packPath, $0) }, uniquingKeysWith: { a, _ in a })
        var whole: [PackFile] = []
        var partial: [ObjectID] = loose
        for (path, ids) in byPack.sorted(by: { $0.key < $1.key }) {
            if let pack = packs[path], pack.count == ids.count {
                whole.append(pack)
            } else {
                partial += ids
            }
        }
        let builder = try PackBuilder(store: destination)
        do {
            for id in partial {
                let (stored, _) = try source.verifiedStoredBytes(id)
                try builder.append(id, stored: stored)
                stats.bytes += stored.count
            }
            stats.objectsRepacked = builder.count
            for pack in whole {
                let adopted = try destination.adoptPack(pack, allowLink: allowLinks)
                if adopted.linked { stats.packsLinked += 1 } else { stats.packsCopied += 1 }
                stats.bytes += pack.size
            }
            try builder.publish()
        } catch {
            builder.discard()
            throw error
        }
        stats.objects = missing.count
        return stats
    }
}
