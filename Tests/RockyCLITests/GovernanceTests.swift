import Foundation
import Testing

/// Governance through the real binary: declarations, classification
/// propagation, per-environment masking in sql, run, export and check, and
/// the policy in force. Every prod run is scanned for raw fixture PII by
/// `Sandbox.rocky` (PIIScan.swift).
@Suite struct GovernanceTests {
    /// dev shows everything; prod hashes pii and denies restricted.
    static let environments = """
        [environments.dev.masking]
        pii = "none"
        restricted = "none"

        [environments.prod.masking]
        pii = "hash"
        restricted = "deny"

        """

    /// The fixtures plus accounts, with the customers' PII declared by
    /// `rocky classify` and the environments committed on main.
    func governed() -> Sandbox {
        let box = Sandbox()
        box.loadFixtures()
        box.ok("import", "accounts", fixture("accounts.csv"), "--key", "account_id")
        box.write("rocky.toml", Self.environments)
        box.ok("classify", "customers.name", "pii", "--owner", "crm-team")
        box.ok("classify", "customers.email", "pii", "--mask", "prod=email")
        box.ok("classify", "customers.ssn", "restricted", "--owner", "risk-data", "--description", "Customer social security number",
               "--access", "compliance", "--retention", "7y", "--source", "crm", "--tag", "kyc")
        box.ok("classify", "customers.birth_date", "pii", "--mask", "prod=year")
        box.ok("commit", "-m", "Governance")
        return box
    }

    // MARK: Fixture values

    struct Customer {
        var id: String, name: String, email: String, ssn: String, birthDate: String, country: String
    }

    static let customers: [Customer] = {
        let header = PIIScan.customers[0]
        func column(_ name: String) -> Int { header.firstIndex(of: name)! }
        return PIIScan.customers.dropFirst().map { r in
            Customer(id: r[column("customer_id")], name: r[column("name")], email: r[column("email")], ssn: r[column("ssn")],
                     birthDate: r[column("birth_date")], country: r[column("country")])
        }
    }()

    static let customerOfAccount: [String: String] = Dictionary(uniqueKeysWithValues:
        CSV.parse(fixtureText("accounts.csv")).dropFirst().map { ($0[0], $0[1]) })

    static func customer(_ id: String) -> Customer { customers.first { $0.id == id }! }

    /// The data rows of CSV output (header dropped).
    func rows(_ run: Run) -> [[String]] { Array(CSV.parse(run.out).dropFirst()) }

    func prod(_ box: Sandbox, _ arguments: String..., env: [String: String] = [:]) -> Run {
        box.rocky(["--env", "prod"] + arguments, env: env)
    }

    /// `hash` masking: HMAC-SHA-256 under the repository's key.
    func hash(_ box: Sandbox, _ text: String) -> String { TestSHA256.hex(text, key: box.maskingKey) }

    func emailMask(_ email: String) -> String { email.firstIndex(of: "@").map { "***" + email[$0...] } ?? "***" }
    func yearMask(_ date: String) -> String { date.isEmpty ? "" : date.prefix(4) + "-01-01" }

    // MARK: Environments

    @Test func theSameQueryIsRawInDevAndMaskedInProd() {
        let box = governed()
        let query = "SELECT customer_id, name, email, birth_date, country FROM customers ORDER BY customer_id"
        let dev = box.rocky(["sql", "--format", "csv", query])
        #expect(dev.code == 0, "\(dev)")
        #expect(rows(dev) == Self.customers.map { [$0.id, $0.name, $0.email, $0.birthDate, $0.country] })

        let masked = prod(box, "sql", "--format", "csv", query)
        #expect(masked.code == 0, "\(masked)")
        #expect(rows(masked) == Self.customers.map { [$0.id, hash(box, $0.name), emailMask($0.email), yearMask($0.birthDate), $0.country] })
        // Keyed: not the plain SHA-256 of "Emma Johnson" (ade8b469…1d57), which anyone can compute.
        #expect(rows(masked)[0][1] != "ade8b469ebc307d568b0de32ecbf547c90b9f824f9510717f9bc40742b811d57")
        #expect(box.rocky(["sql", "--format", "csv", query], env: ["ROCKY_ENV": "prod"]).out == masked.out)
        #expect(box.rocky(["--env", "dev", "sql", "--format", "csv", query], env: ["ROCKY_ENV": "prod"]).out == dev.out)

        let json = box.json(prod(box, "--json", "sql", "SELECT name FROM customers WHERE customer_id = 2"))
        let printed = ((json["results"] as? [[String: Any]])?.first?["rows"] as? [[String: Any]])?.first?["name"] as? String
        #expect(printed == hash(box, Self.customer("2").name))
        let text = prod(box, "sql", "SELECT name, email FROM customers WHERE customer_id = 3")
        #expect(text.out.contains("***@example.com") && text.out.contains(String(hash(box, Self.customer("3").name).prefix(39))))
    }

