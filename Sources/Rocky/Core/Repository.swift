import Foundation
import RockyBase
import RockyStore

/// A Rocky repository: a working directory with a `.rocky` folder in it.
///
/// Layout of `.rocky` (Docs/format.md): `format` (the layout version),
/// `HEAD`, `objects/`, `refs/heads/`, `logs/` (reflogs).
/// Every method returns values and throws; none prints.
public final class Repository: Sendable {
    /// The working directory (the folder holding `.rocky`).
    public let workDirectory: String
    /// The `.rocky` folder.
    public let rockyDirectory: String
    let objects: any ObjectStore
    let refs: any RefStore
    public let settings: Settings
    /// The access policy in force, by the heads it was read from (Gate.swift).
    let policyCache = PolicyCache()
    /// Locks broken while the audit lock was held, recorded once it is released (BrokenLocks.swift).
    let brokenLocks = BrokenLockQueue()

    public static let formatLine = "rocky-format 1"
    public static let defaultBranch = "main"

    init(workDirectory: String, objects: any ObjectStore, refs: any RefStore, settings: Settings) {
        self.workDirectory = workDirectory
        rockyDirectory = workDirectory + "/.rocky"
        self.objects = objects
        self.refs = refs
        self.settings = settings
        (refs as? FileRefStore)?.observeBrokenLocks { [weak self] lock in self?.recordBrokenLock(lock) }
    }

    /// Opens the repository at `url` or in one of its parent folders, with
    /// settings from the environment.
    public static func open(at url: URL) throws -> Repository {
        try open(discoveringFrom: url.path, settings: try Settings.fromEnvironment())
    }

    /// Opens the repository whose `.rocky` is in `path` or its nearest parent.
    public static func open(discoveringFrom path: String, settings: Settings) throws -> Repository {
        var folder = absolutePath(path)
        while true {
            let candidate = folder == "/" ? "/.rocky" : folder + "/.rocky"
            if isDirectory(candidate) && FileManager.default.fileExists(atPath: candidate + "/HEAD") {
                return try open(workDirectory: folder, settings: settings)
            }
            if folder == "/" { throw StoreError.notARepository(absolutePath(path)) }
            folder = (folder as NSString).deletingLastPathComponent
        }
    }

    private static func open(workDirectory: String, settings: Settings) throws -> Repository {
        let rocky = workDirectory == "/" ? "/.rocky" : workDirectory + "/.rocky"
        let format = (try? String(contentsOfFile: rocky + "/format", encoding: .utf8)) ?? ""
        guard format.trimmingCharacters(in: .whitespacesAndNewlines) == formatLine else {
            throw StoreError.malformed(path: rocky + "/format",
                                       reason: "expected '\(formatLine)'; this repository was written by another version of rocky")
        }
        return Repository(workDirectory: workDirectory, objects: DiskObjectStore(directory: rocky + "/objects"),
                          refs: FileRefStore(root: rocky), settings: settings)
    }

    /// Creates `.rocky` in `path` (creating `path` if needed) with HEAD on
    /// `main` and a root commit on `main`, so branching works at once.
    @discardableResult
    public static func initialize(at path: String, settings: Settings) throws -> Repository {
        let work = absolutePath(path)
        let rocky = work + "/.rocky"
        if FileManager.default.fileExists(atPath: rocky) { throw StoreError.alreadyARepository(work) }
        // Build the folder under a temporary name and rename it into place, so
        // a crash or a failure never leaves a half-made repository.
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        // The staging folder holds `.rocky`, so that the repository built in
        // it writes its first audit entry, which anchors `main`, in place.
        let staging = work + "/.rocky-init-\(getpid())"
        try? FileManager.default.removeItem(atPath: staging)
        do {
            let stagedRocky = staging + "/.rocky"
            for folder in ["objects", "refs/heads", "logs"] {
                try FileManager.default.createDirectory(atPath: stagedRocky + "/" + folder, withIntermediateDirectories: true)
            }
            try Data((formatLine + "\n").utf8).write(to: URL(fileURLWithPath: stagedRocky + "/format"))
            try Data("ref: refs/heads/\(defaultBranch)\n".utf8).write(to: URL(fileURLWithPath: stagedRocky + "/HEAD"))
            // The random key of `hash` masking, outside the versioned tree (MaskingKey.swift).
            _ = try maskingKey(rockyDirectory: stagedRocky)
            let repo = Repository(workDirectory: staging, objects: DiskObjectStore(directory: stagedRocky + "/objects"),
                                  refs: FileRefStore(root: stagedRocky), settings: settings)
            let tree = try repo.objects.write(Tree.empty)
            let root = try repo.objects.write(commit: Commit(
                tree: tree, parents: [], actor: settings.actor, time: settings.now, message: "Initialize repository"))
            try repo.moveRef(try RefName.branch(defaultBranch), from: nil, to: root, note: settings.note("init"),
                             entry: AuditEntry(operation: "init", branch: defaultBranch))
            try FileManager.default.moveItem(atPath: stagedRocky, toPath: rocky)
            try? FileManager.default.removeItem(atPath: staging)
        } catch {
            try? FileManager.default.removeItem(atPath: staging)
            throw error
        }
        return try open(workDirectory: work, settings: settings)
    }

    static func absolutePath(_ path: String) -> String {
        let full = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
        return URL(fileURLWithPath: full).standardizedFileURL.path
    }

    private static func isDirectory(_ path: String) -> Bool {
        var isDir: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDir) && isDir.boolValue
    }
}
