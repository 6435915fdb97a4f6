import Foundation

/// The few file-system queries the repository makes outside the stores.
struct FileManagerShim {
    func exists(_ path: String) -> Bool { FileManager.default.fileExists(atPath: path) }

    /// Regular files below `path` (recursively, or `depth` levels).
    func files(under path: String, depth: Int = .max) -> [String] {
        guard depth > 0, let names = try? FileManager.default.contentsOfDirectory(atPath: path) else { return [] }
        var result: [String] = []
        for name in names.sorted() {
            let child = path + "/" + name
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: child, isDirectory: &isDir) else { continue }
            if isDir.boolValue { result += files(under: child, depth: depth - 1) } else { result.append(child) }
        }
        return result
    }
}
