import Foundation
import Testing

/// Reads that cannot be completed fail with exit 1 and name what could not
/// be read; inputs are bounded; derived state (the table cache) is verified
/// before it is believed (issue 16, items 4, 5 and 8).
@Suite struct LoudFailureTests {
    /// A repository with three commits on main (the root commit, then two imports).
    private func history() -> Sandbox {
        let box = Sandbox()
        box.ok("init")
        box.write("a.csv", "id,v\n1,10\n2,20\n")
        box.ok("import", "t", "a.csv", "--key", "id")
        box.ok("commit", "-m", "first")
        box.write("a.csv", "id,v\n1,10\n2,21\n")
        box.ok("import", "t", "a.csv", "--key", "id")
        box.ok("commit", "-m", "second")
        return box
    }

    private func id(_ box: Sandbox, _ revision: String) -> String {
        box.ok("rev-parse", revision).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    private func replaceObject(_ box: Sandbox, _ id: String, with bytes: [UInt8]?) throws {
        let path = box.path + "/" + box.objectPath(id)
        #expect(FileManager.default.fileExists(atPath: path), "commit \(id) is stored loose")
        try FileManager.default.removeItem(atPath: path)
        if let bytes { try Data(bytes).write(to: URL(fileURLWithPath: path)) }
    }

    @Test(arguments: ["missing", "corrupt"])
    func logWithAnUnreadableParentFailsNamingIt(_ damage: String) throws {
        let box = history()
        let parent = id(box, "HEAD~1")
        try replaceObject(box, parent, with: damage == "missing" ? nil : Array("not a zlib stream".utf8))
        for arguments in [["log"], ["log", "--oneline"], ["log", "--first-parent"], ["log", "--json"], ["log", "--", "t"]] {
            let run = box.rocky(arguments)
            #expect(run.code == 1, "\(arguments): \(run)")
            #expect(run.err.contains(parent), "\(arguments): \(run)")
        }
        // Asking only for what can be read still works.
        #expect(box.rocky("log", "-n", "1").code == 0)
    }

    @Test func revParseOfATreeOrAMissingIdFails() throws {
        let box = history()
        let tree = box.ok("cat-object", "-p", "HEAD").split(separator: "\n")
            .first { $0.contains("tree") }.flatMap { line in
                line.split(whereSeparator: { !$0.isHexDigit }).first { $0.count == 64 }.map(String.init)
            }
        let treeID = try #require(tree, "cat-object -p HEAD names the commit's tree")
        let run = box.rocky("rev-parse", treeID)
        #expect(run.code == 1, "\(run)")
        #expect(run.err.contains("not a commit"), "\(run)")
        #expect(run.out.isEmpty)
        let missing = String(repeating: "ab", count: 32)
        let absent = box.rocky("rev-parse", missing)
        #expect(absent.code == 1, "\(absent)")
        #expect(absent.err.contains(missing), "\(absent)")
        #expect(box.rocky("rev-parse", "abcdef0123").code == 1)
    }

    @Test func fsckFailsWhenHEADsBranchIsMissing() throws {
        let box = history()
        #expect(box.ok("fsck").hasPrefix("ok: "))
        try FileManager.default.removeItem(atPath: box.path + "/.rocky/refs/heads/main")
        let run = box.rocky("fsck")
        #expect(run.code == 1, "\(run)")
        #expect(run.out.contains("refs/heads/main"), "\(run)")
    }

    // MARK: the table cache is verified, never trusted (item 4)

    /// Runs `sqlite3` on the repository's table cache, as a user might.
    @discardableResult
    private func sqlite(_ box: Sandbox, _ sql: String) throws -> String {
        let sqlite3 = try #require(["/usr/bin/sqlite3", "/usr/local/bin/sqlite3"].first { FileManager.default.isExecutableFile(atPath: $0) },
                                   "the sqlite3 shell is needed to tamper with the cache")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: sqlite3)
        process.arguments = [box.path + "/.rocky/cache/tables.sqlite", sql]
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        return String(decoding: data, as: UTF8.self)
    }

    private func tamperEveryCachedTable(_ box: Sandbox) throws {
        let names = try sqlite(box, "SELECT name FROM sqlite_master WHERE type = 'table' AND name GLOB 't_*'")
            .split(separator: "\n").map(String.init)
        #expect(!names.isEmpty)
        for name in names { try sqlite(box, "UPDATE \"\(name)\" SET v = v + 1000") }
    }

    @Test func aTamperedCacheChangesNoResultAndFsckCachesRepairsIt() throws {
        let box = history()
        let truth = box.ok("sql", "SELECT sum(v) AS s FROM t")
        try tamperEveryCachedTable(box)
        #expect(box.ok("sql", "SELECT sum(v) AS s FROM t") == truth)
        box.ok("sql", "CREATE TABLE u AS SELECT * FROM t", "-m", "copy")
        #expect(box.ok("export", "u") == box.ok("export", "t"))

        try tamperEveryCachedTable(box)
        let fsck = box.rocky("fsck", "--caches")
        #expect(fsck.code == 1, "\(fsck)")
        #expect(fsck.out.contains("table cache"), "\(fsck)")
        #expect(box.rocky("fsck", "--caches").code == 0)
        #expect(box.ok("sql", "SELECT sum(v) AS s FROM t") == truth)
    }

    @Test func aGarbageCacheFileIsRebuilt() throws {
        let box = history()
        let truth = box.ok("sql", "SELECT sum(v) AS s FROM t")
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: box.path + "/.rocky/cache/tables.sqlite" + suffix) }
        box.write(".rocky/cache/tables.sqlite", String(repeating: "garbage ", count: 4096))
        #expect(box.ok("sql", "SELECT sum(v) AS s FROM t") == truth)
        box.write(".rocky/cache/tables.sqlite", String(repeating: "garbage ", count: 4096))
        let fsck = box.rocky("fsck", "--caches")
        #expect(fsck.code == 1 && fsck.out.contains("rebuilt"), "\(fsck)")
        #expect(box.rocky("fsck", "--caches").code == 0)
    }

    // MARK: bounded input (item 8)

    @Test func importOfAnEndlessRecordStopsAtItsLine() throws {
        let box = Sandbox()
        box.ok("init")
        let before = box.snapshot()
        let small = box.rocky("import", "t", "/dev/zero", "--format", "csv", "--max-record-bytes", "4096")
        #expect(small.code == 1, "\(small)")
        #expect(small.err.contains("/dev/zero:1:1:") && small.err.contains("4096"), "\(small)")
        let jsonl = box.rocky("import", "t", "/dev/zero", "--format", "jsonl", "--max-record-bytes", "4096")
        #expect(jsonl.code == 1 && jsonl.err.contains("/dev/zero:1:1:"), "\(jsonl)")
        // With the default limit too: an error, not a process that grows until it is killed.
        let unbounded = box.rocky("import", "t", "/dev/zero", "--format", "csv")
        #expect(unbounded.code == 1 && unbounded.err.contains("/dev/zero:1:1:") && unbounded.err.contains("--max-record-bytes"),
                "\(unbounded)")
        // Standard input is spooled before it is read: the copy stops at the long line, and the spool goes.
        let piped = box.rocky(["import", "t", "-", "--format", "csv", "--max-record-bytes", "4096"],
                              stdin: "a\n" + String(repeating: "x", count: 10_000))
        #expect(piped.code == 1 && piped.err.contains("<stdin>:2:1:") && piped.err.contains("4096"), "\(piped)")
        #expect((try? FileManager.default.contentsOfDirectory(atPath: box.path + "/.rocky/tmp"))?.isEmpty ?? true)
        // Nothing written: no object, ref or audit entry (scratch folders aside).
        let scratch: Set<String> = ["tmp", "objects/pack"]
        #expect(box.snapshot().filter { !scratch.contains($0.key) } == before.filter { !scratch.contains($0.key) })
    }

    @Test func recordsAndFieldsOverTheLimitNameTheirLine() throws {
        let box = Sandbox()
        box.ok("init")
        let long = String(repeating: "x", count: 200)
        box.write("a.csv", "id,v\n1,short\n2,\"\(long)\"\n")
        let field = box.rocky("import", "t", "a.csv", "--max-field-bytes", "100")
        #expect(field.code == 1 && field.err.contains("a.csv:3:3:"), "\(field)")
        let record = box.rocky("import", "t", "a.csv", "--max-record-bytes", "100")
        #expect(record.code == 1 && record.err.contains("a.csv:3:1:"), "\(record)")
        box.write("a.jsonl", "{\"id\":1,\"v\":\"short\"}\n{\"id\":2,\"v\":\"\(long)\"}\n")
        let json = box.rocky("import", "t", "a.jsonl", "--max-field-bytes", "100")
        #expect(json.code == 1 && json.err.contains("a.jsonl:2:"), "\(json)")
        #expect(box.rocky("import", "t", "a.csv").code == 0)
    }

    @Test func aSQLFileThatIsNotUTF8FailsAtThePosition() throws {
        let box = history()
        let bytes = Array("SELECT 1 AS one;\nSELECT 'a".utf8) + [0xFF] + Array("b' AS two;\n".utf8)
        try Data(bytes).write(to: URL(fileURLWithPath: box.path + "/bad.sql"))
        for arguments in [["sql", "-f", "bad.sql"], ["check", "bad.sql"]] {
            let run = box.rocky(arguments)
            #expect(run.code == 1, "\(arguments): \(run)")
            #expect(run.err.contains("bad.sql:2:10:") && run.err.contains("offset 26"), "\(arguments): \(run)")
        }
    }

    @Test func errorsOfASQLFileNameTheFile() throws {
        let box = history()
        box.write("compile.sql", "SELECT 1 AS one;\nSELECT nope FROM t;\n")
        let compile = box.rocky("sql", "-f", "compile.sql")
        #expect(compile.code == 1 && compile.err.contains("compile.sql:2:"), "\(compile)")
        box.write("run.sql", "CREATE TABLE k (id INTEGER PRIMARY KEY);\nINSERT INTO k VALUES (1);\n  INSERT INTO k VALUES (1);\n")
        let run = box.rocky("sql", "-f", "run.sql")
        #expect(run.code == 1 && run.err.contains("run.sql:3:3:"), "\(run)")
    }
}
