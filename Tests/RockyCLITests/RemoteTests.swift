import Foundation
import Testing

extension Sandbox {
    /// A repository in `folder` with two tables committed on main and a branch `dev`.
    func makeOrigin(_ folder: String = "origin") {
        ok("init", folder)
        ok("import", "prices", fixture("prices.csv"), "--key", "symbol,ts", "--time-column", "ts", in: folder)
        ok("import", "positions", fixture("positions.csv"), "--key", "account_id,symbol", in: folder)
        write(folder + "/rocky.toml", "[environments.dev]\n")
        ok("commit", "-m", "Load", in: folder)
        ok("branch", "dev", in: folder)
    }

    func revParse(_ revision: String, in folder: String) -> String? {
        let run = rocky(["rev-parse", revision], in: folder)
        return run.code == 0 ? run.out.trimmingCharacters(in: .whitespacesAndNewlines) : nil
    }

    /// Every file name below a folder, for "nothing was created" checks.
    func names(_ relative: String) -> Set<String> {
        Set((FileManager.default.enumerator(atPath: path + "/" + relative)?.allObjects as? [String]) ?? [])
    }

    /// Makes a read-only object file writable and flips one byte in it.
    func flipByte(_ relative: String, at offset: Int) throws {
        let full = path + "/" + relative
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: full)
        var data = try Data(contentsOf: URL(fileURLWithPath: full))
        data[offset] ^= 0x5A
        try data.write(to: URL(fileURLWithPath: full))
    }
}

func linkCount(_ path: String) -> Int {
    var st = stat()
    return stat(path, &st) == 0 ? Int(st.st_nlink) : 0
}

@Suite struct RemoteTests {
    @Test func cloneLinksObjectsTracksBranchesAndChecksOut() throws {
        let box = Sandbox()
        box.makeOrigin()
        let run = box.rocky(["clone", "origin", "c1", "--json"])
        #expect(run.code == 0, "\(run)")
        let json = box.json(run)
        #expect(json["branch"] as? String == "main")
        #expect((json["branches"] as? [String])?.sorted() == ["dev", "main"])
        #expect((json["copied_bytes"] as? Int) == 0, "one file system: nothing copied")

        // Every object file is a hard link to the source's.
        let packs = box.names("c1/.rocky/objects/pack").filter { $0.hasSuffix(".pack") }
        #expect(!packs.isEmpty)
        for pack in packs {
            #expect(linkCount(box.path + "/c1/.rocky/objects/pack/" + pack) == 2, "\(pack) is shared with the source")
        }
        let main = box.revParse("main", in: "origin")
        #expect(box.revParse("main", in: "c1") == main)
        #expect(box.revParse("refs/remotes/origin/main", in: "c1") == main)
        #expect(box.revParse("refs/remotes/origin/dev", in: "c1") == box.revParse("dev", in: "origin"))
        #expect(box.ok("branch", in: "c1") == "* main\n", "one local branch, checked out")
        #expect(box.read("c1/rocky.toml") == "[environments.dev]\n", "project files are written")
        #expect(box.ok("status", in: "c1").contains("nothing to commit"))
        #expect(box.ok("export", "prices", in: "c1") == box.ok("export", "prices", in: "origin"))
        let remotes = box.json(box.rocky(["remote", "list", "--json"], in: "c1"))["remotes"] as? [[String: Any]]
        #expect(remotes?.first?["name"] as? String == "origin")
        #expect(remotes?.first?["path"] as? String == box.path + "/origin")
        box.ok("fsck", in: "c1")

        // The audit log travelled, verifies, and ends with the clone.
        #expect(box.ok("audit", "--verify", in: "c1").hasPrefix("ok:"))
        let source = box.read("origin/.rocky/audit.log") ?? ""
        let cloned = box.read("c1/.rocky/audit.log") ?? ""
        #expect(cloned.hasPrefix(source))
        let entries = box.json(box.rocky(["audit", "--json"], in: "c1"))["entries"] as? [[String: Any]] ?? []
        #expect(entries.last?["operation"] as? String == "clone")
        #expect(box.read("origin/.rocky/audit.log") == source, "the source is not written to")

        // --branch picks another branch; a clone into a non-empty folder is refused.
        box.ok("clone", "origin", "c2", "--branch", "dev")
        #expect(box.ok("branch", in: "c2") == "* dev\n")
        let again = box.rocky("clone", "origin", "c1")
        #expect(again.code == 1 && again.err.contains("already exists"), "\(again)")
    }

