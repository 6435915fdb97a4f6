import RockyBase
import RockyStore

/// Errors of the library API, beside the store's own `StoreError`.
/// RockyCLI maps each to an exit code in one place.
public enum RepositoryError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A revision that names nothing: `what` is the text the user gave.
    case unknownRevision(String, reason: String)
    case branchExists(String)
    /// `nearest`: the branch the name probably meant (`Suggestion`).
    case noSuchBranch(String, nearest: String? = nil)
    case cannotDeleteCurrentBranch(String)
    /// A malformed argument or value, with what is expected.
    case invalidArgument(String)
    /// The working set was started from a commit the branch no longer holds.
    case workingSetDiverged(branch: String, base: ObjectID, head: ObjectID)
    /// Another process changed what this command was changing.
    case concurrentChange(String)
    case noSuchTable(String, available: [String])
    case nothingToCommit
    /// Checkout would lose uncommitted work.
    /// `fix`: what the command that refused can do about it.
    case uncommittedChanges([String], fix: String)
    /// The access policy in force does not let the actor do this.
    case accessDenied(actor: String, action: String, branch: String?, environment: String?, roles: [String])
    /// A commit id (or detached HEAD) that no branch the actor may read contains.
    case commitNotReadable(actor: String, revision: String, roles: [String])
    /// rocky.toml (`file`, with the revision when committed) does not parse or breaks a rule.
    case malformedConfig(file: String, reason: String)
    /// An input file other than rocky.toml (an import's `--schema` file)
    /// that does not parse or breaks a rule: the path, then what is wrong.
    case malformedFile(path: String, reason: String)
    /// Two revisions share no commit.
    case noForkPoint(String, String)
    /// A file could not be read, written or spooled.
    case fileFailure(path: String, reason: String)
    /// The SQL engine did something other than what was asked.
    case engineFailure(String)
    /// `--env` / `ROCKY_ENV` names an environment rocky.toml does not declare.
    case unknownEnvironment(String, declared: [String])
    /// `--engine` / `ROCKY_ENGINE` (or an environment's `engine`) names an
    /// engine rocky.toml does not declare.
    case unknownEngine(String, declared: [String])

    public var description: String {
        switch self {
        case let .unknownRevision(text, reason): "unknown revision '\(text)': \(reason)"
        case let .branchExists(name): "a branch named '\(name)' already exists"
        case let .noSuchBranch(name, nearest): "no branch named '\(name)'" + (nearest.map { "; did you mean '\($0)'?" } ?? "")
        case let .cannotDeleteCurrentBranch(name): "cannot delete the branch '\(name)': it is checked out (check out another branch first)"
        case let .invalidArgument(message): message
        case let .workingSetDiverged(branch, base, head):
            "the working set of \(branch) was started from \(base.short()) but the branch is now at \(head.short()); "
                + "commit or discard it (rocky checkout --force \(branch)) first"
        case let .concurrentChange(message): message
        case let .noSuchTable(name, available):
            "no table named '\(name)'" + (available.isEmpty ? " (there are no tables)" : " (tables: \(available.joined(separator: ", ")))")
                + Suggestion.didYouMean(name, among: available)
        case .nothingToCommit: "nothing to commit: the working set and the project files are as in HEAD"
        case let .accessDenied(actor, action, branch, environment, roles):
            "refused: \(actor) lacks the '\(action)' permission"
                + (branch.map { " on branch \($0)" } ?? "") + (environment.map { " for environment \($0)" } ?? "")
                + (roles.isEmpty ? " (\(actor) has no role in the policy committed on the protected branch)" : " (roles: \(roles.joined(separator: ", ")))")
        case let .commitNotReadable(actor, revision, roles):
            "refused: \(actor) may not read \(revision): it is on no branch \(actor) has the 'read' permission on, and \(actor) lacks 'admin'"
                + (roles.isEmpty ? " (\(actor) has no role in the policy committed on the protected branch)" : " (roles: \(roles.joined(separator: ", ")))")
        case let .malformedConfig(file, reason): file + (reason.first?.isNumber == true ? ":" : ": ") + reason
        case let .malformedFile(path, reason): path + (reason.first?.isNumber == true ? ":" : ": ") + reason
        case let .noForkPoint(a, b): "\(a) and \(b) share no history: there is no fork point"
        case let .fileFailure(path, reason): "\(path): \(reason)"
        case let .engineFailure(message): message
        case let .unknownEnvironment(name, declared):
            "unknown environment '\(name)': rocky.toml declares "
                + (declared.isEmpty ? "no environments (only dev may be used without a declaration)" : declared.joined(separator: ", "))
                + Suggestion.didYouMean(name, among: declared)
        case let .unknownEngine(name, declared):
            "unknown engine '\(name)': rocky.toml declares " + (declared.isEmpty ? "no engines" : declared.joined(separator: ", "))
                + " (sqlite, the embedded engine, needs no declaration)"
                + Suggestion.didYouMean(name, among: declared)
        case let .uncommittedChanges(paths, fix):
            "uncommitted changes would be lost: \(paths.joined(separator: ", ")). \(fix)"
        }
    }
}
