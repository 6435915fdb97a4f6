import Foundation
import Testing

@Suite struct FoundationCommandTests {
    @Test func initCreatesARepositoryWithARootCommitOnMain() {
        let box = Sandbox()
        let run = box.rocky("init", "repo")
        #expect(run.code == 0)
        #expect(run.out.contains("Initialized empty rocky repository"))
        #expect(box.read("repo/.rocky/HEAD") == "ref: refs/heads/main\n")
        #expect(box.ok("branch", in: "repo") == "* main\n")
        let again = box.rocky("init", "repo")
        #expect(again.code == 1)
        #expect(again.err.contains("already a rocky repository"))
    }

    @Test func commandsOutsideARepositorySayHowToCreateOne() {
        let box = Sandbox()
        let run = box.rocky("branch")
        #expect(run.code == 1)
        #expect(run.err.contains("not a rocky repository"))
        #expect(run.err.contains("rocky init"))
    }

    @Test func branchesAreListedCreatedAndDeleted() {
        let box = Sandbox()
        box.ok("init")
        box.ok("branch", "agent/rebalance-2026-05-21")
        box.ok("branch", "risk", "main")
        #expect(box.ok("branch") == "  agent/rebalance-2026-05-21\n* main\n  risk\n")
        let listed = box.json(box.rocky("branch", "--json"))
        let names = (listed["branches"] as? [[String: Any]])?.compactMap { $0["name"] as? String }
        #expect(names == ["agent/rebalance-2026-05-21", "main", "risk"])
        let dup = box.rocky("branch", "risk")
        #expect(dup.code == 1)
        #expect(dup.err.contains("already exists"))
        box.ok("branch", "-d", "risk")
        #expect(box.ok("branch") == "  agent/rebalance-2026-05-21\n* main\n")
        let current = box.rocky("branch", "-d", "main")
        #expect(current.code == 1)
        #expect(current.err.contains("checked out"))
    }

    @Test(arguments: ["../escape", "..", "a//b", "-x", "x.lock", "bad name", "a/..", "/abs"])
    func invalidBranchNamesAreUsageErrorsThatChangeNothing(name: String) {
        let box = Sandbox()
        box.ok("init")
        let before = box.snapshot()
        let run = box.rocky(["branch", "--", name].filter { $0 != "--" || name.hasPrefix("-") })
        #expect(run.code == 2, "\(run)")
        #expect(box.snapshot() == before)
        #expect(!FileManager.default.fileExists(atPath: box.path + "/escape"))
    }

    @Test func hashObjectAndCatObject() {
        let box = Sandbox()
        box.write("note.txt", "hello\n")
        let id = "2cf8d83d9ee29543b34a87727421fdecb7e3f3a183d337639025de576db9ebb4"
        #expect(box.ok("hash-object", "note.txt") == id + "\n", "works outside a repository")
        box.ok("init")
        #expect(box.ok("hash-object", "-w", "note.txt") == id + "\n")
        #expect(box.ok("cat-object", "-t", String(id.prefix(6))) == "blob\n")
        #expect(box.ok("cat-object", "-s", id) == "6\n")
        #expect(box.ok("cat-object", "-p", String(id.prefix(4))) == "hello\n")
        let commit = box.ok("cat-object", "-p", "main")
        #expect(commit.contains("\"message\": \"Initialize repository\""))
        #expect(box.rocky("cat-object", "-t", "-s", id).code == 2)
        let missing = box.rocky("cat-object", "-t", "ffff")
        #expect(missing.code == 1)
        #expect(missing.err.contains("ffff"))
    }

