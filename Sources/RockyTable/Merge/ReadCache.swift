import Dispatch
import RockyStore
import Synchronization

/// An object store that remembers what it recently read from another.
///
/// A merge reads the same nodes several times: the base's in both diffs,
/// ours' in its diff and again in the editor that builds the result, all
/// walking forward in key order. Keeping the last few megabytes read (oldest
/// dropped first) saves those reads, their decompression and their hash
/// check, without ever holding a table. Writes and everything else go
/// straight through. Safe to share between threads: an object two threads
/// want at once is read by one, the other waits for it.
final class ReadCache: ObjectStore, Sendable {
    private let base: any ObjectStore
    private let capacity: Int
    private struct State {
        var objects: [ObjectID: StoredObject] = [:]
        /// Oldest first: the order objects are dropped in.
        var order = FIFO<ObjectID>()
        var bytes = 0
        /// Objects a thread is reading now: others wait for it rather than read them too.
        var loading: [ObjectID: DispatchGroup] = [:]
    }
    private let state = Mutex(State())

    init(_ base: any ObjectStore, capacity: Int = 32 << 20) {
        self.base = base
        self.capacity = capacity
    }

    func read(_ id: ObjectID) throws -> StoredObject {
        enum Step { case hit(StoredObject), wait(DispatchGroup), load(DispatchGroup) }
        while true {
            let step = state.withLock { s -> Step in
                if let hit = s.objects[id] { return .hit(hit) }
                if let loading = s.loading[id] { return .wait(loading) }
                let loading = DispatchGroup()
                loading.enter()
                s.loading[id] = loading
                return .load(loading)
            }
            switch step {
            case let .hit(object):
                return object
            case let .wait(loading):
                // Another thread is reading it: wait, then look again (read
                // it here when that read failed).
                loading.wait()
            case let .load(loading):
                defer {
                    state.withLock { _ = $0.loading.removeValue(forKey: id) }
                    loading.leave()
                }
                let object = try base.read(id)
                state.withLock { s in remember(id, object, in: &s) }
                return object
            }
        }
    }

    private func remember(_ id: ObjectID, _ object: StoredObject, in s: inout State) {
        guard s.objects[id] == nil else { return }
        s.objects[id] = object
        s.order.append(id)
        s.bytes += object.payload.count
        while s.bytes > capacity, let old = s.order.popFirst() {
            if let dropped = s.objects.removeValue(forKey: old) { s.bytes -= dropped.payload.count }
        }
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
