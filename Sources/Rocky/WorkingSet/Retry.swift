import Foundation
import Glibc
import RockyBase
import RockyStore

/// An advisory lock (flock) that writers of one branch hold while they
/// compute and move it, when they were asked to retry (`--retry N`): merges
/// into it, and commands that commit to it. Otherwise each success would
/// void every other writer in flight and they would spin. Released when the
/// process dies. Never take two in one process: flock locks of separate
/// opens of one file exclude each other.
final class BranchTurn {
    private let fd: Int32

    init(rockyDirectory: String, branch: String) throws {
        let folder = rockyDirectory + "/locks/turn"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let path = folder + "/" + branch.replacingOccurrences(of: "/", with: "%2F") + ".lock"
        fd = Glibc.open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw StoreError.io(path: path, operation: "open", errno: errno) }
        while flock(fd, LOCK_EX) != 0 {
            guard errno == EINTR else {
                close(fd)
                throw StoreError.io(path: path, operation: "lock", errno: errno)
            }
        }
    }

    func release() {
        flock(fd, LOCK_UN)
        close(fd)
    }
}

extension Repository {
    /// Runs a command that changes the working set of `target` (and may
    /// commit), and runs it again from the start, on the state it then
    /// finds, when it lost a race to another process (`concurrentChange`:
    /// nothing was changed), up to `retries` times. The first attempt is
    /// optimistic; a command that lost takes the branch's turn before it
    /// tries again (after a short random pause), so writers that retry
    /// queue instead of voiding each other's work.
    func retrying<R>(_ retries: Int, branch: String?, _ body: () throws -> R) throws -> R {
        var turn: BranchTurn?
        defer { turn?.release() }
        var attempt = 0
        while true {
            do {
                return try body()
            } catch RepositoryError.concurrentChange(let message) where retries > 0 {
                guard attempt < retries else {
                    throw RepositoryError.concurrentChange(message + " (gave up after \(retries) retries)")
                }
                attempt += 1
                usleep(UInt32.random(in: 500...(1_000 * UInt32(min(attempt, 20)))))
                if turn == nil { turn = try BranchTurn(rockyDirectory: rockyDirectory, branch: branch ?? "HEAD") }
            }
        }
    }
}

extension RepositoryError {
    /// A command lost a race on `target`'s branch or working set; nothing was written.
    static func lostRace(_ target: WorkTarget) -> RepositoryError {
        .concurrentChange("another command changed \(target.branch ?? "HEAD") (its branch or its working set) meanwhile; "
            + "nothing was written and the working set is as it was: run the command again, or pass --retry N")
    }
}
