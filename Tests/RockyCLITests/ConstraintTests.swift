import Foundation
import Testing

/// CREATE TABLE with DEFAULT, UNIQUE and CHECK (Docs/sql.md, "Constraints"):
/// defaults fill what INSERT leaves out, violations are refused with
/// `constraint_violation` and change nothing, and the constraints travel
/// with the table through commits, branches, imports and merges.
@Suite struct ConstraintTests {
    static let create = "CREATE TABLE z (a INTEGER PRIMARY KEY, b TEXT DEFAULT 'x' CHECK (b <> ''), c INTEGER UNIQUE)"

    /// The repository's files that a refused statement must leave as they were.
    static func state(_ box: Sandbox) -> [String: Data] {
        box.snapshot().filter { !$0.key.hasPrefix("cache") && !$0.key.hasPrefix("tmp") && $0.key != "audit.log" && $0.key != "audit.head" }
    }

    /// Runs `arguments`, which must be refused as a violation of `constraint`
    /// (exit 1, `constraint_violation`) with `detail` in the message, leaving
    /// the repository as it was.
    static func refused(_ box: Sandbox, _ arguments: [String], constraint: String, detail: String,
                        sourceLocation: SourceLocation = #_sourceLocation) {
        let before = state(box)
        let run = box.rocky(arguments + ["--json"])
        let error = box.json(run, sourceLocation: sourceLocation)["error"] as? [String: Any]
        #expect(run.code == 1 && error?["code"] as? String == "constraint_violation", "\(run)", sourceLocation: sourceLocation)
        let message = error?["message"] as? String ?? ""
        #expect(message.contains("constraint \(constraint)") && message.contains(detail), "\(run)", sourceLocation: sourceLocation)
        #expect(state(box) == before, "a refused statement changes nothing", sourceLocation: sourceLocation)
    }

    @Test func defaultsFillWhatInsertLeavesOut() {
        let box = Sandbox()
        box.ok("init")
        box.ok("sql", Self.create)
        box.ok("sql", "INSERT INTO z (a) VALUES (1)")
        box.ok("sql", "INSERT INTO z (a, b, c) VALUES (2, DEFAULT, 5)")
        box.ok("sql", "INSERT INTO z VALUES (3, 'y', DEFAULT)")
        box.ok("sql", "INSERT INTO z (a, c) SELECT 4, 6")
        box.ok("sql", "CREATE TABLE d (id INTEGER PRIMARY KEY, n INTEGER NOT NULL DEFAULT 7, day DATE DEFAULT CURRENT_DATE)")
        box.ok("sql", "INSERT INTO d (id) VALUES (1)")
        #expect(box.ok("export", "z") == "a,b,c\n1,x,\n2,x,5\n3,y,\n4,x,6\n")
        #expect(box.ok("export", "d").hasPrefix("id,n,day\n1,7,20"), "CURRENT_DATE is the statement's date")
        // A DEFAULT that does not fit its column, or reads a column, does not compile.
        let badType = box.rocky("sql", "CREATE TABLE e (n INTEGER DEFAULT 'abc')")
        #expect(badType.code == 1 && badType.err.contains("E0307"), "\(badType)")
        let readsColumn = box.rocky("sql", "CREATE TABLE e (n INTEGER, m INTEGER DEFAULT n)")
        #expect(readsColumn.code == 1 && readsColumn.err.contains("E0311") && readsColumn.err.contains("^"), "\(readsColumn)")
    }

