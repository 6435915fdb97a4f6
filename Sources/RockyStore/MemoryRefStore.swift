import Synchronization

/// Refs in memory, behind the same compare-and-swap contract as the files.
public final class MemoryRefStore: RefStore, Sendable {
    private struct State {
        var refs: [RefName: ObjectID] = [:]
        var head: Head
        var logs: [String: [ReflogEntry]] = [:]
    }

    private let state: Mutex<State>

    public init(head: Head = .branch(try! RefName.branch("main"))) {
        state = Mutex(State(head: head))
    }

    public func read(_ ref: RefName) throws -> ObjectID? { state.withLock { $0.refs[ref] } }

    public func update(_ ref: RefName, from expected: ObjectID?, to new: ObjectID?, note: RefNote) throws {
        try state.withLock { state in
            let current = state.refs[ref]
            guard current == expected else { throw StoreError.refMoved(ref: ref.path, expected: expected, actual: current) }
            state.refs[ref] = new
            state.logs[ref.path, default: []].append(ReflogEntry(old: current, new: new, note: note))
        }
    }

    public func update(_ changes: [RefChange], note: RefNote) throws {
        try state.withLock { state in
            for change in changes where state.refs[change.ref] != change.expected {
                throw StoreError.refMoved(ref: change.ref.path, expected: change.expected, actual: state.refs[change.ref])
            }
            for change in changes where change.new != change.expected {
                state.refs[change.ref] = change.new
                state.logs[change.ref.path, default: []].append(ReflogEntry(old: change.expected, new: change.new, note: note))
            }
        }
    }

    public func list(prefix: String) throws -> [(name: RefName, id: ObjectID)] {
        state.withLock { $0.refs.filter { $0.key.path.hasPrefix(prefix) }.map { (name: $0.key, id: $0.value) } }
            .sorted { $0.name < $1.name }
    }

    public func head() throws -> Head { state.withLock { $0.head } }

    public func setHead(_ head: Head, note: RefNote) throws {
        state.withLock { state in
            func resolve(_ h: Head) -> ObjectID? {
                switch h {
                case let .branch(ref): state.refs[ref]
                case let .detached(id): id
                }
            }
            state.logs["HEAD", default: []].append(ReflogEntry(old: resolve(state.head), new: resolve(head), note: note))
            state.head = head
        }
    }

    public func reflog(_ name: String) throws -> [ReflogEntry] { state.withLock { $0.logs[name] ?? [] } }
}
