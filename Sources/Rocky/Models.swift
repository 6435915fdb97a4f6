import Foundation

/// A model: `models/<name>.sql` holds one SELECT whose result is the table
/// `<name>`. Header comments may declare its key, time column and
/// description:
///
///     -- key: symbol, ts
///     -- time_column: ts
///     -- description: Daily returns per symbol
public struct Model: Equatable, Sendable {
    public var name: String
    public var sql: String
    public var key: [String]?
    public var timeColumn: String?
    public var description: String?

    /// Parses the header comments (lines starting with `--` before the first other line).
    public init(name: String, sql: String) {
        self.name = name
        self.sql = sql
        for line in sql.split(separator: "\n", omittingEmptySubsequences: false) {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty { continue }
            guard trimmed.hasPrefix("--") else { break }
            let body = trimmed.dropFirst(2).trimmingCharacters(in: .whitespaces)
            guard let colon = body.firstIndex(of: ":") else { continue }
            let field = body[..<colon].trimmingCharacters(in: .whitespaces).lowercased()
            let value = body[body.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            switch field {
            case "key": key = value.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            case "time_column", "time column": timeColumn = value
            case "description": description = value
            default: break
            }
        }
    }
}

extension Repository {
    /// The models of the working directory, by name.
    public func models() throws -> [Model] {
        let folder = workDirectory + "/models"
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else { return [] }
        return try names.filter { $0.hasSuffix(".sql") && !$0.hasPrefix(".") }.sorted().map { file in
            let name = String(file.dropLast(4))
            try Repository.validateTableName(name)
            let data = try Data(contentsOf: URL(fileURLWithPath: folder + "/" + file))
            return Model(name: name, sql: String(decoding: data, as: UTF8.self))
        }
    }
}
