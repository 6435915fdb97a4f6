import Foundation
import RockyBase
import RockyEngine
import RockySQL
import RockyStore
import RockyTable

/// The reads of history a script makes (`t AS OF '<rev>'`, the system
/// tables and `rocky_diff(...)`), resolved: each a table version offered to
/// the compiler (in the catalog) and to the engine (as an input) under its
/// catalog name, exactly as an ordinary table. A table at a revision is
/// that revision's stored version; a system table is materialized as an
/// ephemeral table version (written like any result, reachable from nothing
/// until a transformation records it as an input). So the same reads give
/// the same table ids, and replay and reuse work as for any input.
struct HistoryInputs {
    /// Catalog name -> table id.
    var ids: [String: ObjectID] = [:]
    /// What the compiler sees of each, governance in force included.
    var tables: [CatalogTable] = []
}

extension Repository {
    /// Resolves the reads of history of `script`, each authorized through
    /// `context` like any revision read (a refused one throws, exit code 5).
    /// `tables` are the tables the script runs on: a table of that name
    /// shadows a system table.
    func historyInputs(for script: String, tables: [String: ObjectID], context: OperationContext) throws -> HistoryInputs {
        var result = HistoryInputs()
        let present = Set(tables.keys.map { $0.lowercased() })
        for reference in SQLCompiler.historyReferences(in: script) where !present.contains(reference.catalogName.lowercased()) {
            switch reference {
            case let .asOf(table, revision):
                let commit = try context.authorizeRevision(revision)
                let stored = try objects.readTree(try objects.readCommit(commit).tree).tables
                // A table missing at that revision is reported by the compiler, at its position.
                guard let (name, id) = stored.first(where: { $0.key.lowercased() == table.lowercased() }) else { continue }
                try offer(reference, id: id, governedAs: name, into: &result)
            case let .system(name):
                let (schema, rows) = try systemTable(name, context: context)
                try offer(reference, id: try writeEphemeral(schema, rows, label: name), governedAs: nil, into: &result)
            case let .diff(from, to, table):
                let (schema, rows) = try diffTable(from: from, to: to, table: table, context: context)
                try offer(reference, id: try writeEphemeral(schema, rows, label: "rocky_diff"), governedAs: nil, into: &result)
            }
        }
        return result
    }

    /// The reads of history a recorded transformation made, by the table ids
    /// it recorded (replay re-reads exactly those versions).
    func recordedHistoryInputs(_ inputs: [String: ObjectID], state: [String: ObjectID]) throws -> HistoryInputs {
        var result = HistoryInputs()
        let present = Set(state.keys.map { $0.lowercased() })
        for (name, id) in inputs where !present.contains(name.lowercased()) {
            guard let reference = HistoryReference(catalogName: name) else { continue }
            if case let .asOf(table, _) = reference {
                try offer(reference, id: id, governedAs: table, into: &result)
            } else {
                try offer(reference, id: id, governedAs: nil, into: &result)
            }
        }
        return result
    }

    /// Adds a table version under the reference's catalog name. `governedAs`:
    /// the table name whose rocky.toml declarations apply (a table at a
    /// revision is governed as that table is now); nil: the stored schema's
    /// governance alone (system tables carry theirs).
    private func offer(_ reference: HistoryReference, id: ObjectID, governedAs name: String?, into result: inout HistoryInputs) throws {
        let schema = try objects.readTable(id).schema
        var table = try name.flatMap { try catalogInForce(tables: [$0: id]).table(named: $0) }
            ?? TableCatalog.catalogTable(reference.catalogName, schema, declarations: [:])
        table.name = reference.catalogName
        result.ids[reference.catalogName] = id
        result.tables.append(table)
    }

    /// Writes rows (in the schema's column order) as a table version.
    private func writeEphemeral(_ schema: Schema, _ rows: [[Value]], label: String) throws -> ObjectID {
        let writer = TreeWriter(store: objects, schema: schema, label: label, temporaryDirectory: temporaryDirectory())
        let built = try writer.build { _, feed in
            for row in rows { try feed.add(row: row) }
        }
        return try objects.write(table: Table(schema: schema, root: built.root))
    }

