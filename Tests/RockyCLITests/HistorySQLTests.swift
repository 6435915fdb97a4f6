import Foundation
import Testing

/// SQL over history: `FROM t AS OF '<rev>'` and the system tables
/// (`rocky_log`, `rocky_branches`, `rocky_tags`, `rocky_diff(...)`,
/// `rocky_audit`), read through the same access checks and masking as any table.
@Suite struct HistorySQLTests {
    func results(_ run: Run, _ box: Sandbox, sourceLocation: SourceLocation = #_sourceLocation) -> [[String: Any]] {
        #expect(run.code == 0, "\(run)", sourceLocation: sourceLocation)
        return (box.json(run, sourceLocation: sourceLocation)["results"] as? [[String: Any]])?.last?["rows"] as? [[String: Any]] ?? []
    }

    func repo() -> Sandbox {
        let box = Sandbox()
        box.ok("init")
        box.write("t.csv", "id,qty,note\n1,10,a\n2,20,b\n3,30,c\n")
        box.ok("import", "t", "t.csv", "--key", "id", "-m", "base")
        box.ok("tag", "v1", "-m", "first")
        box.rocky(["sql", "UPDATE t SET qty = 11 WHERE id = 1; DELETE FROM t WHERE id = 3; INSERT INTO t VALUES (4, 40, 'd')",
                   "-m", "change"], env: ["ROCKY_COMMIT_TIME": "2026-05-21T10:00:00Z"])
        return box
    }

    @Test func asOfJoinsAnEarlierRevisionAgainstThePresent() {
        let box = repo()
        let query = "SELECT cur.id, old.qty AS before, cur.qty AS after FROM t AS cur JOIN t AS OF '%@' AS old ON cur.id = old.id ORDER BY cur.id"
        for revision in ["v1", "HEAD~1", "main@{2026-05-20T18:00:00Z}", box.ok("rev-parse", "v1").trimmingCharacters(in: .whitespacesAndNewlines)] {
            let rows = results(box.rocky(["--json", "sql", query.replacingOccurrences(of: "%@", with: revision)]), box)
            #expect(rows.map { [$0["id"] as? Int, $0["before"] as? Int, $0["after"] as? Int] } == [[1, 10, 11], [2, 20, 20]], "\(revision)")
        }
        // Without an alias the table at a revision is named as the table.
        let alone = results(box.rocky(["--json", "sql", "SELECT t.qty FROM t AS OF 'v1' WHERE t.id = 3"]), box)
        #expect(alone.first?["qty"] as? Int == 30)
        let missing = box.rocky("sql", "SELECT * FROM nope AS OF 'v1'")
        #expect(missing.code == 1 && missing.err.contains("does not exist at revision 'v1'"), "\(missing)")
        #expect(box.rocky("sql", "SELECT * FROM t AS OF 'no-such-rev'").code != 0)
    }

    @Test func createTableAsOfARevisionRecordsTheRevisionAndReplays() {
        let box = repo()
        box.ok("sql", "CREATE TABLE snap AS SELECT id, qty FROM t AS OF 'v1' WHERE qty > 15", "-m", "snapshot")
        let rows = results(box.rocky(["--json", "sql", "SELECT id FROM snap ORDER BY id"]), box)
        #expect(rows.map { $0["id"] as? Int } == [2, 3])
        let shown = box.ok("show", "--json")
        #expect(shown.contains("t@v1"), "the transformation's input is named with its revision: \(shown)")
        let lineage = box.ok("lineage", "snap.qty", "--json")
        #expect(lineage.contains("t@v1"), "\(lineage)")
        // The input is the stored version of v1, so a verify replay is bit-identical.
        box.ok("branch", "work")
        box.ok("checkout", "work")
        box.ok("sql", "CREATE TABLE snap2 AS SELECT id FROM t AS OF 'v1'", "-m", "on work")
        let verify = box.rocky("replay", "work", "--at", "2026-05-21T12:00:00Z", "--onto", "main", "--verify")
        #expect(verify.code == 0, "\(verify)")
    }

