import Foundation
import RockyStore
import Testing

@Suite struct TreePathTests {
    @Test(arguments: ["rocky.toml", "models/returns.sql", "models/sub/a b.sql", "models/.hidden/x", "models/é.sql", "a..b"])
    func safePathsPass(path: String) {
        #expect(TreePath.problem(path) == nil)
        #expect(TreePath.problems([path]).isEmpty)
    }

    @Test(arguments: [
        ("", "empty"), ("/etc/passwd", "absolute"), ("../x", "'..' component"), ("models/../../x", "'..' component"),
        ("./x", "'.' component"), ("models/./x", "'.' component"), ("models//x", "empty component"), ("models/", "empty component"),
        (".rocky/refs/heads/main", ".rocky"), ("models/.ROCKY/x", ".rocky"), ("models/a\u{0}.sql", "control character"),
        ("models/a\n.sql", "control character"), ("models/a\u{7f}.sql", "control character"), ("models/a\u{85}.sql", "control character"),
    ])
    func unsafePathsAreNamedWithTheirReason(path: String, reason: String) {
        #expect(TreePath.problem(path)?.contains(reason) == true, "\(path.debugDescription): \(TreePath.problem(path) ?? "nil")")
    }

    @Test func pathsThatCollideIgnoringCaseOrAsFileAndFolderAreEachNamed() {
        let problems = TreePath.problems(["models/a.sql", "models/A.sql", "models/b.sql", "Models", "rocky.toml", "ROCKY.TOML"])
        #expect(problems.map(\.path) == ["models/A.sql", "models/a.sql", "models/b.sql", "rocky.toml"])
        #expect(problems[1].reason == "the path differs only in case from 'models/A.sql'")
        #expect(problems[2].reason == "the path lies below 'Models', which is a file")
    }

    @Test func aTreeWithAnUnsafePathIsNeitherWrittenNorRead() throws {
        let dir = TemporaryDirectory()
        for store in stores(dir) {
            let blob = try store.write(.blob, bytes("x"))
            let hostile = Tree(files: ["../x": blob])
            #expect(throws: StoreError.unsafePath("../x", reason: "the path has a '..' component (in a tree being written); "
                + "a project file path must stay inside the working directory and out of .rocky")) { try store.write(hostile) }
            // Written raw, as another implementation could: reading it refuses, fsck's unchecked read does not.
            let id = try store.write(.tree, hostile.payload)
            #expect(throws: StoreError.self) { try store.readTree(id) }
            let unchecked = try Tree(payload: try store.read(id, as: .tree), id: id, checkingPaths: false)
            #expect(unchecked.pathProblems.map(\.path) == ["../x"])
        }
    }

    @Test func noRefOrReflogIsWrittenThroughALinkedFolder() throws {
        let dir = TemporaryDirectory()
        let outside = TemporaryDirectory()
        let refs = FileRefStore(root: dir.path)
        let id = objectID(.blob, bytes("a"))
        try FileManager.default.createDirectory(atPath: dir.path + "/refs/heads", withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: dir.path + "/refs/heads/team", withDestinationPath: outside.path)
        #expect(throws: StoreError.unsafePath(dir.path + "/refs/heads/team", reason: "it is a symbolic link, and rocky does not "
            + "write through symbolic links inside a repository; remove it ('rocky fsck' lists every one)")) {
            try refs.update(try RefName.branch("team/x"), from: nil, to: id, note: note)
        }
        try FileManager.default.createDirectory(atPath: dir.path + "/logs/refs", withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: dir.path + "/logs/refs/heads", withDestinationPath: outside.path)
        #expect(throws: StoreError.self) { try refs.update(try RefName.branch("main"), from: nil, to: id, note: note) }
        #expect(try refs.read(try RefName.branch("main")) == nil)
        #expect(outside.snapshot().isEmpty)
    }

    @Test func noObjectOrPackIsWrittenThroughALinkedFolder() throws {
        let dir = TemporaryDirectory()
        let outside = TemporaryDirectory()
        let objects = dir.path + "/objects"
        try FileManager.default.createDirectory(atPath: objects, withIntermediateDirectories: true)
        let store = DiskObjectStore(directory: objects)
        let id = objectID(.blob, bytes("hello"))
        try FileManager.default.createSymbolicLink(atPath: objects + "/" + id.hex.prefix(2), withDestinationPath: outside.path)
        #expect(throws: StoreError.self) { try store.write(.blob, bytes("hello")) }
        try FileManager.default.createSymbolicLink(atPath: objects + "/pack", withDestinationPath: outside.path)
        #expect(throws: StoreError.self) { try store.batch { try store.write(.blob, bytes("other")) } }
        #expect(outside.snapshot().isEmpty)
    }
}
