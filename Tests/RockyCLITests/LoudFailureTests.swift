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
}
