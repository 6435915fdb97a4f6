import RockyBase
import RockyEngine
import RockyEngineSQLite
import RockySQL
import RockyStore
import RockyTable

/// Masking of the values the library returns outside SQL: diffs, merge
/// conflicts, replay gaps and corrections. The strategy of each column is
/// decided exactly as for a SELECT of it (`catalogInForce` and
/// `compileOptions`: the policy in force, the actor's `access` roles) and the
/// value is masked by `RockyEngine.ValueMasking`, which computes the bytes
/// the compiled SQL computes: a masked diff value equals the masked SELECT
/// value of that cell. `deny` refuses the output (exit code 5) with the
/// lineage path a SELECT of the column reports.
///
/// These are the functions an operation gate calls on what it returns:
/// `maskingInForce()`, `tableMask(_:versions:)`, `maskedConflicts(_:tables:)`,
/// `maskedGap(_:old:new:)`.
public struct MaskingInForce: Sendable {
    /// The environment whose masking applies.
    public let environment: String
    let options: CompileOptions
    /// The HMAC key of `hash`.
    let key: [UInt8]
}

/// How the values of one table are masked for one actor in one environment.
public struct TableMask: Sendable {
    public let table: String
    /// Column id -> strategy, for the columns not shown raw (none absent).
    public let strategies: [Int: MaskingStrategy]
    /// Column name (lowercased) -> column id, over every version considered.
    let ids: [String: Int]
    /// Why showing a row of the table is refused (`deny`, or `year` on a
    /// column that is not a date), one message per column, as a SELECT of
    /// every column reports them.
    public let refusals: [Diagnostic]
    let key: [UInt8]

    /// Values shown as stored: for counts, which show none.
    static func showingAll(_ table: String) -> TableMask {
        TableMask(table: table, strategies: [:], ids: [:], refusals: [], key: [])
    }

    /// No column is masked or refused: values are shown as stored.
    public var isIdentity: Bool { strategies.isEmpty && refusals.isEmpty }

    /// Throws the refusal (a `CompileFailure` refused by governance, exit
    /// code 5) when a row of this table may not be shown; `what` names the
    /// output (`diff`, `merge conflicts in`, ...).
    public func refuseIfDenied(_ what: String) throws {
        guard !refusals.isEmpty else { return }
        throw CompileFailure(diagnostics: refusals,
                             rendered: refusals.map { "\(what) \(table): \($0.message)" }.joined(separator: "\n"))
    }

    /// The value of column `columnID` as this actor may see it. A refused
    /// column's value never reaches here from the library (the output is
    /// refused first); should it, it is withheld.
    public func mask(_ value: Value, columnID: Int) -> Value {
        guard let strategy = strategies[columnID] else { return value }
        return ValueMasking.apply(strategy, to: value, key: key) ?? .text("[WITHHELD]")
    }

    /// The value of the column named `column` (any letter case).
    public func mask(_ value: Value, column: String) -> Value {
        guard let id = ids[column.lowercased()] else { return value }
        return mask(value, columnID: id)
    }

    /// A row laid out in `schema`'s column order.
    public func mask(row: [Value], schema: Schema) -> [Value] {
        guard !strategies.isEmpty else { return row }
        return zip(row, schema.columns).map { mask($0, columnID: $1.id) }
    }

    /// A row difference: old rows in `old`'s order, new rows in `new`'s.
    public func mask(_ delta: RowDelta, old: Schema?, new: Schema?) -> RowDelta {
        guard !strategies.isEmpty else { return delta }
        switch delta {
        case let .added(row): return .added(mask(row: row, schema: new ?? old!))
        case let .removed(row): return .removed(mask(row: row, schema: old ?? new!))
        case let .modified(o, n, cells):
            return .modified(old: mask(row: o, schema: old ?? new!), new: mask(row: n, schema: new ?? old!),
                             cells: cells.map { mask($0) })
        case let .countChanged(row, o, n): return .countChanged(row: mask(row: row, schema: new ?? old!), old: o, new: n)
        }
    }

    /// A message quoting values of `column` as `'<value>' (line <n>)` (type
    /// inference's reasons), each quoted value masked; withheld (`'…'`)
    /// where the strategy gives no text (`deny`, `year` on text).
    public func maskQuotedValues(_ message: String, column: String) -> String {
        guard let id = ids[column.lowercased()], let strategy = strategies[id] else { return message }
        return message.replacing(/'(.*?)' \(line (\d+)\)/) { match in
            let masked = ValueMasking.apply(strategy, to: .text(String(match.output.1)), key: key)
            return "'" + (masked.map { $0.isNull ? "NULL" : $0.description } ?? "…") + "' (line \(match.output.2))"
        }
    }

