import Foundation
import RockyBase
import RockyTable

/// The names `--json` documents and text output use for the library's
/// internal spellings (Docs/json.md): keys and enumerated values are
/// snake_case, never a Swift case name such as `createTableAs`.
enum JSONContract {
    /// `createTableAs` -> `create_table_as`; snake_case stays as it is.
    static func snakeCase(_ name: String) -> String {
        var out = ""
        for character in name {
            if character.isUppercase, character.isASCII {
                if !out.isEmpty, out.last != "_" { out.append("_") }
                out += character.lowercased()
            } else {
                out.append(character)
            }
        }
        return out
    }

    /// A document of fixed keys only (no user names as keys) with every key,
    /// and every `kind` value, in snake_case: transformation lineage as
    /// stored (`columnId`), compiler diagnostics (`endLine`), lineage graphs.
    static func normalized(_ json: JSON) -> JSON {
        switch json {
        case let .object(members):
            return .object(members.map { member in
                let key = snakeCase(member.key)
                if key == "kind", case let .string(value) = member.value { return JSON.Member(key, .string(snakeCase(value))) }
                return JSON.Member(key, normalized(member.value))
            })
        case let .array(items):
            return .array(items.map(normalized))
        default:
            return json
        }
    }

    /// A statement kind for people: `createTableAs` -> `CREATE TABLE AS`.
    static func statementWords(_ kind: String) -> String {
        snakeCase(kind).replacingOccurrences(of: "_", with: " ").uppercased()
    }

    /// A table's merge outcome: `took_theirs`, `kept_ours`, `merged`, `conflicted`.
    static func outcome(_ outcome: TableMergeResult.Outcome) -> String {
        snakeCase(outcome.rawValue)
    }
}
