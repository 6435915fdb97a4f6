import Foundation
import RockyBase
import RockyEngine
import RockyStore

/// How old something must be before gc may remove it: `gc --prune` for
/// objects (by file modification time), `--expire-reflogs` for reflog
/// entries (by the time each entry records).
public enum Expiry: Equatable, Sendable {
    /// Everything, however recent.
    case now
    case never
    case olderThan(seconds: Int64)
    /// Older than a point in time.
    case before(Timestamp)

    /// Two weeks, as git's `gc.pruneExpire`.
    public static let defaultPrune = Expiry.olderThan(seconds: 14 * 86_400)
    /// 90 days, as git's `gc.reflogExpire`.
    public static let defaultReflogExpiry = Expiry.olderThan(seconds: 90 * 86_400)

    /// `now`, `never`, `<n>s`, `<n>m`, `<n>h`, `<n>d`, `<n>w`, or an ISO 8601 time.
    public init(parsing text: String) throws {
        let units: [Character: Int64] = ["s": 1, "m": 60, "h": 3_600, "d": 86_400, "w": 604_800]
        switch text.lowercased() {
        case "now": self = .now
        case "never": self = .never
        default:
            if let unit = text.last, let scale = units[unit], let n = Int64(text.dropLast()), n >= 0, n < Int64.max / scale / 1_000_000_000 {
                self = .olderThan(seconds: n * scale)
            } else if let time = Timestamp(parsing: text) {
                self = .before(time)
            } else {
                throw RemoteError.invalidDuration(text)
            }
        }
    }

    /// The cutoff in nanoseconds since the epoch, for `now` (nil: never).
    func cutoffNanoseconds(now: Int64) -> Int64? {
        switch self {
        case .now: now
        case .never: nil
        case let .olderThan(seconds): now - seconds * 1_000_000_000
        case let .before(time): min(now, time.microseconds * 1000)
        }
    }
}

public struct GCOptions: Sendable {
    public var prune: Expiry = .defaultPrune
    public var expireReflogs: Expiry = .defaultReflogExpiry
    public var dryRun = false
    /// Moves reachable loose objects, and small packs, into one pack.
    public var repack = true
    /// How long to wait for processes that are writing objects.
    public var waitSeconds: Double = 60

    public init() {}
}

/// What gc removed and rewrote (or, with `dryRun`, would have).
public struct GCReport: Sendable {
    public var dryRun: Bool
    /// Unreachable objects removed: loose files, and objects left out of rewritten packs.
    public var objectsRemoved = 0
    /// Bytes of files removed, less the bytes of the pack written. Files
    /// hard-linked with another repository (a clone's source) free their
    /// space only when the last link goes.
    public var bytesFreed = 0
    public var looseRemoved = 0
    public var packedRemoved = 0
    /// Reachable loose objects moved into the new pack.
    public var objectsPacked = 0
    public var packsRemoved = 0
    public var packsWritten = 0
    /// Objects reachable from refs, reflogs and HEAD.
    public var reachable = 0
    /// Unreachable objects kept: within the grace period, or reached from one that is.
    public var keptRecent = 0
    /// Files a writer reused while gc ran, and gc therefore kept.
    public var keptFreshened = 0
    public var temporaryFilesRemoved = 0
    public var reflogEntriesExpired = 0

    init(dryRun: Bool) { self.dryRun = dryRun }
}

