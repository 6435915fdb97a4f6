import RockyBase
import RockyStore
import RockyTable

/// How `resolveConflicts` settles the conflicts it names.
public enum ConflictChoice: Sendable, Equatable {
    /// Ours' version of each cell (of each row, for delete-modify).
    case ours
    /// Theirs' version.
    case theirs
    /// These values (column name -> text, read as the column's type; `NULL`
    /// for NULL). Every conflicting column of each named row must be given.
    case values([String: String])
}

/// The merge in progress on the checked-out branch, as `rocky conflicts` shows it.
public struct ConflictListing: Sendable {
    public var branch: String?
    public var operation: String
    public var source: String
    public var otherParent: ObjectID?
    /// The conflicts still standing, masked as the environment masks them for the actor.
    public var conflicts: [MergeConflict]
}

/// What one `resolveConflicts` did.
public struct ConflictResolution: Sendable {
    public var table: String
    public var resolved: Int
    /// Conflicts still standing, in every table.
    public var remaining: Int
}

extension Repository {
    /// The merge in progress on the checked-out branch and its conflicts.
    public func conflicts() throws -> ConflictListing {
        let context = try gate(.conflicts); defer { context.end() }
        try context.authorizeRevisionOrWorkingSet(nil)
        let target = try currentTarget()
        let (set, _) = try workingSet(target)
        guard let state = set.merge else { throw Repository.noMergeInProgress(target) }
        return ConflictListing(branch: target.branch, operation: state.operation, source: state.source, otherParent: state.otherParent,
                               conflicts: try maskedConflicts(state.conflicts, tables: Repository.versionMaps(state)))
    }

    /// Resolves the conflicts of `table` on the rows with `keys` (key texts
    /// as `parseKey` reads them), or every conflict of the table when no key
    /// is given, and updates the merged table in the working set.
    ///
    /// Row conflicts (cell, delete-modify, multiplicity) are settled per row.
    /// A table whose conflict is not about one row (a schema or table
    /// conflict, a constraint broken by the merged schema) is resolved
    /// whole, to one side: the table is merged again with that strategy.
    @discardableResult
    public func resolveConflicts(in table: String, keys: [String] = [], choice: ConflictChoice, retries: Int = 0) throws -> ConflictResolution {
        let context = try gate(.resolveConflicts); defer { context.end() }
        try context.authorizeRevisionOrWorkingSet(nil, for: .write)
        let target = try currentTarget()
        return try retrying(retries, branch: target.branch) {
            let entry = { (r: ConflictResolution) -> AuditEntry in
                AuditEntry(operation: "resolve", branch: target.branch,
                           details: .object(["table": .string(table), "keys": .int(keys.count), "resolved": .int(r.resolved),
                                             "remaining": .int(r.remaining), "choice": .string(Repository.describe(choice))]))
            }
            return try updateWorkingSet(message: "conflicts resolve \(table)", commit: nil, entry: entry) { (set: inout WorkingSet) in
                try resolve(in: &set, table: table, keys: keys, choice: choice, target: target)
            }.result
        }
    }

