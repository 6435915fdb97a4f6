import Rocky
import RockyBase
import RockyStore

/// `rocky rev-parse <rev>`.
struct RevParseCommand: Command {
    static let name = "rev-parse"
    static let abstract = "Print the commit id a revision names"
    static let usage = ["rev-parse <rev>..."]
    static let help = """
    Revisions: a full id or a prefix of 4+ hex digits, a branch name, HEAD,
    <branch>@{<ISO time>} (the newest first-parent commit at or before that
    time), followed by any of ~N (N first parents back), ~, ^ and ^N (Nth parent).
    """

    let revisions: [String]

    init(parsing arguments: inout Arguments) throws {
        revisions = try arguments.positionals(max: .max, names: "<rev>...")
        if revisions.isEmpty { throw arguments.usage("rev-parse needs a revision") }
    }

    func run(_ context: CommandContext) throws {
        let repo = try context.repository()
        let ids = try revisions.map { try repo.resolve($0) }
        if context.json {
            context.emit(.object(["ids": .array(ids.map { .string($0.hex) })]))
        } else {
            for id in ids { context.out.line(id.hex) }
        }
    }
}

/// `rocky update-ref`: move a ref by compare-and-swap.
struct UpdateRefCommand: Command {
    static let name = "update-ref"
    static let abstract = "Move or delete a ref by compare-and-swap (plumbing)"
    static let usage = ["update-ref <ref> <new> [<old>]", "update-ref -d <ref> [<old>]"]
    static let help = """
    <ref> is a full ref name (refs/heads/x) or a branch name. With <old>, the
    update happens only if the ref still holds <old> (64 zeros: it must not
    exist); otherwise it fails with exit code 3 naming the expected and actual
    ids. Without <old>, the ref moves whatever it holds. The access policy
    applies as for commit and branch -d (write or delete on a branch, admin
    for an [access] change on the protected branch or for any other ref), and
    the move is audited.

    options:
      -d   delete the ref
      -m <message>   the reflog message
    """

    let delete: Bool
    let ref: String
    let new: String?
    let old: String?
    let message: String

    init(parsing arguments: inout Arguments) throws {
        delete = arguments.flag("-d")
        message = try arguments.option("-m") ?? "update-ref"
        let names = try arguments.positionals(max: delete ? 2 : 3, names: delete ? "<ref> [<old>]" : "<ref> <new> [<old>]")
        guard names.count >= (delete ? 1 : 2) else { throw arguments.usage("missing arguments") }
        ref = names[0]
        new = delete ? nil : names[1]
        old = names.count > (delete ? 1 : 2) ? names.last : nil
    }

    func run(_ context: CommandContext) throws {
        let repo = try context.repository()
        let refName = ref.hasPrefix("refs/") ? try RefName(validating: ref) : try RefName.branch(ref)
        let newID = try new.map { try repo.resolveObject(prefix: $0) }
        let expected: ObjectID?? = try old.map { $0 == String(repeating: "0", count: 64) ? nil : try repo.resolveObject(prefix: $0) }
        try repo.updateRef(refName, to: newID, expected: expected, message: message)
        if context.json {
            context.emit(.object(["ref": .string(refName.path), "new": newID.map { .string($0.hex) } ?? .null]))
        }
    }
}

/// `rocky commit-tree`: write a commit object for a tree.
struct CommitTreeCommand: Command {
    static let name = "commit-tree"
    static let abstract = "Write a commit for a tree and print its id (plumbing)"
    static let usage = ["commit-tree <tree> [-p <parent>]... -m <message>"]
    static let help = """
    Writes a commit with the given tree and parents, the actor and time of
    this invocation, and prints its id. No ref moves: use update-ref.
    """

    let tree: String
    let parents: [String]
    let message: String

    init(parsing arguments: inout Arguments) throws {
        parents = try arguments.options("-p")
        guard let message = try arguments.option("-m") else { throw arguments.usage("commit-tree needs -m <message>") }
        self.message = message
        guard let tree = try arguments.positionals(max: 1, names: "<tree>").first else {
            throw arguments.usage("commit-tree needs a tree id")
        }
        self.tree = tree
    }

    func run(_ context: CommandContext) throws {
        let repo = try context.repository()
        let id = try repo.writeCommit(tree: tree, parents: parents, message: message)
        context.json ? context.emit(.object(["id": .string(id.hex)])) : context.out.line(id.hex)
    }
}