extension Repository {
    /// Removes the objects that nothing reaches and that are older than the
    /// grace period.
    ///
    /// Roots: every ref under `refs/` (branches, remote-tracking refs, working
    /// sets), a detached HEAD, and every id (old and new) in every reflog
    /// (after expiring entries older than `expireReflogs`). Besides what the
    /// roots reach, gc keeps every loose object and every pack whose
    /// modification time is within the grace period (`prune`), everything
    /// those reach, and everything written after it started.
    ///
    /// Safe against concurrent writers (DiskObjectStore): gc reads the roots
    /// while holding `objects/gc.lock` exclusively, so every write begun
    /// before has reached its ref; later writes are newer than gc's start,
    /// and a writer that reuses a stored object freshens its file, which gc
    /// notices before removing it (the file is renamed aside, re-checked,
    /// and put back if it was touched).
    ///
    /// Loose objects are deleted; a pack holding unreachable old objects is
    /// rewritten into a new pack with the objects it keeps (copied as
    /// stored, each verified), and removed only after the new pack and its
    /// index are durable. Reachable loose objects and packs under 4 MiB are
    /// gathered into that pack as well (`repack`). Temporary files of
    /// interrupted writes and sorts (`.rocky/tmp`) older than the grace
    /// period are removed.
    public func collectGarbage(_ options: GCOptions = GCOptions()) throws -> GCReport {
        let context = try gate(.collectGarbage); defer { context.end() }
        try context.authorize(.admin, branch: nil)
        let store = try diskObjects
        let lock = try CollectorLock(objectsDirectory: store.directory, timeout: options.waitSeconds)
        let start = DiskObjectStore.fileClockNow()
        let cutoff = options.prune.cutoffNanoseconds(now: start).map { min($0, start) }
        var report = GCReport(dryRun: options.dryRun)
        if !options.dryRun { _ = try store.recoverQuarantined() }

        guard lock.excludeWriters(timeout: options.waitSeconds) else { throw RemoteError.writersActive(seconds: options.waitSeconds) }
        let roots: [ObjectID]
        do {
            defer { lock.admitWriters() }
            roots = try gcRoots(options.expireReflogs, dryRun: options.dryRun, report: &report)
        }
        let loose = try store.looseObjects()
        let packs = try store.packFiles()

        // Mark: what the roots reach, then what recent objects reach.
        var reachable = Set<ObjectID>()
        try walkObjects(from: roots, read: { id in
            do { return try objects.read(id) } catch {
                throw RemoteError.gcUnsafe("object \(id.hex), reachable from a ref or reflog, cannot be read (\(error))")
            }
        }, stop: { _ in false }) { id, _ in reachable.insert(id) }
        report.reachable = reachable.count
        var kept = reachable
        if let cutoff {
            var recent: [ObjectID] = loose.filter { $0.modified >= cutoff && !kept.contains($0.id) }.map(\.id)
            for pack in packs where pack.modified >= cutoff { recent += pack.ids.filter { !kept.contains($0) } }
            var inner: [ObjectID] = []
            for id in recent {
                let kind = try? objects.header(id).kind
                if kind == .chunk || kind == .blob || kind == .schema { kept.insert(id) } else { inner.append(id) }
            }
            // A recent object that cannot be read refers to nothing gc can know of.
            try walkObjects(from: inner, read: { try? objects.read($0) },
                            stop: { kept.contains($0) }) { id, _ in kept.insert(id) }
        }
        func removable(_ modified: Int64) -> Bool { cutoff.map { modified < $0 } ?? false }

        // Plan.
        var packLoose: [LooseObjectFile] = []
        var deleteLoose: [LooseObjectFile] = []
        for file in loose {
            if reachable.contains(file.id) {
                if options.repack { packLoose.append(file) }
            } else if kept.contains(file.id) || !removable(file.modified) {
                report.keptRecent += 1
            } else {
                deleteLoose.append(file)
            }
        }
        var fold: [(pack: PackFile, keep: [ObjectID])] = []
        var small: [PackFile] = []
        for pack in packs {
            let recent = !removable(pack.modified)
            let keep = recent ? pack.ids : pack.ids.filter { kept.contains($0) }
            report.keptRecent += keep.filter { !reachable.contains($0) }.count
            if keep.count < pack.count {
                fold.append((pack, keep))
            } else if options.repack && pack.size < 4 << 20 {
                small.append(pack)
            }
        }
        if small.count + (packLoose.isEmpty ? 0 : 1) + fold.count >= 2 { fold += small.map { ($0, $0.ids) } }
        let dropped = fold.reduce(0) { $0 + $1.pack.count - $1.keep.count }
        let temporary = try store.temporaryFiles(scratch: rockyDirectory + "/tmp").filter { removable($0.modified) }

        if options.dryRun {
            report.looseRemoved = deleteLoose.count
            report.packedRemoved = dropped
            report.objectsRemoved = deleteLoose.count + dropped
            report.objectsPacked = packLoose.count
            report.packsRemoved = fold.count
            report.packsWritten = packLoose.isEmpty && fold.allSatisfy({ $0.keep.isEmpty }) ? 0 : 1
            report.temporaryFilesRemoved = temporary.count
            report.bytesFreed = deleteLoose.reduce(0) { $0 + $1.size } + temporary.reduce(0) { $0 + $1.size }
                + fold.reduce(0) { $0 + ($1.keep.isEmpty ? $1.pack.size : 0) }
            return report
        }

        // Sweep: write the new pack, durable, before removing anything it replaces.
        let builder = try PackBuilder(store: store)
        var newPack: String?
        do {
            for file in packLoose {
                let (stored, _) = try store.verifiedStoredBytes(file.id)
                try builder.append(file.id, stored: stored)
            }
            for (_, keep) in fold {
                for id in keep where !builder.contains(id) {
                    let (stored, _) = try store.verifiedStoredBytes(id)
                    try builder.append(id, stored: stored)
                }
            }
            newPack = try builder.publish()
        } catch {
            builder.discard()
            throw error
        }
        if let newPack {
            report.packsWritten = 1
            report.bytesFreed -= store.fileSize(store.directory + "/pack/" + newPack + ".pack")
                + store.fileSize(store.directory + "/pack/" + newPack + ".idx")
        }
        report.objectsPacked = packLoose.count
        for file in packLoose {
            try store.removeLooseCopy(file)
            report.bytesFreed += file.size
        }
        for file in deleteLoose {
            if try store.removeLooseObject(file, unlessFreshenedSince: start) {
                report.looseRemoved += 1
                report.bytesFreed += file.size
            } else {
                report.keptFreshened += 1
            }
        }
        for (pack, keep) in fold where pack.name != newPack {
            if try store.removePack(pack, unlessFreshenedSince: start) {
                report.packsRemoved += 1
                report.packedRemoved += pack.count - keep.count
                report.bytesFreed += pack.size
            } else {
                report.keptFreshened += 1
            }
        }
        for file in temporary where file.modified < start {
            try store.removeFile(file.path)
            report.temporaryFilesRemoved += 1
            report.bytesFreed += file.size
        }
        report.objectsRemoved = report.looseRemoved + report.packedRemoved
        try context.record(AuditEntry(operation: "gc", branch: nil, details: .object([
            "objects_removed": .int(report.objectsRemoved),
            "bytes_freed": .int(report.bytesFreed),
            "reflog_entries_expired": .int(report.reflogEntriesExpired),
            "packs_written": .int(report.packsWritten),
            "packs_removed": .int(report.packsRemoved),
        ])))
        return report
    }

