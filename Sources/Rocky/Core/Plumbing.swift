import Foundation
import RockyBase
import RockyStore

extension Repository {
    /// Stores a file as a blob, streaming it in 1 MiB pieces.
    /// Writing an object moves no ref, but it fills the store: it needs `write`.
    public func writeBlob(fromFile path: String) throws -> ObjectID {
        let context = try gate(.writeBlob); defer { context.end() }
        try context.authorize(.write, branch: nil)
        let id = try Repository.blobID(ofFile: path, into: objects)
        try context.record(AuditEntry(operation: "hash-object", branch: nil, newID: id))
        return id
    }

    /// The blob id of a file; with a store, the blob is also written.
    public static func blobID(ofFile path: String, into store: (any ObjectStore)?) throws -> ObjectID {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw RepositoryError.fileFailure(path: path, reason: "cannot read it")
        }
        defer { try? handle.close() }
        let size = Int(try handle.seekToEnd())
        try handle.seek(toOffset: 0)
        let next = { () throws -> [UInt8] in
            guard let data = try handle.read(upToCount: 1 << 20) else { return [] }
            return [UInt8](data)
        }
        if let store { return try store.write(.blob, size: size, produce: next) }
        return try MemoryHasher.id(kind: .blob, size: size, produce: next)
    }
}

/// Computes an id from streamed pieces without storing anything.
enum MemoryHasher {
    static func id(kind: ObjectKind, size: Int, produce: () throws -> [UInt8]) throws -> ObjectID {
        let hasher = SHA256()
        hasher.update(Array("\(kind.rawValue) \(size)".utf8) + [0])
        var total = 0
        while true {
            let piece = try produce()
            if piece.isEmpty { break }
            total += piece.count
            hasher.update(piece)
        }
        guard total == size else { throw RepositoryError.fileFailure(path: "a streamed file", reason: "it changed while it was read") }
        return ObjectID(bytes: hasher.finish())
    }
}

extension Repository {
    /// A metadata object (commit, tree, ...) as JSON for `cat-object -p`, or
    /// nil for a blob, whose bytes are printed as they are.
    public func describeObject(_ id: ObjectID) throws -> JSON? {
        let context = try gate(.describeObject); defer { context.end() }
        try context.authorizeObject(id)
        let object = try objects.read(id)
        switch object.kind {
        case .commit: return try Commit(payload: object.payload, id: id).json
        case .tree: return try Tree(payload: object.payload, id: id, checkingPaths: false).json
        default: return nil
        }
    }
}
