import Foundation
import RockyBase
import RockyEngine
import RockySQL
import RockyStore
import RockyTable

/// How `replay` treats data that arrived or changed after T.
public enum ReplayDataPolicy: String, Sendable {
    /// Refuse (exit code 4) and list the gaps and corrections.
    case strict
    /// Proceed on the data known at T; the gaps are recorded in the commits.
    case allowGaps = "allow-gaps"
    /// Use the latest known rows for event times up to T.
    case corrected
}

public struct ReplayOptions: Sendable {
    public var onto: String
    public var name: String?
    public var policy: ReplayDataPolicy
    /// Replay at the fork point and compare every output with the original.
    public var verify: Bool

    public init(onto: String = Repository.defaultBranch, name: String? = nil, policy: ReplayDataPolicy = .strict, verify: Bool = false) {
        self.onto = onto
        self.name = name
        self.policy = policy
        self.verify = verify
    }
}

/// Rows of an input table with event time at or before T that the base
/// branch learned only later: arrived (gaps), changed (corrections) or removed.
public struct DataGap: Sendable {
    public var table: String
    public var timeColumn: String
    public var schema: Schema
    public var arrivedLater: [[Value]]
    public var corrected: [(old: [Value], new: [Value], cells: [CellChange])]
    public var removedLater: [[Value]]
    public var count: Int { arrivedLater.count + corrected.count + removedLater.count }
}

/// One replayed commit.
public struct ReplayStep: Sendable {
    public var original: ObjectID
    public var replayed: ObjectID
    public var transformations: Int
    public var reused: Int
}

/// For `--verify`: how each output table compares with the original run.
public struct OutputVerification: Sendable {
    public var table: String
    public var bitExact: Bool
    public var original: ObjectID?
    public var replayed: ObjectID?
    public var stats: DiffStats?
}

/// What a replay did. Its `branch` can be handed to `diff`.
public struct ReplayResult: RevisionRepresentable, Sendable {
    public var source: String
    public var at: Timestamp
    /// The new branch (nil for --verify, which writes nothing).
    public var branch: String?
    public var head: ObjectID?
    /// The base branch's commit the replay started from.
    public var start: ObjectID
    public var forkPoint: ObjectID
    public var steps: [ReplayStep]
    public var transformations: Int
    public var reused: Int
    public var gaps: [DataGap]
    public var policy: ReplayDataPolicy
    public var verification: [OutputVerification]?
    public var revisionText: String { branch ?? head?.hex ?? start.hex }
}

/// The data at T had gaps or later corrections (exit code 4); nothing was written.
public struct ReplayGapsFound: Error, Sendable, CustomStringConvertible {
    public var at: Timestamp
    public var gaps: [DataGap]
    public var description: String {
        "the data at \(at) was incomplete: " + gaps.map { g in
            "\(g.table): \(g.arrivedLater.count) row(s) arrived later, \(g.corrected.count) corrected later, \(g.removedLater.count) removed later"
        }.joined(separator: "; ") + ". Nothing was written; replay with --allow-gaps (use the data known at T) or --corrected (use the latest rows for times up to T)"
    }
}

private struct VerifyDone: Error { let result: ReplayResult }

