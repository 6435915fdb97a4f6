import Foundation
import Glibc
import RockyBase
import RockyStore

/// One operation in the audit trail (DESIGN.md "Audit").
public struct AuditEntry: Sendable, Equatable {
    public var sequence: Int
    public var time: Timestamp
    public var actor: String
    public var operation: String
    public var branch: String?
    /// The ref this entry moves (`refs/heads/<branch>`), set on the entries
    /// of ref moves, which the ref's reflog anchors (`moveRef`); for a
    /// `recovered` entry, the ref whose unrecorded move it records.
    public var ref: String?
    public var oldID: ObjectID?
    public var newID: ObjectID?
    /// Working-set or commit trees before and after (the state hashes).
    public var inputState: ObjectID?
    public var outputState: ObjectID?
    public var rows: Int?
    public var statements: [String]
    public var environment: String
    public var runID: String?
    /// Free-form details (table name, merge strategy, ...).
    public var details: JSON?
    /// SHA-256 hex of the previous entry's line (64 zeros for the first).
    public var previous: String

    public init(operation: String, branch: String?, oldID: ObjectID? = nil, newID: ObjectID? = nil,
                inputState: ObjectID? = nil, outputState: ObjectID? = nil, rows: Int? = nil,
                statements: [String] = [], details: JSON? = nil) {
        sequence = 0
        time = Timestamp(microseconds: 0)
        actor = ""
        self.operation = operation
        self.branch = branch
        self.oldID = oldID
        self.newID = newID
        self.inputState = inputState
        self.outputState = outputState
        self.rows = rows
        self.statements = statements
        environment = ""
        runID = nil
        self.details = details
        previous = ""
    }

    /// The entry as stored (and as `rocky audit --json` prints it).
    public var publicJSON: JSON { json }

    var json: JSON {
        .object([
            "actor": .string(actor),
            "branch": branch.map(JSON.string),
            "details": details,
            "environment": .string(environment),
            "input_state": inputState.map { .string($0.hex) },
            "new": newID.map { .string($0.hex) },
            "old": oldID.map { .string($0.hex) },
            "operation": .string(operation),
            "output_state": outputState.map { .string($0.hex) },
            "previous": .string(previous),
            "ref": ref.map(JSON.string),
            "rows": rows.map { .int($0) },
            "run_id": runID.map(JSON.string),
            "seq": .int(sequence),
            "statements": statements.isEmpty ? nil : .array(statements.map(JSON.string)),
            "time": .string(time.description),
        ])
    }

    init?(json: JSON) {
        func id(_ key: String) -> ObjectID?? {
            guard let v = json[key] else { return .some(nil) }
            return v.stringValue.flatMap { ObjectID(hex: $0) }.map { .some($0) }
        }
        guard let seq = json["seq"]?.intValue, let timeText = json["time"]?.stringValue, let time = Timestamp(parsing: timeText),
              let actor = json["actor"]?.stringValue, let operation = json["operation"]?.stringValue,
              let environment = json["environment"]?.stringValue, let previous = json["previous"]?.stringValue,
              let old = id("old"), let new = id("new"), let input = id("input_state"), let output = id("output_state")
        else { return nil }
        self.init(operation: operation, branch: json["branch"]?.stringValue, oldID: old, newID: new, inputState: input,
                  outputState: output, rows: json["rows"]?.intValue,
                  statements: json["statements"]?.arrayValue?.compactMap(\.stringValue) ?? [], details: json["details"])
        sequence = seq
        self.time = time
        self.actor = actor
        self.environment = environment
        runID = json["run_id"]?.stringValue
        ref = json["ref"]?.stringValue
        self.previous = previous
    }
}

/// What `rocky audit --verify` found: the first entry that breaks the
/// chain, and the branch moves the anchors show that the log does not.
public struct AuditVerification: Sendable {
    public var entries: Int
    /// 1-based line of the first bad entry, and why; nil when the chain holds.
    public var firstBad: (line: Int, reason: String)?
    /// Reflogs and refs that disagree with the log (checked when the chain holds).
    public var anchorProblems: [AuditAnchorProblem] = []
    /// Not damage: an append a crash interrupted, which the next entry finishes.
    public var notes: [String] = []
    public var isIntact: Bool { firstBad == nil && anchorProblems.isEmpty }
}

/// Where a ref move is recorded in the audit log: the entry's sequence
/// number and the SHA-256 of its line, written into the move's reflog entry
/// as `<sequence> <sha256>`.
struct AuditAnchor: Equatable {
    var sequence: Int
    var hash: String

