import RockyBase
import RockyStore
import RockyTable

extension ObjectKind {
    /// A three-way operation stopped on conflicts, kept in a working set:
    /// canonical JSON, see `MergeInProgress` and Docs/format.md.
    public static let mergeState = ObjectKind("merge")
}

/// A three-way operation (a merge; later a revert or a cherry-pick) recorded
/// in a branch's working set with the conflicts it left, to be resolved one
/// by one (`rocky conflicts resolve`) and then committed (`merge --continue`)
/// or abandoned (`merge --abort`).
///
/// The working set's tables are the result so far: every table merged, each
/// standing conflict holding ours' version until it is resolved. The record
/// keeps what resolving needs: each conflicted table's base, ours and theirs
/// versions, and every conflict with its raw values (masking applies when
/// they are shown, never when they are stored).
public struct MergeInProgress: Equatable, Sendable {
    /// The operation that stopped (`merge`).
    public var operation: String
    /// The revision merged, as the user named it.
    public var source: String
    /// The commit's second parent once committed (the merged commit); nil
    /// for an operation whose commit has one parent.
    public var otherParent: ObjectID?
    public var bases: [ObjectID]
    /// The commit message and metadata the operation's commit will carry.
    public var message: String
    public var meta: JSON?
    /// Each conflicted table's versions, by name.
    public var versions: [String: TableVersions]
    /// The conflicts still standing.
    public var conflicts: [MergeConflict]
    /// The working set ref's value before the operation, which `--abort` restores.
    public var previousWorkingSet: ObjectID?

    public init(operation: String, source: String, otherParent: ObjectID?, bases: [ObjectID], message: String, meta: JSON?,
                versions: [String: TableVersions], conflicts: [MergeConflict], previousWorkingSet: ObjectID?) {
        self.operation = operation
        self.source = source
        self.otherParent = otherParent
        self.bases = bases
        self.message = message
        self.meta = meta
        self.versions = versions
        self.conflicts = conflicts
        self.previousWorkingSet = previousWorkingSet
    }
}

/// The three versions of one table in a three-way operation (nil: absent).
public struct TableVersions: Equatable, Sendable {
    public var base: ObjectID?
    public var ours: ObjectID?
    public var theirs: ObjectID?

    public init(base: ObjectID?, ours: ObjectID?, theirs: ObjectID?) {
        self.base = base
        self.ours = ours
        self.theirs = theirs
    }
}

extension MergeInProgress {
    static let formatVersion = 1

    /// The canonical JSON of the record: members sorted, absent fields
    /// omitted, values as the lowercase hex of `Value.encoded` ("" for NULL).
    var json: JSON {
        func id(_ v: ObjectID?) -> JSON? { v.map { .string($0.hex) } }
        func value(_ v: Value?) -> JSON? { v.map { .string(hex($0.encoded)) } }
        return .object([
            "bases": .array(bases.map { .string($0.hex) }),
            "conflicts": .array(conflicts.map { c in
                .object([
                    "base": value(c.base),
                    "column": c.column.map(JSON.string),
                    "column_id": c.columnID.map { .int($0) },
                    "field": c.field.map(JSON.string),
                    "key": c.key.map { .array($0.map { .array([.string($0.column), .string(hex($0.value.encoded))]) }) },
                    "kind": .string(c.kind.rawValue),
                    "ours": value(c.ours),
                    "table": .string(c.table),
                    "theirs": value(c.theirs),
                ])
            }),
            "message": .string(message),
            "meta": meta,
            "operation": .string(operation),
            "other_parent": id(otherParent),
            "previous_working_set": id(previousWorkingSet),
            "source": .string(source),
            "tables": .object(versions.sorted { $0.key < $1.key }.map { name, v in
                JSON.Member(name, .object(["base": id(v.base), "ours": id(v.ours), "theirs": id(v.theirs)]))
            }),
            "version": .int(Self.formatVersion),
        ])
    }

