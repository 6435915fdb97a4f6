import Foundation
import RockyBase
import RockyEngine
import RockyEnginePostgres

/// What rocky.toml declares (Docs/governance.md has the full shape):
/// environments and their masking and engine, column governance, access
/// policy, cost rates, engines. A missing file is an empty configuration.
public struct ProjectConfig: Sendable, Equatable {
    /// Environment -> classification label -> strategy.
    public var masking: [String: [String: MaskingStrategy]] = [:]
    /// "table.column" -> declared governance fields.
    public var columns: [String: ColumnGovernance] = [:]
    public var access = AccessPolicy()
    /// Adapter name -> rates.
    public var costRates: [String: CostRates] = [:]
    /// `[engines.<name>]`: the engines statements may run on besides the
    /// embedded sqlite.
    public var engines: [String: EngineConfig] = [:]
    /// Environment -> the name of its default engine (`engine = "..."`).
    public var environmentEngines: [String: String] = [:]
    /// `[incremental]`: `verify = true` gives `.verify`, `enabled = false`
    /// `.off`, `enabled = true` `.on`; nil (absent) leaves incremental
    /// execution on, the default (Docs/incremental.md).
    public var incremental: IncrementalMode?

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
            if let engine = env.value["engine"] {
                guard let name = engine.stringValue, !name.isEmpty else { throw fail("environments.\(env.key).engine must be an engine's name") }
                environmentEngines[env.key] = name
            }
        }
        for engine in document["engines"]?.members ?? [] {
            engines[engine.key] = try EngineConfig(name: engine.key, toml: engine.value, fail: fail)
        }
        for (env, name) in environmentEngines where name != EngineConfig.embedded && engines[name] == nil {
            throw fail("environments.\(env).engine: no engine named '\(name)' (declare [engines.\(name)], or use sqlite)")
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
        if let section = document["incremental"] {
            func flag(_ key: String) throws -> Bool {
                guard let value = section[key] else { return false }
                guard let b = value.boolValue else { throw fail("incremental.\(key) must be true or false") }
                return b
            }
            if try flag("verify") {
                incremental = .verify
            } else if section["enabled"] != nil {
                incremental = try flag("enabled") ? .on : .off
            }
        }
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

extension ProjectConfig {
    /// The engine `name` names: one declared in `[engines]`, or the embedded
    /// sqlite (which needs no declaration).
    public func engine(named name: String) throws -> EngineConfig {
        if let engine = engines[name] { return engine }
        if name == EngineConfig.embedded { return EngineConfig(name: name, kind: .sqlite) }
        throw RepositoryError.unknownEngine(name, declared: engines.keys.sorted())
    }
}

/// One `[engines.<name>]` of rocky.toml (DESIGN.md "Execution engines"):
///
/// ```toml
/// [engines.pg]
/// type = "postgres"            # sqlite | postgres | spark
/// conninfo = "host=/run/pg dbname=research user=rocky"   # postgres; no secrets here
/// schema = "rocky"             # where the engine keeps table versions
/// statement_timeout = "10m"    # <n>s, <n>m, <n>h, or seconds
/// retries = 3                  # on lost connections and timeouts
/// host = "127.0.0.1"           # spark
/// port = 10000                 # spark
/// auth = "nosasl"              # spark: nosasl | plain (user; password from ROCKY_SPARK_PASSWORD)
/// user = "rocky"               # spark
/// database = "rocky"           # spark: where the engine keeps table versions
/// stage = "/shared/rocky-stage" # spark: uploads as files in a folder the cluster reads
/// ```
public struct EngineConfig: Sendable, Equatable {
    /// The name of the embedded engine, usable without a declaration.
    public static let embedded = "sqlite"

    public var name: String
    public var kind: EngineKind
    public var conninfo: String?
    public var schema: String?
    public var statementTimeoutSeconds: Int?
    public var retries: Int
    public var host: String?
    public var port: Int?
    /// spark: "nosasl" (default) or "plain" (SASL PLAIN with `user`).
    public var auth: String?
    public var user: String?
    /// spark: the database holding the table versions.
    public var database: String?
    public var stage: String?

    public init(name: String, kind: EngineKind, conninfo: String? = nil, schema: String? = nil, statementTimeoutSeconds: Int? = nil,
                retries: Int = 0, host: String? = nil, port: Int? = nil, auth: String? = nil, user: String? = nil, database: String? = nil,
                stage: String? = nil) {
        self.name = name
        self.kind = kind
        self.conninfo = conninfo
        self.schema = schema
        self.statementTimeoutSeconds = statementTimeoutSeconds
        self.retries = retries
        self.host = host
        self.port = port
        self.auth = auth
        self.user = user
        self.database = database
        self.stage = stage
    }

    static let fields: Set<String> = ["type", "conninfo", "schema", "statement_timeout", "retries", "host", "port", "auth", "user", "database",
                                      "stage"]

    init(name: String, toml: JSON, fail: (String) -> RepositoryError) throws {
        let at = "engines.\(name)"
        guard toml.members != nil else { throw fail("\(at) must be a table") }
        // The embedded engine's section (type optional) keeps fields of its
        // own, which this build does not use; a server engine's are checked,
        // so a misspelt field is an error rather than a silent default.
        let embedded = name == EngineConfig.embedded && (toml["type"] == nil || toml["type"]?.stringValue == EngineKind.sqlite.rawValue)
        if !embedded, toml["password"] != nil {
            // rocky.toml is committed and shared: a secret never goes in it (nor into a message).
            throw fail("\(at).password: a password must not be in rocky.toml; set ROCKY_SPARK_PASSWORD (spark) or PGPASSWORD (postgres)")
        }
        for member in toml.members ?? [] where !embedded && !EngineConfig.fields.contains(member.key) {
            throw fail("\(at).\(member.key): unknown field (one of \(EngineConfig.fields.sorted().joined(separator: ", ")))")
        }
        let kinds = EngineKind.allCases.map(\.rawValue).joined(separator: ", ")
        guard let typeText = toml["type"]?.stringValue ?? (embedded ? EngineKind.sqlite.rawValue : nil) else {
            throw fail("\(at).type is missing (one of \(kinds))")
        }
        guard let kind = EngineKind(rawValue: typeText) else { throw fail("\(at).type: unknown engine type '\(typeText)' (one of \(kinds))") }
        if name == EngineConfig.embedded, kind != .sqlite {
            throw fail("\(at): the name sqlite is the embedded engine's; name this \(typeText) engine otherwise")
        }
        func text(_ key: String) throws -> String? {
            guard let value = toml[key] else { return nil }
            guard let text = value.stringValue, !text.isEmpty else { throw fail("\(at).\(key) must be a non-empty string") }
            return text
        }
        func integer(_ key: String, in range: ClosedRange<Int>) throws -> Int? {
            guard let value = toml[key] else { return nil }
            guard let n = value.intValue, range.contains(n) else {
                throw fail("\(at).\(key) must be an integer from \(range.lowerBound) to \(range.upperBound)")
            }
            return n
        }
        self.name = name
        self.kind = kind
        conninfo = try text("conninfo")
        // rocky.toml is committed and shared: a secret never goes in it (nor
        // into a message: the conninfo is not repeated).
        if let conninfo, redactingPasswords(in: conninfo) != conninfo {
            throw fail("\(at).conninfo must not hold a password: set PGPASSWORD or use ~/.pgpass, which libpq reads")
        }
        schema = try text("schema")
        host = try text("host")
        port = try integer("port", in: 1...65535)
        retries = try integer("retries", in: 0...100) ?? 0
        auth = try text("auth")?.lowercased()
        user = try text("user")
        database = try text("database")
        stage = try text("stage")
        if let stage, !stage.hasPrefix("/") { throw fail("\(at).stage must be an absolute path (the same folder for rocky and the cluster)") }
        if let auth, !["nosasl", "plain"].contains(auth) { throw fail("\(at).auth must be \"nosasl\" or \"plain\"") }
        if auth == "plain", user == nil { throw fail("\(at): auth = \"plain\" needs user (the password comes from ROCKY_SPARK_PASSWORD)") }
        if let value = toml["statement_timeout"] {
            if let n = value.intValue, n > 0 {
                statementTimeoutSeconds = n
            } else if let text = value.stringValue, let seconds = EngineConfig.seconds(text) {
                statementTimeoutSeconds = seconds
            } else {
                throw fail("\(at).statement_timeout must be a duration (<n>s, <n>m, <n>h) or a number of seconds")
            }
        }
        switch kind {
        case .postgres where conninfo == nil: throw fail("\(at): a postgres engine needs conninfo")
        case .spark where host == nil: throw fail("\(at): a spark engine needs host")
        default: break
        }
    }

    /// "90s", "10m", "2h" in seconds; nil when malformed or not positive.
    static func seconds(_ text: String) -> Int? {
        guard let unit = text.last, let n = Int(text.dropLast()), n > 0 else { return nil }
        switch unit {
        case "s": return n
        case "m": return n * 60
        case "h": return n * 3600
        default: return nil
        }
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
