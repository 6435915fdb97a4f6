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
        self.previous = previous
    }
}

/// What `rocky audit --verify` found: the first entry that breaks the chain.
public struct AuditVerification: Sendable {
    public var entries: Int
    /// 1-based line of the first bad entry, and why; nil when the chain holds.
    public var firstBad: (line: Int, reason: String)?
    public var isIntact: Bool { firstBad == nil }
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
    /// id and the previous hash.
    func audit(_ entry: AuditEntry) throws {
        try withAuditLock {
            try repairTornAppend()
            let (sequence, previous) = try auditHead()
            var e = entry
            e.sequence = sequence + 1
            e.time = settings.now
            e.actor = settings.actor
            e.environment = settings.environment
            e.runID = settings.runID
            e.previous = previous
            let line = e.json.canonicalText + "\n"
            let fd = Glibc.open(auditLogPath, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o644)
            guard fd >= 0 else { throw StoreError.io(path: auditLogPath, operation: "open", errno: errno) }
            defer { close(fd) }
            let bytes = Array(line.utf8)
            let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            guard written == bytes.count, fsync(fd) == 0 else {
                throw StoreError.io(path: auditLogPath, operation: "append", errno: errno)
            }
            let hash = ObjectID(bytes: SHA256.digest(Array(line.dropLast().utf8))).hex
            try ObjectFiles.replace(auditHeadPath, with: Array("\(e.sequence) \(hash)\n".utf8))
        }
    }

    /// Finishes what a process killed during an append left: a partial last
    /// line is cut off (it was never acknowledged), and a complete line the
    /// head does not record yet, but which extends the head's chain, is
    /// adopted. Anything else is left for `verifyAudit` to report.
    private func repairTornAppend() throws {
        let fd = Glibc.open(auditLogPath, O_RDWR | O_CLOEXEC)
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
    private func auditHead() throws -> (Int, String) {
        guard let text = try? String(contentsOfFile: auditHeadPath, encoding: .utf8) else { return (0, Repository.zeroHash) }
        let parts = text.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: " ")
        guard parts.count == 2, let n = Int(parts[0]), parts[1].count == 64 else {
            throw StoreError.malformed(path: auditHeadPath, reason: "expected '<sequence> <sha256>'")
        }
        return (n, String(parts[1]))
    }

    private func withAuditLock<R>(_ body: () throws -> R) throws -> R {
        let lock = auditLogPath + ".lock"
        var waited = 0
        while true {
            let fd = Glibc.open(lock, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
            if fd >= 0 { close(fd); break }
            guard errno == EEXIST else { throw StoreError.io(path: lock, operation: "create lock", errno: errno) }
            waited += 1
            if waited > 2000 {
                throw StoreError.refLocked(ref: "audit.log", lockPath: lock, ageSeconds: FileSystemAge.seconds(lock))
            }
            usleep(5000)
        }
        defer { unlink(lock) }
        return try body()
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
    /// rules are `AuditSnapshot.verify`'s, the same a fetch applies).
    public func verifyAudit() throws -> AuditVerification {
        let context = try gate(.verifyAudit); defer { context.end() }
        let data = FileManager.default.contents(atPath: auditLogPath) ?? Data()
        var lines = String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if lines.last == "" { lines.removeLast() }
        let previous: String
        do {
            previous = try AuditSnapshot.verify(lines, source: auditLogPath)
        } catch let RemoteError.auditChainBroken(_, line, reason) {
            return AuditVerification(entries: line - 1, firstBad: (line, reason))
        }
        let count = lines.count
        let (headSequence, headHash) = try auditHead()
        if headSequence != count || headHash != previous {
            return AuditVerification(entries: count, firstBad: (count + 1, "the log ends at entry \(count) but its head records entry \(headSequence): entries were truncated"))
        }
        return AuditVerification(entries: count, firstBad: nil)
    }
}

enum FileSystemAge {
    static func seconds(_ path: String) -> Int {
        guard let date = (try? FileManager.default.attributesOfItem(atPath: path))?[.modificationDate] as? Date else { return 0 }
        return max(0, Int(Date().timeIntervalSince(date)))
    }
}
