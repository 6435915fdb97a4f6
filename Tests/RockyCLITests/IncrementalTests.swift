import Foundation
import Testing

/// Incremental CREATE TABLE AS (Docs/incremental.md), through `rocky run` and `rocky sql`.
@Suite struct IncrementalTests {
    /// A small deterministic generator, so a failure can be replayed.
    struct Generator {
        var state: UInt64
        mutating func next(_ n: Int) -> Int {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Int((state >> 33) % UInt64(n))
        }
    }

    static let models: [String: String] = [
        // Row-wise: projection, filter, CASE, scalar functions; keyless output.
        "wide": """
        SELECT id, upper(grp) AS g, qty * 2 AS double_qty,
               CASE WHEN qty IS NULL THEN 'none' WHEN qty > 50 THEN 'big' ELSE 'small' END AS size,
               coalesce(note, '-') || '/' || length(grp) AS label
        FROM t WHERE id % 7 <> 3
        """,
        // Row-wise with a declared key.
        "keyed": "-- key: id\nSELECT id, grp, amount * 3 AS tripled FROM t WHERE qty IS NOT NULL OR note IS NULL",
        // GROUP BY over the base table: SUM, COUNT, AVG, MIN, MAX, HAVING.
        "by_group": """
        SELECT grp, SUM(qty) AS total, COUNT(*) AS n, COUNT(qty) AS n_qty, AVG(qty) AS mean,
               MIN(note) AS first_note, MAX(amount) AS top, SUM(amount) AS amount
        FROM t GROUP BY grp HAVING COUNT(*) > 1
        """,
        // GROUP BY keyed by its group column (the key the compiler derives):
        // the touched groups' earlier rows are read from the earlier output.
        // One group per row of t (inserts, deletes, NULL sums), and one per
        // row of u (new, deleted and renamed groups).
        "per_id": "SELECT id, SUM(qty) AS q, MAX(note) AS top_note, COUNT(amount) AS n FROM t GROUP BY id",
        "per_label": "SELECT grp, MAX(weight) AS w, COUNT(label) AS labelled FROM u GROUP BY grp HAVING MAX(weight) > 0",
        // GROUP BY keyed by its group column with only derivable aggregates:
        // each touched group's result comes from its earlier row and the
        // aggregates of the changed rows alone (COUNT, exact SUM, MIN/MAX),
        // emptied and new groups included. (A nullable group column gives a
        // keyless result, so the groups are t's, NULL named 'none', via
        // the row-wise t_nn.) Without COUNT(*)
        // (derived_bare), a group that only lost rows, or whose SUM lost
        // values and came to 0, is recomputed from its rows.
        "derived_grp": """
        SELECT grp, COUNT(*) AS n, COUNT(qty) AS n_qty, SUM(qty) AS q, SUM(amount) AS a,
               MIN(qty) AS lo, MAX(qty) AS hi, MIN(amount) AS amin, MAX(amount) AS amax
        FROM t_nn WHERE id % 11 <> 4 GROUP BY grp
        """,
        "t_nn": "SELECT id, coalesce(grp, 'none') AS grp, qty, amount FROM t",
        "derived_id": "SELECT id, COUNT(*) AS n, SUM(qty) AS q, MAX(amount) AS hi, MIN(qty) AS lo FROM t GROUP BY id",
        "derived_bare": "SELECT grp, SUM(qty) AS q, MAX(amount) AS hi FROM t_nn GROUP BY grp",
        // GROUP BY over a row-wise model: a chain, keyless output, two group columns.
        "by_size": "SELECT g, size, COUNT(*) AS n, SUM(double_qty) AS total FROM wide GROUP BY g, size",
        // Window functions by partition: RANK (ordered by a unique pair, so
        // deterministic), a partition total, a finer partition's count.
        "ranked": """
        SELECT id, grp, qty, RANK() OVER (PARTITION BY grp ORDER BY qty, id) AS r,
               SUM(qty) OVER (PARTITION BY grp) AS grp_total, COUNT(*) OVER (PARTITION BY note, grp) AS n
        FROM t WHERE id % 5 <> 1
        """,
        // Joins on the group, inner and left (with a condition on the right side).
        "joined": "SELECT t.id, t.grp, t.qty, u.label, u.weight * t.qty AS w FROM t JOIN u ON u.grp = t.grp WHERE t.id % 3 <> 0",
        "left_joined": "SELECT t.id, t.grp, u.label, u.weight FROM t LEFT JOIN u ON t.grp = u.grp AND u.weight > 1",
        // Falls back: ORDER BY/LIMIT.
        "top": "SELECT id, qty FROM t ORDER BY qty DESC, id LIMIT 5",
    ]

