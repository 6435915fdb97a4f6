import Foundation
import Testing
import RockyBase
@testable import RockySQL

/// Masking injected where classified columns are read, `deny` as a compile
/// error with the lineage path, and classifications propagated along lineage.
@Suite struct GovernanceTests {
    static let prodDeniesPII = CompileOptions(environment: "prod", masking: .byClassification(["prod": ["pii": .deny]]))

    @Test func denyReachingAnOutputIsAnErrorWithThePath() throws {
        let marked = MarkedSQL("CREATE TABLE report AS SELECT customer_id, ⟦ssn⟧ AS customer_ssn FROM customers")
        let script = Fixtures.compile(marked.text, options: Self.prodDeniesPII)
        let diagnostic = try #require(script.diagnostics.first)
        #expect(diagnostic.code == .maskingDenied)
        #expect(diagnostic.message == "report.customer_ssn <- customers.ssn (pii): environment prod masks pii as deny")
        #expect(marked.matches(diagnostic.range))
        #expect(script.statements.isEmpty)
    }

    @Test func denyThroughACTEShowsEveryHop() throws {
        let script = Fixtures.compile("WITH base AS (SELECT customer_id, UPPER(email) AS contact FROM customers) SELECT contact FROM base",
                                      options: Self.prodDeniesPII)
        #expect(script.diagnostics.first?.message == "contact <- base.contact <- customers.email (pii): environment prod masks pii as deny")
    }

    @Test func denyIsAllowedInFiltersJoinsAndConditions() {
        let sql = """
            SELECT a.account_id, CASE WHEN c.ssn IS NULL THEN 'missing' ELSE 'on file' END AS ssn_status
            FROM accounts a JOIN customers c ON c.customer_id = a.customer_id AND c.email LIKE '%@example.com'
            WHERE c.name <> '' ORDER BY c.birth_date, a.account_id
            """
        let script = Fixtures.compile(sql, options: Self.prodDeniesPII)
        #expect(!script.hasErrors, "\(script.renderedDiagnostics())")
        #expect(script.statements.first?.lineage.datasetInputs.contains { $0.source.column == "email" && $0.masking == .deny } == true)
    }

    @Test func aggregatingADeniedColumnIsStillDirect() {
        let script = Fixtures.compile("SELECT COUNT(DISTINCT ssn) AS n FROM customers", options: Self.prodDeniesPII)
        #expect(script.diagnostics.first?.code == .maskingDenied)
    }

    @Test func devSeesRawValuesWithTheSameSQL() {
        let sql = "SELECT ssn FROM customers"
        #expect(!Fixtures.compile(sql).hasErrors)
        #expect(!Fixtures.compile(sql, options: CompileOptions(environment: "dev", masking: Self.prodDeniesPII.masking)).hasErrors)
    }

    @Test func columnOverrideBeatsTheClassificationRule() throws {
        var catalog = Fixtures.catalog
        var customers = catalog.table(named: "customers")!
        customers.columns[customers.column(named: "email")!.index].governance.masking["prod"] = .email
        catalog.add(customers)
        let script = SQLCompiler.compile("SELECT email FROM customers", catalog: catalog, options: Self.prodDeniesPII)
        #expect(!script.hasErrors)
        let statement = try #require(script.statements.first)
        #expect(statement.lineage.columns[0].inputs[0].masking == .email)
        #expect(statement.lineage.columns[0].masked)
        #expect(statement.lineage.columns[0].classification == nil)
        #expect(statement.sql(for: .sqlite)[0].contains("instr("))
    }

    @Test func hashIsEmittedPerDialectAndKeyedInSQLite() throws {
        let options = CompileOptions(environment: "prod", masking: .byClassification(["prod": ["pii": .hash]]))
        let statement = try #require(Fixtures.compile("SELECT customer_id, ssn FROM customers", options: options).statements.first)
        #expect(statement.sql(for: .sqlite)[0] == "SELECT \"customers\".\"customer_id\", rocky_mask_hash(\"customers\".\"ssn\") AS \"ssn\" FROM \"customers\"")
        #expect(statement.sql(for: .duckdb)[0].contains("sha256(\"customers\".\"ssn\")"))
        #expect(statement.sql(for: .bigquery)[0].contains("TO_HEX(SHA256(`customers`.`ssn`))"))
        #expect(statement.outputColumns[1].type == .text)
        #expect(statement.lineage.columns[1].inputs[0].isMasked)
    }