    @Test func failedClonesLeaveNothingBehind() throws {
        let box = Sandbox()
        box.makeOrigin()
        let before = box.names("")
        let badBranch = box.rocky("clone", "origin", "c1", "--branch", "nope")
        #expect(badBranch.code == 1 && badBranch.err.contains("no branch 'nope'"), "\(badBranch)")
        let notARepo = box.rocky("clone", "nowhere", "c1")
        #expect(notARepo.code == 1, "\(notARepo)")
        #expect(box.names("") == before, "no destination and no temporary folder left")
    }

    @Test(arguments: ["edit", "truncate"])
    func cloneOfATamperedAuditLogIsRefused(kind: String) throws {
        let box = Sandbox()
        box.makeOrigin()
        let log = box.path + "/origin/.rocky/audit.log"
        var lines = (box.read("origin/.rocky/audit.log") ?? "").split(separator: "\n").map(String.init)
        if kind == "edit" {
            lines[1] = lines[1].replacingOccurrences(of: "\"tester\"", with: "\"mallory\"")
        } else {
            lines.removeLast()
        }
        try (lines.joined(separator: "\n") + "\n").write(toFile: log, atomically: true, encoding: .utf8)
        let before = box.names("")
        let run = box.rocky("clone", "origin", "c1")
        #expect(run.code == 1, "\(run)")
        #expect(run.err.contains("audit log"), "\(run)")
        #expect(run.err.contains(kind == "edit" ? "line 2" : "truncated"), "\(run)")
        #expect(box.names("") == before, "nothing left behind")
    }

    @Test func cloneWithoutHardLinksCopiesAndVerifies() {
        let box = Sandbox()
        box.makeOrigin()
        let json = box.json(box.rocky(["clone", "origin", "c1", "--no-hardlinks", "--json"]))
        #expect((json["linked_files"] as? Int) == 0)
        #expect((json["copied_bytes"] as? Int ?? 0) > 0)
        for pack in box.names("c1/.rocky/objects/pack") {
            #expect(linkCount(box.path + "/c1/.rocky/objects/pack/" + pack) == 1)
        }
        box.ok("fsck", in: "c1")
        #expect(box.ok("export", "positions", in: "c1") == box.ok("export", "positions", in: "origin"))
        box.ok("clone", "origin", "c2", "--verify")
        box.ok("fsck", in: "c2")
    }

