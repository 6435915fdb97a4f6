import Foundation
import Rocky
import RockyBase

/// `rocky mcp`.
struct MCPCommand: Command {
    static let name = "mcp"
    static let abstract = "Serve the Model Context Protocol on stdio, for agents"
    static let usage = ["mcp [--max-message-bytes <N>]"]
    static let help = """
    A Model Context Protocol server (revision 2025-06-18, also 2025-03-26)
    on standard input and output, one JSON-RPC message per line, for the
    actor of --as (else ROCKY_ACTOR) in the environment of --env. Each tool
    runs a rocky command in process with --json: the access policy, masking
    and audit log apply exactly as on the command line, and a refusal is a
    tool error carrying the command's error code. Tools: status,
    list_branches, create_branch, checkout, log, diff, tables, schema,
    show_rows, sql, commit, run_models, check, merge, lineage, replay,
    audit. Resources: rocky://<branch>/<table> (a table's schema). Ends at
    the end of its input. See Docs/agents.md.

    options:
      --max-message-bytes <N>   refuse messages larger than N bytes (default 8 MiB)
    """

    let maxBytes: Int

    init(parsing arguments: inout Arguments) throws {
        maxBytes = try arguments.intOption("--max-message-bytes") ?? (8 << 20)
        _ = try arguments.positionals(max: 0, names: "")
    }

    func run(_ context: CommandContext) throws {
        if context.json { throw UsageError("rocky mcp speaks JSON-RPC on standard output; --json does not apply", command: MCPCommand.self) }
        let server = MCPServer(settings: context.settings, directory: context.directory, environment: context.environment)
        let streams = ServerStreams.current
        let rpc = RPCServer(framing: .newline, inputFD: streams.input, outputFD: streams.output, maxMessageBytes: maxBytes,
                            cancelMethod: "notifications/cancelled",
                            cancelIDKey: "requestId", answerCancelled: false)
        rpc.serve(request: { method, params, _ in try server.request(method, params) }, notification: { _, _ in })
    }
}

/// `rocky lsp`.
struct LSPCommand: Command {
    static let name = "lsp"
    static let abstract = "Serve the Language Server Protocol on stdio, for editors"
    static let usage = ["lsp [--max-message-bytes <N>]"]
    static let help = """
    A Language Server for models/*.sql and other .sql files in a
    repository, on standard input and output (Content-Length framing):
    diagnostics from the typed compiler with Rocky's error codes, computed
    from the unsaved text on every change; hover (a column's type,
    nullability, classification and masking in the environment; a table's
    key, row count and last commit); completion of tables, columns of the
    tables in FROM, functions and keywords; signature help for functions;
    go to definition (a model opens its file, a table its schema); find
    references across models; document symbols; a code lens with each
    model's last run; rocky/lineage for a column. The environment is the client's initializationOptions
    "environment", else --env. It reads committed tables and the working set
    without taking a lock. See Docs/editors.md.

    options:
      --max-message-bytes <N>   refuse messages larger than N bytes (default 8 MiB)
    """

    let maxBytes: Int

    init(parsing arguments: inout Arguments) throws {
        maxBytes = try arguments.intOption("--max-message-bytes") ?? (8 << 20)
        _ = try arguments.positionals(max: 0, names: "")
    }

    func run(_ context: CommandContext) throws {
        if context.json { throw UsageError("rocky lsp speaks JSON-RPC on standard output; --json does not apply", command: LSPCommand.self) }
        let streams = ServerStreams.current
        let rpc = RPCServer(framing: .contentLength, inputFD: streams.input, outputFD: streams.output, maxMessageBytes: maxBytes,
                            cancelMethod: "$/cancelRequest",
                            cancelIDKey: "id", answerCancelled: true)
        let server = LanguageServer(rpc: rpc, settings: context.settings, directory: context.directory)
        rpc.serve(request: { method, params, _ in try server.request(method, params) },
                  notification: { method, params in server.notification(method, params) })
        try? FileManager.default.removeItem(atPath: server.schemaFolder)
        // LSP: `exit` without `shutdown` first exits 1; the end of the input ends cleanly.
        if server.exitRequested && !server.shutdownRequested {
            throw ExitStatus(code: .failure, message: "exit without shutdown", error: "failed")
        }
    }
}
