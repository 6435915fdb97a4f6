import Rocky
import RockyBase
import RockyEngine
import RockyStore
import RockyTable

/// The exit codes of DESIGN.md, and the one place errors map to them.
enum ExitCode: Int32 {
    case success = 0
    case failure = 1
    case usage = 2
    /// A merge conflict, or a ref that moved under a compare-and-swap.
    case conflict = 3
    /// Replay found gaps or corrections.
    case replayGaps = 4
    /// Refused by governance or access policy.
    case refused = 5

    static func of(_ error: Error) -> ExitCode {
        switch error {
        case is UsageError: return .usage
        case let error as CompileFailure: return error.refusedByGovernance ? .refused : .failure
        case is MergeConflicts, is MergeCompileFailure, is MergeTargetMoved: return .conflict
        case is ReplayGapsFound: return .replayGaps
        case is HistoryError: return .failure
        case let error as MergeStateError: return error.reason == .conflictsRemain ? .conflict : .failure
        case let error as RepositoryError:
            switch error {
            case .invalidArgument, .unknownEnvironment, .unknownEngine: return .usage
            case .workingSetDiverged, .concurrentChange: return .conflict
            case .accessDenied, .commitNotReadable: return .refused
            default: return .failure
            }
        case let error as RemoteError:
            switch error {
            case .nonFastForward, .pushRaced, .remoteTagDiffers: return .conflict
            case .invalidRemoteName, .invalidDuration: return .usage
            default: return .failure
            }
        case let error as HTTPRemoteError:
            if case .invalidURL = error { return .usage }
            if case .unreadableCAFile = error { return .usage }
            return error.isRefusal ? .refused : .failure
        case let error as StoreError:
            switch error {
            case .refMoved: return .conflict
            case .invalidRefName: return .usage
            default: return .failure
            }
        default:
            return .failure
        }
    }

    /// A stable, machine-readable name for the error, for `--json` output.
    static func code(of error: Error) -> String {
        switch error {
        case is UsageError: return "usage"
        case let error as CompileFailure: return error.refusedByGovernance ? "refused_by_governance" : "compile_error"
        case let error as ExecutionFailure:
            if case .constraintViolation = error.underlying as? EngineError { return "constraint_violation" }
            return "execution_failed"
        case let error as EngineError:
            if case .constraintViolation = error { return "constraint_violation" }
            return "error"
        case is IncrementalMismatch: return "incremental_mismatch"
        case is UTF8Text.Invalid: return "invalid_utf8"
        case is ModelCycle: return "model_cycle"
        case is MergeConflicts: return "merge_conflict"
        case is MergeCompileFailure: return "merge_breaks_compilation"
        case is MergeTargetMoved: return "target_moved"
        case is ReplayGapsFound: return "replay_gaps"
        case let error as HistoryError:
            switch error {
            case .tagExists: return "tag_exists"
            case .noSuchTag: return "no_such_tag"
            case .branchNotMerged: return "branch_not_merged"
            case .nothingToStash: return "nothing_to_stash"
            case .noStash: return "no_stash"
            case .noChange: return "nothing_to_commit"
            }
        case let error as MergeStateError: return error.reason.rawValue
        case let error as RemoteError: return error.code
        case let error as HTTPRemoteError: return error.code
        // `import_io`, `import_field_count`, `import_duplicate_key`, ...
        case let error as ImportError: return "import_" + JSONContract.snakeCase(String(describing: error.kind))
        case is NoSuchColumn: return "no_such_column"
        case let error as StoreError:
            switch error {
            case .objectNotFound: return "object_not_found"
            case .ambiguousPrefix: return "ambiguous_prefix"
            case .corruptObject: return "corrupt_object"
            case .wrongKind: return "wrong_kind"
            case .invalidRefName: return "invalid_ref_name"
            case .refNotFound: return "ref_not_found"
            case .refMoved: return "ref_moved"
            case .refLocked: return "ref_locked"
            case .busy: return "busy"
            case .refExists: return "ref_exists"
            case .io: return "io"
            case .notARepository: return "not_a_repository"
            case .alreadyARepository: return "already_a_repository"
            case .malformed: return "malformed"
            case .unsafePath: return "unsafe_path"
            }
        case let error as RepositoryError:
            switch error {
            case .unknownRevision: return "unknown_revision"
            case .branchExists: return "branch_exists"
            case .noSuchBranch: return "no_such_branch"
            case .cannotDeleteCurrentBranch: return "current_branch"
            case .invalidArgument: return "invalid_argument"
            case .workingSetDiverged: return "working_set_diverged"
            case .concurrentChange: return "concurrent_change"
            case .noSuchTable: return "no_such_table"
            case .nothingToCommit: return "nothing_to_commit"
            case .uncommittedChanges: return "uncommitted_changes"
            case .accessDenied: return "access_denied"
            case .commitNotReadable: return "commit_not_readable"
            case .malformedConfig: return "malformed_config"
            case .malformedFile: return "malformed_file"
            case .noForkPoint: return "no_fork_point"
            case .fileFailure: return "file_failure"
            case .engineFailure: return "engine_failure"
            case .unknownEnvironment: return "unknown_environment"
            case .unknownEngine: return "unknown_engine"
            }
        default:
            return "error"
        }
    }

    /// Members a failure's JSON `error` carries beside its code, so that an
    /// orchestrator need not parse the message: an access refusal names the
    /// permission the actor lacks, and where (Docs/json.md).
    static func details(of error: Error) -> [JSON.Member] {
        guard case let RepositoryError.accessDenied(actor, action, branch, environment, roles) = error else { return [] }
        return [
            JSON.Member("actor", .string(actor)),
            JSON.Member("permission", .string(action)),
            JSON.Member("branch", branch.map(JSON.string) ?? .null),
            JSON.Member("environment", environment.map(JSON.string) ?? .null),
            JSON.Member("roles", .array(roles.map(JSON.string))),
        ]
    }
}
