import Foundation
@testable import Rocky
import RockyBase
import RockyStore
import Testing

/// `objectsToSend`, the negotiation of HTTPS fetch and push: what it sends
/// contains everything the receiver lacks (never less), nothing the wanted
/// commits do not reach, and, after a small change to a large table, only a
/// few objects.
@Suite struct NegotiationTests {
    /// A repository with a `big` table of `rows` rows (and the fixtures).
    func repository(rows: Int) throws -> (Repository, TemporaryFolder) {
        let (url, folder) = try fixtureRepository()
        let settings = Settings(actor: "tester", fixedTime: Timestamp("2026-05-20T16:00:00Z"))
        let repo = try Repository.open(discoveringFrom: url.path, settings: settings)
        var csv = "id,name,amount\n"
        for i in 0..<rows { csv += "\(i),name-\(i * 7919 % 1000),\(i * 31 % 977)\n" }
        let file = folder.path + "/big.csv"
        try csv.write(toFile: file, atomically: true, encoding: .utf8)
        try repo.importTable(ImportRequest(table: "big", path: file, key: ["id"]))
        try repo.commit(message: "big")
        return (repo, folder)
    }

    func reachable(_ roots: [ObjectID], _ repo: Repository, _ store: DiskObjectStore) throws -> Set<ObjectID> {
        var all = Set<ObjectID>()
        try repo.walkObjects(from: roots, read: { try store.read($0) }, stop: { _ in false }) { id, _ in all.insert(id) }
        return all
    }

    func head(_ repo: Repository) throws -> ObjectID { try repo.refs.read(try RefName.branch("main"))! }

    @Test func whatIsSentIsExactlyEnoughAfterEveryKindOfChange() throws {
        let (repo, folder) = try repository(rows: 20_000)
        _ = folder
        let store = try repo.diskObjects
        var history = [try head(repo)]
        let changes = [
            "UPDATE big SET amount = amount + 1 WHERE id = 12345",
            "UPDATE big SET amount = amount + 1 WHERE id % 1000 = 7",
            "DELETE FROM big WHERE id >= 15000",
            "INSERT INTO big SELECT id + 100000, name, amount FROM big WHERE id < 40000",
            "CREATE TABLE small AS SELECT id, amount FROM big WHERE id < 10",
            "DROP TABLE positions",
            "DELETE FROM big WHERE id > 3",
        ]
        for (i, sql) in changes.enumerated() {
            try repo.runSQL(sql, commitMessage: "change \(i)")
            history.append(try head(repo))
        }
        // Every pair (old, new) along the history, and no haves at all.
        for newIndex in history.indices {
            for oldIndex in [nil] + Array(history.indices.prefix(newIndex)) {
                let new = history[newIndex]
                let haves = oldIndex.map { [history[$0]] } ?? []
                let sent = try repo.objectsToSend(wants: [new], haves: haves, store: store)
                let wanted = try reachable([new], repo, store)
                let had = try reachable(haves, repo, store)
                let missing = wanted.subtracting(had).subtracting(sent)
                #expect(missing.isEmpty, "\(oldIndex.map(String.init) ?? "nothing") -> \(newIndex): \(missing.count) objects the receiver lacks are not sent")
                #expect(Set(sent).isSubset(of: wanted), "only what the wanted commit reaches is sent")
                #expect(Set(sent).count == sent.count, "each object once")
            }
        }
        // Haves the sender does not know are ignored.
        let unknown = ObjectID(bytes: [UInt8](repeating: 7, count: 32))
        let all = try repo.objectsToSend(wants: [history[1]], haves: [unknown], store: store)
        #expect(Set(all) == (try reachable([history[1]], repo, store)))
    }

    @Test func aSmallChangeReadsAndSendsAFewObjectsWhateverTheTableSize() throws {
        let (repo, folder) = try repository(rows: 60_000)
        _ = folder
        let old = try head(repo)
        try repo.runSQL("UPDATE big SET amount = amount + 1 WHERE id IN (5, 30000, 59990)", commitMessage: "three rows")
        let new = try head(repo)
        let store = try repo.diskObjects
        let tableObjects = try reachable([new], repo, store).count
        let sent = try repo.objectsToSend(wants: [new], haves: [old], store: store)
        #expect(tableObjects > 200, "the table spans many objects: \(tableObjects)")
        #expect(sent.count < 40, "sent \(sent.count) of \(tableObjects) objects")
        let wanted = try reachable([new], repo, store).subtracting(try reachable([old], repo, store))
        #expect(wanted.isSubset(of: Set(sent)), "\(wanted.count) objects changed")

        // Two statements in one commit: the version between them, named only
        // by the transformation records, is paired with the old one too.
        try repo.runSQL("UPDATE big SET amount = 0 WHERE id = 100; UPDATE big SET amount = 1 WHERE id = 40000", commitMessage: "two")
        let newer = try head(repo)
        let both = try repo.objectsToSend(wants: [newer], haves: [new], store: store)
        let changed = try reachable([newer], repo, store).subtracting(try reachable([new], repo, store))
        #expect(changed.isSubset(of: Set(both)))
        #expect(both.count < 60, "sent \(both.count); \(changed.count) changed")
    }
}
