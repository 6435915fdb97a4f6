import RockyBase
import RockyStore

/// The permissions that are more than one action on one branch
/// (Docs/governance.md "Access").
extension OperationContext {
    /// The sections of rocky.toml that decide who sees what: changing any of
    /// them on the protected branch needs `admin`.
    static let adminSections = ["access", "environments", "columns", "engines"]

    /// Replaying `source` needs `replay` on it.
    func authorizeReplay(of source: String) throws {
        try authorize(.replay, branch: try repository.revisionBranch(source))
    }

    /// The branch a replay writes: `replay` (already checked on the source)
    /// lets an actor create it under `replay/`; anywhere else needs `create`.
    func authorizeReplayResult(_ name: String) throws {
        if name.hasPrefix("replay/") { return }
        try authorize(.create, branch: name)
    }

    /// Moving the protected branch (or main) from a rocky.toml blob to
    /// another needs `admin` when `[access]`, `[environments]`, `[columns]`
    /// or `[engines]` differ between the two.
    func authorizePolicyChange(on branch: String?, from old: ObjectID?, to new: ObjectID?) throws {
        try authorizePolicyChange(on: branch, from: old, to: new) { try text(of: new) }
    }

    /// The same for a rocky.toml not stored yet (`newText`: its text, nil for none).
    func authorizePolicyChange(on branch: String?, from old: ObjectID?, to new: ObjectID?, newText: () throws -> String?) throws {
        guard old != new, let branch, policy.protected.contains(branch) || branch == Repository.defaultBranch else { return }
        if isNested || policy.isEmpty { return }
        let before = try sections(try text(of: old)), after = try sections(try newText())
        if OperationContext.adminSections.contains(where: { before[$0] != after[$0] }) {
            try authorize(.admin, branch: branch)
        }
    }

    private func text(of blob: ObjectID?) throws -> String? {
        try blob.map { String(decoding: try repository.objects.read($0, as: .blob), as: UTF8.self) }
    }

    /// The top-level tables of a rocky.toml (none for no file).
    private func sections(_ text: String?) throws -> [String: JSON] {
        guard let text else { return [:] }
        let document: JSON
        do { document = try TOML.parse(text) } catch {
            throw RepositoryError.malformedConfig(file: ProjectConfig.fileName, reason: "\(error)")
        }
        var result: [String: JSON] = [:]
        for member in document.members ?? [] { result[member.key] = member.value }
        return result
    }
}