    @Test func yearMaskingNeedsADate() throws {
        let options = CompileOptions(environment: "prod", masking: .byClassification(["prod": ["pii": .year]]))
        #expect(!Fixtures.compile("SELECT birth_date FROM customers", options: options).hasErrors)
        let marked = MarkedSQL("SELECT ⟦name⟧ FROM customers")
        let diagnostic = try #require(Fixtures.compile(marked.text, options: options).diagnostics.first)
        #expect(diagnostic.code == .maskingNotApplicable)
        #expect(marked.matches(diagnostic.range))
    }

    @Test func aStrategyTheDialectCannotComputeExactlyIsRefusedWhereTheColumnIsRead() throws {
        for dialect in Dialect.allCases {
            let options = CompileOptions(environment: "prod", masking: .byClassification(["prod": ["pii": .hash]]), dialect: dialect)
            let marked = MarkedSQL("SELECT customer_id, ⟦ssn⟧ FROM customers")
            let script = Fixtures.compile(marked.text, options: options)
            if dialect == .sqlite || dialect == .postgres || dialect == .databricks {
                #expect(!script.hasErrors, "\(dialect)")
                #expect(script.statements.first?.sql(for: dialect)[0].contains(HelperFunction.maskHash.name(in: dialect) + "(") == true)
                continue
            }
            // DuckDB, Snowflake and BigQuery have no exact keyed hash: never an unkeyed stand-in.
            let diagnostic = try #require(script.diagnostics.first, "\(dialect)")
            #expect(diagnostic.code == .maskingNotExpressible)
            #expect(diagnostic.code.rawValue == "E0504")
            #expect(diagnostic.message.contains("ssn") && diagnostic.message.contains(dialect.rawValue))
            #expect(marked.matches(diagnostic.range))
            // Strategies it can express compile.
            let redact = CompileOptions(environment: "prod", masking: .byClassification(["prod": ["pii": .redact]]), dialect: dialect)
            #expect(!Fixtures.compile(marked.text, options: redact).hasErrors)
        }
        // `rocky check --dialect` compiles for its dialect.
        let options = CompileOptions(environment: "prod", masking: .byClassification(["prod": ["pii": .hash]]))
        #expect(SQLTools.check(sql: "SELECT ssn FROM customers", catalog: Fixtures.catalog, dialect: .duckdb, options: options).exitCode == 1)
        #expect(SQLTools.check(sql: "SELECT ssn FROM customers", catalog: Fixtures.catalog, dialect: .postgres, options: options).exitCode == 0)
    }

    @Test func updateStoringMaskedValuesWarns() throws {
        let options = CompileOptions(environment: "prod", masking: .byClassification(["prod": ["pii": .hash]]))
        let marked = MarkedSQL("UPDATE customers SET segment = ⟦LOWER(email)⟧ WHERE customer_id = 1")
        let script = Fixtures.compile(marked.text, options: options)
        #expect(!script.hasErrors)
        let warning = try #require(script.diagnostics.first)
        #expect(warning.code == .writesMaskedValues)
        #expect(warning.severity == .warning)
        #expect(marked.matches(warning.range))
    }

    @Test func classificationPropagatesIntoCreatedTables() throws {
        let script = Fixtures.compile("""
            CREATE TABLE contacts AS SELECT customer_id, LOWER(email) AS email, country FROM customers;
            CREATE TABLE contacts_2 AS SELECT * FROM contacts;
            SELECT email || country AS label FROM contacts_2
            """)
        #expect(!script.hasErrors, "\(script.renderedDiagnostics())")
        #expect(script.statements[0].lineage.columns.map(\.classification) == [nil, .pii, nil])
        #expect(script.statements[2].lineage.columns[0].classification == .pii)
        let hashed = Fixtures.compile("SELECT email FROM customers",
                                      options: CompileOptions(environment: "prod", masking: .byClassification(["prod": ["pii": .hash]])))
        #expect(hashed.statements[0].lineage.columns[0].classification == nil)
        #expect(hashed.statements[0].lineage.columns[0].masked)
    }

