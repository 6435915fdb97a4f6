import RockyBase
import RockyStore

/// Something that names a revision: a `String` in the revision syntax, or a
/// `Branch` returned by the API.
public protocol RevisionRepresentable: Sendable {
    var revisionText: String { get }
}

extension String: RevisionRepresentable {
    public var revisionText: String { self }
}

/// A branch as the library API hands it out.
public struct Branch: RevisionRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let name: String
    public var ref: RefName { try! RefName.branch(name) }
    public var revisionText: String { name }
    public var description: String { name }
}

extension Repository {
    /// Resolves a revision to a commit id.
    ///
    /// Syntax: a full id or a prefix of 4+ hex digits, a branch name, a tag name (after branches), `HEAD`,
    /// `<branch>@{<ISO time>}` (the newest first-parent commit at or before
    /// that time; `@{T}` alone means the current branch), then any number of
    /// `~N` (N first parents back), `~` (one), `^` or `^N` (the Nth parent).
    /// Each revision needs a permission (Gate.swift `authorizeRevision`).
    public func resolve(_ revision: some RevisionRepresentable) throws -> ObjectID {
        let context = try gate(.resolve); defer { context.end() }
        return try context.authorizeRevision(revision)
    }

    /// `resolve` without the gate, for the gate and the operations it let in.
    func resolveRevision(_ text: String) throws -> ObjectID {
        let (base, suffixes) = try splitSuffixes(text)
        var id: ObjectID
        if let at = base.range(of: "@{"), base.hasSuffix("}") {
            let name = String(base[..<at.lowerBound])
            let timeText = String(base[at.upperBound..<base.index(before: base.endIndex)])
            guard let time = Timestamp(parsing: timeText) else {
                throw RepositoryError.unknownRevision(text, reason: "'\(timeText)' is not an ISO 8601 time")
            }
            let tip = try resolveName(name.isEmpty ? "HEAD" : name, whole: text)
            guard let found = try objects.firstParentCommit(from: tip, atOrBefore: time) else {
                throw RepositoryError.unknownRevision(text, reason: "no commit at or before \(time)")
            }
            id = found
        } else {
            id = try resolveName(base, whole: text)
        }
        for suffix in suffixes {
            switch suffix {
            case let .ancestor(n):
                guard let ancestor = try objects.firstParentAncestor(of: id, steps: n) else {
                    throw RepositoryError.unknownRevision(text, reason: "the history has fewer than \(n) first parents")
                }
                id = ancestor
            case let .parent(n):
                let commit = try objects.readCommit(id)
                guard n >= 1, n <= commit.parents.count else {
                    throw RepositoryError.unknownRevision(text, reason: "commit \(id.short()) has \(commit.parents.count) parent(s)")
                }
                id = commit.parents[n - 1]
            }
        }
        return id
    }

    enum Suffix { case ancestor(Int), parent(Int) }

    func splitSuffixes(_ text: String) throws -> (String, [Suffix]) {
        var rest = Substring(text)
        var suffixes: [Suffix] = []
        while true {
            let digitsStart = rest.lastIndex { !$0.isASCII || !$0.isNumber }.map { rest.index(after: $0) } ?? rest.startIndex
            guard digitsStart > rest.startIndex else { break }
            let opIndex = rest.index(before: digitsStart)
            let op = rest[opIndex]
            guard op == "~" || op == "^", opIndex > rest.startIndex else { break }
            let digits = rest[digitsStart...]
            guard digits.count <= 9 else { throw RepositoryError.unknownRevision(text, reason: "'\(digits)' is too large") }
            let n = digits.isEmpty ? 1 : Int(digits)!
            suffixes.insert(op == "~" ? .ancestor(n) : .parent(n), at: 0)
            rest = rest[..<opIndex]
        }
        if rest.isEmpty { throw RepositoryError.unknownRevision(text, reason: "empty revision") }
        return (String(rest), suffixes)
    }

    private func resolveName(_ name: String, whole: String) throws -> ObjectID {
        if name == "HEAD" {
            switch try refs.head() {
            case let .detached(id): return id
            case let .branch(ref):
                guard let id = try refs.read(ref) else {
                    throw RepositoryError.unknownRevision(whole, reason: "HEAD points at \(ref.path), which does not exist")
                }
                return id
            }
        }
        if let ref = try? RefName.branch(name), let id = try refs.read(ref) { return id }
        // A tag names the commit its tag object names (Tags.swift).
        if let ref = try? RefName(validating: Repository.tagsPrefix + name), let id = try refs.read(ref) { return try peelTag(id) }
        if name.hasPrefix("refs/"), let ref = try? RefName(validating: name), let id = try refs.read(ref) { return try peelTag(id) }
        if name.contains("/"), let ref = try? RefName(validating: "refs/remotes/" + name), let id = try refs.read(ref) { return id }
        if ObjectID.isHexPrefix(name) {
            let id: ObjectID
            do {
                id = try objects.resolve(prefix: name)
            } catch StoreError.objectNotFound {
                throw RepositoryError.unknownRevision(whole, reason: "no branch, ref or object of that name" + branchSuggestion(for: name))
            }
            let kind = try objects.header(id).kind
            guard kind == .commit else {
                throw RepositoryError.unknownRevision(whole, reason: "object \(id.hex) is a \(kind), not a commit")
            }
            return id
        }
        throw RepositoryError.unknownRevision(whole, reason: "no branch, ref or object of that name" + branchSuggestion(for: name))
    }

    /// The branch `name` probably meant (`Suggestion`), nil when none is close.
    func nearestBranch(to name: String) -> String? {
        guard let entries = try? refs.list(prefix: RefName.headsPrefix) else { return nil }
        return Suggestion.nearest(to: name, among: entries.compactMap(\.name.branchName))
    }

    /// `; did you mean 'b'?` for the nearest branch, or the empty string.
    func branchSuggestion(for name: String) -> String {
        nearestBranch(to: name).map { "; did you mean '\($0)'?" } ?? ""
    }

    /// The commit a revision names, read.
    public func commit(_ revision: some RevisionRepresentable) throws -> (id: ObjectID, commit: Commit) {
        let context = try gate(.commit); defer { context.end() }
        let id = try context.authorizeRevision(revision)
        return (id, try objects.readCommit(id))
    }
}