    @Test func aProdBuiltTableNeverHoldsARawValue() {
        let box = governed()
        let built = prod(box, "sql", """
            CREATE TABLE contacts AS
            SELECT a.account_id, c.name, c.email, c.birth_date, upper(c.name) || ' <' || c.email || '>' AS label
            FROM accounts a JOIN customers c ON c.customer_id = a.customer_id
            """)
        #expect(built.code == 0, "\(built)")
        box.ok("commit", "-m", "Contacts built in prod")
        for revision in [[], ["HEAD"]] {
            let exported = box.rocky(["export", "contacts"] + revision)
            #expect(exported.code == 0, "\(exported)")
            #expect(PIIScan.leaks(in: exported.out).isEmpty, "a prod-built table holds raw PII: \(PIIScan.leaks(in: exported.out))")
            let table = rows(exported)
            #expect(table.count == Self.customerOfAccount.count)
            for row in table {
                let c = Self.customer(Self.customerOfAccount[row[0]]!)
                #expect(row[1...] == [hash(box, c.name), emailMask(c.email), yearMask(c.birthDate),
                                      hash(box, c.name).uppercased() + " <" + emailMask(c.email) + ">"])
            }
        }
        // Masked values carry no classification: the table is not PII any more.
        let schema = box.json(box.rocky(["schema", "contacts", "--json"]))
        let columns = schema["columns"] as? [[String: Any]] ?? []
        #expect(columns.count == 5 && columns.allSatisfy { $0["governance"] == nil }, "\(columns)")
    }

    @Test(arguments: ["restricted", "pii"])
    func aProdReportSelectingTheSSNIsRefusedAtCompileTimeWithTheLineagePath(label: String) {
        let box = governed()
        if label == "pii" {
            // The issue's example: SSN classified pii, denied by its own prod masking.
            box.ok("classify", "customers.ssn", "pii", "--mask", "prod=deny")
            box.ok("commit", "-m", "SSN as pii, denied in prod")
        }
        let path = "report.customer_ssn <- customers.ssn (\(label)): environment prod masks \(label) as deny"
        let before = box.snapshot()
        let sql = prod(box, "sql", "CREATE TABLE report AS SELECT c.customer_id, c.ssn AS customer_ssn FROM customers c")
        #expect(sql.code == 5, "\(sql)")
        #expect(sql.err.contains("error[E0501]: " + path), "\(sql.err)")
        #expect(box.snapshot() == before, "a refused statement wrote something")

        box.write("models/report.sql", "-- key: customer_id\nSELECT c.customer_id,\n       c.ssn AS customer_ssn\nFROM customers c\n")
        let beforeRun = box.snapshot()
        let run = prod(box, "run")
        #expect(run.code == 5, "\(run)")
        #expect(run.err.contains("error[E0501]: " + path) && run.err.contains("--> models/report.sql:3:8"), "\(run.err)")
        #expect(box.snapshot() == beforeRun, "a refused run wrote something")
        #expect(box.tableID("report") == nil)

        let check = prod(box, "check")
        #expect(check.code == 5 && check.out.contains(path), "\(check)")

        // Paths through a CTE and a subquery name each hop.
        let cte = prod(box, "sql", "WITH k AS (SELECT ssn AS tax_id FROM customers) SELECT tax_id FROM k")
        #expect(cte.code == 5 && cte.err.contains("tax_id <- k.tax_id <- customers.ssn (\(label))"), "\(cte)")
        // A denied column may still filter, join, group and sort.
        let filtered = prod(box, "sql", "--format", "csv", """
            SELECT count(*) AS n FROM customers a JOIN customers b ON a.ssn = b.ssn WHERE a.ssn LIKE '99%' GROUP BY a.country ORDER BY 1
            """)
        #expect(filtered.code == 0, "\(filtered)")
        let expected = Dictionary(grouping: Self.customers.filter { $0.ssn.hasPrefix("99") }, by: \.country).values.map { String($0.count) }
        #expect(rows(filtered).map { $0[0] } == expected.sorted { Int($0)! < Int($1)! })
        // dev builds the same report.
        #expect(box.rocky(["run"]).code == 0)
    }

    // MARK: Masking through every query shape

    @Test func maskingSurvivesJoinsCTEsSubqueriesUnionWindowsAndCTASChains() {
        let box = governed()
        func csv(_ sql: String, sourceLocation: SourceLocation = #_sourceLocation) -> [[String]] {
            let run = prod(box, "sql", "--format", "csv", sql)
            #expect(run.code == 0, "\(run)", sourceLocation: sourceLocation)
            return rows(run)
        }
        let hashes = Self.customers.map { hash(box, $0.name) }

        let joined = csv("SELECT a.account_id, c.name FROM accounts a JOIN customers c ON c.customer_id = a.customer_id ORDER BY a.account_id")
        #expect(joined.count == Self.customerOfAccount.count)
        #expect(joined.allSatisfy { $0[1] == hash(box, Self.customer(Self.customerOfAccount[$0[0]]!).name) })
        // Hashing is deterministic, so a join on a masked column still matches.
        #expect(csv("SELECT count(*) AS n FROM customers a JOIN customers b ON a.name = b.name") == [[String(Set(hashes).count)]])

        let cte = csv("WITH k AS (SELECT customer_id, upper(name) AS shout FROM customers) SELECT shout FROM k ORDER BY customer_id")
        #expect(cte.map { $0[0] } == hashes.map { $0.uppercased() })
        let sub = csv("SELECT x.e FROM (SELECT customer_id, email AS e FROM customers) x ORDER BY x.customer_id")
        #expect(sub.map { $0[0] } == Self.customers.map { emailMask($0.email) })
        #expect(csv("SELECT (SELECT max(name) FROM customers) AS top") == [[hashes.max()!]])
        let union = csv("SELECT name AS v FROM customers UNION SELECT email FROM customers ORDER BY 1")
        #expect(union.map { $0[0] } == (Set(hashes).union(Self.customers.map { emailMask($0.email) })).sorted())

        let window = csv("""
            SELECT customer_id, LAG(name) OVER (ORDER BY customer_id) AS previous,
                   FIRST_VALUE(email) OVER (PARTITION BY country ORDER BY customer_id) AS first_email,
                   count(*) OVER (PARTITION BY birth_date) AS same_year
            FROM customers ORDER BY customer_id
            """)
        #expect(window.map { $0[1] } == [""] + hashes.dropLast())
        #expect(window.allSatisfy { $0[2] == "***@example.com" })
        // The window partitions by the masked value (the year), not the date.
        let years = Dictionary(grouping: Self.customers, by: { yearMask($0.birthDate) }).mapValues(\.count)
        #expect(window.map { $0[3] } == Self.customers.map { String(years[yearMask($0.birthDate)]!) })

        // A chain of CREATE TABLE AS in prod: each step reads masked values.
        let chain = prod(box, "sql", """
            CREATE TABLE step1 AS SELECT customer_id, name, email FROM customers;
            CREATE TABLE step2 AS SELECT customer_id, name || ' <' || email || '>' AS contact FROM step1;
            CREATE TABLE step3 AS SELECT contact, count(*) AS n FROM step2 GROUP BY contact
            """)
        #expect(chain.code == 0, "\(chain)")
        let step3 = rows(box.rocky(["sql", "--format", "csv", "SELECT contact FROM step3 ORDER BY contact"]))
        #expect(step3.map { $0[0] } == Self.customers.map { hash(box, $0.name) + " <" + emailMask($0.email) + ">" }.sorted())

        // A chain built in dev carries the classification, so prod masks it when read.
        box.ok("sql", """
            CREATE TABLE dev1 AS SELECT customer_id, name FROM customers;
            CREATE TABLE dev2 AS SELECT customer_id, lower(name) AS n FROM dev1
            """)
        let lowered = rows(box.rocky(["sql", "--format", "csv", "SELECT n FROM dev2 ORDER BY customer_id"])).map { $0[0] }
        #expect(lowered.count == Self.customers.count)
        #expect(csv("SELECT n FROM dev2 ORDER BY customer_id").map { $0[0] } == lowered.map { hash(box, $0) })

        // And export: a prod export of the dev-built table is masked like the SELECT.
        let exported = prod(box, "export", "dev2")
        #expect(exported.code == 0, "\(exported)")
        #expect(exported.out == prod(box, "sql", "--format", "csv", "SELECT * FROM dev2 ORDER BY customer_id").out)
        let devExport = box.rocky(["export", "dev2"])
        #expect(!PIIScan.leaks(in: devExport.out).isEmpty, "dev keeps the raw values (the scan would see a leak)")
    }

    // MARK: Every strategy

    /// One environment per strategy, all masking the pii class.
    static let strategies = ["none", "hash", "redact", "partial", "nullify", "email", "year", "deny"]

    func everyStrategyBox() -> Sandbox {
        let box = Sandbox()
        box.ok("init")
        box.ok("import", "customers", fixture("customers.csv"), "--key", "customer_id")
        box.write("rocky.toml", "[environments.dev]\n" + Self.strategies.map { "[environments.with_\($0).masking]\npii = \"\($0)\"\n" }.joined(separator: "\n"))
        for column in ["name", "email", "ssn", "birth_date"] { box.ok("classify", "customers.\(column)", "pii") }
        box.ok("commit", "-m", "One environment per strategy")
        return box
    }

    func expectedMask(_ raw: String, _ strategy: String, key: String? = nil) -> String {
        if raw.isEmpty { return "" }  // NULL stays NULL
        let scalars = Array(raw.unicodeScalars)
        switch strategy {
        case "none": return raw
        case "hash": return TestSHA256.hex(raw, key: key)
        case "redact": return "[REDACTED]"
        case "partial": return scalars.count >= 3 ? "\(scalars.first!)****\(scalars.last!)" : "****"
        case "nullify": return ""
        case "email": return emailMask(raw)
        case "year": return yearMask(raw)
        default: Issue.record("no expectation for \(strategy)"); return raw
        }
    }

    @Test func theIndependentSHA256MatchesKnownVectors() {
        #expect(TestSHA256.hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(TestSHA256.hex("what do ya want for nothing?", key: "Jefe")
            == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
    }

    @Test func everyStrategyOnTheFixtureCustomers() {
        let box = everyStrategyBox()
        let all = "SELECT customer_id, name, email, ssn, birth_date FROM customers ORDER BY customer_id"
        for strategy in ["none", "hash", "redact", "partial", "nullify", "email"] {
            let run = box.rocky(["--env", "with_\(strategy)", "sql", "--format", "csv", all])
            #expect(run.code == 0, "\(strategy): \(run)")
            let expected = Self.customers.map { c in [c.id] + [c.name, c.email, c.ssn, c.birthDate].map { expectedMask($0, strategy, key: box.maskingKey) } }
            #expect(rows(run) == expected, "\(strategy)")
            if strategy != "none" { #expect(PIIScan.leaks(in: run.out).isEmpty, "\(strategy) leaks") }
            let export = box.rocky(["--env", "with_\(strategy)", "export", "customers"])
            #expect(export.code == 0 && rows(export).map { Array($0.prefix(5)) } == expected, "export under \(strategy): \(export)")
        }
        // The samples the strategies are known by.
        let partial = rows(box.rocky(["--env", "with_partial", "sql", "--format", "csv", "SELECT name, ssn FROM customers WHERE customer_id IN (1, 9)"]))
        #expect(partial == [["E****n", "9****1"], ["****", "9****6"]])

        // ROCKY_MASKING_KEY overrides the repository's key (an admin may: no policy restricts it here).
        let keyed = box.rocky(["--env", "with_hash", "sql", "--format", "csv", all], env: ["ROCKY_MASKING_KEY": "k3y"])
        #expect(rows(keyed) == Self.customers.map { c in [c.id] + [c.name, c.email, c.ssn, c.birthDate].map { expectedMask($0, "hash", key: "k3y") } })

        // year applies to dates only.
        let year = box.rocky(["--env", "with_year", "sql", "--format", "csv", "SELECT customer_id, birth_date FROM customers ORDER BY customer_id"])
        #expect(rows(year) == Self.customers.map { [$0.id, yearMask($0.birthDate)] }, "\(year)")
        let yearOnText = box.rocky(["--env", "with_year", "sql", "SELECT name FROM customers"])
        #expect(yearOnText.code == 5 && yearOnText.err.contains("E0502"), "\(yearOnText)")

        // deny refuses each column that reaches the output, naming it.
        let deny = box.rocky(["--env", "with_deny", "sql", all])
        #expect(deny.code == 5, "\(deny)")
        for column in ["name", "email", "ssn", "birth_date"] {
            #expect(deny.err.contains("\(column) <- customers.\(column) (pii): environment with_deny masks pii as deny"), "\(deny.err)")
        }
        let denyExport = box.rocky(["--env", "with_deny", "export", "customers"])
        #expect(denyExport.code == 5 && denyExport.out.isEmpty, "\(denyExport)")
        #expect(denyExport.err.contains("export customers: ssn <- customers.ssn (pii): environment with_deny masks pii as deny"))
    }

    // MARK: The scan itself

    @Test func theScanFindsEveryFormOfARawValue() {
        #expect(PIIScan.values.count == Self.customers.count * 3)
        #expect(PIIScan.leaks(in: "x,\"Anna \"\"Annie\"\" Kowalski\",y") == ["Anna \"Annie\" Kowalski"])
        #expect(PIIScan.leaks(in: "{\"name\": \"Anna \\\"Annie\\\" Kowalski\"}") == ["Anna \"Annie\" Kowalski"])
        #expect(PIIScan.leaks(in: "EMMA.JOHNSON@EXAMPLE.COM") == ["emma.johnson@example.com"])
        #expect(PIIScan.leaks(in: "998824131") == ["998-82-4131"])
        #expect(PIIScan.leaks(in: "王芳 ") == ["王芳"])
        #expect(PIIScan.leaks(in: TestSHA256.hex("Emma Johnson") + " ***@example.com E****n").isEmpty)
        #expect(PIIScan.environment(arguments: ["sql", "x"], variables: ["ROCKY_ENV": "prod"]) == "prod")
        #expect(PIIScan.environment(arguments: ["--env", "dev", "sql"], variables: ["ROCKY_ENV": "prod"]) == "dev")
        #expect(PIIScan.environment(arguments: ["sql", "--env=prod"], variables: [:]) == "prod")
    }

    @Test func aProdRunThatShowsRawValuesFailsTheScan() {
        let box = Sandbox()
        box.ok("init")
        box.ok("import", "customers", fixture("customers.csv"), "--key", "customer_id")
        box.write("rocky.toml", "[environments.dev]\n[environments.prod.masking]\npii = \"none\"\n")
        box.ok("classify", "customers.name", "pii")
        box.ok("commit", "-m", "A prod environment that shows pii")
        withKnownIssue("prod prints raw names on stdout: the scan must flag it") {
            _ = box.rocky(["--env", "prod", "sql", "SELECT name FROM customers"])
        }
        withKnownIssue("prod writes raw names to a file: the scan must flag it") {
            _ = box.rocky(["export", "customers", "-o", "out.csv"], env: ["ROCKY_ENV": "prod"])
        }
    }

    // MARK: Governance fields and classification propagation

    @Test func declarationsAreCommittedShownAndDiffed() {
        let box = governed()
        let text = box.ok("schema", "customers")
        #expect(text.contains("ssn          TEXT     yes         restricted"), "\(text)")
        #expect(text.contains("  ssn: owner risk-data, description \"Customer social security number\", access compliance, retention 7y, source crm, tags kyc"), "\(text)")
        #expect(text.contains("  email: masking prod=email"))
        let json = box.json(box.rocky(["schema", "customers", "--json"]))
        let ssn = (json["columns"] as? [[String: Any]])?.first { $0["name"] as? String == "ssn" }?["governance"] as? [String: Any]
        #expect(ssn?["classification"] as? String == "restricted")
        #expect(ssn?["owner"] as? String == "risk-data" && ssn?["retention"] as? String == "7y" && ssn?["source"] as? String == "crm")
        #expect(ssn?["description"] as? String == "Customer social security number")
        #expect(ssn?["access"] as? [String] == ["compliance"] && ssn?["tags"] as? [String] == ["kyc"])

        let diff = box.ok("diff", "HEAD~1", "HEAD")
        #expect(diff.contains("schema ~ column ssn governance: unclassified -> restricted (fields changed)"), "\(diff)")
        #expect(diff.contains("schema ~ column name governance: unclassified -> pii"))
        let diffJSON = box.rocky(["diff", "HEAD~1", "HEAD", "--json"]).out
        #expect(diffJSON.contains("\"change\":\"governance_changed\",\"id\":4,\"column\":\"ssn\""), "\(diffJSON)")

        // A later reclassification is a versioned, diffed schema change.
        box.ok("classify", "customers.country", "internal", "--owner", "ops")
        #expect(box.ok("status").contains("rocky.toml"))
        box.ok("commit", "-m", "Country is internal")
        #expect(box.ok("diff", "HEAD~1", "HEAD").contains("schema ~ column country governance: unclassified -> internal (fields changed)"))
        #expect(classifications(box, "customers", at: "HEAD~1")["country"] == "-")
        #expect(classifications(box, "customers", at: "HEAD")["country"] == "internal")
    }

    func classifications(_ box: Sandbox, _ table: String, at revision: String? = nil,
                         sourceLocation: SourceLocation = #_sourceLocation) -> [String: String] {
        let json = box.json(box.rocky(["schema", table, "--json"] + (revision.map { [$0] } ?? [])), sourceLocation: sourceLocation)
        var result: [String: String] = [:]
        for column in json["columns"] as? [[String: Any]] ?? [] {
            result[column["name"] as! String] = (column["governance"] as? [String: Any])?["classification"] as? String ?? "-"
        }
        return result
    }

    @Test func classificationPropagatesIntoDerivedTables() {
        let box = governed()
        box.ok("sql", """
            CREATE TABLE derived AS
            SELECT customer_id, name AS holder, upper(email) AS shout, ssn AS tax_id,
                   CASE WHEN ssn LIKE '9%' THEN 'a' ELSE 'b' END AS bucket, country
            FROM customers;
            CREATE TABLE by_country AS SELECT country, count(*) AS n, min(name) AS first_name FROM customers GROUP BY country;
            CREATE TABLE copy (id INTEGER PRIMARY KEY, n TEXT);
            INSERT INTO copy SELECT customer_id, name FROM customers;
            CREATE TABLE late (id INTEGER PRIMARY KEY, t TEXT);
            INSERT INTO late VALUES (1, 'x');
            UPDATE late SET t = (SELECT ssn FROM customers WHERE customer_id = 1)
            """)
        #expect(classifications(box, "derived") == ["customer_id": "-", "holder": "pii", "shout": "pii", "tax_id": "restricted",
                                                    "bucket": "-", "country": "-"])
        #expect(classifications(box, "by_country") == ["country": "-", "n": "-", "first_name": "pii"])
        #expect(classifications(box, "copy") == ["id": "-", "n": "pii"])
        #expect(classifications(box, "late") == ["id": "-", "t": "restricted"])

        // Models, through a model chain.
        box.write("models/holders.sql", """
            -- key: account_id
            SELECT a.account_id, c.name AS holder, c.birth_date FROM accounts a JOIN customers c ON c.customer_id = a.customer_id
            """)
        box.write("models/holder_counts.sql", "SELECT holder, count(*) AS accounts FROM holders GROUP BY holder\n")
        box.ok("run")
        #expect(classifications(box, "holders") == ["account_id": "-", "holder": "pii", "birth_date": "pii"])
        #expect(classifications(box, "holder_counts") == ["holder": "pii", "accounts": "-"])
        box.ok("commit", "-m", "Derived tables")
        #expect(classifications(box, "holder_counts", at: "HEAD") == ["holder": "pii", "accounts": "-"])
        #expect(classifications(box, "copy", at: "HEAD") == ["id": "-", "n": "pii"])

        // So prod masks what dev derived, and denies what came from the SSN.
        let names = prod(box, "sql", "--format", "csv", "SELECT n FROM copy ORDER BY id")
        #expect(rows(names).map { $0[0] } == Self.customers.map { hash(box, $0.name) })
        let counts = prod(box, "sql", "--format", "csv", "SELECT holder FROM holder_counts ORDER BY holder")
        #expect(rows(counts).allSatisfy { $0[0].count == 64 } && !rows(counts).isEmpty)
        let taxID = prod(box, "sql", "SELECT tax_id FROM derived")
        #expect(taxID.code == 5 && taxID.err.contains("tax_id <- derived.tax_id (restricted)"), "\(taxID)")
        let late = prod(box, "export", "late")
        #expect(late.code == 5 && late.err.contains("export late: t <- late.t (restricted)"), "\(late)")

        // Built in prod, the same models hold masked values and carry no classification.
        #expect(prod(box, "run").code == 0)
        #expect(classifications(box, "holders") == ["account_id": "-", "holder": "-", "birth_date": "-"])
        #expect(PIIScan.leaks(in: box.ok("export", "holder_counts")).isEmpty)
    }

    // MARK: rocky check

    @Test func checkInProdListsEveryViolationInTheModelsWithoutRunning() {
        let box = governed()
        box.write("models/holders.sql", """
            -- key: account_id
            SELECT a.account_id, c.name AS holder FROM accounts a JOIN customers c ON c.customer_id = a.customer_id
            """)
        box.write("models/holder_counts.sql", "SELECT holder, count(*) AS accounts FROM holders GROUP BY holder\n")
        box.write("models/report.sql", "SELECT c.customer_id,\n       c.ssn AS customer_ssn\nFROM customers c\n")
        box.write("models/report_summary.sql", "SELECT count(*) AS n, max(customer_ssn) AS top_ssn FROM report\n")
        box.write("models/tax.sql", "-- key: customer_id\nSELECT customer_id, upper(ssn) AS tax_id FROM customers\n")
        let before = box.snapshot()
        let check = prod(box, "check")
        #expect(check.code == 5, "\(check)")
        #expect(check.out.contains("error[E0501]: report.customer_ssn <- customers.ssn (restricted): environment prod masks restricted as deny\n --> models/report.sql:2:8"), "\(check.out)")
        #expect(check.out.contains("error[E0501]: report_summary.top_ssn <- report.customer_ssn (restricted): environment prod masks restricted as deny"))
        #expect(check.out.contains("error[E0501]: tax.tax_id <- customers.ssn (restricted): environment prod masks restricted as deny\n --> models/tax.sql:2:21"))
        #expect(check.out.contains("models/holders.sql: ok") && check.out.contains("models/holder_counts.sql: ok"))
        #expect(!check.out.contains("E0201"), "a model reading another model must see its table")
        #expect(check.out.contains("5 models: 2 ok, 3 with errors (3 refused by governance in environment prod)"))
        #expect(box.snapshot() == before, "check ran something")

        let json = box.json(prod(box, "--json", "check"))
        let files = json["files"] as? [[String: Any]] ?? []
        #expect(files.map { $0["model"] as? String ?? "" } == ["holders", "holder_counts", "report", "report_summary", "tax"])
        #expect(files.map { $0["refused"] as? Bool ?? false } == [false, false, true, true, true])

        let dev = box.rocky(["check"])
        #expect(dev.code == 0 && dev.out.contains("5 models: 5 ok, 0 with errors"), "\(dev)")
        // What an orchestrator builds its asset graph from: the tables each
        // model reads, and its column lineage (integrations/dagster).
        let devFiles = box.json(box.rocky(["--json", "check"]))["files"] as? [[String: Any]] ?? []
        let counts = (devFiles.first { $0["model"] as? String == "holder_counts" }?["statements"] as? [[String: Any]])?.first
        #expect(counts?["input_tables"] as? [String] == ["holders"], "\(devFiles)")
        let columns = (counts?["lineage"] as? [String: Any])?["columns"] as? [[String: Any]] ?? []
        let holder = (columns.first { $0["name"] as? String == "holder" }?["inputs"] as? [[String: Any]])?.first
        #expect(holder?["table"] as? String == "holders" && holder?["column"] as? String == "holder" && holder?["column_id"] is Int,
                "\(columns)")
        let inline = prod(box, "check", "-e", "SELECT ssn FROM customers")
        #expect(inline.code == 5 && inline.out.contains("ssn <- customers.ssn (restricted)"), "\(inline)")
    }

    // MARK: Export

    @Test func exportMasksRefusesDeniedColumnsAndStaysByteIdenticalInDev() {
        let plain = Sandbox()
        plain.loadFixtures()
        let raw = plain.ok("export", "customers")
        let box = governed()
        #expect(box.ok("export", "customers") == raw, "a dev export with masking none changed")
        #expect(prod(box, "export", "accounts").out == box.ok("export", "accounts"), "a table without masked columns changed in prod")

        let before = box.snapshot()
        let refused = prod(box, "export", "customers", "-o", "out.csv")
        #expect(refused.code == 5, "\(refused)")
        #expect(refused.err.contains("export customers: ssn <- customers.ssn (restricted): environment prod masks restricted as deny"), "\(refused.err)")
        #expect(box.workingFiles().keys.filter { $0.hasPrefix("out.csv") }.isEmpty, "a refused export left a file")
        #expect(box.snapshot() == before)
        // The policy in force applies to history too: the commit before the declarations.
        #expect(prod(box, "export", "customers", "HEAD~1").code == 5)

        box.ok("sql", "CREATE TABLE contacts AS SELECT customer_id, name, email, birth_date FROM customers")
        let file = prod(box, "export", "contacts", "-o", "contacts.jsonl")
        #expect(file.code == 0, "\(file)")
        let lines = (box.read("contacts.jsonl") ?? "").split(separator: "\n")
        #expect(lines.count == Self.customers.count)
        for (line, c) in zip(lines, Self.customers) {
            let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            #expect(object?["name"] as? String == hash(box, c.name))
            // The column's own `masking = { prod = "email" }` stays with customers.email;
            // the derived column inherits the classification (pii), so prod hashes it.
            #expect(object?["email"] as? String == hash(box, c.email))
            #expect(object?["birth_date"] as? String == hash(box, c.birthDate) || (c.birthDate.isEmpty && object?["birth_date"] is NSNull))
        }
        #expect(prod(box, "export", "contacts").out == prod(box, "sql", "--format", "csv", "SELECT * FROM contacts ORDER BY customer_id").out)
    }

    // MARK: The policy in force

    @Test func anAnalystCannotUnmaskProdFromTheirBranch() {
        let box = governed()
        let firstName = "SELECT name FROM customers ORDER BY customer_id LIMIT 1"
        func expectMasked(_ why: String, sourceLocation: SourceLocation = #_sourceLocation) {
            let name = prod(box, "sql", "--format", "csv", firstName)
            #expect(rows(name) == [[hash(box, Self.customers[0].name)]], "\(why): \(name)", sourceLocation: sourceLocation)
            let ssn = prod(box, "sql", "SELECT ssn FROM customers")
            #expect(ssn.code == 5, "\(why): \(ssn)", sourceLocation: sourceLocation)
        }
        let committed = box.read("rocky.toml")!
        box.ok("checkout", "-b", "analyst")
        expectMasked("on the branch")

        box.write("rocky.toml", committed.replacingOccurrences(of: "pii = \"hash\"", with: "pii = \"none\"")
            .replacingOccurrences(of: "restricted = \"deny\"", with: "restricted = \"none\""))
        expectMasked("environments loosened in the working rocky.toml")

        box.write("rocky.toml", committed.replacingOccurrences(of: "classification = \"pii\"", with: "classification = \"public\"")
            .replacingOccurrences(of: "classification = \"restricted\"", with: "classification = \"public\""))
        expectMasked("columns reclassified public in the working rocky.toml")

        box.write("rocky.toml", committed.replacingOccurrences(of: "owner = \"crm-team\"", with: "owner = \"crm-team\"\nmasking = { prod = \"none\" }")
            .replacingOccurrences(of: "owner = \"risk-data\"", with: "owner = \"risk-data\"\nmasking = { prod = \"none\" }"))
        expectMasked("a column's own prod masking set to none in the working rocky.toml")

        box.write("rocky.toml", committed.replacingOccurrences(of: "pii = \"hash\"", with: "pii = \"none\"")
            + "\n[access]\nprotected = [\"analyst\"]\n")
        box.ok("commit", "-m", "Make my branch the protected one")
        expectMasked("the branch named protected and loosened, committed on the branch")

        box.write("rocky.toml", committed)
        box.ok("classify", "customers.name", "public")
        box.ok("classify", "customers.ssn", "public")
        box.ok("commit", "-m", "Declassify on the branch")
        #expect(classifications(box, "customers")["name"] == "public", "the branch's own schema records its declaration")
        expectMasked("columns declassified and committed on the branch")

        box.ok("sql", "ALTER TABLE customers RENAME COLUMN ssn TO tax_id")
        box.ok("classify", "customers.tax_id", "public")
        let renamed = prod(box, "sql", "SELECT tax_id FROM customers")
        #expect(renamed.code == 5, "a renamed column escaped the protected branch's rule: \(renamed)")
        #expect(prod(box, "export", "customers").code == 5)

        // A branch may tighten.
        box.ok("classify", "customers.country", "restricted")
        #expect(prod(box, "sql", "SELECT country FROM customers").code == 5)
        box.ok("commit", "-m", "Rename and tighten")

        // What is committed on main is in force, for every branch.
        box.ok("checkout", "main")
        box.write("rocky.toml", committed.replacingOccurrences(of: "pii = \"hash\"", with: "pii = \"redact\""))
        box.ok("commit", "-m", "prod redacts pii")
        box.ok("checkout", "analyst")
        #expect(rows(prod(box, "sql", "--format", "csv", firstName)) == [["[REDACTED]"]])
    }

    @Test func aReplayInProdKeepsTheProtectedBranchsMasking() {
        let box = governed()
        box.ok("checkout", "-b", "analyst")
        #expect(prod(box, "sql", "CREATE TABLE names AS SELECT customer_id, name FROM customers").code == 0)
        box.ok("commit", "-m", "names, built in prod")
        box.ok("classify", "customers.name", "public")
        box.ok("commit", "-m", "Declassify on the branch")
        let run = box.rocky("replay", "analyst", "--at", "2099-01-01T00:00:00Z", "--name", "again", "--json")
        #expect(run.code == 0, "\(run)")
        let names = rows(box.rocky(["export", "names", "again"]))
        #expect(names.count == Self.customers.count)
        #expect(names.allSatisfy { $0[1] == hash(box, Self.customer($0[0]).name) }, "\(names.prefix(2))")
    }

    // MARK: Errors

    @Test func anEngineErrorOnADeniedColumnDoesNotQuoteItsValue() {
        let box = governed()
        let run = prod(box, "sql", "SELECT customer_id FROM customers WHERE CAST(ssn AS DATE) IS NULL")
        #expect(run.code == 1, "\(run)")
        #expect(run.err.contains("'…' is not a date") && run.err.contains("values withheld"), "\(run.err)")
        let dev = box.rocky(["sql", "SELECT customer_id FROM customers WHERE CAST(ssn AS DATE) IS NULL"])
        #expect(dev.code == 1 && dev.err.contains("is not a date") && !PIIScan.leaks(in: dev.err).isEmpty,
                "dev still quotes the value (what the scan would flag in prod): \(dev)")
    }
}