    init(json: JSON, id objectID: ObjectID) throws {
        func fail(_ why: String) -> StoreError { StoreError.corruptObject(objectID, reason: "merge state: \(why)") }
        guard json["version"]?.intValue == Self.formatVersion else { throw fail("unknown version") }
        func id(_ j: JSON?) throws -> ObjectID? {
            guard let j, !j.isNull else { return nil }
            guard let id = j.stringValue.flatMap({ ObjectID(hex: $0) }) else { throw fail("bad object id") }
            return id
        }
        func value(_ j: JSON?) throws -> Value? {
            guard let j, !j.isNull else { return nil }
            guard let text = j.stringValue, let bytes = unhex(text) else { throw fail("bad value") }
            do { return try Value(encoded: bytes) } catch { throw fail("value does not decode") }
        }
        guard let operation = json["operation"]?.stringValue, let source = json["source"]?.stringValue,
              let message = json["message"]?.stringValue, let bases = json["bases"]?.arrayValue,
              let conflicts = json["conflicts"]?.arrayValue, let tables = json["tables"]?.members
        else { throw fail("missing fields") }
        self.operation = operation
        self.source = source
        self.message = message
        meta = json["meta"]
        otherParent = try id(json["other_parent"])
        previousWorkingSet = try id(json["previous_working_set"])
        self.bases = try bases.map { guard let b = try id($0) else { throw fail("bad base") }; return b }
        var versions: [String: TableVersions] = [:]
        for member in tables {
            versions[member.key] = TableVersions(base: try id(member.value["base"]), ours: try id(member.value["ours"]),
                                                 theirs: try id(member.value["theirs"]))
        }
        self.versions = versions
        self.conflicts = try conflicts.map { c in
            guard let kind = c["kind"]?.stringValue.flatMap(MergeConflict.Kind.init(rawValue:)), let table = c["table"]?.stringValue
            else { throw fail("bad conflict") }
            let key = try c["key"]?.arrayValue.map { parts in
                try parts.map { part -> NamedValue in
                    guard let pair = part.arrayValue, pair.count == 2, let column = pair[0].stringValue,
                          let v = try value(pair[1]) else { throw fail("bad key") }
                    return NamedValue(column: column, value: v)
                }
            }
            return MergeConflict(kind: kind, table: table, key: key, column: c["column"]?.stringValue,
                                 columnID: c["column_id"]?.intValue, field: c["field"]?.stringValue,
                                 base: try value(c["base"]), ours: try value(c["ours"]), theirs: try value(c["theirs"]))
        }
    }
}

private func hex(_ bytes: [UInt8]) -> String {
    let digits = Array("0123456789abcdef".utf8)
    var out: [UInt8] = []
    out.reserveCapacity(bytes.count * 2)
    for b in bytes { out.append(digits[Int(b >> 4)]); out.append(digits[Int(b & 15)]) }
    return String(decoding: out, as: UTF8.self)
}

private func unhex(_ text: String) -> [UInt8]? {
    let chars = Array(text.utf8)
    guard chars.count % 2 == 0 else { return nil }
    func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
        default: nil
        }
    }
    var out: [UInt8] = []
    out.reserveCapacity(chars.count / 2)
    var i = 0
    while i < chars.count {
        guard let hi = nibble(chars[i]), let lo = nibble(chars[i + 1]) else { return nil }
        out.append(hi << 4 | lo)
        i += 2
    }
    return out
}

/// Refusals of the conflict workflow.
public struct MergeStateError: Error, Sendable, CustomStringConvertible {
    public enum Reason: String, Sendable {
        /// `--continue`, `--abort` or `conflicts` with no merge in progress.
        case noMergeInProgress = "no_merge_in_progress"
        /// A command that would lose or bypass the merge in progress.
        case mergeInProgress = "merge_in_progress"
        /// `--continue` while conflicts stand (exit code 3).
        case conflictsRemain = "conflicts_remain"
    }

    public var reason: Reason
    public var message: String
    public var description: String { message }
}
