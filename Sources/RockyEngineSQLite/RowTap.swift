import CSQLite
import RockyEngine
import RockyTable

/// `rocky_tap(c1, ..., cn)`: a SQL function, registered for one statement,
/// that hands every row passing through it to a `TreeFeed` and returns its
/// first argument. CREATE TABLE AS runs
/// `INSERT INTO staging SELECT rocky_tap(c1, ..., cn), c2, ..., cn FROM (query)`,
/// so SQLite fills the cached copy while the tree is being built from the
/// same rows, in one pass.
final class RowTap {
    let feed: TreeFeed
    let encoder: RowEncoder
    /// The argument returned: a column that is not TEXT when there is one,
    /// so returning it copies no string.
    let passThrough: Int
    /// The Swift error behind a failed call (SQLite only keeps its message).
    private(set) var error: Error?

    static let name = "rocky_tap"
    /// SQLite functions take at most 127 arguments; wider tables are built in two passes.
    static let maximumArity = 127

    init(feed: TreeFeed, encoder: RowEncoder, schema: Schema) {
        self.feed = feed
        self.encoder = encoder
        passThrough = schema.columns.firstIndex { $0.type != .text } ?? 0
    }

    /// The SELECT list that taps every row: the columns, with the
    /// pass-through one replaced by `rocky_tap(all columns)`.
    func projection(_ names: [String]) -> String {
        var items = names
        items[passThrough] = "\(RowTap.name)(\(names.joined(separator: ", ")))"
        return items.joined(separator: ", ")
    }

    /// Runs `body` with the function registered on `connection` for `arity` arguments.
    func attached<R>(to connection: Connection, arity: Int, _ body: () throws -> R) throws -> R {
        let context = Unmanaged.passUnretained(self).toOpaque()
        let code = sqlite3_create_function_v2(connection.handle, RowTap.name, Int32(arity), SQLITE_UTF8, context, { context, count, arguments in
            guard let arguments else { return sqlite3_result_null(context) }
            // The tap outlives the statement (`attached` keeps it alive): no retain per row.
            Unmanaged<RowTap>.fromOpaque(sqlite3_user_data(context)!)._withUnsafeGuaranteedRef { tap in
                do {
                    let cells = ArgumentCells(arguments: arguments)
                    try tap.feed.add { key, value in try tap.encoder.encode(cells, key: &key, value: &value) }
                    sqlite3_result_value(context, arguments[tap.passThrough])
                } catch {
                    tap.error = error
                    sqlite3_result_error(context, "\(error)", -1)
                }
            }
        }, nil, nil, nil)
        guard code == SQLITE_OK else { throw connection.error(code, sql: "register \(RowTap.name)") }
        defer { sqlite3_create_function_v2(connection.handle, RowTap.name, Int32(arity), SQLITE_UTF8, nil, nil, nil, nil, nil) }
        return try withExtendedLifetime(self) { try body() }
    }
}
