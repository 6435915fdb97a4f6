import Foundation
import RockyBase
import RockyStore

/// A branch whose reflog or ref disagrees with the audit log: a move with no
/// entry, an anchor naming an entry the log no longer has (a deleted or
/// truncated log), or a ref changed outside rocky (a rolled-back branch).
public struct AuditAnchorProblem: Sendable, CustomStringConvertible {
    public var ref: String
    public var message: String
    /// The `recovered` entry `recoverAudit` appends to record what happened;
    /// nil when it cannot be recorded (the log lost or changed entries).
    var recovery: AuditEntry?
    public var isRecoverable: Bool { recovery != nil }
    public var description: String { "ref \(ref): \(message)" }
}

/// A ref move and its audit entry as one durable step (DESIGN.md "Audit").
///
/// Calling sequence of `moveRef`: take the audit lock; finish what an
/// interrupted writer left (`prepareAppend`); check that the ref still holds
/// the expected id (nothing has changed yet, so a moved ref or a held lock
/// fails cleanly); append the entry naming the ref and fsync it; then move
/// the ref by compare-and-swap with the entry's anchor (`<sequence>
/// <sha256>`) in the reflog line. A crash before the move leaves an entry
/// whose ref never moved: the next append finds it and records an `aborted`
/// entry. A move can therefore never exist without its entry, and the
/// reflogs, which outlive the log's own files, anchor the chain: a deleted
/// log, a rolled-back branch or a move without an entry shows up in
/// `auditAnchorProblems`.
extension Repository {
    /// Moves (or, with `new` nil, deletes) a branch ref from `expected` and
    /// records `entry` for it, as described above. Throws
    /// `StoreError.refMoved` when the ref does not hold `expected`, having
    /// changed nothing. `adoptedLog`: the log was just copied from another
    /// repository (clone), whose last entry's move is not this one's to settle.
    ///
    /// `along`: other refs (a working set's) that move with this one in the
    /// same transaction; they are checked before the entry is written too.
    /// `preceding`: entries that belong before the move's own (the command
    /// whose result a commit records), appended in the same step.
    func moveRef(_ ref: RefName, from expected: ObjectID?, to new: ObjectID?, note: RefNote, entry: AuditEntry,
                 preceding: [AuditEntry] = [], alongWith along: [RefChange] = [], adoptedLog: Bool = false) throws {
        try withAuditLock {
            if adoptedLog { try repairTornAppend() } else { try prepareAppend() }
            for change in [RefChange(ref, from: expected, to: new)] + along {
                let current = try refs.read(change.ref)
                guard current == change.expected else {
                    throw StoreError.refMoved(ref: change.ref.path, expected: change.expected, actual: current)
                }
            }
            var e = entry
            e.ref = ref.path
            e.oldID = expected
            e.newID = new
            for p in preceding { try appendLocked(p) }
            let anchor = try appendLocked(e)
            var anchored = note
            anchored.anchor = anchor.text
            do {
                try refs.update([RefChange(ref, from: expected, to: new)] + along, note: anchored)
            } catch {
                try? settleUnfinishedMove()
                throw error
            }
        }
    }

    /// When the last entry moves a ref but no reflog line names it, its
    /// writer stopped (or failed) before the move: appends an `aborted` entry
    /// saying so. Only the last entry can be unfinished, since entries and
    /// moves happen under the audit lock. Call with the lock held.
    func settleUnfinishedMove() throws {
        guard let line = lastAuditLine(), let json = try? JSON(parsing: line), let last = AuditEntry(json: json),
              let path = last.ref, last.operation != "recovered" else { return }
        if try refs.reflog(path).contains(where: { $0.anchor.flatMap(AuditAnchor.init(text:))?.sequence == last.sequence }) { return }
        try appendLocked(AuditEntry(operation: "aborted", branch: last.branch, oldID: last.oldID, newID: last.newID, details: .object([
            "sequence": .int(last.sequence), "ref": .string(path),
            "reason": .string("the ref never moved: the process stopped or failed between the entry and the move"),
        ])))
    }

    /// The last complete line of the log, or nil.
    private func lastAuditLine() -> String? {
        guard let handle = FileHandle(forReadingAtPath: auditLogPath) else { return nil }
        defer { try? handle.close() }
        guard let size = try? handle.seekToEnd(), size > 0 else { return nil }
        var window: UInt64 = 1 << 16
        while true {
            let start = size > window ? size - window : 0
            try? handle.seek(toOffset: start)
            guard let data = try? handle.readToEnd() else { return nil }
            var bytes = [UInt8](data)
            if let cut = bytes.lastIndex(of: 10) { bytes.removeSubrange((cut + 1)...) } else { bytes = [] }
            guard !bytes.isEmpty else { return nil }
            bytes.removeLast()
            if let begin = bytes.lastIndex(of: 10) { return String(decoding: bytes[(begin + 1)...], as: UTF8.self) }
            if start == 0 { return String(decoding: bytes, as: UTF8.self) }
            window *= 4
        }
    }

