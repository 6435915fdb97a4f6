import Foundation
import Testing

/// The raw PII of Fixtures/customers.csv and a scanner for it.
///
/// Every `rocky` run of the suite whose environment is `prod` goes through
/// `Sandbox.rocky`, which hands its stdout, its stderr and every file it
/// created or changed in the sandbox (outside `.rocky`) to `expectNoLeak`:
/// a raw name, e-mail address or SSN there is a test failure.
enum PIIScan {
    /// The customers fixture as rows of fields (header first).
    static let customers: [[String]] = CSV.parse(fixtureText("customers.csv"))

    /// Every raw name, e-mail and SSN of the fixture.
    static let values: [String] = {
        let header = customers[0]
        let columns = ["name", "email", "ssn"].compactMap { header.firstIndex(of: $0) }
        precondition(columns.count == 3, "customers.csv lost a PII column")
        return customers.dropFirst().flatMap { row in columns.map { row[$0] } }.filter { !$0.isEmpty }
    }()

    /// The forms a value takes in Rocky's outputs: as is, in a quoted CSV
    /// field (`""`), in JSON (`\"`), and an SSN without its dashes.
    static func forms(of value: String) -> Set<String> {
        var forms: Set<String> = [value, value.replacingOccurrences(of: "\"", with: "\"\""),
                                  value.replacingOccurrences(of: "\"", with: "\\\"")]
        if value.wholeMatch(of: /\d{3}-\d{2}-\d{4}/) != nil { forms.insert(value.replacingOccurrences(of: "-", with: "")) }
        return Set(forms.map { $0.lowercased() })
    }

    /// The raw values that appear in `text` (case-insensitively, in any form).
    static func leaks(in text: String) -> [String] {
        let lowered = text.lowercased()
        return values.filter { value in forms(of: value).contains { lowered.contains($0) } }
    }

    /// The environment a run of `rocky` uses: the last `--env`, else `ROCKY_ENV`, else dev.
    static func environment(arguments: [String], variables: [String: String]) -> String {
        var env = variables["ROCKY_ENV"].flatMap { $0.isEmpty ? nil : $0 } ?? "dev"
        var i = 0
        while i < arguments.count {
            if arguments[i] == "--env", i + 1 < arguments.count {
                env = arguments[i + 1]
                i += 1
            } else if arguments[i].hasPrefix("--env=") {
                env = String(arguments[i].dropFirst("--env=".count))
            }
            i += 1
        }
        return env
    }

    /// Records an issue for every raw value in the run's output or in a written file.
    static func expectNoLeak(_ run: Run, arguments: [String], files: [String: String]) {
        let command = "rocky " + arguments.joined(separator: " ")
        for (stream, text) in [("stdout", run.out), ("stderr", run.err)] {
            let found = leaks(in: text)
            #expect(found.isEmpty, "raw PII \(found) in the \(stream) of a prod run: \(command)\n\(run)")
        }
        for (file, text) in files.sorted(by: { $0.key < $1.key }) {
            let found = leaks(in: text)
            #expect(found.isEmpty, "raw PII \(found) in \(file), written by a prod run: \(command)")
        }
    }
}

extension Sandbox {
    /// Every file below the sandbox outside a repository's `.rocky` (the
    /// sandbox's own or one in a sub-folder), with its bytes.
    func workingFiles() -> [String: Data] {
        var files: [String: Data] = [:]
        for case let name as String in FileManager.default.enumerator(atPath: path)?.allObjects ?? []
        where !name.split(separator: "/").contains(".rocky") {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path + "/" + name, isDirectory: &isDirectory), !isDirectory.boolValue else { continue }
            files[name] = FileManager.default.contents(atPath: path + "/" + name)
        }
        return files
    }
}

/// RFC 4180 CSV, enough to read the fixtures and Rocky's CSV output.
enum CSV {
    static func parse(_ text: String) -> [[String]] {
        var rows: [[String]] = []
        var row: [String] = []
        var field = ""
        var quoted = false
        var chars = Array(text)[...]
        while let c = chars.popFirst() {
            if quoted {
                if c == "\"" {
                    if chars.first == "\"" { field.append("\""); chars.removeFirst() } else { quoted = false }
                } else {
                    field.append(c)
                }
            } else if c == "\"" {
                quoted = true
            } else if c == "," {
                row.append(field)
                field = ""
            } else if c == "\n" || c == "\r\n" {
                row.append(field)
                rows.append(row)
                row = []
                field = ""
            } else if c != "\r" {
                field.append(c)
            }
        }
        if !field.isEmpty || !row.isEmpty { row.append(field); rows.append(row) }
        return rows
    }
}

