import Foundation
import RockyBase

/// What rocky.toml declares (Docs/governance.md has the full shape):
/// environments and their masking, column governance, access policy, cost
/// rates. A missing file is an empty configuration.
public struct ProjectConfig: Sendable, Equatable {
    /// Environment -> classification label -> strategy.
    public var masking: [String: [String: MaskingStrategy]] = [:]
    /// "table.column" -> declared governance fields.
    public var columns: [String: ColumnGovernance] = [:]
    public var access = AccessPolicy()
    /// Adapter name -> rates.
    public var costRates: [String: CostRates] = [:]

    public init() {}

    public static let fileName = "rocky.toml"

    /// Parses rocky.toml text; errors name `rocky.toml:line:column`.
    public init(text: String, file: String = ProjectConfig.fileName) throws {
        let document: JSON
        do { document = try TOML.parse(text) } catch {
            throw RepositoryError.malformedConfig(file: file, reason: "\(error)")
        }
        func fail(_ message: String) -> RepositoryError { .malformedConfig(file: file, reason: message) }
        for env in document["environments"]?.members ?? [] {
            var strategies: [String: MaskingStrategy] = [:]
            for m in env.value["masking"]?.members ?? [] {
                guard let text = m.value.stringValue, let strategy = MaskingStrategy(rawValue: text) else {
                    throw fail("environments.\(env.key).masking.\(m.key): unknown strategy (one of \(MaskingStrategy.allCases.map(\.rawValue).joined(separator: ", ")))")
                }
                strategies[m.key.lowercased()] = strategy
            }
            masking[env.key] = strategies
        }
        for column in document["columns"]?.members ?? [] {
            guard column.key.split(separator: ".").count == 2 else { throw fail("columns.\"\(column.key)\": name a column as \"table.column\"") }
            do {
                var governance = try ColumnGovernance(tomlFields: column.value)
                if governance.classification == nil, let label = column.value["classification"]?.stringValue {
                    governance.classification = Classification(label)
                }
                columns[column.key] = governance
            } catch {
                throw fail("columns.\"\(column.key)\": \(error)")
            }
        }
        if let accessJSON = document["access"] { access = try AccessPolicy(json: accessJSON, fail: fail) }
        for adapter in document["cost"]?.members ?? [] {
            func rate(_ key: String) throws -> ExactDecimal {
                guard let value = adapter.value[key] else { return ExactDecimal(0) }
                guard let text = value.numberText, let d = ExactDecimal(parsing: text) else {
                    throw fail("cost.\(adapter.key).\(key) must be a number")
                }
                return d
            }
            costRates[adapter.key] = CostRates(
                perSecond: try rate("per_second"), perGBScanned: try rate("per_gb_scanned"),
                perGBWritten: try rate("per_gb_written"), perMillionRows: try rate("per_million_rows"),
                currency: adapter.value["currency"]?.stringValue ?? "USD")
        }
    }

    /// The masking strategy for a column's governance in an environment: the
    /// column's own `masking[env]` first, then the environment's strategy for
    /// the column's classification, else none.
    public func strategy(for governance: ColumnGovernance, environment: String) -> MaskingStrategy {
        if let own = governance.masking[environment] { return own }
        guard let label = governance.classification?.label else { return .none }
        return masking[environment]?[label] ?? .none
    }
}

/// Cost rates of an adapter, from `[cost.<adapter>]`.
public struct CostRates: Sendable, Equatable {
    public var perSecond: ExactDecimal
    public var perGBScanned: ExactDecimal
    public var perGBWritten: ExactDecimal
    public var perMillionRows: ExactDecimal
    public var currency: String
}

extension ColumnGovernance {
    /// The fields as rocky.toml writes them: `masking = { prod = "redact" }`.
    init(tomlFields json: JSON) throws {
        // rocky.toml spells the fields as schemas store them (Docs/format.md).
        do { try self.init(json: json) } catch {
            throw RepositoryError.malformedConfig(file: ProjectConfig.fileName, reason: "\(error)")
        }
    }
}

/// Who may do what where (DESIGN.md "Access"), from `[access]`.
public struct AccessPolicy: Sendable, Equatable {
    public struct Role: Sendable, Equatable {
        public var allow: [String]
        /// Branch patterns (`*` matches within a name, `agent/*`); empty: every branch.
        public var branches: [String]
        /// Environments the role may use; empty: every one.
        public var environments: [String]
    }

    public var roles: [String: Role] = [:]
    /// Principal -> roles.
    public var principals: [String: [String]] = [:]
    /// Branches whose committed policy is the one in force (default `main`).
    public var protected: [String] = ["main"]

    public init() {}

    public var isEmpty: Bool { roles.isEmpty && principals.isEmpty }

    init(json: JSON, fail: (String) -> RepositoryError) throws {
        self.init()
        if let list = json["protected"]?.arrayValue { protected = list.compactMap(\.stringValue) }
        for role in json["roles"]?.members ?? [] {
            roles[role.key] = Role(
                allow: role.value["allow"]?.arrayValue?.compactMap(\.stringValue) ?? [],
                branches: role.value["branches"]?.arrayValue?.compactMap(\.stringValue) ?? [],
                environments: role.value["environments"]?.arrayValue?.compactMap(\.stringValue) ?? [])
        }
        for principal in json["principals"]?.members ?? [] {
            if let one = principal.value.stringValue {
                principals[principal.key] = [one]
            } else if let many = principal.value.arrayValue?.compactMap(\.stringValue) {
                principals[principal.key] = many
            } else {
                throw fail("access.principals.\(principal.key) must be a role or a list of roles")
            }
        }
    }
}

extension Repository {
    /// rocky.toml as it is in the working directory (empty when absent).
    public func workingConfig() throws -> ProjectConfig {
        let context = try gate(.workingConfig); defer { context.end() }
        let path = workDirectory + "/" + ProjectConfig.fileName
        guard let data = FileManager.default.contents(atPath: path) else { return ProjectConfig() }
        return try ProjectConfig(text: String(decoding: data, as: UTF8.self))
    }

    /// rocky.toml as committed at a revision (empty when absent).
    public func committedConfig(at revision: String) throws -> ProjectConfig {
        let context = try gate(.committedConfig); defer { context.end() }
        try context.authorizeRevision(revision)
        return try configCommitted(at: revision)
    }

    /// `committedConfig` without the gate (the gate reads the policy with it).
    func configCommitted(at revision: String) throws -> ProjectConfig {
        let tree = try objects.readTree(try objects.readCommit(try resolveRevision(revision)).tree)
        guard let blob = tree.files[ProjectConfig.fileName] else { return ProjectConfig() }
        return try ProjectConfig(text: String(decoding: try objects.read(blob, as: .blob), as: UTF8.self),
                                 file: "\(ProjectConfig.fileName)@\(revision)")
    }
}
