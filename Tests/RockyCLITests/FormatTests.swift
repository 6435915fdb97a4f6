import Foundation
import Testing

/// `--format table|csv|json|jsonl` on every command that prints data
/// (Docs/json.md, "Formats"): csv and jsonl hold the same records as the
/// `--json` document, `--format json` is that document, an unknown format
/// is a usage error.
@Suite struct FormatTests {
    /// A repository with a merge in progress (one conflict), a stash entry,
    /// two branches, and values that need CSV quoting.
    static func scenario() -> Sandbox {
        let box = Sandbox()
        box.ok("init")
        box.write("t.csv", "id,name,qty\n1,\"a, \"\"quoted\"\"\",10\n2,,20\n3, spaced ,\n")
        box.ok("import", "t", "t.csv", "--key", "id", "-m", "base")
        box.ok("branch", "feature")
        box.ok("sql", "UPDATE t SET qty = 11 WHERE id = 1", "-m", "main's qty")
        box.ok("checkout", "feature")
        box.ok("sql", "UPDATE t SET qty = 12 WHERE id = 1", "-m", "feature's qty")
        box.ok("checkout", "main")
        box.ok("sql", "INSERT INTO t VALUES (4, 'd', 40)")
        return box
    }

    /// `--format csv`, `jsonl` and `json` of `arguments` against the `--json`
    /// document, whose `records` are what csv and jsonl print.
    func expectFormats(_ box: Sandbox, _ arguments: [String], records: ([String: Any]) -> [[String: Any]],
                       sourceLocation: SourceLocation = #_sourceLocation) {
        let label = "rocky " + arguments.joined(separator: " ")
        let document = box.json(box.rocky(arguments + ["--json"]), sourceLocation: sourceLocation)
        let expected = records(document)
        #expect(!expected.isEmpty, "\(label): the scenario should give records", sourceLocation: sourceLocation)

        // json: the same document as --json.
        let json = box.rocky(arguments + ["--format", "json"])
        #expect(json.code == 0 && Self.same(box.json(json), document),
                "\(label) --format json differs from --json\n\(json)", sourceLocation: sourceLocation)

