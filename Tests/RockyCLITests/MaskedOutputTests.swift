import Foundation
import Testing

/// Masking beyond SQL (Docs/governance.md, "Every output"): diffs, merge
/// conflicts, replay gaps, show, object dumps and import messages; unknown
/// environments; keyed hashing; column `access` roles. Every prod run is
/// scanned for raw fixture PII by `Sandbox.rocky` (PIIScan.swift).
@Suite struct MaskedOutputTests {
    /// dev shows everything; prod hashes pii and shows restricted values partially.
    static let environments = """
        [environments.dev.masking]
        pii = "none"
        restricted = "none"

        [environments.prod.masking]
        pii = "hash"
        restricted = "partial"

        """

    @Test func everyOutputInProdIsMaskedWhileDevShowsTheRawValues() {
        let box = PIIScan.everyOutputBox(environments: Self.environments)
        // dev: the scenario does reach raw PII through every command (so the
        // prod scan below could fail).
        for (command, run) in PIIScan.everyOutput(box, environment: "dev") {
            #expect(!PIIScan.leaks(in: run.out + run.err).isEmpty, "dev shows no raw value: \(command)\n\(run)")
        }
        // prod: nothing raw (Sandbox.rocky scans each run), and each command
        // still does its job.
        let prod = Dictionary(PIIScan.everyOutput(box, environment: "prod"), uniquingKeysWith: { a, _ in a })
        func run(_ command: String) -> Run { prod["rocky " + command] ?? Run(out: "", err: "not run", code: -1) }
        #expect(run("diff").code == 0 && run("diff").out.contains("9****1") && run("diff").out.contains("10 removed"), "\(run("diff"))")
        #expect(run("diff --format sql").out.contains("DELETE FROM customers WHERE customer_id = 40;"))
        #expect(run("merge b1 --dry-run").code == 3 && run("merge b1 --dry-run").out.contains("customer_id=1"), "\(run("merge b1 --dry-run"))")
        #expect(run("replay agent/x --at 2026-05-02T18:00:00Z").code == 4)
        let gaps = box.json(run("replay agent/x --at 2026-05-02T18:00:00Z --json"))["gaps"] as? [[String: Any]]
        #expect((gaps?.first?["arrived_later"] as? [Any])?.count == 10 && (gaps?.first?["corrected"] as? [Any])?.count == 1, "\(String(describing: gaps))")
        #expect(run("show").code == 0 && run("show").out.contains("WHERE email = '…'"), "\(run("show"))")
        #expect(run("import people_prod \(fixture("customers.csv")) --key customer_id").code == 0)
        let catObject = run("cat-object -p <chunk>")
        #expect(catObject.code == 5 && catObject.err.contains("lacks the 'admin' permission"), "\(catObject)")
    }

    @Test func aMaskedDiffValueIsTheMaskedSelectValue() {
        let box = PIIScan.everyOutputBox(environments: Self.environments)
        let diff = box.json(box.rocky(["--env", "prod", "diff", "--json", "--table", "customers"]))
        let rows = ((diff["tables"] as? [[String: Any]])?.first?["rows"] as? [[String: Any]]) ?? []
        let removed = rows.first { ($0["key"] as? [String: Any])?["customer_id"] as? Int == 31 }?["row"] as? [String: Any]
        let head = CSV.parse(box.rocky(["--env", "prod", "export", "customers", "HEAD"]).out)
        let row31 = head.first { $0.first == "31" }
        #expect(removed != nil && row31 != nil, "\(diff)")
        if let removed, let row31 {
            #expect([removed["name"] as? String, removed["email"] as? String, removed["ssn"] as? String] == [row31[1], row31[2], row31[3]])
            #expect((removed["name"] as? String)?.count == 64)
        }
    }

