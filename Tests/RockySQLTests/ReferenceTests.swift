import RockySQL
import Testing

/// `SQLCompiler.referencedTables`, which orders `rocky run`'s models: the
/// tables a script reads or writes, from syntax alone.
@Suite struct ReferenceTests {
    @Test(arguments: [
        ("SELECT p.symbol FROM Prices p JOIN positions USING (symbol)", ["prices", "positions"]),
        // A CTE may read the table it shadows; inside the query the name is the CTE's.
        ("WITH prices AS (SELECT * FROM prices WHERE close > 1) SELECT * FROM prices", ["prices"]),
        ("WITH a AS (SELECT * FROM trades) SELECT * FROM a JOIN accounts ON a.account_id = accounts.account_id", ["trades", "accounts"]),
        // A CTE's name is not in scope before it is defined, nor outside its query.
        ("WITH a AS (SELECT * FROM b), b AS (SELECT 1 AS x) SELECT * FROM a", ["b"]),
        ("SELECT * FROM (WITH t AS (SELECT 1 AS x) SELECT * FROM t) s JOIN t ON true", ["t"]),
        ("SELECT symbol FROM prices WHERE symbol IN (SELECT symbol FROM positions WHERE EXISTS (SELECT 1 FROM risk_scores))",
         ["prices", "positions", "risk_scores"]),
        ("INSERT INTO audit_copy SELECT * FROM trades", ["audit_copy", "trades"]),
        ("UPDATE positions SET qty = (SELECT MAX(qty) FROM trades) WHERE symbol = 'X'", ["positions", "trades"]),
        ("DELETE FROM positions WHERE symbol NOT IN (SELECT symbol FROM prices)", ["positions", "prices"]),
        ("CREATE TABLE daily AS SELECT * FROM prices; SELECT * FROM daily", ["prices", "daily"]),
        ("SELECT * FROM; SELECT * FROM trades", ["trades"]),
    ])
    func tablesInOrderOfFirstAppearance(sql: String, expected: [String]) {
        #expect(SQLCompiler.referencedTables(in: sql) == expected, "\(sql)")
    }
}
