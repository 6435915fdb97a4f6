/// Names that enter the repository from users, checked in one place.
extension Repository {
    /// Table names are SQL identifiers: a letter or `_`, then letters, digits or `_`.
    static func validateTableName(_ name: String) throws {
        let ok = name.first.map { $0 == "_" || ($0.isASCII && $0.isLetter) } ?? false
            && name.allSatisfy { $0 == "_" || ($0.isASCII && ($0.isLetter || $0.isNumber)) } && name.count <= 128
        if !ok {
            throw RepositoryError.invalidArgument("invalid table name '\(name)': use letters, digits and _, starting with a letter or _")
        }
        if name.lowercased().hasPrefix("__rocky") {
            throw RepositoryError.invalidArgument("invalid table name '\(name)': names starting with __rocky are the engine's")
        }
    }
}