    var text: String { "\(sequence) \(hash)" }

    init(sequence: Int, hash: String) {
        self.sequence = sequence
        self.hash = hash
    }

    init?(text: String) {
        let parts = text.split(separator: " ")
        guard parts.count == 2, let n = Int(parts[0]), n >= 1, parts[1].count == 64 else { return nil }
        self.init(sequence: n, hash: String(parts[1]))
    }
}

/// The audit log: `.rocky/audit.log`, one canonical JSON object per line,
/// each holding the SHA-256 of the line before it, so editing, removing,
/// inserting or reordering an entry breaks the chain at that entry.
/// `.rocky/audit.head` holds the sequence number and hash of the last line:
/// a log truncated behind its back no longer reaches that head. Appends are
/// serialized by `audit.log.lock` (O_CREAT|O_EXCL) and fsynced.
extension Repository {
    var auditLogPath: String { rockyDirectory + "/audit.log" }
    var auditHeadPath: String { rockyDirectory + "/audit.head" }

    static let zeroHash = String(repeating: "0", count: 64)

    /// Appends an entry, filling in sequence, time, actor, environment, run
    /// id and the previous hash. An entry that moves a branch is written by
    /// `moveRef` instead, which anchors it in the ref's reflog.
    func audit(_ entry: AuditEntry) throws {
        try withAuditLock {
            try prepareAppend()
            _ = try appendLocked(entry)
        }
    }

    /// Finishes what an interrupted writer left before the next entry goes
    /// in: a torn line, a head not yet updated, a move whose entry was
    /// written but whose ref never moved. Call with the audit lock held.
    func prepareAppend() throws {
        try repairTornAppend()
        try settleUnfinishedMove()
    }

    /// Appends `entry` and returns where it landed. Call with the audit lock
    /// held, after `prepareAppend`. The line is fsynced before the head is
    /// replaced, so a crash in between leaves a complete line the head does
    /// not record yet (`repairTornAppend` adopts it).
    @discardableResult
    func appendLocked(_ entry: AuditEntry) throws -> AuditAnchor {
        let (sequence, previous) = try auditHead()
        var e = entry
        e.sequence = sequence + 1
        e.time = settings.now
        e.actor = settings.actor
        e.environment = settings.environment
        e.runID = settings.runID
        e.previous = previous
        let line = e.json.canonicalText + "\n"
        let fd = Glibc.open(auditLogPath, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o644)
        guard fd >= 0 else { throw StoreError.io(path: auditLogPath, operation: "open", errno: errno) }
        defer { close(fd) }
        let bytes = Array(line.utf8)
        let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        guard written == bytes.count, fsync(fd) == 0 else {
            throw StoreError.io(path: auditLogPath, operation: "append", errno: errno)
        }
        let hash = ObjectID(bytes: SHA256.digest(Array(line.dropLast().utf8))).hex
        try ObjectFiles.replace(auditHeadPath, with: Array("\(e.sequence) \(hash)\n".utf8))
        return AuditAnchor(sequence: e.sequence, hash: hash)
    }

    /// Finishes what a process killed during an append left: a partial last
    /// line is cut off (it was never acknowledged), and a complete line the
    /// head does not record yet, but which extends the head's chain, is
    /// adopted. Anything else is left for `verifyAudit` to report.
    func repairTornAppend() throws {
        let fd = Glibc.open(auditLogPath, O_RDWR | O_CLOEXEC | O_NOFOLLOW)
        guard fd >= 0 else { return }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0, st.st_size > 0 else { return }
        let size = Int(st.st_size)
        let window = min(size, 1 << 20)
        var tail = [UInt8](repeating: 0, count: window)
        guard tail.withUnsafeMutableBytes({ pread(fd, $0.baseAddress, window, off_t(size - window)) }) == window else { return }
        if tail.last != 10 {
            let keep = tail.lastIndex(of: 10).map { size - window + $0 + 1 } ?? (window == size ? 0 : size)
            guard keep < size, ftruncate(fd, off_t(keep)) == 0, fsync(fd) == 0 else { return }
            tail = Array(tail[..<(keep - (size - window))])
        }
        guard !tail.isEmpty else { return }
        let body = tail.dropLast()
        let lineStart = body.lastIndex(of: 10).map { $0 + 1 } ?? body.startIndex
        let line = String(decoding: body[lineStart...], as: UTF8.self)
        let (sequence, headHash) = try auditHead()
        let hash = ObjectID(bytes: SHA256.digest(Array(line.utf8))).hex
        guard hash != headHash, let json = try? JSON(parsing: line), let entry = AuditEntry(json: json),
              entry.sequence == sequence + 1, entry.previous == headHash, json.canonicalText == line else { return }
        try ObjectFiles.replace(auditHeadPath, with: Array("\(entry.sequence) \(hash)\n".utf8))
    }

