import RockyBase
import RockySQL
import RockyTable

/// The rows of a query, streamed straight from SQLite, typed by the IR's
/// output columns.
///
/// While a result is open its adapter runs nothing else (`execute` throws
/// `EngineError.resultStillOpen`): read it to the end (`next()` returns nil,
/// which closes it) or call `close()`. Dropping the last reference closes it
/// too. The rows are those of one consistent snapshot of the table cache.
public final class QueryResult: Sequence, IteratorProtocol {
    /// The output columns: names and Rocky types, in order.
    public let columns: [OutputColumn]
    private var statement: PreparedStatement?
    private var hasPendingRow: Bool
    private var onClose: (() -> Void)?
    /// The first error met by iteration as a `Sequence` (which cannot throw).
    public private(set) var error: Error?

    init(columns: [OutputColumn], statement: PreparedStatement, hasPendingRow: Bool, onClose: @escaping () -> Void) {
        self.columns = columns
        self.statement = statement
        self.hasPendingRow = hasPendingRow
        self.onClose = onClose
        if !hasPendingRow { close() }
    }

    deinit { close() }

    public var columnNames: [String] { columns.map(\.name) }
    public var isClosed: Bool { statement == nil }

    /// The next row, values in column order; nil at the end (the result is then closed).
    public func nextRow() throws -> [Value]? {
        guard let statement, hasPendingRow else { return nil }
        do {
            var row: [Value] = []
            row.reserveCapacity(columns.count)
            for (i, column) in columns.enumerated() {
                row.append(try Representation.read(statement, Int32(i), type: column.type,
                                                   place: Representation.Place(table: "result", column: column.name)))
            }
            hasPendingRow = try statement.step()
            if !hasPendingRow { close() }
            return row
        } catch let error as SQLiteError {
            close()
            throw EngineError.sqlite(error)
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

    /// Stops reading and releases the adapter. Safe to call more than once.
    public func close() {
        guard statement != nil || onClose != nil else { return }
        statement = nil
        hasPendingRow = false
        let callback = onClose
        onClose = nil
        callback?()
    }
}
