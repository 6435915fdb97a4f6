import RockyBase
import RockyStore

/// A table version: its schema and its tree of rows.
///
/// Stored as a `table` object, canonical JSON
/// `{"root":"<id>","root_level":1,"rows":1000000,"schema":"<schema id>","version":1}`
/// (`root` and `root_level` absent for an empty table).
public struct Table: Equatable, Sendable {
    public var schema: Schema
    public var root: TreeRoot?

    public init(schema: Schema, root: TreeRoot?) {
        self.schema = schema
        self.root = root
    }

    public var rowCount: Int { root?.rows ?? 0 }

    public static let formatVersion = 1
}

extension Schema {
    /// Canonical JSON of a schema object:
    /// `{"columns":[{"governance":{...},"id":1,"name":"symbol","nullable":false,"type":"TEXT"},...],
    ///   "key":[1,2],"next_column_id":8,"time_column":2,"version":1}`; a column's
    /// `default` and the schema's `constraints` only when there are some, so a
    /// table without them has the id it had before they existed.
    public var json: JSON {
        .object([
            "columns": .array(columns.map { column in
                .object([
                    "default": column.defaultValue.map(JSON.string),
                    "governance": column.governance.isEmpty ? nil : column.governance.json,
                    "id": .int(column.id),
                    "name": .string(column.name),
                    "nullable": .bool(column.nullable),
                    "type": .string(column.type.name),
                ])
            }),
            "constraints": constraints.isEmpty ? nil : .array(constraints.map { constraint in
                .object([
                    "check": constraint.checkCondition.map(JSON.string),
                    "columns": .array(constraint.columns.map { .int($0) }),
                    "kind": .string(constraint.checkCondition == nil ? "unique" : "check"),
                    "name": .string(constraint.name),
                ])
            }),
            "key": .array(key.map { .int($0) }),
            "next_column_id": .int(nextColumnID),
            "time_column": timeColumn.map { .int($0) },
            "version": .int(1),
        ])
    }

    public init(json: JSON) throws {
        func fail(_ what: String) -> DecodeError { DecodeError("schema: \(what)") }
        guard json["version"]?.intValue == 1 else { throw fail("unknown version") }
        guard let items = json["columns"]?.arrayValue else { throw fail("no columns") }
        let columns = try items.map { item -> Column in
            guard let id = item["id"]?.intValue, let name = item["name"]?.stringValue,
                  let typeName = item["type"]?.stringValue, let type = ColumnType(parsing: typeName),
                  let nullable = item["nullable"]?.boolValue else { throw fail("malformed column") }
            let governance = try item["governance"].map { try ColumnGovernance(json: $0) } ?? ColumnGovernance()
            let defaultValue: String?
            switch item["default"] {
            case nil: defaultValue = nil
            case let value?:
                guard let text = value.stringValue else { throw fail("malformed default") }
                defaultValue = text
            }
            return Column(id: id, name: name, type: type, nullable: nullable, governance: governance, defaultValue: defaultValue)
        }
        let constraints = try (json["constraints"]?.arrayValue ?? []).map { item -> TableConstraint in
            guard let name = item["name"]?.stringValue, let ids = item["columns"]?.arrayValue else { throw fail("malformed constraint") }
            let columns = ids.compactMap(\.intValue)
            guard columns.count == ids.count else { throw fail("malformed constraint \(name)") }
            switch item["kind"]?.stringValue {
            case "unique": return TableConstraint(name: name, rule: .unique, columns: columns)
            case "check":
                guard let condition = item["check"]?.stringValue else { throw fail("constraint \(name) has no condition") }
                return TableConstraint(name: name, rule: .check(condition), columns: columns)
            default: throw fail("constraint \(name) has an unknown kind")
            }
        }
        guard let key = json["key"]?.arrayValue?.compactMap(\.intValue), let next = json["next_column_id"]?.intValue else {
            throw fail("malformed key")
        }
        self.init(columns: columns, key: key, timeColumn: json["time_column"]?.intValue, nextColumnID: next, constraints: constraints)
    }
}

extension ColumnGovernance {
    /// The eight fields; unset ones are left out.
    public var json: JSON {
        .object([
            "access": access.isEmpty ? nil : .array(access.map(JSON.string)),
            "classification": classification.map { .string($0.label) },
            "description": description.map(JSON.string),
            "masking": masking.isEmpty ? nil : .object(masking.map { JSON.Member($0.key, .string($0.value.rawValue)) }),
            "owner": owner.map(JSON.string),
            "retention": retention.map(JSON.string),
            "source": source.map(JSON.string),
            "tags": tags.isEmpty ? nil : .array(tags.map(JSON.string)),
        ])
    }

    public init(json: JSON) throws {
        self.init()
        classification = json["classification"]?.stringValue.map(Classification.init)
        owner = json["owner"]?.stringValue
        description = json["description"]?.stringValue
        retention = json["retention"]?.stringValue
        source = json["source"]?.stringValue
        access = json["access"]?.arrayValue?.compactMap(\.stringValue) ?? []
        tags = json["tags"]?.arrayValue?.compactMap(\.stringValue) ?? []
        for member in json["masking"]?.members ?? [] {
            guard let text = member.value.stringValue, let strategy = MaskingStrategy(rawValue: text) else {
                throw DecodeError("unknown masking strategy for environment \(member.key)")
            }
            masking[member.key] = strategy
        }
    }
}

extension ObjectStore {
    /// Writes the schema object and the table object; returns the table id.
    public func write(table: Table) throws -> ObjectID {
        let schemaID = try write(.schema, Array(table.schema.json.canonicalText.utf8))
        let json: JSON = .object([
            "root": table.root.map { .string($0.id.hex) },
            "root_level": table.root.map { .int($0.level) },
            "rows": .int(table.rowCount),
            "schema": .string(schemaID.hex),
            "version": .int(Table.formatVersion),
        ])
        return try write(.table, Array(json.canonicalText.utf8))
    }

    /// The schema id and root of a table object, without reading the schema.
    public func tableHeader(_ id: ObjectID) throws -> (schema: ObjectID, root: TreeRoot?) {
        let payload = try read(id, as: .table)
        do {
            let json = try JSON(parsing: String(decoding: payload, as: UTF8.self))
            guard json["version"]?.intValue == Table.formatVersion,
                  let schemaHex = json["schema"]?.stringValue, let schemaID = ObjectID(hex: schemaHex),
                  let rows = json["rows"]?.intValue else { throw DecodeError("malformed table object") }
            var root: TreeRoot?
            if let hex = json["root"]?.stringValue {
                guard let rootID = ObjectID(hex: hex), let level = json["root_level"]?.intValue else {
                    throw DecodeError("malformed root")
                }
                root = TreeRoot(id: rootID, level: level, rows: rows)
            }
            return (schemaID, root)
        } catch {
            throw StoreError.corruptObject(id, reason: "table object does not decode: \(error)")
        }
    }

    public func readSchema(_ id: ObjectID) throws -> Schema {
        let payload = try read(id, as: .schema)
        do {
            return try Schema(json: try JSON(parsing: String(decoding: payload, as: UTF8.self)))
        } catch {
            throw StoreError.corruptObject(id, reason: "schema does not decode: \(error)")
        }
    }

    public func readTable(_ id: ObjectID) throws -> Table {
        let (schemaID, root) = try tableHeader(id)
        return Table(schema: try readSchema(schemaID), root: root)
    }
}