/// SHA-256 and HMAC-SHA-256 (FIPS 180-4, RFC 2104), written here so the
/// tests check Rocky's `hash` masking against an independent implementation.
enum TestSHA256 {
    private static let k: [UInt32] = [
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
        0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
        0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
        0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
        0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
        0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
        0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
    ]

    static func digest(_ message: [UInt8]) -> [UInt8] {
        var h: [UInt32] = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]
        var data = message + [0x80]
        while data.count % 64 != 56 { data.append(0) }
        let bits = UInt64(message.count) * 8
        for shift in stride(from: 56, through: 0, by: -8) { data.append(UInt8(truncatingIfNeeded: bits >> UInt64(shift))) }
        func rotr(_ x: UInt32, _ n: UInt32) -> UInt32 { (x >> n) | (x << (32 - n)) }
        for block in stride(from: 0, to: data.count, by: 64) {
            var w = [UInt32](repeating: 0, count: 64)
            for i in 0..<16 {
                w[i] = (0..<4).reduce(UInt32(0)) { $0 << 8 | UInt32(data[block + 4 * i + $1]) }
            }
            for i in 16..<64 {
                let s0 = rotr(w[i - 15], 7) ^ rotr(w[i - 15], 18) ^ (w[i - 15] >> 3)
                let s1 = rotr(w[i - 2], 17) ^ rotr(w[i - 2], 19) ^ (w[i - 2] >> 10)
                w[i] = w[i - 16] &+ s0 &+ w[i - 7] &+ s1
            }
            var (a, b, c, d, e, f, g, hh) = (h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7])
            for i in 0..<64 {
                let t1 = hh &+ (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) &+ ((e & f) ^ (~e & g)) &+ k[i] &+ w[i]
                let t2 = (rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) &+ ((a & b) ^ (a & c) ^ (b & c))
                (hh, g, f, e, d, c, b, a) = (g, f, e, d &+ t1, c, b, a, t1 &+ t2)
            }
            for (i, v) in [a, b, c, d, e, f, g, hh].enumerated() { h[i] = h[i] &+ v }
        }
        return h.flatMap { v in (0..<4).map { UInt8(truncatingIfNeeded: v >> (24 - 8 * UInt32($0))) } }
    }

    static func hmac(key: [UInt8], message: [UInt8]) -> [UInt8] {
        var block = key.count > 64 ? digest(key) : key
        block += [UInt8](repeating: 0, count: 64 - block.count)
        return digest(block.map { $0 ^ 0x5c } + digest(block.map { $0 ^ 0x36 } + message))
    }

    static func hex(_ text: String, key: String? = nil) -> String {
        let bytes = key.map { hmac(key: Array($0.utf8), message: Array(text.utf8)) } ?? digest(Array(text.utf8))
        return bytes.map { String(format: "%02x", $0) }.joined()
    }
}

// MARK: Every output

