import Dispatch
import RockyStore
import Synchronization

/// An object store that writes on a background queue: `write` computes the
/// id, queues the payload for the underlying store (which compresses and
/// stores it) and returns at once, so a tree builder hashes the next chunk
/// while the previous one is compressed. At most `depth` writes wait.
///
/// `drain()` waits for every queued write and rethrows the first failure;
/// the engine drains before a statement returns, inside the caller's batch,
/// so the batch's guarantees (durable together, nothing left on failure)
/// are those of the underlying store. Reads drain first.
///
/// Only the writer queue touches the underlying store while writes are in
/// flight (a store's own write path need not be safe against a concurrent
/// `contains`). So `contains` answers for the objects written through this
/// wrapper only, which is what a `TreeBuilder` asks it for (not to write a
/// chunk twice); whether an object existed already in the underlying store
/// is decided on the writer queue, which counts the new ones
/// (`newObjects`, `newBytes`).
final class PipelinedStore: ObjectStore, Sendable {
    let base: any ObjectStore
    private let queue = DispatchQueue(label: "rocky.engine.object-writer")
    private let slots: DispatchSemaphore
    /// Ids queued and not yet written, and the first failure.
    private let state = Mutex<(seen: Set<ObjectID>, failure: StoreErrorBox?, newObjects: Int, newBytes: Int)>(([], nil, 0, 0))

    init(_ base: any ObjectStore, depth: Int = 8) {
        self.base = base
        slots = DispatchSemaphore(value: depth)
    }

    @discardableResult
    func write(_ kind: ObjectKind, _ payload: [UInt8]) throws -> ObjectID {
        let id = objectID(kind, payload)
        try write(kind, payload, id: id)
        return id
    }

    /// Queues the write; whether the object is new to the underlying store
    /// is only known on the writer queue, so this returns whether it was
    /// new to this wrapper.
    @discardableResult
    func write(_ kind: ObjectKind, _ payload: [UInt8], id: ObjectID) throws -> Bool {
        let queued = state.withLock { $0.seen.insert(id).inserted }
        guard queued else { return false }
        slots.wait()
        queue.async {
            do {
                if try self.base.write(kind, payload, id: id) {
                    self.state.withLock {
                        $0.newObjects += 1
                        $0.newBytes += payload.count
                    }
                }
            } catch {
                self.state.withLock { if $0.failure == nil { $0.failure = StoreErrorBox(error: error) } }
            }
            self.slots.signal()
        }
        return true
    }

    /// Objects and payload bytes that were new to the underlying store (read after `drain`).
    var written: (objects: Int, bytes: Int) { state.withLock { ($0.newObjects, $0.newBytes) } }

    /// Waits for every queued write; throws the first failure.
    func drain() throws {
        queue.sync {}
        if let failure = state.withLock({ $0.failure }) { throw failure.error }
    }

    @discardableResult
    func write(_ kind: ObjectKind, size: Int, produce: () throws -> [UInt8]) throws -> ObjectID {
        try drain()
        return try base.write(kind, size: size, produce: produce)
    }

    func read(_ id: ObjectID) throws -> StoredObject {
        try drain()
        return try base.read(id)
    }

    func stream(_ id: ObjectID, _ consume: (UnsafeRawBufferPointer) throws -> Void) throws -> ObjectKind {
        try drain()
        return try base.stream(id, consume)
    }

    func header(_ id: ObjectID) throws -> (kind: ObjectKind, size: Int) {
        try drain()
        return try base.header(id)
    }

    /// Whether the object was written through this wrapper (see the type comment).
    func contains(_ id: ObjectID) -> Bool {
        state.withLock { $0.seen.contains(id) }
    }

    func ids(withPrefix prefix: String) throws -> [ObjectID] {
        try drain()
        return try base.ids(withPrefix: prefix)
    }

    func batch<R>(_ body: () throws -> R) throws -> R {
        try base.batch {
            let result = try body()
            try drain()
            return result
        }
    }
}

/// An error carried across threads.
struct StoreErrorBox: @unchecked Sendable {
    let error: Error
}
