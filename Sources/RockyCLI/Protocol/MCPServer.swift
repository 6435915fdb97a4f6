import Foundation
import Rocky
import RockyBase
import RockySQL

/// The Model Context Protocol server of `rocky mcp` (Docs/agents.md).
///
/// Each tool is a rocky command run in process with `--json`, `--as <the
/// server's actor>` and `--env <the server's environment>`: it goes through
/// the same Repository operations as the command line (the gate, the access
/// policy, masking, the audit log), and its result is the command's JSON
/// document. A failure is a tool result with `isError` and the command's
/// `{"error": {"code", "message", "exit_code"}}`.
final class MCPServer {
    static let protocolVersions = ["2025-06-18", "2025-03-26"]

    let settings: Settings
    let directory: String
    let environment: [String: String]
    private var negotiated = false

    init(settings: Settings, directory: String, environment: [String: String]) {
        self.settings = settings
        self.directory = directory
        self.environment = environment
    }

    /// One tool: its name, what it does, its input schema and how its
    /// arguments become a command line.
    struct Tool: Sendable {
        var name: String
        var description: String
        var properties: [JSON.Member]
        var required: [String]
        var arguments: @Sendable (ToolArguments) throws -> [String]
    }

    /// A tool's arguments, checked against its schema as they are read.
    struct ToolArguments {
        var values: JSON

        func string(_ key: String) throws -> String? {
            guard let value = values[key], !value.isNull else { return nil }
            guard let text = value.stringValue else { throw UsageError("argument \(key) is a string") }
            return text
        }

        func required(_ key: String) throws -> String {
            guard let text = try string(key), !text.isEmpty else { throw UsageError("argument \(key) is required") }
            return text
        }

        /// A name or revision given as a positional: never taken for an option.
        func word(_ key: String) throws -> String? {
            guard let text = try string(key) else { return nil }
            if text.hasPrefix("-") { throw UsageError("argument \(key) may not start with '-': \(text)") }
            return text
        }

        func requiredWord(_ key: String) throws -> String {
            guard let text = try word(key), !text.isEmpty else { throw UsageError("argument \(key) is required") }
            return text
        }

        func bool(_ key: String) throws -> Bool {
            guard let value = values[key], !value.isNull else { return false }
            guard let flag = value.boolValue else { throw UsageError("argument \(key) is a boolean") }
            return flag
        }

        func int(_ key: String) throws -> Int? {
            guard let value = values[key], !value.isNull else { return nil }
            guard let n = value.intValue ?? value.numberText.flatMap(Double.init).flatMap({ $0 == $0.rounded() ? Int(exactly: $0) : nil }),
                  n >= 0 else { throw UsageError("argument \(key) is a non-negative integer") }
            return n
        }

        func words(_ key: String) throws -> [String] {
            guard let value = values[key], !value.isNull else { return [] }
            guard let items = value.arrayValue else { throw UsageError("argument \(key) is an array of strings") }
            return try items.map { item in
                guard let text = item.stringValue else { throw UsageError("argument \(key) is an array of strings") }
                if text.hasPrefix("-") { throw UsageError("argument \(key) may not start with '-': \(text)") }
                return text
            }
        }
    }

    static func string(_ description: String) -> JSON { .object(["type": .string("string"), "description": .string(description)]) }
    static func boolean(_ description: String) -> JSON { .object(["type": .string("boolean"), "description": .string(description)]) }
    static func integer(_ description: String) -> JSON {
        .object(["type": .string("integer"), "minimum": .int(0), "description": .string(description)])
    }
    static func strings(_ description: String) -> JSON {
        .object(["type": .string("array"), "items": .object(["type": .string("string")]), "description": .string(description)])
    }

    /// The rows a data tool returns unless `max_rows` says otherwise.
    static let defaultMaxRows = 100