    @Test func denyRefusesTheDiffTheConflictsAndTheGapsWithTheLineagePath() {
        let box = PIIScan.everyOutputBox(environments: Self.environments.replacingOccurrences(of: "restricted = \"partial\"", with: "restricted = \"deny\""))
        let path = "ssn <- customers.ssn (restricted): environment prod masks restricted as deny"
        for format in [[], ["--json"], ["--format", "sql"], ["--format", "csv", "--table", "customers"]] {
            let run = box.rocky(["--env", "prod", "diff"] + format)
            #expect(run.code == 5 && run.err.contains("diff customers: " + path), "\(format): \(run)")
            #expect(!run.out.contains("customer_id"), "nothing printed before the refusal: \(run.out)")
        }
        #expect(box.rocky(["--env", "prod", "diff", "--stat"]).code == 0, "counts show no value")
        let merge = box.rocky(["--env", "prod", "merge", "b1", "--dry-run"])
        #expect(merge.code == 5 && merge.err.contains("merge conflicts in customers: " + path), "\(merge)")
        let replay = box.rocky(["--env", "prod", "replay", "agent/x", "--at", "2026-05-02T18:00:00Z"])
        #expect(replay.code == 5 && replay.err.contains("replay gaps in signups: ssn <- signups.ssn (restricted)"), "\(replay)")
    }

    // MARK: Environments

    @Test func anUndeclaredEnvironmentIsAnErrorWithADidYouMean() {
        let box = PIIScan.everyOutputBox(environments: Self.environments)
        for run in [box.rocky(["--env", "production", "diff"]), box.rocky(["diff"], env: ["ROCKY_ENV": "production"]),
                    box.rocky(["--env", "production", "sql", "SELECT name FROM customers"]),
                    box.rocky(["--env", "production", "export", "customers"])] {
            #expect(run.code == 2, "\(run)")
            #expect(run.err.contains("unknown environment 'production': rocky.toml declares dev, prod; did you mean 'prod'?"), "\(run.err)")
            #expect(PIIScan.leaks(in: run.out).isEmpty)
        }
        let json = box.json(box.rocky(["--env", "prdo", "diff", "--json"]))
        #expect((json["error"] as? [String: Any])?["code"] as? String == "unknown_environment")

        // dev needs no declaration while none is declared, and only then.
        let plain = Sandbox()
        plain.loadFixtures()
        #expect(plain.rocky(["sql", "SELECT symbol FROM prices LIMIT 1"]).code == 0)
        #expect(plain.rocky(["--env", "staging", "sql", "SELECT symbol FROM prices LIMIT 1"]).code == 2)
        plain.write("rocky.toml", "[environments.prod.masking]\npii = \"hash\"\n")
        let dev = plain.rocky(["sql", "SELECT symbol FROM prices LIMIT 1"])
        #expect(dev.code == 2 && dev.err.contains("unknown environment 'dev': rocky.toml declares prod"), "\(dev)")
    }

    // MARK: Keyed hashing