extension PIIScan {
    /// A repository whose every output can show fixture PII: the customers
    /// (name, e-mail pii; ssn restricted), a `signups` table of them with a
    /// time column, a branch `agent/x` that read signups before late rows and
    /// a correction arrived on main, a branch `b1` whose edits of customers 1
    /// and 2 conflict with main's, and uncommitted edits on main (rows
    /// changed and removed). `environments` is the rocky.toml text.
    static func everyOutputBox(environments: String) -> Sandbox {
        let box = Sandbox()
        let header = customers[0]
        let rows = customers.dropFirst()
        func csv(_ rows: some Sequence<[String]>) -> String {
            func field(_ f: String) -> String {
                f.contains(where: { $0 == "," || $0 == "\"" }) ? "\"" + f.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : f
            }
            return (([header + ["signed_up"]]) + rows.map { $0 + ["2026-05-01T09:00:00Z"] }).map { $0.map(field).joined(separator: ",") }
                .joined(separator: "\n") + "\n"
        }
        box.write("early.csv", csv(rows.prefix(30)))
        box.write("late.csv", csv(rows.dropFirst(30)))
        var corrected = Array(rows.first!)
        corrected[header.firstIndex(of: "segment")!] = "vip"
        box.write("correction.csv", csv([corrected]))
        let t0 = ["ROCKY_COMMIT_TIME": "2026-05-01T12:00:00Z"]
        box.rocky(["init"], env: t0)
        box.rocky(["import", "customers", fixture("customers.csv"), "--key", "customer_id"], env: t0)
        box.rocky(["import", "signups", "early.csv", "--key", "customer_id", "--time-column", "signed_up"], env: t0)
        // The tables everyOutput imports are declared like customers.
        let imported = ["people_dev", "people_prod", "people_json_dev", "people_json_prod"].map { t in
            "[columns.\"\(t).name\"]\nclassification = \"pii\"\n[columns.\"\(t).email\"]\nclassification = \"pii\"\n"
                + "[columns.\"\(t).ssn\"]\nclassification = \"restricted\"\n"
        }
        box.write("rocky.toml", environments + "\n" + imported.joined(separator: "\n"))
        for table in ["customers", "signups"] {
            box.rocky(["classify", "\(table).name", "pii"], env: t0)
            box.rocky(["classify", "\(table).email", "pii"], env: t0)
            box.rocky(["classify", "\(table).ssn", "restricted"], env: t0)
        }
        box.rocky(["commit", "-m", "Load"], env: t0)
        let t1 = ["ROCKY_COMMIT_TIME": "2026-05-02T12:00:00Z"]
        box.rocky(["checkout", "-b", "agent/x"], env: t1)
        box.rocky(["sql", "CREATE TABLE signup_names AS SELECT customer_id, name FROM signups", "-m", "names"], env: t1)
        box.rocky(["checkout", "-b", "b1", "main"], env: t1)
        box.rocky(["sql", "UPDATE customers SET name = 'B ' || name, email = 'b.' || email, ssn = '000-00-0001' WHERE customer_id IN (1, 2)",
                   "-m", "b1 edits"], env: t1)
        let t2 = ["ROCKY_COMMIT_TIME": "2026-05-03T12:00:00Z"]
        box.rocky(["checkout", "main"], env: t2)
        box.rocky(["import", "signups", "late.csv", "--mode", "append"], env: t2)
        box.rocky(["import", "signups", "correction.csv", "--mode", "upsert"], env: t2)
        box.rocky(["sql", "UPDATE customers SET name = 'M ' || name, email = 'm.' || email, ssn = '000-00-0002' WHERE customer_id IN (1, 2)"], env: t2)
        box.rocky(["sql", "UPDATE customers SET segment = 'watch' WHERE email = '\(values[1])'"], env: t2)
        box.rocky(["commit", "-m", "Late signups, a correction, main's edits"], env: t2)
        box.rocky(["sql", "DELETE FROM customers WHERE customer_id > 30"], env: t2)
        box.rocky(["sql", "UPDATE customers SET name = name || ' Jr', ssn = '000-00-0003' WHERE customer_id = 3"], env: t2)
        return box
    }

    /// Every command that prints or writes stored values, run in
    /// `environment`: diff in every format, the conflicts of merge
    /// --dry-run, a replay's gap and correction listing, show, cat-object -p
    /// of a chunk, an import's messages. Each run of a `prod` environment is
    /// scanned by `Sandbox.rocky`; the runs are returned for more checks.
    static func everyOutput(_ box: Sandbox, environment: String) -> [(command: String, run: Run)] {
        let commands: [[String]] = [
            ["diff"], ["diff", "--json"], ["diff", "--format", "sql"], ["diff", "--format", "csv", "--table", "customers"],
            ["diff", "HEAD~1", "HEAD"], ["diff", "main", "b1", "--json"],
            ["merge", "b1", "--dry-run"], ["merge", "b1", "--dry-run", "--json"],
            ["merge", "b1", "--dry-run", "--strategy", "theirs", "--json"],
            ["replay", "agent/x", "--at", "2026-05-02T18:00:00Z"], ["replay", "agent/x", "--at", "2026-05-02T18:00:00Z", "--json"],
            ["show"], ["show", "--json"],
            ["import", "people_\(environment)", fixture("customers.csv"), "--key", "customer_id"],
            ["import", "people_json_\(environment)", fixture("customers.csv"), "--key", "customer_id", "--json"],
        ]
        var runs = commands.map { ("rocky " + $0.joined(separator: " "), box.rocky(["--env", environment] + $0)) }
        // cat-object -p of the chunk holding the customers' rows.
        let commit = box.json(box.rocky(["cat-object", "-p", "--json", "HEAD"]))
        let tree = (commit["content"] as? [String: Any])?["tree"] as? String ?? "?"
        let tables = box.json(box.rocky(["cat-object", "-p", "--json", tree]))
        if let table = ((tables["content"] as? [String: Any])?["tables"] as? [String: Any])?["customers"] as? String,
           let root = box.rocky(["cat-object", "-p", table]).out.firstMatch(of: /"root":"([0-9a-f]{64})"/)?.output.1 {
            runs.append(("rocky cat-object -p <chunk>", box.rocky(["--env", environment, "cat-object", "-p", String(root)])))
        } else {
            Issue.record("no customers chunk found: \(tables)")
        }
        return runs
    }
}