    /// Expires old reflog entries (unless `dryRun`) and returns the roots:
    /// every ref, a detached HEAD, and every id the remaining reflog entries name.
    private func gcRoots(_ expiry: Expiry, dryRun: Bool, report: inout GCReport) throws -> [ObjectID] {
        var roots: [ObjectID] = []
        for (_, id) in try refs.list(prefix: "refs/") { roots.append(id) }
        if case let .detached(id) = try refs.head() { roots.append(id) }
        guard let fileRefs = refs as? FileRefStore else { return roots }
        let cutoff: Timestamp? = switch expiry {
        case .now, .never: nil
        case let .olderThan(seconds): Timestamp(microseconds: settings.now.microseconds - seconds * 1_000_000)
        case let .before(time): time
        }
        func keep(_ entry: ReflogEntry) -> Bool {
            switch expiry {
            case .now: return false
            case .never: return true
            default:
                guard let cutoff, let time = Timestamp(parsing: entry.time) else { return true }
                return time >= cutoff
            }
        }
        for name in try fileRefs.reflogNames() {
            // A live branch keeps its last entry whatever its age: it anchors
            // the ref's value in the audit trail (`auditAnchorProblems`).
            let keepLast = name.hasPrefix(RefName.headsPrefix) && (try? RefName(validating: name)).flatMap { try? refs.read($0) } != nil
            let entries: [ReflogEntry]
            if dryRun {
                let all = try refs.reflog(name)
                entries = ReflogEntry.kept(all, keepLast: keepLast, keep: keep)
                report.reflogEntriesExpired += all.count - entries.count
            } else {
                report.reflogEntriesExpired += try fileRefs.expireReflog(name, keepLast: keepLast, keep: keep)
                entries = try refs.reflog(name)
            }
            for entry in entries {
                // An entry may name an object an older repository already lost; it keeps nothing then.
                for id in [entry.old, entry.new].compactMap({ $0 }) where objects.contains(id) { roots.append(id) }
            }
        }
        return roots
    }
}

