import Rocky
import RockyBase

/// `rocky audit`.
struct AuditCommand: Command {
    static let name = "audit"
    static let abstract = "Show or verify the audit trail"
    static let usage = ["audit [--branch <b>] [--actor <a>] [--run-id <id>] [--since <ISO time>] [-n <N>] [--format table|csv|json|jsonl]", "audit --verify",
                        "audit --recover"]
    static let help = """
    Every branch operation (create, import, sql, run, commit, checkout, merge,
    replay, delete) appends an entry to .rocky/audit.log: time, actor,
    operation, branch, old and new ids, state hashes, row counts, statements,
    environment, run id, and the hash of the previous entry.

    options:
      --branch, --actor, --run-id, --since   filter the entries
      -n <N>                                  the last N entries only
      --format <f>   table (default; 'text' is the same), csv, json (the --json
                     document), jsonl: one record per entry (Docs/json.md)
      --verify   check the hash chain, and every branch's reflog against it
                 (each move names its entry); exits 1 naming the first bad
                 entry (edited, removed, inserted, reordered or truncated) and
                 each branch whose moves the log does not hold (a deleted log,
                 a rolled-back branch, a move without an entry)
      --recover  append a `recovered` entry for each branch move the log
                 lacks (a move without an entry, a ref changed outside rocky);
                 exits 1 if problems remain that no entry can vouch for
    """

    let verify: Bool
    let recover: Bool
    let branch: String?
    let actor: String?
    let runID: String?
    let since: Timestamp?
    let limit: Int?
    let format: String?

    init(parsing arguments: inout Arguments) throws {
        format = try DataFormat.option(&arguments)
        verify = arguments.flag("--verify")
        recover = arguments.flag("--recover")
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
        if verify || recover, format != nil {
            throw arguments.usage("--format is for the list of entries; --verify and --recover print text or --json")
        }
    }

    func run(_ context: CommandContext) throws {
        let repo = try context.repository()
        if recover {
            let (recorded, remaining) = try repo.recoverAudit()
            if context.json {
                context.emit(.object(["recorded": .array(recorded.map(Self.json)), "remaining": .array(remaining.map(Self.json))]))
            } else {
                for p in recorded { context.out.line("recorded: \(p)") }
                for p in remaining { context.out.line("cannot record: \(p)") }
                if recorded.isEmpty && remaining.isEmpty { context.out.line("nothing to recover: every branch move is in the audit trail") }
            }
            if !remaining.isEmpty {
                throw ExitStatus(code: .failure, message: "\(remaining.count) problem(s) remain: the audit log lost or changed entries", error: "audit_unrecoverable")
            }
            return
        }
        if verify {
            let result = try repo.verifyAudit()
            if context.json {
                context.emit(.object([
                    "intact": .bool(result.isIntact), "entries": .int(result.entries),
                    "first_bad_line": result.firstBad.map { .int($0.line) }, "reason": result.firstBad.map { .string($0.reason) },
                    "problems": .array(result.anchorProblems.map(Self.json)), "notes": .array(result.notes.map(JSON.string)),
                ]))
            } else if let bad = result.firstBad {
                context.out.line("audit.log line \(bad.line): \(bad.reason)")
            } else if !result.anchorProblems.isEmpty {
                for p in result.anchorProblems { context.out.line(p.description) }
            } else {
                context.out.line("ok: \(result.entries) entries, the hash chain is unbroken and every branch move is in it")
            }
            if !context.json { for note in result.notes { context.note("note: " + note) } }
            if let bad = result.firstBad { throw ExitStatus(code: .failure, message: "the audit trail is broken at line \(bad.line)", error: "audit_broken") }
            if !result.anchorProblems.isEmpty {
                let fix = result.anchorProblems.allSatisfy(\.isRecoverable) ? "; `rocky audit --recover` records them" : ""
                throw ExitStatus(code: .failure, message: "\(result.anchorProblems.count) branch move(s) disagree with the audit trail\(fix)", error: "audit_anchor_mismatch")
            }
            return
        }
        var entries = try repo.auditEntries().filter { e in
            (branch == nil || e.branch == branch) && (actor == nil || e.actor == actor)
                && (runID == nil || e.runID == runID) && (since.map { e.time >= $0 } ?? true)
        }
        if let limit { entries = Array(entries.suffix(limit)) }
        let records = entries.map(\.publicJSON)
        try DataFormat.print(format, context, document: .object(["entries": .array(records)]), records: records) { context in
            Self.printTable(entries, context)
        }
    }

    private static func printTable(_ entries: [AuditEntry], _ context: CommandContext) {
        context.out.write(Render.table(["seq", "time", "actor", "operation", "branch", "detail"], entries.map { e in
            let detail = [e.details?["table"]?.stringValue, e.details?["message"]?.stringValue, e.newID.map { "-> " + $0.short() }]
                .compactMap { $0 }.joined(separator: " ")
            return [String(e.sequence), e.time.description, e.actor, e.operation, e.branch ?? "-", Render.truncate(detail, 60)]
        }))
    }

    private static func json(_ problem: AuditAnchorProblem) -> JSON {
        .object(["ref": .string(problem.ref), "message": .string(problem.message), "recoverable": .bool(problem.isRecoverable)])
    }
}
