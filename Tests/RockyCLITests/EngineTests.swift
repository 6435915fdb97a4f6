import Foundation
import Testing

@Suite struct EngineTests {
    /// Content addressing does not depend on how the engine is put together:
    /// these ids were computed by the SQLite adapter before execution was
    /// split into an engine-neutral executor and a SQLite backend, for every
    /// kind of statement that writes a table (CREATE TABLE AS keyed and
    /// keyless, CREATE TABLE, INSERT, UPDATE, DELETE, ALTER ADD and DROP COLUMN,
    /// aggregates over DOUBLE and DECIMAL).
    @Test func theSameStatementsOverTheSameInputsGiveTheSameTableIDs() {
        let box = Sandbox()
        box.ok("init")
        box.ok("import", "positions", fixture("positions.csv"), "--key", "account_id,symbol")
        for sql in [
            "CREATE TABLE big AS SELECT account_id, symbol, quantity * 2 AS q2 FROM positions WHERE quantity > 0",
            "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL, amount DECIMAL(10,2))",
            "INSERT INTO notes VALUES (1, 'one', 1.50), (2, 'two', 2.25), (3, 'three', NULL)",
            "UPDATE notes SET amount = amount + 1 WHERE id < 3; DELETE FROM notes WHERE id = 3",
            "ALTER TABLE notes ADD COLUMN tag TEXT",
            "CREATE TABLE bag AS SELECT symbol FROM positions",
            "ALTER TABLE big DROP COLUMN q2",
            "INSERT INTO bag SELECT symbol FROM bag WHERE symbol < 'C'",
            "CREATE TABLE stats AS SELECT symbol, AVG(risk_score) AS r, SUM(avg_cost) AS c, COUNT(*) AS n FROM positions GROUP BY symbol",
        ] {
            box.ok("sql", sql)
        }
        let tables = (box.json(box.rocky("tables", "--json"))["tables"] as? [[String: Any]]) ?? []
        let ids = Dictionary(uniqueKeysWithValues: tables.compactMap { t in (t["name"] as? String).map { ($0, t["id"] as? String ?? "") } })
        #expect(ids == [
            "bag": "2742ee8394e4b6249088321eeef2295ecd33d1e9bfe4d0420eb04a5e730563f2",
            "big": "8cd77cba59e411a2d3b07fbf5617e33046113df28900a6c088cadd2912e4af6b",
            "notes": "3f8cfd8022b146bcc44bbb132f3ea0f1afdfe731a996e1015d298116b9da2876",
            "positions": "9c45e0344b689ac359513c2dc5dc7e7914b7dbe907ab702127d57de7fa550fc8",
            "stats": "4a262ed03a5a6da742f348ffaaf0a357bfefaee0543dc7f109729afac0a124d2",
        ])
    }
}