    @Test func initCreatesAPrivateKeyAndAHashedValueCannotBeBruteForcedWithoutIt() throws {
        let box = PIIScan.everyOutputBox(environments: Self.environments)
        let attributes = try FileManager.default.attributesOfItem(atPath: box.path + "/.rocky/keys/masking")
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        let key = box.maskingKey
        #expect(key.wholeMatch(of: /[0-9a-f]{64}/) != nil, "\(key)")
        #expect(box.ok("status").contains("nothing to commit") || !box.ok("status").contains("keys"), "the key is not a project file")

        let emails = GovernanceTests.customers.map(\.email).filter { !$0.isEmpty }
        let printed = Set(CSV.parse(box.rocky(["--env", "prod", "export", "customers", "HEAD"]).out).dropFirst().map { $0[2] })
        #expect(printed.count >= 30, "\(printed.prefix(3))")
        // An attacker hashes every candidate: plain SHA-256, or HMAC under a
        // key of their own. Nothing matches what prod printed.
        for email in emails {
            #expect(!printed.contains(TestSHA256.hex(email)), "plain SHA-256 of \(email) matches the output")
            #expect(!printed.contains(TestSHA256.hex(email, key: String(repeating: "0", count: 64))), "a guessed key matches")
        }
        // With the repository's key, they do: the output is HMAC-SHA-256 under it.
        #expect(emails.contains { printed.contains(TestSHA256.hex($0, key: key)) })

        // The key is never printed.
        for run in PIIScan.everyOutput(box, environment: "prod").map(\.run) { #expect(!(run.out + run.err).contains(key)) }
    }

    @Test func cloneCopiesTheKeyAndAnOldRepositoryGetsOneOnFirstUse() throws {
        let box = Sandbox()
        box.ok("init", "origin")
        box.ok("import", "customers", fixture("customers.csv"), "--key", "customer_id", in: "origin")
        box.write("origin/rocky.toml", "[environments.dev]\n[environments.prod.masking]\npii = \"hash\"\n")
        box.ok("classify", "customers.email", "pii", in: "origin")
        box.ok("commit", "-m", "Load", in: "origin")
        // A repository made before keyed hashing: no key file.
        try FileManager.default.removeItem(atPath: box.path + "/origin/.rocky/keys")
        let first = box.rocky(["--env", "prod", "sql", "--format", "csv", "SELECT email FROM customers ORDER BY customer_id"], in: "origin")
        #expect(first.code == 0, "\(first)")
        let key = box.read("origin/.rocky/keys/masking")?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        #expect(key.count == 64, "a key is created on first use")
        let attributes = try FileManager.default.attributesOfItem(atPath: box.path + "/origin/.rocky/keys/masking")
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        #expect(CSV.parse(first.out).dropFirst().first?.first == TestSHA256.hex(GovernanceTests.customers[0].email, key: key))

        box.ok("clone", "origin", "copy")
        #expect(box.read("copy/.rocky/keys/masking") == box.read("origin/.rocky/keys/masking"), "clone copies the key")
        let again = box.rocky(["--env", "prod", "sql", "--format", "csv", "SELECT email FROM customers ORDER BY customer_id"], in: "copy")
        #expect(again.out == first.out, "hashed values match across the clone")
    }

    @Test func onlyAnAdminMayOverrideTheKey() {
        let box = AccessPolicyBox.make()
        let sql = ["--env", "staging", "sql", "--format", "csv", "SELECT name FROM customers WHERE customer_id = 1"]
        let bob = box.rocky(sql + ["--as", "bob"], env: ["ROCKY_MASKING_KEY": "chosen"])
        #expect(bob.code == 5 && bob.err.contains("lacks the 'admin' permission"), "\(bob)")
        let alice = box.rocky(sql + ["--as", "alice"], env: ["ROCKY_MASKING_KEY": "chosen"])
        #expect(alice.code == 0, "\(alice)")
        #expect(CSV.parse(alice.out).dropFirst().first?.first == TestSHA256.hex(GovernanceTests.customers[0].name, key: "chosen"))
    }

    // MARK: access

    @Test func aColumnsAccessRolesSeeItRawWhereTheEnvironmentDoesNotDeny() {
        let box = AccessPolicyBox.make()
        let email = GovernanceTests.customers[0].email
        let select = ["--env", "staging", "sql", "--format", "csv", "SELECT email, ssn FROM customers WHERE customer_id = 1"]
        let alice = box.rocky(select + ["--as", "alice"])
        #expect(CSV.parse(alice.out).dropFirst().first == [email, "9****1"], "compliance sees the e-mail raw; ssn lists no role: \(alice)")
        let bob = box.rocky(select + ["--as", "bob"])
        #expect(CSV.parse(bob.out).dropFirst().first == [TestSHA256.hex(email, key: box.maskingKey), "9****1"], "\(bob)")

        // The same in a diff.
        box.ok("sql", "DELETE FROM customers WHERE customer_id = 1", "--as", "alice")
        #expect(box.rocky(["--env", "staging", "diff", "--json", "--as", "alice"]).out.contains(email))
        let bobDiff = box.rocky(["--env", "staging", "diff", "--json", "--as", "bob"])
        #expect(bobDiff.code == 0 && !bobDiff.out.contains(email) && bobDiff.out.contains(TestSHA256.hex(email, key: box.maskingKey)), "\(bobDiff)")
        box.ok("checkout", "--force", "main", "--as", "alice")

        // deny wins over access.
        let denied = box.rocky(["--env", "locked", "sql", "SELECT email FROM customers", "--as", "alice"])
        #expect(denied.code == 5, "\(denied)")

        // A branch cannot grant itself access: the protected branch's roles bound it.
        box.ok("checkout", "-b", "agent/bob", "--as", "alice")
        box.ok("classify", "customers.email", "pii", "--access", "compliance", "--access", "analyst", "--as", "bob")
        box.ok("commit", "-m", "Grant analysts", "--as", "bob")
        let granted = box.rocky(select + ["--as", "bob"])
        #expect(CSV.parse(granted.out).dropFirst().first?.first == TestSHA256.hex(email, key: box.maskingKey), "\(granted)")
    }
}

/// A repository with an access policy: alice holds `compliance` (and may do
/// anything), bob is an analyst. customers.email is pii with `access =
/// ["compliance"]`, customers.name pii with no roles; `staging` hashes pii and shows restricted partially,
/// `locked` denies pii.
enum AccessPolicyBox {
    static func make() -> Sandbox {
        let box = Sandbox()
        box.ok("init")
        box.ok("import", "customers", fixture("customers.csv"), "--key", "customer_id")
        box.write("rocky.toml", """
            [environments.dev.masking]
            pii = "none"
            [environments.staging.masking]
            pii = "hash"
            restricted = "partial"
            [environments.locked.masking]
            pii = "deny"

            [access]
            protected = ["main"]
            [access.roles.compliance]
            allow = ["*"]
            [access.roles.analyst]
            allow = ["read", "create", "write", "use"]
            [access.principals]
            alice = ["compliance"]
            bob = ["analyst"]

            """)
        box.ok("classify", "customers.email", "pii", "--access", "compliance")
        box.ok("classify", "customers.name", "pii")
        box.ok("classify", "customers.ssn", "restricted")
        box.ok("commit", "-m", "Policy", "--as", "alice")
        return box
    }
}

/// The library's masking of a returned value and the compiled SQL's masking
/// agree byte for byte on every column type.
@Suite struct MaskedValueBytesTests {
    @Test(arguments: ["hash", "partial", "email", "redact", "nullify", "year"])
    func aRemovedRowInTheDiffEqualsTheMaskedSelect(strategy: String) {
        let box = Sandbox()
        box.ok("init")
        box.write("types.csv", """
            id,i,d,m,b,dt,ts,t
            1,42,1.5,12.3400,true,1991-07-24,2026-05-01T09:30:00.25Z,Emma Johnson
            2,-7,3e0,-0.0100,false,1950-10-03,1969-12-31T23:59:59Z,a@b
            3,0,1e20,0.0000,true,2000-02-29,2026-12-31T23:59:59.999999Z,王芳
            4,9223372036854775807,-2.5e-7,99.9900,false,1970-01-01,1970-01-01T00:00:00Z,x
            5,,,,,,,

            """)
        box.ok("import", "types", "types.csv", "--key", "id")
        let (pii, restricted) = strategy == "year" ? ("none", "year") : (strategy, strategy)
        box.write("rocky.toml", "[environments.dev]\n[environments.masked.masking]\npii = \"\(pii)\"\nrestricted = \"\(restricted)\"\n")
        for column in ["i", "d", "m", "b", "t"] { box.ok("classify", "types.\(column)", "pii") }
        for column in ["dt", "ts"] { box.ok("classify", "types.\(column)", "restricted") }
        box.ok("commit", "-m", "types")
        let select = box.rocky(["--env", "masked", "sql", "--format", "csv", "SELECT * FROM types ORDER BY id"])
        #expect(select.code == 0, "\(select)")
        box.ok("sql", "DELETE FROM types")
        let diff = box.rocky(["--env", "masked", "diff", "--format", "csv", "--table", "types"])
        #expect(diff.code == 0, "\(diff)")
        let selected = CSV.parse(select.out).dropFirst().map { $0.map { $0 == "NULL" ? "" : $0 } }
        let removed = CSV.parse(diff.out).dropFirst().map { Array($0.dropFirst()) }
        #expect(selected.count == 5 && removed == selected, "\(strategy):\nselect \(selected)\ndiff   \(removed)")
    }
}