extension Repository {
    /// Re-executes the transformations `branch` recorded since it forked
    /// from its base, on the base branch's state at `at`
    /// (`rocky.replay(branch, at: Timestamp("2026-05-20T16:00:00Z"))`).
    public func replay(_ branch: some RevisionRepresentable, at time: Timestamp, options: ReplayOptions = ReplayOptions()) throws -> ReplayResult {
        let context = try gate(.replay); defer { context.end() }
        let sourceName = branch.revisionText
        let tip = try context.authorizeRevision(branch)
        let baseTip = try context.authorizeRevision(options.onto)
        try context.authorizeReplay(of: sourceName)
        guard let fork = try objects.mergeBases(tip, baseTip).first else {
            throw RepositoryError.noForkPoint(sourceName, options.onto)
        }
        // The branch's own commits since the fork point, oldest first.
        var chain: [(ObjectID, Commit)] = []
        var cursor = tip
        while cursor != fork, !(try objects.isAncestor(cursor, of: fork)) {
            let commit = try objects.readCommit(cursor)
            chain.append((cursor, commit))
            guard let parent = commit.firstParent else { break }
            cursor = parent
        }
        chain.reverse()
        let start: ObjectID
        if options.verify {
            start = fork
        } else {
            guard let found = try objects.firstParentCommit(from: baseTip, atOrBefore: time) else {
                throw RepositoryError.unknownRevision("\(options.onto)@{\(time)}", reason: "\(options.onto) has no commit at or before \(time)")
            }
            start = found
        }
        let newName = options.name ?? Repository.replayBranchName(sourceName, time)
        if !options.verify {
            try context.authorizeReplayResult(newName)
            if try refs.read(try RefName.branch(newName)) != nil { throw RepositoryError.branchExists(newName) }
        }
        var state = try objects.readTree(try objects.readCommit(start).tree).tables
        let latest = try objects.readTree(try objects.readCommit(baseTip).tree).tables
        let records = try chain.map { ($0.0, $0.1, try $0.1.transforms.map { ($0, try objects.readTransformation($0)) }) }
        // Input tables: those the replayed statements read from the base.
        var produced = Set<String>()
        var inputs = Set<String>()
        for (_, _, transforms) in records {
            for (_, t) in transforms {
                for name in t.inputs.keys where !produced.contains(name) && state[name] != nil { inputs.insert(name) }
                produced.formUnion(t.outputs.keys)
            }
        }
        let gaps = options.verify ? [] : try inputs.sorted().compactMap { name -> DataGap? in
            guard let atT = state[name], let now = latest[name], atT != now else { return nil }
            return try dataGap(name, atT: atT, latest: now, time: time)
        }
        // What is reported of the gaps is masked as the environment masks
        // the rows for the actor; the replay itself works on the stored rows.
        let reportedGaps = try gaps.map { gap in
            try maskedGap(gap, old: try objects.readTable(state[gap.table]!), new: try objects.readTable(latest[gap.table]!))
        }
        if !gaps.isEmpty && options.policy == .strict { throw ReplayGapsFound(at: time, gaps: reportedGaps) }
        let environmentCheck = Set(records.flatMap { $0.2.map(\.1.environment) })
        for env in environmentCheck { try context.authorize(.use, branch: sourceName, environment: env) }

        var result = ReplayResult(source: sourceName, at: time, branch: options.verify ? nil : newName, head: nil, start: start,
                                  forkPoint: fork, steps: [], transformations: 0, reused: 0, gaps: reportedGaps, policy: options.policy,
                                  verification: nil)
        // Each step re-runs on the engine it recorded, unless --engine says
        // otherwise; every engine is resolved before anything is written.
        var engines: [String: StatementExecutor] = [:]
        func executor(for t: Transformation) throws -> StatementExecutor {
            let choice = settings.engine != nil ? try engineChoice() : try recordedEngine(of: t)
            if let known = engines[choice.name] { return known }
            let made = try engine(choice)
            engines[choice.name] = made
            return made
        }
        for (_, _, transforms) in records { for (_, t) in transforms { _ = try executor(for: t) } }
        do {
            try objects.batch {
                if options.policy == .corrected {
                    for gap in gaps { state[gap.table] = try correctedTable(gap.table, atT: state[gap.table]!, latest: latest[gap.table]!, time: time) }
                }
                var parent = start
                for (originalID, original, transforms) in records {
                    let parentTree = try original.firstParent.map { try objects.readTree(try objects.readCommit($0).tree) } ?? Tree.empty
                    let tree = try objects.readTree(original.tree)
                    var replayedIDs: [ObjectID] = []
                    var outputs = Set<String>(), dropped = Set<String>()
                    var reusedHere = 0
                    for (transformID, t) in transforms {
                        let (record, reused) = try replayStep(t, of: originalID, files: tree.files, state: &state, adapter: try executor(for: t),
                                                              allowReuse: !options.verify, stepName: "transformation \(transformID.short())")
                        outputs.formUnion(t.outputs.keys)
                        dropped.formUnion(t.dropped)
                        replayedIDs.append(try objects.write(record))
                        if reused { reusedHere += 1 }
                    }
                    // Data the branch imported itself is carried over as stored.
                    for (name, id) in tree.tables where parentTree.tables[name] != id && !outputs.contains(name) { state[name] = id }
                    for name in parentTree.tables.keys where tree.tables[name] == nil && !dropped.contains(name) { state[name] = nil }
                    var meta: [JSON.Member] = [
                        JSON.Member("source", .string(sourceName)), JSON.Member("at", .string(time.description)),
                        JSON.Member("original", .string(originalID.hex)), JSON.Member("start", .string(start.hex)),
                        JSON.Member("reused", .int(reusedHere)), JSON.Member("steps", .int(transforms.count)),
                        JSON.Member("policy", .string(options.policy.rawValue)),
                    ]
                    if !gaps.isEmpty {
                        meta.append(JSON.Member("gaps", .array(gaps.map { g in
                            .object(["table": .string(g.table), "arrived_later": .int(g.arrivedLater.count),
                                     "corrected": .int(g.corrected.count), "removed_later": .int(g.removedLater.count)])
                        })))
                    }
                    let treeID = try objects.write(Tree(tables: state, files: tree.files))
                    let commitID = try objects.write(commit: Commit(
                        tree: treeID, parents: [parent], actor: settings.actor, time: settings.now,
                        message: "Replay at \(time) of \(originalID.short()): " + (original.message.split(separator: "\n").first.map(String.init) ?? ""),
                        transforms: replayedIDs, runID: settings.runID, meta: .object([JSON.Member("replay", .object(meta))])))
                    result.steps.append(ReplayStep(original: originalID, replayed: commitID, transformations: transforms.count, reused: reusedHere))
                    result.transformations += transforms.count
                    result.reused += reusedHere
                    parent = commitID
                }
                result.head = parent
                if options.verify {
                    let tipTables = try objects.readTree(try objects.readCommit(tip).tree).tables
                    result.verification = try produced.sorted().map { name in
                        let (a, b) = (tipTables[name], state[name])
                        var stats: DiffStats?
                        if a != b {
                            let old = try a.map { try objects.readTable($0) }, new = try b.map { try objects.readTable($0) }
                            stats = try TableDiff(name: name, kind: .modified, oldID: a, newID: b, old: old, new: new,
                                                  store: objects, temporaryDirectory: temporaryDirectory(), mask: .showingAll(name)).stats()
                        }
                        return OutputVerification(table: name, bitExact: a == b, original: a, replayed: b, stats: stats)
                    }
                    throw VerifyDone(result: result)
                }
            }
        } catch let done as VerifyDone {
            return done.result
        }
        try moveRef(try RefName.branch(newName), from: nil, to: result.head!, note: settings.note("replay \(sourceName) at \(time)"),
                    entry: AuditEntry(operation: "replay", branch: newName,
                                      inputState: try objects.readCommit(start).tree, outputState: try objects.readCommit(result.head!).tree,
                                      details: .object(["source": .string(sourceName), "at": .string(time.description),
                                                        "steps": .int(result.transformations), "reused": .int(result.reused),
                                                        "policy": .string(options.policy.rawValue),
                                                        "gaps": .int(gaps.reduce(0) { $0 + $1.count })])))
        return result
    }

