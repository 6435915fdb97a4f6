import Glibc

extension FileRefStore {
    /// The name of every reflog (`HEAD`, `refs/heads/main`, ...), including
    /// those of deleted refs, which are kept.
    public func reflogNames() throws -> [String] {
        var names: [String] = []
        func walk(_ relative: String) throws {
            for entry in try FileSystem.listDirectory(root + "/logs/" + relative) {
                let child = relative.isEmpty ? entry : relative + "/" + entry
                if FileSystem.isDirectory(root + "/logs/" + child) {
                    try walk(child)
                } else if child == "HEAD" || child.hasPrefix("refs/"), !entry.hasPrefix(".") {
                    // A name starting with '.' is no ref's (RefName forbids it): a temporary file.
                    names.append(child)
                }
            }
        }
        try walk("")
        return names.sorted()
    }

    /// Rewrites a reflog keeping the entries `keep` accepts, under the ref's
    /// lock (so no update appends meanwhile): temporary file, fsync, rename.
    /// `keepLast` keeps the newest entry whatever `keep` says (a live
    /// branch's last move anchors its value in the audit trail). A reflog
    /// left empty is removed. Returns how many entries went.
    public func expireReflog(_ name: String, keepLast: Bool = false, keep: (ReflogEntry) -> Bool) throws -> Int {
        let log = root + "/logs/" + name
        var removed = 0
        func rewrite() throws {
            let entries = try reflog(name)
            let kept = ReflogEntry.kept(entries, keepLast: keepLast, keep: keep)
            removed = entries.count - kept.count
            guard removed > 0 else { return }
            if kept.isEmpty {
                try FileSystem.unlink(log)
            } else {
                try ObjectFiles.replace(log, with: Array(kept.map(\.line).joined().utf8))
                return
            }
            try FileSystem.fsyncDirectory(FileSystem.parentDirectory(log))
        }
        let ref = root + "/" + name
        let folder = FileSystem.parentDirectory(ref)
        if FileSystem.exists(folder) && !FileSystem.isDirectory(folder) {
            // A ref where a folder would be: this ref cannot exist, nothing appends.
            try rewrite()
            return removed
        }
        try FileSystem.makeDirectories(folder)
        try withLock(ref, name: name) { try rewrite() }
        return removed
    }
}

extension ReflogEntry {
    /// The entries `keep` accepts, and with `keepLast` the newest one too.
    public static func kept(_ entries: [ReflogEntry], keepLast: Bool, keep: (ReflogEntry) -> Bool) -> [ReflogEntry] {
        entries.enumerated().filter { (i, e) in keep(e) || (keepLast && i == entries.count - 1) }.map(\.element)
    }
}
