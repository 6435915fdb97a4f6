import Foundation
import Glibc
import RockyBase
import RockyStore

/// An audit log as it travels between repositories: its lines up to its
/// head, with the chain verified.
///
/// Read without the owner's lock: `audit.head` first, then `audit.log`, of
/// which the first `<sequence>` lines are the log (an entry appended between
/// the two reads is not part of this snapshot). A log shorter than its head,
/// a line that does not chain, or a last line whose hash is not the head's,
/// is refused.
///
/// Where the lines go: `clone` makes them the start of the new repository's
/// own log (its chain continues from the source's); `clone` and `fetch`
/// keep a verbatim copy per remote in `.rocky/remotes/<name>/audit.log` and
/// `audit.head`, since two repositories' chains diverge after a clone. Each
/// fetch checks that the remote's log still begins with that copy (its
/// history is append-only), then replaces the copy, and records the
/// remote's head (entry count and hash) in a local `fetch` entry, which
/// anchors the remote's chain in the local one.
struct AuditSnapshot: Equatable {
    var lines: [String]
    /// SHA-256 hex of the last line (64 zeros when empty).
    var headHash: String

    var count: Int { lines.count }

    static let empty = AuditSnapshot(lines: [], headHash: Repository.zeroHash)

    /// Reads and verifies the log in `folder` (`audit.log`, `audit.head`);
    /// `source` names it in errors.
    static func read(folder: String, source: String) throws -> AuditSnapshot {
        func broken(_ line: Int, _ reason: String) -> RemoteError { .auditChainBroken(source: source, line: line, reason: reason) }
        let headText = (try? String(contentsOfFile: folder + "/audit.head", encoding: .utf8))
        let log = FileManager.default.contents(atPath: folder + "/audit.log") ?? Data()
        guard let headText else {
            if log.isEmpty { return .empty }
            throw broken(1, "the log has entries but no audit.head")
        }
        let parts = headText.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: " ")
        guard parts.count == 2, let sequence = Int(parts[0]), sequence >= 0, parts[1].count == 64 else {
            throw broken(1, "audit.head is malformed")
        }
        var lines: [String] = []
        lines.reserveCapacity(sequence)
        var start = log.startIndex
        while lines.count < sequence, let newline = log[start...].firstIndex(of: UInt8(ascii: "\n")) {
            lines.append(String(decoding: log[start..<newline], as: UTF8.self))
            start = newline + 1
        }
        guard lines.count == sequence else {
            throw broken(lines.count + 1, "the log ends at entry \(lines.count) but its head records entry \(sequence): entries were truncated")
        }
        let snapshot = AuditSnapshot(lines: lines, headHash: try verify(lines, source: source))
        guard snapshot.headHash == String(parts[1]) else {
            throw broken(sequence, "the last entry's hash is not the one audit.head records: the entry was edited")
        }
        return snapshot
    }

    /// Checks the chain (canonical form, previous hashes, sequence numbers)
    /// and returns the last line's hash.
    static func verify(_ lines: [String], source: String) throws -> String {
        var previous = Repository.zeroHash
        for (n, line) in lines.enumerated() {
            func broken(_ reason: String) -> RemoteError { .auditChainBroken(source: source, line: n + 1, reason: reason) }
            guard let json = try? JSON(parsing: line), let entry = AuditEntry(json: json) else { throw broken("not an audit entry") }
            guard json.canonicalText == line else { throw broken("not in canonical form: the entry was edited") }
            guard entry.previous == previous else {
                throw broken("its previous hash does not match line \(n): an entry was edited, removed, inserted or reordered")
            }
            guard entry.sequence == n + 1 else { throw broken("sequence \(entry.sequence) where \(n + 1) was expected") }
            previous = ObjectID(bytes: SHA256.digest(Array(line.utf8))).hex
        }
        return previous
    }

    /// The first line (1-based) where `older` is not a prefix of this log, or nil.
    func firstDifference(from older: AuditSnapshot) -> Int? {
        if older.count > count { return count + 1 }
        for i in 0..<older.count where older.lines[i] != lines[i] { return i + 1 }
        return nil
    }

    /// Writes `audit.log` and `audit.head` into `folder`, each to a
    /// temporary file, fsynced and renamed (the log first, so a reader never
    /// sees a head beyond its log).
    func write(to folder: String) throws {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        var log = Data()
        for line in lines { log.append(contentsOf: Array(line.utf8)); log.append(UInt8(ascii: "\n")) }
        try ObjectFiles.replace(folder + "/audit.log", with: Array(log))
        try ObjectFiles.replace(folder + "/audit.head", with: Array("\(count) \(headHash)\n".utf8))
    }
}
