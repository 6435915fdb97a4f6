import Foundation
import Glibc
import Testing

/// `rocky lsp` driven by a real client, Neovim's built-in LSP client
/// (Debian's `neovim`, on TEST_PACKAGES), headless; and the framing layer
/// fed malformed input.
@Suite struct LSPTests {
    /// customers imported and classified: email pii (hashed in prod), ssn
    /// restricted (denied in prod). The editor tests' common start.
    static func classifiedBox() -> Sandbox {
        let box = Sandbox()
        box.ok("init")
        box.ok("import", "customers", fixture("customers.csv"), "--key", "customer_id")
        box.write("rocky.toml", """
            [environments.dev.masking]
            pii = "none"
            restricted = "none"

            [environments.prod.masking]
            pii = "hash"
            restricted = "deny"

            """)
        box.ok("classify", "customers.email", "pii")
        box.ok("classify", "customers.ssn", "restricted")
        return box
    }

    /// classifiedBox, with a model `clean` the edited model reads.
    static func modelBox() -> Sandbox {
        let box = classifiedBox()
        box.write("models/clean.sql", "SELECT customer_id, name, email FROM customers\n")
        box.write("models/report.sql", "-- key: customer_id\nSELECT customer_id, nme FROM clean\n")
        box.ok("commit", "-m", "customers and models")
        return box
    }

