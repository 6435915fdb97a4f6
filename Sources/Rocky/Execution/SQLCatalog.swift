import RockyBase
import RockyEngine
import RockySQL
import RockyStore
import RockyTable

/// The tables of a repository state as the SQL compiler sees them: each
/// table's columns (with their stable ids and governance), key and time
/// column. Governance declared in rocky.toml is laid over the stored schemas.
public struct TableCatalog: Catalog, Sendable {
    var byName: [String: CatalogTable] = [:]

    public init(tables: [String: Table], declarations: [String: ColumnGovernance] = [:]) {
        for (name, table) in tables {
            byName[name.lowercased()] = TableCatalog.catalogTable(name, table.schema, declarations: declarations)
        }
    }

    static func catalogTable(_ name: String, _ schema: Schema, declarations: [String: ColumnGovernance]) -> CatalogTable {
        CatalogTable(
            name: name,
            columns: schema.columns.map { c in
                CatalogColumn(name: c.name, type: c.type, nullable: c.nullable, id: c.id,
                              governance: declarations["\(name).\(c.name)"].map { c.governance.merging($0) } ?? c.governance,
                              defaultValue: c.defaultValue)
            },
            primaryKey: schema.keyColumnNames, timeColumn: schema.timeColumnName, constraints: schema.catalogConstraints)
    }

    public func table(named name: String) -> CatalogTable? { byName[name.lowercased()] }

    public var tableNames: [String] { byName.values.map(\.name).sorted() }
}

extension ColumnGovernance {
    /// These fields, with every field `other` sets taking its place.
    func merging(_ other: ColumnGovernance) -> ColumnGovernance {
        var g = self
        if let c = other.classification { g.classification = c }
        if let o = other.owner { g.owner = o }
        if let d = other.description { g.description = d }
        for (env, s) in other.masking { g.masking[env] = s }
        if !other.access.isEmpty { g.access = other.access }
        if let r = other.retention { g.retention = r }
        if let s = other.source { g.source = s }
        if !other.tags.isEmpty { g.tags = other.tags }
        return g
    }
}

extension Repository {
    /// The catalog of a revision's tables (nil: the working set), with the
    /// working rocky.toml's column declarations applied, never weaker than
    /// the protected branch's (`catalogInForce`). With `scripts`, also the
    /// reads of history they make (`AS OF`, system tables), each authorized.
    public func catalog(at revision: String?, for scripts: [String] = []) throws -> TableCatalog {
        let context = try gate(.catalog); defer { context.end() }
        try context.authorizeRevisionOrWorkingSet(revision)
        let tables = try tableIDs(at: revision)
        var catalog = try catalogInForce(tables: tables)
        for script in scripts { catalog.add(try historyInputs(for: script, tables: tables, context: context).tables) }
        return catalog
    }

    /// The masking in force: the environments of rocky.toml as committed on
    /// the protected branch (an uncommitted edit cannot unmask prod), or the
    /// working copy's while nothing is committed there.
    /// The protected branch is named as committed on main, never by the
    /// working copy (MaskingPolicyInForce.swift).
    public func maskingConfig() throws -> ProjectConfig {
        let context = try gate(.maskingConfig); defer { context.end() }
        return try context.maskingPolicy()
    }

    /// `maskingConfig` without the gate (an operation's context reads it once).
    func maskingConfigUngated() throws -> ProjectConfig {
        if let (_, committed) = try protectedConfig(), !committed.masking.isEmpty { return committed }
        return try workingConfig()
    }

    /// Compile options for an environment (default: the settings'
    /// environment), which must be one the policy in force declares (`dev`
    /// needs no declaration while none is declared): an unknown name is an
    /// error, never "no masking". Their dialect is that of the engine the
    /// command chose.
    public func compileOptions(environment: String? = nil) throws -> CompileOptions {
        let context = try gate(.compileOptions); defer { context.end() }
        let config = try maskingConfig()
        let environment = environment ?? settings.environment
        try Repository.checkEnvironment(environment, declared: config)
        // The chosen engine's dialect: a masking strategy it cannot compute
        // exactly is refused (E0504), never approximated. An engine that
        // cannot be chosen fails when it is used.
        let dialect = (try? engineChoice())?.kind.dialect
        var options = CompileOptions(environment: environment, masking: MaskingPolicy { governance, env in
            config.strategy(for: governance, environment: env)
        }, dialect: dialect)
        // CURRENT_DATE/CURRENT_TIMESTAMP: now (ROCKY_COMMIT_TIME when set); a replay passes the recorded time.
        options.statementTime = settings.now
        return options
    }

    /// Throws `unknownEnvironment` unless `config` declares `environment`
    /// (or declares none and it is `dev`).
    static func checkEnvironment(_ environment: String, declared config: ProjectConfig) throws {
        if config.masking[environment] != nil || (config.masking.isEmpty && environment == "dev") { return }
        throw RepositoryError.unknownEnvironment(environment, declared: config.masking.keys.sorted())
    }
}
