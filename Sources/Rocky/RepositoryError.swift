import RockyStore

/// Errors of the library API, beside the store's own `StoreError`.
/// RockyCLI maps each to an exit code in one place.
public enum RepositoryError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A revision that names nothing: `what` is the text the user gave.
    case unknownRevision(String, reason: String)
    case branchExists(String)
    case noSuchBranch(String)
    case cannotDeleteCurrentBranch(String)
    /// A malformed argument or value, with what is expected.
    case invalidArgument(String)

    public var description: String {
        switch self {
        case let .unknownRevision(text, reason): "unknown revision '\(text)': \(reason)"
        case let .branchExists(name): "a branch named '\(name)' already exists"
        case let .noSuchBranch(name): "no branch named '\(name)'"
        case let .cannotDeleteCurrentBranch(name): "cannot delete the branch '\(name)': it is checked out (check out another branch first)"
        case let .invalidArgument(message): message
        }
    }
}
