import Foundation
import Testing

/// Tags over remotes: clone and fetch bring them, `push --tags` and
/// `push <remote> <tag>` send them, and a tag is immutable on the remote too.
@Suite struct TagRemoteTests {
    func tagObject(_ box: Sandbox, _ name: String, in folder: String) -> String? {
        let tags = box.json(box.rocky(["tag", "--json"], in: folder))["tags"] as? [[String: Any]] ?? []
        return tags.first { $0["name"] as? String == name }?["object"] as? String
    }

    func operations(_ box: Sandbox, in folder: String) -> [[String: Any]] {
        box.json(box.rocky(["audit", "--json"], in: folder))["entries"] as? [[String: Any]] ?? []
    }

    @Test func cloneFetchAndPushCarryTagsWhichStayImmutableOnTheRemote() {
        let box = Sandbox()
        box.makeOrigin()
        box.ok("tag", "v1", "-m", "first release", in: "origin")
        let v1 = box.revParse("v1", in: "origin")

        // clone brings the tag: the same tag object, naming the same commit.
        box.ok("clone", "origin", "a")
        #expect(box.revParse("v1", in: "a") == v1)
        #expect(tagObject(box, "v1", in: "a") == tagObject(box, "v1", in: "origin") && tagObject(box, "v1", in: "a") != nil)

        // fetch brings a tag made later, on a commit the clone lacks.
        box.ok("clone", "origin", "b")
        box.ok("import", "customers", fixture("customers.csv"), "--key", "customer_id", in: "origin")
        box.ok("commit", "-m", "customers", in: "origin")
        box.ok("tag", "v2", "-m", "second", in: "origin")
        let fetched = box.json(box.rocky(["fetch", "--json"], in: "a"))
        let tags = fetched["tags"] as? [[String: Any]] ?? []
        #expect(tags.count == 1 && tags.first?["tag"] as? String == "v2" && tags.first?["kept"] is NSNull, "\(fetched)")
        #expect(box.revParse("v2", in: "a") == box.revParse("main", in: "origin"))
        #expect(box.ok("export", "customers", "v2", in: "a") == fixtureText("customers.csv"), "the tag's history came with it")
        #expect(box.ok("fetch", in: "a").contains("up to date"))
        box.ok("fsck", in: "a")

        // push --tags sends a's own tag, its commit and the audit entries.
        box.ok("import", "trades", fixture("trades.csv"), "--key", "trade_id", in: "b")
        box.ok("commit", "-m", "trades in b", in: "b")
        box.ok("tag", "b1", "-m", "from b", in: "b")
        let pushed = box.json(box.rocky(["push", "--tags", "--json"], in: "b"))
        let sent = pushed["tags"] as? [[String: Any]] ?? []
        #expect(sent.first { $0["tag"] as? String == "b1" }?["up_to_date"] as? Bool == false, "\(pushed)")
        #expect(sent.first { $0["tag"] as? String == "v1" }?["up_to_date"] as? Bool == true, "\(pushed)")
        #expect(box.revParse("b1", in: "origin") == box.revParse("main", in: "b"))
        #expect(box.revParse("main", in: "origin") != box.revParse("main", in: "b"), "no branch moved")
        #expect(box.ok("export", "trades", "b1", in: "origin") == box.ok("export", "trades", in: "b"))
        box.ok("fsck", in: "origin")
        let remoteEntry = operations(box, in: "origin").last { $0["operation"] as? String == "push" }
        #expect((remoteEntry?["details"] as? [String: Any])?["tag"] as? String == "b1", "\(String(describing: remoteEntry))")
        #expect(operations(box, in: "b").contains { $0["operation"] as? String == "push" && ($0["details"] as? [String: Any])?["tag"] as? String == "b1" })

        // A tag the remote has naming another object: refused, exit 3, both ids, nothing sent.
        box.ok("tag", "v2", "-m", "b's own v2", in: "b")
        let localV2 = tagObject(box, "v2", in: "b")!, remoteV2 = tagObject(box, "v2", in: "origin")!
        let before = box.snapshot("origin/.rocky")
        let refused = box.rocky(["push", "origin", "v2"], in: "b")
        #expect(refused.code == 3, "\(refused)")
        #expect(refused.err.contains(localV2) && refused.err.contains(remoteV2) && refused.err.contains("immutable"), "\(refused.err)")
        #expect(changedPaths(before, box.snapshot("origin/.rocky")) == [], "a refused tag push leaves the remote byte-identical")
        let json = box.json(box.rocky(["push", "--tags", "--json"], in: "b"))
        #expect((json["error"] as? [String: Any])?["code"] as? String == "remote_tag_differs")
        #expect(tagObject(box, "v2", in: "origin") == remoteV2)

        // And fetch keeps this repository's tag of that name, saying so.
        let kept = box.rocky(["fetch"], in: "b")
        #expect(kept.code == 0 && kept.err.contains("v2") && kept.err.contains("kept"), "\(kept)")
        #expect(tagObject(box, "v2", in: "b") == localV2)

        // A push by name of a tag the remote has is up to date; deleting a tag there is tag -d (admin).
        #expect(box.ok("push", "origin", "b1", in: "b").contains("up to date"))
        box.ok("tag", "-d", "b1", in: "origin")
        box.ok("push", "origin", "b1", in: "b")
        #expect(box.revParse("b1", in: "origin") == box.revParse("b1", in: "b"))
        for repo in ["origin", "a", "b"] { #expect(box.ok("audit", "--verify", in: repo).hasPrefix("ok:"), "\(repo)") }
    }

    @Test func pushingATagNeedsCreateOnItInTheRemotesPolicy() {
        let box = Sandbox()
        box.makeOrigin()
        box.write("origin/rocky.toml", """
            [environments.dev]
            [access]
            protected = ["main"]
            [access.roles.reader]
            allow = ["read", "use"]
            [access.roles.writer]
            allow = ["read", "create", "write", "use"]
            branches = ["work/*"]
            [access.roles.admin]
            allow = ["*"]
            [access.principals]
            alice = ["admin"]
            bob = ["reader", "writer"]

            """)
        box.ok("commit", "-m", "policy", "--as", "alice", in: "origin")
        box.ok("clone", "origin", "a", "--as", "alice")
        box.ok("tag", "r1", "-m", "release", "--as", "alice", in: "a")
        let before = box.snapshot("origin/.rocky")
        let bob = box.rocky(["push", "origin", "r1", "--as", "bob"], in: "a")
        #expect(bob.code == 5 && bob.err.contains("'create'"), "\(bob)")
        #expect(changedPaths(before, box.snapshot("origin/.rocky")) == [])
        #expect(box.rocky(["push", "origin", "r1", "--as", "alice"], in: "a").code == 0)
        #expect(box.revParse("r1", in: "origin") == box.revParse("r1", in: "a"))
        #expect(box.rocky(["push", "--tags", "--force"], in: "a").code == 2, "tags take no --force")
    }
}

extension HTTPSRemoteTests {
    @Test func tagsTravelOverHTTPSAndStayImmutableOnTheServer() throws {
        let (box, server) = try served()
        defer { server.stop() }
        let alice = server.clientEnvironment("alice")
        box.ok("tag", "v1", "-m", "first", in: "served/data")
        let clone = box.rocky(["clone", server.url("data"), "one"], env: alice)
        #expect(clone.code == 0, "\(clone)\n\(server.errorLog)")
        #expect(box.revParse("v1", in: "one") == box.revParse("v1", in: "served/data"))
        #expect(box.rocky(["clone", server.url("data"), "two"], env: alice).code == 0)

        // A tag pushed from one (with a commit the server lacks) is fetched by two.
        #expect(box.rocky(["sql", "DELETE FROM prices WHERE symbol = 'AAPL'", "-m", "drop AAPL"], in: "one").code == 0)
        box.ok("tag", "v2", "-m", "second", in: "one")
        let push = box.rocky(["push", "--tags"], in: "one", env: alice)
        #expect(push.code == 0, "\(push)\n\(server.errorLog)")
        #expect(box.revParse("v2", in: "served/data") == box.revParse("main", in: "one"))
        #expect(box.revParse("main", in: "served/data") != box.revParse("main", in: "one"), "only the tag went")
        box.ok("fsck", in: "served/data")
        let entries = box.json(box.rocky(["audit", "--json"], in: "served/data"))["entries"] as? [[String: Any]] ?? []
        let entry = entries.last { $0["operation"] as? String == "push" }
        #expect(entry?["actor"] as? String == "alice" && (entry?["details"] as? [String: Any])?["tag"] as? String == "v2", "\(entries)")
        let fetch = box.rocky(["fetch"], in: "two", env: alice)
        #expect(fetch.code == 0 && fetch.out.contains("[new tag]"), "\(fetch)")
        #expect(box.revParse("v2", in: "two") == box.revParse("main", in: "one"))
        #expect(box.ok("export", "prices", "v2", in: "two") == box.ok("export", "prices", in: "one"))

        // A push that would move the server's tag: exit 3 naming both ids, the server unchanged.
        box.ok("tag", "-d", "v2", in: "two")
        box.ok("tag", "v2", "HEAD", "-m", "another v2", in: "two")
        func tagID(_ folder: String) -> String {
            (box.json(box.rocky(["tag", "--json"], in: folder))["tags"] as? [[String: Any]] ?? [])
                .first { $0["name"] as? String == "v2" }?["object"] as? String ?? "?"
        }
        let mine = tagID("two"), serverV2 = tagID("served/data")
        #expect(mine != serverV2)
        let before = box.snapshot("served/data/.rocky")
        let refused = box.rocky(["push", "origin", "v2"], in: "two", env: alice)
        #expect(refused.code == 3, "\(refused)\n\(server.errorLog)")
        #expect(refused.err.contains(serverV2) && refused.err.contains(mine), "\(refused.err)")
        #expect(changedPaths(before, box.snapshot("served/data/.rocky")) == [])
    }
}
