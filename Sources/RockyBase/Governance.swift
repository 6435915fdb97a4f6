/// How a classified column is masked in an environment (DESIGN.md "Governance").
public enum MaskingStrategy: String, CaseIterable, Hashable, Sendable {
    /// Raw values.
    case none
    /// HMAC-SHA-256 hex of the value under the repository's masking key: joins still match.
    case hash
    /// A fixed placeholder.
    case redact
    /// The first and last characters kept, the rest starred.
    case partial
    /// NULL.
    case nullify
    /// The local part of an e-mail address hidden, the domain kept.
    case email
    /// A date or timestamp reduced to its year.
    case year
    /// The column may not reach an output at all: a compile-time error.
    case deny
}

/// A column's classification. The five standard levels are ordered by
/// strictness; a custom label ranks between `internal` and `financial`.
public struct Classification: Hashable, Sendable, Comparable, CustomStringConvertible {
    public let label: String

    public init(_ label: String) { self.label = label.lowercased() }

    public static let `public` = Classification("public")
    public static let `internal` = Classification("internal")
    public static let financial = Classification("financial")
    public static let pii = Classification("pii")
    public static let restricted = Classification("restricted")

    /// Strictness: public 0, internal 1, custom 2, financial 3, pii 4, restricted 5.
    public var rank: Int {
        switch label {
        case "public": 0
        case "internal": 1
        case "financial": 3
        case "pii": 4
        case "restricted": 5
        default: 2
        }
    }

    public static func < (a: Classification, b: Classification) -> Bool {
        a.rank != b.rank ? a.rank < b.rank : a.label < b.label
    }

    public var description: String { label }
}

/// The eight governance fields every column carries (DESIGN.md "Governance").
/// They live in the schema, so they are versioned and diffed with the data.
public struct ColumnGovernance: Hashable, Sendable {
    public var classification: Classification?
    public var owner: String?
    public var description: String?
    /// Environment name -> strategy, overriding the environment's default for
    /// this column's classification.
    public var masking: [String: MaskingStrategy]
    /// Roles that see the column unmasked wherever the environment does not deny.
    public var access: [String]
    public var retention: String?
    /// The system of record.
    public var source: String?
    public var tags: [String]

    public init(
        classification: Classification? = nil, owner: String? = nil, description: String? = nil,
        masking: [String: MaskingStrategy] = [:], access: [String] = [], retention: String? = nil,
        source: String? = nil, tags: [String] = []
    ) {
        self.classification = classification
        self.owner = owner
        self.description = description
        self.masking = masking
        self.access = access
        self.retention = retention
        self.source = source
        self.tags = tags
    }

    /// True when no field is set.
    public var isEmpty: Bool { self == ColumnGovernance() }
}
