import RockyStore
import Synchronization

/// An object store that remembers what it recently read from another.
///
/// A merge reads the same nodes several times: the base's in both diffs,
/// ours' in its diff and again in the editor that builds the result, all
/// walking forward in key order. Keeping the last few megabytes read (oldest
/// dropped first) saves those reads, their decompression and their hash
/// check, without ever holding a table. Writes and everything else go
/// straight through.
final class ReadCache: ObjectStore, Sendable {
    private let base: any ObjectStore
    private let capacity: Int
    private struct State {
        var objects: [ObjectID: StoredObject] = [:]
        var order: [ObjectID] = []
        var head = 0
        var bytes = 0
    }
    private let state = Mutex(State())

    init(_ base: any ObjectStore, capacity: Int = 32 << 20) {
        self.base = base
        self.capacity = capacity
    }

    func read(_ id: ObjectID) throws -> StoredObject {
        if let hit = state.withLock({ $0.objects[id] }) { return hit }
        let object = try base.read(id)
        state.withLock { s in
            guard s.objects[id] == nil else { return }
            s.objects[id] = object
            s.order.append(id)
            s.bytes += object.payload.count
            while s.bytes > capacity, s.head < s.order.count {
                if let old = s.objects.removeValue(forKey: s.order[s.head]) { s.bytes -= old.payload.count }
                s.head += 1
            }
            if s.head > 4096 {
                s.order.removeFirst(s.head)
                s.head = 0
            }
        }
        return object
    }

    func write(_ kind: ObjectKind, _ payload: [UInt8]) throws -> ObjectID { try base.write(kind, payload) }

    func write(_ kind: ObjectKind, _ payload: [UInt8], id: ObjectID) throws -> Bool { try base.write(kind, payload, id: id) }

    func write(_ kind: ObjectKind, size: Int, produce: () throws -> [UInt8]) throws -> ObjectID {
        try base.write(kind, size: size, produce: produce)
    }

    func stream(_ id: ObjectID, _ consume: (UnsafeRawBufferPointer) throws -> Void) throws -> ObjectKind {
        try base.stream(id, consume)
    }

    func header(_ id: ObjectID) throws -> (kind: ObjectKind, size: Int) { try base.header(id) }

    func contains(_ id: ObjectID) -> Bool { base.contains(id) }

    func ids(withPrefix prefix: String) throws -> [ObjectID] { try base.ids(withPrefix: prefix) }

    func batch<R>(_ body: () throws -> R) throws -> R { try base.batch(body) }
}
