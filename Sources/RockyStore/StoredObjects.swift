import Glibc

/// A loose object file, as `gc` and `clone` see it.
public struct LooseObjectFile: Sendable {
    public let id: ObjectID
    public let path: String
    /// Modification time, nanoseconds since the epoch.
    public let modified: Int64
    public let size: Int
}

/// A pack and its index, as `gc`, `clone` and `fetch` see them.
public struct PackFile: Sendable {
    /// `pack-<64 hex>`.
    public let name: String
    public let packPath: String
    public let indexPath: String
    /// The pack file's modification time (what freshening moves), nanoseconds since the epoch.
    public let modified: Int64
    /// Bytes of the pack and its index.
    public let size: Int
    let index: PackIndex

    public var ids: [ObjectID] { index.allIDs }
    public var count: Int { index.count }
    public func contains(_ id: ObjectID) -> Bool { index.find(id) != nil }
}

/// Where and how an object is stored.
public enum StoredForm: Sendable {
    case loose(path: String)
    case packed(pack: String, offset: Int, length: Int)
}

extension DiskObjectStore {
    /// Every loose object file (names that are not object ids are skipped).
    public func looseObjects() throws -> [LooseObjectFile] {
        var result: [LooseObjectFile] = []
        for folder in try FileSystem.listDirectory(directory) where folder.utf8.count == 2 && ObjectID.isHexPrefix(folder + "00") {
            for name in try FileSystem.listDirectory(directory + "/" + folder) {
                guard let id = ObjectID(hex: folder + name) else { continue }
                let path = directory + "/" + folder + "/" + name
                guard let st = FileSystem.status(path) else { continue }
                result.append(LooseObjectFile(id: id, path: path, modified: FileSystem.modified(st), size: Int(st.st_size)))
            }
        }
        return result
    }

    /// Every pack that has an index.
    public func packFiles() throws -> [PackFile] {
        var result: [PackFile] = []
        for name in try FileSystem.listDirectory(packFolder) where name.hasPrefix("pack-") && name.hasSuffix(".idx") {
            let base = String(name.dropLast(4))
            let indexPath = packFolder + "/" + name
            guard let index = try? PackIndex(indexPath: indexPath), let st = FileSystem.status(index.packPath) else { continue }
            let indexSize = FileSystem.status(indexPath).map { Int($0.st_size) } ?? 0
            result.append(PackFile(name: base, packPath: index.packPath, indexPath: indexPath,
                                   modified: FileSystem.modified(st), size: Int(st.st_size) + indexSize, index: index))
        }
        return result
    }

    /// Where the object is stored, or nil.
    public func storedForm(of id: ObjectID) -> StoredForm? {
        let loose = path(of: id)
        if FileSystem.exists(loose) { return .loose(path: loose) }
        guard let (pack, span) = packed(id) else { return nil }
        return .packed(pack: pack, offset: span.offset, length: span.length)
    }

    /// The object as stored (one zlib stream of header and payload), checked
    /// against its id. The payload is returned when `keepPayload` says so for
    /// the object's kind (its links are needed), else only verified.
    public func verifiedStoredBytes(_ id: ObjectID, keepPayload: (ObjectKind) -> Bool = { _ in false })
        throws -> (stored: [UInt8], object: StoredObject?) {
        let bytes = try compressedBytes(id)
        let object = try bytes.withUnsafeBytes { try DiskObjectStore.verify($0, as: id, keepPayload: keepPayload) }
        return (bytes, object)
    }

    /// Checks one object's stored zlib stream, as it arrives from another
    /// repository, against `id` (throws `corruptObject` naming it); returns
    /// its kind.
    public static func verifyReceived(_ stored: UnsafeRawBufferPointer, as id: ObjectID) throws -> ObjectKind {
        let reader = ObjectReader(id: id)
        try reader.feed(stored) { _ in }
        return try reader.finish()
    }

    /// Inflates a stored zlib stream and checks it against `id`; throws
    /// `corruptObject` naming the object when it does not match.
    static func verify(_ stored: UnsafeRawBufferPointer, as id: ObjectID, keepPayload: (ObjectKind) -> Bool) throws -> StoredObject? {
        let reader = ObjectReader(id: id)
        var payload: [UInt8] = []
        var keep: Bool?
        try reader.feed(stored) { piece in
            if keep == nil {
                keep = reader.parsedHeader.map { keepPayload($0.kind) } ?? false
                if keep == true, let size = reader.parsedHeader?.size { payload.reserveCapacity(size) }
            }
            if keep == true { payload.append(contentsOf: piece) }
        }
        let kind = try reader.finish()
        if keep == nil, keepPayload(kind) { return StoredObject(kind: kind, payload: []) }
        return keep == true ? StoredObject(kind: kind, payload: payload) : nil
    }
}

extension FileSystem {
    static func status(_ path: String) -> stat? {
        var st = stat()
        return stat(path, &st) == 0 ? st : nil
    }

    static func modified(_ st: stat) -> Int64 {
        Int64(st.st_mtim.tv_sec) * 1_000_000_000 + Int64(st.st_mtim.tv_nsec)
    }
}