    private func resolve(in set: inout WorkingSet, table: String, keys: [String], choice: ConflictChoice,
                         target: WorkTarget) throws -> ConflictResolution {
        guard var state = set.merge else { throw Repository.noMergeInProgress(target) }
        let mine = state.conflicts.filter { $0.table == table }
        guard !mine.isEmpty else {
            let tables = Set(state.conflicts.map(\.table)).sorted()
            throw RepositoryError.invalidArgument("no conflict stands in table \(table)"
                + (tables.isEmpty ? " (none remain: run 'rocky merge --continue')" : " (conflicted tables: \(tables.joined(separator: ", ")))"))
        }
        let versions = state.versions[table] ?? TableVersions(base: nil, ours: nil, theirs: nil)
        let wholeTable = mine.contains { !Repository.rowKinds.contains($0.kind) || $0.key == nil }
        var chosen: [MergeConflict]
        if keys.isEmpty {
            if case .values = choice {
                throw RepositoryError.invalidArgument("--set gives the values of one row's cells: name the row's key")
            }
            chosen = mine
        } else {
            guard !wholeTable else {
                throw RepositoryError.invalidArgument("the conflicts of \(table) are not about single rows (\(Set(mine.map(\.kind.rawValue)).sorted().joined(separator: ", "))): "
                    + "resolve the table whole with 'rocky conflicts resolve \(table) --ours' or '--theirs'")
            }
            guard let mergedID = set.tables[table] else { throw RepositoryError.noSuchTable(table, available: set.tables.keys.sorted()) }
            let schema = try objects.readTable(mergedID).schema
            chosen = []
            for text in keys {
                let values = try Repository.parseKey(text, table: table, schema: schema)
                let names = schema.keyIndices.map { schema.columns[$0].name.lowercased() }
                let matching = mine.filter { c in
                    guard let key = c.key, key.count == values.count else { return false }
                    return zip(names, values).allSatisfy { name, value in
                        key.contains { $0.column.lowercased() == name && Repository.sameCell($0.value, value) }
                    }
                }
                guard !matching.isEmpty else { throw RepositoryError.invalidArgument("no conflict stands in \(table) for key '\(text)'") }
                chosen += matching.filter { c in !chosen.contains(c) }
            }
        }
        if wholeTable {
            guard let strategy: MergeStrategy = choice == .ours ? .ours : choice == .theirs ? .theirs : nil else {
                throw RepositoryError.invalidArgument("--set gives the values of one row's cells: resolve \(table) with --ours or --theirs")
            }
            let merger = TableMerger(store: objects, temporaryDirectory: temporaryDirectory())
            let result = try merger.merge(base: try versions.base.map { try objects.readTable($0) },
                                          ours: try versions.ours.map { try objects.readTable($0) },
                                          theirs: try versions.theirs.map { try objects.readTable($0) },
                                          name: table, strategy: strategy)
            guard result.isClean else {
                throw RepositoryError.invalidArgument("\(table) cannot be resolved to \(strategy.rawValue): "
                    + (result.conflicts.first { !$0.isResolved }?.description ?? "a conflict no side resolves"))
            }
            set.tables[table] = try result.table.map { try objects.write(table: $0) }
            chosen = mine
        } else {
            set.tables[table] = try resolveRows(chosen, of: table, in: set.tables[table], versions: versions, choice: choice)
        }
        state.conflicts.removeAll { chosen.contains($0) }
        set.merge = state
        return ConflictResolution(table: table, resolved: chosen.count, remaining: state.conflicts.count)
    }

    /// Commits the merge in progress once no conflict stands: the commit's
    /// parents are the branch's head and the merged commit. The models and
    /// the merged transformations must compile against the result, as in a
    /// merge that had no conflicts.
    @discardableResult
    public func continueMerge(message: String? = nil, retries: Int = 0) throws -> ObjectID {
        let context = try gate(.continueMerge); defer { context.end() }
        let target = try currentTarget()
        try context.authorizeRevisionOrWorkingSet(nil, for: .write)
        // A merge needs `merge` on the branch; a revert or cherry-pick, as when it commits at once, `write`.
        let operation = try workingSet(target).0.merge?.operation ?? "merge"
        if let branch = target.branch { try context.authorize(operation == "merge" ? .merge : .write, branch: branch) }
        return try retrying(retries, branch: target.branch) {
            let target = try currentTarget()
            let (set, worksetID) = try workingSet(target)
            guard let state = set.merge else { throw Repository.noMergeInProgress(target) }
            guard state.conflicts.isEmpty else {
                throw MergeStateError(reason: .conflictsRemain, message: "\(state.conflicts.count) conflict(s) remain in "
                    + Set(state.conflicts.map(\.table)).sorted().joined(separator: ", ")
                    + ": list them with 'rocky conflicts', resolve them with 'rocky conflicts resolve', or give up with 'rocky merge --abort'")
            }
            if let other = state.otherParent {
                try compileMerged(tables: set.tables, files: try projectFileIDs(write: true), base: state.bases.first, source: other,
                                  sourceName: state.source, targetName: target.branch ?? "HEAD")
            }
            return try commitWorkingSet(set, worksetID: worksetID, target: target, message: message ?? state.message,
                                        allowEmpty: true, meta: state.meta, finishing: state).id
        }
    }