    /// Every masking strategy gives the same values in SQLite and DuckDB.
    @Test func maskedQueriesAgreeAcrossSQLiteAndDuckDB() throws {
        let policy = MaskingPolicy { governance, environment in
            guard environment == "prod" else { return .none }
            return governance.masking[environment] ?? .none
        }
        var catalog = Fixtures.catalog
        var customers = catalog.table(named: "customers")!
        let strategies: [String: MaskingStrategy] = [
            "name": .partial, "email": .email, "ssn": .hash, "birth_date": .year, "country": .redact, "segment": .nullify,
        ]
        for (column, strategy) in strategies {
            customers.columns[customers.column(named: column)!.index].governance.masking["prod"] = strategy
        }
        catalog.add(customers)
        var trades = catalog.table(named: "trades")!
        trades.columns[trades.column(named: "price")!.index].governance.masking["prod"] = .hash
        trades.columns[trades.column(named: "executed_at")!.index].governance.masking["prod"] = .year
        catalog.add(trades)
        let options = CompileOptions(environment: "prod", masking: policy)
        let queries = [
            "customers": "SELECT customer_id, name, email, ssn, birth_date, country, segment FROM customers",
            "trades": "SELECT trade_id, price, executed_at FROM trades",
            "joined": "SELECT c.ssn, COUNT(*) AS n FROM customers c JOIN customers d ON c.ssn = d.ssn GROUP BY c.ssn",
        ]
        var statements: [JSON] = []
        for (name, sql) in queries.sorted(by: { $0.key < $1.key }) {
            let script = SQLCompiler.compile(sql, catalog: catalog, options: options)
            #expect(!script.hasErrors, "\(script.renderedDiagnostics())")
            let statement = try #require(script.statements.first)
            statements.append(.object([
                JSON.Member("name", .string(name)),
                JSON.Member("sqlite", .string(statement.querySQL(for: .sqlite)!)),
                JSON.Member("duckdb", .string(statement.querySQL(for: .duckdb)!)),
                JSON.Member("columns", .array(statement.outputColumns.map { .object(["name": .string($0.name), "type": .string($0.type.name)]) })),
            ]))
        }
        let tables: [JSON] = ["customers", "trades"].map { name in
            .object(["name": .string(name),
                     "columns": .array(catalog.table(named: name)!.columns.map { .object(["name": .string($0.name), "type": .string($0.type.name)]) })])
        }
        let spec = JSON.object([
            JSON.Member("fixtures", .string(DialectExecutionTests.fixtureDirectory.path)),
            JSON.Member("tables", .array(tables)),
            JSON.Member("statements", .array(statements)),
        ])
        let results = try DialectExecutionTests().runHarness(spec)
        #expect(results.count == queries.count)
        for result in results {
            #expect(result["ok"]?.boolValue == true, "\(result["name"]?.stringValue ?? ""): \(result["message"]?.stringValue ?? "")")
        }
    }
}

/// Exactness of DECIMAL aggregation at scale, executed on both engines.
@Suite struct DecimalExecutionTests {
    @Test func sumOfAMillionCentsIsExact() throws {
        let catalog = InMemoryCatalog([CatalogTable(name: "cents", columns: [
            CatalogColumn(name: "v", type: .decimal(precision: 10, scale: 2), nullable: false, id: 1),
        ])])
        let script = SQLCompiler.compile("SELECT SUM(v) AS total, AVG(v) AS mean, SUM(v) / COUNT(*) AS ratio, SUM(v * 3) / 7 AS sevenths FROM cents",
                                         catalog: catalog)
        let statement = try #require(script.statements.first)
        #expect(statement.outputColumns.map(\.type) == [.decimal(precision: 38, scale: 2), .decimal(precision: 14, scale: 6),
                                                        .decimal(precision: 38, scale: 6), .decimal(precision: 38, scale: 6)])
        let spec = JSON.object([
            JSON.Member("fixtures", .string(DialectExecutionTests.fixtureDirectory.path)),
            JSON.Member("tables", .array([])),
            JSON.Member("setup", .object([
                JSON.Member("sqlite", .array([
                    .string("CREATE TABLE cents (v INTEGER)"),
                    .string("INSERT INTO cents WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000000) SELECT 1 FROM n"),
                ])),
                JSON.Member("duckdb", .array([.string("CREATE TABLE cents AS SELECT CAST(0.01 AS DECIMAL(10,2)) AS v FROM range(1000000)")])),
            ])),
            JSON.Member("statements", .array([.object([
                JSON.Member("name", .string("million_cents")),
                JSON.Member("sqlite", .string(statement.querySQL(for: .sqlite)!)),
                JSON.Member("duckdb", .string(statement.querySQL(for: .duckdb)!)),
                JSON.Member("columns", .array(statement.outputColumns.map { .object(["name": .string($0.name), "type": .string($0.type.name)]) })),
                JSON.Member("expected", .array([.array([.string("10000.00"), .string("0.010000"), .string("0.010000"), .string("4285.714286")])])),
            ])])),
        ])
        let results = try DialectExecutionTests().runHarness(spec)
        #expect(results.count == 1)
        for result in results {
            #expect(result["ok"]?.boolValue == true, "\(result["message"]?.stringValue ?? "")")
        }
    }
}
