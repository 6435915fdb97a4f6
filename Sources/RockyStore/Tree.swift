import RockyBase

/// A state of a repository: table name -> table object, project file path
/// (`rocky.toml`, `models/<name>.sql`) -> blob. Encoded as canonical JSON:
/// `{"files":{<path>:<id>,...},"tables":{<name>:<id>,...}}`.
public struct Tree: Equatable, Sendable {
    public var tables: [String: ObjectID]
    public var files: [String: ObjectID]

    public init(tables: [String: ObjectID] = [:], files: [String: ObjectID] = [:]) {
        self.tables = tables
        self.files = files
    }

    public static let empty = Tree()

    public var json: JSON {
        func map(_ m: [String: ObjectID]) -> JSON {
            .object(m.map { JSON.Member($0.key, .string($0.value.hex)) })
        }
        return .object(["files": map(files), "tables": map(tables)])
    }

    public var payload: [UInt8] { Array(json.canonicalText.utf8) }

    /// Decodes a stored tree. With `checkingPaths` (the default, for
    /// everything that acts on a tree), a project file path that breaks
    /// `TreePath`'s rules throws `unsafePath` naming it; `fsck` and the
    /// walks that only follow links read such a tree to report or keep it.
    public init(payload: [UInt8], id: ObjectID, checkingPaths: Bool = true) throws {
        let json = try decodeObjectJSON(payload, id: id)
        func map(_ key: String) throws -> [String: ObjectID] {
            guard let members = json[key]?.members else { throw StoreError.corruptObject(id, reason: "tree has no '\(key)'") }
            var result: [String: ObjectID] = [:]
            for m in members {
                guard let hex = m.value.stringValue, let child = ObjectID(hex: hex) else {
                    throw StoreError.corruptObject(id, reason: "tree entry '\(m.key)' is not an object id")
                }
                result[m.key] = child
            }
            return result
        }
        self.init(tables: try map("tables"), files: try map("files"))
        if checkingPaths { try checkPaths(in: "tree \(id.hex)") }
    }

    /// Every project file path that breaks `TreePath`'s rules, and why.
    public var pathProblems: [(path: String, reason: String)] { TreePath.problems(files.keys) }

    /// Throws `unsafePath` for the first path that breaks the rules; `place`
    /// says where the tree comes from, for the message.
    public func checkPaths(in place: String) throws {
        if let problem = pathProblems.first {
            throw StoreError.unsafePath(problem.path, reason: "\(problem.reason) (in \(place)); a project file path must stay "
                + "inside the working directory and out of .rocky")
        }
    }
}

/// The one rule for the path of a project file in a tree, checked when a
/// tree is written, read or received, and again before a file is written to
/// disk: relative, normalized (no empty, `.` or `..` component), no `.rocky`
/// component in any case, no control character, and not equal to another
/// path of the tree or a folder of one when case is ignored (one would
/// overwrite the other on a case-insensitive file system).
public enum TreePath {
    /// Why `path` breaks the rule on its own, or nil.
    public static func problem(_ path: String) -> String? {
        if path.isEmpty { return "the path is empty" }
        if path.hasPrefix("/") { return "the path is absolute" }
        if path.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
            return "the path contains a control character"
        }
        for component in path.split(separator: "/", omittingEmptySubsequences: false) {
            if component.isEmpty { return "the path has an empty component" }
            if component == "." || component == ".." { return "the path has a '\(component)' component" }
            if component.lowercased() == ".rocky" { return "the path names the repository folder .rocky" }
        }
        return nil
    }

    /// Every path of a set that breaks the rule, sorted by path: on its own,
    /// or because another path equals it, or one of its folders, ignoring case.
    public static func problems(_ paths: some Collection<String>) -> [(path: String, reason: String)] {
        var result: [(path: String, reason: String)] = []
        var folded: [String: String] = [:]
        let sorted = paths.sorted()
        for path in sorted {
            if let reason = problem(path) {
                result.append((path, reason))
            } else if let other = folded[path.lowercased()] {
                result.append((path, "the path differs only in case from '\(other)'"))
            } else {
                folded[path.lowercased()] = path
            }
        }
        let reported = Set(result.map(\.path))
        for path in sorted where !reported.contains(path) {
            var folder = Substring(path)
            while let slash = folder.lastIndex(of: "/") {
                folder = folder[..<slash]
                if let file = folded[folder.lowercased()] {
                    result.append((path, "the path lies below '\(file)', which is a file"))
                    break
                }
            }
        }
        return result.sorted { $0.path < $1.path }
    }
}

/// Parses the canonical JSON payload of a metadata object.
func decodeObjectJSON(_ payload: [UInt8], id: ObjectID) throws -> JSON {
    do {
        return try JSON(parsing: String(decoding: payload, as: UTF8.self))
    } catch {
        throw StoreError.corruptObject(id, reason: "payload is not JSON (\(error))")
    }
}

extension ObjectStore {
    /// Stores a tree; a project file path that breaks `TreePath`'s rules throws `unsafePath`.
    public func write(_ tree: Tree) throws -> ObjectID {
        try tree.checkPaths(in: "a tree being written")
        return try write(.tree, tree.payload)
    }

    public func readTree(_ id: ObjectID) throws -> Tree {
        try Tree(payload: try read(id, as: .tree), id: id)
    }
}
