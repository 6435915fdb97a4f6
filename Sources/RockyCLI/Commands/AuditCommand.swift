import Rocky
import RockyBase

/// `rocky audit`.
struct AuditCommand: Command {
    static let name = "audit"
    static let abstract = "Show or verify the audit trail"
    static let usage = ["audit [--branch <b>] [--actor <a>] [--run-id <id>] [--since <ISO time>] [-n <N>]", "audit --verify"]
    static let help = """
    Every branch operation (create, import, sql, run, commit, checkout, merge,
    replay, delete) appends an entry to .rocky/audit.log: time, actor,
    operation, branch, old and new ids, state hashes, row counts, statements,
    environment, run id, and the hash of the previous entry.

    options:
      --branch, --actor, --run-id, --since   filter the entries
      -n <N>                                  the last N entries only
      --verify   check the hash chain; exits 1 naming the first bad entry
                 (edited, removed, inserted, reordered or truncated)
    """

    let verify: Bool
    let branch: String?
    let actor: String?
    let runID: String?
    let since: Timestamp?
    let limit: Int?

    init(parsing arguments: inout Arguments) throws {
        verify = arguments.flag("--verify")
        branch = try arguments.option("--branch")
        actor = try arguments.option("--actor")
        runID = try arguments.option("--run-id")
        limit = try arguments.intOption("-n")
        if let text = try arguments.option("--since") {
            guard let t = Timestamp(parsing: text) else { throw arguments.usage("--since needs an ISO 8601 time") }
            since = t
        } else {
            since = nil
        }
        _ = try arguments.positionals(max: 0, names: "no arguments")
    }

    func run(_ context: CommandContext) throws {
        let repo = try context.repository()
        if verify {
            let result = try repo.verifyAudit()
            if context.json {
                context.emit(.object([
                    "intact": .bool(result.isIntact), "entries": .int(result.entries),
                    "first_bad_line": result.firstBad.map { .int($0.line) }, "reason": result.firstBad.map { .string($0.reason) },
                ]))
            } else if let bad = result.firstBad {
                context.out.line("audit.log line \(bad.line): \(bad.reason)")
            } else {
                context.out.line("ok: \(result.entries) entries, the hash chain is unbroken")
            }
            if let bad = result.firstBad { throw ExitStatus(code: .failure, message: "the audit trail is broken at line \(bad.line)") }
            return
        }
        var entries = try repo.auditEntries().filter { e in
            (branch == nil || e.branch == branch) && (actor == nil || e.actor == actor)
                && (runID == nil || e.runID == runID) && (since.map { e.time >= $0 } ?? true)
        }
        if let limit { entries = Array(entries.suffix(limit)) }
        if context.json {
            context.emit(.object(["entries": .array(entries.map(\.publicJSON))]))
            return
        }
        context.out.write(Render.table(["seq", "time", "actor", "operation", "branch", "detail"], entries.map { e in
            let detail = [e.details?["table"]?.stringValue, e.details?["message"]?.stringValue, e.newID.map { "-> " + $0.short() }]
                .compactMap { $0 }.joined(separator: " ")
            return [String(e.sequence), e.time.description, e.actor, e.operation, e.branch ?? "-", Render.truncate(detail, 60)]
        }))
    }
}
