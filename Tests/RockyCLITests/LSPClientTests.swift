import Foundation
import Testing

/// `rocky lsp` driven by a second real client, pygls's LanguageClient
/// (`pygls` and `lsprotocol` from PyPI, in requirements-test.txt), through
/// the whole request set: initialize, didOpen, diagnostics, didChange,
/// hover, completion, signatureHelp, definition (a model, a table's
/// schema), references across models, documentSymbol, codeLens, the custom
/// rocky/lineage, shutdown and exit.
@Suite struct LSPClientTests {
    static let python = ProcessInfo.processInfo.environment["ROCKY_PYTHON"] ?? "python3"

    /// customers classified (email pii, hashed in prod); models clean,
    /// report and summary run and committed; a model `fresh` never run.
    static func ranBox() -> Sandbox {
        let box = LSPTests.classifiedBox()
        box.write("models/clean.sql", "SELECT customer_id, name, email FROM customers\n")
        box.write("models/report.sql", "-- key: customer_id\nSELECT customer_id, email FROM clean\n")
        box.write("models/summary.sql", "SELECT count(*) AS n, max(email) AS last_email FROM clean\n")
        box.ok("commit", "-m", "customers and models")
        box.ok("run", "-m", "build the models")
        box.write("models/fresh.sql", "SELECT customer_id FROM clean\n")
        return box
    }

    static let client = #"""
        import asyncio, json, os, sys
        from lsprotocol import types as t
        from pygls.lsp.client import LanguageClient

        rocky, repo, out = sys.argv[1:4]
        results = {"diagnostics": []}
        client = LanguageClient("rocky-test", "1")

