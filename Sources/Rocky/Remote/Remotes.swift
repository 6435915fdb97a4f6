import Foundation
import Glibc
import RockyBase
import RockyStore

/// Another repository this one fetches from and pushes to, by path or URL.
public struct Remote: Equatable, Sendable {
    public var name: String
    /// The remote's working directory, absolute, or its `https://` URL.
    public var path: String
    /// `http.ca_file`: the PEM file of CAs to trust for this remote (absolute),
    /// before `ROCKY_CA_BUNDLE`; a command's `--ca-file` comes first.
    public var caFile: String?
    /// `http.credential_command`: run for credentials that neither the
    /// environment nor the netrc file give, before `ROCKY_CREDENTIAL_COMMAND`.
    public var credentialCommand: String?

    public init(name: String, path: String, caFile: String? = nil, credentialCommand: String? = nil) {
        self.name = name
        self.path = path
        self.caFile = caFile
        self.credentialCommand = credentialCommand
    }

    /// Whether the remote is reached over HTTP(S) (Docs/remotes.md).
    public var isURL: Bool { RemoteURL.isURL(path) }
}

/// What `remote add` and `clone` record of how an HTTPS remote is reached
/// (its `http` member in remotes.json; none for a path remote).
public struct RemoteHTTPOptions: Equatable, Sendable {
    /// A PEM file of CA certificates (made absolute by the caller).
    public var caFile: String?
    public var credentialCommand: String?

    public init(caFile: String? = nil, credentialCommand: String? = nil) {
        self.caFile = caFile
        self.credentialCommand = credentialCommand
    }

    public var isEmpty: Bool { caFile == nil && credentialCommand == nil }

    /// Refuses a CA file that is not a readable file, and an empty command.
    func validate() throws {
        if let caFile {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: caFile, isDirectory: &isDirectory), !isDirectory.boolValue,
                  FileManager.default.isReadableFile(atPath: caFile) else { throw HTTPRemoteError.unreadableCAFile(caFile) }
        }
        if let credentialCommand, credentialCommand.trimmingCharacters(in: .whitespaces).isEmpty {
            throw RepositoryError.invalidArgument("the credential command is empty")
        }
    }
}

/// The remotes live in `.rocky/remotes.json`, canonical JSON
/// `{"remotes":{"origin":{"path":"/abs/path"}},"version":1}` (`{"url":"https://..."}`
/// for a remote over HTTPS, with `"http":{"ca_file":...,"credential_command":...}`
/// when they were given; never credentials), replaced
/// atomically under `remotes.json.lock`. What a remote needs besides its path
/// (the copy of its audit log) lives in `.rocky/remotes/<name>/`, and its
/// branches as `refs/remotes/<name>/<branch>`.
extension Repository {
    var remotesFile: String { rockyDirectory + "/remotes.json" }

    func remoteFolder(_ name: String) -> String { rockyDirectory + "/remotes/" + name }

    /// The remotes, sorted by name.
    public func remotes() throws -> [Remote] {
        let context = try gate(.remotes); defer { context.end() }
        return try Repository.readRemotes(remotesFile)
    }

    static func readRemotes(_ file: String) throws -> [Remote] {
        guard let data = FileManager.default.contents(atPath: file) else { return [] }
        guard let json = try? JSON(parsing: String(decoding: data, as: UTF8.self)), json["version"]?.intValue == 1,
              let members = json["remotes"]?.members else {
            throw StoreError.malformed(path: file, reason: "expected {\"remotes\":{\"<name>\":{\"path\":\"...\"}},\"version\":1}")
        }
        return try members.map { member in
            guard let path = member.value["path"]?.stringValue ?? member.value["url"]?.stringValue else {
                throw StoreError.malformed(path: file, reason: "remote \(member.key) has no path")
            }
            let http = member.value["http"]
            return Remote(name: member.key, path: path, caFile: http?["ca_file"]?.stringValue,
                          credentialCommand: http?["credential_command"]?.stringValue)
        }.sorted { $0.name < $1.name }
    }

    static func remotesJSON(_ remotes: [Remote]) -> String {
        let json: JSON = .object([
            "remotes": .object(remotes.map { remote in
                var members = [JSON.Member(remote.isURL ? "url" : "path", .string(remote.path))]
                var http: [JSON.Member] = []
                if let caFile = remote.caFile { http.append(JSON.Member("ca_file", .string(caFile))) }
                if let command = remote.credentialCommand { http.append(JSON.Member("credential_command", .string(command))) }
                if !http.isEmpty { members.append(JSON.Member("http", .object(http))) }
                return JSON.Member(remote.name, .object(members))
            }),
            "version": .int(1),
        ])
        return json.canonicalText + "\n"
    }

