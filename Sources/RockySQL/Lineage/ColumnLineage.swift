import RockyBase

/// How an input column contributes to an output (DESIGN.md "Lineage").
///
/// Direct transforms carry the value itself: `identity` (copied),
/// `transformation` (computed from it), `aggregation` (summarized). Indirect
/// ones only influence which rows or values appear: `join`, `groupBy`,
/// `filter` and `sort` are dataset-level; `window` and `conditional` belong to
/// one output column.
public enum LineageTransform: String, Hashable, Sendable, CaseIterable {
    case identity, transformation, aggregation
    case join, groupBy, filter, sort, window, conditional

    public var isDirect: Bool { self == .identity || self == .transformation || self == .aggregation }

    /// The OpenLineage spelling of the subtype: `IDENTITY`, `GROUP_BY`, ...
    public var subtype: String { self == .groupBy ? "GROUP_BY" : rawValue.uppercased() }

    var directRank: Int {
        switch self {
        case .identity: 0
        case .transformation: 1
        default: 2
        }
    }
}

/// A catalog column that feeds an output.
public struct SourceColumn: Hashable, Sendable, CustomStringConvertible {
    public var table: String
    public var column: String
    /// The column's stable id in the catalog.
    public var columnId: Int
    public var classification: Classification?

    public var description: String { "\(table).\(column)" }
}

/// One input of an output column (or of the whole result, for dataset-level edges).
public struct LineageEdge: Hashable, Sendable {
    public var source: SourceColumn
    public var transform: LineageTransform
    /// The masking strategy applied where the source was read: nil for raw
    /// values; `.deny` marks a denied column that was read raw (legal only
    /// in indirect edges).
    public var masking: MaskingStrategy?
    /// The named intermediate columns the value passed through, outermost
    /// first (`["recent.close"]` for a CTE `recent`).
    public var path: [String]

    /// Whether a masking function produced the value.
    public var isMasked: Bool { masking != nil && masking != .deny && masking != MaskingStrategy.none }
}

/// The lineage of one output column.
public struct OutputColumnLineage: Hashable, Sendable {
    public var name: String
    /// The strictest classification among the direct, unmasked sources.
    public var classification: Classification?
    /// Whether any direct source was masked.
    public var masked: Bool
    public var inputs: [LineageEdge]
}

/// Column lineage of one statement: per output column its inputs, and the
/// dataset-level indirect inputs (columns read only by JOIN, WHERE, GROUP BY,
/// HAVING or ORDER BY) that shape the whole result.
public struct ColumnLineage: Hashable, Sendable {
    /// The table written, for CREATE TABLE AS, INSERT and UPDATE.
    public var target: String?
    public var columns: [OutputColumnLineage]
    public var datasetInputs: [LineageEdge]

    public static let empty = ColumnLineage(target: nil, columns: [], datasetInputs: [])
}
