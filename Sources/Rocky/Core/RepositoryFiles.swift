import Foundation
import RockyStore

/// Places inside `.rocky` that several subsystems use.
extension Repository {
    /// A folder for sort runs and other scratch files, inside `.rocky`.
    func temporaryDirectory() -> String {
        let path = rockyDirectory + "/tmp"
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// The store on disk, which transfers need.
    var diskObjects: DiskObjectStore {
        get throws {
            guard let store = objects as? DiskObjectStore else {
                throw RepositoryError.invalidArgument("this repository's objects are not on disk")
            }
            return store
        }
    }
}
