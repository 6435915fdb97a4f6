import Foundation
import Rocky
import RockyBase
import RockyTable
import Testing

/// A repository with the fixture tables committed on main.
func fixtureRepository() throws -> (URL, TemporaryFolder) {
    let folder = TemporaryFolder()
    let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fixtures").path
    let settings = Settings(actor: "tester", fixedTime: Timestamp("2026-05-20T16:00:00Z"))
    let repo = try Repository.initialize(at: folder.path, settings: settings)
    try repo.importTable(ImportRequest(table: "prices", path: fixtures + "/prices.csv", key: ["symbol", "ts"], timeColumn: "ts"))
    try repo.importTable(ImportRequest(table: "positions", path: fixtures + "/positions.csv", key: ["account_id", "symbol"]))
    try repo.commit(message: "Load fixtures")
    return (URL(fileURLWithPath: folder.path), folder)
}

final class TemporaryFolder: @unchecked Sendable {
    let path = NSTemporaryDirectory() + "rocky-lib-" + UUID().uuidString
    init() { try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true) }
    deinit { try? FileManager.default.removeItem(atPath: path) }
}

@Suite struct LibraryFlowTests {
    /// The product's own example, exactly as written.
    @Test func theProductExampleRunsAsWritten() throws {
        let (url, folder) = try fixtureRepository()
        _ = folder

        let rocky = try Repository.open(at: url)
        let branch = try rocky.createBranch("agent/rebalance-2026-05-21", from: "main")
        try rocky.execute(on: branch, "CREATE TABLE positions_adjusted AS SELECT * FROM positions WHERE risk_score < 0.8")
        let diff = try rocky.diff("main", branch)

        #expect(diff.tables.map(\.name) == ["positions_adjusted"])
        #expect(diff.tables.first?.kind == .added)
        let adjusted = try #require(diff.tables.first?.new)
        #expect(adjusted.rowCount == 99, "the fixture has 99 positions with risk_score < 0.8")
        var rows = try rocky.rows(of: "positions_adjusted", at: branch.name)
        while let row = try rows.nextRow() {
            guard case let .double(score) = row[4] else { Issue.record("risk_score is not a DOUBLE"); continue }
            #expect(score < 0.8)
        }
        let replayed = try rocky.replay(branch, at: Timestamp("2026-05-20T16:00:00Z"))
        let replayDiff = try rocky.diff(branch, replayed)
        #expect(replayDiff.isEmpty, "main has not changed since the branch forked: the replay reproduces it")
        #expect(replayed.reused == 1)

        let head = try rocky.commit(branch)
        #expect(head.commit.transforms.count == 1, "one transformation commit")
        #expect(try rocky.resolve("main") != head.id, "main did not move")
    }

    @Test func aFailingStatementLeavesTheBranchAsItWas() throws {
        let (url, folder) = try fixtureRepository()
        _ = folder
        let rocky = try Repository.open(at: url)
        let branch = try rocky.createBranch("agent/x", from: "main")
        let before = try rocky.resolve(branch)
        #expect(throws: (any Error).self) {
            try rocky.execute(on: branch, "CREATE TABLE t AS SELECT symbol FROM prices; INSERT INTO positions SELECT * FROM positions")
        }
        #expect(try rocky.resolve(branch) == before)
    }
}
