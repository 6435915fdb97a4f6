import RockyBase

/// One difference between two schemas, matched by column id.
public enum SchemaChange: Equatable, Sendable {
    case columnAdded(Column)
    case columnDropped(Column)
    case columnRenamed(id: Int, from: String, to: String)
    case columnRetyped(id: Int, name: String, from: ColumnType, to: ColumnType)
    case nullabilityChanged(id: Int, name: String, nullable: Bool)
    case governanceChanged(id: Int, name: String, from: ColumnGovernance, to: ColumnGovernance)
    case keyChanged(from: [String], to: [String])
    case timeColumnChanged(from: String?, to: String?)
    case columnsReordered(from: [String], to: [String])
    /// A column's `DEFAULT` (Rocky SQL text; nil: NULL) changed.
    case defaultChanged(id: Int, name: String, from: String?, to: String?)
    /// A UNIQUE or CHECK constraint was added (a changed one is dropped, then
    /// added): its name and its definition as `Schema.definition(of:)` gives it.
    case constraintAdded(name: String, definition: String)
    case constraintDropped(name: String, definition: String)

    /// Compares two schemas column by column id.
    public static func between(_ old: Schema, _ new: Schema) -> [SchemaChange] {
        var changes: [SchemaChange] = []
        for column in old.columns {
            guard let other = new.column(id: column.id) else { changes.append(.columnDropped(column)); continue }
            if other.name != column.name { changes.append(.columnRenamed(id: column.id, from: column.name, to: other.name)) }
            if other.type != column.type {
                changes.append(.columnRetyped(id: column.id, name: other.name, from: column.type, to: other.type))
            }
            if other.nullable != column.nullable && !new.key.contains(column.id) {
                changes.append(.nullabilityChanged(id: column.id, name: other.name, nullable: other.nullable))
            }
            if other.governance != column.governance {
                changes.append(.governanceChanged(id: column.id, name: other.name, from: column.governance, to: other.governance))
            }
            if other.defaultValue != column.defaultValue {
                changes.append(.defaultChanged(id: column.id, name: other.name, from: column.defaultValue, to: other.defaultValue))
            }
        }
        for column in new.columns where old.column(id: column.id) == nil { changes.append(.columnAdded(column)) }
        if old.key != new.key { changes.append(.keyChanged(from: old.keyColumnNames, to: new.keyColumnNames)) }
        if old.timeColumn != new.timeColumn {
            changes.append(.timeColumnChanged(from: old.timeColumnName, to: new.timeColumnName))
        }
        let shared = old.columns.map(\.id).filter { new.column(id: $0) != nil }
        let sharedInNew = new.columns.map(\.id).filter { old.column(id: $0) != nil }
        if shared != sharedInNew {
            changes.append(.columnsReordered(from: old.columns.map(\.name), to: new.columns.map(\.name)))
        }
        // A constraint whose columns went with a dropped column is listed as dropped too.
        for constraint in old.constraints where !new.constraints.contains(constraint) {
            changes.append(.constraintDropped(name: constraint.name, definition: old.definition(of: constraint)))
        }
        for constraint in new.constraints where !old.constraints.contains(constraint) {
            changes.append(.constraintAdded(name: constraint.name, definition: new.definition(of: constraint)))
        }
        return changes
    }
}

extension Schema {
    /// A constraint as SQL: `UNIQUE (a, b)` or `CHECK (condition)`.
    public func definition(of constraint: TableConstraint) -> String {
        if let condition = constraint.checkCondition { return "CHECK (\(condition))" }
        return "UNIQUE (" + constraint.columns.map { column(id: $0)?.name ?? "#\($0)" }.joined(separator: ", ") + ")"
    }
}