    @Test func checkAndUniqueRefuseViolationsAndChangeNothing() {
        let box = Sandbox()
        box.ok("init")
        box.ok("sql", Self.create)
        box.ok("sql", "INSERT INTO z VALUES (1, 'p', 5), (2, NULL, NULL), (3, 'q', NULL)")
        box.ok("commit", "-m", "z")
        box.ok("sql", "INSERT INTO z (a) VALUES (4)")
        let status = box.ok("status")
        Self.refused(box, ["sql", "INSERT INTO z (a, b) VALUES (9, '')"], constraint: "z_b_check",
                     detail: "(a, b, c) = (9, '', NULL)")
        Self.refused(box, ["sql", "INSERT INTO z (a, c) VALUES (10, 5)"], constraint: "z_c_key", detail: "(c) = (5)")
        Self.refused(box, ["sql", "UPDATE z SET c = 5 WHERE a = 3"], constraint: "z_c_key", detail: "(c) = (5)")
        Self.refused(box, ["sql", "UPDATE z SET b = '' WHERE a = 1"], constraint: "z_b_check", detail: "(1, '', 5)")
        // A script stops at the violating statement: the earlier ones are not kept either.
        Self.refused(box, ["sql", "INSERT INTO z (a, c) VALUES (20, 20); INSERT INTO z (a, c) VALUES (21, 20)"],
                     constraint: "z_c_key", detail: "(c) = (20)")
        #expect(box.ok("status") == status)
        // NULL passes CHECK, and NULLs are distinct for UNIQUE.
        box.ok("sql", "INSERT INTO z (a, b, c) VALUES (11, NULL, NULL), (12, 'r', NULL)")
        // Moving a value away and back in one statement is fine.
        box.ok("sql", "UPDATE z SET c = CASE WHEN a = 1 THEN 6 ELSE 5 END WHERE a IN (1, 3)")
        #expect(box.ok("export", "z") == "a,b,c\n1,p,6\n2,,\n3,q,5\n4,x,\n11,,\n12,r,\n")
    }

    @Test func tableConstraintsAreNamedAndSpanColumns() {
        let box = Sandbox()
        box.ok("init")
        box.ok("sql", "CREATE TABLE pairs (x INTEGER, y INTEGER, CONSTRAINT xy UNIQUE (x, y), CONSTRAINT ordered CHECK (x < y), CHECK (y < 100))")
        box.ok("sql", "INSERT INTO pairs VALUES (1, 2), (1, 3), (NULL, 2), (NULL, 2)")
        Self.refused(box, ["sql", "INSERT INTO pairs VALUES (1, 2)"], constraint: "xy", detail: "(x, y) = (1, 2)")
        Self.refused(box, ["sql", "INSERT INTO pairs VALUES (3, 1)"], constraint: "ordered", detail: "(x, y) = (3, 1)")
        Self.refused(box, ["sql", "INSERT INTO pairs VALUES (3, 200)"], constraint: "pairs_check", detail: "(3, 200)")
        let schema = box.ok("schema", "pairs")
        #expect(schema.contains("constraints:\n  xy: UNIQUE (x, y)\n  ordered: CHECK (x < y)\n  pairs_check: CHECK (y < 100)\n"), "\(schema)")
    }

    @Test func badConstraintsAreCompileErrorsWithACaret() {
        let box = Sandbox()
        box.ok("init")
        let cases: [(String, String)] = [
            ("CREATE TABLE t (a INTEGER CHECK (a + 1))", "E0304"),
            ("CREATE TABLE t (a INTEGER CHECK (b > 0))", "E0202"),
            ("CREATE TABLE t (a INTEGER, CHECK (a IN (SELECT 1)))", "E0604"),
            ("CREATE TABLE t (a DATE CHECK (a < CURRENT_DATE))", "E0604"),
            ("CREATE TABLE t (a INTEGER CHECK (COUNT(a) > 0))", "E0402"),
            ("CREATE TABLE t (a INTEGER, UNIQUE (b))", "E0202"),
            ("CREATE TABLE t (a INTEGER CONSTRAINT k UNIQUE, b INTEGER CONSTRAINT k CHECK (b > 0))", "E0604"),
            ("CREATE TABLE t (a INTEGER REFERENCES u)", "E0102"),
        ]
        for (sql, code) in cases {
            let run = box.rocky("sql", sql)
            #expect(run.code == 1 && run.err.contains(code) && run.err.contains("^"), "\(sql)\n\(run)")
        }
        #expect(box.rocky("schema", "t").code == 1, "nothing was created")
        box.ok("sql", Self.create)
        let drop = box.rocky("sql", "ALTER TABLE z DROP COLUMN c")
        #expect(drop.code == 1 && drop.err.contains("E0602") && drop.err.contains("z_c_key"), "\(drop)")
        let rename = box.rocky("sql", "ALTER TABLE z RENAME COLUMN b TO bb")
        #expect(rename.code == 1 && rename.err.contains("z_b_check"), "\(rename)")
        // UNIQUE holds its columns by id: a rename keeps it.
        box.ok("sql", "ALTER TABLE z RENAME COLUMN c TO cc")
        box.ok("sql", "INSERT INTO z (a, cc) VALUES (1, 1)")
        Self.refused(box, ["sql", "INSERT INTO z (a, cc) VALUES (2, 1)"], constraint: "z_c_key", detail: "(cc) = (1)")
    }

