import RockyBase
import RockyStore

extension ObjectKind {
    /// A transformation record (canonical JSON; Docs/format.md).
    public static let transform = ObjectKind("transform")
}

/// What one executed statement (a `rocky sql` statement, a model, a library
/// `execute`) did: recorded in the next commit, shown by `rocky show`, summed
/// by `rocky cost`, followed by `rocky lineage`, re-run by replay.
public struct Transformation: Sendable, Equatable {
    /// The statement as written.
    public var statement: String
    /// The statement kind (`query`, `createTableAs`, `insert`, ...).
    public var kind: String
    /// The SQL the adapter ran.
    public var executedSQL: [String]
    public var environment: String
    /// The model, when `rocky run` ran one.
    public var model: String?
    /// Input tables with the versions read.
    public var inputs: [String: ObjectID]
    /// Tables written (name -> new version) and dropped.
    public var outputs: [String: ObjectID]
    public var dropped: [String]
    /// The compiler's column lineage of the statement (Docs/sql.md shape).
    public var lineage: JSON
    public var rowsRead: Int
    public var rowsWritten: Int
    public var bytesScanned: Int
    public var bytesWritten: Int
    public var durationMicroseconds: Int64
    /// The engine kind the statement ran on ("sqlite", "postgres", "spark").
    public var adapter: String
    /// The engine as rocky.toml names it (`[engines.<name>]`; "sqlite" for the embedded one).
    public var engine: String?
    /// The engine's version: SQLite's library version, a server's version.
    public var engineVersion: String?
    /// A server engine's own account of the statement; nil for SQLite and
    /// for a reused replay step.
    public var remote: Remote?
    /// Estimated cost from the rates in rocky.toml.
    public var cost: ExactDecimal
    public var currency: String
    /// Replay provenance: the commit whose step this re-ran, and whether the
    /// output was reused rather than recomputed.
    public var replayOf: ObjectID?
    public var reused: Bool
    /// How a CREATE TABLE AS ran: `{"mode": "full", "reason": ...}`, or
    /// `"incremental"`/`"reused"` with the delta sizes (Docs/incremental.md).
    public var execution: JSON?
    /// The time the statement's CURRENT_DATE and CURRENT_TIMESTAMP stood for
    /// (`statement_time`, only when it read them): a replay binds them to it.
    public var statementTime: Timestamp?

    /// What a statement cost on a server engine (Docs/engines.md, "Records").
    public struct Remote: Sendable, Equatable {
        /// The engine's ids of the commands that ran the statement's SQL
        /// (PostgreSQL: `<backend pid>.<n>`, the n-th command of that session).
        public var queryIDs: [String]
        /// Time spent waiting on the server, round trips included.
        public var serverMicroseconds: Int64
        /// Row data sent to load versions the server did not hold.
        public var rowsUploaded: Int
        public var bytesUploaded: Int
        /// Row data the server sent back.
        public var rowsDownloaded: Int
        public var bytesDownloaded: Int

        public init(queryIDs: [String], serverMicroseconds: Int64, rowsUploaded: Int, bytesUploaded: Int, rowsDownloaded: Int,
                    bytesDownloaded: Int) {
            self.queryIDs = queryIDs
            self.serverMicroseconds = serverMicroseconds
            self.rowsUploaded = rowsUploaded
            self.bytesUploaded = bytesUploaded
            self.rowsDownloaded = rowsDownloaded
            self.bytesDownloaded = bytesDownloaded
        }

        var json: JSON {
            .object([
                "bytes_downloaded": .int(bytesDownloaded), "bytes_uploaded": .int(bytesUploaded),
                "query_ids": .array(queryIDs.map(JSON.string)), "rows_downloaded": .int(rowsDownloaded),
                "rows_uploaded": .int(rowsUploaded), "server_us": .int(Int(serverMicroseconds)),
            ])
        }

        init?(json: JSON?) {
            guard let json, json["server_us"] != nil else { return nil }
            queryIDs = json["query_ids"]?.arrayValue?.compactMap(\.stringValue) ?? []
            serverMicroseconds = json["server_us"]?.int64Value ?? 0
            rowsUploaded = json["rows_uploaded"]?.intValue ?? 0
            bytesUploaded = json["bytes_uploaded"]?.intValue ?? 0
            rowsDownloaded = json["rows_downloaded"]?.intValue ?? 0
            bytesDownloaded = json["bytes_downloaded"]?.intValue ?? 0
        }
    }

    /// SHA-256 of the executed SQL, the environment, the engine kind and
    /// version, and the input versions: two executions with the same key
    /// compute the same output.
    public var executionKey: ObjectID {
        var text = executedSQL.joined(separator: "\n;\n") + "\n--env " + environment
        text += "\n--engine \(adapter) \(engineVersion ?? "")"
        for (name, id) in inputs.sorted(by: { $0.key < $1.key }) { text += "\n--input \(name) \(id.hex)" }
        return ObjectID(bytes: SHA256.digest(Array(text.utf8)))
    }

    public var json: JSON {
        func map(_ m: [String: ObjectID]) -> JSON { .object(m.sorted { $0.key < $1.key }.map { JSON.Member($0.key, .string($0.value.hex)) }) }
        return .object([
            "adapter": .string(adapter),
            "bytes_scanned": .int(bytesScanned),
            "bytes_written": .int(bytesWritten),
            "cost": .string(cost.description),
            "currency": .string(currency),
            "dropped_tables": dropped.isEmpty ? nil : .array(dropped.map(JSON.string)),
            "duration_us": .int(durationMicroseconds),
            "engine": engine.map(JSON.string),
            "engine_version": engineVersion.map(JSON.string),
            "environment": .string(environment),
            "executed_sql": .array(executedSQL.map(JSON.string)),
            "execution": execution,
            "execution_key": .string(executionKey.hex),
            "input_tables": map(inputs),
            "kind": .string(kind),
            "lineage": lineage,
            "model": model.map(JSON.string),
            "output_tables": map(outputs),
            "remote": remote?.json,
            "replay_of": replayOf.map { .string($0.hex) },
            "reused": reused ? .bool(true) : nil,
            "rows_read": .int(rowsRead),
            "rows_written": .int(rowsWritten),
            "statement": .string(statement),
            "statement_time": statementTime.map { .string($0.description) },
            "version": .int(1),
        ])
    }

