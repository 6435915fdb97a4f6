import Foundation
import Testing

extension Sandbox {
    /// A keyed CSV of `rows` rows; every `every`-th value is shifted by `shift`,
    /// so two such files share most of their chunks.
    func writeNumbers(_ name: String, rows: Int, shift: Int = 0, every: Int = 10) {
        var text = "id,value,label\n"
        for i in 0..<rows {
            text += "\(i),\(i * 3 + (i % every == 0 ? shift : 0)),row-\(i)\n"
        }
        write(name, text)
    }

    /// Exports every table of every listed revision: to compare before and after gc.
    func exportAll(_ revisions: [String?], in folder: String? = nil) -> [String: String] {
        var result: [String: String] = [:]
        for revision in revisions {
            let args = ["tables", "--json"] + (revision.map { [$0] } ?? [])
            let tables = (json(rocky(args, in: folder))["tables"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
            for table in tables {
                let run = rocky(["export", table] + (revision.map { [$0] } ?? []), in: folder)
                result["\(revision ?? "(working set)"):\(table)"] = run.code == 0 ? run.out : "failed: \(run.err)"
            }
        }
        return result
    }

    func setModificationTime(_ relative: String, daysAgo: Double) throws {
        try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSinceNow: -daysAgo * 86_400)],
                                              ofItemAtPath: path + "/" + relative)
    }

    func objectPath(_ id: String) -> String { ".rocky/objects/\(id.prefix(2))/\(id.dropFirst(2))" }
}

@Suite struct GCTests {
    /// Branches, a working set, remote-tracking refs and a detached HEAD all
    /// keep what they reach, with every reflog expired and no grace period.
    @Test func gcNeverRemovesAReachableObject() throws {
        let box = Sandbox()
        box.makeOrigin()
        box.ok("clone", "origin", "c")
        box.writeNumbers("a.csv", rows: 3000)
        box.ok("checkout", "dev", in: "origin")
        box.ok("import", "numbers", "../a.csv", "--key", "id", in: "origin")
        box.ok("commit", "-m", "numbers on dev", in: "origin")
        box.ok("fetch", in: "c")
        box.ok("checkout", "main", in: "origin")
        box.ok("branch", "-D", "dev", in: "origin")

        // In the clone: a branch, a commit only a detached HEAD reaches, and uncommitted work.
        box.writeNumbers("b.csv", rows: 3000, shift: 7)
        box.ok("checkout", "-b", "side", in: "c")
        box.ok("import", "numbers", "../b.csv", "--key", "id", in: "c")
        box.ok("commit", "-m", "numbers on side", in: "c")
        box.ok("checkout", "main", in: "c")
        box.ok("import", "customers", fixture("customers.csv"), "--key", "customer_id", in: "c")
        let revisions: [String?] = [nil, "main", "side", "refs/remotes/origin/dev"]
        let before = box.exportAll(revisions, in: "c")
        #expect(before.count == 11)
        let status = box.ok("status", in: "c")

        for _ in 0..<2 {
            let run = box.rocky(["gc", "--prune", "now", "--expire-reflogs", "now", "--json"], in: "c")
            #expect(run.code == 0, "\(run)")
        }
        box.ok("fsck", in: "c")
        #expect(box.exportAll(revisions, in: "c") == before)
        #expect(box.ok("status", in: "c") == status)

        // A detached HEAD keeps its commit.
        let main = box.revParse("main", in: "c")!
        box.ok("checkout", "--force", main, in: "c")
        box.ok("import", "extra", fixture("trades.csv"), "--key", "trade_id", in: "c")
        box.ok("commit", "-m", "detached work", in: "c")
        let detached = box.revParse("HEAD", in: "c")!
        box.ok("gc", "--prune", "now", "--expire-reflogs", "now", in: "c")
        box.ok("fsck", in: "c")
        #expect(box.ok("export", "extra", detached, in: "c") == fixtureText("trades.csv"))
        // The source was not touched: its files are hard-linked, gc only removed the clone's links.
        box.ok("fsck", in: "origin")
    }

