import Testing
import RockyBase
@testable import RockySQL

/// The key the compiler proves for a CREATE TABLE AS result: only where the
/// rows are certainly unique and the key columns certainly not NULL.
@Suite struct KeyDerivationTests {
    func key(_ sql: String, options: CompileOptions = CompileOptions(), sourceLocation: SourceLocation = #_sourceLocation) -> [String] {
        let script = Fixtures.compile("CREATE TABLE r AS " + sql, options: options)
        #expect(!script.hasErrors, "\(script.renderedDiagnostics())", sourceLocation: sourceLocation)
        return script.statements.first?.resultKey ?? ["(did not compile)"]
    }

    @Test func groupByColumnsThatAreResultColumns() {
        #expect(key("SELECT symbol, DATE_TRUNC('day', ts) AS day, MAX(close) AS hi FROM prices GROUP BY symbol, DATE_TRUNC('day', ts)")
                == ["symbol", "day"])
        #expect(key("SELECT symbol AS s, COUNT(*) AS n FROM prices GROUP BY 1") == ["s"])
        #expect(key("SELECT COUNT(*) AS n FROM prices GROUP BY symbol") == [], "the group column is not in the result")
        #expect(key("SELECT sector, COUNT(*) AS n FROM risk_scores GROUP BY sector") == [], "sector may be NULL")
        #expect(key("SELECT sector, COUNT(*) AS n FROM risk_scores WHERE sector IS NOT NULL GROUP BY sector") == ["sector"])
        #expect(key("SELECT sector, COUNT(*) AS n FROM risk_scores WHERE sector = 'tech' OR beta > 1 GROUP BY sector") == [],
                "OR proves nothing")
        #expect(key("SELECT COUNT(*) AS n FROM prices") == [])
    }

    @Test func aSourceKeyThroughProjectionFilterAndJoins() {
        #expect(key("SELECT ts, symbol, close FROM prices WHERE close > 10 ORDER BY ts LIMIT 5") == ["symbol", "ts"])
        #expect(key("SELECT symbol, close FROM prices") == [], "half a key")
        // Each position meets at most one risk score: the position key holds.
        #expect(key("SELECT p.account_id, p.symbol, r.beta FROM positions p LEFT JOIN risk_scores r ON r.symbol = p.symbol")
                == ["account_id", "symbol"])
        #expect(key("SELECT p.account_id, p.symbol, r.beta FROM risk_scores r RIGHT JOIN positions p ON r.symbol = p.symbol")
                == ["account_id", "symbol"])
        #expect(key("SELECT p.account_id, p.symbol FROM positions p FULL JOIN risk_scores r ON r.symbol = p.symbol") == [])
        // Joined on something other than the other side's key: many rows each.
        #expect(key("SELECT a.account_id FROM accounts a JOIN trades t ON t.account_id = a.account_id") == [])
        #expect(key("SELECT a.account_id, t.trade_id FROM accounts a JOIN trades t ON t.account_id = a.account_id")
                == ["trade_id"], "each trade meets one account: the trade key holds")
        #expect(key("SELECT a.account_id, r.symbol FROM accounts a CROSS JOIN risk_scores r") == ["account_id", "symbol"],
                "the pair of keys of a cross join")
        #expect(key("SELECT x.symbol FROM (SELECT symbol, COUNT(*) AS n FROM prices GROUP BY symbol) AS x WHERE x.n > 1")
                == ["symbol"])
        #expect(key("WITH c AS (SELECT DISTINCT symbol FROM prices) SELECT c.symbol, r.beta FROM c JOIN risk_scores r USING (symbol)")
                == ["symbol"])
    }

    @Test func distinctAndSetOperations() {
        #expect(key("SELECT DISTINCT symbol FROM prices") == ["symbol"])
        #expect(key("SELECT DISTINCT symbol, volume FROM prices") == [], "volume may be NULL")
        #expect(key("SELECT symbol FROM prices UNION SELECT symbol FROM positions") == ["symbol"])
        #expect(key("SELECT symbol FROM prices UNION ALL SELECT symbol FROM positions") == [])
        #expect(key("VALUES (1, 2)") == [])
    }

    @Test func aMaskedKeyColumnIsNoKey() {
        let options = CompileOptions(environment: "prod", masking: .byClassification(["prod": ["pii": .redact]]))
        #expect(key("SELECT customer_id, email FROM customers", options: options) == ["customer_id"])
        #expect(key("SELECT DISTINCT email FROM customers WHERE email IS NOT NULL", options: options) == [],
                "redacted values are not distinct")
    }

    @Test func aDeclaredKeyIsChecked() {
        let script = Fixtures.compile("CREATE TABLE r (PRIMARY KEY (volume, Symbol)) AS SELECT symbol, volume FROM prices")
        #expect(script.statements.first?.resultKey == ["volume", "symbol"])
        #expect(script.statements.first?.primaryKey == ["volume", "symbol"])
        let wrong = Fixtures.compile("CREATE TABLE r (PRIMARY KEY (nope)) AS SELECT symbol FROM prices")
        #expect(wrong.diagnostics.first?.code == .invalidPrimaryKey)
        let twice = Fixtures.compile("CREATE TABLE r (PRIMARY KEY (symbol, symbol)) AS SELECT symbol FROM prices")
        #expect(twice.diagnostics.first?.code == .invalidPrimaryKey)
    }

    @Test func historyReferencesAreFoundFromSyntaxAlone() {
        let refs = SQLCompiler.historyReferences(in: """
            SELECT * FROM prices AS OF 'main@{2026-05-20T16:00Z}' p JOIN rocky_diff('a', 'b', 'prices') AS d ON true
              JOIN rocky_log l ON true;
            WITH rocky_tags AS (SELECT 1 AS x) SELECT * FROM rocky_tags, prices AS of
            """)
        #expect(refs == [.asOf(table: "prices", revision: "main@{2026-05-20T16:00Z}"), .diff(from: "a", to: "b", table: "prices"),
                         .system("rocky_log")])
        #expect(refs.map(\.catalogName) == ["prices@main@{2026-05-20T16:00Z}", "rocky_diff(a,b,prices)", "rocky_log"])
        #expect(refs.allSatisfy { HistoryReference(catalogName: $0.catalogName) == $0 })
        let missing = Fixtures.compile("SELECT * FROM prices AS OF 'v1'")
        #expect(missing.diagnostics.first?.code == .unknownTable)
    }
}