    /// Checks every branch's reflog (the live branches' and the deleted
    /// ones') against the log's `lines`, whose chain holds: each move names
    /// an entry of the log that records this move (same ref, same new id,
    /// same old id unless it is a `recovered` entry), in increasing order,
    /// or is covered by a `recovered` entry; and each ref holds what its
    /// last recorded move set it to (or what a later `recovered` entry says).
    /// A ref holding its last move's old id while its lock file exists is a
    /// move a crash interrupted (fsck warns about the lock), not a problem.
    func auditAnchorProblems(lines: [String]) throws -> [AuditAnchorProblem] {
        let entries = lines.compactMap { (try? JSON(parsing: $0)).flatMap(AuditEntry.init(json:)) }
        guard entries.count == lines.count else { return [] }
        let hashes = lines.map { ObjectID(bytes: SHA256.digest(Array($0.utf8))).hex }
        var recovered: [String: [AuditEntry]] = [:]
        for e in entries where e.operation == "recovered" {
            if let ref = e.ref { recovered[ref, default: []].append(e) }
        }
        var names = Set(try refs.list(prefix: RefName.headsPrefix).map(\.name.path))
        if let store = refs as? FileRefStore {
            names.formUnion(try store.reflogNames().filter { $0.hasPrefix(RefName.headsPrefix) })
        }
        func short(_ id: ObjectID?) -> String { id?.short() ?? "none" }
        var problems: [AuditAnchorProblem] = []
        for name in names.sorted() {
            guard let ref = try? RefName(validating: name) else { continue }
            func problem(_ message: String, _ recovery: AuditEntry? = nil) {
                var entry = recovery
                entry?.ref = name
                problems.append(AuditAnchorProblem(ref: name, message: message, recovery: entry))
            }
            let log: [ReflogEntry]
            do {
                log = try refs.reflog(name)
            } catch {
                problem("its reflog cannot be read, so its moves cannot be checked against the log: \(error)")
                continue
            }
            var lastAnchored = 0
            for (i, line) in log.enumerated() {
                let what = "reflog entry \(i + 1) (\(short(line.old)) -> \(short(line.new)) at \(line.time))"
                guard let text = line.anchor else {
                    let covered = recovered[name]?.contains {
                        $0.oldID == line.old && $0.newID == line.new && $0.details?["reflog_time"]?.stringValue == line.time
                    } ?? false
                    if !covered {
                        problem("\(what) has no audit entry: the ref was moved outside rocky",
                                AuditEntry(operation: "recovered", branch: ref.branchName, oldID: line.old, newID: line.new, details: .object([
                                    "reason": .string("a reflog entry without an audit entry"), "reflog_time": .string(line.time),
                                    "reflog_actor": .string(line.actor), "reflog_message": .string(line.message),
                                ])))
                    }
                    continue
                }
                guard let anchor = AuditAnchor(text: text) else {
                    problem("\(what) has a malformed audit anchor '\(text)'")
                    continue
                }
                guard anchor.sequence <= entries.count else {
                    problem("\(what) is recorded by audit entry \(anchor.sequence), but the log holds \(entries.count) entries: "
                        + "the audit log was deleted or truncated")
                    continue
                }
                let e = entries[anchor.sequence - 1]
                guard hashes[anchor.sequence - 1] == anchor.hash, e.ref == name, e.newID == line.new,
                      e.operation == "recovered" || e.oldID == line.old else {
                    problem("\(what) names audit entry \(anchor.sequence), which records something else: the log was rewritten")
                    continue
                }
                guard anchor.sequence > lastAnchored else {
                    problem("\(what) names audit entry \(anchor.sequence), which an earlier move already names: the reflog was edited")
                    continue
                }
                lastAnchored = anchor.sequence
            }
            let current = try refs.read(ref)
            let recorded = log.last?.new
            guard current != recorded else { continue }
            if let r = recovered[name]?.last(where: { $0.details?["reflog_time"] == nil }), r.sequence > lastAnchored,
               r.oldID == recorded, r.newID == current { continue }
            if let tail = log.last, current == tail.old, FileManager.default.fileExists(atPath: rockyDirectory + "/" + name + ".lock") {
                continue
            }
            problem("holds \(current?.hex ?? "nothing") but its last recorded move set it to \(recorded?.hex ?? "nothing"): "
                + "it was changed outside rocky (rolled back, edited or deleted)",
                    AuditEntry(operation: "recovered", branch: ref.branchName, oldID: recorded, newID: current, details: .object([
                        "reason": .string("the ref was changed without a recorded move"),
                    ])))
        }
        return problems
    }

    /// Records the recoverable anchor problems (moves without an entry, refs
    /// changed outside rocky) as `recovered` entries naming the ref, so that
    /// the trail says what happened instead of hiding it; returns the
    /// problems it recorded and those it cannot (the log lost or changed
    /// entries: nothing rocky writes can vouch for those). Refuses when the
    /// chain itself is broken.
    public func recoverAudit() throws -> (recorded: [AuditAnchorProblem], remaining: [AuditAnchorProblem]) {
        let context = try gate(.recoverAudit); defer { context.end() }
        // Recording what happened outside rocky writes the trail's account of it: an administrator's act.
        try context.authorize(.admin, branch: nil)
        return try withAuditLock {
            try prepareAppend()
            let check = try verifyAudit()
            if let bad = check.firstBad {
                throw RemoteError.auditChainBroken(source: auditLogPath, line: bad.line, reason: bad.reason)
            }
            var recorded: [AuditAnchorProblem] = [], remaining: [AuditAnchorProblem] = []
            for problem in check.anchorProblems {
                if let entry = problem.recovery {
                    try appendLocked(entry)
                    recorded.append(problem)
                } else {
                    remaining.append(problem)
                }
            }
            return (recorded, remaining)
        }
    }
}
