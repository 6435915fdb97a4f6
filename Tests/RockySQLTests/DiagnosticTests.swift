import Testing
import RockyBase
@testable import RockySQL

/// Every diagnostic class, with its exact range marked inline (⟦ ⟧).
@Suite struct DiagnosticTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var code: String
        var sql: String
        var help: String? = nil
        /// Whether a statement before the problem still compiles.
        var compiles = false
        var testDescription: String { "\(code): \(sql)" }
    }

    /// Spark has no GROUPS frames: compiling for databricks refuses them (the others run them).
    @Test func groupsFramesAreRefusedForDatabricksOnly() {
        let sql = "SELECT SUM(close) OVER (ORDER BY ts GROUPS 1 PRECEDING) AS s FROM prices"
        #expect(!Fixtures.compile(sql).hasErrors)
        #expect(!Fixtures.compile(sql, options: CompileOptions(dialect: .duckdb)).hasErrors)
        let databricks = Fixtures.compile(sql, options: CompileOptions(dialect: .databricks))
        #expect(databricks.diagnostics.first?.code.rawValue == "E0102")
        #expect(databricks.diagnostics.first?.message.contains("GROUPS") == true)
    }

    static let cases: [Case] = [
        Case(code: "E0001", sql: "SELECT 1 ⟦#⟧"),
        Case(code: "E0002", sql: "SELECT ⟦'abc⟧"),
        Case(code: "E0003", sql: "SELECT ⟦\"abc⟧"),
        Case(code: "E0004", sql: "SELECT 1 ⟦/* never closed⟧", compiles: true),
        Case(code: "E0005", sql: "SELECT ⟦12abc⟧ FROM prices"),
        Case(code: "E0101", sql: "SELECT symbol FROM prices WHERE ⟦)⟧"),
        Case(code: "E0101", sql: "SELECT symbol\nFROM prices\nWHERE close > 1 ⟦close⟧"),
        Case(code: "E0102", sql: "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL ⟦SELECT r.n + 1 FROM r JOIN r AS s ON true⟧) SELECT n FROM r"),
        Case(code: "E0102", sql: "WITH RECURSIVE ⟦prices⟧ AS (SELECT 1 AS n UNION ALL SELECT n + 1 FROM prices) SELECT n FROM prices"),
        Case(code: "E0102", sql: "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT ⟦n + 0.5⟧ FROM r WHERE n < 3) SELECT n FROM r"),
        Case(code: "E0202", sql: "SELECT SUM(close) OVER ⟦v⟧ FROM prices WINDOW w AS (ORDER BY ts)"),
        Case(code: "E0205", sql: "SELECT SUM(close) OVER w FROM prices WINDOW w AS (ORDER BY ts), ⟦w⟧ AS (ORDER BY symbol)"),
        Case(code: "E0101", sql: "SELECT SUM(close) OVER ⟦(w ORDER BY ts)⟧ FROM prices WINDOW w AS (PARTITION BY symbol ORDER BY ts)"),
        Case(code: "E0101", sql: "SELECT SUM(close) OVER (⟦GROUPS 1 PRECEDING⟧) FROM prices"),
        Case(code: "E0101", sql: "SELECT SUM(close) OVER (PARTITION BY symbol ⟦RANGE 1 PRECEDING⟧) FROM prices"),
        Case(code: "E0311", sql: "SELECT SUM(close) OVER (ORDER BY ts ROWS BETWEEN ⟦volume⟧ PRECEDING AND CURRENT ROW) FROM prices"),
        Case(code: "E0311", sql: "SELECT SUM(close) OVER (ORDER BY close RANGE ⟦0.00001⟧ PRECEDING) FROM prices"),
        Case(code: "E0102", sql: "SELECT SUM(close) OVER (ORDER BY ts RANGE ⟦INTERVAL '1' MONTH⟧ PRECEDING) FROM prices"),
        Case(code: "E0102", sql: "SELECT DISTINCT ON (symbol) symbol, close FROM prices ORDER BY ⟦ts⟧"),
        Case(code: "E0102", sql: "SELECT symbol, ⟦RANK() OVER (ORDER BY symbol)⟧ AS r FROM prices GROUP BY ROLLUP (symbol)"),
        Case(code: "E0401", sql: "SELECT GROUPING(⟦close⟧) AS g FROM prices GROUP BY ROLLUP (symbol)"),
        Case(code: "E0402", sql: "SELECT symbol FROM prices WHERE ⟦GROUPING(symbol)⟧ = 0 GROUP BY symbol"),
        Case(code: "E0104", sql: "SELECT ⟦DATE '2024-13-01'⟧"),
        Case(code: "E0104", sql: "SELECT ts + ⟦INTERVAL '3'⟧ FORTNIGHT FROM prices"),
        Case(code: "E0201", sql: "SELECT * FROM ⟦price⟧", help: "did you mean 'prices'?"),
        Case(code: "E0202", sql: "SELECT ⟦symbl⟧ FROM prices", help: "did you mean 'symbol'?"),
        Case(code: "E0202", sql: "SELECT p.⟦clse⟧ FROM prices p", help: "did you mean 'close'?"),
        Case(code: "E0203", sql: "SELECT ⟦symbol⟧ FROM prices p JOIN positions q ON p.symbol = q.symbol"),
        Case(code: "E0204", sql: "SELECT ⟦sume⟧(close) FROM prices", help: "did you mean 'SUM'?"),
        Case(code: "E0205", sql: "SELECT * FROM prices p JOIN positions ⟦p⟧ ON p.symbol = p.symbol"),
        Case(code: "E0205", sql: "WITH x AS (SELECT symbol, ⟦symbol⟧ FROM prices) SELECT * FROM x"),
        Case(code: "E0206", sql: "SELECT ⟦LOWER(symbol, 1)⟧ FROM prices"),
        Case(code: "E0207", sql: "SELECT ⟦q⟧.close FROM prices p"),
        Case(code: "E0208", sql: "CREATE TABLE ⟦prices⟧ (a INTEGER)"),
        Case(code: "E0209", sql: "ALTER TABLE prices ADD COLUMN ⟦close⟧ DOUBLE"),
        Case(code: "E0210", sql: "SELECT ⟦*⟧"),
        Case(code: "E0301", sql: "SELECT ⟦symbol + 1⟧ FROM prices"),
        Case(code: "E0102", sql: "SELECT ⟦ts - ts⟧ FROM prices"),
        Case(code: "E0302", sql: "SELECT LOWER(⟦close⟧) FROM prices"),
        Case(code: "E0303", sql: "SELECT ⟦CAST(ts AS INTEGER)⟧ FROM prices"),
        Case(code: "E0304", sql: "SELECT * FROM prices WHERE ⟦close⟧"),
        Case(code: "E0305", sql: "SELECT symbol FROM prices UNION SELECT symbol, ⟦close⟧ FROM prices"),
        Case(code: "E0305", sql: "SELECT symbol FROM prices UNION SELECT ⟦close⟧ FROM prices"),
        Case(code: "E0306", sql: "SELECT * FROM prices WHERE ⟦symbol = 1⟧"),
        Case(code: "E0307", sql: "INSERT INTO prices (symbol, ts, close) VALUES ('X', TIMESTAMP '2026-01-01 00:00:00', ⟦'abc'⟧)"),
        Case(code: "E0308", sql: "SELECT (⟦SELECT symbol, close FROM prices⟧)"),
        Case(code: "E0309", sql: "INSERT INTO prices (symbol, ts) VALUES (⟦NULL⟧, TIMESTAMP '2026-01-01 00:00:00')"),
        Case(code: "E0309", sql: "INSERT INTO prices (symbol, ts) SELECT ⟦NULL⟧, ts FROM prices"),
        Case(code: "E0309", sql: "UPDATE prices SET symbol = ⟦NULL⟧"),
        Case(code: "E0307", sql: "INSERT INTO prices (symbol, ts, close) SELECT symbol, ts, ⟦'abc'⟧ FROM prices"),
        Case(code: "E0310", sql: "CREATE TABLE t (a ⟦DECIMAL(50,2)⟧)"),
        Case(code: "E0211", sql: "CREATE TABLE ⟦__rocky_table_cache⟧ AS SELECT symbol FROM prices"),
        Case(code: "E0211", sql: "CREATE TABLE ⟦__Rocky_x⟧ (a INTEGER)"),
        Case(code: "E0311", sql: "SELECT ROUND(close, ⟦volume⟧) FROM prices"),
        Case(code: "E0401", sql: "SELECT symbol, ⟦close⟧ FROM prices GROUP BY symbol"),
        Case(code: "E0402", sql: "SELECT * FROM prices WHERE ⟦SUM(close)⟧ > 0"),
        Case(code: "E0403", sql: "SELECT * FROM prices WHERE ⟦ROW_NUMBER() OVER ()⟧ = 1"),
        Case(code: "E0404", sql: "SELECT symbol FROM prices ORDER BY ⟦3⟧"),
        Case(code: "E0601", sql: "CREATE TABLE t (a INTEGER, PRIMARY KEY (⟦b⟧))"),
        Case(code: "E0602", sql: "ALTER TABLE prices DROP COLUMN ⟦symbol⟧"),
        Case(code: "E0602", sql: "ALTER TABLE prices ADD COLUMN ⟦note TEXT NOT NULL⟧"),
    ]

    @Test(arguments: cases)
    func diagnosticHasCodeAndExactRange(_ item: Case) throws {
        let marked = MarkedSQL(item.sql)
        let script = Fixtures.compile(marked.text)
        let diagnostic = try #require(script.diagnostics.first, "no diagnostic for \(marked.text)")
        #expect(diagnostic.code.rawValue == item.code, "\(diagnostic)")
        #expect(marked.matches(diagnostic.range),
                "expected \(marked.start)-\(marked.end), got \(diagnostic.range) for \(diagnostic)")
        if let help = item.help { #expect(diagnostic.help == help) }
        #expect(script.statements.isEmpty != item.compiles)
        #expect(script.hasErrors)
    }

    @Test func aTextLiteralIsADateInEveryKindOfAssignment() {
        for sql in ["INSERT INTO accounts (account_id, opened) VALUES ('A9', '2024-01-02')",
                    "INSERT INTO accounts (account_id, opened) SELECT 'A9', '2024-01-02'",
                    "UPDATE accounts SET opened = '2024-01-02'"] {
            let script = Fixtures.compile(sql)
            #expect(!script.hasErrors, "\(sql): \(script.diagnostics)")
        }
    }

    @Test func nestingTooDeepStopsAtTheLimit() throws {
        let sql = "SELECT " + String(repeating: "(", count: 200) + "1" + String(repeating: ")", count: 200)
        let diagnostic = try #require(Fixtures.compile(sql).diagnostics.first)
        #expect(diagnostic.code == .nestingTooDeep)
        #expect(diagnostic.range.start.column == 8 + Parser.maxDepth)
    }

    @Test func longOperatorChainsAreBoundedNotRecursive() throws {
        let sql = "SELECT " + Array(repeating: "1", count: 5000).joined(separator: " + ")
        let diagnostic = try #require(Fixtures.compile(sql).diagnostics.first)
        #expect(diagnostic.code == .nestingTooDeep)
        let ok = "SELECT * FROM prices WHERE " + Array(repeating: "close > 1", count: 5000).joined(separator: " OR ")
        #expect(!Fixtures.compile(ok).hasErrors)
    }

    @Test func renderingShowsTheLineAndACaret() throws {
        let script = Fixtures.compile("SELECT symbol,\n       symbl\nFROM prices")
        let rendered = script.renderedDiagnostics()
        #expect(rendered == """
            error[E0202]: unknown column 'symbl'
             --> statement 1, line 2, column 8
              |
            2 |        symbl
              |        ^~~~~ did you mean 'symbol'?

            """)
        #expect(script.diagnostics[0].rendered(in: script.source, sourceName: "q.sql").contains("--> q.sql:2:8"))
    }

    @Test func errorsPointAtTheirStatement() throws {
        let script = Fixtures.compile("SELECT 1;\nSELECT 2;\nSELECT nope FROM prices;\nSELECT 4")
        #expect(script.statementCount == 4)
        #expect(script.statements.map(\.index) == [0, 1, 3])
        let diagnostic = try #require(script.diagnostics.first)
        #expect(diagnostic.statementIndex == 2)
        #expect(diagnostic.range.start.line == 3)
        #expect(diagnostic.rendered(in: script.source).contains("--> statement 3, line 3, column 8"))
    }

    @Test func schemaFileRejectsOtherStatements() throws {
        let marked = MarkedSQL("CREATE TABLE a (x INTEGER);\n⟦SELECT 1⟧;")
        let (catalog, diagnostics) = SchemaCatalog.parse(marked.text)
        #expect(catalog.tableNames == ["a"])
        let diagnostic = try #require(diagnostics.first)
        #expect(diagnostic.code == .notATableDefinition)
        #expect(marked.matches(diagnostic.range))
    }

    @Test func unknownNamesSuggestTheNearest() {
        #expect(Suggestion.nearest(to: "symbl", among: ["symbol", "ts", "close"]) == "symbol")
        #expect(Suggestion.nearest(to: "clsoe", among: ["symbol", "ts", "close"]) == "close")
        #expect(Suggestion.nearest(to: "zzzzzz", among: ["symbol", "ts", "close"]) == nil)
    }
}