    /// Abandons the merge in progress: the working set ref gets back the
    /// value it had before the merge (the same object, byte for byte) and
    /// the project files are the head's again.
    public func abortMerge() throws {
        let context = try gate(.abortMerge); defer { context.end() }
        try context.authorizeRevisionOrWorkingSet(nil, for: .write)
        let target = try currentTarget()
        let (set, worksetID) = try workingSet(target)
        guard let state = set.merge else { throw Repository.noMergeInProgress(target) }
        let headFiles = try objects.readTree(try objects.readCommit(set.base).tree).files
        let onDisk = try projectFileIDs(write: false)
        try checkProjectFileWrite(from: onDisk, to: headFiles)
        var changes = [RefChange(target.worksetRef, from: worksetID, to: state.previousWorkingSet)]
        if let ref = target.ref { changes.insert(.check(ref, is: set.base), at: 0) }
        do {
            try refs.update(changes, note: settings.note("\(state.operation) --abort"))
        } catch StoreError.refMoved {
            throw RepositoryError.lostRace(target)
        }
        try writeProjectFiles(from: onDisk, to: headFiles)
        try context.record(AuditEntry(operation: state.operation, branch: target.branch, oldID: set.base,
                                      details: .object(["source": .string(state.source), "aborted": .bool(true),
                                                        "conflicts": .int(state.conflicts.count)])))
    }

    // MARK: - Rows

    static let rowKinds: Set<MergeConflict.Kind> = [.cell, .deleteModify, .multiplicity]