    public func mask(_ cell: CellChange) -> CellChange {
        var masked = cell
        masked.old = mask(cell.old, columnID: cell.columnID)
        masked.new = mask(cell.new, columnID: cell.columnID)
        return masked
    }
}

extension Repository {
    /// The masking the settings' environment and actor are subject to. An
    /// environment rocky.toml does not declare is an error (`compileOptions`).
    func maskingInForce() throws -> MaskingInForce {
        var options = try compileOptions()
        // Masked outputs are computed by Rocky and the embedded engine, whatever engine the command chose.
        options.dialect = .sqlite
        return MaskingInForce(environment: options.environment, options: options, key: try maskingKey())
    }

    /// How table `name` is masked, given every version of it an output shows
    /// (the two sides of a diff; base, ours and theirs of a merge): each
    /// column gets the strongest strategy any version calls for, so a value
    /// is never shown weaker on one side than on the other.
    func tableMask(_ name: String, versions: [Table], masking: MaskingInForce? = nil) throws -> TableMask {
        let masking = try masking ?? maskingInForce()
        var strategies: [Int: MaskingStrategy] = [:]
        var ids: [String: Int] = [:]
        var refusals: [Diagnostic] = []
        for table in versions {
            let declarations = try declarationsInForce(for: [name: table], environment: masking.environment)
            let catalog = TableCatalog(tables: [name: table], declarations: declarations)
            guard let columns = catalog.table(named: name)?.columns else { continue }
            var refused = false
            for column in columns {
                ids[column.name.lowercased()] = column.id
                let strategy = masking.options.masking.strategy(for: column.governance, environment: masking.environment)
                if strategy == .deny || (strategy == .year && column.type != .date && column.type != .timestamp) { refused = true }
                if strategy != .none, strategy.strength > (strategies[column.id]?.strength ?? 0) { strategies[column.id] = strategy }
            }
            if refused {
                // The refusal a SELECT of every column gets: the same codes
                // (E0501, E0502) and lineage paths.
                func quote(_ identifier: String) -> String { "\"" + identifier.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }
                let sql = "SELECT " + columns.map { quote($0.name) }.joined(separator: ", ") + " FROM " + quote(name)
                let compiled = SQLCompiler.compile(sql, catalog: catalog, options: masking.options)
                for d in compiled.diagnostics where d.isError && d.code.rawValue.hasPrefix("E05") && !refusals.contains(where: { $0.message == d.message }) {
                    refusals.append(d)
                }
            }
        }
        return TableMask(table: name, strategies: strategies, ids: ids, refusals: refusals, key: masking.key)
    }

    /// Merge conflicts as the actor may see them: row keys and cell values
    /// masked per column (`tables`: the merge's versions of each table, by
    /// name). A conflict that would show a denied column's value refuses the
    /// report (exit code 5). Schema and table conflicts carry type names,
    /// column names and row counts, which are shown as they are.
    func maskedConflicts(_ conflicts: [MergeConflict], tables: [[String: ObjectID]]) throws -> [MergeConflict] {
        guard !conflicts.isEmpty else { return conflicts }
        let masking = try maskingInForce()
        var masks: [String: TableMask] = [:]
        return try conflicts.map { conflict in
            guard conflict.key != nil || [.cell, .deleteModify, .constraint].contains(conflict.kind) else { return conflict }
            let mask: TableMask
            if let known = masks[conflict.table] {
                mask = known
            } else {
                let versions = try tables.compactMap { $0[conflict.table] }.map { try objects.readTable($0) }
                mask = try tableMask(conflict.table, versions: versions, masking: masking)
                masks[conflict.table] = mask
            }
            if mask.isIdentity { return conflict }
            try mask.refuseIfDenied("merge conflicts in")
            var masked = conflict
            masked.key = conflict.key?.map { NamedValue(column: $0.column, value: mask.mask($0.value, column: $0.column)) }
            if [.cell, .deleteModify, .constraint].contains(conflict.kind) {
                func cell(_ v: Value?) -> Value? {
                    guard let v else { return nil }
                    if let id = conflict.columnID { return mask.mask(v, columnID: id) }
                    return conflict.column.map { mask.mask(v, column: $0) } ?? v
                }
                masked.base = cell(conflict.base)
                masked.ours = cell(conflict.ours)
                masked.theirs = cell(conflict.theirs)
            }
            return masked
        }
    }

