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

    public init(payload: [UInt8], id: ObjectID) throws {
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
    public func write(_ tree: Tree) throws -> ObjectID { try write(.tree, tree.payload) }

    public func readTree(_ id: ObjectID) throws -> Tree {
        try Tree(payload: try read(id, as: .tree), id: id)
    }
}
