import RockyBase

/// What a statement does.
public enum StatementKind: String, Hashable, Sendable {
    case query, createTable, createTableAs, insert, update, delete, dropTable, alterTable
}

/// A column declared by CREATE TABLE or ALTER TABLE ADD COLUMN.
public struct ColumnDefinition: Hashable, Sendable {
    public var name: String
    public var type: ColumnType
    public var notNull: Bool
    /// `DEFAULT`: the expression as written (Rocky SQL, kept with the
    /// schema and bound again by each INSERT) and as bound here, of the
    /// column's type; nil: NULL.
    public var defaultValue: ColumnDefault?

    public init(name: String, type: ColumnType, notNull: Bool, defaultValue: ColumnDefault? = nil) {
        self.name = name
        self.type = type
        self.notNull = notNull
        self.defaultValue = defaultValue
    }
}

/// A column's DEFAULT: its Rocky SQL text and its bound value.
public struct ColumnDefault: Hashable, Sendable {
    public var sql: String
    public var value: BoundExpr

    public init(sql: String, value: BoundExpr) {
        self.sql = sql
        self.value = value
    }
}

/// A UNIQUE or CHECK constraint declared by CREATE TABLE.
public struct ConstraintDefinition: Hashable, Sendable {
    public enum Rule: Hashable, Sendable {
        /// No two rows hold equal values in `columns` (NULLs are distinct).
        case unique
        /// The condition as written (Rocky SQL over the table's columns,
        /// kept with the schema) and as bound here (BOOLEAN, columns
        /// unqualified); a row passes unless it is FALSE.
        case check(sql: String, condition: BoundExpr)
    }

    /// `CONSTRAINT name`, else PostgreSQL's: `<table>_<columns>_key` for
    /// UNIQUE, `<table>_<column>_check` (column constraint) or
    /// `<table>_check` for CHECK, a number added when taken.
    public var name: String
    public var rule: Rule
    /// UNIQUE: its columns in order; CHECK: the columns the condition reads, in table order.
    public var columns: [String]

    public init(name: String, rule: Rule, columns: [String]) {
        self.name = name
        self.rule = rule
        self.columns = columns
    }
}

/// An ALTER TABLE change.
public enum AlterTableAction: Hashable, Sendable {
    case addColumn(ColumnDefinition)
    case dropColumn(String)
    /// Keeps the column's id.
    case renameColumn(from: String, to: String)
}

/// A resolved statement.
public enum BoundStatement: Hashable, Sendable {
    case query(BoundQuery)
    case createTable(table: String, columns: [ColumnDefinition], primaryKey: [String], ifNotExists: Bool,
                     constraints: [ConstraintDefinition])
    case createTableAs(table: String, orReplace: Bool, query: BoundQuery)
    case insert(BoundInsert)
    case update(BoundUpdate)
    case delete(BoundDelete)
    /// `existed` is false for `DROP TABLE IF EXISTS` of a missing table (a no-op).
    case dropTable(table: String, ifExists: Bool, existed: Bool)
    case alterTable(table: String, action: AlterTableAction)

    /// `INSERT | UPDATE | DELETE ... RETURNING`: the query of the rows the
    /// statement returns, run on its inputs just before it (so it reads the
    /// same versions): the rows it will insert, the rows it will update with
    /// their new values, the rows it will delete; each column masked as the
    /// target's column is. Its columns are the statement's result columns.
    public var returning: BoundQuery? {
        switch self {
        case let .insert(insert): insert.returning
        case let .update(update): update.returning
        case let .delete(delete): delete.returning
        default: nil
        }
    }

    public var kind: StatementKind {
        switch self {
        case .query: .query
        case .createTable: .createTable
        case .createTableAs: .createTableAs
        case .insert: .insert
        case .update: .update
        case .delete: .delete
        case .dropTable: .dropTable
        case .alterTable: .alterTable
        }
    }
}

/// `INSERT INTO table (columns) source`: the source's columns already have
/// the target columns' types, in the order of `columns`.
public struct BoundInsert: Hashable, Sendable {
    public var table: String
    public var columns: [String]
    public var source: BoundQuery
    /// RETURNING: a query whose rows are the statement's result (`BoundStatement.returning`).
    public var returning: BoundQuery? = nil
}

/// `UPDATE table SET ... WHERE ...`.
public struct BoundUpdate: Hashable, Sendable {
    public struct Assignment: Hashable, Sendable {
        public var column: String
        /// Already of the column's type.
        public var value: BoundExpr
    }
    public var target: TableScan
    public var assignments: [Assignment]
    /// `UPDATE ... FROM`: the other relations; each target row the WHERE
    /// matches must match one combination of their rows (else an error:
    /// the new value would depend on the engine's row order).
    public var from: BoundFrom? = nil
    public var whereClause: BoundExpr?
    /// Where the FROM starts (the position a several-rows error names).
    public var fromRange: SourceRange? = nil
    public var returning: BoundQuery? = nil
}

/// `DELETE FROM table WHERE ...`.
public struct BoundDelete: Hashable, Sendable {
    public var target: TableScan
    public var whereClause: BoundExpr?
    public var returning: BoundQuery? = nil
}