    @Test func divergePushAndFetchBothWays() {
        let box = Sandbox()
        box.makeOrigin()
        box.ok("clone", "origin", "a")
        box.ok("clone", "origin", "b")

        // a adds a table and pushes it.
        box.ok("import", "customers", fixture("customers.csv"), "--key", "customer_id", in: "a")
        box.ok("commit", "-m", "customers from a", in: "a")
        let pushed = box.json(box.rocky(["push", "--json"], in: "a"))
        let aHead = box.revParse("main", in: "a")
        #expect(pushed["new"] as? String == aHead)
        #expect((pushed["objects"] as? Int ?? 0) > 0)
        #expect(box.revParse("main", in: "origin") == aHead)
        #expect(box.revParse("refs/remotes/origin/main", in: "a") == aHead)
        #expect(box.ok("status", in: "origin").contains("nothing to commit"), "the checked-out origin follows the push")
        box.ok("fsck", in: "origin")

        // b fetches it: the tracking ref moves, b's main does not.
        let bMain = box.revParse("main", in: "b")
        let fetched = box.json(box.rocky(["fetch", "--json"], in: "b"))
        #expect((fetched["updated"] as? [[String: Any]])?.first?["new"] as? String == aHead)
        #expect(box.revParse("refs/remotes/origin/main", in: "b") == aHead)
        #expect(box.revParse("main", in: "b") == bMain)
        #expect(box.ok("export", "customers", "refs/remotes/origin/main", in: "b") == fixtureText("customers.csv"))

        // b builds on it and pushes; a fetches that back.
        box.ok("checkout", "-b", "work", "refs/remotes/origin/main", in: "b")
        box.ok("import", "trades", fixture("trades.csv"), "--key", "trade_id", in: "b")
        box.ok("commit", "-m", "trades from b", in: "b")
        box.ok("push", "origin", "work:main", in: "b")
        let bHead = box.revParse("work", in: "b")
        #expect(box.revParse("main", in: "origin") == bHead)
        box.ok("fetch", "origin", in: "a")
        #expect(box.revParse("refs/remotes/origin/main", in: "a") == bHead)
        #expect(box.ok("export", "trades", "refs/remotes/origin/main", in: "a") == box.ok("export", "trades", in: "b"))
        #expect(box.ok("fetch", in: "a").contains("up to date"))

        // A new branch pushed by name; a branch deleted on the remote leaves the tracking refs.
        box.ok("push", "origin", "work", in: "b")
        #expect(box.revParse("work", in: "origin") == bHead)
        box.ok("branch", "-d", "dev", in: "origin")
        let pruned = box.json(box.rocky(["fetch", "--json"], in: "a"))
        let updates = pruned["updated"] as? [[String: Any]] ?? []
        #expect(updates.contains { $0["branch"] as? String == "dev" && $0["new"] == nil })
        #expect(box.revParse("refs/remotes/origin/dev", in: "a") == nil)
        #expect(box.revParse("refs/remotes/origin/work", in: "a") == bHead)

        // Both sides recorded the pushes; every audit log verifies.
        let originOps = (box.json(box.rocky(["audit", "--json"], in: "origin"))["entries"] as? [[String: Any]] ?? []).map { $0["operation"] as? String }
        #expect(originOps.filter { $0 == "push" }.count == 3)
        let aOps = (box.json(box.rocky(["audit", "--json"], in: "a"))["entries"] as? [[String: Any]] ?? []).map { $0["operation"] as? String }
        #expect(aOps.contains("push") && aOps.contains("fetch"))
        for repo in ["origin", "a", "b"] {
            #expect(box.ok("audit", "--verify", in: repo).hasPrefix("ok:"), "\(repo)")
            box.ok("fsck", in: repo)
        }
        // The copy of origin's audit log a keeps is origin's log.
        #expect(box.read("a/.rocky/remotes/origin/audit.log") == box.read("origin/.rocky/audit.log"))
    }

    @Test func nonFastForwardPushIsRefusedUnlessForced() {
        let box = Sandbox()
        box.makeOrigin()
        box.ok("clone", "origin", "a")
        box.ok("clone", "origin", "b")
        box.ok("import", "customers", fixture("customers.csv"), "--key", "customer_id", in: "a")
        box.ok("commit", "-m", "from a", in: "a")
        box.ok("push", in: "a")
        let aHead = box.revParse("main", in: "a")!
        box.ok("import", "trades", fixture("trades.csv"), "--key", "trade_id", in: "b")
        box.ok("commit", "-m", "from b", in: "b")
        let bHead = box.revParse("main", in: "b")!

        let refused = box.rocky("push", in: "b")
        #expect(refused.code == 3, "\(refused)")
        #expect(refused.err.contains("not a fast-forward") && refused.err.contains(aHead) && refused.err.contains(bHead), "\(refused)")
        #expect(box.revParse("main", in: "origin") == aHead)
        let json = box.json(box.rocky(["push", "--json"], in: "b"))
        #expect((json["error"] as? [String: Any])?["code"] as? String == "non_fast_forward")

        let forced = box.json(box.rocky(["push", "--force", "--json"], in: "b"))
        #expect(forced["forced"] as? Bool == true)
        #expect(forced["old"] as? String == aHead)
        #expect(box.revParse("main", in: "origin") == bHead)
        #expect((box.read("origin/.rocky/logs/refs/heads/main") ?? "").contains("(forced)"))
        box.ok("fsck", in: "origin")
    }

