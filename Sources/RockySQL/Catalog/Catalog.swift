import RockyBase

/// One column of a catalog table, as the compiler needs it.
public struct CatalogColumn: Hashable, Sendable {
    public var name: String
    public var type: ColumnType
    public var nullable: Bool
    /// The column's stable id: it survives renames, and merge and diff match by it.
    public var id: Int
    public var governance: ColumnGovernance
    /// `DEFAULT`: the Rocky SQL an INSERT that omits the column stores; nil: NULL.
    public var defaultValue: String?

    public init(name: String, type: ColumnType, nullable: Bool = true, id: Int,
                governance: ColumnGovernance = ColumnGovernance(), defaultValue: String? = nil) {
        self.name = name
        self.type = type
        self.nullable = nullable
        self.id = id
        self.governance = governance
        self.defaultValue = defaultValue
    }
}

/// A table's UNIQUE or CHECK constraint, as the compiler needs it.
public struct CatalogConstraint: Hashable, Sendable {
    public var name: String
    /// The CHECK condition (Rocky SQL); nil: UNIQUE.
    public var check: String?
    /// The columns it reads, by name.
    public var columns: [String]

    public init(name: String, check: String?, columns: [String]) {
        self.name = name
        self.check = check
        self.columns = columns
    }
}

/// A table as the compiler sees it: columns in order, primary key, time column.
public struct CatalogTable: Hashable, Sendable {
    public var name: String
    public var columns: [CatalogColumn]
    /// Primary key column names in key order; empty for a keyless table.
    public var primaryKey: [String]
    /// The column holding each row's event time, if declared.
    public var timeColumn: String?
    /// UNIQUE and CHECK constraints.
    public var constraints: [CatalogConstraint]

    public init(name: String, columns: [CatalogColumn], primaryKey: [String] = [], timeColumn: String? = nil,
                constraints: [CatalogConstraint] = []) {
        self.name = name
        self.columns = columns
        self.primaryKey = primaryKey
        self.timeColumn = timeColumn
        self.constraints = constraints
    }

    /// The constraints that read the column named `name` (any letter case).
    public func constraints(reading name: String) -> [CatalogConstraint] {
        constraints.filter { $0.columns.contains { $0.lowercased() == name.lowercased() } }
    }

    /// The index and definition of the column named `name`, matched case-insensitively.
    public func column(named name: String) -> (index: Int, column: CatalogColumn)? {
        let key = name.lowercased()
        for (index, column) in columns.enumerated() where column.name.lowercased() == key {
            return (index, column)
        }
        return nil
    }
}

/// The tables a statement is compiled against.
///
/// The compiler only reads a catalog. Names match case-insensitively: an
/// implementation must return the table whose name equals `name` ignoring
/// ASCII case. `InMemoryCatalog` is the reference implementation and test
/// double; `CatalogOverlay` layers a script's own DDL on top of any catalog.
public protocol Catalog {
    /// The table called `name` (case-insensitive), or nil when there is none.
    func table(named name: String) -> CatalogTable?
    /// Every table name, used to suggest a near miss for an unknown name.
    var tableNames: [String] { get }
}

/// A catalog held in memory.
public struct InMemoryCatalog: Catalog, Sendable {
    private var tables: [String: CatalogTable] = [:]

    public init(_ tables: [CatalogTable] = []) {
        for table in tables { add(table) }
    }

    /// Adds `table`, replacing any table of the same name.
    public mutating func add(_ table: CatalogTable) {
        tables[table.name.lowercased()] = table
    }

    public mutating func remove(named name: String) {
        tables[name.lowercased()] = nil
    }

    public func table(named name: String) -> CatalogTable? { tables[name.lowercased()] }

    public var tableNames: [String] { tables.values.map(\.name).sorted() }
}
