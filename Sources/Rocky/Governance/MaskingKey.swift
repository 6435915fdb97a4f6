import Foundation
import RockyStore

/// The key of `hash` masking (Docs/governance.md, "Keyed hashing").
///
/// `hash` is HMAC-SHA-256 under a random key kept in `.rocky/keys/masking`
/// (mode 0600, outside the versioned tree: never committed, pushed or
/// printed), so a masked value cannot be reversed by hashing candidates: an
/// SSN has only 10^9 of them, an e-mail address a few guesses. `init`
/// creates the key; a repository made before keyed hashing gets one the
/// first time it needs it; `clone` copies the source's. The key is the
/// file's text (64 hex digits), as UTF-8 bytes, so `ROCKY_MASKING_KEY` set to
/// that text reproduces it.
extension Repository {
    /// `.rocky/keys/masking`.
    var maskingKeyPath: String { rockyDirectory + "/keys/masking" }

    /// The HMAC key of `hash`: `ROCKY_MASKING_KEY` when set (only `admin` may
    /// override the key: anyone else is refused, exit code 5), else the
    /// repository's key file, created when missing.
    func maskingKey() throws -> [UInt8] {
        if let text = ProcessInfo.processInfo.environment["ROCKY_MASKING_KEY"], !text.isEmpty {
            try authorize(.admin, branch: nil)
            return Array(text.utf8)
        }
        return try Repository.maskingKey(rockyDirectory: rockyDirectory)
    }

    /// The key of the repository whose `.rocky` is `rockyDirectory`, created
    /// (32 random bytes as hex, mode 0600) when there is none. Two processes
    /// creating it at once agree: the file is written aside and linked into
    /// place, and the loser reads the winner's.
    static func maskingKey(rockyDirectory: String) throws -> [UInt8] {
        let folder = rockyDirectory + "/keys", path = folder + "/masking"
        if let key = try readMaskingKey(path) { return key }
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
        var generator = SystemRandomNumberGenerator()
        let text = (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
        try installMaskingKey(text, at: path)
        guard let key = try readMaskingKey(path) else {
            throw RepositoryError.invalidArgument("\(path): the masking key is empty")
        }
        return key
    }

    /// Writes `text` as the key file at `path` unless one is already there.
    static func installMaskingKey(_ text: String, at path: String) throws {
        let aside = path + ".\(getpid()).\(UInt32.random(in: 0...UInt32.max))"
        let fd = Glibc.open(aside, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        guard fd >= 0 else { throw StoreError.io(path: aside, operation: "create", errno: errno) }
        let bytes = Array((text + "\n").utf8)
        let written = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        let synced = fsync(fd) == 0
        Glibc.close(fd)
        defer { unlink(aside) }
        guard written == bytes.count, synced else { throw StoreError.io(path: aside, operation: "write", errno: errno) }
        if link(aside, path) != 0 && errno != EEXIST { throw StoreError.io(path: path, operation: "link", errno: errno) }
    }

    /// The key in the file at `path`, nil when there is no file.
    static func readMaskingKey(_ path: String) throws -> [UInt8]? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard !text.isEmpty else { throw RepositoryError.invalidArgument("\(path): the masking key is empty") }
        return Array(text.utf8)
    }
}
