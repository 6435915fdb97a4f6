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
    func writeProjectFiles(from current: [String: ObjectID], to target: [String: ObjectID]) throws {
        let fm = FileManager.default
        for (path, id) in target where current[path] != id || !fm.fileExists(atPath: workDirectory + "/" + path) {
            let full = workDirectory + "/" + path
            try fm.createDirectory(atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            let bytes = try objects.read(id, as: .blob)
            try Data(bytes).write(to: URL(fileURLWithPath: full), options: .atomic)
        }
        for path in current.keys where target[path] == nil {
            try? fm.removeItem(atPath: workDirectory + "/" + path)
        }
    }
}
