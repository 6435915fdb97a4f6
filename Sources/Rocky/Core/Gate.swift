import Foundation
import RockyBase
import RockyStore
import Synchronization

/// Every public operation of `Repository`, by the name of its function.
///
/// Each public function of `Repository` starts with
/// `let context = try gate(.name); defer { context.end() }`: the gate loads
/// the policy in force once, and the operation then authorizes through its
/// context every revision it reads or writes, and writes its audit entry
/// through it. GateTests scans Sources/Rocky for public functions on
/// `Repository` and checks each is listed here and opens with its gate.
enum Operation: String, CaseIterable, Sendable {
    // Core
    case resolve, commit, writeBlob, describeObject
    case objectHeader, streamObject, resolveObject, writeCommit
    // Project, governance
    case workingConfig, committedConfig, accessPolicy, authorize, protectedBranchName
    case catalogInForce, classify, auditEntries, verifyAudit, recoverAudit, checkEnvironment, authorizePrintingStoredValues
    // Working set
    case currentBranch, branches, createBranch, deleteBranch, updateRef
    case checkout, status, currentTarget, target, workingSet
    case importTable, exportTable, tableIDs, tables, table, rows
    // Execution
    case runSQL, execute, models, modelOrder, runModels, checkModels, cost, lastRun, catalog, maskingConfig, compileOptions
    // History, lineage
    case log, show, commitsSince, diff, merge, replay, lineage
    case tag, tags, deleteTag, revert, cherryPick, reset, reflog, stash, stashList, stashPop, renameBranch
    case blame, conflicts, resolveConflicts, continueMerge, abortMerge
    // Remote
    case remotes, remote, addRemote, removeRemote, fetch, pull, push, pushTags, isAncestor
    case servedRefs, servedTags, serveFetch, serveReceive
    // Maintenance
    case fsck, fsckCaches, collectGarbage, collectEngineGarbage
}

/// What one operation knows while it runs: the actor, the environment, the
/// access policy in force (loaded once, when the operation starts) and the
/// environment's masking policy. Authorization and audit go through it.
///
/// An operation that calls another public operation (merge computing a
/// diff, pull fetching and merging) runs the inner one under the outer
/// context: the outer operation has authorized every revision it touches,
/// so the inner one's checks are not repeated. Audit entries are always written.
final class OperationContext {
    let repository: Repository
    let operation: Operation
    let actor: String
    let environment: String
    /// The `[access]` policy in force (empty: everything is allowed).
    let policy: AccessPolicy
    /// The context this one runs inside, for an operation called by another.
    let outer: OperationContext?
    private var granted: Set<String> = []
    private var readableCommits: Set<ObjectID> = []
    private var maskingCache: ProjectConfig?

    fileprivate init(repository: Repository, operation: Operation, policy: AccessPolicy, outer: OperationContext?) {
        self.repository = repository
        self.operation = operation
        actor = repository.settings.actor
        environment = repository.settings.environment
        self.policy = policy
        self.outer = outer
    }

    /// Whether the checks were made by an outer operation.
    var isNested: Bool { outer != nil }

    /// The outermost operation: the one whose checks count.
    var root: OperationContext { outer?.root ?? self }

    /// Ends the operation (the `defer` after `gate`).
    func end() {
        Gatekeeper.pop(self)
    }

    /// The masking policy of rocky.toml in force (the environments of the
    /// protected branch), read once; the Governance masking functions take it.
    func maskingPolicy() throws -> ProjectConfig {
        if let maskingCache { return maskingCache }
        let config = try repository.maskingConfigUngated()
        maskingCache = config
        return config
    }

    // MARK: Authorization

    /// Throws `accessDenied` (exit code 5) unless the actor may do `action`
    /// on `branch` (and, for `use`, in the operation's environment).
    func authorize(_ action: AccessAction, branch: String?, environment: String? = nil) throws {
        if isNested || policy.isEmpty { return }
        let env = action == .use ? (environment ?? self.environment) : nil
        let key = "\(action.rawValue)\u{0}\(branch ?? "")\u{0}\(env ?? "")"
        if granted.contains(key) { return }
        guard policy.permits(actor, action, branch: branch, environment: env) else {
            throw RepositoryError.accessDenied(actor: actor, action: action.rawValue, branch: branch,
                                               environment: env, roles: policy.principals[actor] ?? [])
        }
        granted.insert(key)
    }

