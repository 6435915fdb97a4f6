import RockyStore

/// The actions of DESIGN.md "Access".
public enum AccessAction: String, Sendable, CaseIterable {
    case read, create, write, replay, merge, delete
    /// Using an environment (`--env`): its masking decides what one sees.
    case use
    /// Changing the policy itself.
    case admin
}

extension Repository {
    /// The policy in force: `[access]` of rocky.toml as committed on the
    /// protected branch, never an uncommitted or unmerged edit. Empty (so
    /// everything is allowed) until a policy is committed there.
    public func accessPolicy() throws -> AccessPolicy {
        let context = try gate(.accessPolicy); defer { context.end() }
        return context.policy
    }

    /// Throws `accessDenied` (exit code 5) unless the actor may do `action`
    /// on `branch` (and in `environment`, for `use`).
    /// (The operations authorize through their gate, Gate.swift; this is
    /// the same check for a caller that asks before acting.)
    public func authorize(_ action: AccessAction, branch: String?, environment: String? = nil) throws {
        let context = try gate(.authorize); defer { context.end() }
        // An explicit question is answered even inside another operation:
        // by the operation that runs (an inner context checks nothing).
        try context.root.authorize(action, branch: branch, environment: environment)
    }

    /// Branch patterns: `*` matches any run of characters (slashes included), everything else itself.
    static func matches(pattern: String, _ text: String) -> Bool {
        let p = Array(pattern), t = Array(text)
        var pi = 0, ti = 0, star = -1, mark = 0
        while ti < t.count {
            if pi < p.count, p[pi] == t[ti] { pi += 1; ti += 1 } else if pi < p.count, p[pi] == "*" { star = pi; mark = ti; pi += 1 } else if star >= 0 { pi = star + 1; mark += 1; ti = mark } else { return false }
        }
        while pi < p.count, p[pi] == "*" { pi += 1 }
        return pi == p.count
    }
}