    /// `replay/<branch>/<T as YYYYMMDDTHHMMSSZ>`.
    static func replayBranchName(_ source: String, _ time: Timestamp) -> String {
        let compact = time.description.filter { $0 != "-" && $0 != ":" }.split(separator: ".").first.map(String.init) ?? ""
        return "replay/\(source)/\(compact.hasSuffix("Z") ? compact : compact + "Z")"
    }

    /// The engine a transformation recorded, as rocky.toml configures it
    /// now: its name when still declared with the same type, else sqlite for
    /// a sqlite step (records before engines were named say only "sqlite"),
    /// else an engine of the recorded kind under the recorded name.
    private func recordedEngine(of t: Transformation) throws -> EngineConfig {
        let config = try workingConfig()
        let kind = t.adapter.isEmpty ? EngineConfig.embedded : t.adapter
        if let name = t.engine, let declared = config.engines[name], declared.kind.rawValue == kind { return declared }
        guard let engineKind = EngineKind(rawValue: kind) else {
            throw RepositoryError.engineFailure("a recorded transformation ran on an unknown engine type '\(kind)'")
        }
        if engineKind == .sqlite { return EngineConfig(name: EngineConfig.embedded, kind: .sqlite) }
        return EngineConfig(name: t.engine ?? kind, kind: engineKind)
    }