        @client.feature(t.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        def diagnostics(params):
            results["diagnostics"].append(json.loads(json.dumps(client.protocol._converter.unstructure(params))))

        def plain(value):
            return client.protocol._converter.unstructure(value)

        def raw(value):
            # an answer to a request pygls has no type for comes as named tuples
            if hasattr(value, "_asdict"):
                return {k: raw(v) for k, v in value._asdict().items()}
            if isinstance(value, (list, tuple)):
                return [raw(v) for v in value]
            return value

        def uri_of(path):
            return "file://" + os.path.join(repo, path)

        async def settled(uri, version):
            for _ in range(3000):
                mine = [d for d in results["diagnostics"] if d["uri"] == uri and d.get("version") == version]
                if mine:
                    return mine[-1]
                await asyncio.sleep(0.01)
            return None

        def at(lines, line, needle, offset=0):
            return t.Position(line=line, character=lines[line].index(needle) + offset)

        async def main():
            await client.start_io(rocky, "lsp", cwd=repo)
            init = await client.initialize_async(t.InitializeParams(
                capabilities=t.ClientCapabilities(), root_uri="file://" + repo,
                initialization_options={"environment": "prod"}))
            results["capabilities"] = plain(init.capabilities)
            client.initialized(t.InitializedParams())

            report = uri_of("models/report.sql")
            doc = t.TextDocumentIdentifier(uri=report)
            client.text_document_did_open(t.DidOpenTextDocumentParams(text_document=t.TextDocumentItem(
                uri=report, language_id="sql", version=1, text="SELECT customer_id, nme FROM clean\n")))
            results["opened"] = await settled(report, 1)

            lines = ["-- key: customer_id",
                     "SELECT c.customer_id, substr(c.name, 1, 3) AS initials, clean.email",
                     "FROM customers AS c JOIN clean ON clean.customer_id = c.customer_id",
                     ""]
            client.text_document_did_change(t.DidChangeTextDocumentParams(
                text_document=t.VersionedTextDocumentIdentifier(uri=report, version=2),
                content_changes=[t.TextDocumentContentChangeWholeDocument(text="\n".join(lines))]))
            results["changed"] = await settled(report, 2)

            def position(line, needle, offset=0):
                return t.TextDocumentPositionParams(text_document=doc, position=at(lines, line, needle, offset))

            p = position(1, "c.name", 3)
            results["hover"] = plain(await client.text_document_hover_async(t.HoverParams(text_document=doc, position=p.position)))
            p = position(1, "c.name", 2)
            results["completion"] = plain(await client.text_document_completion_async(t.CompletionParams(text_document=doc, position=p.position)))
            p = position(1, "3)")
            results["signature"] = plain(await client.text_document_signature_help_async(t.SignatureHelpParams(text_document=doc, position=p.position)))
            p = position(2, "JOIN clean", 6)
            results["definition_model"] = plain(await client.text_document_definition_async(t.DefinitionParams(text_document=doc, position=p.position)))
            p = position(2, "customers", 2)
            table = plain(await client.text_document_definition_async(t.DefinitionParams(text_document=doc, position=p.position)))
            results["definition_table"] = table
            location = table[0] if isinstance(table, list) else table
            if location and location["uri"].startswith("file://"):
                with open(location["uri"][len("file://"):]) as f:
                    results["schema_file"] = f.read()
            p = position(2, "JOIN clean", 6)
            results["references_table"] = plain(await client.text_document_references_async(t.ReferenceParams(
                text_document=doc, position=p.position, context=t.ReferenceContext(include_declaration=True))))
            p = position(1, "clean.email", 7)
            results["references_column"] = plain(await client.text_document_references_async(t.ReferenceParams(
                text_document=doc, position=p.position, context=t.ReferenceContext(include_declaration=True))))
            results["symbols"] = plain(await client.text_document_document_symbol_async(t.DocumentSymbolParams(text_document=doc)))
            results["lens_report"] = plain(await client.text_document_code_lens_async(t.CodeLensParams(text_document=doc)))
            fresh = t.TextDocumentIdentifier(uri=uri_of("models/fresh.sql"))
            results["lens_fresh"] = plain(await client.text_document_code_lens_async(t.CodeLensParams(text_document=fresh)))
            p = position(1, "clean.email", 7)
            results["lineage"] = raw(await client.protocol.send_request_async("rocky/lineage", {
                "textDocument": {"uri": report}, "position": {"line": p.position.line, "character": p.position.character}}))

            await client.shutdown_async(None)
            client.exit(None)
            for _ in range(500):
                if client._server.returncode is not None:
                    break
                await asyncio.sleep(0.01)
            results["exit_code"] = client._server.returncode
            await client.stop()

        asyncio.run(main())
        with open(out, "w") as f:
            json.dump(results, f)
        """#

    @Test func pyglsDrivesTheFullRequestSet() throws {
        let box = Self.ranBox()
        let probe = try runProgram(Self.python, ["-c", "import pygls, lsprotocol"], in: box.path)
        guard probe.code == 0 else {
            Issue.record("pygls is missing: run `make venv` (or build/venv/bin/pip install -r requirements-test.txt)\n\(probe)")
            return
        }
        box.write("client.py", Self.client)
        let run = try runProgram(Self.python, ["client.py", rockyBinary, box.path, box.path + "/result.json"],
                                 in: box.path, environment: box.environment)
        guard run.code == 0, let text = box.read("result.json"),
              let result = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else {
            Issue.record("the pygls client failed: \(run)")
            return
        }
        func object(_ key: String) -> [String: Any] { result[key] as? [String: Any] ?? [:] }
        func list(_ key: String) -> [[String: Any]] { result[key] as? [[String: Any]] ?? [] }
        func start(_ location: [String: Any]) -> [Int] {
            let s = (location["range"] as? [String: Any])?["start"] as? [String: Any]
            return [s?["line"] as? Int ?? -1, s?["character"] as? Int ?? -1]
        }
        func file(_ location: [String: Any]) -> String { ((location["uri"] as? String) ?? "").components(separatedBy: "/").last ?? "" }

        let capabilities = object("capabilities")
        for name in ["hoverProvider", "completionProvider", "signatureHelpProvider", "definitionProvider", "referencesProvider",
                     "documentSymbolProvider", "codeLensProvider"] {
            #expect(capabilities[name] != nil, "\(name) in \(capabilities.keys.sorted())")
        }
        // Diagnostics on open (E0202 at `nme`) and none after the fix.
        let opened = object("opened")["diagnostics"] as? [[String: Any]] ?? []
        #expect(opened.map { $0["code"] as? String } == ["E0202"] && start(opened.first ?? [:]) == [0, 20], "\(opened)")
        #expect((object("changed")["diagnostics"] as? [Any])?.isEmpty == true, "\(object("changed"))")

        let hover = (object("hover")["contents"] as? [String: Any])?["value"] as? String ?? ""
        #expect(hover.contains("customers.name") && hover.contains("TEXT"), "\(hover)")
        let items = (object("completion")["items"] as? [[String: Any]] ?? []).compactMap { $0["label"] as? String }
        #expect(items == ["customer_id", "name", "email", "ssn", "birth_date", "country", "segment"], "\(items)")

        // Signature help inside SUBSTR, at its third argument.
        let signature = object("signature")
        let shown = (signature["signatures"] as? [[String: Any]])?.first
        #expect(shown?["label"] as? String == "SUBSTR(text TEXT, start INTEGER, [count INTEGER]) -> TEXT", "\(signature)")
        #expect(signature["activeParameter"] as? Int == 2 && (shown?["parameters"] as? [Any])?.count == 3, "\(signature)")

        // Definition: a model opens its file; a table opens its schema.
        let model = (result["definition_model"] as? [[String: Any]])?.first ?? object("definition_model")
        #expect(file(model) == "clean.sql", "\(model)")
        let schema = result["schema_file"] as? String ?? ""
        #expect(schema.contains("CREATE TABLE customers (") && schema.contains("email TEXT")
                && schema.contains("masking in prod: hash") && schema.contains("rows: 40") && schema.contains("PRIMARY KEY (customer_id)"),
                "\(schema)")

        // References: clean as a table (its file, report's JOIN, and the
        // FROM of summary and fresh), clean.email as a column (clean's output
        // column, report's clean.email, summary's max(email)).
        let tableRefs = list("references_table").map { "\(file($0)):\(start($0))" }.sorted()
        #expect(tableRefs == ["clean.sql:[0, 0]", "fresh.sql:[0, 24]", "report.sql:[2, 25]", "summary.sql:[0, 52]"], "\(tableRefs)")
        let columnRefs = list("references_column").map { "\(file($0)):\(start($0))" }.sorted()
        #expect(columnRefs == ["clean.sql:[0, 26]", "report.sql:[1, 62]", "summary.sql:[0, 26]"], "\(columnRefs)")

        let symbols = list("symbols")
        let children = (symbols.first?["children"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
        #expect(symbols.first?["name"] as? String == "report" && children == ["customer_id", "initials", "email"], "\(symbols)")

        // Code lens: report's last run (40 rows, in the commit that ran it); fresh never ran.
        let lens = ((list("lens_report").first?["command"]) as? [String: Any])?["title"] as? String ?? ""
        #expect(lens.hasPrefix("last run: 40 rows · ") && lens.contains("USD") && lens.contains("commit "), "\(lens)")
        let fresh = ((list("lens_fresh").first?["command"]) as? [String: Any])?["title"] as? String ?? ""
        #expect(fresh == "not run yet on this branch", "\(fresh)")

        let lineage = object("lineage")
        let input = (((lineage["lineage"] as? [String: Any])?["columns"] as? [[String: Any]])?.first?["inputs"] as? [[String: Any]])?.first
        #expect(lineage["column"] as? String == "email" && input?["table"] as? String == "clean" && input?["column"] as? String == "email",
                "\(lineage)")
        #expect(result["exit_code"] as? Int == 0, "shutdown then exit ends the server with 0: \(result["exit_code"] ?? "none")")
    }

    /// The server keeps what documents are compiled against while the
    /// repository stays the same, and sees each change made meanwhile by
    /// another process: a table imported into the working set, a model
    /// saved, a commit.
    static let watcher = #"""
        import asyncio, json, os, subprocess, sys
        from lsprotocol import types as t
        from pygls.lsp.client import LanguageClient

        rocky, repo, out = sys.argv[1:4]
        results = {"diagnostics": []}
        client = LanguageClient("rocky-test", "1")

        @client.feature(t.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        def diagnostics(params):
            results["diagnostics"].append(client.protocol._converter.unstructure(params))

        async def settled(uri, version):
            for _ in range(3000):
                mine = [d for d in results["diagnostics"] if d["uri"] == uri and d.get("version") == version]
                if mine:
                    return [d["code"] for d in mine[-1]["diagnostics"]]
                await asyncio.sleep(0.01)
            return None

        def rocky_run(*args):
            subprocess.run([rocky, *args], cwd=repo, check=True, capture_output=True)

        async def main():
            await client.start_io(rocky, "lsp", cwd=repo)
            await client.initialize_async(t.InitializeParams(capabilities=t.ClientCapabilities()))
            client.initialized(t.InitializedParams())
            uri = "file://" + os.path.join(repo, "scratch.sql")
            text = "SELECT e.symbol, c.country FROM extra e JOIN clean c ON c.customer_id = e.n"
            version = 1
            client.text_document_did_open(t.DidOpenTextDocumentParams(text_document=t.TextDocumentItem(
                uri=uri, language_id="sql", version=1, text=text)))
            results["before"] = await settled(uri, 1)

            async def again(name):
                nonlocal version
                version += 1
                client.text_document_did_change(t.DidChangeTextDocumentParams(
                    text_document=t.VersionedTextDocumentIdentifier(uri=uri, version=version),
                    content_changes=[t.TextDocumentContentChangeWholeDocument(text=text)]))
                results[name] = await settled(uri, version)

            rocky_run("import", "extra", os.path.join(repo, "extra.csv"), "--key", "n")
            await again("imported")
            with open(os.path.join(repo, "models", "clean.sql"), "w") as f:
                f.write("SELECT customer_id, name, email, country FROM customers\n")
            await again("model_saved")
            rocky_run("commit", "-m", "add extra")
            hover = await client.text_document_hover_async(t.HoverParams(
                text_document=t.TextDocumentIdentifier(uri=uri), position=t.Position(line=0, character=text.index("extra") + 1)))
            results["hover"] = hover.contents.value if hover else None

            await client.shutdown_async(None)
            client.exit(None)
            await client.stop()

        asyncio.run(main())
        with open(out, "w") as f:
            json.dump(results, f)
        """#

    @Test func changesByOtherProcessesAreSeenAtTheNextChange() throws {
        let box = Self.ranBox()
        box.write("extra.csv", "n,symbol\n1,AAA\n2,BBB\n")
        let probe = try runProgram(Self.python, ["-c", "import pygls, lsprotocol"], in: box.path)
        guard probe.code == 0 else {
            Issue.record("pygls is missing: run `make venv` (or build/venv/bin/pip install -r requirements-test.txt)\n\(probe)")
            return
        }
        box.write("watcher.py", Self.watcher)
        let run = try runProgram(Self.python, ["watcher.py", rockyBinary, box.path, box.path + "/result.json"],
                                 in: box.path, environment: box.environment)
        guard run.code == 0, let text = box.read("result.json"),
              let result = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else {
            Issue.record("the pygls client failed: \(run)")
            return
        }
        // No table extra (the statement stops at its first error).
        #expect((result["before"] as? [String])?.first == "E0201", "\(result)")
        // extra imported (working set): only clean's missing country is left.
        #expect(result["imported"] as? [String] == ["E0202"], "\(result)")
        // models/clean.sql saved with country: nothing left.
        #expect(result["model_saved"] as? [String] == [], "\(result)")
        // Committed: the hover's last commit is the new one.
        #expect((result["hover"] as? String)?.contains("add extra") == true, "\(result["hover"] ?? "none")")
    }
}