    @Test func gcRemovesWhatNothingReachesOnceTheReflogsExpire() throws {
        let box = Sandbox()
        box.loadFixtures()
        box.writeNumbers("a.csv", rows: 3000)
        box.ok("checkout", "-b", "tmp")
        box.ok("import", "numbers", "a.csv", "--key", "id")
        box.ok("commit", "-m", "temporary")
        let table = box.tableID("numbers")!
        box.ok("checkout", "main")
        box.ok("branch", "-D", "tmp")

        // The deleted branch's reflog still reaches the table.
        let kept = box.json(box.rocky(["gc", "--prune", "now", "--json"]))
        #expect(kept["objects_removed"] as? Int == 0, "\(kept)")
        #expect(box.rocky("cat-object", "-t", table).code == 0)

        let dry = box.json(box.rocky(["gc", "--prune", "now", "--expire-reflogs", "now", "--dry-run", "--json"]))
        #expect((dry["objects_removed"] as? Int ?? 0) > 10, "\(dry)")
        #expect(box.rocky("cat-object", "-t", table).code == 0, "a dry run removes nothing")

        let run = box.rocky(["gc", "--prune", "now", "--expire-reflogs", "now", "--json"])
        let report = box.json(run)
        #expect(report["objects_removed"] as? Int == dry["objects_removed"] as? Int, "\(run)")
        #expect((report["bytes_freed"] as? Int ?? 0) > 0)
        #expect((report["reflog_entries_expired"] as? Int ?? 0) > 0)
        #expect(box.rocky("cat-object", "-t", table).code == 1, "the table is gone")
        #expect(box.read(".rocky/logs/refs/heads/tmp") == nil, "the expired reflog is gone")
        box.ok("fsck")
        #expect(box.ok("export", "prices") == fixtureText("prices.csv"))
        let entries = box.json(box.rocky("audit", "--json"))["entries"] as? [[String: Any]] ?? []
        #expect(entries.last?["operation"] as? String == "gc")
        #expect(box.ok("gc", "--prune", "now").hasPrefix("Removed 0 unreachable"))
    }

    @Test func theGracePeriodKeepsRecentObjects() throws {
        let box = Sandbox()
        box.ok("init")
        box.write("note.txt", "an unreachable blob\n")
        let blob = box.ok("hash-object", "-w", "note.txt").trimmingCharacters(in: .whitespacesAndNewlines)
        box.write(".rocky/objects/tmp-left-by-a-crash", "partial")
        box.write(".rocky/objects/pack/tmp-pack-recent", "partial")
        box.write(".rocky/tmp/sort-run-Ab12Cd", "a killed import's sort run")
        box.write(".rocky/tmp/sort-run-Ef34Gh", "a running import's sort run")
        try box.setModificationTime(".rocky/objects/tmp-left-by-a-crash", daysAgo: 20)
        try box.setModificationTime(".rocky/tmp/sort-run-Ab12Cd", daysAgo: 20)
        let orphan = ".rocky/objects/pack/pack-" + String(repeating: "ab", count: 32) + ".pack"
        box.write(orphan, "a pack whose index never arrived")
        try box.setModificationTime(orphan, daysAgo: 20)
        box.write(".rocky/audit.log.lock", "")
        let fsck = box.rocky("fsck")
        #expect((fsck.out + fsck.err).contains("5 temporary file(s)"), "\(fsck)")
        #expect((fsck.out + fsck.err).contains("audit.log.lock"), "\(fsck)")
        try FileManager.default.removeItem(atPath: box.path + "/.rocky/audit.log.lock")

        let first = box.json(box.rocky(["gc", "--json"]))
        #expect(first["objects_removed"] as? Int == 0)
        #expect((first["kept_recent"] as? Int ?? 0) >= 1)
        #expect(first["temporary_files_removed"] as? Int == 3, "temporary files older than two weeks go")
        #expect(box.read(orphan) == nil, "a pack without an index is an interrupted write")
        #expect(box.read(".rocky/tmp/sort-run-Ab12Cd") == nil)
        #expect(box.read(".rocky/objects/pack/tmp-pack-recent") != nil, "a recent one stays")
        #expect(box.read(".rocky/tmp/sort-run-Ef34Gh") != nil)
        box.ok("gc", "--prune", "1h")
        #expect(box.rocky("cat-object", "-t", blob).code == 0)

        try box.setModificationTime(box.objectPath(blob), daysAgo: 15)
        box.ok("gc", "--prune", "3w")
        #expect(box.rocky("cat-object", "-t", blob).code == 0, "younger than three weeks")
        let removed = box.json(box.rocky(["gc", "--json"]))
        #expect(removed["loose_removed"] as? Int == 1)
        #expect(box.rocky("cat-object", "-t", blob).code == 1)
        #expect(box.rocky("gc", "--prune", "soon").code == 2)
        box.ok("fsck")
    }

