import Foundation
import Rocky
import RockyBase
import RockyStore
import Testing

/// Trees naming paths outside the working directory, and symbolic links
/// planted where Rocky writes: each is refused with an error naming the
/// path, nothing lands outside the repository, and fsck names the problem.
/// Repositories live at `w/<name>` so that `../escaped.txt` would land in
/// `w/`, inside the sandbox, where the tests look for it.
extension Sandbox {
    /// Project file paths a hostile tree may hold, each with the file it
    /// would write if it were followed.
    var hostilePaths: [String] {
        ["../escaped.txt", "models/../../escaped.txt", path + "/abs-escaped.txt", ".rocky/refs/heads/main"]
    }

    /// Files that exist only if something escaped the working directory.
    func escaped() -> [String] {
        ["w/escaped.txt", "abs-escaped.txt", "outside/escaped.txt"].filter { FileManager.default.fileExists(atPath: path + "/" + $0) }
    }

    /// Writes, bypassing every check (as a hand-edited repository or another
    /// implementation could), a commit on top of `main` whose tree adds
    /// `files` and tables named `tables` (holding `prices`); points
    /// `refs/heads/<branch>` at it when given. Returns the tree and commit ids.
    @discardableResult
    func plant(in folder: String, branch: String?, files: [String: String] = [:], tables: [String] = [],
               on parentBranch: String = "main") throws -> (tree: String, commit: String) {
        let store = DiskObjectStore(directory: path + "/" + folder + "/.rocky/objects")
        let parentHex = try #require(revParse(parentBranch, in: folder))
        let parent = try #require(ObjectID(hex: parentHex))
        let parentTree = try store.readTree(try store.readCommit(parent).tree)
        var fileIDs = parentTree.files, tableIDs = parentTree.tables
        for (name, text) in files { fileIDs[name] = try store.write(.blob, Array(text.utf8)) }
        for name in tables { tableIDs[name] = try #require(parentTree.tables["prices"]) }
        let tree = try store.write(.tree, Tree(tables: tableIDs, files: fileIDs).payload)
        let commit = try store.write(commit: Commit(tree: tree, parents: [parent], actor: "mallory",
                                                    time: Timestamp(microseconds: 0), message: "hostile"))
        if let branch { write(folder + "/.rocky/refs/heads/" + branch, commit.hex + "\n") }
        return (tree.hex, commit.hex)
    }

    func remove(_ relative: String) { try? FileManager.default.removeItem(atPath: path + "/" + relative) }

    func symlink(_ relative: String, to target: String) throws {
        try FileManager.default.createSymbolicLink(atPath: path + "/" + relative, withDestinationPath: target)
    }

    /// Runs fsck and requires it to fail with a problem containing each of `needles`.
    func expectFsckReports(_ needles: [String], in folder: String, sourceLocation: SourceLocation = #_sourceLocation) {
        let run = rocky(["fsck"], in: folder)
        #expect(run.code == 1, "\(run)", sourceLocation: sourceLocation)
        for needle in needles { #expect(run.out.contains(needle), "fsck does not name \(needle):\n\(run)", sourceLocation: sourceLocation) }
    }
}

@Suite struct HostileInputTests {
    /// A refusal: exit 1, the path named on stderr, nothing escaped.
    func expectRefused(_ run: Run, naming needle: String, _ box: Sandbox, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(run.code == 1, "\(run)", sourceLocation: sourceLocation)
        #expect(run.err.contains(needle), "the error does not name \(needle):\n\(run)", sourceLocation: sourceLocation)
        #expect(box.escaped().isEmpty, "written outside: \(box.escaped())", sourceLocation: sourceLocation)
    }

    @Test func commitTreeAndUpdateRefRefuseATreeWithUnsafePaths() throws {
        let box = Sandbox()
        box.makeOrigin("w/repo")
        let before = box.snapshot("w/repo/.rocky/refs")
        for bad in box.hostilePaths {
            let planted = try box.plant(in: "w/repo", branch: nil, files: [bad: "pwned\n"])
            expectRefused(box.rocky(["commit-tree", planted.tree, "-m", "x"], in: "w/repo"), naming: bad, box)
            expectRefused(box.rocky(["update-ref", "refs/heads/evil", planted.commit], in: "w/repo"), naming: bad, box)
            box.expectFsckReports(["tree entry '\(bad)'"], in: "w/repo")
        }
        #expect(box.snapshot("w/repo/.rocky/refs") == before, "no ref moved")
    }

    @Test func fsckNamesCaseCollisionsAndControlCharacters() throws {
        let box = Sandbox()
        box.makeOrigin("w/repo")
        try box.plant(in: "w/repo", branch: "evil", files: ["models/a.sql": "select 1", "models/A.sql": "select 2",
                                                          "models/b\u{7}.sql": "select 3"])
        box.expectFsckReports(["tree entry 'models/a.sql' is unsafe: the path differs only in case from 'models/A.sql'",
                               "tree entry 'models/b\u{7}.sql' is unsafe: the path contains a control character"], in: "w/repo")
        expectRefused(box.rocky(["checkout", "evil"], in: "w/repo"), naming: "models/", box)
        #expect(box.read("w/repo/models/a.sql") == nil && box.read("w/repo/models/A.sql") == nil)
    }

    @Test func checkoutRefusesATreeWithUnsafePaths() throws {
        let box = Sandbox()
        box.makeOrigin("w/repo")
        let head = box.read("w/repo/.rocky/HEAD")
        let main = box.read("w/repo/.rocky/refs/heads/main")
        for (n, bad) in box.hostilePaths.enumerated() {
            try box.plant(in: "w/repo", branch: "evil\(n)", files: [bad: "pwned\n", "models/fine.sql": "select 1"])
            expectRefused(box.rocky(["checkout", "evil\(n)"], in: "w/repo"), naming: bad, box)
            expectRefused(box.rocky(["checkout", "--force", "evil\(n)"], in: "w/repo"), naming: bad, box)
            #expect(box.read("w/repo/.rocky/HEAD") == head, "HEAD did not move")
            #expect(box.read("w/repo/.rocky/refs/heads/main") == main)
            #expect(box.read("w/repo/models/fine.sql") == nil, "nothing of the tree was written")
        }
    }

    @Test func cloneRefusesATreeWithUnsafePathsOrTableNames() throws {
        let box = Sandbox()
        box.makeOrigin("w/origin")
        let cases: [(files: [String: String], tables: [String], named: String)] =
            box.hostilePaths.map { ([$0: "pwned\n"], [], $0) } + [([:], ["../../x"], "../../x")]
        for hostile in cases {
            try box.plant(in: "w/origin", branch: "evil", files: hostile.files, tables: hostile.tables)
            expectRefused(box.rocky(["clone", "origin", "clone"], in: "w"), naming: hostile.named, box)
            #expect(box.names("w") == box.names("w").filter { $0.hasPrefix("origin") }, "no clone and no staging folder is left")
            box.remove("w/origin/.rocky/refs/heads/evil")
        }
        box.ok("clone", "origin", "clone", in: "w")
    }

    @Test func fetchAndPullRefuseATreeWithUnsafePathsOrTableNames() throws {
        let box = Sandbox()
        box.makeOrigin("w/origin")
        box.ok("clone", "origin", "clone", in: "w")
        let objects = box.snapshot("w/clone/.rocky/objects")
        let cloneMain = box.read("w/clone/.rocky/refs/heads/main")
        let originMain = try #require(box.read("w/origin/.rocky/refs/heads/main"))
        let cases: [(files: [String: String], tables: [String], named: String)] =
            box.hostilePaths.map { ([$0: "pwned\n"], [], $0) } + [([:], ["../../x"], "../../x")]
        for hostile in cases {
            try box.plant(in: "w/origin", branch: "evil", files: hostile.files, tables: hostile.tables)
            expectRefused(box.rocky(["fetch"], in: "w/clone"), naming: hostile.named, box)
            #expect(box.read("w/clone/.rocky/refs/remotes/origin/evil") == nil)
            box.remove("w/origin/.rocky/refs/heads/evil")

            try box.plant(in: "w/origin", branch: "main", files: hostile.files, tables: hostile.tables)
            expectRefused(box.rocky(["pull"], in: "w/clone"), naming: hostile.named, box)
            #expect(box.read("w/clone/.rocky/refs/heads/main") == cloneMain)
            box.write("w/origin/.rocky/refs/heads/main", originMain)
        }
        #expect(box.snapshot("w/clone/.rocky/objects").filter { $0.key != "gc.run" } == objects, "no object arrived")
    }

    @Test func aPushedTreeWithUnsafePathsIsRefusedByTheRemote() throws {
        let box = Sandbox()
        box.makeOrigin("w/origin")
        box.ok("clone", "origin", "clone", in: "w")
        let originRefs = box.snapshot("w/origin/.rocky/refs")
        let originObjects = box.names("w/origin/.rocky/objects")
        let cloneMain = try #require(box.read("w/clone/.rocky/refs/heads/main"))
        let cases: [(files: [String: String], tables: [String], named: String)] =
            box.hostilePaths.map { ([$0: "pwned\n"], [], $0) } + [([:], ["../../x"], "../../x")]
        for hostile in cases {
            try box.plant(in: "w/clone", branch: "evil", files: hostile.files, tables: hostile.tables)
            expectRefused(box.rocky(["push", "origin", "evil"], in: "w/clone"), naming: hostile.named, box)
            // main is checked out in origin: the files would be written there.
            try box.plant(in: "w/clone", branch: "main", files: hostile.files, tables: hostile.tables)
            expectRefused(box.rocky(["push", "origin", "main"], in: "w/clone"), naming: hostile.named, box)
            box.write("w/clone/.rocky/refs/heads/main", cloneMain)
        }
        #expect(box.snapshot("w/origin/.rocky/refs") == originRefs, "no ref moved in the remote")
        #expect(box.names("w/origin/.rocky/objects").subtracting(["gc.run"]) == originObjects, "no object arrived in the remote")
    }

    @Test func createTableTakesTheImportRuleForItsName() throws {
        let box = Sandbox()
        box.makeOrigin("w/repo")
        let before = box.snapshot("w/repo/.rocky")
        for sql in [#"CREATE TABLE "../../x" (a INTEGER)"#, #"CREATE TABLE "a/b" AS SELECT * FROM prices"#] {
            let run = box.rocky(["sql", sql], in: "w/repo")
            #expect(run.code != 0, "\(run)")
            #expect(run.err.contains("invalid table name"), "\(run)")
        }
        // The engine's table cache is not part of the repository's state.
        #expect(box.snapshot("w/repo/.rocky").filter { !$0.key.hasPrefix("cache") } == before.filter { !$0.key.hasPrefix("cache") },
                "the repository is as it was")
        #expect(!box.ok("tables", in: "w/repo").contains("/"))
    }

    // MARK: Symbolic links

    /// A repository and an empty folder `outside` that a planted link points to.
    func repositoryWithOutside() throws -> Sandbox {
        let box = Sandbox()
        box.makeOrigin("w/repo")
        try FileManager.default.createDirectory(atPath: box.path + "/outside", withIntermediateDirectories: true)
        return box
    }

    /// Nothing but the files a test put there (`keep`, `a.sql`) is in `outside`.
    func expectOutsideEmpty(_ box: Sandbox, sourceLocation: SourceLocation = #_sourceLocation) {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: box.path + "/outside")) ?? []
        #expect(names.allSatisfy { $0 == "keep" || $0 == "a.sql" }, "written outside: \(names)", sourceLocation: sourceLocation)
    }

    @Test func aLinkedRefFolderIsRefused() throws {
        let box = try repositoryWithOutside()
        try box.symlink("w/repo/.rocky/refs/heads/team", to: box.path + "/outside")
        expectRefused(box.rocky(["branch", "team/x"], in: "w/repo"), naming: ".rocky/refs/heads/team", box)
        expectOutsideEmpty(box)
        box.expectFsckReports([".rocky/refs/heads/team is a symbolic link"], in: "w/repo")
    }

    @Test func aLinkedLooseObjectFolderIsRefused() throws {
        let box = try repositoryWithOutside()
        var text = "", prefix = ""
        for i in 0..<4096 {
            text = "probe \(i)\n"
            prefix = String(objectID(.blob, Array(text.utf8)).hex.prefix(2))
            if !FileManager.default.fileExists(atPath: box.path + "/w/repo/.rocky/objects/" + prefix) { break }
        }
        box.write("w/probe.txt", text)
        try box.symlink("w/repo/.rocky/objects/" + prefix, to: box.path + "/outside")
        expectRefused(box.rocky(["hash-object", "-w", "../probe.txt"], in: "w/repo"), naming: ".rocky/objects/" + prefix, box)
        expectOutsideEmpty(box)
        box.expectFsckReports([".rocky/objects/\(prefix) is a symbolic link"], in: "w/repo")
    }

    @Test func aLinkedPackFolderIsRefused() throws {
        let box = Sandbox()
        box.ok("init", "w/repo")
        try FileManager.default.createDirectory(atPath: box.path + "/outside", withIntermediateDirectories: true)
        box.remove("w/repo/.rocky/objects/pack")
        try box.symlink("w/repo/.rocky/objects/pack", to: box.path + "/outside")
        let run = box.rocky(["import", "prices", fixture("prices.csv"), "--key", "symbol,ts"], in: "w/repo")
        expectRefused(run, naming: ".rocky/objects/pack", box)
        expectOutsideEmpty(box)
        box.expectFsckReports([".rocky/objects/pack is a symbolic link"], in: "w/repo")
    }

    @Test func aLinkedAuditLogIsRefused() throws {
        let box = try repositoryWithOutside()
        box.write("outside/keep", "mine\n")
        box.remove("w/repo/.rocky/audit.log")
        try box.symlink("w/repo/.rocky/audit.log", to: box.path + "/outside/keep")
        expectRefused(box.rocky(["branch", "x"], in: "w/repo"), naming: ".rocky/audit.log", box)
        #expect(box.read("outside/keep") == "mine\n", "the linked file is untouched")
        expectOutsideEmpty(box)
        box.expectFsckReports([".rocky/audit.log is a symbolic link"], in: "w/repo")
    }

    @Test func aLinkedReflogIsRefusedAndTheRefStays() throws {
        let box = try repositoryWithOutside()
        box.write("outside/keep", "mine\n")
        let main = box.read("w/repo/.rocky/refs/heads/main")
        box.remove("w/repo/.rocky/logs/refs/heads/main")
        try box.symlink("w/repo/.rocky/logs/refs/heads/main", to: box.path + "/outside/keep")
        box.ok("sql", "CREATE TABLE copied AS SELECT * FROM prices", in: "w/repo")
        expectRefused(box.rocky(["commit", "-m", "x"], in: "w/repo"), naming: ".rocky/logs/refs/heads/main", box)
        #expect(box.read("outside/keep") == "mine\n", "the linked file is untouched")
        #expect(box.read("w/repo/.rocky/refs/heads/main") == main, "the ref did not move")
        expectOutsideEmpty(box)
        box.expectFsckReports([".rocky/logs/refs/heads/main is a symbolic link"], in: "w/repo")

        // A linked folder of reflogs is refused the same way.
        box.remove("w/repo/.rocky/logs/refs/heads/main")
        box.ok("commit", "-m", "x", in: "w/repo")
        box.remove("w/repo/.rocky/logs/refs/heads")
        try box.symlink("w/repo/.rocky/logs/refs/heads", to: box.path + "/outside")
        expectRefused(box.rocky(["branch", "y"], in: "w/repo"), naming: ".rocky/logs/refs/heads", box)
        expectOutsideEmpty(box)
    }

    @Test func checkoutDoesNotWriteThroughALinkedFolderOfTheWorkTree() throws {
        let box = try repositoryWithOutside()
        box.ok("checkout", "-b", "models-branch", in: "w/repo")
        box.write("w/repo/models/a.sql", "SELECT * FROM prices")
        box.ok("commit", "-m", "model", in: "w/repo")
        box.ok("checkout", "main", in: "w/repo")
        box.remove("w/repo/models")
        try box.symlink("w/repo/models", to: box.path + "/outside")
        let head = box.read("w/repo/.rocky/HEAD")
        expectRefused(box.rocky(["checkout", "models-branch"], in: "w/repo"), naming: "models", box)
        expectOutsideEmpty(box)
        #expect(box.read("w/repo/.rocky/HEAD") == head, "HEAD did not move")

        // Removing a tracked file does not go through a link either.
        box.remove("w/repo/models")
        box.ok("checkout", "models-branch", in: "w/repo")
        box.write("outside/a.sql", "theirs")
        box.remove("w/repo/models/a.sql")
        box.remove("w/repo/models")
        try box.symlink("w/repo/models", to: box.path + "/outside")
        expectRefused(box.rocky(["checkout", "--force", "main"], in: "w/repo"), naming: "models", box)
        #expect(box.read("outside/a.sql") == "theirs")
    }

    @Test func cloneLinksOrCopiesOnlyRegularFiles() throws {
        let box = try repositoryWithOutside()
        box.write("outside/keep", "mine\n")
        let packs = box.names("w/repo/.rocky/objects/pack").filter { $0.hasSuffix(".idx") }
        let index = try #require(packs.first)
        let real = box.path + "/w/real.idx"
        try FileManager.default.moveItem(atPath: box.path + "/w/repo/.rocky/objects/pack/" + index, toPath: real)
        try box.symlink("w/repo/.rocky/objects/pack/" + index, to: real)
        for hardLinks in [true, false] {
            let run = box.rocky(["clone", "repo", "clone"] + (hardLinks ? [] : ["--no-hardlinks"]), in: "w")
            expectRefused(run, naming: index, box)
            #expect(!FileManager.default.fileExists(atPath: box.path + "/w/clone"))
        }
        box.expectFsckReports(["pack/\(index) is a symbolic link"], in: "w/repo")
    }
}