    @Test func anAmbiguousPrefixListsTheCandidates() {
        let box = Sandbox()
        box.ok("init")
        var seen: [String: String] = [:]
        var n = 0
        while true {
            box.write("f", "candidate \(n)")
            let id = box.ok("hash-object", "-w", "f").trimmingCharacters(in: .whitespacesAndNewlines)
            let prefix = String(id.prefix(4))
            if let other = seen[prefix] {
                let run = box.rocky("cat-object", "-t", prefix)
                #expect(run.code == 1)
                #expect(run.err.contains("ambiguous"))
                #expect(run.err.contains(id) && run.err.contains(other))
                return
            }
            seen[prefix] = id
            n += 1
        }
    }

    @Test func fsckIsCleanThenNamesACorruptObject() throws {
        let box = Sandbox()
        box.ok("init")
        box.write("data.csv", String(repeating: "AAPL,2026-05-20,187.25\n", count: 1000))
        let id = box.ok("hash-object", "-w", "data.csv").trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(box.ok("fsck").hasPrefix("ok: "))
        let path = box.path + "/.rocky/objects/" + id.prefix(2) + "/" + id.dropFirst(2)
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        bytes[bytes.count / 2] ^= 0x01
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: path)
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let fsck = box.rocky("fsck")
        #expect(fsck.code == 1)
        #expect(fsck.out.contains("object \(id)"))
        let json = box.json(box.rocky("fsck", "--json"))
        #expect(json["clean"] as? Bool == false)
        let read = box.rocky("cat-object", "-p", id)
        #expect(read.code == 1)
        #expect(read.err.contains(id) && read.err.contains("corrupt"))
        #expect(read.out.isEmpty, "no byte of a corrupt object reaches stdout")
    }

    @Test func fsckReportsARefToAMissingObject() {
        let box = Sandbox()
        box.ok("init")
        box.write(".rocky/refs/heads/ghost", String(repeating: "ab", count: 32) + "\n")
        let run = box.rocky("fsck")
        #expect(run.code == 1)
        #expect(run.out.contains("refs/heads/ghost"))
    }

    @Test func updateRefIsACompareAndSwap() {
        let box = Sandbox()
        box.ok("init")
        let root = box.ok("rev-parse", "main").trimmingCharacters(in: .whitespacesAndNewlines)
        let tree = box.json(box.rocky("cat-object", "-p", "main", "--json"))
        let treeID = ((tree["content"] as? [String: Any])?["tree"] as? String) ?? ""
        let next = box.ok("commit-tree", treeID, "-p", "main", "-m", "next").trimmingCharacters(in: .whitespacesAndNewlines)
        box.ok("update-ref", "main", next, root)
        let stale = box.rocky("update-ref", "main", root, root)
        #expect(stale.code == 3)
        #expect(stale.err.contains("expected \(root)") && stale.err.contains("found \(next)"))
        #expect(box.ok("rev-parse", "main~1") == root + "\n")
        #expect(box.ok("rev-parse", "main^") == root + "\n")
        #expect(box.ok("rev-parse", "main@{2026-05-20T16:00:00Z}") == next + "\n")
        #expect(box.rocky("rev-parse", "main@{2020-01-01}").code == 1)
        #expect(box.rocky("rev-parse", "main~5").code == 1)
    }

    @Test func helpVersionAndUsageErrors() {
        let box = Sandbox()
        #expect(box.ok("--version").hasPrefix("rocky "))
        #expect(box.ok("help").contains("branch"))
        #expect(box.ok("help", "branch").contains("usage: rocky branch"))
        #expect(box.ok("branch", "--help").contains("usage: rocky branch"))
        let typo = box.rocky("brnach")
        #expect(typo.code == 2)
        #expect(typo.err.contains("did you mean 'branch'"))
        let unknown = box.rocky("fsck", "--frobnicate")
        #expect(unknown.code == 2)
        #expect(unknown.err.contains("unknown option --frobnicate"))
        let json = box.rocky("fsck", "--json")
        #expect(json.code == 1)
        let error = box.json(json)["error"] as? [String: Any]
        #expect(error?["code"] as? String == "not_a_repository")
        #expect(error?["exit_code"] as? Int == 1)
    }
}
