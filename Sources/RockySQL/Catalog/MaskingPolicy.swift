import RockyBase

/// Decides how a column is masked in an environment.
///
/// The compiler asks the policy once for every catalog column it reads. The
/// lead's code builds a policy from `rocky.toml`; `byClassification` covers the
/// usual shape (environment -> classification -> strategy, with the column's
/// own `governance.masking[environment]` taking precedence).
public struct MaskingPolicy: Sendable {
    private let resolve: @Sendable (ColumnGovernance, String) -> MaskingStrategy

    /// A policy from a function of the column's governance and the environment name.
    public init(_ resolve: @escaping @Sendable (_ governance: ColumnGovernance, _ environment: String) -> MaskingStrategy) {
        self.resolve = resolve
    }

    /// The strategy for a column with `governance` in `environment`.
    public func strategy(for governance: ColumnGovernance, environment: String) -> MaskingStrategy {
        resolve(governance, environment)
    }

    /// Raw values everywhere.
    public static let none = MaskingPolicy { _, _ in .none }

    /// `table[environment][classification label]` is the strategy; a column's
    /// `governance.masking[environment]` overrides it; anything not listed is `none`.
    public static func byClassification(_ table: [String: [String: MaskingStrategy]]) -> MaskingPolicy {
        MaskingPolicy { governance, environment in
            if let own = governance.masking[environment] { return own }
            guard let label = governance.classification?.label else { return .none }
            return table[environment]?[label] ?? .none
        }
    }
}

/// Options that change what a compiled statement means.
public struct CompileOptions: Sendable {
    /// The environment name (`dev`, `prod`, ...), passed to the masking policy.
    public var environment: String
    public var masking: MaskingPolicy
    /// The dialect the statements will run in, when known: a masking
    /// strategy it cannot compute exactly (`Dialect.exactMaskingStrategies`)
    /// is then refused where the column is read (E0504), never approximated.
    public var dialect: Dialect?
    /// The time CURRENT_DATE (its UTC day) and CURRENT_TIMESTAMP stand for:
    /// the transformation's time, recorded with it so that a replay gives the
    /// same values. nil: they are refused (E0102).
    public var statementTime: Timestamp?

    public init(environment: String = "dev", masking: MaskingPolicy = .none) {
        self.environment = environment
        self.masking = masking
    }

    public init(environment: String = "dev", masking: MaskingPolicy = .none, dialect: Dialect?) {
        self.init(environment: environment, masking: masking)
        self.dialect = dialect
    }
}
