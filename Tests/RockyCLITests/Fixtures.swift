import Foundation
import Testing

/// The repository's Fixtures folder.
let fixtures: String = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("Fixtures").path

func fixture(_ name: String) -> String { fixtures + "/" + name }

func fixtureText(_ name: String) -> String {
    String(decoding: FileManager.default.contents(atPath: fixture(name)) ?? Data(), as: UTF8.self)
}

extension Sandbox {
    /// A repository with the fixture tables imported and committed.
    func loadFixtures() {
        ok("init")
        ok("import", "prices", fixture("prices.csv"), "--key", "symbol,ts", "--time-column", "ts")
        ok("import", "positions", fixture("positions.csv"), "--key", "account_id,symbol")
        ok("import", "customers", fixture("customers.csv"), "--key", "customer_id")
        ok("import", "trades", fixture("trades.csv"), "--key", "trade_id", "--time-column", "executed_at")
        ok("commit", "-m", "Load fixtures")
    }

    /// The table id of a table at a revision (or the working set).
    func tableID(_ table: String, at revision: String? = nil) -> String? {
        let run = rocky(["tables", "--json"] + (revision.map { [$0] } ?? []))
        let tables = (json(run)["tables"] as? [[String: Any]]) ?? []
        return tables.first { $0["name"] as? String == table }?["id"] as? String
    }
}
