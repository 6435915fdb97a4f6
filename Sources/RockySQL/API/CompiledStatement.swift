import RockyBase

/// One statement of a script, compiled: what it does, what it reads and
/// writes, its result columns, its lineage, and its SQL in any dialect.
public struct CompiledStatement: Sendable {
    /// 0-based position in the script (statement N+1 in messages).
    public let index: Int
    /// Where the statement is in the script.
    public let range: SourceRange
    /// The statement as written.
    public let text: String
    /// The typed IR.
    public let ir: BoundStatement
    /// The table the statement creates, changes or drops; nil for queries.
    public let targetTable: String?
    /// Tables the statement's result depends on: every catalog table it reads,
    /// and the target of INSERT, UPDATE, DELETE and ALTER TABLE.
    public let inputTables: [String]
    public let lineage: ColumnLineage
    /// The key CREATE TABLE AS declares; empty: none (see `resultKey`).
    let declaredKey: [String]
    /// Warnings (a compiled statement has no errors).
    public let diagnostics: [Diagnostic]
    /// The time its CURRENT_DATE and CURRENT_TIMESTAMP stand for; nil when it
    /// reads neither. Recorded with its transformation for replay.
    public var statementTime: Timestamp? = nil

    public var kind: StatementKind { ir.kind }

    /// The result columns of a query or CREATE TABLE AS, or of the RETURNING
    /// of INSERT, UPDATE or DELETE; empty otherwise.
    public var outputColumns: [OutputColumn] {
        switch ir {
        case let .query(query), let .createTableAs(_, _, query): query.columns
        default: ir.returning?.columns ?? []
        }
    }

    /// The columns declared by CREATE TABLE (or added by ALTER TABLE ADD COLUMN).
    public var declaredColumns: [ColumnDefinition] {
        switch ir {
        case let .createTable(_, columns, _, _, _): columns
        case let .alterTable(_, .addColumn(column)): [column]
        default: []
        }
    }

    /// The primary key declared by CREATE TABLE, or by CREATE TABLE AS
    /// (`CREATE TABLE t (PRIMARY KEY (a, b)) AS SELECT ...`); empty: none.
    public var primaryKey: [String] {
        if case let .createTable(_, _, key, _, _) = ir { return key }
        return declaredKey
    }

    /// The key of the table a CREATE TABLE AS makes: the declared one, else
    /// the one the compiler proves (`KeyDerivation`); empty: keyless. Empty
    /// for other statements.
    public var resultKey: [String] {
        guard case let .createTableAs(_, _, query) = ir else { return [] }
        if !declaredKey.isEmpty { return declaredKey }
        return KeyDerivation.key(of: query)?.map { query.columns[$0].name } ?? []
    }

    /// CREATE OR REPLACE TABLE ... AS.
    public var orReplace: Bool {
        if case let .createTableAs(_, orReplace, _) = ir { return orReplace }
        return false
    }

    /// DROP TABLE IF EXISTS (or CREATE TABLE IF NOT EXISTS).
    public var ifExists: Bool {
        switch ir {
        case let .dropTable(_, ifExists, _): ifExists
        case let .createTable(_, _, _, ifNotExists, _): ifNotExists
        default: false
        }
    }

    /// The statement in `dialect`: usually one statement; CREATE OR REPLACE
    /// TABLE ... AS is several where the dialect lacks it. Run them in order.
    public func sql(for dialect: Dialect) -> [String] {
        var emitter = SQLEmitter(dialect: dialect, statement: ir)
        return emitter.statement(ir)
    }

    /// The query of the rows an `INSERT | UPDATE | DELETE ... RETURNING`
    /// returns (`BoundStatement.returning`), run just before the statement.
    public func returningSQL(for dialect: Dialect) -> String? {
        guard let returning = ir.returning else { return nil }
        var emitter = SQLEmitter(dialect: dialect, statement: ir)
        return emitter.query(returning)
    }

    /// The SELECT whose rows a query returns, a CREATE TABLE AS stores or an
    /// INSERT adds (VALUES included); nil for other statements. Its result
    /// has exactly the IR's column names and types (for INSERT, the target
    /// columns' types in `BoundInsert.columns` order).
    public func querySQL(for dialect: Dialect) -> String? {
        var emitter = SQLEmitter(dialect: dialect, statement: ir)
        switch ir {
        case let .query(query), let .createTableAs(_, _, query): return emitter.query(query)
        case let .insert(insert): return emitter.query(insert.source)
        default: return nil
        }
    }
}

/// The result of compiling a script.
public struct CompiledScript: Sendable {
    /// The script text the ranges refer to.
    public let source: String
    /// How many statements the script holds (compiled or not).
    public let statementCount: Int
    /// The statements that compiled, in order. A statement with an error is
    /// missing here and its diagnostics say why.
    public let statements: [CompiledStatement]
    /// Every diagnostic, in source order, each with its `statementIndex`.
    public let diagnostics: [Diagnostic]

    public var hasErrors: Bool { diagnostics.contains { $0.isError } }

    /// All diagnostics rendered with carets, separated by blank lines.
    public func renderedDiagnostics(sourceName: String? = nil) -> String {
        diagnostics.map { $0.rendered(in: source, sourceName: sourceName) }.joined(separator: "\n")
    }
}