    @Test func modelsCheckAndMergeResolveReadsOfHistory() {
        let box = repo()
        box.ok("branch", "work")
        box.ok("checkout", "work")
        box.ok("sql", "CREATE TABLE was AS SELECT id, qty FROM t AS OF 'v1'", "-m", "was")
        box.write("models/growth.sql", "SELECT cur.id, cur.qty - old.qty AS growth FROM t AS cur JOIN t AS OF 'v1' AS old ON old.id = cur.id\n")
        box.write("models/tagged.sql", "SELECT name, commit FROM rocky_tags\n")
        box.ok("run", "-m", "models")
        let rows = results(box.rocky(["--json", "sql", "SELECT id, growth FROM growth ORDER BY id"]), box)
        #expect(rows.map { [$0["id"] as? Int, $0["growth"] as? Int] } == [[1, 1], [2, 0]])
        #expect(box.ok("tables").contains("growth"))
        let check = box.rocky("check", "-e", "SELECT d.change FROM rocky_diff('v1', 'main', 't') AS d JOIN t AS OF 'HEAD~1' AS o ON o.id = d.after_id")
        #expect(check.code == 0, "\(check)")
        #expect(box.rocky("check").code == 0, "the models check too")
        box.ok("checkout", "main")
        let merged = box.rocky("merge", "work")
        #expect(merged.code == 0, "the merged transformation and models compile with their reads of history: \(merged)")
    }

    @Test func rockyDiffHasOneRowPerChangedRowAsDiffJSONHas() {
        let box = repo()
        let diff = box.json(box.rocky("diff", "v1", "main", "--json"))
        let expected = ((diff["tables"] as? [[String: Any]])?.first?["rows"] as? [[String: Any]]) ?? []
        let rows = results(box.rocky(["--json", "sql", "SELECT * FROM rocky_diff('v1', 'main', 't') ORDER BY COALESCE(after_id, before_id)"]), box)
        #expect(rows.count == expected.count && rows.count == 3, "\(rows)")
        for (row, delta) in zip(rows, expected) {
            let change = delta["change"] as? String
            #expect(row["change"] as? String == change)
            let id = (delta["key"] as? [String: Any])?["id"] as? Int
            #expect((change == "added" ? row["after_id"] : row["before_id"]) as? Int == id)
            if change == "modified" {
                for cell in delta["cells"] as? [[String: Any]] ?? [] {
                    let column = cell["column"] as? String ?? ""
                    #expect(row["before_" + column] as? Int == cell["old"] as? Int && row["after_" + column] as? Int == cell["new"] as? Int)
                }
                #expect(row["before_note"] as? String == "a" && row["after_note"] as? String == "a", "unchanged cells on both sides")
            }
        }
        // Joined with the present, and used to build a table.
        box.ok("sql", "CREATE TABLE changes AS SELECT d.change, t.note FROM rocky_diff('v1', 'main', 't') AS d JOIN t ON t.id = d.after_id")
        let built = results(box.rocky(["--json", "sql", "SELECT change, note FROM changes ORDER BY note"]), box)
        #expect(built.map { [$0["change"] as? String, $0["note"] as? String] } == [["modified", "a"], ["added", "d"]])
        #expect(box.rocky("sql", "SELECT * FROM rocky_diff('v1', 'main', 'nope')").code != 0)
    }

