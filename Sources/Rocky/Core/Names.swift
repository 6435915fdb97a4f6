import RockyStore

/// Names that enter the repository from users, checked in one place.
extension Repository {
    /// Table names are SQL identifiers: a letter or `_`, then letters, digits or `_`.
    static func validateTableName(_ name: String) throws {
        if let problem = tableNameProblem(name) { throw RepositoryError.invalidArgument(problem) }
    }

    /// Why `name` is not a valid table name, or nil.
    static func tableNameProblem(_ name: String) -> String? {
        let ok = name.first.map { $0 == "_" || ($0.isASCII && $0.isLetter) } ?? false
            && name.allSatisfy { $0 == "_" || ($0.isASCII && ($0.isLetter || $0.isNumber)) } && name.count <= 128
        if !ok {
            return "invalid table name '\(name)': use letters, digits and _, starting with a letter or _"
        }
        if name.lowercased().hasPrefix("__rocky") {
            return "invalid table name '\(name)': names starting with __rocky are the engine's"
        }
        return nil
    }

    /// Checks a tree that arrives from another repository (fetch, pull, a
    /// push received, clone): its project file paths keep `TreePath`'s rules
    /// and its table names the table-name rule, else `unsafePath` naming the
    /// first entry that does not.
    static func checkReceivedTree(_ payload: [UInt8], id: ObjectID) throws {
        let tree = try Tree(payload: payload, id: id)
        for name in tree.tables.keys.sorted() {
            if let problem = tableNameProblem(name) { throw StoreError.unsafePath(name, reason: "\(problem) (in tree \(id.hex))") }
        }
    }
}
