// The library example of the README, run by `make demo` and by the tests:
// every line of the README's Swift block appears below as written.
import Foundation
import Rocky
import RockyBase   // Timestamp, Value and the other vocabulary types

/// Stops the example with a message: what it found is not what the README says.
func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("rocky-example: \(message)\n".utf8))
    exit(1)
}

/// A repository whose main holds positions and the prices as they were
/// delivered (Fixtures/README.md, "Delivery timeline"): the 2026-05-19 prices
/// arrive late on 05-21 and the JPM close of 05-14 is corrected on 05-22.
func deliveredRepository(fixtures: String, at folder: String) throws -> URL {
    func repository(at time: String) throws -> Repository {
        try Repository.open(discoveringFrom: folder, settings: Settings(actor: "loader", fixedTime: Timestamp(time)))
    }
    _ = try Repository.initialize(at: folder, settings: Settings(actor: "loader", fixedTime: Timestamp("2026-05-15T21:00:00Z")))
    try repository(at: "2026-05-15T21:00:00Z").importTable(ImportRequest(
        table: "positions", path: fixtures + "/positions.csv", key: ["account_id", "symbol"], commitMessage: "Positions"))
    let deliveries: [(time: String, file: String, corrects: Bool)] = [
        ("2026-05-15T22:00:00Z", "prices-2026-05-15-backfill.csv", false),
        ("2026-05-18T22:00:00Z", "prices-2026-05-18.csv", false),
        ("2026-05-20T22:00:00Z", "prices-2026-05-20.csv", false),
        ("2026-05-21T22:00:00Z", "prices-2026-05-21.csv", false),
        ("2026-05-22T22:00:00Z", "prices-2026-05-22.csv", true),
    ]
    for delivery in deliveries {
        try repository(at: delivery.time).importTable(ImportRequest(
            table: "prices", path: fixtures + "/deliveries/" + delivery.file, key: ["symbol", "ts"], timeColumn: "ts",
            mode: delivery.corrects ? .upsert : .append, commitMessage: delivery.file))
    }
    return URL(fileURLWithPath: folder)
}

func example(fixtures: String, folder: String) throws {
    let url = try deliveredRepository(fixtures: fixtures, at: folder)

    // The README's flow.
    let rocky = try Repository.open(at: url)
    let branch = try rocky.createBranch("agent/rebalance-2026-05-21", from: "main")
    try rocky.execute(on: branch, "CREATE TABLE last_close AS SELECT symbol, MAX(ts) AS ts FROM prices GROUP BY symbol")
    try rocky.execute(on: branch, """
        CREATE TABLE exposure AS SELECT p.account_id, p.symbol, p.quantity * c.close AS market_value
        FROM positions p JOIN last_close l ON p.symbol = l.symbol JOIN prices c ON c.symbol = l.symbol AND c.ts = l.ts
        """)
    let diff = try rocky.diff("main", branch)
    do {
        _ = try rocky.replay(branch, at: Timestamp("2026-05-20T16:00:00Z"))
    } catch let gaps as ReplayGapsFound {
        print("replay refused: \(gaps)")
    }
    let replayed = try rocky.replay(branch, at: Timestamp("2026-05-20T16:00:00Z"), options: ReplayOptions(policy: .allowGaps))
    let changes = try rocky.diff(branch, replayed)
    try rocky.merge(branch, into: "main")

    // What each step gave, checked.
    let added = diff.tables.map(\.name)
    guard added == ["exposure", "last_close"], diff.tables.allSatisfy({ $0.kind == .added }) else {
        fail("the branch should add exposure and last_close, the diff lists \(added)")
    }
    print("diff main \(branch.name): added \(added.joined(separator: ", "))")
    let late = replayed.gaps.reduce(0) { $0 + $1.arrivedLater.count }
    let corrected = replayed.gaps.reduce(0) { $0 + $1.corrected.count }
    guard late == 10, corrected == 1 else {
        fail("the replay at 2026-05-20T16:00:00Z should find 10 late rows and 1 correction, not \(late) and \(corrected)")
    }
    print("replay \(replayed.revisionText): \(late) rows arrived later, \(corrected) corrected, recorded as gaps")
    guard changes.tables.map(\.name) == ["exposure", "last_close", "prices"] else {
        fail("the replay should differ in exposure, last_close and prices, not \(changes.tables.map(\.name))")
    }
    for table in changes.tables {
        let stats = try table.stats()
        print("diff \(branch.name) \(replayed.revisionText) \(table.name): \(stats.added) added, \(stats.removed) removed, \(stats.modified) modified")
    }
    let main = try rocky.commit("main")
    guard try rocky.tables(at: "main").map(\.name).contains("exposure") else { fail("main should hold exposure after the merge") }
    print("merged \(branch.name) into main: \(main.id.hex.prefix(12))")
}

let fixtures = CommandLine.arguments.dropFirst().first ?? "Fixtures"
let folder = NSTemporaryDirectory() + "rocky-example-" + UUID().uuidString
do {
    try example(fixtures: fixtures, folder: folder)
    try? FileManager.default.removeItem(atPath: folder)
} catch {
    try? FileManager.default.removeItem(atPath: folder)
    fail("\(error)")
}