    static func setUp(_ box: Sandbox, rows: Int = 400) {
        box.ok("init")
        var values: [String] = []
        var g = Generator(state: 7)
        for id in 1...rows { values.append(row(id, &g)) }
        box.ok("sql", "CREATE TABLE t (id INTEGER NOT NULL, grp TEXT, qty INTEGER, amount DECIMAL(12,2), note TEXT, PRIMARY KEY (id))")
        box.ok("sql", "INSERT INTO t VALUES " + values.joined(separator: ", "))
        let labels = (["a", "b", "c"] + (0..<30).map { "g\($0)" }).enumerated().map { "('\($1)', 'L\($0)', \($0 % 5))" }
        box.ok("sql", "CREATE TABLE u (grp TEXT NOT NULL, label TEXT, weight INTEGER, PRIMARY KEY (grp))")
        box.ok("sql", "INSERT INTO u VALUES " + labels.joined(separator: ", "))
        for (name, sql) in models { box.write("models/\(name).sql", sql + "\n") }
    }

    static func row(_ id: Int, _ g: inout Generator) -> String {
        // Many groups: past a quarter of the input's rows in the touched
        // groups, a GROUP BY runs in full.
        let groups = ["'a'", "'b'", "'c'", "'d'", "NULL"] + (0..<55).map { "'g\($0)'" }
        let qty = g.next(6) == 0 ? "NULL" : String(g.next(100))
        let note = g.next(3) == 0 ? "NULL" : "'n\(g.next(9))'"
        return "(\(id), \(groups[g.next(groups.count)]), \(qty), \(g.next(100000)).\(g.next(10))\(g.next(10)), \(note))"
    }

    /// The records of a `run --json`, by model.
    static func records(_ box: Sandbox, _ run: Run) -> [String: [String: Any]] {
        #expect(run.code == 0, "\(run)")
        let list = box.json(run)["transformations"] as? [[String: Any]] ?? []
        return Dictionary(uniqueKeysWithValues: list.map { ($0["model"] as? String ?? "", $0) })
    }

    static func mode(_ record: [String: Any]?) -> String? { (record?["execution"] as? [String: Any])?["mode"] as? String }
    static func outputs(_ records: [String: [String: Any]]) -> [String: String] {
        records.mapValues { ($0["output_tables"] as? [String: String])?.values.first ?? "" }
    }

