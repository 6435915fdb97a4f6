import RockyBase
import RockyEngineSQLite
import RockyStore

extension Repository {
    /// `fsck --caches`: checks the table cache (`.rocky/cache/tables.sqlite`)
    /// against what it claims to hold, and repairs it: a file that is not a
    /// usable cache is rebuilt empty, and every cached table version whose
    /// rows no longer match the digest taken when they were loaded is dropped
    /// (it is loaded again from the object store when next used). Each
    /// repair is returned as a problem: the cache was wrong, though no
    /// committed data was.
    public func fsckCaches() throws -> [FsckProblem] {
        let context = try gate(.fsckCaches); defer { context.end() }
        let engine = try sqliteBackend()
        var problems: [FsckProblem] = []
        if let reason = engine.cacheRebuiltBecause {
            problems.append(FsckProblem(message: "table cache .rocky/cache/tables.sqlite could not be used (\(reason)): rebuilt empty"))
        }
        for (id, problem) in try engine.checkCache() {
            problems.append(FsckProblem(object: id, message: "table cache: " + problem))
        }
        return problems
    }
}