    @Test func systemTablesListHistoryBranchesTagsAndTheAuditTrail() {
        let box = repo()
        box.ok("branch", "feature")
        let log = results(box.rocky(["--json", "sql", "SELECT commit, message, actor FROM rocky_log ORDER BY time DESC"]), box)
        #expect(log.map { $0["message"] as? String } == ["change", "base", "Initialize repository"])
        #expect(log.first?["commit"] as? String == box.ok("rev-parse", "HEAD").trimmingCharacters(in: .whitespacesAndNewlines))
        let branches = results(box.rocky(["--json", "sql", "SELECT name, current FROM rocky_branches ORDER BY name"]), box)
        #expect(branches.map { $0["name"] as? String } == ["feature", "main"])
        #expect(branches.last?["current"] as? Bool == true)
        let tags = results(box.rocky(["--json", "sql", "SELECT name, message FROM rocky_tags"]), box)
        #expect(tags.map { $0["name"] as? String } == ["v1"] && tags.first?["message"] as? String == "first")
        let audit = results(box.rocky(["--json", "sql", "SELECT operation FROM rocky_audit WHERE operation = 'tag'"]), box)
        #expect(audit.count == 1)
        // A system table joins like any table: the tagged commit's message.
        let joined = results(box.rocky(["--json", "sql", "SELECT l.message FROM rocky_tags AS g JOIN rocky_log AS l ON l.commit = g.commit"]), box)
        #expect(joined.first?["message"] as? String == "base")
    }

    @Test func aRevisionTheActorMayNotReadIsRefusedWithNothingWritten() {
        let box = Sandbox()
        box.ok("init")
        box.write("t.csv", "id,qty\n1,10\n")
        box.ok("import", "t", "t.csv", "--key", "id")
        box.write("rocky.toml", """
            [access]
            protected = ["main"]
            [access.roles.analyst]
            allow = ["read", "create", "write", "use"]
            branches = ["agent/*"]
            [access.roles.admin]
            allow = ["*"]
            [access.principals]
            alice = ["admin"]
            agent = ["analyst"]

            """)
        box.ok("commit", "-m", "policy", "--as", "alice")
        box.ok("branch", "secret", "--as", "alice")
        box.ok("branch", "agent/x", "--as", "alice")
        box.ok("checkout", "agent/x", "--as", "agent")
        let before = box.snapshot(".rocky/refs")
        for sql in ["SELECT * FROM t AS OF 'secret'", "CREATE TABLE s AS SELECT * FROM t AS OF 'main'",
                    "SELECT * FROM rocky_diff('main', 'agent/x', 't')"] {
            let refused = box.rocky(["sql", sql, "-m", "try", "--as", "agent"])
            #expect(refused.code == 5 && refused.err.contains("lacks the 'read' permission"), "\(sql)\n\(refused)")
        }
        #expect(box.snapshot(".rocky/refs") == before)
        #expect(box.rocky(["sql", "SELECT * FROM t AS OF 'agent/x'", "--as", "agent"]).code == 0)
        let branches = results(box.rocky(["--json", "sql", "SELECT name FROM rocky_branches", "--as", "agent"]), box)
        #expect(branches.map { $0["name"] as? String } == ["agent/x"], "only the branches the actor may read")
    }

    @Test func aTableAtARevisionIsMaskedAsTheTableIs() {
        let box = Sandbox()
        box.ok("init")
        box.write("c.csv", "id,email\n1,ann@example.org\n")
        box.ok("import", "c", "c.csv", "--key", "id")
        box.write("rocky.toml", """
            [environments.dev.masking]
            pii = "none"
            [environments.prod.masking]
            pii = "redact"

            """)
        box.ok("classify", "c.email", "pii")
        box.ok("commit", "-m", "governed")
        box.ok("tag", "v1")
        let prod = box.rocky(["--env", "prod", "--json", "sql", "SELECT email FROM c AS OF 'v1'"])
        #expect(prod.code == 0 && !prod.out.contains("ann@example.org"), "\(prod)")
        box.write("c.csv", "id,email\n1,bob@example.org\n")
        box.ok("import", "c", "c.csv")
        box.ok("commit", "-m", "changed")
        let diff = box.rocky(["--env", "prod", "--json", "sql", "SELECT before_email, after_email FROM rocky_diff('v1', 'main', 'c')"])
        #expect(diff.code == 0 && !diff.out.contains("ann@example.org") && !diff.out.contains("bob@example.org"), "\(diff)")
        let dev = box.rocky(["--json", "sql", "SELECT before_email FROM rocky_diff('v1', 'main', 'c')"])
        #expect(dev.out.contains("ann@example.org"))
    }
}