    @Test func randomDeltasGiveTheTableIDsOfAFullRun() {
        let box = Sandbox()
        box.environment["ROCKY_INCREMENTAL"] = "on"
        Self.setUp(box)
        let first = Self.records(box, box.rocky("run", "--json"))
        for name in Self.models.keys {
            #expect(Self.mode(first[name]) == "full", "\(name): \(first[name] ?? [:])")
        }
        #expect((first["wide"]?["execution"] as? [String: Any])?["reason"] as? String == "no earlier execution of this statement")

        var g = Generator(state: 42)
        var nextID = 401
        for round in 0..<5 {
            // Inserts, updates (values, NULLs, moving groups), deletes; in
            // round 2 every row of group 'c' goes (an emptied group) and
            // round 3 creates group 'e'.
            var statements: [String] = []
            var insert: [String] = []
            for _ in 0..<(1 + g.next(4)) {
                insert.append(Self.row(nextID, &g))
                nextID += 1
            }
            if round == 3 { insert.append("(\(nextID), 'e', 5, 1.00, NULL)"); insert.append("(\(nextID + 1), 'e', NULL, 2.00, 'x')"); nextID += 2 }
            statements.append("INSERT INTO t VALUES " + insert.joined(separator: ", "))
            statements.append("UPDATE t SET qty = NULL WHERE id = \(1 + g.next(60))")
            statements.append("UPDATE t SET grp = 'b', note = 'moved' WHERE id = \(1 + g.next(60))")
            statements.append("UPDATE t SET grp = NULL, amount = amount + 1 WHERE id = \(1 + g.next(60))")
            statements.append("DELETE FROM t WHERE id = \(1 + g.next(60)) OR id = \(1 + g.next(60))")
            if round == 2 { statements.append("DELETE FROM t WHERE grp = 'c'") }
            // The joined table: a value, a new key, a NULL, a deleted key, a key change.
            statements.append("UPDATE u SET weight = weight + 1 WHERE grp = 'g\(g.next(30))'")
            switch round {
            case 0: statements.append("INSERT INTO u VALUES ('g40', 'new', 3)")
            case 1: statements.append("UPDATE u SET label = NULL WHERE grp = 'a'")
            case 2: statements.append("DELETE FROM u WHERE grp = 'g\(g.next(30))'")
            case 3: statements.append("UPDATE u SET grp = 'g50' WHERE grp = 'b'")
            default: statements.append("UPDATE u SET weight = NULL WHERE grp = 'g\(g.next(30))'")
            }
            box.ok("sql", statements.joined(separator: "; "))

            let incremental = Self.records(box, box.rocky("run", "--verify-incremental", "--json"))
            for name in ["wide", "keyed", "by_group", "per_id", "per_label", "by_size", "ranked", "joined", "left_joined",
                         "t_nn", "derived_grp", "derived_id", "derived_bare"] {
                let execution = incremental[name]?["execution"] as? [String: Any]
                #expect(execution?["mode"] as? String == "incremental", "round \(round), \(name): \(execution ?? [:])")
                #expect(execution?["verified"] as? Bool == true)
                #expect((execution?["input_delta_rows"] as? Int ?? 0) > 0)
            }
            // The derivable GROUP BYs derived their touched groups; the
            // others (AVG, a text MAX, HAVING) recompute them.
            for name in ["derived_grp", "derived_id", "derived_bare"] {
                #expect((incremental[name]?["execution"] as? [String: Any])?["groups_derived"] as? Int ?? 0 > 0, "round \(round), \(name)")
            }
            for name in ["by_group", "per_id", "per_label"] {
                #expect((incremental[name]?["execution"] as? [String: Any])?["groups_derived"] as? Int == 0, "round \(round), \(name)")
            }
            #expect(Self.mode(incremental["top"]) == "full")
            #expect((incremental["top"]?["execution"] as? [String: Any])?["reason"] as? String == "ORDER BY/LIMIT runs in full")
            // The row-wise model read only the changed rows, not the table.
            let wide = incremental["wide"]?["execution"] as? [String: Any]
            let recomputed = wide?["rows_recomputed"] as? Int ?? .max
            #expect(incremental["wide"]?["rows_read"] as? Int == recomputed && recomputed <= 2 * (wide?["input_delta_rows"] as? Int ?? 0),
                    "\(incremental["wide"] ?? [:])")

            // Independently of --verify-incremental: a full run over the same
            // inputs gives the same table ids.
            let full = Self.records(box, box.rocky(["run", "--json"], env: ["ROCKY_INCREMENTAL": "off"]))
            #expect(Self.mode(full["wide"]) == "full")
            #expect((full["wide"]?["execution"] as? [String: Any])?["reason"] as? String == "incremental execution is off")
            #expect(Self.outputs(full) == Self.outputs(incremental), "round \(round)")
            let groups = box.ok("sql", "SELECT grp, n FROM by_group ORDER BY grp", "--format", "csv")
            if round == 2 { #expect(!groups.contains("\nc,"), "the emptied group is gone: \(groups)") }
            if round == 3 { #expect(groups.contains("\ne,2\n"), "the new group is there: \(groups)") }
            let derived = box.ok("sql", "SELECT grp, q FROM derived_bare ORDER BY grp", "--format", "csv")
            if round == 2 { #expect(!derived.contains("\nc,"), "the emptied group is gone: \(derived)") }
            if round == 3 { #expect(derived.contains("\ne,5\n"), "the new group is there: \(derived)") }
        }

        // Nothing changed: the output is reused.
        let again = Self.records(box, box.rocky("run", "--json"))
        #expect(Self.mode(again["by_group"]) == "reused")
        #expect((again["by_group"]?["execution"] as? [String: Any])?["input_delta_rows"] as? Int == 0)
    }

    /// On by default; off when rocky.toml's [incremental] says
    /// `enabled = false` or ROCKY_INCREMENTAL=off: a statement whose input
    /// moved by one row then runs in full, and its record says why.
    @Test func incrementalExecutionIsOnUnlessTurnedOff() {
        let box = Sandbox()
        Self.setUp(box)
        let ctas = "CREATE OR REPLACE TABLE s AS SELECT grp, MAX(qty) AS top, COUNT(*) AS n FROM t GROUP BY grp"
        box.ok("sql", ctas)
        box.ok("sql", "UPDATE t SET qty = 1000 WHERE id = 3")
        let on = box.json(box.rocky("sql", ctas, "--json"))
        let onExecution = (on["transformations"] as? [[String: Any]])?.first?["execution"] as? [String: Any]
        #expect(onExecution?["mode"] as? String == "incremental", "\(on)")
        box.write("rocky.toml", (box.read("rocky.toml") ?? "") + "\n[incremental]\nenabled = false\n")
        box.ok("sql", "UPDATE t SET qty = 999 WHERE id = 3")
        let off = box.json(box.rocky("sql", ctas, "--json"))
        let execution = (off["transformations"] as? [[String: Any]])?.first?["execution"] as? [String: Any]
        #expect(execution?["mode"] as? String == "full")
        #expect(execution?["reason"] as? String == "incremental execution is off")
        // The environment overrides rocky.toml.
        box.ok("sql", "UPDATE t SET qty = 998 WHERE id = 3")
        let forced = box.json(box.rocky(["sql", ctas, "--json"], env: ["ROCKY_INCREMENTAL": "on"]))
        #expect(((forced["transformations"] as? [[String: Any]])?.first?["execution"] as? [String: Any])?["mode"] as? String == "incremental")
        // A value that is not a boolean is named, and nothing runs.
        let toml = box.read("rocky.toml") ?? ""
        box.write("rocky.toml", toml.replacingOccurrences(of: "enabled = false", with: "enabled = \"yes\""))
        let status = box.ok("status")
        let bad = box.rocky("--json", "sql", ctas)
        #expect(bad.code != 0)
        #expect((box.json(bad)["error"] as? [String: Any])?["code"] as? String == "malformed_config", "\(bad)")
        #expect(bad.err.contains("incremental.enabled must be true or false"), "\(bad)")
        #expect(box.ok("status") == status)
    }

    /// A row-wise step over a change spread over most of its input's
    /// chunks would cost more than a full run: it runs in full, and its
    /// record says how many chunks changed; a change in a few chunks runs
    /// incrementally.
    @Test func rowWiseStepRunsInFullWhenMostChunksChanged() {
        let box = Sandbox()
        box.environment["ROCKY_INCREMENTAL"] = "on"
        Self.setUp(box)
        // 4,000 rows: about 20 chunks.
        var g = Generator(state: 9)
        for batch in 1..<10 {
            box.ok("sql", "INSERT INTO t VALUES " + (1...400).map { Self.row(400 * batch + $0, &g) }.joined(separator: ", "))
        }
        let ctas = "CREATE OR REPLACE TABLE r AS SELECT id, grp, qty * 2 AS q FROM t"
        box.ok("sql", ctas)
        box.ok("sql", "UPDATE t SET qty = 7 WHERE id % 40 = 0")
        let spread = box.json(box.rocky("sql", ctas, "--verify-incremental", "--json"))
        let execution = (spread["transformations"] as? [[String: Any]])?.first?["execution"] as? [String: Any]
        #expect(execution?["mode"] as? String == "full", "\(spread)")
        let reason = execution?["reason"] as? String ?? ""
        #expect(reason.contains("chunks changed (more than a quarter): an incremental run would cost more than running in full"), "\(reason)")
        box.ok("sql", "UPDATE t SET qty = 8 WHERE id = 5 OR id = 3999")
        let few = box.json(box.rocky("sql", ctas, "--verify-incremental", "--json"))
        let fewExecution = (few["transformations"] as? [[String: Any]])?.first?["execution"] as? [String: Any]
        #expect(fewExecution?["mode"] as? String == "incremental", "\(few)")
        #expect(fewExecution?["verified"] as? Bool == true)
    }

    @Test func sqlCreateTableAsRunsIncrementally() {
        let box = Sandbox()
        box.environment["ROCKY_INCREMENTAL"] = "on"
        Self.setUp(box)
        let ctas = "CREATE OR REPLACE TABLE s AS SELECT grp, MAX(qty) AS top, COUNT(*) AS n FROM t GROUP BY grp"
        let first = box.json(box.rocky("sql", ctas, "--json"))
        let firstRecord = (first["transformations"] as? [[String: Any]])?.first
        #expect(Self.mode(firstRecord) == "full")
        box.ok("sql", "UPDATE t SET qty = 1000 WHERE id = 3; DELETE FROM t WHERE id = 4")
        let second = box.json(box.rocky("sql", ctas, "--verify-incremental", "--json"))
        let record = (second["transformations"] as? [[String: Any]])?.first
        let execution = record?["execution"] as? [String: Any]
        #expect(execution?["mode"] as? String == "incremental", "\(record ?? [:])")
        #expect(execution?["shape"] as? String == "groups")
        #expect(execution?["input_delta_rows"] as? Int == 2)
        #expect(box.ok("sql", "SELECT MAX(top) AS m FROM s", "--format", "csv") == "m\n1000\n")
        // Most rows changed: a full run is cheaper, and the record says so.
        box.ok("sql", "UPDATE t SET qty = 1 WHERE id > 10")
        let most = box.json(box.rocky("sql", ctas, "--json"))
        let mostExecution = (most["transformations"] as? [[String: Any]])?.first?["execution"] as? [String: Any]
        #expect(mostExecution?["mode"] as? String == "full")
        #expect(mostExecution?["reason"] as? String == "more than half of the input's rows changed")
        // A shape it cannot do runs in full and says why.
        let running = "CREATE OR REPLACE TABLE w AS SELECT id, SUM(qty) OVER (ORDER BY id) AS s FROM t"
        box.ok("sql", running)
        box.ok("sql", "DELETE FROM t WHERE id = 5")
        let again = box.json(box.rocky("sql", running, "--json"))
        let windowExecution = ((again["transformations"] as? [[String: Any]])?.first?["execution"] as? [String: Any])
        #expect(windowExecution?["mode"] as? String == "full")
        #expect(windowExecution?["reason"] as? String == "window functions without a common PARTITION BY column run in full")
        // By partition, it runs incrementally.
        let partitioned = "CREATE OR REPLACE TABLE p AS SELECT id, SUM(qty) OVER (PARTITION BY grp) AS s FROM t"
        box.ok("sql", partitioned)
        box.ok("sql", "DELETE FROM t WHERE id = 6")
        let byPartition = box.json(box.rocky("sql", partitioned, "--verify-incremental", "--json"))
        let partitionExecution = ((byPartition["transformations"] as? [[String: Any]])?.first?["execution"] as? [String: Any])
        #expect(partitionExecution?["mode"] as? String == "incremental", "\(byPartition)")
        #expect(partitionExecution?["shape"] as? String == "partitions")
    }

    /// A wrong incremental result (here from a tampered cache entry naming an
    /// older output) is caught by --verify-incremental: exit 1, a stable
    /// code, and nothing written.
    @Test func verificationFailsLoudlyOnADifference() throws {
        let box = Sandbox()
        box.environment["ROCKY_INCREMENTAL"] = "on"
        Self.setUp(box)
        box.write("models/by_group.sql", Self.models["by_group"]! + "\n")
        for name in Self.models.keys where name != "by_group" { try FileManager.default.removeItem(atPath: box.path + "/models/\(name).sql") }
        let first = Self.outputs(Self.records(box, box.rocky("run", "--json")))
        box.ok("sql", "INSERT INTO t VALUES (1000, 'zz', 1, 1.00, NULL), (1001, 'zz', 2, 2.00, NULL)")
        box.ok("run")
        let folder = box.path + "/.rocky/cache/incremental"
        let entries = try FileManager.default.contentsOfDirectory(atPath: folder)
        #expect(entries.count == 1)
        let file = folder + "/" + entries[0]
        var entry = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: file))) as? [String: Any] ?? [:]
        entry["output"] = first["by_group"]
        try JSONSerialization.data(withJSONObject: entry).write(to: URL(fileURLWithPath: file))
        box.ok("sql", "INSERT INTO t VALUES (1002, 'yy', 1, 1.00, NULL), (1003, 'yy', 2, 2.00, NULL)")
        let status = box.ok("status")
        let run = box.rocky("run", "--verify-incremental", "--json")
        #expect(run.code == 1, "\(run)")
        let error = box.json(run)["error"] as? [String: Any]
        #expect(error?["code"] as? String == "incremental_mismatch")
        #expect((error?["message"] as? String ?? "").contains("model by_group"))
        #expect(box.ok("status") == status)
        // CI sets it for every run.
        let env = box.rocky(["run"], env: ["ROCKY_INCREMENTAL": "verify"])
        #expect(env.code == 1 && env.err.contains("incremental verification failed"), "\(env)")
        #expect(box.rocky(["run"], env: ["ROCKY_INCREMENTAL": "sometimes"]).code == 2)
        // ... or rocky.toml does.
        box.write("rocky.toml", (box.read("rocky.toml") ?? "") + "\n[incremental]\nverify = true\n")
        let configured = box.ok("status")
        let toml = box.rocky(["run"], env: ["ROCKY_INCREMENTAL": ""])
        #expect(toml.code == 1 && toml.err.contains("incremental verification failed"), "\(toml)")
        #expect(box.ok("status") == configured)
    }

