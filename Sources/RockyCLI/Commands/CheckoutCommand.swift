import Rocky
import RockyBase
import RockyStore

/// `rocky checkout`.
struct CheckoutCommand: Command {
    static let name = "checkout"
    static let abstract = "Switch branches, or check out a historical state"
    static let usage = ["checkout <branch>", "checkout -b <new-branch> [<start>]", "checkout <commit>",
                        "checkout --at <ISO time>"]
    static let help = """
    Switches to <branch>, or detaches HEAD at <commit> (auditors: any
    revision, a full id or a prefix), and writes that revision's project files
    (rocky.toml, models/) into the working directory. --at detaches at the
    current branch's state at that time (the newest first-parent commit at or
    before it). Uncommitted changes make checkout refuse, listing them.

    options:
      -b <new-branch>   create the branch at <start> (default HEAD) and switch to it;
                        uncommitted changes move with you when <start> is the current commit
      --at <time>       detach at the current branch's state at this ISO 8601 time
      --force           discard uncommitted changes (-f is not accepted: it names a file in rocky)
    """

    let revision: String?
    let newBranch: String?
    let at: Timestamp?
    let force: Bool

    init(parsing arguments: inout Arguments) throws {
        force = try arguments.forceFlag()
        newBranch = try arguments.option("-b")
        if let text = try arguments.option("--at") {
            guard let t = Timestamp(parsing: text) else { throw arguments.usage("--at needs an ISO 8601 time, not '\(text)'") }
            at = t
        } else {
            at = nil
        }
        let names = try arguments.positionals(max: 1, names: "<branch> | <commit>")
        revision = names.first
        if at != nil && (revision != nil || newBranch != nil) { throw arguments.usage("--at takes no revision or -b") }
        if at == nil && revision == nil && newBranch == nil { throw arguments.usage("checkout needs a branch, a commit or --at") }
    }

    func run(_ context: CommandContext) throws {
        let repo = try context.repository()
        let target: WorkTarget
        if let at {
            target = try repo.checkout(at: at, force: force)
        } else {
            target = try repo.checkout(revision ?? "HEAD", newBranch: newBranch, force: force)
        }
        if context.json {
            context.emit(.object([
                "branch": target.branch.map(JSON.string),
                "head": .string(target.head.hex),
                "detached": .bool(target.branch == nil),
            ]))
        } else if let branch = target.branch {
            context.out.line((newBranch != nil ? "Switched to a new branch '" : "Switched to branch '") + branch + "'")
        } else {
            let commit = try repo.commit(target.head.hex).commit
            context.out.line("HEAD is now at \(target.head.short()) (\(commit.time)) \(commit.message.split(separator: "\n").first ?? "")")
            context.note("You are in 'detached HEAD' state: you can look around and read any table as it was.")
        }
    }
}