    /// Opens models/report.sql (an unknown column), changes it to a model
    /// that reads a denied column in prod, then to a valid one, and asks
    /// for hover, completion, definition and symbols; writes what it got.
    static let script = #"""
        local results = { diagnostics = {} }
        local function save()
          local f = io.open(os.getenv("LSP_OUT"), "w")
          f:write(vim.fn.json_encode(results))
          f:close()
        end
        local ok, err = pcall(function()
          local repo = os.getenv("LSP_REPO")
          local id = vim.lsp.start_client({
            cmd = { os.getenv("ROCKY_BIN"), "lsp" },
            cmd_cwd = repo,
            root_dir = repo,
            init_options = { environment = "prod" },
            flags = { debounce_text_changes = 0 },
            handlers = {
              ["textDocument/publishDiagnostics"] = function(_, result)
                table.insert(results.diagnostics, result)
              end,
            },
          })
          vim.cmd("edit " .. repo .. "/models/report.sql")
          local buf = vim.api.nvim_get_current_buf()
          vim.lsp.buf_attach_client(buf, id)
          local function settled(version)
            return vim.wait(30000, function()
              local last = results.diagnostics[#results.diagnostics]
              return last ~= nil and (version == nil or last.version == version)
            end, 20)
          end
          results.opened = settled(nil)
          results.open_diagnostics = results.diagnostics[#results.diagnostics]
          -- Unsaved: a column prod denies.
          vim.api.nvim_buf_set_lines(buf, 0, -1, false, { "SELECT c.customer_id, c.ssn", "FROM customers c" })
          results.changed = settled(vim.lsp.util.buf_versions[buf])
          results.denied_diagnostics = results.diagnostics[#results.diagnostics]
          vim.api.nvim_buf_set_lines(buf, 0, -1, false, {
            "-- key: customer_id",
            "SELECT c.customer_id, c.email",
            "FROM customers AS c JOIN clean ON clean.customer_id = c.customer_id",
          })
          results.fixed = settled(vim.lsp.util.buf_versions[buf])
          results.fixed_diagnostics = results.diagnostics[#results.diagnostics]
          local uri = vim.uri_from_bufnr(buf)
          local function ask(method, line, character)
            local answers = vim.lsp.buf_request_sync(buf, method,
              { textDocument = { uri = uri }, position = { line = line, character = character } }, 30000)
            return answers and answers[id] and answers[id].result or vim.NIL
          end
          results.hover_column = ask("textDocument/hover", 1, 25)
          results.hover_table = ask("textDocument/hover", 2, 8)
          results.complete_qualified = ask("textDocument/completion", 1, 24)
          results.complete_any = ask("textDocument/completion", 2, 0)
          results.definition = ask("textDocument/definition", 2, 27)
          local symbols = vim.lsp.buf_request_sync(buf, "textDocument/documentSymbol", { textDocument = { uri = uri } }, 30000)
          results.symbols = symbols and symbols[id] and symbols[id].result or vim.NIL
          vim.lsp.stop_client(id)
        end)
        results.ok = ok
        results.error = err and tostring(err) or vim.NIL
        save()
        """#

    @Test func neovimGetsDiagnosticsHoverCompletionDefinitionAndSymbols() throws {
        guard let nvim = ["/usr/bin/nvim", "/usr/local/bin/nvim"].first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            Issue.record("Neovim is missing: apt-get install -y neovim (make test installs TEST_PACKAGES)")
            return
        }
        let box = Self.modelBox()
        box.write("client.lua", Self.script)
        let environment = box.environment.merging(["ROCKY_BIN": rockyBinary, "LSP_REPO": box.path, "LSP_OUT": box.path + "/result.json",
                                                   "HOME": box.path, "XDG_CONFIG_HOME": box.path + "/.config",
                                                   "XDG_STATE_HOME": box.path + "/.state", "XDG_DATA_HOME": box.path + "/.data"]) { $1 }
        let run = try runProgram(nvim, ["--headless", "-u", "NONE", "-i", "NONE", "-n", "-c", "luafile client.lua", "-c", "qa!"],
                                 in: box.path, environment: environment)
        guard let text = box.read("result.json"),
              let result = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else {
            Issue.record("Neovim wrote no result: \(run)")
            return
        }
        #expect(result["ok"] as? Bool == true, "\(result["error"] ?? "")\n\(run)")
        func diagnostics(_ key: String) -> [[String: Any]] {
            (result[key] as? [String: Any])?["diagnostics"] as? [[String: Any]] ?? []
        }
        func range(_ d: [String: Any]?) -> [Int] {
            let r = d?["range"] as? [String: Any]
            let s = r?["start"] as? [String: Any], e = r?["end"] as? [String: Any]
            return [s?["line"], s?["character"], e?["line"], e?["character"]].map { $0 as? Int ?? -1 }
        }
        // Opened: `nme` is no column of clean, at its exact place (line 2, columns 21-23).
        let opened = diagnostics("open_diagnostics")
        #expect(opened.count == 1 && opened.first?["code"] as? String == "E0202", "\(opened)")
        #expect(range(opened.first) == [1, 20, 1, 23], "\(opened)")
        // Unsaved change: prod denies restricted columns (E0501) on c.ssn.
        let denied = diagnostics("denied_diagnostics")
        #expect(denied.contains { $0["code"] as? String == "E0501" && range($0)[0] == 0 }, "\(denied)")
        #expect(result["fixed"] as? Bool == true && diagnostics("fixed_diagnostics").isEmpty, "\(String(describing: result["fixed_diagnostics"]))")

        func hover(_ key: String) -> String { ((result[key] as? [String: Any])?["contents"] as? [String: Any])?["value"] as? String ?? "" }
        let column = hover("hover_column")
        #expect(column.contains("customers.email") && column.contains("pii") && column.contains("masking in prod: hash"), "\(column)")
        let table = hover("hover_table")
        #expect(table.contains("table customers") && table.contains("key: customer_id") && table.contains("rows: 40")
                && table.contains("last commit:"), "\(table)")

        func labels(_ key: String) -> [String] {
            ((result[key] as? [String: Any])?["items"] as? [[String: Any]] ?? []).compactMap { $0["label"] as? String }
        }
        let qualified = labels("complete_qualified")
        #expect(qualified == ["customer_id", "name", "email", "ssn", "birth_date", "country", "segment"], "only c's columns: \(qualified)")
        let any = labels("complete_any")
        #expect(["customers", "clean", "report", "count", "coalesce", "SELECT", "customer_id", "email"].allSatisfy(any.contains), "\(any)")

        let definition = result["definition"] as? [String: Any] ?? (result["definition"] as? [[String: Any]])?.first
        #expect((definition?["uri"] as? String)?.hasSuffix("/models/clean.sql") == true, "\(String(describing: result["definition"]))")
        let symbols = result["symbols"] as? [[String: Any]] ?? []
        let children = (symbols.first?["children"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
        #expect(symbols.first?["name"] as? String == "report" && children == ["customer_id", "email"], "\(symbols)")
    }

    /// The VS Code extension's client (integrations/vscode/src/lspClient.js,
    /// plain Node) against the real server: what the extension's providers
    /// are given. VS Code itself is not run here.
    @Test func theVSCodeExtensionsClientTalksToTheServerUnderNode() throws {
        guard let node = ["/usr/bin/node", "/usr/bin/nodejs", "/usr/local/bin/node"].first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            Issue.record("Node is missing: apt-get install -y nodejs (make test installs TEST_PACKAGES)")
            return
        }
        let box = Self.modelBox()
        let script = URL(fileURLWithPath: fixtures).deletingLastPathComponent().appendingPathComponent("integrations/vscode/test/protocol.js").path
        let run = try runProgram(node, [script, rockyBinary, box.path, "prod"], in: box.path, environment: box.environment)
        let result = (try? JSONSerialization.jsonObject(with: Data(run.out.utf8))) as? [String: Any] ?? [:]
        #expect(run.code == 0 && !result.isEmpty, "\(run)")
        let opened = (result["opened"] as? [String: Any])?["diagnostics"] as? [[String: Any]] ?? []
        #expect(opened.map { $0["code"] as? String } == ["E0202"], "\(opened)")
        #expect(((result["changed"] as? [String: Any])?["diagnostics"] as? [Any])?.isEmpty == true, "\(result)")
        let hover = ((result["hover"] as? [String: Any])?["contents"] as? [String: Any])?["value"] as? String ?? ""
        #expect(hover.contains("masking in prod: hash"), "\(hover)")
        let items = ((result["completion"] as? [String: Any])?["items"] as? [[String: Any]] ?? []).compactMap { $0["label"] as? String }
        #expect(items.contains("email") && items.contains("ssn"), "\(items)")
        #expect(((result["definition"] as? [String: Any])?["uri"] as? String)?.hasSuffix("models/clean.sql") == true)
        let lineage = (result["lineage"] as? [String: Any])?["lineage"] as? [String: Any]
        let input = ((lineage?["columns"] as? [[String: Any]])?.first?["inputs"] as? [[String: Any]])?.first
        #expect(input?["table"] as? String == "customers" && input?["column"] as? String == "email"
                && input?["strategy"] as? String == "hash", "rocky/lineage: \(String(describing: result["lineage"]))")
        #expect(result["unknownMethod"] as? Int == -32601 && result["exitCode"] as? Int == 0, "\(result)")
    }

    /// LSP framing through the binary: a body that is not JSON, a header
    /// without Content-Length, a message over the size limit, an unknown
    /// method and a cancelled request each get their error, then shutdown
    /// and exit end the server with 0.
    @Test func malformedFramesAreAnsweredAndShutdownExitsCleanly() throws {
        let box = Sandbox()
        box.ok("init")
        func frame(_ body: String) -> String { "Content-Length: \(body.utf8.count)\r\n\r\n" + body }
        let big = #"{"jsonrpc":"2.0","id":9,"method":"x","params":{"p":""# + String(repeating: "é", count: 2000) + #""}}"#
        let input = [
            frame(#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"capabilities":{}}}"#),
            frame("{not json"),
            "X-Header: 1\r\n\r\n",
            frame(big),
            frame(#"{"jsonrpc":"2.0","id":2,"method":"workspace/nothing"}"#),
            frame(#"{"jsonrpc":"2.0","method":"$/cancelRequest","params":{"id":3}}"#),
            frame(#"{"jsonrpc":"2.0","id":3,"method":"textDocument/hover","params":{"textDocument":{"uri":"file:///x.sql"},"position":{"line":0,"character":0}}}"#),
            frame(#"{"jsonrpc":"2.0","id":4,"method":"textDocument/hover","params":{}}"#),
            frame(#"{"jsonrpc":"2.0","id":5,"method":"shutdown","params":null}"#),
            frame(#"{"jsonrpc":"2.0","method":"exit","params":null}"#),
            frame(#"{"jsonrpc":"2.0","id":6,"method":"shutdown"}"#),
        ].joined()
        let run = try runProgram(rockyBinary, ["lsp", "--max-message-bytes", "1024"], in: box.path, environment: box.environment, stdin: input)
        #expect(run.code == 0, "\(run)")
        let answers = Self.messages(run.out)
        func code(_ answer: [String: Any]) -> Int? { (answer["error"] as? [String: Any])?["code"] as? Int }
        let ids = answers.map { ($0["id"] as? Int).map(String.init) ?? "null" }
        #expect(ids == ["1", "null", "null", "null", "2", "3", "4", "5"], "nothing after exit is read: \(run.out)")
        #expect(answers.map(code) == [nil, -32700, -32700, -32600, -32601, -32800, -32602, nil], "\(run.out)")
        #expect((answers.first?["result"] as? [String: Any])?["capabilities"] != nil)

        let early = try runProgram(rockyBinary, ["lsp"], in: box.path, environment: box.environment,
                                   stdin: frame(#"{"jsonrpc":"2.0","method":"exit"}"#))
        #expect(early.code == 1, "exit without shutdown exits 1 (LSP): \(early)")
        let ended = try runProgram(rockyBinary, ["lsp"], in: box.path, environment: box.environment, stdin: "")
        #expect(ended.code == 0 && ended.out.isEmpty, "the end of the input ends the server: \(ended)")
    }

    /// The server reads without locks: with gc's exclusive locks and the
    /// branch's writer turn held by another process (here, the test), which
    /// stop every writer, it still checks a model and answers a hover.
    @Test func theServerAnswersWhileEveryWriterLockIsHeldElsewhere() throws {
        let box = Self.modelBox()
        try FileManager.default.createDirectory(atPath: box.path + "/.rocky/locks/turn", withIntermediateDirectories: true)
        var held: [Int32] = []
        defer { for fd in held { flock(fd, LOCK_UN); close(fd) } }
        for lock in ["objects/gc.lock", "objects/gc.run", "locks/turn/main.lock"] {
            let fd = open(box.path + "/.rocky/" + lock, O_RDWR | O_CREAT, 0o644)
            #expect(fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) == 0, "cannot take \(lock)")
            held.append(fd)
        }
        func frame(_ body: String) -> String { "Content-Length: \(body.utf8.count)\r\n\r\n" + body }
        let uri = URL(fileURLWithPath: box.path + "/models/report.sql").absoluteString
        let text = "SELECT customer_id, nme FROM clean\n"
        let input = [
            frame(#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"capabilities":{}}}"#),
            frame(#"{"jsonrpc":"2.0","method":"textDocument/didOpen","params":{"textDocument":{"uri":"\#(uri)","languageId":"sql","version":1,"text":"\#(text.replacingOccurrences(of: "\n", with: "\\n"))"}}}"#),
            frame(#"{"jsonrpc":"2.0","id":2,"method":"textDocument/hover","params":{"textDocument":{"uri":"\#(uri)"},"position":{"line":0,"character":31}}}"#),
            frame(#"{"jsonrpc":"2.0","id":3,"method":"shutdown"}"#),
            frame(#"{"jsonrpc":"2.0","method":"exit"}"#),
        ].joined()
        // `timeout` only turns a server that would wait on a lock into a failure.
        let run = try runProgram("/usr/bin/timeout", ["120", rockyBinary, "lsp"], in: box.path, environment: box.environment, stdin: input)
        #expect(run.code == 0, "\(run)")
        let messages = Self.messages(run.out)
        let published = messages.first { $0["method"] as? String == "textDocument/publishDiagnostics" }?["params"] as? [String: Any]
        #expect((published?["diagnostics"] as? [[String: Any]])?.first?["code"] as? String == "E0202", "\(run.out)")
        let hover = messages.first(where: { $0["id"] as? Int == 2 })?["result"] as? [String: Any]
        let value = (hover?["contents"] as? [String: Any])?["value"] as? String ?? ""
        #expect(value.contains("**table clean** (model)") && value.contains("not in the working set"), "\(run.out)")
    }

    /// The bodies of Content-Length framed messages.
    static func messages(_ text: String) -> [[String: Any]] {
        var bytes = Array(text.utf8)[...]
        var result: [[String: Any]] = []
        while let headerEnd = bytes.firstRange(of: Array("\r\n\r\n".utf8)) {
            let header = String(decoding: bytes[..<headerEnd.lowerBound], as: UTF8.self)
            guard let length = header.split(separator: "\r\n").compactMap({ line -> Int? in
                let parts = line.split(separator: ":", maxSplits: 1)
                return parts.count == 2 && parts[0].lowercased() == "content-length" ? Int(parts[1].trimmingCharacters(in: .whitespaces)) : nil
            }).first else { break }
            let body = bytes[headerEnd.upperBound...].prefix(length)
            if let object = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any] { result.append(object) }
            bytes = bytes[(headerEnd.upperBound + length)...]
        }
        return result
    }
}
