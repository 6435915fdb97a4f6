import Glibc

/// The store-level steps of `gc`: removing a file unless a writer freshened
/// it meanwhile, and recovering from a `gc` that crashed halfway.
///
/// A file is removed in two steps: renamed to `<name>.gc` (a quarantine
/// name no reader or writer looks up), then, unless its modification time
/// moved since `gc` listed it or is after `gc` started, unlinked; otherwise
/// renamed back. A writer that reuses the object freshens the file with
/// `utimensat`: before the rename, `gc` sees the new time and restores it;
/// after, the writer finds no file and writes the object again. A pack's
/// index is renamed first, so that no process that lists the packs afresh
/// finds it while its pack is away.
extension DiskObjectStore {
    /// The clock file times are taken from (`CLOCK_REALTIME_COARSE`), in
    /// nanoseconds since the epoch: a file written or freshened after this
    /// returns has a modification time at or after the value.
    public static func fileClockNow() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME_COARSE, &ts)
        return Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec)
    }

    /// Removes a loose object unless it was freshened after `gc` listed it
    /// (or after `since`). Returns true when it was removed.
    public func removeLooseObject(_ file: LooseObjectFile, unlessFreshenedSince since: Int64) throws -> Bool {
        let quarantine = file.path + ".gc"
        guard Glibc.rename(file.path, quarantine) == 0 else {
            if errno == ENOENT { return false }
            throw StoreError.io(path: file.path, operation: "rename to \(quarantine)", errno: errno)
        }
        if let st = FileSystem.status(quarantine), FileSystem.modified(st) != file.modified || FileSystem.modified(st) >= since {
            try FileSystem.rename(quarantine, file.path)
            return false
        }
        try FileSystem.unlink(quarantine)
        return true
    }

    /// Removes a loose object that is stored in a pack as well.
    public func removeLooseCopy(_ file: LooseObjectFile) throws {
        try FileSystem.unlink(file.path)
    }

    /// Removes a pack and its index unless the pack was freshened after
    /// `gc` listed it (or after `since`). Returns true when it was removed.
    public func removePack(_ pack: PackFile, unlessFreshenedSince since: Int64) throws -> Bool {
        let indexQuarantine = pack.indexPath + ".gc", packQuarantine = pack.packPath + ".gc"
        guard Glibc.rename(pack.indexPath, indexQuarantine) == 0 else {
            if errno == ENOENT { return false }
            throw StoreError.io(path: pack.indexPath, operation: "rename to \(indexQuarantine)", errno: errno)
        }
        guard Glibc.rename(pack.packPath, packQuarantine) == 0 else {
            let code = errno
            try FileSystem.rename(indexQuarantine, pack.indexPath)
            if code == ENOENT { return false }
            throw StoreError.io(path: pack.packPath, operation: "rename to \(packQuarantine)", errno: code)
        }
        if let st = FileSystem.status(packQuarantine), FileSystem.modified(st) != pack.modified || FileSystem.modified(st) >= since {
            try FileSystem.rename(packQuarantine, pack.packPath)
            try FileSystem.rename(indexQuarantine, pack.indexPath)
            return false
        }
        // The index goes first: a crash between the two unlinks leaves a
        // quarantined pack without an index, which recovery puts back as an
        // interrupted write (never an index naming a pack that is gone).
        try FileSystem.unlink(indexQuarantine)
        try FileSystem.unlink(packQuarantine)
        _ = packIndexes(refresh: true)
        return true
    }

    /// Puts back files a crashed `gc` left under quarantine names (they are
    /// judged again by the next collection); returns how many.
    public func recoverQuarantined() throws -> Int {
        var recovered = 0
        var folders = try FileSystem.listDirectory(directory).filter { $0.utf8.count == 2 }.map { directory + "/" + $0 }
        folders.append(packFolder)
        for folder in folders {
            for name in try FileSystem.listDirectory(folder) where name.hasSuffix(".gc") {
                let path = folder + "/" + name
                let original = String(path.dropLast(3))
                // An index whose pack is gone (a collector killed between the
                // two unlinks of an older rocky) would name missing objects.
                let orphanIndex = original.hasSuffix(".idx")
                    && !FileSystem.exists(String(original.dropLast(4)) + ".pack")
                    && !FileSystem.exists(String(original.dropLast(4)) + ".pack.gc")
                if FileSystem.exists(original) || orphanIndex {
                    try FileSystem.unlink(path)
                } else {
                    try FileSystem.rename(path, original)
                    recovered += 1
                }
            }
        }
        return recovered
    }

    /// Temporary files of interrupted writes (`objects/tmp-*`,
    /// `objects/pack/tmp-*`, a `pack-*.pack` whose index never arrived, and
    /// every file of the `scratch` folder, where sorts spill), with their
    /// modification times and sizes.
    public func temporaryFiles(scratch: String? = nil) throws -> [(path: String, modified: Int64, size: Int)] {
        let packNames = try FileSystem.listDirectory(packFolder)
        let indexed = Set(packNames.filter { $0.hasSuffix(".idx") }.map { $0.dropLast(".idx".count) })
        var paths = try FileSystem.listDirectory(directory).filter { $0.hasPrefix("tmp-") }.map { directory + "/" + $0 }
        paths += packNames.filter { name in
            name.hasPrefix("tmp-") || (name.hasSuffix(".pack") && !indexed.contains(name.dropLast(".pack".count)))
        }.map { packFolder + "/" + $0 }
        if let scratch { paths += try FileSystem.listDirectory(scratch).map { scratch + "/" + $0 } }
        return paths.compactMap { path in
            guard let st = FileSystem.status(path), (st.st_mode & S_IFMT) == S_IFREG else { return nil }
            return (path, FileSystem.modified(st), Int(st.st_size))
        }
    }

    public func removeFile(_ path: String) throws { try FileSystem.unlink(path) }

    /// Size in bytes of a file of this store (0 when absent).
    public func fileSize(_ path: String) -> Int { FileSystem.status(path).map { Int($0.st_size) } ?? 0 }
}