    public init(json: JSON, id: ObjectID) throws {
        func fail(_ field: String) -> StoreError { .corruptObject(id, reason: "transformation field '\(field)' is missing or malformed") }
        func map(_ key: String) throws -> [String: ObjectID] {
            var out: [String: ObjectID] = [:]
            for m in json[key]?.members ?? [] {
                guard let hex = m.value.stringValue, let v = ObjectID(hex: hex) else { throw fail(key) }
                out[m.key] = v
            }
            return out
        }
        guard json["version"]?.intValue == 1, let statement = json["statement"]?.stringValue,
              let costText = json["cost"]?.stringValue, let cost = ExactDecimal(parsing: costText) else { throw fail("statement") }
        self.statement = statement
        kind = json["kind"]?.stringValue ?? ""
        executedSQL = json["executed_sql"]?.arrayValue?.compactMap(\.stringValue) ?? []
        environment = json["environment"]?.stringValue ?? "dev"
        model = json["model"]?.stringValue
        inputs = try map("input_tables")
        outputs = try map("output_tables")
        dropped = json["dropped_tables"]?.arrayValue?.compactMap(\.stringValue) ?? []
        lineage = json["lineage"] ?? .null
        rowsRead = json["rows_read"]?.intValue ?? 0
        rowsWritten = json["rows_written"]?.intValue ?? 0
        bytesScanned = json["bytes_scanned"]?.intValue ?? 0
        bytesWritten = json["bytes_written"]?.intValue ?? 0
        durationMicroseconds = json["duration_us"]?.int64Value ?? 0
        adapter = json["adapter"]?.stringValue ?? ""
        engine = json["engine"]?.stringValue
        engineVersion = json["engine_version"]?.stringValue
        remote = Remote(json: json["remote"])
        self.cost = cost
        currency = json["currency"]?.stringValue ?? "USD"
        replayOf = json["replay_of"]?.stringValue.flatMap { ObjectID(hex: $0) }
        reused = json["reused"]?.boolValue ?? false
        execution = json["execution"]
        if let text = json["statement_time"]?.stringValue {
            guard let time = Timestamp(parsing: text) else { throw fail("statement_time") }
            statementTime = time
        }
    }

    public init(statement: String, kind: String, executedSQL: [String], environment: String, model: String?,
                inputs: [String: ObjectID], outputs: [String: ObjectID], dropped: [String], lineage: JSON,
                rowsRead: Int, rowsWritten: Int, bytesScanned: Int, bytesWritten: Int, durationMicroseconds: Int64,
                adapter: String, engine: String? = nil, engineVersion: String? = nil, remote: Remote? = nil, cost: ExactDecimal, currency: String,
                replayOf: ObjectID? = nil, reused: Bool = false, execution: JSON? = nil, statementTime: Timestamp? = nil) {
        self.statementTime = statementTime
        self.statement = statement
        self.kind = kind
        self.executedSQL = executedSQL
        self.environment = environment
        self.model = model
        self.inputs = inputs
        self.outputs = outputs
        self.dropped = dropped
        self.lineage = lineage
        self.rowsRead = rowsRead
        self.rowsWritten = rowsWritten
        self.bytesScanned = bytesScanned
        self.bytesWritten = bytesWritten
        self.durationMicroseconds = durationMicroseconds
        self.adapter = adapter
        self.engine = engine
        self.engineVersion = engineVersion
        self.remote = remote
        self.cost = cost
        self.currency = currency
        self.replayOf = replayOf
        self.reused = reused
        self.execution = execution
    }
}

extension ObjectStore {
    public func write(_ transformation: Transformation) throws -> ObjectID {
        try write(.transform, Array(transformation.json.canonicalText.utf8))
    }

    public func readTransformation(_ id: ObjectID) throws -> Transformation {
        let payload = try read(id, as: .transform)
        guard let json = try? JSON(parsing: String(decoding: payload, as: UTF8.self)) else {
            throw StoreError.corruptObject(id, reason: "transformation is not JSON")
        }
        return try Transformation(json: json, id: id)
    }
}

extension CostRates {
    /// The estimated cost of a run: time, bytes scanned and written, rows read.
    public func estimate(seconds: Double, bytesScanned: Int, bytesWritten: Int, rowsRead: Int) -> ExactDecimal {
        func d(_ x: Double) -> ExactDecimal { ExactDecimal(parsing: String(format: "%.9f", x)) ?? ExactDecimal(0) }
        let parts = [
            ExactDecimal.multiplying(perSecond, d(seconds)),
            ExactDecimal.multiplying(perGBScanned, d(Double(bytesScanned) / 1e9)),
            ExactDecimal.multiplying(perGBWritten, d(Double(bytesWritten) / 1e9)),
            ExactDecimal.multiplying(perMillionRows, d(Double(rowsRead) / 1e6)),
        ]
        let total = parts.compactMap { $0 }.reduce(ExactDecimal(units: 0, scale: 6)) { ExactDecimal.adding($0, $1) ?? $0 }
        return total.rounded(toScale: 6)
    }
}
