import Dispatch
import RockyEngine
import RockyStore
import RockyTable
import Synchronization

/// Reads a tree's chunks ahead on a background queue (reading an object
/// inflates and verifies it), a few at a time, in order.
final class ChunkPrefetcher: @unchecked Sendable {
    private let queue = DispatchQueue(label: "rocky.engine.chunk-prefetch")
    private let reader: TreeReader
    private var ids: [ObjectID]
    private var results: [Int: Result<Chunk, Error>] = [:]
    private let lock = Mutex(())
    private let ready = DispatchSemaphore(value: 0)
    private var next = 0
    private var requested = 0
    static let depth = 4

    init(store: any ObjectStore, root: TreeRoot?) throws {
        reader = TreeReader(store: store)
        ids = try reader.chunkIDs(root)
        while requested < min(ChunkPrefetcher.depth, ids.count) { request() }
    }

    private func request() {
        let index = requested, id = ids[index]
        requested += 1
        queue.async {
            let result = Result { try self.reader.chunk(id) }
            self.lock.withLock { _ in self.results[index] = result }
            self.ready.signal()
        }
    }

    /// The next chunk in tree order; nil after the last.
    func nextChunk() throws -> Chunk? {
        guard next < ids.count else { return nil }
        while true {
            let result = lock.withLock { _ in results.removeValue(forKey: next) }
            if let result {
                next += 1
                if requested < ids.count { request() }
                return try result.get()
            }
            ready.wait()
        }
    }

    /// Waits for the chunks still being read (so nothing runs after the load).
    func cancel() {
        queue.sync {}
    }
}
