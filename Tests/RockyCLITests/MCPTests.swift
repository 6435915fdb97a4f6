import Foundation
import Testing

/// `rocky mcp` driven by the official MCP Python SDK (`mcp` from PyPI, in
/// requirements-test.txt) over stdio, as an agent host would drive it; and
/// the raw protocol layer fed malformed input.
@Suite struct MCPTests {
    static let python = ProcessInfo.processInfo.environment["ROCKY_PYTHON"] ?? "python3"

    /// Masking in prod, an access policy for the agent, customers classified.
    static func governedBox() -> Sandbox {
        let box = Sandbox()
        box.ok("init")
        box.ok("import", "customers", fixture("customers.csv"), "--key", "customer_id")
        box.write("rocky.toml", """
            [environments.dev.masking]
            pii = "none"
            restricted = "none"

            [environments.prod.masking]
            pii = "hash"
            restricted = "partial"

            [access]
            protected = ["main"]
            [access.roles.analyst]
            allow = ["read", "create", "write", "use"]
            branches = ["agent/*"]
            environments = ["dev", "prod"]
            [access.roles.reader]
            allow = ["read", "use"]
            [access.roles.admin]
            allow = ["*"]
            [access.principals]
            alice = ["admin"]
            agent = ["analyst", "reader"]

            """)
        box.ok("classify", "customers.name", "pii")
        box.ok("classify", "customers.email", "pii")
        box.ok("classify", "customers.ssn", "restricted")
        box.ok("commit", "-m", "customers, masking and access", "--as", "alice")
        return box
    }

    /// The client: every step's result (or exception) into a JSON file.
    static let client = #"""
        import asyncio, json, sys, traceback
        from mcp import ClientSession, StdioServerParameters
        from mcp.client.stdio import stdio_client

        rocky, repo, out, actor, env = sys.argv[1:6]
        results = {}

        def field(o, snake, camel):
            # mcp 2 names fields in snake_case, mcp 1 in camelCase
            return getattr(o, snake) if hasattr(o, snake) else getattr(o, camel)

        def plain(result):
            return {"is_error": bool(field(result, "is_error", "isError")),
                    "structured": field(result, "structured_content", "structuredContent"),
                    "text": [c.text for c in result.content if getattr(c, "type", "") == "text"]}

        async def main():
            server = StdioServerParameters(command=rocky, args=["--as", actor, "--env", env, "mcp"], cwd=repo,
                                           env={"ROCKY_COMMIT_TIME": "2026-05-20T16:00:00Z", "NO_COLOR": "1"})
            async with stdio_client(server) as (read, write):
                async with ClientSession(read, write) as session:
                    init = await session.initialize()
                    results["protocol"] = field(init, "protocol_version", "protocolVersion")
                    results["server"] = field(init, "server_info", "serverInfo").name
                    tools = await session.list_tools()
                    results["tools"] = {t.name: field(t, "input_schema", "inputSchema") for t in tools.tools}
                    steps = json.loads(sys.stdin.read())
                    for name, tool, arguments in steps:
                        try:
                            results[name] = plain(await session.call_tool(tool, arguments))
                        except Exception as e:
                            results[name] = {"exception": type(e).__name__ + ": " + str(e)}
                    try:
                        listed = await session.list_resources()
                        results["resources"] = [str(r.uri) for r in listed.resources]
                        read = await session.read_resource("rocky://main/customers")
                        results["resource"] = json.loads(read.contents[0].text)
                    except Exception as e:
                        results["resources_error"] = type(e).__name__ + ": " + str(e) + traceback.format_exc()
                    await session.send_ping()
                    results["ping"] = "ok"

