import RockySQL
import RockyStore
import RockyTable

extension CatalogTable {
    /// The compiler's view of a table version: its columns (names, types,
    /// nullability, stable ids, governance), key and time column.
    public init(name: String, schema: Schema) {
        self.init(name: name,
                  columns: schema.columns.map {
                      CatalogColumn(name: $0.name, type: $0.type, nullable: $0.nullable, id: $0.id, governance: $0.governance,
                                    defaultValue: $0.defaultValue)
                  },
                  primaryKey: schema.keyColumnNames, timeColumn: schema.timeColumnName,
                  constraints: schema.catalogConstraints)
    }
}

extension Schema {
    /// The constraints as the compiler sees them: columns by name.
    public var catalogConstraints: [CatalogConstraint] {
        constraints.map { c in
            CatalogConstraint(name: c.name, check: c.checkCondition, columns: c.columns.compactMap { column(id: $0)?.name })
        }
    }
}

extension InMemoryCatalog {
    /// A catalog of the given tables (name -> table object id), read from the
    /// store: what statements run by `execute` with the same tables compile against.
    public init(tables: [String: ObjectID], store: any ObjectStore) throws {
        self.init()
        for (name, id) in tables { add(CatalogTable(name: name, schema: try store.readTable(id).schema)) }
    }
}