    @Test func pushToACheckedOutBranchWithUncommittedChangesIsRefused() {
        let box = Sandbox()
        box.makeOrigin()
        box.ok("clone", "origin", "a")
        box.ok("import", "customers", fixture("customers.csv"), "--key", "customer_id", in: "a")
        box.ok("commit", "-m", "from a", in: "a")
        box.ok("import", "trades", fixture("trades.csv"), "--key", "trade_id", in: "origin")
        let before = box.revParse("main", in: "origin")
        let run = box.rocky("push", in: "a")
        #expect(run.code == 1 && run.err.contains("uncommitted changes") && run.err.contains("table trades"), "\(run)")
        #expect(box.revParse("main", in: "origin") == before)
        box.ok("push", "origin", "main:from-a", in: "a")
        #expect(box.revParse("from-a", in: "origin") == box.revParse("main", in: "a"))
    }

    /// Several clones push to one origin at once, each retrying after losing
    /// a race (exit 3: fetch, rebuild on the new tip, push again). Every push
    /// that reported success is in origin's history; none is lost.
    @Test func racingPushesLoseNoUpdate() throws {
        let box = Sandbox()
        box.makeOrigin()
        let workers = 3, rounds = 4
        for w in 0..<workers { box.ok("clone", "origin", "w\(w)") }
        let tree = (box.json(box.rocky(["cat-object", "-p", "main", "--json"], in: "origin"))["content"] as? [String: Any])?["tree"] as? String ?? ""
        box.write("worker.sh", """
            cd "w$1"
            for j in $(seq 1 \(rounds)); do
              while true; do
                "$ROCKY" fetch > /dev/null 2>&1 || { echo "fetch failed" >&2; exit 1; }
                base=$("$ROCKY" rev-parse refs/remotes/origin/main)
                new=$("$ROCKY" commit-tree \(tree) -p "$base" -m "worker $1 push $j")
                "$ROCKY" update-ref refs/heads/main "$new" > /dev/null
                out=$("$ROCKY" push 2>&1)
                status=$?
                if [ $status -eq 0 ]; then echo "$new"; break; fi
                if [ $status -ne 3 ]; then echo "unexpected exit $status: $out" >&2; exit 1; fi
                case "$out" in *"$new"*) ;; *) echo "the refusal does not name $new: $out" >&2; exit 1;; esac
              done
            done
            """)
        let processes = (0..<workers).map { w -> (Process, Pipe, Pipe) in
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/bin/bash")
            p.arguments = ["worker.sh", String(w)]
            p.currentDirectoryURL = URL(fileURLWithPath: box.path)
            p.environment = box.environment.merging(["ROCKY": rockyBinary]) { $1 }
            let out = Pipe(), err = Pipe()
            p.standardOutput = out
            p.standardError = err
            try! p.run()
            return (p, out, err)
        }
        var successes: [String] = []
        for (p, out, err) in processes {
            let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            let errors = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            p.waitUntilExit()
            #expect(p.terminationStatus == 0, "\(errors)")
            successes += text.split(separator: "\n").map(String.init)
        }
        #expect(successes.count == workers * rounds)
        var history: Set<String> = []
        var rev = "main"
        while let id = box.revParse(rev, in: "origin") {
            history.insert(id)
            rev += "^"
        }
        #expect(Set(successes).isSubset(of: history), "every successful push is in origin's history")
        #expect(history.count == workers * rounds + 2, "one linear history: the pushes, the load and the root")
        box.ok("fsck", in: "origin")
        #expect(box.ok("audit", "--verify", in: "origin").hasPrefix("ok:"))
    }