    /// Re-runs one recorded transformation on `state`, or reuses an earlier
    /// execution with the same compiled SQL, environment and inputs.
    private func replayStep(_ t: Transformation, of commit: ObjectID, files: [String: ObjectID], state: inout [String: ObjectID],
                            adapter: StatementExecutor, allowReuse: Bool, stepName: String) throws -> (Transformation, Bool) {
        var sql = t.statement
        var options = ExecutionOptions()
        if let model = t.model {
            let header = try files["models/\(model).sql"].map {
                Model(name: model, sql: String(decoding: try objects.read($0, as: .blob), as: UTF8.self))
            }
            options = ExecutionOptions(targetKey: header?.key, targetTimeColumn: header?.timeColumn)
            sql = "CREATE OR REPLACE TABLE \"\(model)\" AS\n" + Repository.strippingTrailingSemicolon(t.statement)
        }
        // The masking in force, as for every other compile: never weaker than the protected branch's.
        var catalog = try catalogInForce(tables: state, environment: t.environment)
        // Reads of history (AS OF, system tables) re-read the versions recorded, by id.
        let history = try recordedHistoryInputs(t.inputs, state: state)
        catalog.add(history.tables)
        var compileOptions = try compileOptions(environment: t.environment)
        // Compiled for the engine the step runs on (the recorded one unless
        // --engine says otherwise), not the command's default engine: what
        // that dialect cannot express is refused, what it can is not.
        compileOptions.dialect = adapter.dialect
        // CURRENT_DATE/CURRENT_TIMESTAMP stand for the time recorded when the step first ran.
        if let time = t.statementTime { compileOptions.statementTime = time }
        let compiled = SQLCompiler.compile(sql, catalog: catalog, options: compileOptions)
        guard let statement = compiled.statements.first, !compiled.hasErrors else {
            throw CompileFailure(diagnostics: compiled.diagnostics,
                                 rendered: "replaying \(stepName) of commit \(commit.short()):\n" + compiled.renderedDiagnostics(sourceName: stepName))
        }
        let available = state.merging(history.ids) { table, _ in table }
        let inputs = Dictionary(uniqueKeysWithValues: statement.inputTables.compactMap { name in
            available.first { $0.key.lowercased() == name.lowercased() }.map { ($0.key, $0.value) }
        })
        var probe = t
        probe.executedSQL = statement.sql(for: adapter.dialect)
        probe.adapter = adapter.kind.rawValue
        probe.engine = adapter.name
        probe.engineVersion = adapter.backend.serverVersion
        probe.inputs = inputs
        if allowReuse, let earlier = rememberedExecution(probe.executionKey) {
            for (name, id) in earlier.outputs { state[name] = id }
            for name in earlier.dropped { state[name] = nil }
            var record = probe
            record.outputs = earlier.outputs
            record.dropped = earlier.dropped
            record.rowsWritten = earlier.rowsWritten
            record.durationMicroseconds = 0
            record.cost = ExactDecimal(units: 0, scale: 6)
            record.bytesScanned = 0
            record.bytesWritten = 0
            record.rowsRead = 0
            record.remote = nil
            record.replayOf = commit
            record.reused = true
            return (record, true)
        }
        guard var record = try execute(statement, adapter: adapter, tables: &state, history: history.ids, model: t.model, options: options,
                                       onRows: { _, r in r.close() }) else {
            return (probe, false)
        }
        if t.model != nil { record.statement = t.statement }
        record.replayOf = commit
        return (record, false)
    }

    /// The rows with event time at or before `time` that differ between the
    /// table at T and its latest version.
    func dataGap(_ name: String, atT: ObjectID, latest: ObjectID, time: Timestamp) throws -> DataGap? {
        let old = try objects.readTable(atT), new = try objects.readTable(latest)
        guard let timeID = new.schema.timeColumn ?? old.schema.timeColumn,
              let oldIndex = old.schema.index(ofColumn: timeID), let newIndex = new.schema.index(ofColumn: timeID) else { return nil }
        var gap = DataGap(table: name, timeColumn: new.schema.column(id: timeID)?.name ?? "", schema: new.schema,
                          arrivedLater: [], corrected: [], removedLater: [])
        func known(_ v: Value) -> Bool {
            switch v {
            case let .timestamp(t): t <= time
            case let .date(d): d <= time.date
            default: false
            }
        }
        var deltas = try TableComparison(store: objects, old: old, new: new, temporaryDirectory: temporaryDirectory()).rows()
        while let delta = try deltas.nextDelta() {
            switch delta {
            case let .added(row) where known(row[newIndex]): gap.arrivedLater.append(row)
            case let .removed(row) where known(row[oldIndex]): gap.removedLater.append(row)
            case let .modified(o, n, cells) where known(o[oldIndex]) || known(n[newIndex]): gap.corrected.append((o, n, cells))
            case let .countChanged(row, o, n) where known(row[newIndex]):
                if n > o { gap.arrivedLater.append(row) } else { gap.removedLater.append(row) }
            default: break
            }
        }
        return gap.count == 0 ? nil : gap
    }

    /// The table at T with the latest known rows for event times up to T:
    /// gaps filled, corrections applied, later removals removed.
    func correctedTable(_ name: String, atT: ObjectID, latest: ObjectID, time: Timestamp) throws -> ObjectID {
        guard let gap = try dataGap(name, atT: atT, latest: latest, time: time) else { return atT }
        let old = try objects.readTable(atT)
        guard old.schema == gap.schema else {
            throw RepositoryError.invalidArgument("cannot replay --corrected: the schema of \(name) changed after the replay time; use --allow-gaps")
        }
        let codec = RowCodec(schema: old.schema)
        var changes: [KeyedChange] = []
        for row in gap.arrivedLater {
            changes.append(KeyedChange(key: codec.key(of: row), change: codec.isKeyless ? .addCount(1) : .upsert(codec.value(of: row))))
        }
        for (_, new, _) in gap.corrected { changes.append(KeyedChange(key: codec.key(of: new), change: .upsert(codec.value(of: new)))) }
        for row in gap.removedLater { changes.append(KeyedChange(key: codec.key(of: row), change: codec.isKeyless ? .addCount(-1) : .delete)) }
        changes.sort { $0.key.lexicographicallyPrecedes($1.key) }
        let root = try TreeEditor(store: objects).apply(changes.makeIterator(), to: old.root)
        return try objects.write(table: Table(schema: old.schema, root: root))
    }
}
