import Rocky
import RockyBase

/// `rocky init [<dir>]`.
struct InitCommand: Command {
    static let name = "init"
    static let abstract = "Create a repository"
    static let usage = ["init [<dir>]"]
    static let help = """
    Creates .rocky/ in <dir> (default: the current folder), with HEAD on the
    branch main and a root commit on main, so that branching works at once.
    """

    let directory: String?

    init(parsing arguments: inout Arguments) throws {
        directory = try arguments.positionals(max: 1, names: "<dir>").first
    }

    func run(_ context: CommandContext) throws {
        let target = context.path(directory ?? ".")
        let repo = try Repository.initialize(at: target, settings: context.settings)
        let head = try repo.resolve("HEAD")
        if context.json {
            context.emit(.object([
                "path": .string(repo.workDirectory),
                "branch": .string(Repository.defaultBranch),
                "commit": .string(head.hex),
            ]))
        } else {
            context.out.line("Initialized empty rocky repository in \(repo.rockyDirectory)")
        }
    }
}