    static let tools: [Tool] = [
        Tool(name: "status", description: "The current branch, tables and project files that differ from HEAD, and pending transformations (rocky status --json).",
             properties: [], required: []) { _ in ["status"] },
        Tool(name: "list_branches", description: "Every branch with its commit (rocky branch --json).",
             properties: [], required: []) { _ in ["branch"] },
        Tool(name: "create_branch", description: "Creates a branch at a start revision (default HEAD) without switching to it (rocky branch <name> [<start>]).",
             properties: [JSON.Member("name", string("the new branch")), JSON.Member("start", string("the revision it starts at (default HEAD)"))],
             required: ["name"]) { a in ["branch", try a.requiredWord("name")] + [try a.word("start")].compactMap { $0 } },
        Tool(name: "checkout", description: "Switches the repository's working set to a branch (rocky checkout <branch>).",
             properties: [JSON.Member("branch", string("the branch to switch to"))], required: ["branch"]) { a in
            ["checkout", try a.requiredWord("branch")]
        },
        Tool(name: "log", description: "Commits reachable from a revision, newest first (rocky log --json).",
             properties: [JSON.Member("revision", string("a revision or A..B (default HEAD)")),
                          JSON.Member("max_count", integer("at most this many commits (default 20)"))], required: []) { a in
            ["log", "-n=\(try a.int("max_count") ?? 20)"] + [try a.word("revision")].compactMap { $0 }
        },
        Tool(name: "diff", description: "Row-level differences between two revisions (default: HEAD and the working set), masked in the server's environment (rocky diff --json).",
             properties: [JSON.Member("from", string("the older revision (default HEAD)")),
                          JSON.Member("to", string("the newer revision (default the working set)")),
                          JSON.Member("tables", strings("only these tables"))], required: []) { a in
            let to = try a.word("to")
            let from = try a.word("from") ?? (to == nil ? nil : "HEAD")
            return ["diff"] + [from, to].compactMap { $0 } + (try a.words("tables")).map { "--table=" + $0 }
        },
        Tool(name: "tables", description: "The tables of a revision (default the working set) with their row counts and ids (rocky tables --json).",
             properties: [JSON.Member("revision", string("a revision (default the working set)"))], required: []) { a in
            ["tables"] + [try a.word("revision")].compactMap { $0 }
        },
        Tool(name: "schema", description: "A table's columns, types, key and governance (rocky schema --json).",
             properties: [JSON.Member("table", string("the table")), JSON.Member("revision", string("a revision (default the working set)"))],
             required: ["table"]) { a in ["schema", try a.requiredWord("table")] + [try a.word("revision")].compactMap { $0 } },
        Tool(name: "show_rows", description: "The rows of a table in the working set, masked as the server's environment requires, at most max_rows of them (the result says when it is truncated).",
             properties: [JSON.Member("table", string("the table")), JSON.Member("max_rows", integer("at most this many rows (default 100)"))],
             required: ["table"]) { a in
            let table = try a.required("table")
            let limit = (try a.int("max_rows") ?? defaultMaxRows) + 1
            return ["sql", "--", "SELECT * FROM \"\(table.replacingOccurrences(of: "\"", with: "\"\""))\" LIMIT \(limit)"]
        },
        Tool(name: "sql", description: "Runs SQL on the working set (rocky sql --json). Reads by default; statements that change tables need allow_writes, and with message the change is committed at once. SELECT results hold at most max_rows rows each (truncation is stated).",
             properties: [JSON.Member("statements", string("one or more SQL statements")),
                          JSON.Member("allow_writes", boolean("allow statements that change the working set (default false)")),
                          JSON.Member("message", string("commit the change at once with this message")),
                          JSON.Member("max_rows", integer("at most this many rows per SELECT result (default 100)"))],
             required: ["statements"]) { a in
            ["sql"] + ((try a.string("message")).map { ["--message=" + $0] } ?? []) + ["--", try a.required("statements")]
        },
        Tool(name: "commit", description: "Commits the working set on the current branch (rocky commit -m).",
             properties: [JSON.Member("message", string("the commit message"))], required: ["message"]) { a in
            ["commit", "--message=" + (try a.required("message"))]
        },
        Tool(name: "run_models", description: "Builds models/*.sql in dependency order (rocky run --json); with message, commits at once.",
             properties: [JSON.Member("models", strings("only these models and what they need (default all)")),
                          JSON.Member("message", string("commit the result with this message"))], required: []) { a in
            ["run"] + ((try a.string("message")).map { ["--message=" + $0] } ?? []) + (try a.words("models"))
        },
        Tool(name: "check", description: "Compiles SQL (or every model) against the working set's tables without running it: diagnostics with positions and codes (rocky check --json).",
             properties: [JSON.Member("sql", string("the statements to check (default: every model)"))], required: []) { a in
            ["check"] + ((try a.string("sql")).map { ["-e=" + $0] } ?? [])
        },
        Tool(name: "merge", description: "Merges a branch into the current branch (or into), row by row; conflicts come back as a tool error with the conflicting rows, masked (rocky merge --json).",
             properties: [JSON.Member("branch", string("the branch to merge")), JSON.Member("into", string("the target branch (default the current one)")),
                          JSON.Member("message", string("the merge commit's message")),
                          JSON.Member("dry_run", boolean("report what the merge would do without doing it")),
                          JSON.Member("strategy", .object(["type": .string("string"), "enum": .array([.string("ours"), .string("theirs")]),
                                                           "description": .string("resolve conflicting rows with one side")]))],
             required: ["branch"]) { a in
            var args = ["merge", try a.requiredWord("branch")]
            if let into = try a.word("into") { args.append("--into=" + into) }
            if let message = try a.string("message") { args.append("--message=" + message) }
            if let strategy = try a.word("strategy") { args.append("--strategy=" + strategy) }
            if try a.bool("dry_run") { args.append("--dry-run") }
            return args
        },
        Tool(name: "lineage", description: "Column lineage (rocky lineage --json): of a column (table.column) back to its sources, or downstream; or, with sql, of each output column of a query.",
             properties: [JSON.Member("column", string("table.column")), JSON.Member("sql", string("a query whose output columns to trace")),
                          JSON.Member("revision", string("a revision (default the working set)")),
                          JSON.Member("downstream", boolean("what the column feeds instead of where it comes from")),
                          JSON.Member("depth", integer("at most this many transformations away"))], required: []) { a in
            var args = ["lineage"]
            if let sql = try a.string("sql") {
                args.append("--sql=" + sql)
            } else {
                args.append(try a.requiredWord("column"))
            }
            if let revision = try a.word("revision") { args.append(revision) }
            if try a.bool("downstream") { args.append("--downstream") }
            if let depth = try a.int("depth") { args.append("--depth=\(depth)") }
            return args
        },
        Tool(name: "replay", description: "Replays a branch's transformations on the data as it is known at a time and reports gaps (rows that arrived later) and corrections; gaps make a tool error whose document lists them, masked (rocky replay --json).",
             properties: [JSON.Member("branch", string("the branch to replay")), JSON.Member("at", string("the ISO 8601 time to replay as of")),
                          JSON.Member("onto", string("the base to replay onto")), JSON.Member("name", string("the new branch to write the replay to")),
                          JSON.Member("allow_gaps", boolean("write the branch even when gaps are found")),
                          JSON.Member("corrected", boolean("replay on the corrected data"))], required: ["branch", "at"]) { a in
            var args = ["replay", try a.requiredWord("branch"), "--at=" + (try a.required("at"))]
            if let onto = try a.word("onto") { args.append("--onto=" + onto) }
            if let name = try a.word("name") { args.append("--name=" + name) }
            if try a.bool("allow_gaps") { args.append("--allow-gaps") }
            if try a.bool("corrected") { args.append("--corrected") }
            return args
        },
        Tool(name: "audit", description: "The audit log, newest first (rocky audit --json).",
             properties: [JSON.Member("branch", string("only entries about this branch")), JSON.Member("actor", string("only entries by this actor")),
                          JSON.Member("since", string("only entries from this ISO 8601 time on")),
                          JSON.Member("max_count", integer("at most this many entries (default 50)"))], required: []) { a in
            var args = ["audit", "-n=\(try a.int("max_count") ?? 50)"]
            if let branch = try a.string("branch") { args.append("--branch=" + branch) }
            if let actor = try a.string("actor") { args.append("--actor=" + actor) }
            if let since = try a.string("since") { args.append("--since=" + since) }
            return args
        },
    ]

    static func schema(of tool: Tool) -> JSON {
        .object([
            JSON.Member("type", .string("object")),
            JSON.Member("properties", .object(tool.properties)),
            JSON.Member("required", .array(tool.required.map(JSON.string))),
            JSON.Member("additionalProperties", .bool(false)),
        ])
    }

    // MARK: Requests

    func request(_ method: String, _ params: JSON?) throws -> JSON {
        switch method {
        case "initialize":
            let asked = params?["protocolVersion"]?.stringValue ?? ""
            negotiated = true
            return .object([
                JSON.Member("protocolVersion", .string(MCPServer.protocolVersions.contains(asked) ? asked : MCPServer.protocolVersions[0])),
                JSON.Member("capabilities", .object(["tools": .object(["listChanged": .bool(false)]),
                                                     "resources": .object(["listChanged": .bool(false)])])),
                JSON.Member("serverInfo", .object(["name": .string("rocky"), "version": .string(RockyCLI.version)])),
                JSON.Member("instructions", .string(
                    "Rocky, a versioned data store for tables. Every tool acts as actor '\(settings.actor)' in environment '\(settings.environment)': "
                    + "the access policy, masking and audit log apply as on the command line. Branch before writing; results are JSON.")),
            ])
        case "ping":
            return .object([])
        case "tools/list":
            return .object(["tools": .array(MCPServer.tools.map { tool in
                .object([
                    JSON.Member("name", .string(tool.name)),
                    JSON.Member("description", .string(tool.description)),
                    JSON.Member("inputSchema", MCPServer.schema(of: tool)),
                ])
            })])
        case "tools/call":
            guard let name = params?["name"]?.stringValue else { throw RPC.Failure(RPC.invalidParams, "tools/call needs a tool name") }
            guard let tool = MCPServer.tools.first(where: { $0.name == name }) else {
                throw RPC.Failure(RPC.invalidParams, "unknown tool: \(name)")
            }
            let arguments = params?["arguments"] ?? .object([])
            guard case .object = arguments else { throw RPC.Failure(RPC.invalidParams, "arguments is an object") }
            return call(tool, ToolArguments(values: arguments))
        case "resources/list":
            return try resources()
        case "resources/read":
            guard let uri = params?["uri"]?.stringValue else { throw RPC.Failure(RPC.invalidParams, "resources/read needs a uri") }
            return try readResource(uri)
        case "resources/templates/list":
            return .object(["resourceTemplates": .array([.object([
                JSON.Member("uriTemplate", .string("rocky://{branch}/{table}")),
                JSON.Member("name", .string("table")),
                JSON.Member("description", .string("A table's schema (columns, types, key, governance) and row count on a branch")),
                JSON.Member("mimeType", .string("application/json")),
            ])])])
        default:
            throw RPC.Failure(RPC.methodNotFound, "method not found: \(method)")
        }
    }

    /// What a command printed and how it ended.
    struct Outcome {
        var document: JSON
        var messages: String
        var code: Int32
    }

    /// Runs `rocky --json --as <actor> --env <env> <arguments>` in process.
    func runCommand(_ arguments: [String]) -> Outcome {
        var global = ["--json", "--as", settings.actor, "--env", settings.environment]
        if let engine = settings.engine { global += ["--engine", engine] }
        if let runID = settings.runID, arguments.first != AuditCommand.name { global += ["--run-id", runID] }
        let out = OutputStream(.capture), err = OutputStream(.capture)
        let code = RockyCLI.run(global + arguments, environment: environment, directory: directory, out: out, err: err)
        out.flush()
        err.flush()
        let text = out.capturedText
        let document = (try? JSON(parsing: text)) ?? .object(["output": .string(text)])
        return Outcome(document: document, messages: err.capturedText, code: code)
    }

    func failure(_ error: Error) -> Outcome {
        let out = OutputStream(.capture), err = OutputStream(.capture)
        let code = RockyCLI.report(error, json: true, out: out, err: err)
        out.flush()
        err.flush()
        return Outcome(document: (try? JSON(parsing: out.capturedText)) ?? .object([]), messages: err.capturedText, code: code)
    }

    func call(_ tool: Tool, _ arguments: ToolArguments) -> JSON {
        var outcome: Outcome
        do {
            let known = Set(tool.properties.map(\.key))
            if let extra = arguments.values.members?.first(where: { !known.contains($0.key) }) {
                throw UsageError("tool \(tool.name) takes no argument \(extra.key)")
            }
            let command = try tool.arguments(arguments)
            if tool.name == "sql", try !arguments.bool("allow_writes") {
                try requireReadOnly(try arguments.required("statements"))
            }
            outcome = runCommand(command)
            if tool.name == "sql" || tool.name == "show_rows" {
                let limit = (try arguments.int("max_rows")) ?? MCPServer.defaultMaxRows
                outcome.document = MCPServer.truncated(outcome.document, limit: limit, single: tool.name == "show_rows")
            }
        } catch {
            outcome = failure(error)
        }
        var content: [JSON] = [.object(["type": .string("text"), "text": .string(outcome.document.prettyText)])]
        let messages = outcome.messages.trimmingCharacters(in: .whitespacesAndNewlines)
        if !messages.isEmpty { content.append(.object(["type": .string("text"), "text": .string(messages)])) }
        return .object([
            JSON.Member("content", .array(content)),
            JSON.Member("structuredContent", outcome.document),
            JSON.Member("isError", .bool(outcome.code != 0)),
        ])
    }

    /// Refuses statements that change the working set (the sql tool without
    /// allow_writes). A script that does not compile is left to the command,
    /// which reports it and runs nothing.
    func requireReadOnly(_ statements: String) throws {
        let repo = try Repository.open(discoveringFrom: directory, settings: settings)
        let script = SQLCompiler.compile(statements, catalog: try repo.catalog(at: nil), options: try repo.compileOptions())
        if script.hasErrors { return }
        if let write = script.statements.first(where: { $0.kind != .query }) {
            throw UsageError("statement \(write.index + 1) changes the working set (\(write.kind.rawValue)); pass allow_writes: true to run it")
        }
    }

    /// Each SELECT result's rows cut to `limit`, with `row_count` and
    /// `truncated` stated (`single`: show_rows, one result fetched with one
    /// row more than the limit).
    static func truncated(_ document: JSON, limit: Int, single: Bool) -> JSON {
        guard let members = document.members, let results = document["results"]?.arrayValue else { return document }
        let cut: [JSON] = results.map { result in
            guard var fields = result.members, let rows = result["rows"]?.arrayValue else { return result }
            fields.removeAll { $0.key == "rows" }
            fields.append(JSON.Member("rows", .array(Array(rows.prefix(limit)))))
            if !single { fields.append(JSON.Member("row_count", .int(rows.count))) }
            fields.append(JSON.Member("truncated", .bool(rows.count > limit)))
            return .object(fields)
        }
        return .object(members.map { $0.key == "results" ? JSON.Member("results", .array(cut)) : $0 })
    }

    // MARK: Resources

    /// `rocky://<branch>/<table>` for every table of the current branch.
    func resources() throws -> JSON {
        let status = runCommand(["branch"])
        let current = status.document["branches"]?.arrayValue?.first { $0["current"]?.boolValue == true }?["name"]?.stringValue
        let tables = runCommand(["tables"])
        if tables.code != 0 { throw RPC.Failure(RPC.internalError, tables.document["error"]?["message"]?.stringValue ?? "cannot list tables") }
        let branch = current ?? "HEAD"
        return .object(["resources": .array((tables.document["tables"]?.arrayValue ?? []).compactMap { table in
            guard let name = table["name"]?.stringValue else { return nil }
            return .object([
                JSON.Member("uri", .string("rocky://\(branch)/\(name)")),
                JSON.Member("name", .string(name)),
                JSON.Member("description", .string("Table \(name) on \(branch): schema and row count")),
                JSON.Member("mimeType", .string("application/json")),
            ])
        })])
    }

    /// A table's schema document on a branch.
    func readResource(_ uri: String) throws -> JSON {
        let prefix = "rocky://"
        guard uri.hasPrefix(prefix), let slash = uri.lastIndex(of: "/"), slash > uri.index(uri.startIndex, offsetBy: prefix.count) else {
            throw RPC.Failure(-32002, "resource not found: \(uri) (rocky://<branch>/<table>)")
        }
        let branch = String(uri[uri.index(uri.startIndex, offsetBy: prefix.count)..<slash])
        let table = String(uri[uri.index(after: slash)...])
        guard !branch.hasPrefix("-"), !table.hasPrefix("-"), !table.isEmpty else { throw RPC.Failure(-32002, "resource not found: \(uri)") }
        let outcome = runCommand(["schema", table, branch])
        if outcome.code != 0 {
            let error = outcome.document["error"]
            throw RPC.Failure(outcome.code == ExitCode.refused.rawValue ? RPC.invalidRequest : -32002,
                              error?["message"]?.stringValue ?? "cannot read \(uri)", data: error)
        }
        return .object(["contents": .array([.object([
            JSON.Member("uri", .string(uri)),
            JSON.Member("mimeType", .string("application/json")),
            JSON.Member("text", .string(outcome.document.prettyText)),
        ])])])
    }
}
