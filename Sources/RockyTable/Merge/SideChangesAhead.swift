import Dispatch
import RockyStore
import Synchronization

/// A `SideChanges` computed on a queue of its own, ahead of its reader, so
/// that a merge diffs its two sides on two cores: reading a changed chunk
/// (inflating it and checking its hash) is most of a small merge's work, and
/// the base's chunks, read by both diffs, are then mostly read once, by
/// whichever side gets there first (`ReadCache`).
///
/// At most `limit` changes (or `byteLimit` bytes of them) wait to be read;
/// beyond that the producer waits. `stop()` must be called when the reader is
/// done, early or not: it returns once the producer no longer touches the
/// store.
final class SideChangesAhead: @unchecked Sendable {
    private enum Item {
        case change(SideChange)
        case end
        case failure(Error)
    }

    private struct State {
        var items = FIFO<Item>()
        var bytes = 0
        var stopped = false
        var nodesRead = 0
    }

    static let limit = 256
    static let byteLimit = 8 << 20

    private let state = Mutex(State())
    /// Counts the items ready to be taken.
    private let ready = DispatchSemaphore(value: 0)
    /// Signalled when the reader takes an item or stops.
    private let taken = DispatchSemaphore(value: 0)
    private let exited = DispatchGroup()
    private var finished = false

    init(_ changes: SideChanges) {
        let box = ChangesBox(changes)
        exited.enter()
        DispatchQueue(label: "rocky.merge.side-changes").async { [self] in
            produce(&box.changes)
            exited.leave()
        }
    }

    private func produce(_ changes: inout SideChanges) {
        defer { state.withLock { $0.nodesRead = changes.nodesRead } }
        while true {
            // Wait for room (or for the reader to stop).
            while true {
                let (room, stopped) = state.withLock { s in
                    (s.items.count < Self.limit && s.bytes < Self.byteLimit, s.stopped)
                }
                if stopped { return }
                if room { break }
                taken.wait()
            }
            let item: Item
            do {
                item = try changes.next().map(Item.change) ?? .end
            } catch {
                item = .failure(error)
            }
            state.withLock { s in
                if case let .change(c) = item { s.bytes += c.byteCount }
                s.items.append(item)
            }
            ready.signal()
            if case .change = item { continue }
            return
        }
    }

    /// The next change, in key order, as `SideChanges.next()` gives it.
    func next() throws -> SideChange? {
        guard !finished else { return nil }
        ready.wait()
        // `ready` counts the items appended, so one is there.
        let item = state.withLock { s -> Item in
            let item = s.items.popFirst()!
            if case let .change(c) = item { s.bytes -= c.byteCount }
            return item
        }
        taken.signal()
        switch item {
        case let .change(c): return c
        case .end:
            finished = true
            return nil
        case let .failure(error):
            finished = true
            throw error
        }
    }

    /// Stops the producer and waits until it has left the store alone.
    func stop() {
        state.withLock { $0.stopped = true }
        taken.signal()
        exited.wait()
    }

    /// The objects the producer read (complete once `stop()` returned).
    var nodesRead: Int { state.withLock { $0.nodesRead } }
}

/// Hands the producer its `SideChanges` (used by that queue alone).
private final class ChangesBox: @unchecked Sendable {
    var changes: SideChanges
    init(_ changes: SideChanges) { self.changes = changes }
}

extension SideChange {
    var byteCount: Int { key.count + (base?.count ?? 0) + (side?.count ?? 0) }
}