    /// A replay's gap listing as the actor may see it: rows that arrived,
    /// changed or were removed after the replay time, masked per column
    /// (`old` is the table at the replay time, `new` its latest version). A
    /// table with a denied column refuses the listing (exit code 5).
    func maskedGap(_ gap: DataGap, old: Table, new: Table) throws -> DataGap {
        let mask = try tableMask(gap.table, versions: [old, new])
        if mask.isIdentity { return gap }
        try mask.refuseIfDenied("replay gaps in")
        var masked = gap
        masked.arrivedLater = gap.arrivedLater.map { mask.mask(row: $0, schema: new.schema) }
        masked.removedLater = gap.removedLater.map { mask.mask(row: $0, schema: old.schema) }
        masked.corrected = gap.corrected.map { c in
            (old: mask.mask(row: c.old, schema: old.schema), new: mask.mask(row: c.new, schema: new.schema), cells: c.cells.map { mask.mask($0) })
        }
        return masked
    }
}

extension Repository {
    /// `cat-object -p` of a `chunk` (rows) or an `index` node (keys) prints
    /// stored values, and a node does not name its table, so its columns'
    /// governance is unknown and it cannot be masked. In an environment that
    /// masks or denies anything, printing one needs `admin` granted by the
    /// policy in force (an empty policy grants nobody this); anyone else is
    /// refused (exit code 5). Other kinds hold no row values.
    public func authorizePrintingStoredValues(of kind: ObjectKind) throws {
        let context = try gate(.authorizePrintingStoredValues); defer { context.end() }
        guard kind == .chunk || kind == .index else { return }
        guard try environmentMasksAnything() else { return }
        let environment = settings.environment
        let policy = try accessPolicy()
        if policy.isEmpty {
            throw RepositoryError.accessDenied(actor: settings.actor, action: "admin", branch: nil, environment: environment, roles: [])
        }
        try context.authorize(.admin, branch: nil)
    }
}

extension Repository {
    /// Throws `unknownEnvironment` (exit code 2) unless the policy in force
    /// declares the settings' environment (or declares none and it is `dev`):
    /// for a command to check before it changes anything.
    public func checkEnvironment() throws {
        let context = try gate(.checkEnvironment); defer { context.end() }
        try Repository.checkEnvironment(settings.environment, declared: try maskingConfig())
    }

    /// Whether the settings' environment (which must be declared) masks or
    /// denies any classification or any declared column.
    func environmentMasksAnything() throws -> Bool {
        let config = try maskingConfig()
        let environment = settings.environment
        try Repository.checkEnvironment(environment, declared: config)
        let declared = config.columns.values.map(\.masking) + (try workingConfig().columns.values.map(\.masking))
        return (config.masking[environment] ?? [:]).values.contains { $0 != .none }
            || declared.contains { ($0[environment] ?? .none) != .none }
    }

    /// Recorded statements as `show` prints them: in an environment that
    /// masks anything, every quoted literal is withheld (`'…'`), since a
    /// statement may quote the values it looked for (`WHERE email = '…'`).
    func maskedStatements(_ transformations: [(id: ObjectID, record: Transformation)]) throws -> [(id: ObjectID, record: Transformation)] {
        guard try environmentMasksAnything() else { return transformations }
        return transformations.map { id, record in
            var record = record
            record.statement = Repository.withholdingQuotedText(record.statement)
            record.executedSQL = record.executedSQL.map(Repository.withholdingQuotedText)
            return (id, record)
        }
    }
}

extension Repository {
    /// A constraint violation with its values as this actor may see them
    /// in this environment (the table's masking, as a SELECT of those
    /// columns shows them; a denied column's value withheld); any other
    /// error as it is. `tables`: the versions the statement ran on.
    func maskedViolation(_ error: any Error, tables: [String: ObjectID]) throws -> any Error {
        guard case let EngineError.constraintViolation(table, constraint, rule, columns, values) = error,
              let id = tables.first(where: { $0.key.lowercased() == table.lowercased() })?.value else { return error }
        let mask = try tableMask(table, versions: [try objects.readTable(id)])
        guard !mask.isIdentity else { return error }
        let masked = zip(columns, values).map { column, value in
            mask.refusals.isEmpty ? mask.mask(value, column: column) : .text("[WITHHELD]")
        }
        return EngineError.constraintViolation(table: table, constraint: constraint, rule: rule, columns: columns, values: masked)
    }
}