    // MARK: System tables

    private func systemTable(_ name: String, context: OperationContext) throws -> (Schema, [[Value]]) {
        func text(_ s: String?) -> Value { s.map(Value.text) ?? .null }
        switch name {
        case "rocky_log":
            // The history of the checked-out state, newest first.
            let schema = try Schema(named: [("commit", .text), ("first_parent", .text), ("parents", .text), ("actor", .text),
                                           ("time", .timestamp), ("message", .text), ("transformations", .integer), ("run_id", .text)],
                                    key: ["commit"])
            guard let head = try? resolveRevision("HEAD") else { return (schema, []) }
            try context.authorizeRevisionOrWorkingSet(nil)
            var walk = try CommitWalk(store: objects, from: [head])
            var rows: [[Value]] = []
            while let (id, commit) = try walk.nextCommit() {
                rows.append([.text(id.hex), text(commit.firstParent?.hex), .text(commit.parents.map(\.hex).joined(separator: " ")),
                             .text(commit.actor), .timestamp(commit.time), .text(commit.message),
                             .integer(Int64(commit.transforms.count)), text(commit.runID)])
            }
            return (schema, rows)
        case "rocky_branches":
            // The branches the actor may read.
            let schema = try Schema(named: [("name", .text), ("head", .text), ("current", .boolean), ("actor", .text),
                                           ("time", .timestamp), ("message", .text)], key: ["name"])
            let current = try currentBranch()
            var rows: [[Value]] = []
            for entry in try refs.list(prefix: RefName.headsPrefix) {
                guard let branch = entry.name.branchName else { continue }
                do { try context.authorize(.read, branch: branch) } catch RepositoryError.accessDenied { continue }
                let commit = try objects.readCommit(entry.id)
                rows.append([.text(branch), .text(entry.id.hex), .boolean(branch == current), .text(commit.actor),
                             .timestamp(commit.time), .text(commit.message)])
            }
            return (schema, rows)
        case "rocky_tags":
            // The tags whose commits the actor may read.
            let schema = try Schema(named: [("name", .text), ("commit", .text), ("tagger", .text), ("time", .timestamp),
                                           ("message", .text)], key: ["name"])
            var rows: [[Value]] = []
            for tag in try tags() {
                do { try context.authorizeCommit(tag.commit) } catch RepositoryError.commitNotReadable { continue }
                rows.append([.text(tag.name), .text(tag.commit.hex), .text(tag.tagger), .timestamp(tag.time), .text(tag.message)])
            }
            return (schema, rows)
        default:
            // rocky_audit: the entries of branches the actor may read (and
            // those of no branch); quoted literals of statements withheld in
            // an environment that masks anything, as `show` does.
            let schema = try Schema(named: [("sequence", .integer), ("time", .timestamp), ("actor", .text), ("operation", .text),
                                           ("branch", .text), ("old_id", .text), ("new_id", .text), ("rows", .integer),
                                           ("statements", .text), ("environment", .text), ("run_id", .text)],
                                    key: ["sequence"])
            let withhold = try environmentMasksAnything()
            var rows: [[Value]] = []
            for e in try auditEntries() {
                if let branch = e.branch {
                    do { try context.authorize(.read, branch: branch) } catch RepositoryError.accessDenied { continue }
                }
                let statements = e.statements.map { withhold ? Repository.withholdingQuotedText($0) : $0 }
                rows.append([.integer(Int64(e.sequence)), .timestamp(e.time), .text(e.actor), .text(e.operation), text(e.branch),
                             text(e.oldID?.hex), text(e.newID?.hex), e.rows.map { .integer(Int64($0)) } ?? .null,
                             .text(statements.joined(separator: ";\n")), .text(e.environment), text(e.runID)])
            }
            return (schema, rows)
        }
    }