        // csv: a header naming every key, then one line per record with its values.
        let csv = box.rocky(arguments + ["--format", "csv"])
        #expect(csv.code == 0, "\(csv)", sourceLocation: sourceLocation)
        let table = CSV.parse(csv.out)
        let header = table.first ?? []
        #expect(Set(header) == Set(expected.flatMap(\.keys)) && Set(header).count == header.count,
                "\(label) --format csv header \(header)", sourceLocation: sourceLocation)
        #expect(table.count == expected.count + 1, "\(label) --format csv: one line per record\n\(csv.out)", sourceLocation: sourceLocation)
        for (line, record) in zip(table.dropFirst(), expected) {
            #expect(line.count == header.count, "\(label): \(line)", sourceLocation: sourceLocation)
            for (column, cell) in zip(header, line) {
                #expect(Self.cell(cell, matches: record[column]), "\(label) --format csv: \(column) is '\(cell)', the document has \(record[column] ?? "nothing")",
                        sourceLocation: sourceLocation)
            }
        }

        // jsonl: one compact object per line, the records in order.
        let jsonl = box.rocky(arguments + ["--format", "jsonl"])
        let lines = jsonl.out.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
        #expect(jsonl.code == 0 && jsonl.out.hasSuffix("\n") && lines.count == expected.count, "\(label) --format jsonl\n\(jsonl)",
                sourceLocation: sourceLocation)
        for (line, record) in zip(lines, expected) {
            let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            #expect(object.map { Self.same($0, record) } ?? false, "\(label) --format jsonl line: \(line)",
                    sourceLocation: sourceLocation)
        }

        // With --json, csv is one document holding the csv text.
        let wrapped = box.json(box.rocky(arguments + ["--json", "--format", "csv"]), sourceLocation: sourceLocation)
        #expect(wrapped["format"] as? String == "csv" && wrapped["content"] as? String == csv.out,
                "\(label) --json --format csv: {format, content}", sourceLocation: sourceLocation)

        // An unknown format: exit 2, the command's formats and the nearest one.
        let unknown = box.rocky(arguments + ["--format", "jsn"])
        #expect(unknown.code == 2 && unknown.err.contains("table, csv, json, jsonl") && unknown.err.contains("did you mean 'json'?"),
                "\(label) --format jsn\n\(unknown)", sourceLocation: sourceLocation)
    }

    static func list(_ key: String) -> ([String: Any]) -> [[String: Any]] {
        { $0[key] as? [[String: Any]] ?? [] }
    }

    @Test func everyListingCommandPrintsItsRecordsInEachFormat() {
        let box = Self.scenario()
        expectFormats(box, ["status"]) { ($0["tables"] as? [[String: Any]] ?? []) + ($0["files"] as? [[String: Any]] ?? []) }
        box.ok("stash", "-m", "row 4")
        expectFormats(box, ["stash", "list"], records: Self.list("stash"))
        #expect(box.rocky("merge", "feature", "--keep-conflicts").code == 3)
        expectFormats(box, ["conflicts"], records: Self.list("conflicts"))
        expectFormats(box, ["log"], records: Self.list("commits"))
        expectFormats(box, ["log", "--stat", "-n", "2"], records: Self.list("commits"))
        expectFormats(box, ["audit"], records: Self.list("entries"))
        expectFormats(box, ["tables"], records: Self.list("tables"))
        expectFormats(box, ["schema", "t"], records: Self.list("columns"))
        expectFormats(box, ["branch"], records: Self.list("branches"))
        expectFormats(box, ["reflog"], records: Self.list("reflog"))
        expectFormats(box, ["blame", "t"], records: Self.list("rows"))
        expectFormats(box, ["blame", "t", "--cells"], records: Self.list("cells"))
    }

    @Test func withoutFormatOrWithTableTheTextIsUnchanged() {
        let box = Self.scenario()
        for arguments in [["tables"], ["log", "--oneline"], ["branch"], ["schema", "t"], ["reflog"], ["status"]] {
            let plain = box.rocky(arguments).out
            #expect(box.rocky(arguments + ["--format", "table"]).out == plain && box.rocky(arguments + ["--format", "text"]).out == plain,
                    "rocky \(arguments.joined(separator: " ")) --format table")
            #expect(!plain.hasPrefix("{"))
        }
        let csv = CSV.parse(box.rocky(["tables", "--format", "csv"]).out)
        #expect(csv.first?.first == "name" && csv.count == 2 && csv[1].first == "t")
    }

    @Test func formatBelongsToTheListingForm() {
        let box = Self.scenario()
        let before = box.snapshot()
        for arguments in [["branch", "other", "--format", "csv"], ["stash", "--format", "csv"], ["audit", "--verify", "--format", "csv"],
                          ["conflicts", "resolve", "t", "--ours", "--format", "json"], ["log", "-p", "--format", "csv"]] {
            let run = box.rocky(arguments)
            #expect(run.code == 2 && (run.err.contains("--format is for") || run.err.contains("-p prints text only")),
                    "rocky \(arguments.joined(separator: " "))\n\(run)")
        }
        #expect(box.snapshot() == before, "a refused --format changes nothing")
    }

    @Test func diffJSONLinesAreTheDocumentsRowsWithTheirTable() {
        let box = Self.scenario()
        box.ok("sql", "UPDATE t SET name = 'b' WHERE id = 2; DELETE FROM t WHERE id = 3")
        let document = box.json(box.rocky("diff", "--json"))
        let expected = (document["tables"] as? [[String: Any]] ?? []).flatMap { table in
            (table["rows"] as? [[String: Any]] ?? []).map { $0.merging(["table": table["table"] ?? ""]) { a, _ in a } }
        }
        #expect(expected.count == 3)
        let run = box.rocky("diff", "--format", "jsonl")
        let lines = run.out.split(separator: "\n")
        #expect(run.code == 0 && lines.count == expected.count, "\(run)")
        for (line, record) in zip(lines, expected) {
            let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            #expect(object.map { Self.same($0, record) } ?? false, "\(line)")
            #expect(line.hasPrefix("{\"table\":\"t\","), "the table comes first: \(line)")
        }
        let json = box.rocky("diff", "--format", "json")
        #expect(Self.same(box.json(json), document))
        let unknown = box.rocky("diff", "--format", "jsnl")
        #expect(unknown.code == 2 && unknown.err.contains("text, json, jsonl, sql, csv") && unknown.err.contains("did you mean 'jsonl'?"), "\(unknown)")
        #expect(box.rocky("sql", "SELECT 1", "--format", "cvs").err.contains("did you mean 'csv'?"))
    }

    /// A CSV cell against the document's value: null or absent is empty, a
    /// string is its text, anything else its JSON.
    static func cell(_ cell: String, matches value: Any?) -> Bool {
        switch value {
        case nil, is NSNull: return cell.isEmpty
        case let text as String: return cell == text
        case let value?:
            guard let parsed = try? JSONSerialization.jsonObject(with: Data(cell.utf8), options: .fragmentsAllowed) else { return false }
            return same(parsed, value)
        }
    }

    /// Two parsed JSON values alike (numbers by value: Foundation on Linux
    /// does not find a parsed `false` equal to another parsed `false`).
    static func same(_ a: Any, _ b: Any) -> Bool {
        switch (a, b) {
        case let (a as [String: Any], b as [String: Any]):
            return Set(a.keys) == Set(b.keys) && a.allSatisfy { key, value in same(value, b[key]!) }
        case let (a as [Any], b as [Any]): return a.count == b.count && zip(a, b).allSatisfy(same)
        case let (a as String, b as String): return a == b
        case (is NSNull, is NSNull): return true
        case let (a as NSNumber, b as NSNumber): return a.stringValue == b.stringValue || a.doubleValue == b.doubleValue
        default: return false
        }
    }
}
