import Foundation
import RockyStore

/// A fresh temporary folder, removed when the value is released.
final class TemporaryDirectory {
    let path: String

    init() {
        path = NSTemporaryDirectory() + "rocky-test-" + UUID().uuidString
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    /// Every file below the folder, relative, sorted: to prove nothing changed.
    func snapshot() -> [String] {
        (FileManager.default.enumerator(atPath: path)?.allObjects as? [String] ?? []).sorted()
    }
}

let note = RefNote(actor: "test", time: "2026-05-20T16:00:00Z", message: "test")

func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

/// Both stores behind the protocol, so every contract test runs on each.
func stores(_ dir: TemporaryDirectory) -> [any ObjectStore] {
    let objects = dir.path + "/objects"
    try! FileManager.default.createDirectory(atPath: objects, withIntermediateDirectories: true)
    return [LooseObjectStore(directory: objects), MemoryObjectStore()]
}

func refStores(_ dir: TemporaryDirectory) -> [any RefStore] {
    [FileRefStore(root: dir.path, staleLockSeconds: 10, lockWaitSeconds: 0.2), MemoryRefStore()]
}
