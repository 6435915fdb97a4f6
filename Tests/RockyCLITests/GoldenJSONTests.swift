import Foundation
import Testing

/// The `--json` documents of every command, pinned: a fixed scenario runs
/// each command with `--json`, in success and in failure, and compares the
/// documents (volatile values normalised) with Golden/<command>.json. A
/// change to a document is a deliberate diff: `ROCKY_UPDATE_GOLDEN=1 swift
/// test --filter GoldenJSON` rewrites the files (Docs/json.md).
@Suite struct GoldenJSONTests {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden").path

    @Test func everyCommandsDocumentMatchesItsGoldenFile() throws {
        let box = Sandbox()
        var cases: [String: [Any]] = [:]
        func run(_ arguments: String..., in directory: String? = nil, stdin: String? = nil) {
            let command = arguments.first { !$0.hasPrefix("-") } ?? "rocky"
            let run = box.rocky(["--json"] + arguments, in: directory, stdin: stdin)
            let document = (try? JSONSerialization.jsonObject(with: Data(run.out.utf8))) ?? run.out
            cases[command, default: []].append([
                "args": arguments, "exit_code": Int(run.code), "stdout": Normaliser(sandbox: box.path).apply(document),
            ] as [String: Any])
        }
        box.write("t.csv", "id,region,qty\n1,eu,10\n2,us,20\n3,ap,30\n")
        box.write("bad.sql", "SELEC 1")
        run("init", "repo")
        run("init", "repo")
        let r = "repo"
        run("import", "t", "../t.csv", "--key", "id", in: r)
        run("import", "t", "../missing.csv", "--key", "id", in: r)
        run("status", in: r)
        run("commit", "-m", "base", in: r)
        run("commit", "-m", "nothing", in: r)
        run("sql", "CREATE TABLE doubled AS SELECT id, qty * 2 AS twice FROM t", in: r)
        run("sql", "SELECT id, region FROM t ORDER BY id", in: r)
        run("sql", "SELECT id, region FROM t ORDER BY id", "--format", "csv", in: r)
        run("sql", "-f", "-", in: r, stdin: "SELECT count(*) AS n FROM t")
        run("sql", "SELECT nope FROM t", in: r)
        run("commit", "-m", "derive", in: r)
        run("log", in: r)
        run("log", "nosuch", in: r)
        run("show", in: r)
        run("show", "nosuch", in: r)
        run("tables", in: r)
        run("schema", "t", in: r)
        run("schema", "nosuch", in: r)
        run("lineage", "doubled.twice", in: r)
        run("lineage", "doubled.twice", "--format", "dot", in: r)
        run("lineage", "doubled.nosuch", in: r)
        run("check", "-e", "SELECT id FROM t", in: r)
        run("check", "../bad.sql", in: r)
        run("branch", "feature", in: r)
        run("branch", "feature", in: r)
        run("branch", in: r)
        run("checkout", "feature", in: r)
        run("sql", "UPDATE t SET qty = 11 WHERE id = 1", "-m", "feature edit", in: r)
        run("checkout", "-f", "main", in: r)
        run("checkout", "main", in: r)
        run("sql", "UPDATE t SET qty = 12 WHERE id = 1", "-m", "main edit", in: r)
        run("classify", "t.region", "internal", in: r)
        run("classify", "t.region", in: r)
        run("commit", "-m", "classify", in: r)
        run("diff", "feature", "main", in: r)
        run("diff", "feature", "main", "--format", "sql", in: r)
        run("diff", "nosuch", in: r)
        run("merge", "feature", in: r)
        run("merge", "feature", "--strategy", "theirs", in: r)
        run("cost", in: r)
        run("rev-parse", "main", in: r)
        run("rev-parse", "nosuch", in: r)
        run("cat-object", "-t", "main", in: r)
        run("hash-object", "../t.csv", in: r)
        run("update-ref", "refs/heads/copy", "nosuch", in: r)
        run("commit-tree", "nosuch", "-m", "x", in: r)
        run("export", "t", "-o", "../out.csv", in: r)
        run("run", in: r)
        run("replay", "main", in: r)
        run("audit", "-n", "2", in: r)
        run("audit", "--verify", in: r)
        run("fsck", in: r)
        run("gc", "--dry-run", in: r)
        run("clone", "repo", "copy")
        run("remote", in: "copy")
        run("fetch", in: "copy")
        run("push", "-f", in: "copy")
        run("push", in: "copy")
        run("pull", in: "copy")
        // History verbs and conflicts (Docs/commands.md), on a repository of their own.
        let h = "history"
        run("init", h)
        run("import", "t", "../t.csv", "--key", "id", "-m", "base", in: h)
        run("tag", "v1", "-m", "first release", in: h)
        run("tag", "v1", in: h)
        run("sql", "UPDATE t SET qty = 15 WHERE id = 1", "-m", "raise", in: h)
        run("blame", "t", "1", in: h)
        run("blame", "t", "9", in: h)
        run("revert", "HEAD", in: h)
        run("cherry-pick", "nosuch", in: h)
        run("reflog", in: h)
        run("reset", "--hard", "HEAD~1", in: h)
        run("sql", "UPDATE t SET qty = 16 WHERE id = 2", in: h)
        run("stash", in: h)
        run("stash", "list", in: h)
        run("stash", "pop", in: h)
        run("conflicts", in: h)
        run("help", "status")
        run("http-backend")
        run("nosuchcommand")
        // The servers speak JSON-RPC on stdout: --json is a usage error.
        run("lsp", in: r)
        run("mcp", in: r)

        let update = ProcessInfo.processInfo.environment["ROCKY_UPDATE_GOLDEN"] == "1"
        for (command, list) in cases {
            let data = try JSONSerialization.data(withJSONObject: ["command": command, "cases": list],
                                                  options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
            let text = String(decoding: data, as: UTF8.self) + "\n"
            let file = Self.folder + "/\(command).json"
            if update {
                try Data(text.utf8).write(to: URL(fileURLWithPath: file))
                continue
            }
            let golden = (try? String(contentsOfFile: file, encoding: .utf8)) ?? "(missing: run with ROCKY_UPDATE_GOLDEN=1)"
            #expect(text == golden, "the --json documents of '\(command)' differ from Golden/\(command).json; if the change is deliberate, rewrite it with ROCKY_UPDATE_GOLDEN=1\n\(firstDifference(text, golden))")
        }
        let covered = Set(cases.keys)
        let commands = try helpCommandNames(box)
        #expect(commands.subtracting(covered).isEmpty, "commands without a golden document: \(commands.subtracting(covered).sorted())")
    }

    /// The scan every `--json` run goes through finds camelCase keys and
    /// internal names, and leaves the user's column names alone.
    @Test func theContractScanFindsCamelCaseKeysAndInternalNames() {
        let found = JSONContractCheck.problems(in: [
            "traceIndirect": true, "kind": "createTableAs", "row": ["camelColumn": 1], "outcome": "took_theirs",
        ] as [String: Any])
        #expect(found.count == 2, "\(found)")
        #expect(found.contains { $0.contains(".traceIndirect") } && found.contains { $0.contains("createTableAs") })
    }

    /// Every command `rocky --json help` lists.
    private func helpCommandNames(_ box: Sandbox) throws -> Set<String> {
        let overview = box.json(box.rocky("--json", "help"))
        return Set((overview["commands"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String })
    }

    private func firstDifference(_ a: String, _ b: String) -> String {
        let x = a.split(separator: "\n", omittingEmptySubsequences: false), y = b.split(separator: "\n", omittingEmptySubsequences: false)
        for i in 0..<max(x.count, y.count) where (i < x.count ? x[i] : nil) != (i < y.count ? y[i] : nil) {
            return "line \(i + 1):\n  now:    \(i < x.count ? String(x[i]) : "(end)")\n  golden: \(i < y.count ? String(y[i]) : "(end)")"
        }
        return ""
    }
}

/// Replaces what a fixed scenario cannot fix: the sandbox path, object ids
/// (a transformation records its duration, so commit ids vary) numbered in
/// order of appearance, short ids, and durations.
final class Normaliser {
    let sandbox: String
    private var ids: [String: String] = [:]
    static let volatileNumbers: Set<String> = ["duration_us", "seconds"]

    init(sandbox: String) { self.sandbox = sandbox }

    func apply(_ value: Any, key: String? = nil) -> Any {
        switch value {
        case let object as [String: Any]:
            return Dictionary(uniqueKeysWithValues: object.keys.sorted().map { ($0, apply(object[$0]!, key: $0)) })
        case let array as [Any]:
            return array.map { apply($0, key: key) }
        case let text as String:
            return text.replacingOccurrences(of: sandbox, with: "<sandbox>").replacing(/[0-9a-f]{64}/) { name(String($0.output)) }
                .replacing(/\b[0-9a-f]{7,16}\b/) { match in
                    let prefix = String(match.output)
                    if let known = ids.first(where: { $0.key.hasPrefix(prefix) }) { return known.value }
                    // A short id whose full form this document does not hold:
                    // every such word, digits only or letters only included
                    // (one short id in 27 is all digits), so no run depends on
                    // the ids it happened to draw.
                    return "<short id>"
                }
        case is NSNumber where key.map(Self.volatileNumbers.contains) ?? false:
            return 0
        default:
            return value
        }
    }

    private func name(_ id: String) -> String {
        if let known = ids[id] { return known }
        let new = "<id \(ids.count + 1)>"
        ids[id] = new
        return new
    }
}
