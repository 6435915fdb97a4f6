import Foundation
import Testing

@Suite struct AuditTests {

    @Test func everyOperationIsRecordedAndFilterable() {
        let box = Sandbox()
        box.loadFixtures()
        box.ok("branch", "agent/x")
        box.rocky(["checkout", "agent/x"], env: ["ROCKY_RUN_ID": "run-7"])
        box.rocky(["import", "prices", fixture("deliveries/prices-2026-05-18.csv"), "--mode", "upsert", "--as", "agent:rebalancer"])
        box.ok("checkout", "--force", "main")
        box.ok("branch", "-d", "agent/x")
        let entries = box.json(box.rocky("audit", "--json"))["entries"] as? [[String: Any]] ?? []
        let operations = entries.map { $0["operation"] as? String ?? "" }
        #expect(operations == ["init", "import", "import", "import", "import", "commit", "create", "checkout", "import", "checkout", "delete"])
        #expect(entries.allSatisfy { ($0["previous"] as? String)?.count == 64 })
        let byAgent = box.json(box.rocky("audit", "--json", "--actor", "agent:rebalancer"))["entries"] as? [[String: Any]]
        #expect(byAgent?.count == 1)
        #expect((byAgent?.first?["rows"] as? Int) == 200)
        let byRun = box.json(box.rocky("audit", "--json", "--run-id", "run-7"))["entries"] as? [[String: Any]]
        #expect(byRun?.map { $0["operation"] as? String } == ["checkout"])
        #expect(box.ok("audit", "--branch", "agent/x").contains("import"))
        #expect(box.ok("audit", "--verify").hasPrefix("ok: 11 entries"))
    }

    /// Each kind of tampering is caught, and the first bad line is named.
    @Test(arguments: ["edit", "delete", "insert", "reorder", "truncate"])
    func tamperingIsDetected(kind: String) throws {
        let box = Sandbox()
        box.loadFixtures()
        box.ok("branch", "b1")
        box.ok("branch", "b2")
        let path = box.path + "/.rocky/audit.log"
        var lines = (box.read(".rocky/audit.log") ?? "").split(separator: "\n").map(String.init)
        #expect(lines.count == 8)
        switch kind {
        case "edit": lines[3] = lines[3].replacingOccurrences(of: "\"tester\"", with: "\"mallory\"")
        case "delete": lines.remove(at: 3)
        case "insert": lines.insert(lines[2], at: 3)
        case "reorder": lines.swapAt(3, 4)
        default: lines.removeLast(2)
        }
        try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        let run = box.rocky("audit", "--verify")
        #expect(run.code == 1, "\(kind): \(run)")
        let expectedLine = kind == "truncate" ? 7 : (kind == "edit" ? 4 : 4)
        #expect(run.out.contains("line \(expectedLine)"), "\(kind): \(run.out)")
        let json = box.json(box.rocky("audit", "--verify", "--json"))
        #expect(json["intact"] as? Bool == false)
    }
}