    /// A remote by name.
    public func remote(named name: String) throws -> Remote {
        let context = try gate(.remote); defer { context.end() }
        let all = try remotes()
        guard let remote = all.first(where: { $0.name == name }) else {
            throw RemoteError.noSuchRemote(name, available: all.map(\.name))
        }
        return remote
    }

    /// Adds a remote; `path` must be a rocky repository's working directory,
    /// or an `https://` URL (`http://` for loopback), recorded as given
    /// (credentials never: a URL carrying them is refused). `http` (a CA
    /// file, a credential command) is for an HTTPS remote only.
    @discardableResult
    public func addRemote(_ name: String, path: String, http: RemoteHTTPOptions = RemoteHTTPOptions()) throws -> Remote {
        let context = try gate(.addRemote); defer { context.end() }
        try Repository.validateRemoteName(name)
        let absolute: String
        if RemoteURL.isURL(path) {
            absolute = try RemoteURL(parsing: path).description
            try http.validate()
        } else {
            guard http.isEmpty else {
                throw RepositoryError.invalidArgument("--ca-file and --credential-command are for https:// remotes; \(path) is a path")
            }
            absolute = Repository.absolutePath(path)
            _ = try Repository.openRemoteRepository(at: absolute, settings: settings)
        }
        let remote = Remote(name: name, path: absolute, caFile: http.caFile, credentialCommand: http.credentialCommand)
        try changeRemotes { remotes in
            guard !remotes.contains(where: { $0.name == name }) else { throw RemoteError.remoteExists(name) }
            remotes.append(remote)
        }
        try context.record(AuditEntry(operation: "remote-add", branch: nil, details: .object(["remote": .string(name), "path": .string(absolute)])))
        return remote
    }

    /// Removes a remote, its remote-tracking refs and its folder; returns how
    /// many tracking refs went.
    @discardableResult
    public func removeRemote(_ name: String) throws -> Int {
        let context = try gate(.removeRemote); defer { context.end() }
        let remote = try remote(named: name)
        try changeRemotes { remotes in remotes.removeAll { $0.name == name } }
        var removed = 0
        for (ref, id) in try refs.list(prefix: "refs/remotes/\(name)/") {
            try refs.update(ref, from: id, to: nil, note: settings.note("remote remove \(name)"))
            removed += 1
        }
        try? FileManager.default.removeItem(atPath: remoteFolder(name))
        try context.record(AuditEntry(operation: "remote-remove", branch: nil,
                             details: .object(["remote": .string(name), "path": .string(remote.path)])))
        return removed
    }

    /// Rewrites remotes.json under its lock: temporary file, fsync, rename.
    func changeRemotes(_ change: (inout [Remote]) throws -> Void) throws {
        try withLockFile(remotesFile + ".lock", name: "remotes.json") {
            var remotes = try self.remotes()
            try change(&remotes)
            try ObjectFiles.replace(remotesFile, with: Array(Repository.remotesJSON(remotes).utf8))
        }
    }

    /// A remote name is one path component of letters, digits, `.`, `_` and
    /// `-`, not starting with `.` or `-`, at most 64 bytes.
    static func validateRemoteName(_ name: String) throws {
        func refuse(_ reason: String) -> RemoteError { .invalidRemoteName(name, reason: reason) }
        if name.isEmpty { throw refuse("it is empty") }
        if name.utf8.count > 64 { throw refuse("it is longer than 64 bytes") }
        if name.hasPrefix(".") || name.hasPrefix("-") { throw refuse("it starts with '\(name.first!)'") }
        if name.hasSuffix(".lock") { throw refuse("it ends with '.lock'") }
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")
        if let bad = name.first(where: { !allowed.contains($0) }) {
            throw refuse("'\(bad)' is not allowed (letters, digits, '.', '_' and '-' are)")
        }
    }

    /// The repository whose working directory is exactly `path` (no search
    /// upwards: a remote names one repository).
    static func openRemoteRepository(at path: String, settings: Settings) throws -> Repository {
        guard FileManager.default.fileExists(atPath: path + "/.rocky/HEAD") else { throw StoreError.notARepository(path) }
        let repository = try open(discoveringFrom: path, settings: settings)
        guard repository.objects is DiskObjectStore else { throw StoreError.notARepository(path) }
        return repository
    }

    func openRemote(_ remote: Remote) throws -> Repository {
        try Repository.openRemoteRepository(at: remote.path, settings: settings)
    }

    /// `refs/remotes/<remote>/<branch>`.
    static func trackingRef(_ remote: String, _ branch: String) throws -> RefName {
        try RefName(validating: "refs/remotes/\(remote)/\(branch)")
    }
}
