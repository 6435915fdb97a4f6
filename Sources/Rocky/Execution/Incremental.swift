import Foundation
import RockyBase
import RockyEngine
import RockySQL
import RockyStore

/// Whether CREATE TABLE AS statements run incrementally (Docs/incremental.md):
/// `ROCKY_INCREMENTAL` (`on`, `off`, `verify`), `--verify-incremental`, or
/// `[incremental] enabled = false` / `verify = true` in rocky.toml; on by default.
public enum IncrementalMode: String, Sendable {
    /// Incrementally where the shape allows, else in full.
    case on
    /// Always in full.
    case off
    /// Incrementally, and in full as well: a different table id is an
    /// `IncrementalMismatch`, and nothing is written.
    case verify
}

/// An incremental result differed from the full run's: a bug in Rocky,
/// never the user's. Nothing was written.
public struct IncrementalMismatch: Error, Sendable, CustomStringConvertible {
    public var table: String
    public var model: String?
    public var incremental: ObjectID
    public var full: ObjectID
    public var description: String {
        "incremental verification failed: \(model.map { "model \($0), " } ?? "")table \(table): the incremental run gave \(incremental.hex), "
            + "the full run \(full.hex); nothing was written"
    }
}

extension Repository {
    private var incrementalIndexFolder: String { rockyDirectory + "/cache/incremental" }

    /// The incremental mode of this command: the settings (`--verify-incremental`,
    /// `ROCKY_INCREMENTAL`), else rocky.toml's `[incremental]`, else on
    /// (Docs/incremental.md).
    func incrementalMode() throws -> IncrementalMode {
        try settings.incremental ?? workingConfig().incremental ?? .on
    }

    /// What identifies "the same compiled statement" across input versions:
    /// the executed SQL, environment, engine and version, the input names,
    /// target and the key and time column asked for.
    private func statementKey(_ statement: CompiledStatement, adapter: StatementExecutor, options: ExecutionOptions) -> String {
        var text = statement.sql(for: adapter.dialect).joined(separator: "\n;\n") + "\n--env " + settings.environment
        text += "\n--engine \(adapter.kind.rawValue) \(adapter.backend.serverVersion)"
        text += "\n--inputs " + statement.inputTables.map { $0.lowercased() }.sorted().joined(separator: ",")
        text += "\n--target \(statement.targetTable?.lowercased() ?? "")"
        text += "\n--key \(options.targetKey?.joined(separator: ",") ?? "-") --time \(options.targetTimeColumn ?? "-")"
        return ObjectID(bytes: SHA256.digest(Array(text.utf8))).hex
    }

    private func rememberedBasis(_ key: String) -> IncrementalBasis? {
        guard let data = FileManager.default.contents(atPath: incrementalIndexFolder + "/" + key),
              let json = try? JSON(parsing: String(decoding: data, as: UTF8.self)),
              let output = json["output"]?.stringValue.flatMap({ ObjectID(hex: $0) }), objects.contains(output) else { return nil }
        var inputs: [String: ObjectID] = [:]
        for m in json["inputs"]?.members ?? [] {
            guard let id = m.value.stringValue.flatMap({ ObjectID(hex: $0) }), objects.contains(id) else { return nil }
            inputs[m.key] = id
        }
        return IncrementalBasis(inputs: inputs, output: output)
    }

    private func rememberBasis(_ key: String, _ basis: IncrementalBasis) {
        let folder = incrementalIndexFolder
        try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let json: JSON = .object([
            "inputs": .object(basis.inputs.sorted { $0.key < $1.key }.map { JSON.Member($0.key, .string($0.value.hex)) }),
            "output": .string(basis.output.hex),
        ])
        try? Data(json.canonicalText.utf8).write(to: URL(fileURLWithPath: folder + "/" + key), options: .atomic)
    }

    /// Runs `statement`, incrementally when an earlier execution of it is
    /// known and its shape allows, and says how it ran (the record's
    /// `execution` object). Only CREATE TABLE AS statements are considered;
    /// others run as before and say nothing.
    func executeMaybeIncrementally(_ statement: CompiledStatement, adapter: StatementExecutor, tables: [String: ObjectID],
                                   model: String?, options: ExecutionOptions) throws -> (StatementOutcome, JSON?) {
        guard statement.kind == .createTableAs, let target = statement.targetTable else {
            return (try adapter.execute(statement, tables: tables, options: options), nil)
        }
        let mode = try incrementalMode()
        let key = statementKey(statement, adapter: adapter, options: options)
        let inputs = Dictionary(uniqueKeysWithValues: statement.inputTables.compactMap { name in
            tables.first { $0.key.lowercased() == name.lowercased() }.map { ($0.key, $0.value) }
        })
        func remember(_ outcome: StatementOutcome) {
            if case let .tableWritten(_, id, _) = outcome.effect { rememberBasis(key, IncrementalBasis(inputs: inputs, output: id)) }
        }
        var reason: String
        if mode == .off {
            reason = "incremental execution is off"
        } else if let basis = rememberedBasis(key) {
            switch adapter.executeIncrementally(statement, tables: tables, options: options, basis: basis) {
            case let .full(why):
                reason = why
            case let .incremental(outcome, stats):
                if mode == .verify {
                    let full = try adapter.execute(statement, tables: tables, options: options)
                    if case let .tableWritten(_, a, _) = outcome.effect, case let .tableWritten(_, b, _) = full.effect, a != b {
                        throw IncrementalMismatch(table: target, model: model, incremental: a, full: b)
                    }
                }
                remember(outcome)
                let reused = stats.inputDeltaRows == 0
                return (outcome, .object([
                    "groups_derived": stats.shape == .groups ? .int(stats.groupsDerived) : nil,
                    "input_delta_rows": .int(stats.inputDeltaRows),
                    "mode": .string(reused ? "reused" : "incremental"),
                    "output_delta_rows": .int(stats.outputDeltaRows),
                    "rows_recomputed": .int(stats.rowsRecomputed),
                    "shape": .string(stats.shape.rawValue),
                    "verified": mode == .verify ? .bool(true) : nil,
                ]))
            }
        } else {
            switch StatementExecutor.incrementalShape(of: statement) {
            case .success: reason = "no earlier execution of this statement"
            case let .failure(refusal): reason = refusal.text
            }
        }
        let outcome = try adapter.execute(statement, tables: tables, options: options)
        remember(outcome)
        return (outcome, .object(["mode": .string("full"), "reason": .string(reason)]))
    }
}
