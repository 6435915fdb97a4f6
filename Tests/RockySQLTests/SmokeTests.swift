import Testing
import RockyBase
@testable import RockySQL

@Test func smoke() {
    let queries = [
        "SELECT symbol, close, close - LAG(close) OVER (PARTITION BY symbol ORDER BY ts) AS change FROM prices WHERE ts >= '2024-01-01'",
        "SELECT r.sector, SUM(p.quantity * pr.close) AS exposure, AVG(pr.close) FROM positions p JOIN prices pr USING (symbol) JOIN risk_scores r ON r.symbol = p.symbol GROUP BY r.sector ORDER BY 2 DESC",
        "WITH x AS (SELECT symbol, close / open AS ratio FROM prices) SELECT * FROM x",
        "SELECT date_trunc('month', ts), extract(year from ts), ts + INTERVAL '1' MONTH, name || email FROM prices, customers",
    ]
    for q in queries {
        let script = Fixtures.compile(q)
        print(script.renderedDiagnostics())
        for s in script.statements {
            print(s.outputColumns.map { "\($0.name) \($0.type)\($0.nullable ? "" : " NOT NULL")" })
            print(s.sql(for: .sqlite)[0])
            print(s.sql(for: .duckdb)[0])
            print(s.lineage.textTree)
        }
    }
}