    /// Resolves a revision and authorizes it: a branch (also `B~N`, `B^`,
    /// `B@{T}`, `HEAD` on a branch, a remote-tracking `R/B`) needs `action`
    /// on that branch; a commit id or prefix (or a detached HEAD) needs
    /// `read` on a branch whose history contains it, or `admin`.
    @discardableResult
    func authorizeRevision(_ revision: some RevisionRepresentable, for action: AccessAction = .read) throws -> ObjectID {
        let text = revision.revisionText
        let id = try repository.resolveRevision(text)
        if isNested || policy.isEmpty { return id }
        switch try repository.revisionBranch(text) {
        case let .some(branch): try authorize(action, branch: branch)
        case .none: try authorizeCommit(id, shownAs: text)
        }
        return id
    }

    /// The working set (nil revision) or a revision: the working set of the
    /// checked-out branch needs `action` on it; a detached one, `read` on a
    /// branch that contains its commit.
    func authorizeRevisionOrWorkingSet(_ revision: String?, for action: AccessAction = .read) throws {
        if let revision { try authorizeRevision(revision, for: action); return }
        if isNested || policy.isEmpty { return }
        if let branch = try repository.currentBranch() {
            try authorize(action, branch: branch)
        } else {
            try authorizeRevision("HEAD", for: action)
        }
    }

    /// A commit needs `read` on at least one branch whose history contains
    /// it, or `admin`.
    func authorizeCommit(_ id: ObjectID, shownAs text: String? = nil) throws {
        if isNested || policy.isEmpty || readableCommits.contains(id) { return }
        if policy.permits(actor, .admin, branch: nil, environment: nil) { readableCommits.insert(id); return }
        for entry in try repository.refs.list(prefix: RefName.headsPrefix) {
            guard let branch = entry.name.branchName, policy.permits(actor, .read, branch: branch, environment: nil) else { continue }
            if try entry.id == id || repository.objects.isAncestor(id, of: entry.id) {
                readableCommits.insert(id)
                return
            }
        }
        throw RepositoryError.commitNotReadable(actor: actor, revision: text ?? id.hex, roles: policy.principals[actor] ?? [])
    }

    /// Any object: a commit as `authorizeCommit`; trees, tables and blobs
    /// are not traced back to the commits holding them, so they need `admin`.
    func authorizeObject(_ id: ObjectID) throws {
        if isNested || policy.isEmpty { return }
        if try repository.objects.header(id).kind == .commit { return try authorizeCommit(id) }
        try authorize(.admin, branch: nil)
    }

    // MARK: Audit

    /// Appends the operation's audit entry.
    func record(_ entry: AuditEntry) throws {
        try repository.audit(entry)
    }
}

extension AccessPolicy {
    /// Whether some role of `actor` allows `action` on `branch` (any branch
    /// for nil) and, for `use`, in `environment`.
    func permits(_ actor: String, _ action: AccessAction, branch: String?, environment: String?) -> Bool {
        if isEmpty { return true }
        for name in principals[actor] ?? [] {
            guard let role = roles[name] else { continue }
            guard role.allow.contains("*") || role.allow.contains(action.rawValue) else { continue }
            if let branch, !role.branches.isEmpty, !role.branches.contains(where: { Repository.matches(pattern: $0, branch) }) { continue }
            if action == .use, let environment, !role.environments.isEmpty, !role.environments.contains(environment) { continue }
            return true
        }
        return false
    }
}

/// The operations running on each thread, innermost last, per repository.
enum Gatekeeper {
    private static func key(_ repository: Repository) -> String {
        "rocky.gate.\(UInt(bitPattern: ObjectIdentifier(repository).hashValue))"
    }

    static func current(_ repository: Repository) -> OperationContext? {
        (Thread.current.threadDictionary[key(repository)] as? ContextStack)?.contexts.last
    }