    /// Replay runs each step through the same path: a step whose input moved
    /// by a few rows since its last execution (here, the branch's own run
    /// over the later prices) runs incrementally, and verification proves the
    /// replayed tables equal to a full replay's.
    @Test func replayRunsIncrementally() {
        let box = ReplayTests().timeline(steps: [
            "CREATE TABLE closes AS SELECT symbol, ts, close FROM prices",
            "CREATE TABLE moves AS SELECT symbol, ts, close * 2 AS twice FROM closes WHERE close > 100",
        ])
        let run = box.rocky(["replay", "agent/x", "--at", "2026-05-28T23:00:00Z", "--name", "r1", "--json"], env: ["ROCKY_INCREMENTAL": "verify"])
        #expect(run.code == 0, "\(run)")
        let record = (box.json(box.rocky("show", "--json", "r1"))["transformations"] as? [[String: Any]])?.first
        let execution = record?["execution"] as? [String: Any]
        #expect(execution?["mode"] as? String == "incremental", "\(record ?? [:])")
        #expect(execution?["verified"] as? Bool == true)
        #expect((execution?["input_delta_rows"] as? Int ?? 0) > 0)
    }

    /// After a merge brings a few changed rows in, the models run
    /// incrementally on the merged inputs.
    @Test func modelsRunIncrementallyAfterAMerge() {
        let box = Sandbox()
        Self.setUp(box)
        box.ok("commit", "-m", "t")
        let first = Self.records(box, box.rocky("run", "-m", "models", "--json"))
        #expect(Self.mode(first["wide"]) == "full")
        box.ok("checkout", "-b", "side")
        box.ok("sql", "UPDATE t SET qty = 1007 WHERE id = 11; DELETE FROM t WHERE id = 12", "-m", "two rows")
        box.ok("checkout", "main")
        box.ok("merge", "side")
        let after = Self.records(box, box.rocky("run", "--verify-incremental", "--json"))
        for name in ["wide", "keyed", "by_group", "by_size"] {
            let execution = after[name]?["execution"] as? [String: Any]
            #expect(execution?["mode"] as? String == "incremental", "\(name): \(execution ?? [:])")
            if name != "by_size" { #expect(execution?["input_delta_rows"] as? Int == 2, "\(name): \(execution ?? [:])") }
        }
    }
}