    @Test func gcGathersLooseObjectsIntoAPack() throws {
        let box = Sandbox()
        box.loadFixtures()
        for i in 0..<3 { box.ok("branch", "b\(i)") }
        let loose = box.names(".rocky/objects").filter { $0.count == 65 && $0.dropFirst(2).first == "/" }
        #expect(loose.count > 5)
        let before = box.exportAll(["main"])
        let report = box.json(box.rocky("gc", "--json"))
        #expect(report["objects_packed"] as? Int == loose.count)
        #expect(report["packs_written"] as? Int == 1)
        #expect(box.names(".rocky/objects").filter { $0.count == 65 && $0.dropFirst(2).first == "/" }.isEmpty)
        #expect(box.names(".rocky/objects/pack").filter { $0.hasSuffix(".pack") }.count == 1, "small packs are gathered too")
        #expect(box.exportAll(["main"]) == before)
        box.ok("fsck")
    }

    /// An import runs in the background (replacing a table back and forth, so
    /// that versions become unreachable and are then reused) while gc with no
    /// grace period and expired reflogs runs in a loop. Nothing reachable may go.
    @Test func gcBesideAConcurrentImportLosesNothing() throws {
        let box = Sandbox()
        box.ok("init")
        // b differs from a in a few rows: most chunks are shared, a few are a's alone,
        // and become garbage whenever b replaces a (nothing is committed in between).
        box.writeNumbers("a.csv", rows: 6000)
        box.writeNumbers("b.csv", rows: 6000, shift: 5, every: 1000)
        box.write("importer.sh", """
            for i in $(seq 1 10); do
              "$ROCKY" import t a.csv --key id > /dev/null || exit 1
              "$ROCKY" export t > /dev/null || exit 1
              "$ROCKY" import t b.csv --key id > /dev/null || exit 1
              "$ROCKY" export t > /dev/null || exit 1
            done
            "$ROCKY" import t a.csv --key id > /dev/null || exit 1
            "$ROCKY" commit -m final > /dev/null || exit 1
            """)
        let importer = Process()
        importer.executableURL = URL(fileURLWithPath: "/bin/bash")
        importer.arguments = ["importer.sh"]
        importer.currentDirectoryURL = URL(fileURLWithPath: box.path)
        importer.environment = box.environment.merging(["ROCKY": rockyBinary]) { $1 }
        let errors = Pipe()
        importer.standardError = errors
        try importer.run()
        var rounds = 0
        var removed = 0
        while importer.isRunning {
            let run = box.rocky(["gc", "--prune", "now", "--expire-reflogs", "now", "--json"])
            #expect(run.code == 0, "\(run)")
            removed += box.json(run)["objects_removed"] as? Int ?? 0
            rounds += 1
        }
        let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        importer.waitUntilExit()
        #expect(importer.terminationStatus == 0, "\(message)")
        #expect(rounds > 3)
        #expect(removed > 0, "gc did remove the versions nothing reached")
        box.ok("gc", "--prune", "now", "--expire-reflogs", "now")
        box.ok("fsck")

        let reference = Sandbox()
        reference.ok("init")
        reference.ok("import", "t", box.path + "/a.csv", "--key", "id")
        #expect(box.ok("export", "t") == reference.ok("export", "t"))
        #expect(box.tableID("t") == reference.tableID("t"))
    }
}
