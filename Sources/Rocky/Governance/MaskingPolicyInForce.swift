import RockyBase
import RockySQL
import RockyStore
import RockyTable

/// The masking policy in force (Docs/governance.md, "The policy in force").
///
/// Anyone can edit the working rocky.toml, and anyone with write access can
/// commit on their own branch. Neither may unmask prod. So:
///
/// - the protected branch is named by `[access] protected` as committed on
///   `main` (default `main`), never by the working copy;
/// - the environments' strategies are those of rocky.toml as committed on the
///   protected branch (the working copy's only while none are committed there);
/// - a column's governance is what the branch's schema and working rocky.toml
///   say, but never weaker than what the protected branch says for the same
///   `table.column` (its committed declaration and its stored schema, the
///   column matched by name or by stable id, so a rename does not escape):
///   the stricter strategy and the stricter classification win.
///
/// A branch may tighten; loosening takes a commit on the protected branch.
extension Repository {
    /// The branch whose committed rocky.toml is the policy in force.
    public func protectedBranchName() throws -> String {
        let context = try gate(.protectedBranchName); defer { context.end() }
        return protectedBranchNameInForce()
    }

    /// rocky.toml as committed on the protected branch; nil while that branch
    /// does not exist.
    func protectedConfig() throws -> (branch: String, config: ProjectConfig)? {
        let name = protectedBranchNameInForce()
        guard let ref = try? RefName.branch(name), try refs.read(ref) != nil else { return nil }
        return (name, try configCommitted(at: name))
    }

    /// A catalog of `tables` for compiling in `environment` (default: the
    /// settings' environment), with the column governance in force.
    public func catalogInForce(tables ids: [String: ObjectID], environment: String? = nil) throws -> TableCatalog {
        let context = try gate(.catalogInForce); defer { context.end() }
        for id in ids.values { try context.authorizeObject(id) }
        let tables = try ids.mapValues { try objects.readTable($0) }
        return TableCatalog(tables: tables, declarations: try declarationsInForce(for: tables, environment: environment ?? settings.environment))
    }

    /// The working rocky.toml's column declarations, raised where the
    /// protected branch is stricter for `environment`: such a column gets the
    /// stricter classification and an explicit `masking[environment]`.
    ///
    /// A column's `access` roles see it raw (an explicit `masking[environment]
    /// = none`) unless the strategy is `deny`. The roles are the actor's in
    /// the access policy in force; the column's `access` is its own, narrowed
    /// to the roles the protected branch also lists for it when that branch
    /// knows the column, so a branch cannot grant itself access.
    func declarationsInForce(for tables: [String: Table], environment: String) throws -> [String: ColumnGovernance] {
        var declarations = try workingConfig().columns
        let protected = try protectedConfig()
        let roles = Set(try accessPolicy().principals[settings.actor] ?? [])
        guard protected != nil || !roles.isEmpty else { return declarations }
        let policy = try maskingConfig()
        let protectedIDs = try protected.map { try objects.readTree(try objects.readCommit(try resolveRevision($0.branch)).tree).tables } ?? [:]
        for (name, table) in tables {
            let protectedSchema = try protectedIDs.first { $0.key.lowercased() == name.lowercased() }
                .map { try objects.readTable($0.value).schema }
            for column in table.schema.columns {
                let key = "\(name).\(column.name)"
                let ours = declarations[key].map { column.governance.merging($0) } ?? column.governance
                var combined = ours
                var access = Set(ours.access)
                if let committed = protected?.config {
                    var theirs = ColumnGovernance()
                    var theirAccess = Set<String>()
                    var known = false
                    var protectedNames = [column.name]
                    if let schema = protectedSchema {
                        for match in [schema.column(id: column.id), schema.column(named: column.name)].compactMap({ $0 }) {
                            theirs = theirs.strictest(match.governance, environment: environment, policy: policy)
                            theirAccess.formUnion(match.governance.access)
                            protectedNames.append(match.name)
                            known = true
                        }
                    }
                    for declared in Set(protectedNames).compactMap({ committed.columns["\(name).\($0)"] }) {
                        theirs = theirs.strictest(declared, environment: environment, policy: policy)
                        theirAccess.formUnion(declared.access)
                        known = true
                    }
                    combined = ours.strictest(theirs, environment: environment, policy: policy)
                    if known { access.formIntersection(theirAccess) }
                }
                var strategy = policy.strategy(for: combined, environment: environment)
                if strategy != .deny, !roles.isDisjoint(with: access) { strategy = .none }
                guard combined.classification != ours.classification || strategy != policy.strategy(for: ours, environment: environment) else {
                    continue
                }
                var declaration = declarations[key] ?? ColumnGovernance()
                declaration.classification = combined.classification
                declaration.masking[environment] = strategy
                declarations[key] = declaration
            }
        }
        return declarations
    }
}

extension ColumnGovernance {
    /// These fields with the stricter classification and, for `environment`,
    /// the stronger strategy of the two (as an explicit `masking[environment]`
    /// when `other`'s is stronger).
    func strictest(_ other: ColumnGovernance, environment: String, policy: ProjectConfig) -> ColumnGovernance {
        var g = self
        if let c = other.classification, g.classification.map({ c > $0 }) ?? true { g.classification = c }
        let mine = policy.strategy(for: self, environment: environment)
        let theirs = policy.strategy(for: other, environment: environment)
        let strongest = theirs.strength > mine.strength ? theirs : mine
        if policy.strategy(for: g, environment: environment) != strongest { g.masking[environment] = strongest }
        return g
    }
}

extension MaskingStrategy {
    /// How much of a value a strategy withholds, to combine two rules for one
    /// column: none < year < partial < email (each keeps part of the value)
    /// < hash (keeps equality) < redact < nullify < deny.
    public var strength: Int {
        switch self {
        case .none: 0
        case .year: 1
        case .partial: 2
        case .email: 3
        case .hash: 4
        case .redact: 5
        case .nullify: 6
        case .deny: 7
        }
    }
}
