import RockyBase

/// `--strategy ours|theirs`: every conflict takes that side's version.
public enum MergeStrategy: String, Sendable, CaseIterable {
    case ours
    case theirs
}

/// One component of a row's key: a column name and its value.
public struct NamedValue: Equatable, Sendable, CustomStringConvertible {
    public var column: String
    public var value: Value

    public init(column: String, value: Value) {
        self.column = column
        self.value = value
    }

    public var description: String { "\(column)=\(value)" }
}

/// Something the two sides of a merge changed in incompatible ways.
///
/// A conflict is a value listing everything a report needs: the table, the
/// row's key (decoded, by column name), the column, and the base, ours and
/// theirs versions. `nil` means absent (no row, no column, no table); a NULL
/// cell is `.null`.
///
/// What the fields hold, by kind:
/// - `cell`: a cell changed two ways, or a key inserted on both sides with
///   different values (then `base` is nil). `column` names the cell.
/// - `deleteModify`: one side deleted the row, the other changed it. One
///   conflict per cell the changing side changed; the deleting side is nil.
/// - `multiplicity` (keyless tables): one side removed every copy of a row,
///   the other added copies. `key` is the whole row; the values are the
///   numbers of copies (`.integer`), nil for none.
/// - `constraint`: the merged row breaks the merged schema (`field`:
///   `not_null`, `type` for a value that does not convert to the column's
///   merged type, `key` for a NULL or duplicate key after a key change).
/// - `schema`: a schema property changed two ways (`field`: `name`, `type`,
///   `nullable`, `governance.<field>`, `column` for dropped against changed,
///   `key`, `time_column`, `columns` for names that clash). Values are text
///   (type names, column names), nil when absent.
/// - `table`: dropped on one side and changed on the other. Values are the
///   row counts of the versions (`.integer`), nil when absent.
///
/// `resolution` is the strategy that resolved the conflict, nil when it
/// stands (no strategy, or none can resolve it, such as two columns with one
/// name). A merge is clean when every conflict is resolved.
public struct MergeConflict: Equatable, Sendable, CustomStringConvertible {
    public enum Kind: String, Sendable, CaseIterable {
        case cell
        case deleteModify = "delete-modify"
        case multiplicity
        case constraint
        case schema
        case table
    }

    public var kind: Kind
    public var table: String
    public var key: [NamedValue]?
    public var column: String?
    public var columnID: Int?
    public var field: String?
    public var base: Value?
    public var ours: Value?
    public var theirs: Value?
    public var resolution: MergeStrategy?

    public init(kind: Kind, table: String, key: [NamedValue]? = nil, column: String? = nil, columnID: Int? = nil,
                field: String? = nil, base: Value?, ours: Value?, theirs: Value?, resolution: MergeStrategy? = nil) {
        self.kind = kind
        self.table = table
        self.key = key
        self.column = column
        self.columnID = columnID
        self.field = field
        self.base = base
        self.ours = ours
        self.theirs = theirs
        self.resolution = resolution
    }

    public var isResolved: Bool { resolution != nil }

    /// One line: `prices (symbol=AAPL) close: cell base 1.5, ours 1.6, theirs 1.7`.
    public var description: String {
        var text = table
        if let key { text += " (" + key.map(\.description).joined(separator: ", ") + ")" }
        if let column { text += " " + column }
        if let field, kind == .schema || kind == .constraint { text += " " + field }
        func show(_ v: Value?) -> String { v.map { $0.isNull ? "NULL" : $0.description } ?? "absent" }
        text += ": \(kind.rawValue) base \(show(base)), ours \(show(ours)), theirs \(show(theirs))"
        if let resolution { text += " (resolved: \(resolution.rawValue))" }
        return text
    }
}

/// What a table merge did, for reports and to check its cost.
public struct MergeStats: Equatable, Sendable {
    /// Keys whose row changed since the base, on each side (on merged column ids).
    public var oursChangedRows = 0
    public var theirsChangedRows = 0
    /// Keys where the result is theirs' version and ours had not changed the row.
    public var rowsFromTheirs = 0
    /// Rows both sides changed in different cells, combined.
    public var rowsCombined = 0
    /// Cells taken from theirs inside combined rows.
    public var cellsFromTheirs = 0
    /// Keys both sides changed in the same way.
    public var rowsConverged = 0
    /// Keys with at least one conflict (resolved or not).
    public var conflictingRows = 0
    /// What the merge changed in ours' rows: the diff from ours to the result.
    public var rowsInserted = 0
    public var rowsDeleted = 0
    public var rowsUpdated = 0
    /// Rows re-encoded whole because a version's stored form differs from the
    /// merged schema's (a dropped or retyped column, a key change, ids
    /// renumbered); 0 when the change set alone was read.
    public var rowsReencoded = 0
    /// Chunks and index nodes the two diffs read.
    public var nodesRead = 0

    public init() {}
}
