import Testing
import RockyBase
@testable import RockySQL

/// Scripts: later statements see earlier DDL; statement metadata for the engine.
@Suite struct ScriptTests {
    @Test func createThenInsertThenSelectBinds() throws {
        let script = Fixtures.compile("""
            CREATE TABLE targets (symbol TEXT NOT NULL, weight DECIMAL(6,4), PRIMARY KEY (symbol));
            INSERT INTO targets VALUES ('AAPL', 0.25), ('MSFT', 0.75);
            SELECT t.symbol, t.weight * p.close AS weighted FROM targets t JOIN prices p USING (symbol)
            """)
        #expect(!script.hasErrors, "\(script.renderedDiagnostics())")
        #expect(script.statements.map(\.kind) == [.createTable, .insert, .query])
        let create = script.statements[0]
        #expect(create.declaredColumns == [ColumnDefinition(name: "symbol", type: .text, notNull: true),
                                          ColumnDefinition(name: "weight", type: .decimal(precision: 6, scale: 4), notNull: false)])
        #expect(create.primaryKey == ["symbol"])
        #expect(create.targetTable == "targets")
        #expect(script.statements[1].targetTable == "targets")
        #expect(script.statements[1].inputTables == ["targets"])
        #expect(script.statements[1].sql(for: .sqlite) == ["INSERT INTO \"targets\" (\"symbol\", \"weight\") VALUES ('AAPL', 2500), ('MSFT', 7500)"])
        let query = script.statements[2]
        #expect(query.inputTables == ["targets", "prices"])
        #expect(query.outputColumns.map(\.type) == [.text, .decimal(precision: 18, scale: 8)])
        #expect(query.range.start.line == 3)
        #expect(query.text.hasPrefix("SELECT t.symbol"))
    }

    @Test func dropAndAlterChangeWhatLaterStatementsSee() throws {
        let script = Fixtures.compile("""
            ALTER TABLE risk_scores RENAME COLUMN rating TO credit_rating;
            SELECT credit_rating FROM risk_scores;
            SELECT rating FROM risk_scores;
            DROP TABLE trades;
            SELECT * FROM trades
            """)
        #expect(script.statements.map(\.index) == [0, 1, 3])
        #expect(script.diagnostics.map(\.code) == [.unknownColumn, .unknownTable])
        #expect(script.diagnostics.map(\.statementIndex) == [2, 4])
    }

    @Test func overlayKeepsIdsOnRenameAndAddsNewOnes() throws {
        var overlay = CatalogOverlay(Fixtures.catalog)
        let script = Fixtures.compile("ALTER TABLE risk_scores RENAME COLUMN rating TO credit_rating; ALTER TABLE risk_scores ADD COLUMN note TEXT")
        for statement in script.statements { overlay.apply(statement) }
        let table = try #require(overlay.table(named: "RISK_SCORES"))
        let original = Fixtures.catalog.table(named: "risk_scores")!
        #expect(table.column(named: "credit_rating")?.column.id == original.column(named: "rating")?.column.id)
        #expect(table.column(named: "note")?.column.id == original.columns.map(\.id).max()! + 1)
    }

    @Test func createOrReplaceEmitsPerDialect() throws {
        let statement = try #require(Fixtures.compile("CREATE OR REPLACE TABLE t AS SELECT symbol FROM prices").statements.first)
        #expect(statement.orReplace)
        #expect(statement.sql(for: .duckdb) == ["CREATE OR REPLACE TABLE \"t\" AS SELECT \"prices\".\"symbol\" FROM \"prices\""])
        #expect(statement.sql(for: .sqlite).count == 4)
        #expect(statement.querySQL(for: .sqlite) == "SELECT \"prices\".\"symbol\" FROM \"prices\"")
    }

    @Test func checkAndLineageReports() throws {
        let report = SQLTools.check(sql: "SELECT symbol FROM prices; SELECT nope FROM prices", catalog: Fixtures.catalog, dialect: .postgres)
        #expect(report.exitCode == 1)
        #expect(report.text().contains("error[E0202]"))
        #expect(report.text().hasSuffix("2 statements: 1 ok, 1 with errors, 0 warnings\n"))
        #expect(report.statements.first?.sql == ["SELECT \"prices\".\"symbol\" FROM \"prices\""])
        #expect(report.json()["ok"] == .bool(false))
        let lineage = SQLTools.lineage(sql: "SELECT symbol, AVG(close) AS avg_close FROM prices WHERE volume > 0 GROUP BY symbol",
                                       catalog: Fixtures.catalog)
        #expect(lineage.exitCode == 0)
        #expect(lineage.text() == """
            (query)
            ├── symbol
            │   └── prices.symbol  DIRECT identity
            ├── avg_close [financial]
            │   └── prices.close  DIRECT aggregation
            └── (dataset)
                ├── prices.volume  INDIRECT filter
                └── prices.symbol  INDIRECT group_by

            """)
        let json = lineage.json()
        #expect(json["target"] == .null)
        #expect(json["columns"]?.arrayValue?.count == 2)
        #expect(json["columns"]?.arrayValue?[1]["inputs"]?.arrayValue?[0].compactText
                == #"{"table":"prices","column":"close","columnId":6,"type":"DIRECT","subtype":"AGGREGATION","masking":false,"classification":"financial"}"#)
    }

    @Test func lineageSeesThroughSetOperationsAndStar() throws {
        let statement = try #require(Fixtures.compile("""
            WITH s AS (SELECT symbol, close AS v FROM prices UNION ALL SELECT symbol, avg_cost FROM positions)
            SELECT * FROM s
            """).statements.first)
        let inputs = statement.lineage.columns[1].inputs.map { "\($0.source) \($0.transform.rawValue)" }
        #expect(inputs == ["prices.close identity", "positions.avg_cost identity"])
    }
}

/// CREATE TABLE's DEFAULT, UNIQUE and CHECK through parser, binder, IR,
/// the script's own catalog and every dialect's emitted SQL.
@Suite struct ConstraintCompileTests {
    static let create = "CREATE TABLE z (a INTEGER PRIMARY KEY, b TEXT DEFAULT 'x' CHECK (b <> ''), c INTEGER UNIQUE, "
        + "CONSTRAINT pair UNIQUE (b, c), CHECK (a > 0 OR c IS NULL))"

    @Test func constraintsBindAndLaterInsertsUseTheDefaults() throws {
        let script = Fixtures.compile(Self.create + """
            ;
            INSERT INTO z (a) VALUES (1);
            INSERT INTO z (a, b, c) VALUES (2, DEFAULT, 3);
            INSERT INTO z (a, c) SELECT 4, 5
            """)
        #expect(!script.hasErrors, "\(script.renderedDiagnostics())")
        guard script.statements.count == 4, case let .createTable(_, columns, _, _, constraints) = script.statements[0].ir else {
            Issue.record("not compiled: \(script.renderedDiagnostics())")
            return
        }
        #expect(columns.map { $0.defaultValue?.sql } == [nil, "'x'", nil])
        #expect(constraints.map(\.name) == ["z_b_check", "z_c_key", "pair", "z_check"])
        #expect(constraints.map(\.columns) == [["b"], ["c"], ["b", "c"], ["a", "c"]])
        #expect(script.statements[1].sql(for: .sqlite) == ["INSERT INTO \"z\" (\"a\", \"b\") VALUES (1, 'x')"])
        #expect(script.statements[2].sql(for: .postgres) == ["INSERT INTO \"z\" (\"a\", \"b\", \"c\") VALUES (CAST(2 AS BIGINT), 'x', CAST(3 AS BIGINT))"])
        let select = script.statements[3].sql(for: .duckdb)[0]
        #expect(select.hasPrefix("INSERT INTO \"z\" (\"a\", \"c\", \"b\") SELECT") && select.contains("'x'"), "\(select)")
    }

    @Test func everyDialectDeclaresWhatItCan() throws {
        let script = Fixtures.compile(Self.create)
        #expect(!script.hasErrors, "\(script.renderedDiagnostics())")
        let statement = try #require(script.statements.first)
        for dialect in [Dialect.sqlite, .postgres, .duckdb] {
            let sql = statement.sql(for: dialect).joined(separator: "; ")
            #expect(sql.contains("DEFAULT 'x'") && sql.contains("CONSTRAINT \"z_c_key\" UNIQUE (\"c\")")
                    && sql.contains("CONSTRAINT \"pair\" UNIQUE (\"b\", \"c\")") && sql.contains("CONSTRAINT \"z_b_check\" CHECK ("),
                    "\(dialect): \(sql)")
        }
        let snowflake = statement.sql(for: .snowflake).joined(separator: "; ")
        #expect(snowflake.contains("UNIQUE") && !snowflake.contains("CHECK"), "\(snowflake)")
        let bigquery = statement.sql(for: .bigquery).joined(separator: "; ")
        #expect(!bigquery.contains("UNIQUE") && !bigquery.contains("CHECK") && bigquery.contains("DEFAULT"), "\(bigquery)")
        let databricks = statement.sql(for: .databricks)
        #expect(databricks.count == 3 && databricks[1].hasPrefix("ALTER TABLE `z` ADD CONSTRAINT `z_b_check` CHECK ("), "\(databricks)")
    }

    @Test func badConstraintsHaveTheirCodes() {
        let cases: [(String, DiagnosticCode)] = [
            ("CREATE TABLE t (a INTEGER CHECK (a + 1))", .conditionNotBoolean),
            ("CREATE TABLE t (a INTEGER, CHECK (EXISTS (SELECT 1)))", .invalidConstraint),
            ("CREATE TABLE t (a INTEGER DEFAULT a)", .constantRequired),
            ("CREATE TABLE t (a INTEGER DEFAULT 'no')", .notAssignable),
            ("CREATE TABLE t (a INTEGER NOT NULL DEFAULT NULL)", .notNullViolation),
            ("CREATE TABLE t (a INTEGER, UNIQUE (a, a))", .invalidConstraint),
            ("CREATE TABLE t (a INTEGER); ALTER TABLE t ADD COLUMN b INTEGER DEFAULT 1", .unsupportedSyntax),
            ("SELECT x FROM (VALUES (DEFAULT)) AS v(x)", .unsupportedSyntax),
        ]
        for (sql, code) in cases {
            let script = Fixtures.compile(sql)
            #expect(script.diagnostics.map(\.code).contains(code), "\(sql): \(script.renderedDiagnostics())")
        }
    }
}