/// What `gc --engine <name>` dropped from an engine (or, with `dryRun`, would have).
public struct EngineGCReport: Sendable {
    public var engine: String
    public var dryRun: Bool
    /// Versions the engine held before.
    public var held = 0
    /// Versions no ref, reflog entry or detached HEAD reaches, older than the grace period: dropped.
    public var dropped: [ObjectID] = []
    /// Unreachable versions kept because they were loaded within the grace period.
    public var keptRecent = 0
}

extension Repository {
    /// Drops from the chosen server engine (`--engine`) the table versions
    /// that nothing reaches: the roots are those of `collectGarbage` (every
    /// ref, a detached HEAD, every reflog entry; none expired here), and a
    /// version is kept when they reach its table id. Versions loaded within
    /// the grace period (`prune`) are kept too: a statement running now may
    /// have just made one that its working set does not name yet.
    public func collectEngineGarbage(prune: Expiry = .defaultPrune, dryRun: Bool = false) throws -> EngineGCReport {
        let context = try gate(.collectEngineGarbage); defer { context.end() }
        try context.authorize(.admin, branch: nil)
        let choice = try engineChoice()
        guard choice.kind != .sqlite else {
            throw RepositoryError.engineFailure("gc --engine works on a server engine (postgres, spark); '\(choice.name)' is sqlite "
                                                + "(the sqlite table cache is checked by fsck --caches and bounded by its size)")
        }
        guard let backend = try engine(choice).backend as? any HeldVersions else {
            throw RepositoryError.engineFailure("engine '\(choice.name)' (\(choice.kind.rawValue)) keeps no table versions gc could drop")
        }
        var ignored = GCReport(dryRun: true)
        let roots = try gcRoots(.never, dryRun: true, report: &ignored)
        var reachable = Set<ObjectID>()
        try walkObjects(from: roots, read: { try objects.read($0) }, stop: { _ in false }) { id, leaf in
            if !leaf { reachable.insert(id) }
        }
        let age: VersionAge = switch prune {
        case .now: .any
        case .never: .none
        case let .olderThan(seconds): .olderThan(seconds: seconds)
        case let .before(time): .before(time)
        }
        var report = EngineGCReport(engine: choice.name, dryRun: dryRun)
        do {
            report.held = try backend.heldVersions().count
            let (dropped, kept) = try backend.dropVersions(keeping: reachable, loaded: age, dryRun: dryRun)
            report.dropped = dropped
            report.keptRecent = kept
        } catch let error as EngineError {
            throw RepositoryError.engineFailure("gc of engine '\(choice.name)': \(error)")
        }
        if !dryRun {
            try context.record(AuditEntry(operation: "gc", branch: nil, details: .object([
                "engine": .string(choice.name),
                "versions_dropped": .int(report.dropped.count),
            ])))
        }
        return report
    }
}
