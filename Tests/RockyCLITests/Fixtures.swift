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

    /// A repository `origin` whose table `t` (keyed by `id`) is `csv`,
    /// committed, and a clone of it named `clone`.
    func originAndClone(_ csv: String, clone: String) {
        ok("init", "origin")
        write("origin/t.csv", csv)
        ok("import", "t", "t.csv", "--key", "id", in: "origin")
        ok("commit", "-m", "base", in: "origin")
        ok("clone", "origin", clone)
    }

    /// The table id of a table at a revision (or the working set).
    func tableID(_ table: String, at revision: String? = nil) -> String? {
        let run = rocky(["tables", "--json"] + (revision.map { [$0] } ?? []))
        let tables = (json(run)["tables"] as? [[String: Any]]) ?? []
        return tables.first { $0["name"] as? String == table }?["id"] as? String
    }
}

/// One row per edge of every column type (extremes, empty strings, quotes and
/// newlines, non-ASCII, the earliest dates, microseconds) and a row of NULLs.
let everyTypeCSV = """
    id,flag,n,x,amount,label,day,at
    1,true,-9223372036854775808,1.5,-0.0100,"",2026-05-20,2026-05-20T16:00:00Z
    2,false,9223372036854775807,-2.25e-10,99999999.9999,"with ""quotes"", commas
    and a newline",1969-12-31,1969-12-31T23:59:59.999999Z
    3,,,,,,,
    4,true,0,0.1,0.0000,王芳 é 😀,0001-01-01,2026-05-20T16:00:00.000001Z

    """