    @Test func constraintsPersistAcrossCommitsBranchesImportsAndMerges() {
        let box = Sandbox()
        box.ok("init")
        box.ok("sql", Self.create)
        box.ok("sql", "INSERT INTO z (a, c) VALUES (1, 1)")
        box.ok("commit", "-m", "z with constraints")
        let schema = box.ok("schema", "z")
        #expect(schema.contains("defaults:\n  b: 'x'\n") && schema.contains("constraints:\n  z_b_check: CHECK (b <> '')\n  z_c_key: UNIQUE (c)\n"),
                "\(schema)")
        let json = box.json(box.rocky("schema", "z", "--json"))
        #expect((json["constraints"] as? [[String: Any]])?.map { $0["name"] as? String } == ["z_b_check", "z_c_key"], "\(json)")
        // Another branch enforces them too.
        box.ok("checkout", "-b", "side")
        Self.refused(box, ["sql", "INSERT INTO z (a, c) VALUES (2, 1)"], constraint: "z_c_key", detail: "(c) = (1)")
        box.ok("sql", "INSERT INTO z (a, c) VALUES (2, 7)")
        box.ok("commit", "-m", "side row")
        box.ok("checkout", "main")
        box.ok("sql", "INSERT INTO z (a, c) VALUES (3, 7)")
        box.ok("commit", "-m", "main row")
        // Each side is fine alone; merged, two rows share c = 7.
        let head = box.ok("rev-parse", "main")
        Self.refused(box, ["merge", "side"], constraint: "z_c_key", detail: "(c) = (7)")
        #expect(box.ok("rev-parse", "main") == head)
        // Imports: append and upsert keep and check the constraints.
        box.write("more.csv", "a,b,c\n4,w,7\n")
        Self.refused(box, ["import", "z", "more.csv", "--mode", "append"], constraint: "z_c_key", detail: "(c) = (7)")
        box.write("fine.csv", "a,b,c\n1,v,1\n5,u,8\n")
        box.ok("import", "z", "fine.csv", "--mode", "upsert")
        #expect(box.ok("export", "z") == "a,b,c\n1,v,1\n3,x,7\n5,u,8\n")
        #expect(box.ok("schema", "z").contains("z_c_key: UNIQUE (c)"), "an import keeps the constraints")
    }

    @Test func importsWithASchemaFileOrInferenceKeepTheConstraints() {
        let box = Sandbox()
        box.ok("init")
        box.ok("sql", Self.create)
        box.ok("sql", "INSERT INTO z (a, c) VALUES (1, 1)")
        box.write("z.json", #"{"columns": [{"name": "a", "type": "INTEGER"}, {"name": "b", "type": "TEXT"}, {"name": "c", "type": "INTEGER"}], "key": ["a"]}"#)
        box.write("dup.csv", "a,b,c\n2,y,1\n")
        // A schema file states types, not rules: the UNIQUE still holds.
        Self.refused(box, ["import", "z", "dup.csv", "--mode", "append", "--schema", "z.json"], constraint: "z_c_key", detail: "(c) = (1)")
        Self.refused(box, ["import", "z", "dup.csv", "--mode", "upsert", "--schema", "z.json"], constraint: "z_c_key", detail: "(c) = (1)")
        box.write("bad.csv", "a,b,c\n1,v,1\n2,y,1\n")
        Self.refused(box, ["import", "z", "bad.csv", "--mode", "replace", "--infer"], constraint: "z_c_key", detail: "(c) = (1)")
        box.write("fine.csv", "a,b,c\n1,v,1\n2,y,2\n")
        box.ok("import", "z", "fine.csv", "--mode", "replace", "--schema", "z.json")
        let schema = box.ok("schema", "z")
        #expect(schema.contains("constraints:\n  z_b_check: CHECK (b <> '')\n  z_c_key: UNIQUE (c)\n") && schema.contains("b: 'x'"), "\(schema)")
        // A column retyped by the file takes its constraints and default with
        // it, and the import says so.
        box.write("retyped.json", #"{"columns": [{"name": "a", "type": "INTEGER"}, {"name": "b", "type": "INTEGER"}, {"name": "c", "type": "INTEGER"}], "key": ["a"]}"#)
        box.write("numbers.csv", "a,b,c\n1,5,1\n")
        let retyped = box.ok("import", "z", "numbers.csv", "--mode", "replace", "--schema", "retyped.json")
        #expect(retyped.contains("schema - constraint z_b_check CHECK (b <> '')") && retyped.contains("schema ~ column b default: 'x' -> NULL"),
                "\(retyped)")
        #expect(box.ok("schema", "z").contains("z_c_key: UNIQUE (c)"))
    }

    @Test func diffShowsConstraintAndDefaultChangesAndItsSQLRecreatesThem() {
        let box = Sandbox()
        box.ok("init")
        box.ok("sql", "CREATE TABLE z (a INTEGER PRIMARY KEY, b TEXT)")
        box.ok("commit", "-m", "plain z")
        box.ok("sql", "DROP TABLE z")
        box.ok("sql", Self.create)
        let text = box.ok("diff")
        #expect(text.contains("schema ~ column b default: NULL -> 'x'") && text.contains("schema + constraint z_b_check CHECK (b <> '')")
                && text.contains("schema + constraint z_c_key UNIQUE (c)"), "\(text)")
        let changes = ((box.json(box.rocky("diff", "--json"))["tables"] as? [[String: Any]])?.first?["schema_changes"] as? [[String: Any]]) ?? []
        #expect(changes.compactMap { $0["change"] as? String }.sorted() == ["column_added", "constraint_added", "constraint_added", "default_changed"],
                "\(changes)")
        // An added table's SQL carries its defaults and constraints, so applied
        // elsewhere it gives the same table id.
        box.ok("commit", "-m", "z with constraints")
        box.ok("sql", "CREATE TABLE y (a INTEGER PRIMARY KEY, b TEXT DEFAULT 'x' CHECK (b <> ''), c INTEGER, CONSTRAINT one_c UNIQUE (c, b))")
        box.ok("sql", "INSERT INTO y (a, c) VALUES (1, 1)")
        let sql = box.ok("diff", "--format", "sql")
        #expect(sql.contains("CREATE TABLE y (") && sql.contains("DEFAULT 'x'") && sql.contains("CONSTRAINT one_c UNIQUE (c, b)"), "\(sql)")
        let other = Sandbox()
        other.ok("init")
        other.write("patch.sql", sql)
        other.ok("sql", "-f", "patch.sql")
        let id = { (b: Sandbox) in b.json(b.rocky("schema", "y", "--json"))["id"] as? String }
        #expect(id(other) != nil && id(other) == id(box), "\(sql)")
    }

    @Test func aSchemaWithoutConstraintsIsStoredAsBefore() {
        // The stored schema gains `default` and `constraints` only when there
        // are some, so tables without them keep their ids (the golden tests
        // pin those).
        let box = Sandbox()
        box.ok("init")
        box.ok("sql", "CREATE TABLE plain (a INTEGER PRIMARY KEY, b TEXT)")
        let plain = box.json(box.rocky("schema", "plain", "--json"))
        #expect(plain["constraints"] == nil && (plain["columns"] as? [[String: Any]])?.allSatisfy { $0["default"] == nil } == true, "\(plain)")
        box.ok("sql", "CREATE TABLE other (a INTEGER PRIMARY KEY, b TEXT DEFAULT 'x')")
        let other = box.json(box.rocky("schema", "other", "--json"))
        #expect((other["columns"] as? [[String: Any]])?.last?["default"] as? String == "'x'", "\(other)")
    }

    @Test func aViolationInProdShowsTheValuesMasked() {
        let box = Sandbox()
        box.ok("init")
        box.write("rocky.toml", """
            [environments.dev.masking]
            pii = "none"

            [environments.prod.masking]
            pii = "hash"

            [columns."accounts.email"]
            classification = "pii"

            """)
        box.ok("sql", "CREATE TABLE accounts (id INTEGER PRIMARY KEY, email TEXT UNIQUE)")
        box.ok("sql", "INSERT INTO accounts VALUES (1, 'emma.johnson@example.com')")
        box.ok("commit", "-m", "accounts")
        let dev = box.rocky("sql", "INSERT INTO accounts VALUES (3, 'emma.johnson@example.com')")
        #expect(dev.code == 1 && dev.err.contains("(email) = ('emma.johnson@example.com')"), "\(dev)")
        // prod: the same violation, the value hashed (PIIScan checks the output).
        let prod = box.rocky(["--env", "prod", "sql", "INSERT INTO accounts VALUES (3, 'emma.johnson@example.com')"])
        #expect(prod.code == 1 && prod.err.contains("constraint accounts_email_key") && !prod.err.contains("emma"), "\(prod)")
    }
}