        asyncio.run(main())
        with open(out, "w") as f:
            json.dump(results, f)
        """#

    /// Runs the client against `rocky mcp` in the sandbox; nil (with the
    /// failure recorded) when the SDK is missing or the client fails.
    func drive(_ box: Sandbox, actor: String, env: String, steps: [(String, String, [String: Any])],
               sourceLocation: SourceLocation = #_sourceLocation) throws -> [String: Any]? {
        let probe = try runProgram(Self.python, ["-c", "import mcp"], in: box.path)
        guard probe.code == 0 else {
            Issue.record("the MCP Python SDK is missing: run `make venv` (or build/venv/bin/pip install -r requirements-test.txt)\n\(probe)",
                         sourceLocation: sourceLocation)
            return nil
        }
        box.write("client.py", Self.client)
        let input = try JSONSerialization.data(withJSONObject: steps.map { [$0.0, $0.1, $0.2] as [Any] })
        let run = try runProgram(Self.python, ["client.py", rockyBinary, box.path, box.path + "/result.json", actor, env],
                                 in: box.path, stdin: String(decoding: input, as: UTF8.self))
        guard run.code == 0, let text = box.read("result.json"),
              let result = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else {
            Issue.record("the MCP client failed: \(run)", sourceLocation: sourceLocation)
            return nil
        }
        return result
    }

    @Test func anAgentBranchesWritesAndDiffsThroughTheSDKUnderTheAccessPolicyMaskingAndAudit() throws {
        let box = Self.governedBox()
        let steps: [(String, String, [String: Any])] = [
            ("status", "status", [:]),
            ("rows", "show_rows", ["table": "customers", "max_rows": 3]),
            ("count", "sql", ["statements": "SELECT count(*) AS n FROM customers"]),
            ("write_refused", "sql", ["statements": "DELETE FROM customers WHERE customer_id = 1"]),
            ("branch", "create_branch", ["name": "agent/cleanup"]),
            ("branch_refused", "create_branch", ["name": "risk/x"]),
            ("checkout", "checkout", ["branch": "agent/cleanup"]),
            ("write", "sql", ["statements": "DELETE FROM customers WHERE customer_id = 1", "allow_writes": true,
                              "message": "drop customer 1"]),
            ("diff", "diff", ["from": "main", "to": "agent/cleanup"]),
            ("branches", "list_branches", [:]),
            ("merge_refused", "merge", ["branch": "agent/cleanup", "into": "main"]),
            ("check", "check", ["sql": "SELECT nope FROM customers"]),
            ("lineage", "lineage", ["sql": "SELECT email FROM customers"]),
            ("bad_argument", "diff", ["table": "customers"]),
            ("option_injection", "checkout", ["branch": "--force"]),
            ("no_tool", "no_such_tool", [:]),
            ("audit", "audit", ["max_count": 5]),
        ]
        guard let result = try drive(box, actor: "agent", env: "prod", steps: steps) else { return }
        func step(_ name: String) -> [String: Any] { result[name] as? [String: Any] ?? [:] }
        func document(_ name: String) -> [String: Any] { step(name)["structured"] as? [String: Any] ?? [:] }
        func errorCode(_ name: String) -> String? { (document(name)["error"] as? [String: Any])?["code"] as? String }

        #expect(["2025-06-18", "2025-03-26"].contains(result["protocol"] as? String ?? ""), "\(result)")
        let tools = result["tools"] as? [String: [String: Any]] ?? [:]
        for name in ["status", "log", "diff", "show_rows", "sql", "run_models", "create_branch", "checkout", "merge", "lineage", "replay",
                     "audit", "check", "list_branches"] {
            #expect(tools[name]?["type"] as? String == "object", "tool \(name) has an object input schema: \(tools.keys.sorted())")
        }
        #expect((tools["sql"]?["required"] as? [String]) == ["statements"])

        // Masked in prod, truncated as stated.
        let rows = (document("rows")["results"] as? [[String: Any]])?.first
        let shown = rows?["rows"] as? [[String: Any]] ?? []
        #expect(shown.count == 3 && rows?["truncated"] as? Bool == true, "\(step("rows"))")
        #expect((shown.first?["email"] as? String)?.count == 64 && shown.first?["ssn"] as? String == "9****1", "hashed and partial in prod: \(shown)")
        let serialized = String(decoding: try JSONSerialization.data(withJSONObject: result), as: UTF8.self)
        #expect(PIIScan.leaks(in: serialized).isEmpty, "raw PII reached the agent in prod: \(PIIScan.leaks(in: serialized))")
        let count = ((document("count")["results"] as? [[String: Any]])?.first?["rows"] as? [[String: Any]])?.first?["n"] as? Int
        #expect(count == 40, "\(step("count"))")

        // A write without allow_writes is refused and changes nothing.
        #expect(step("write_refused")["is_error"] as? Bool == true && errorCode("write_refused") == "usage", "\(step("write_refused"))")
        // The access policy: agent/* only, refused with Rocky's code and exit code 5.
        #expect(step("branch")["is_error"] as? Bool == false, "\(step("branch"))")
        #expect(errorCode("branch_refused") == "access_denied", "\(step("branch_refused"))")
        let refusal = document("branch_refused")["error"] as? [String: Any]
        #expect(refusal?["exit_code"] as? Int == 5 && (refusal?["message"] as? String)?.contains("lacks the 'create' permission") == true,
                "the refusal names the missing permission: \(String(describing: refusal))")
        #expect(step("write")["is_error"] as? Bool == false && document("write")["commit"] is String, "\(step("write"))")
        let diffTables = document("diff")["tables"] as? [[String: Any]] ?? []
        #expect(diffTables.first?["table"] as? String == "customers" && (diffTables.first?["rows"] as? [Any])?.count == 1, "\(step("diff"))")
        #expect((document("branches")["branches"] as? [[String: Any]])?.contains { $0["name"] as? String == "agent/cleanup" } == true)
        // main is protected: the agent may not merge into it.
        #expect(errorCode("merge_refused") == "access_denied", "\(step("merge_refused"))")
        #expect(errorCode("check") == "compile_error" && "\(document("check"))".contains("E0202"), "\(step("check"))")
        #expect(step("lineage")["is_error"] as? Bool == false, "\(step("lineage"))")
        #expect(errorCode("bad_argument") == "usage", "\(step("bad_argument"))")
        #expect(errorCode("option_injection") == "usage", "\(step("option_injection"))")
        #expect(step("no_tool")["exception"] != nil, "an unknown tool is a protocol error: \(step("no_tool"))")
        #expect(result["resource"] as? [String: Any] != nil, "\(result["resources_error"] ?? "")")
        #expect((result["resources"] as? [String])?.contains("rocky://agent/cleanup/customers") == true, "\(result["resources"] ?? "")")
        #expect(result["ping"] as? String == "ok")

        // What the agent did is in the audit log under its name, as from the CLI.
        let log = box.json(box.rocky(["audit", "--json", "--as", "alice"]))
        let entries = log["entries"] as? [[String: Any]] ?? []
        #expect(entries.contains { $0["actor"] as? String == "agent" && ($0["branch"] as? String) == "agent/cleanup" }, "\(log)")
        // The write landed on the agent's branch only.
        func rowCount(at revision: String) -> Int? {
            let tables = box.json(box.rocky(["tables", "--json", revision, "--as", "alice"]))["tables"] as? [[String: Any]]
            return tables?.first { $0["name"] as? String == "customers" }?["rows"] as? Int
        }
        #expect(rowCount(at: "main") == 40 && rowCount(at: "agent/cleanup") == 39)
    }

    @Test func devShowsWhatProdMasks() throws {
        let box = Self.governedBox()
        guard let dev = try drive(box, actor: "agent", env: "dev", steps: [("rows", "show_rows", ["table": "customers", "max_rows": 40])]) else { return }
        let text = String(decoding: try JSONSerialization.data(withJSONObject: dev), as: UTF8.self)
        #expect(!PIIScan.leaks(in: text).isEmpty, "dev shows the raw values, so the prod check can fail")
    }

    /// The raw protocol: a malformed line, a non-request, a batch, an
    /// unknown method, an oversized message and a cancelled request each get
    /// their JSON-RPC answer, and the server goes on to answer a ping and
    /// ends cleanly at the end of its input.
    @Test func malformedInputIsAnsweredAndTheServerGoesOn() throws {
        let box = Sandbox()
        box.ok("init")
        let lines = [
            "this is not json",
            #"{"jsonrpc":"2.0","id":1}"#,
            "[]",
            #"{"jsonrpc":"2.0","id":2,"method":"no/such/method"}"#,
            #"{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"status","arguments":{"x":""# + String(repeating: "a", count: 3000) + #""}}}"#,
            #"{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":4}}"#,
            #"{"jsonrpc":"2.0","id":4,"method":"ping"}"#,
            #"{"jsonrpc":"1.0","id":5,"method":"ping"}"#,
            #"{"jsonrpc":"2.0","id":6,"method":"tools/call","params":{"name":"status"}}"#,
            #"{"jsonrpc":"2.0","id":7,"method":"ping"}"#,
        ]
        let run = try runProgram(rockyBinary, ["mcp", "--max-message-bytes", "2048"], in: box.path, environment: box.environment,
                                 stdin: lines.joined(separator: "\n") + "\n")
        #expect(run.code == 0, "\(run)")
        let answers = run.out.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        func code(_ answer: [String: Any]) -> Int? { (answer["error"] as? [String: Any])?["code"] as? Int }
        let ids = answers.map { ($0["id"] as? Int).map(String.init) ?? "null" }
        #expect(answers.count == 8, "one answer per message but the cancelled request: \(run.out)")
        #expect(answers.map(code) == [-32700, -32600, -32600, -32601, -32600, -32600, nil, nil], "\(run.out)")
        #expect(ids == ["null", "1", "null", "2", "null", "5", "6", "7"], "\(run.out)")
        let status = answers.first { $0["id"] as? Int == 6 }?["result"] as? [String: Any]
        #expect(status?["isError"] as? Bool == false && (status?["structuredContent"] as? [String: Any])?["branch"] != nil, "\(run.out)")
    }
}
