import RockyBase
import RockySQL
import RockyTable

/// Where a `RowStream`'s rows come from: a backend's cursor.
///
/// `nextRow` returns the next row typed by the stream's columns (nil at the
/// end); `close` releases the engine (ends its read transaction, frees the
/// cursor) and is called exactly once, by the stream.
public protocol RowSource: AnyObject {
    func nextRow(columns: [OutputColumn]) throws -> [Value]?
    func close()
}

/// The rows of a query, streamed from the engine, typed by the IR's output
/// columns: the same type whatever the engine.
///
/// While a stream is open its backend runs nothing else (every operation
/// throws `EngineError.resultStillOpen`): read it to the end (`nextRow()`
/// returns nil, which closes it) or call `close()`. Dropping the last
/// reference closes it too. The rows are those of one consistent snapshot.
public final class RowStream: Sequence, IteratorProtocol {
    /// The output columns: names and Rocky types, in order.
    public let columns: [OutputColumn]
    private var source: (any RowSource)?
    /// The first error met by iteration as a `Sequence` (which cannot throw).
    public private(set) var error: Error?

    /// `exhausted`: the source is known to have no row (the stream starts closed).
    public init(columns: [OutputColumn], source: any RowSource, exhausted: Bool = false) {
        self.columns = columns
        self.source = source
        if exhausted { close() }
    }

    deinit { close() }

    public var columnNames: [String] { columns.map(\.name) }
    public var isClosed: Bool { source == nil }

    /// The next row, values in column order; nil at the end (the stream is then closed).
    public func nextRow() throws -> [Value]? {
        guard let source else { return nil }
        do {
            guard let row = try source.nextRow(columns: columns) else {
                close()
                return nil
            }
            return row
        } catch {
            close()
            throw error
        }
    }

    /// `Sequence` iteration: stops at the end or at the first error (see `error`).
    public func next() -> [Value]? {
        do { return try nextRow() } catch {
            self.error = error
            return nil
        }
    }

    /// Every remaining row (for small results and tests).
    public func all() throws -> [[Value]] {
        var rows: [[Value]] = []
        while let row = try nextRow() { rows.append(row) }
        return rows
    }

    /// Stops reading and releases the engine. Safe to call more than once.
    public func close() {
        guard let source else { return }
        self.source = nil
        source.close()
    }
}