    @Test(arguments: ["pack", "loose"])
    func aCorruptObjectInTheSourceIsRefusedOnFetch(place: String) throws {
        let box = Sandbox()
        box.makeOrigin()
        box.ok("clone", "origin", "a")
        let packsBefore = box.names("origin/.rocky/objects/pack")
        box.ok("import", "customers", fixture("customers.csv"), "--key", "customer_id", in: "origin")
        box.ok("commit", "-m", "more", in: "origin")
        let corrupted: String
        if place == "pack" {
            let pack = box.names("origin/.rocky/objects/pack").subtracting(packsBefore).first { $0.hasSuffix(".pack") }!
            let size = (try FileManager.default.attributesOfItem(atPath: box.path + "/origin/.rocky/objects/pack/" + pack)[.size] as? Int) ?? 0
            try box.flipByte("origin/.rocky/objects/pack/" + pack, at: size / 2)
            corrupted = ""
        } else {
            let commit = box.revParse("main", in: "origin")!
            try box.flipByte("origin/.rocky/objects/\(commit.prefix(2))/\(commit.dropFirst(2))", at: 20)
            corrupted = commit
        }
        let tracking = box.revParse("refs/remotes/origin/main", in: "a")
        let objectsBefore = box.names("a/.rocky/objects")
        let run = box.rocky("fetch", in: "a")
        #expect(run.code == 1, "\(run)")
        #expect(run.err.contains("corrupt"), "\(run)")
        let named = run.err.split(separator: " ").contains { $0.count == 64 && $0.allSatisfy(\.isHexDigit) }
        #expect(named, "the error names the object: \(run.err)")
        if !corrupted.isEmpty { #expect(run.err.contains(corrupted)) }
        #expect(box.revParse("refs/remotes/origin/main", in: "a") == tracking, "no ref moved")
        #expect(box.names("a/.rocky/objects").subtracting(objectsBefore).allSatisfy { $0.hasSuffix("gc.lock") || $0.hasSuffix("gc.run") }, "no object arrived")
        box.ok("fsck", in: "a")
    }

    @Test func fetchRefusesABrokenOrRewrittenRemoteAuditLog() throws {
        let box = Sandbox()
        box.makeOrigin()
        box.ok("clone", "origin", "a")
        box.ok("branch", "x", in: "origin")
        let tracking = box.revParse("refs/remotes/origin/main", in: "a")
        let log = box.path + "/origin/.rocky/audit.log"
        let original = box.read("origin/.rocky/audit.log") ?? ""
        try original.replacingOccurrences(of: "\"tester\"", with: "\"mallory\"").write(toFile: log, atomically: true, encoding: .utf8)
        let run = box.rocky("fetch", in: "a")
        #expect(run.code == 1 && run.err.contains("audit log"), "\(run)")
        #expect(box.revParse("refs/remotes/origin/x", in: "a") == nil, "no ref moved")
        #expect(box.revParse("refs/remotes/origin/main", in: "a") == tracking)
        try original.write(toFile: log, atomically: true, encoding: .utf8)
        box.ok("fetch", in: "a")
        #expect(box.revParse("refs/remotes/origin/x", in: "a") != nil)
    }

    @Test func remoteAddListRemove() {
        let box = Sandbox()
        box.makeOrigin()
        box.makeOrigin("other")
        box.ok("init", "mine")
        box.ok("remote", "add", "up", "../other", in: "mine")
        #expect(box.ok("remote", in: "mine") == "up\t\(box.path)/other\n")
        let fetched = box.json(box.rocky(["fetch", "up", "--json"], in: "mine"))
        #expect((fetched["updated"] as? [[String: Any]])?.count == 2)
        #expect(box.revParse("refs/remotes/up/dev", in: "mine") == box.revParse("dev", in: "other"))
        #expect(box.read("mine/.rocky/remotes.json") == "{\"remotes\":{\"up\":{\"path\":\"\(box.path)/other\"}},\"version\":1}\n")

        #expect(box.rocky(["remote", "add", "up", "../origin"], in: "mine").code == 1, "exists")
        #expect(box.rocky(["remote", "add", "bad/name", "../origin"], in: "mine").code == 2)
        #expect(box.rocky(["remote", "add", "x", "../nowhere"], in: "mine").code == 1)
        #expect(box.rocky(["fetch", "nope"], in: "mine").code == 1)

        let removed = box.json(box.rocky(["remote", "remove", "up", "--json"], in: "mine"))
        #expect(removed["refs_removed"] as? Int == 2)
        #expect(box.revParse("refs/remotes/up/dev", in: "mine") == nil)
        #expect(box.ok("remote", "list", in: "mine") == "")
        box.ok("fsck", in: "mine")
    }
}