    /// The last sequence number and line hash (0 and zeros for an empty log).
    func auditHead() throws -> (Int, String) {
        guard let text = try? String(contentsOfFile: auditHeadPath, encoding: .utf8) else { return (0, Repository.zeroHash) }
        let parts = text.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: " ")
        guard parts.count == 2, let n = Int(parts[0]), parts[1].count == 64 else {
            throw StoreError.malformed(path: auditHeadPath, reason: "expected '<sequence> <sha256>'")
        }
        return (n, String(parts[1]))
    }

    func withAuditLock<R>(_ body: () throws -> R) throws -> R {
        try withLockFile(auditLogPath + ".lock", name: "audit.log", body)
    }

    /// Every entry, oldest first, with its line number.
    public func auditEntries() throws -> [AuditEntry] {
        let context = try gate(.auditEntries); defer { context.end() }
        guard let data = FileManager.default.contents(atPath: auditLogPath) else { return [] }
        var entries: [AuditEntry] = []
        for (n, line) in String(decoding: data, as: UTF8.self).split(separator: "\n").enumerated() {
            guard let json = try? JSON(parsing: String(line)), let entry = AuditEntry(json: json) else {
                throw StoreError.malformed(path: auditLogPath, reason: "line \(n + 1) is not an audit entry")
            }
            entries.append(entry)
        }
        return entries
    }

    /// Checks the hash chain, the sequence numbers and the head (the chain
    /// rules are `AuditSnapshot.verify`'s, the same a fetch applies), then
    /// the anchors: every branch's reflog against the log
    /// (`auditAnchorProblems`). Reads only: what an interrupted append left
    /// (a partial last line, or one complete entry the head does not record
    /// yet, extending its chain) is noted, not reported, and the next entry
    /// repairs it; a log shorter than its head is reported as truncated.
    public func verifyAudit() throws -> AuditVerification {
        let context = try gate(.verifyAudit); defer { context.end() }
        let data = FileManager.default.contents(atPath: auditLogPath) ?? Data()
        var lines = String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        var notes: [String] = []
        if lines.last == "" {
            lines.removeLast()
        } else {
            lines.removeLast()
            notes.append("the log ends in a partial line, an append a crash interrupted: the next entry cuts it off")
        }
        let previous: String
        do {
            previous = try AuditSnapshot.verify(lines, source: auditLogPath)
        } catch let RemoteError.auditChainBroken(_, line, reason) {
            return AuditVerification(entries: line - 1, firstBad: (line, reason), notes: notes)
        }
        let count = lines.count
        let (headSequence, headHash) = try auditHead()
        if headSequence > count {
            return AuditVerification(entries: count, firstBad: (count + 1, "the log ends at entry \(count) but its head records entry \(headSequence): entries were truncated"), notes: notes)
        }
        func lineHash(_ sequence: Int) -> String {
            sequence == 0 ? Repository.zeroHash : ObjectID(bytes: SHA256.digest(Array(lines[sequence - 1].utf8))).hex
        }
        if headSequence == count - 1, headHash == lineHash(headSequence) {
            notes.append("entry \(count) was appended but audit.head not yet updated (a crash interrupted the append): the next entry records it")
        } else if headSequence != count || headHash != previous {
            let reason = headHash == lineHash(headSequence)
                ? "the log holds \(count) entries but audit.head records only \(headSequence): the head was reset or entries were added behind its back"
                : "the log's entry \(headSequence) is not the one audit.head records: the log was rewritten"
            return AuditVerification(entries: count, firstBad: (headSequence + 1, reason), notes: notes)
        }
        return AuditVerification(entries: count, firstBad: nil, anchorProblems: try auditAnchorProblems(lines: lines), notes: notes)
    }
}

enum FileSystemAge {
    static func seconds(_ path: String) -> Int {
        guard let date = (try? FileManager.default.attributesOfItem(atPath: path))?[.modificationDate] as? Date else { return 0 }
        return max(0, Int(Date().timeIntervalSince(date)))
    }
}
