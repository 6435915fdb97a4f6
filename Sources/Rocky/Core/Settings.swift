import Foundation
import RockyBase
import RockyStore

/// Who acts, when, where and in which run: taken from the process
/// environment by default (`ROCKY_ACTOR`, `ROCKY_COMMIT_TIME`, `ROCKY_ENV`,
/// `ROCKY_ENGINE`, `ROCKY_RUN_ID`), overridden by command-line options.
public struct Settings: Sendable {
    /// The actor recorded in commits, reflogs and the audit log.
    public var actor: String
    /// A fixed clock (`ROCKY_COMMIT_TIME`) for reproducible tests and demos.
    public var fixedTime: Timestamp?
    /// The environment whose masking applies (default `dev`).
    public var environment: String
    public var runID: String?
    /// The engine chosen for this command (`--engine`, `ROCKY_ENGINE`); nil:
    /// the environment's engine, else sqlite (`Repository.engineChoice`).
    public var engine: String?
    /// How `https://` remotes are reached: CA bundle, credentials, timeout.
    public var http = HTTPSettings()
    /// How CREATE TABLE AS runs (`--verify-incremental`, `ROCKY_INCREMENTAL`);
    /// nil: rocky.toml's `[incremental]`, else incrementally where it can.
    public var incremental: IncrementalMode?

    public init(actor: String, fixedTime: Timestamp? = nil, environment: String = "dev", runID: String? = nil, engine: String? = nil) {
        self.actor = actor
        self.fixedTime = fixedTime
        self.environment = environment
        self.runID = runID
        self.engine = engine
    }

    /// Settings from the environment variables; an unparsable
    /// `ROCKY_COMMIT_TIME` is an error rather than silently ignored.
    public static func fromEnvironment(_ env: [String: String] = ProcessInfo.processInfo.environment) throws -> Settings {
        var fixed: Timestamp?
        if let text = env["ROCKY_COMMIT_TIME"], !text.isEmpty {
            guard let t = Timestamp(parsing: text) else {
                throw RepositoryError.invalidArgument("ROCKY_COMMIT_TIME is not an ISO 8601 time: \(text)")
            }
            fixed = t
        }
        let actor = env["ROCKY_ACTOR"].flatMap { $0.isEmpty ? nil : $0 } ?? env["USER"] ?? env["LOGNAME"] ?? NSUserName()
        var settings = Settings(actor: actor, fixedTime: fixed, environment: env["ROCKY_ENV"].flatMap { $0.isEmpty ? nil : $0 } ?? "dev",
                                runID: env["ROCKY_RUN_ID"].flatMap { $0.isEmpty ? nil : $0 },
                                engine: env["ROCKY_ENGINE"].flatMap { $0.isEmpty ? nil : $0 })
        settings.http = HTTPSettings.fromEnvironment(env)
        if let text = env["ROCKY_INCREMENTAL"], !text.isEmpty {
            guard let mode = IncrementalMode(rawValue: text.lowercased()) else {
                throw RepositoryError.invalidArgument("ROCKY_INCREMENTAL must be on, off or verify, not '\(text)'")
            }
            settings.incremental = mode
        }
        return settings
    }

    /// Now, or the fixed time.
    public var now: Timestamp {
        if let fixedTime { return fixedTime }
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Timestamp(microseconds: Int64(ts.tv_sec) * 1_000_000 + Int64(ts.tv_nsec) / 1000)
    }

    func note(_ message: String) -> RefNote {
        RefNote(actor: actor, time: now.description, message: message)
    }
}