    static func push(_ context: OperationContext) {
        let k = key(context.repository)
        let stack = Thread.current.threadDictionary[k] as? ContextStack ?? ContextStack()
        stack.contexts.append(context)
        Thread.current.threadDictionary[k] = stack
    }

    static func pop(_ context: OperationContext) {
        let k = key(context.repository)
        guard let stack = Thread.current.threadDictionary[k] as? ContextStack,
              let index = stack.contexts.lastIndex(where: { $0 === context }) else { return }
        stack.contexts.removeSubrange(index...)
        if stack.contexts.isEmpty { Thread.current.threadDictionary.removeObject(forKey: k) }
    }

    final class ContextStack { var contexts: [OperationContext] = [] }
}

/// The access policy in force, cached by the commits it was read from (the
/// heads of main and of the protected branch).
final class PolicyCache: Sendable {
    private let state = Mutex<(key: [ObjectID?], policy: AccessPolicy)?>(nil)

    func policy(key: [ObjectID?], load: () throws -> AccessPolicy) throws -> AccessPolicy {
        if let hit = state.withLock({ $0 }), hit.key == key { return hit.policy }
        let policy = try load()
        state.withLock { $0 = (key, policy) }
        return policy
    }
}

extension Repository {
    /// Opens an operation: the one entry point of every public operation.
    /// Call as `let context = try gate(.name); defer { context.end() }`.
    func gate(_ operation: Operation) throws -> OperationContext {
        let outer = Gatekeeper.current(self)
        let policy = try outer?.policy ?? policyInForce()
        let context = OperationContext(repository: self, operation: operation, policy: policy, outer: outer)
        Gatekeeper.push(context)
        return context
    }

    /// The operation running on this thread, for a helper of a gated
    /// operation (one that is not itself an operation).
    var operationContext: OperationContext {
        guard let context = Gatekeeper.current(self) else { preconditionFailure("called outside a gated operation") }
        return context
    }

    /// Runs `body` as one gated operation.
    func gate<R>(_ operation: Operation, _ body: (OperationContext) throws -> R) throws -> R {
        let context = try gate(operation)
        defer { context.end() }
        return try body(context)
    }

    /// `[access]` of rocky.toml as committed on the protected branch (named
    /// by `[access] protected` as committed on main), read without the gate.
    func policyInForce() throws -> AccessPolicy {
        let main = try refs.read(try RefName.branch(Repository.defaultBranch))
        let protectedName = protectedBranchNameInForce()
        let protectedHead = (try? RefName.branch(protectedName)).flatMap { try? refs.read($0) }
        return try policyCache.policy(key: [main, protectedHead]) {
            guard protectedHead != nil else { return AccessPolicy() }
            return try configCommitted(at: protectedName).access
        }
    }

    /// The branch named by `[access] protected` as committed on main.
    func protectedBranchNameInForce() -> String {
        (try? configCommitted(at: Repository.defaultBranch))?.access.protected.first ?? Repository.defaultBranch
    }

    /// The branch a revision's permission is checked on: the branch it names
    /// or starts from (`B`, `B~2`, `B@{T}`, `refs/heads/B`, `HEAD` on `B`,
    /// the remote-tracking `R/B` for `B`), or nil for a commit id or a
    /// detached HEAD.
    func revisionBranch(_ text: String) throws -> String? {
        var (base, _) = try splitSuffixes(text)
        if let at = base.range(of: "@{"), base.hasSuffix("}") {
            base = String(base[..<at.lowerBound])
            if base.isEmpty { base = "HEAD" }
        }
        if base == "HEAD" { return try currentBranch() }
        if let ref = try? RefName.branch(base), try refs.read(ref) != nil { return base }
        if base.hasPrefix("refs/"), let ref = try? RefName(validating: base), try refs.read(ref) != nil {
            if let branch = ref.branchName { return branch }
            let parts = base.split(separator: "/", maxSplits: 3).map(String.init)
            if parts.count == 4, parts[1] == "remotes" { return parts[3] }
            return nil
        }
        if base.contains("/"), let ref = try? RefName(validating: "refs/remotes/" + base), try refs.read(ref) != nil {
            return base.split(separator: "/", maxSplits: 1).last.map(String.init)
        }
        return nil
    }
}
