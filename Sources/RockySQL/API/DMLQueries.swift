/// A DML statement as the pieces of queries, for an engine whose tables
/// cannot be updated in place (Spark's own tables take INSERT but neither
/// UPDATE nor DELETE): the backend reads the rows it changes and their new
/// images with SELECTs over the target, so every engine changes a table the
/// same way (`ChangeCollector`). Expressions are in the dialect asked for
/// and qualify the target's columns with `alias`.
public enum DMLQueries: Sendable, Equatable {
    /// `INSERT INTO target (columns) source`: `source`'s columns are, by
    /// position, the values of `columns` (already of their types); the other
    /// columns of the target are NULL.
    case insert(columns: [String], source: String)
    /// `UPDATE target AS alias SET column = value ... WHERE condition`
    /// (nil: every row). An assignment's value is already of its column's type.
    case update(alias: String, assignments: [(column: String, value: String)], condition: String?)
    /// `DELETE FROM target AS alias WHERE condition` (nil: every row).
    case delete(alias: String, condition: String?)

    public static func == (a: DMLQueries, b: DMLQueries) -> Bool {
        switch (a, b) {
        case let (.insert(c1, s1), .insert(c2, s2)): c1 == c2 && s1 == s2
        case let (.update(a1, v1, w1), .update(a2, v2, w2)):
            a1 == a2 && w1 == w2 && v1.map(\.column) == v2.map(\.column) && v1.map(\.value) == v2.map(\.value)
        case let (.delete(a1, w1), .delete(a2, w2)): a1 == a2 && w1 == w2
        default: false
        }
    }
}

extension CompiledStatement {
    /// The statement as `DMLQueries` in `dialect`; nil when it is not DML.
    public func dmlQueries(for dialect: Dialect) -> DMLQueries? {
        var emitter = SQLEmitter(dialect: dialect, statement: ir)
        switch ir {
        case let .insert(insert):
            return .insert(columns: insert.columns, source: emitter.query(insert.source))
        case let .update(update):
            return .update(alias: update.target.alias,
                           assignments: update.assignments.map { (column: $0.column, value: emitter.expr($0.value)) },
                           condition: update.whereClause.map { emitter.expr($0) })
        case let .delete(delete):
            return .delete(alias: delete.target.alias, condition: delete.whereClause.map { emitter.expr($0) })
        default:
            return nil
        }
    }
}
