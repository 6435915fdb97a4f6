import Synchronization

/// An object store in memory, behind the same contract as the loose store:
/// the test double for everything above RockyStore.
public final class MemoryObjectStore: ObjectStore, Sendable {
    private let objects = Mutex<[ObjectID: StoredObject]>([:])
    /// Batch depth and the ids first written in the current batch.
    private let batchState = Mutex<(depth: Int, written: [ObjectID])>((0, []))

    public init() {}

    @discardableResult
    public func write(_ kind: ObjectKind, _ payload: [UInt8]) throws -> ObjectID {
        let id = objectID(kind, payload)
        try write(kind, payload, id: id)
        return id
    }

    @discardableResult
    public func write(_ kind: ObjectKind, _ payload: [UInt8], id: ObjectID) throws -> Bool {
        let isNew = objects.withLock { objects -> Bool in
            guard objects[id] == nil else { return false }
            objects[id] = StoredObject(kind: kind, payload: payload)
            return true
        }
        if isNew { batchState.withLock { if $0.depth > 0 { $0.written.append(id) } } }
        return isNew
    }

    @discardableResult
    public func write(_ kind: ObjectKind, size: Int, produce: () throws -> [UInt8]) throws -> ObjectID {
        var payload: [UInt8] = []
        while true {
            let piece = try produce()
            if piece.isEmpty { break }
            payload += piece
        }
        guard payload.count == size else {
            throw StoreError.malformed(path: "(memory)", reason: "streamed payload has \(payload.count) bytes, \(size) were announced")
        }
        return try write(kind, payload)
    }

    public func read(_ id: ObjectID) throws -> StoredObject {
        guard let object = objects.withLock({ $0[id] }) else { throw StoreError.objectNotFound(id.hex) }
        let actual = objectID(object.kind, object.payload)
        guard actual == id else { throw StoreError.corruptObject(id, reason: "its content hashes to \(actual.hex)") }
        return object
    }

    @discardableResult
    public func stream(_ id: ObjectID, _ consume: (UnsafeRawBufferPointer) throws -> Void) throws -> ObjectKind {
        let object = try read(id)
        try object.payload.withUnsafeBytes { try consume($0) }
        return object.kind
    }

    public func header(_ id: ObjectID) throws -> (kind: ObjectKind, size: Int) {
        let object = try read(id)
        return (object.kind, object.payload.count)
    }

    public func contains(_ id: ObjectID) -> Bool { objects.withLock { $0[id] != nil } }

    public func ids(withPrefix prefix: String) throws -> [ObjectID] {
        objects.withLock { $0.keys.filter { $0.hex.hasPrefix(prefix) } }.sorted()
    }

    /// As in the loose store, a batch that throws leaves no object behind.
    public func batch<R>(_ body: () throws -> R) throws -> R {
        batchState.withLock { $0.depth += 1 }
        do {
            let result = try body()
            batchState.withLock { state in
                state.depth -= 1
                if state.depth == 0 { state.written = [] }
            }
            return result
        } catch {
            let abandoned = batchState.withLock { state -> [ObjectID] in
                state.depth -= 1
                guard state.depth == 0 else { return [] }
                defer { state.written = [] }
                return state.written
            }
            objects.withLock { objects in for id in abandoned { objects[id] = nil } }
            throw error
        }
    }

    /// Replaces a stored payload without changing its id: for corruption tests.
    public func corrupt(_ id: ObjectID, payload: [UInt8]) {
        objects.withLock { if let old = $0[id] { $0[id] = StoredObject(kind: old.kind, payload: payload) } }
    }
}
