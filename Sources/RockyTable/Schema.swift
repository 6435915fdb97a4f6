import RockyBase

/// A column: a stable id (kept across renames; diff and merge match columns
/// by it), a name, a type, nullability, its default and its governance fields.
public struct Column: Hashable, Sendable {
    public var id: Int
    public var name: String
    public var type: ColumnType
    public var nullable: Bool
    public var governance: ColumnGovernance
    /// `DEFAULT`: the Rocky SQL text of the value an INSERT that omits the
    /// column stores (an expression over no column); nil: NULL.
    public var defaultValue: String?

    public init(id: Int, name: String, type: ColumnType, nullable: Bool = true, governance: ColumnGovernance = ColumnGovernance(),
                defaultValue: String? = nil) {
        self.id = id
        self.name = name
        self.type = type
        self.nullable = nullable
        self.governance = governance
        self.defaultValue = defaultValue
    }
}

/// A rule every row of a table satisfies besides its key and NOT NULLs,
/// kept with the schema so that every later statement, on any branch,
/// enforces it.
public struct TableConstraint: Hashable, Sendable {
    public enum Rule: Hashable, Sendable {
        /// No two rows hold equal values in `columns` (a row with a NULL
        /// in any of them is distinct from every other).
        case unique
        /// The condition (Rocky SQL over `columns`, boolean) is not false
        /// for any row: TRUE and NULL pass.
        case check(String)
    }

    /// Unique within the table; `CONSTRAINT name`, or made from the table and columns.
    public var name: String
    public var rule: Rule
    /// The column ids it reads: UNIQUE's in declared order, CHECK's ascending.
    public var columns: [Int]

    public init(name: String, rule: Rule, columns: [Int]) {
        self.name = name
        self.rule = rule
        self.columns = columns
    }

    public var checkCondition: String? {
        if case let .check(sql) = rule { return sql }
        return nil
    }
}

/// A table's schema: its columns in display order, its primary key (column
/// ids in key order; empty for a keyless table, whose rows are identified by
/// their content and carry a multiplicity), an optional time column (the
/// event time of each row, used by replay), and the next free column id.
public struct Schema: Hashable, Sendable {
    public var columns: [Column]
    public var key: [Int]
    public var timeColumn: Int?
    /// Ids are never reused within a table's history, so a dropped column
    /// and a later one of the same name stay distinct.
    public var nextColumnID: Int
    /// UNIQUE and CHECK constraints, in declared order.
    public var constraints: [TableConstraint]

    public init(columns: [Column], key: [Int] = [], timeColumn: Int? = nil, nextColumnID: Int? = nil,
                constraints: [TableConstraint] = []) {
        self.columns = columns
        self.key = key
        self.timeColumn = timeColumn
        self.nextColumnID = nextColumnID ?? ((columns.map(\.id).max() ?? 0) + 1)
        self.constraints = constraints
    }

    /// Columns named in order, with ids 1, 2, ...; `key` and `timeColumn` by name.
    public init(named columns: [(String, ColumnType)], key: [String] = [], timeColumn: String? = nil) throws(SchemaError) {
        let cols = columns.enumerated().map { Column(id: $0.offset + 1, name: $0.element.0, type: $0.element.1) }
        var schema = Schema(columns: cols)
        try schema.setKey(key)
        if let timeColumn { try schema.setTimeColumn(timeColumn) }
        try schema.validate()
        self = schema
    }

    public var isKeyless: Bool { key.isEmpty }

    public func column(id: Int) -> Column? { columns.first { $0.id == id } }

    public func column(named name: String) -> Column? {
        columns.first { $0.name == name } ?? columns.first { $0.name.lowercased() == name.lowercased() }
    }

    public func index(ofColumn id: Int) -> Int? { columns.firstIndex { $0.id == id } }

    /// Positions (in `columns`) of the key columns, in key order.
    public var keyIndices: [Int] { key.compactMap { index(ofColumn: $0) } }

    public var keyColumnNames: [String] { key.compactMap { column(id: $0)?.name } }

    public var timeColumnName: String? { timeColumn.flatMap { column(id: $0)?.name } }

    /// Makes the named columns the primary key (NOT NULL); empty: keyless.
    public mutating func setKey(_ names: [String]) throws(SchemaError) {
        var ids: [Int] = []
        for name in names {
            guard let column = column(named: name) else { throw SchemaError.unknownColumn(name, in: columns.map(\.name)) }
            guard !ids.contains(column.id) else { throw SchemaError.invalid("key column '\(name)' is listed twice") }
            ids.append(column.id)
        }
        key = ids
        for id in ids { if let i = index(ofColumn: id) { columns[i].nullable = false } }
    }

    public mutating func setTimeColumn(_ name: String?) throws(SchemaError) {
        guard let name else { timeColumn = nil; return }
        guard let column = column(named: name) else { throw SchemaError.unknownColumn(name, in: columns.map(\.name)) }
        guard column.type == .timestamp || column.type == .date else {
            throw SchemaError.invalid("time column '\(name)' must be TIMESTAMP or DATE, not \(column.type)")
        }
        timeColumn = column.id
    }

    /// Checks names are unique and non-empty, ids unique and below
    /// `nextColumnID`, key and time column exist.
    public func validate() throws(SchemaError) {
        guard !columns.isEmpty else { throw SchemaError.invalid("a table needs at least one column") }
        var names = Set<String>(), ids = Set<Int>()
        for column in columns {
            guard !column.name.isEmpty else { throw SchemaError.invalid("a column has an empty name") }
            guard names.insert(column.name.lowercased()).inserted else {
                throw SchemaError.invalid("column name '\(column.name)' appears twice")
            }
            guard column.id > 0, column.id < nextColumnID, ids.insert(column.id).inserted else {
                throw SchemaError.invalid("column '\(column.name)' has a bad id \(column.id)")
            }
        }
        for id in key where column(id: id) == nil { throw SchemaError.invalid("key column id \(id) does not exist") }
        if let t = timeColumn, column(id: t) == nil { throw SchemaError.invalid("time column id \(t) does not exist") }
        var constraintNames = Set<String>()
        for constraint in constraints {
            guard constraintNames.insert(constraint.name.lowercased()).inserted else {
                throw SchemaError.invalid("constraint name '\(constraint.name)' appears twice")
            }
            for id in constraint.columns where column(id: id) == nil {
                throw SchemaError.invalid("constraint \(constraint.name) reads column id \(id), which does not exist")
            }
        }
    }

    /// The constraints that read column `id`.
    public func constraints(readingColumn id: Int) -> [TableConstraint] {
        constraints.filter { $0.columns.contains(id) }
    }
}

/// A schema that cannot be: names what is wrong.
public enum SchemaError: Error, Equatable, Sendable, CustomStringConvertible {
    case unknownColumn(String, in: [String])
    case invalid(String)

    public var description: String {
        switch self {
        case let .unknownColumn(name, columns):
            "no column named '\(name)' (columns: \(columns.joined(separator: ", ")))" + Suggestion.didYouMean(name, among: columns)
        case let .invalid(message): message
        }
    }
}