    /// The merged table `tableID` with `conflicts` (all of one table, row
    /// kinds) settled by `choice`: one edit per row, by `TreeEditor`.
    private func resolveRows(_ conflicts: [MergeConflict], of table: String, in tableID: ObjectID?, versions: TableVersions,
                             choice: ConflictChoice) throws -> ObjectID? {
        guard let tableID else { throw RepositoryError.noSuchTable(table, available: []) }
        let merged = try objects.readTable(tableID)
        let schema = merged.schema
        let codec = RowCodec(schema: schema)
        let reader = TreeReader(store: objects)
        let theirsTable = try versions.theirs.map { try objects.readTable($0) }
        var byKey: [[UInt8]: [MergeConflict]] = [:]
        var rows: [[UInt8]: [Value]] = [:]
        for c in conflicts {
            var row = [Value](repeating: .null, count: schema.columns.count)
            for part in c.key ?? [] {
                if let i = schema.columns.firstIndex(where: { $0.name.lowercased() == part.column.lowercased() }) { row[i] = part.value }
            }
            let key = codec.key(of: row)
            byKey[key, default: []].append(c)
            rows[key] = row
        }
        var changes: [KeyedChange] = []
        for (key, group) in byKey.sorted(by: { $0.key.lexicographicallyPrecedes($1.key) }) {
            let current = try reader.locate(key, in: merged.root).value
            if schema.isKeyless {
                // Multiplicity: the chosen side's number of copies.
                let count: Int
                switch choice {
                case .ours: count = (group.compactMap { if case let .integer(n)? = $0.ours { n } else { nil } }.first.map(Int.init) ?? 0)
                case .theirs: count = (group.compactMap { if case let .integer(n)? = $0.theirs { n } else { nil } }.first.map(Int.init) ?? 0)
                case .values: throw RepositoryError.invalidArgument("\(table) has no primary key: a row's copies are resolved with --ours or --theirs")
                }
                changes.append(KeyedChange(key: key, change: count == 0 ? .delete : .upsert(RowCodec.multiplicity(count))))
                continue
            }
            var row: [Value]?
            if let current {
                row = try key.withUnsafeBytes { k in try current.withUnsafeBytes { v in try codec.decode(key: k, value: v).row } }
            }
            func sideRow() throws -> [Value]? {
                if let row { return row }
                // Absent from the result (ours deleted it): theirs' row, by column.
                guard let theirsTable else { return nil }
                let theirsCodec = RowCodec(schema: theirsTable.schema)
                var probe = [Value](repeating: .null, count: theirsTable.schema.columns.count)
                for (i, column) in theirsTable.schema.columns.enumerated() {
                    if let j = schema.columns.firstIndex(where: { $0.name.lowercased() == column.name.lowercased() }) { probe[i] = rows[key]![j] }
                }
                let theirsKey = theirsCodec.key(of: probe)
                guard let value = try reader.locate(theirsKey, in: theirsTable.root).value else { return nil }
                let theirsRow = try theirsKey.withUnsafeBytes { k in try value.withUnsafeBytes { v in try theirsCodec.decode(key: k, value: v).row } }
                return schema.columns.map { column in
                    let byName = theirsTable.schema.columns.firstIndex { $0.name.lowercased() == column.name.lowercased() }
                    return byName.map { theirsRow[$0] } ?? .null
                }
            }
            switch choice {
            case .ours, .theirs:
                let side: (MergeConflict) -> Value? = choice == .ours ? { $0.ours } : { $0.theirs }
                if group.contains(where: { $0.kind == .deleteModify && side($0) == nil }) {
                    row = nil
                } else {
                    row = try sideRow()
                    for c in group { if let i = index(of: c, in: schema), let v = side(c) { row?[i] = v } }
                }
            case let .values(given):
                let conflicting = Set(group.compactMap { $0.column?.lowercased() })
                let named = Set(given.keys.map { $0.lowercased() })
                let missing = conflicting.subtracting(named).sorted()
                guard missing.isEmpty else {
                    throw RepositoryError.invalidArgument("--set must give every conflicting column of the row: missing \(missing.joined(separator: ", "))")
                }
                row = try sideRow()
                for (name, text) in given.sorted(by: { $0.key < $1.key }) {
                    guard let i = schema.columns.firstIndex(where: { $0.name.lowercased() == name.lowercased() }) else {
                        throw RepositoryError.invalidArgument("\(table) has no column \(name)")
                    }
                    let column = schema.columns[i]
                    guard !schema.key.contains(column.id) else {
                        throw RepositoryError.invalidArgument("--set cannot change key column \(column.name): the conflict is about this row")
                    }
                    let value: Value
                    if text == "NULL" {
                        guard column.nullable else { throw RepositoryError.invalidArgument("\(table).\(column.name) is NOT NULL") }
                        value = .null
                    } else {
                        guard let parsed = ValueParser.value(text, as: column.type) else {
                            throw RepositoryError.invalidArgument("'\(text)' is not a \(column.type) value for \(table).\(column.name)")
                        }
                        value = parsed
                    }
                    row?[i] = value
                }
            }
            guard let row else { changes.append(KeyedChange(key: key, change: .delete)); continue }
            if let i = schema.columns.indices.first(where: { !schema.columns[$0].nullable && row[$0].isNull }) {
                throw RepositoryError.invalidArgument("\(table).\(schema.columns[i].name) is NOT NULL: the resolved row needs a value there")
            }
            changes.append(KeyedChange(key: key, change: .upsert(codec.value(of: row))))
        }
        let root = try TreeEditor(store: objects).apply(changes.makeIterator(), to: merged.root)
        return try objects.write(table: Table(schema: schema, root: root))
    }

    private func index(of conflict: MergeConflict, in schema: Schema) -> Int? {
        if let id = conflict.columnID, let i = schema.index(ofColumn: id) { return i }
        return conflict.column.flatMap { name in schema.columns.firstIndex { $0.name.lowercased() == name.lowercased() } }
    }

    static func versionMaps(_ state: MergeInProgress) -> [[String: ObjectID]] {
        [state.versions.compactMapValues(\.base), state.versions.compactMapValues(\.ours), state.versions.compactMapValues(\.theirs)]
    }

    static func noMergeInProgress(_ target: WorkTarget) -> MergeStateError {
        MergeStateError(reason: .noMergeInProgress, message: "no merge is in progress on \(target.branch ?? "HEAD") "
            + "(start one with 'rocky merge <branch> --keep-conflicts')")
    }

    static func describe(_ choice: ConflictChoice) -> String {
        switch choice {
        case .ours: "ours"
        case .theirs: "theirs"
        case .values: "values"
        }
    }
}
