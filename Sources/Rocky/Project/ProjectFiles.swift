import Foundation
import RockyStore

/// The project files of a working directory: `rocky.toml` and everything
/// under `models/`. They are versioned with the tables: a commit snapshots
/// them into its tree, and checkout writes those of the target.
extension Repository {
    static let projectFileRoots = ["rocky.toml", "models"]

    /// Relative path -> bytes of every project file on disk.
    func projectFilesOnDisk() throws -> [String: [UInt8]] {
        var result: [String: [UInt8]] = [:]
        let fm = FileManager.default
        for root in Repository.projectFileRoots {
            let full = workDirectory + "/" + root
            var isDir: ObjCBool = false
            guard fm.fileExists(atPath: full, isDirectory: &isDir) else { continue }
            if !isDir.boolValue {
                result[root] = [UInt8](try Data(contentsOf: URL(fileURLWithPath: full)))
                continue
            }
            for case let relative as String in fm.enumerator(atPath: full)?.allObjects ?? [] {
                let path = full + "/" + relative
                var childIsDir: ObjCBool = false
                guard fm.fileExists(atPath: path, isDirectory: &childIsDir) else { continue }
                if childIsDir.boolValue || relative.split(separator: "/").contains(where: { $0.hasPrefix(".") }) { continue }
                result[root + "/" + relative] = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
            }
        }
        return result
    }

    /// Blob ids of the project files on disk; with `write`, the blobs are stored.
    func projectFileIDs(write: Bool) throws -> [String: ObjectID] {
        var ids: [String: ObjectID] = [:]
        for (path, bytes) in try projectFilesOnDisk() {
            ids[path] = write ? try objects.write(.blob, bytes) : objectID(.blob, bytes)
        }
        return ids
    }

    /// Makes the project files on disk those of `target`: writes changed and
    /// new ones, removes those tracked in `current` but absent from `target`.
    /// Nothing is written before every path has passed `checkProjectFileWrite`;
    /// each file is written to a temporary file beside it and renamed into place.
    func writeProjectFiles(from current: [String: ObjectID], to target: [String: ObjectID]) throws {
        try checkProjectFileWrite(from: current, to: target)
        let fm = FileManager.default
        for (path, id) in target.sorted(by: { $0.key < $1.key })
        where current[path] != id || !fm.fileExists(atPath: workDirectory + "/" + path) {
            let full = workDirectory + "/" + path
            try ObjectFiles.makeDirectories((full as NSString).deletingLastPathComponent, below: workDirectory)
            try ObjectFiles.replace(full, with: try objects.read(id, as: .blob))
        }
        for path in current.keys where target[path] == nil {
            try ObjectFiles.refuseSymbolicLinks(workDirectory + "/" + path, below: workDirectory)
            try? fm.removeItem(atPath: workDirectory + "/" + path)
        }
    }

    /// Throws `unsafePath` unless `writeProjectFiles(from:to:)` can run
    /// without writing outside the working directory: every path of `target`
    /// keeps `TreePath`'s rules, and no file it writes or removes is, or lies
    /// below, a symbolic link in the working directory. Callers that move a
    /// ref first check before moving it, so a refusal leaves everything as it was.
    func checkProjectFileWrite(from current: [String: ObjectID], to target: [String: ObjectID]) throws {
        if let problem = TreePath.problems(target.keys).first {
            throw StoreError.unsafePath(problem.path, reason: problem.reason)
        }
        for path in Set(target.keys).union(current.keys.filter { target[$0] == nil }).sorted() {
            try ObjectFiles.refuseSymbolicLinks(workDirectory + "/" + path, below: workDirectory)
        }
    }
}