    /// `rocky_diff('<from>', '<to>', '<table>')`: one row per changed row of
    /// the table between two revisions: `change` (added, removed,
    /// modified), then `before_<c>` and `after_<c>` for each column (by
    /// column id: the new version's columns, then those only the old one
    /// has), each governed (classified, masked) as its column is.
    private func diffTable(from: String, to: String, table: String, context: OperationContext) throws -> (Schema, [[Value]]) {
        let fromID = try context.authorizeRevision(from), toID = try context.authorizeRevision(to)
        let old = try tableIDs(at: fromID.hex), new = try tableIDs(at: toID.hex)
        let oldEntry = old.first { $0.key.lowercased() == table.lowercased() }
        let newEntry = new.first { $0.key.lowercased() == table.lowercased() }
        guard oldEntry != nil || newEntry != nil else {
            throw RepositoryError.noSuchTable(table, available: Set(old.keys).union(new.keys).sorted())
        }
        let oldTable = try oldEntry.map { try objects.readTable($0.value) }
        let newTable = try newEntry.map { try objects.readTable($0.value) }
        let name = newEntry?.key ?? oldEntry!.key
        // Governance in force of each column (by id), newest version first.
        var governance: [Int: ColumnGovernance] = [:]
        for entry in [oldEntry, newEntry].compactMap({ $0 }) {
            guard let catalogTable = try catalogInForce(tables: [name: entry.value]).table(named: name) else { continue }
            for column in catalogTable.columns { governance[column.id] = column.governance }
        }
        var columns: [(id: Int, name: String, oldType: ColumnType?, newType: ColumnType?)] = []
        for c in newTable?.schema.columns ?? [] {
            columns.append((c.id, c.name, oldTable?.schema.column(id: c.id)?.type, c.type))
        }
        for c in oldTable?.schema.columns ?? [] where newTable?.schema.column(id: c.id) == nil {
            columns.append((c.id, c.name, c.type, nil))
        }
        var schemaColumns = [Column(id: 1, name: "change", type: .text, nullable: false)]
        for c in columns {
            for (prefix, type) in [("before_", c.oldType ?? c.newType!), ("after_", c.newType ?? c.oldType!)] {
                var column = Column(id: schemaColumns.count + 1, name: prefix + c.name, type: type, nullable: true)
                column.governance = governance[c.id] ?? ColumnGovernance()
                schemaColumns.append(column)
            }
        }
        let schema = Schema(columns: schemaColumns)
        func values(_ row: [Value]?, _ version: Table?, _ id: Int) -> Value {
            guard let row, let index = version?.schema.index(ofColumn: id), index < row.count else { return .null }
            return row[index]
        }
        func row(_ change: String, old: [Value]?, new: [Value]?) -> [Value] {
            var result: [Value] = [.text(change)]
            for c in columns { result += [values(old, oldTable, c.id), values(new, newTable, c.id)] }
            return result
        }
        var rows: [[Value]] = []
        var deltas = try TableComparison(store: objects, old: oldTable, new: newTable, temporaryDirectory: temporaryDirectory()).rows()
        while let delta = try deltas.nextDelta() {
            switch delta {
            case let .added(r): rows.append(row("added", old: nil, new: r))
            case let .removed(r): rows.append(row("removed", old: r, new: nil))
            case let .modified(o, n, _): rows.append(row("modified", old: o, new: n))
            case let .countChanged(r, before, after):
                let change = after > before ? "added" : "removed"
                for _ in 0..<abs(after - before) {
                    rows.append(change == "added" ? row(change, old: nil, new: r) : row(change, old: r, new: nil))
                }
            }
        }
        return (schema, rows)
    }
}

extension TableCatalog {
    /// Adds tables (a script's reads of history), replacing any of the same name.
    mutating func add(_ tables: [CatalogTable]) {
        for table in tables { byName[table.name.lowercased()] = table }
    }
}
