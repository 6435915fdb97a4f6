import RockyBase

/// A catalog with a script's own schema changes layered over another one.
///
/// Statements later in a script must see tables created earlier in it; the
/// compiler applies each compiled DDL statement to an overlay before
/// compiling the next. Columns created here get provisional ids (1, 2, ...
/// per new table; the largest id plus one for ADD COLUMN); the table store
/// assigns the real ones when it runs the statement. A renamed column keeps
/// its id.
public struct CatalogOverlay: Catalog {
    public let base: any Catalog
    /// Lowercased name -> the table now, or nil when dropped.
    private var changes: [String: CatalogTable?] = [:]

    public init(_ base: any Catalog) {
        self.base = base
    }

    public func table(named name: String) -> CatalogTable? {
        if let changed = changes[name.lowercased()] { return changed }
        return base.table(named: name)
    }

    public var tableNames: [String] {
        var names = Set(base.tableNames.map { $0.lowercased() })
        var spelled: [String: String] = [:]
        for name in base.tableNames { spelled[name.lowercased()] = name }
        for (key, table) in changes {
            if let table { names.insert(key); spelled[key] = table.name } else { names.remove(key) }
        }
        return names.map { spelled[$0] ?? $0 }.sorted()
    }

    /// Applies the effect of a compiled statement: CREATE TABLE [AS], DROP
    /// TABLE and ALTER TABLE change the overlay; anything else does nothing.
    public mutating func apply(_ statement: CompiledStatement) {
        apply(statement.ir, lineage: statement.lineage)
        if statement.kind == .createTableAs, let name = statement.targetTable, var table = table(named: name) {
            table.primaryKey = statement.resultKey
            for i in table.columns.indices where table.primaryKey.contains(table.columns[i].name) { table.columns[i].nullable = false }
            changes[name.lowercased()] = table
        }
    }

    /// Applies a statement's schema effect. `lineage` gives a CREATE TABLE AS
    /// its columns' classifications (propagated along lineage).
    public mutating func apply(_ statement: BoundStatement, lineage: ColumnLineage = .empty) {
        switch statement {
        case let .createTable(name, columns, primaryKey, ifNotExists, constraints):
            if ifNotExists, table(named: name) != nil { return }
            let definitions = columns.enumerated().map { i, c in
                CatalogColumn(name: c.name, type: c.type, nullable: !c.notNull, id: i + 1, defaultValue: c.defaultValue?.sql)
            }
            let declared = constraints.map { c -> CatalogConstraint in
                if case let .check(sql, _) = c.rule { return CatalogConstraint(name: c.name, check: sql, columns: c.columns) }
                return CatalogConstraint(name: c.name, check: nil, columns: c.columns)
            }
            changes[name.lowercased()] = CatalogTable(name: name, columns: definitions, primaryKey: primaryKey, constraints: declared)
        case let .createTableAs(name, _, query):
            let definitions = query.columns.enumerated().map { i, c in
                var governance = ColumnGovernance()
                if i < lineage.columns.count { governance.classification = lineage.columns[i].classification }
                return CatalogColumn(name: c.name, type: c.type, nullable: c.nullable, id: i + 1, governance: governance)
            }
            changes[name.lowercased()] = CatalogTable(name: name, columns: definitions)
        case let .dropTable(name, _, _):
            changes[name.lowercased()] = .some(nil)
        case let .alterTable(name, action):
            guard var table = table(named: name) else { return }
            switch action {
            case let .addColumn(column):
                let id = (table.columns.map(\.id).max() ?? 0) + 1
                table.columns.append(CatalogColumn(name: column.name, type: column.type, nullable: !column.notNull, id: id))
            case let .dropColumn(column):
                table.columns.removeAll { $0.name.lowercased() == column.lowercased() }
            case let .renameColumn(from, to):
                if let (index, _) = table.column(named: from) { table.columns[index].name = to }
                for i in table.constraints.indices {
                    table.constraints[i].columns = table.constraints[i].columns.map { $0.lowercased() == from.lowercased() ? to : $0 }
                }
                table.primaryKey = table.primaryKey.map { $0.lowercased() == from.lowercased() ? to : $0 }
                if table.timeColumn?.lowercased() == from.lowercased() { table.timeColumn = to }
            }
            changes[name.lowercased()] = table
        case .query, .insert, .update, .delete:
            return
        }
    }
}
