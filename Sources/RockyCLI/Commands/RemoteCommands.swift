import Foundation
import Rocky
import RockyBase
import RockyStore

/// `rocky clone <source> [<dest>]`.
struct CloneCommand: Command {
    static let name = "clone"
    static let abstract = "Copy a repository, hard-linking its objects"
    static let usage = ["clone <source> [<dest>] [--branch <b>] [--no-hardlinks] [--verify]",
                        "clone https://<host>/<repository> [<dest>] [--branch <b>] [--ca-file <pem>] [--credential-command <cmd>]"]
    static let help = """
    Makes <dest> (default: the source folder's name, here) a clone of the
    repository in <source>. Objects are hard-linked when both are on one file
    system (no object bytes are copied) and copied otherwise, each copy
    verified against its id. The source's branches become
    refs/remotes/origin/<branch>; the remote 'origin' records the source's
    absolute path; a local branch is made for the chosen branch and checked
    out. The source's audit log is copied and verified (a broken chain refuses
    the clone) and a 'clone' entry is appended. A failed clone leaves nothing.

    <source> may be an https:// URL of a repository served by rocky
    http-backend (Docs/remotes.md): the branches the server lets you read
    are fetched, each object verified; credentials come from
    ROCKY_HTTP_USER/ROCKY_HTTP_PASSWORD, ~/.netrc, or a credential command;
    a private CA from --ca-file or ROCKY_CA_BUNDLE. --ca-file and
    --credential-command are recorded for the remote origin (its http.ca_file
    and http.credential_command). On a terminal, progress goes to stderr.
    The server's audit log stays there.

    options:
      -b, --branch <b>             the branch to check out (default: the source's HEAD branch)
      --no-hardlinks               copy every object file, even on one file system
      --verify                     read and verify every object, linked ones too (time grows with the data)
      --ca-file <pem>              trust the CA certificates in <pem> (https:// only; recorded for origin)
      --credential-command <cmd>   run '<cmd> <host>' for username=/password= lines when the server asks
                                   and the environment and ~/.netrc give none (recorded for origin)
    """

    let source: String
    let destination: String?
    let branch: String?
    let hardLinks: Bool
    let verify: Bool
    let http: RemoteHTTPOptions

    init(parsing arguments: inout Arguments) throws {
        branch = try arguments.option("-b", "--branch")
        http = RemoteHTTPOptions(caFile: try arguments.option("--ca-file"), credentialCommand: try arguments.option("--credential-command"))
        hardLinks = !arguments.flag("--no-hardlinks")
        verify = arguments.flag("--verify")
        let names = try arguments.positionals(max: 2, names: "<source> [<dest>]")
        guard let first = names.first else { throw arguments.usage("clone needs a source repository") }
        source = first
        destination = names.count > 1 ? names[1] : nil
    }

    func run(_ context: CommandContext) throws {
        let sourcePath = RemoteURL.isURL(source) ? source : context.path(source)
        let trimmed = sourcePath.hasSuffix("/") ? String(sourcePath.dropLast()) : sourcePath
        let dest = context.path(destination ?? (trimmed as NSString).lastPathComponent)
        if RemoteURL.isURL(source), destination == nil, (trimmed as NSString).lastPathComponent.contains(":") {
            throw UsageError("clone of \(source) needs a <dest> folder")
        }
        var http = self.http
        http.caFile = http.caFile.map(context.path)
        let (settings, progress) = context.transferSettings(caFile: nil)
        defer { progress?.finish() }
        let (_, result) = try Repository.clone(from: sourcePath, to: dest, branch: branch, hardLinks: hardLinks,
                                               verifyAll: verify, http: http, settings: settings)
        progress?.finish()
        if context.json {
            context.emit(.object([
                "path": .string(result.path),
                "source": .string(result.source),
                "branch": .string(result.branch),
                "commit": .string(result.head.hex),
                "branches": .array(result.branches.map(JSON.string)),
                "objects": .int(result.objects),
                "files": .int(result.files),
                "linked_files": .int(result.linkedFiles),
                "copied_bytes": .int(result.copiedBytes),
                "audit_entries": .int(result.auditEntries),
            ]))
        } else {
            context.out.line("Cloned \(result.source) into \(result.path)")
            context.out.line("  branch \(result.branch) at \(result.head.short()); \(result.branches.count) branch(es) as origin/*")
            if RemoteURL.isURL(source) {
                context.out.line("  \(result.objects) objects received and verified")
                return
            }
            context.out.line("  \(result.objects) objects in \(result.files) files: \(result.linkedFiles) hard-linked, "
                + "\(result.copiedBytes) bytes copied; \(result.auditEntries) audit entries verified")
        }
    }
}

/// `rocky remote`.
struct RemoteCommand: Command {
    static let name = "remote"
    static let abstract = "List, add or remove remotes"
    static let usage = ["remote [list]", "remote add <name> <path> | <https-url> [--ca-file <pem>] [--credential-command <cmd>]",
                        "remote remove <name>"]
    static let help = """
    Remotes are other repositories on this machine, named and recorded by
    absolute path in .rocky/remotes.json, or repositories served over HTTPS
    by rocky http-backend, recorded by URL (never with credentials;
    Docs/remotes.md). A name is letters, digits, '.', '_'
    and '-'. Removing a remote removes its refs/remotes/<name>/* refs.

    options of remote add (https:// remotes only, recorded in remotes.json
    as the remote's http.ca_file and http.credential_command):
      --ca-file <pem>              trust the CA certificates in <pem> (before ROCKY_CA_BUNDLE)
      --credential-command <cmd>   run '<cmd> <host>' for username=/password= lines when the server asks
                                   and the environment and ~/.netrc give none (before ROCKY_CREDENTIAL_COMMAND)
    """

    enum Action { case list, add(String, String), remove(String) }
    let action: Action
    let http: RemoteHTTPOptions

    init(parsing arguments: inout Arguments) throws {
        http = RemoteHTTPOptions(caFile: try arguments.option("--ca-file"), credentialCommand: try arguments.option("--credential-command"))
        let words = try arguments.positionals(max: 3, names: "list | add <name> <path> | remove <name>")
        switch words.first {
        case nil, "list"?:
            guard words.count <= 1 else { throw arguments.usage("remote list takes no arguments") }
            guard http.isEmpty else { throw arguments.usage("--ca-file and --credential-command belong to remote add") }
            action = .list
        case "add"?:
            guard words.count == 3 else { throw arguments.usage("remote add needs <name> <path>") }
            action = .add(words[1], words[2])
        case "remove"?, "rm"?:
            guard words.count == 2 else { throw arguments.usage("remote remove needs <name>") }
            guard http.isEmpty else { throw arguments.usage("--ca-file and --credential-command belong to remote add") }
            action = .remove(words[1])
        case let other?:
            throw arguments.usage("unknown remote action '\(other)' (list, add, remove)")
        }
    }

    func run(_ context: CommandContext) throws {
        let repo = try context.repository()
        switch action {
        case .list:
            let remotes = try repo.remotes()
            if context.json {
                context.emit(.object(["remotes": .array(remotes.map { remote in
                    var members: [JSON.Member] = [JSON.Member("name", .string(remote.name)), JSON.Member("path", .string(remote.path))]
                    if let caFile = remote.caFile { members.append(JSON.Member("ca_file", .string(caFile))) }
                    if let command = remote.credentialCommand { members.append(JSON.Member("credential_command", .string(command))) }
                    return .object(members)
                })]))
            } else {
                for remote in remotes { context.out.line("\(remote.name)\t\(remote.path)") }
            }
        case let .add(name, path):
            var http = self.http
            http.caFile = http.caFile.map(context.path)
            let remote = try repo.addRemote(name, path: RemoteURL.isURL(path) ? path : context.path(path), http: http)
            if context.json {
                context.emit(.object(["added": .string(remote.name), "path": .string(remote.path)]))
            } else {
                context.out.line("Added remote \(remote.name) (\(remote.path))")
            }
        case let .remove(name):
            let refs = try repo.removeRemote(name)
            if context.json {
                context.emit(.object(["removed": .string(name), "refs_removed": .int(refs)]))
            } else {
                context.out.line("Removed remote \(name) and \(refs) remote-tracking ref(s)")
            }
        }
    }
}

/// `rocky fetch [<remote>]`.
struct FetchCommand: Command {
    static let name = "fetch"
    static let abstract = "Copy a remote's new objects and update refs/remotes/<remote>/*"
    static let usage = ["fetch [<remote>] [--ca-file <pem>]"]
    static let help = """
    Copies from <remote> (default: origin) the objects its branches reach that
    are missing here, verifying each against its id before any ref points at
    it, then moves refs/remotes/<remote>/<branch> to the remote's branches and
    removes those of branches the remote deleted. A corrupt object refuses the
    fetch (exit 1, naming it) and moves no ref. The remote's audit log is
    verified and must extend what earlier fetches saw; a copy is kept in
    .rocky/remotes/<remote>/ and a 'fetch' entry is appended here.
    From an https:// remote, progress goes to stderr on a terminal.

    options:
      --ca-file <pem>   trust the CA certificates in <pem> for this fetch (before the remote's http.ca_file)
    """

    let remote: String
    let caFile: String?

    init(parsing arguments: inout Arguments) throws {
        caFile = try arguments.option("--ca-file")
        remote = try arguments.positionals(max: 1, names: "[<remote>]").first ?? "origin"
    }

    func run(_ context: CommandContext) throws {
        let (settings, progress) = context.transferSettings(caFile: caFile)
        defer { progress?.finish() }
        let result = try context.repository(settings: settings).fetch(from: remote)
        progress?.finish()
        if context.json {
            context.emit(.object([
                "remote": .string(result.remote.name),
                "path": .string(result.remote.path),
                "updated": .array(result.updates.map { u in
                    .object(["branch": .string(u.branch), "ref": .string(u.ref),
                             "old": u.old.map { .string($0.hex) }, "new": u.new.map { .string($0.hex) }])
                }),
                "unchanged": .int(result.unchanged),
                "tags": .array(result.tags.map { t in
                    .object(["tag": .string(t.name), "object": .string(t.id.hex), "kept": t.kept.map { .string($0.hex) } ?? .null])
                }),
                "objects": .int(result.transfer.objects),
                "bytes": .int(result.transfer.bytes),
                "packs_linked": .int(result.transfer.packsLinked),
                "audit_entries": .int(result.auditEntries),
                "new_audit_entries": .int(result.newAuditEntries),
            ]))
            return
        }
        for u in result.updates {
            let local = "\(result.remote.name)/\(u.branch)"
            switch (u.old, u.new) {
            case let (nil, new?): context.out.line(" * [new branch]  \(u.branch) -> \(local) (\(new.short()))")
            case let (old?, nil): context.out.line(" - [deleted]     \(u.branch) -> \(local) (was \(old.short()))")
            case let (old?, new?): context.out.line("   \(old.short())..\(new.short())  \(u.branch) -> \(local)")
            default: break
            }
        }
        for t in result.tags {
            if let kept = t.kept {
                context.note("tag \(t.name): \(result.remote.name) has \(t.id.hex), this repository \(kept.hex); kept this one (tags are immutable)")
            } else {
                context.out.line(" * [new tag]     \(t.name) (\(t.id.short()))")
            }
        }
        if result.updates.isEmpty, !result.tags.contains(where: { $0.kept == nil }) { context.out.line("Already up to date with \(result.remote.name)") }
        if result.remote.isURL {
            context.note("\(result.transfer.objects) object(s) received and verified")
            return
        }
        context.note("\(result.transfer.objects) object(s) received and verified; \(result.newAuditEntries) new audit entr\(result.newAuditEntries == 1 ? "y" : "ies") from \(result.remote.name)")
    }
}

/// `rocky push [<remote>] [<branch>]`.
struct PushCommand: Command {
    static let name = "push"
    static let abstract = "Send a branch to a remote and move its branch by compare-and-swap"
    static let usage = ["push [<remote>] [<branch> | <branch>:<remote-branch>] [--force] [--ca-file <pem>]", "push [<remote>] --tags [--ca-file <pem>]",
                        "push <remote> <tag> [--ca-file <pem>]"]
    static let help = """
    Sends the objects <remote> (default: origin) lacks for <branch> (default:
    the current branch), verified and durable on the remote's side, then moves
    the remote's branch of the same name (or <remote-branch>) by
    compare-and-swap from the value it had when the push began. A push that is
    not a fast-forward is refused (exit 3) unless --force; of two racing pushes
    one wins and the other fails (exit 3, naming both ids). The remote and
    this repository each get a 'push' audit entry, and
    refs/remotes/<remote>/<branch> moves. A remote that has the branch checked
    out gets the pushed project files, or refuses if it has uncommitted changes.
    To an https:// remote, progress goes to stderr on a terminal.

    With --tags, sends every tag (and the history it names) instead; with a
    <tag> where a branch would go (and no local branch of that name), that
    tag. Tags are immutable on the remote too: a tag it has naming another
    object refuses the push (exit 3, naming both ids) before anything is
    sent; one it has already is up to date. A tag is made there with 'create'
    on tags/<name> in its policy and audited there and here as a 'push';
    deleting one is 'tag -d' there, which needs admin.

    options:
      --force           overwrite the remote branch even when it is not a fast-forward (-f is refused: it names a file in rocky)
      --tags            push every tag instead of a branch
      --ca-file <pem>   trust the CA certificates in <pem> for this push (before the remote's http.ca_file)
    """

    let remote: String
    let branch: String?
    let remoteBranch: String?
    let force: Bool
    let tags: Bool
    let caFile: String?

    init(parsing arguments: inout Arguments) throws {
        force = try arguments.forceFlag()
        tags = arguments.flag("--tags")
        caFile = try arguments.option("--ca-file")
        let words = try arguments.positionals(max: 2, names: "[<remote>] [<branch>]")
        remote = words.first ?? "origin"
        if tags, words.count > 1 { throw arguments.usage("push --tags pushes every tag: name only the remote") }
        if tags, force { throw arguments.usage("tags are immutable: push --tags takes no --force") }
        if words.count > 1 {
            let spec = words[1]
            if let colon = spec.firstIndex(of: ":") {
                branch = String(spec[..<colon])
                remoteBranch = String(spec[spec.index(after: colon)...])
                if branch!.isEmpty || remoteBranch!.isEmpty { throw arguments.usage("'\(spec)' is not <branch>:<remote-branch>") }
            } else {
                branch = spec
                remoteBranch = nil
            }
        } else {
            branch = nil
            remoteBranch = nil
        }
    }

    func run(_ context: CommandContext) throws {
        let (settings, progress) = context.transferSettings(caFile: caFile)
        defer { progress?.finish() }
        let repository = try context.repository(settings: settings)
        if tags {
            return try report(try repository.pushTags(to: remote), context)
        }
        if let branch, remoteBranch == nil, !force, try !repository.branches().contains(where: { $0.name == branch }),
           try repository.tags().contains(where: { $0.name == branch }) {
            return try report(try repository.pushTags(to: remote, names: [branch]), context)
        }
        let result = try repository.push(to: remote, branch: branch, as: remoteBranch, force: force)
        progress?.finish()
        if context.json {
            context.emit(.object([
                "remote": .string(result.remote.name),
                "branch": .string(result.branch),
                "remote_branch": .string(result.remoteBranch),
                "old": result.old.map { .string($0.hex) },
                "new": .string(result.new.hex),
                "up_to_date": .bool(result.upToDate),
                "forced": .bool(result.forced),
                "objects": .int(result.transfer.objects),
                "bytes": .int(result.transfer.bytes),
            ]))
            return
        }
        let target = "\(result.remote.name) \(result.remoteBranch)"
        if result.upToDate {
            context.out.line("\(target) is up to date (\(result.new.short()))")
        } else if let old = result.old {
            context.out.line("\(result.branch) -> \(target): \(old.short())\(result.forced ? "..." : "..")\(result.new.short())\(result.forced ? " (forced)" : "")")
        } else {
            context.out.line("\(result.branch) -> \(target): new branch at \(result.new.short())")
        }
        if !result.upToDate { context.note("\(result.transfer.objects) object(s) sent and verified") }
    }

    private func report(_ result: PushTagsResult, _ context: CommandContext) throws {
        if context.json {
            context.emit(.object([
                "remote": .string(result.remote.name),
                "tags": .array(result.tags.map { t in
                    .object(["tag": .string(t.name), "object": .string(t.id.hex), "commit": .string(t.commit.hex), "up_to_date": .bool(t.upToDate)])
                }),
                "objects": .int(result.transfer.objects),
                "bytes": .int(result.transfer.bytes),
            ]))
            return
        }
        for t in result.tags {
            context.out.line(t.upToDate ? "tag \(t.name) -> \(result.remote.name) is up to date (\(t.commit.short()))"
                                        : " * [new tag]  \(t.name) -> \(result.remote.name) (\(t.commit.short()))")
        }
        if result.tags.isEmpty { context.out.line("No tags to push") }
        if result.tags.contains(where: { !$0.upToDate }) { context.note("\(result.transfer.objects) object(s) sent and verified") }
    }
}

/// `rocky gc`.
struct GCCommand: Command {
    static let name = "gc"
    static let abstract = "Remove unreachable objects older than a grace period"
    static let usage = ["gc [--prune <age>] [--expire-reflogs <age>] [--dry-run] [--no-repack]",
                        "gc --engine <name> [--prune <age>] [--dry-run]"]
    static let help = """
    Removes the objects that no ref (branches, remote-tracking refs, working
    sets), no reflog entry and no detached HEAD reaches, and that are older
    than the grace period; keeps everything newer and everything it reaches.
    Packs holding such objects are rewritten (the new pack is durable before
    the old one goes); reachable loose objects and small packs are gathered
    into one pack. Safe while other rocky processes write. Reports what it freed.

    With --engine <name> (a server engine of rocky.toml), drops instead the
    table versions that engine holds and that no ref, reflog entry or
    detached HEAD reaches, loaded longer ago than the grace period; the
    object store is left alone.

    options:
      --prune <age>           grace period for unreachable objects (default 2w)
      --expire-reflogs <age>  first drop reflog entries older than this (default 90d)
      --dry-run               report what would be removed; change nothing
      --no-repack             leave reachable loose objects and small packs as they are
    <age>: now, never, <n>s, <n>m, <n>h, <n>d, <n>w, or an ISO 8601 time
    """

    let options: GCOptions

    init(parsing arguments: inout Arguments) throws {
        var options = GCOptions()
        do {
            if let text = try arguments.option("--prune") { options.prune = try Expiry(parsing: text) }
            if let text = try arguments.option("--expire-reflogs") { options.expireReflogs = try Expiry(parsing: text) }
        } catch let error as RemoteError {
            throw arguments.usage(error.description)
        }
        options.dryRun = arguments.flag("-n", "--dry-run")
        options.repack = !arguments.flag("--no-repack")
        _ = try arguments.positionals(max: 0, names: "no arguments")
        self.options = options
    }

    func run(_ context: CommandContext) throws {
        if context.settings.engine != nil {
            let r = try context.repository().collectEngineGarbage(prune: options.prune, dryRun: options.dryRun)
            if context.json {
                context.emit(.object([
                    "engine": .string(r.engine),
                    "dry_run": .bool(r.dryRun),
                    "versions_held": .int(r.held),
                    "versions_dropped": .array(r.dropped.map { .string($0.hex) }),
                    "kept_recent": .int(r.keptRecent),
                ]))
                return
            }
            context.out.line("\(r.dryRun ? "Would drop" : "Dropped") \(r.dropped.count) of the \(r.held) version(s) engine \(r.engine) held (no revision reaches them)")
            if r.keptRecent > 0 { context.out.line("  \(r.keptRecent) unreachable version(s) kept as recent") }
            return
        }
        let r = try context.repository().collectGarbage(options)
        if context.json {
            context.emit(.object([
                "dry_run": .bool(r.dryRun),
                "objects_removed": .int(r.objectsRemoved),
                "bytes_freed": .int(r.bytesFreed),
                "loose_removed": .int(r.looseRemoved),
                "packed_removed": .int(r.packedRemoved),
                "objects_packed": .int(r.objectsPacked),
                "packs_written": .int(r.packsWritten),
                "packs_removed": .int(r.packsRemoved),
                "reachable": .int(r.reachable),
                "kept_recent": .int(r.keptRecent),
                "kept_freshened": .int(r.keptFreshened),
                "temporary_files_removed": .int(r.temporaryFilesRemoved),
                "reflog_entries_expired": .int(r.reflogEntriesExpired),
            ]))
            return
        }
        let verb = r.dryRun ? "Would remove" : "Removed"
        context.out.line("\(verb) \(r.objectsRemoved) unreachable object(s) (\(r.looseRemoved) loose, \(r.packedRemoved) packed), freeing \(Self.bytes(r.bytesFreed))")
        context.out.line("  \(r.reachable) reachable, \(r.keptRecent) unreachable kept as recent")
        if r.packsWritten > 0 || r.packsRemoved > 0 {
            context.out.line("  \(r.objectsPacked) loose object(s) and \(r.packsRemoved) pack(s) \(r.dryRun ? "would be " : "")rewritten into \(r.packsWritten) pack(s)")
        }
        if r.reflogEntriesExpired > 0 { context.out.line("  \(r.reflogEntriesExpired) reflog entr\(r.reflogEntriesExpired == 1 ? "y" : "ies") expired") }
        if r.temporaryFilesRemoved > 0 { context.out.line("  \(r.temporaryFilesRemoved) temporary file(s) of interrupted writes removed") }
        if r.keptFreshened > 0 { context.out.line("  \(r.keptFreshened) file(s) kept: a writer reused them while gc ran") }
    }

    static func bytes(_ n: Int) -> String {
        let a = abs(n)
        let text = a >= 1 << 20 ? String(format: "%.1f MiB", Double(a) / 1_048_576) : a >= 1024 ? String(format: "%.1f KiB", Double(a) / 1024) : "\(a) B"
        return n < 0 ? "-" + text : text
    }
}

extension CommandContext {
    /// The settings of a command that talks to a remote: `--ca-file` (made
    /// absolute; before the remote's http.ca_file and ROCKY_CA_BUNDLE) and,
    /// when stderr is a terminal and --json is off, a progress line.
    func transferSettings(caFile: String?) -> (Settings, TransferProgressLine?) {
        var settings = self.settings
        settings.http.caFileOption = caFile.map(path)
        guard err.isTerminal, !json else { return (settings, nil) }
        let line = TransferProgressLine(err: err)
        settings.http.progress = { line.update($0) }
        return (settings, line)
    }

    /// The repository of the working folder, opened with `settings`.
    func repository(settings: Settings) throws -> Repository {
        try Repository.open(discoveringFrom: directory, settings: settings)
    }
}

/// "receiving: 1,234 objects, 12.3 MiB" on stderr, redrawn at most ten
/// times a second, cleared by `finish`. Only made for a terminal.
final class TransferProgressLine: @unchecked Sendable {
    private let err: OutputStream
    private let lock = NSLock()
    private var lastDraw = Date.distantPast
    private var drawn = false

    init(err: OutputStream) { self.err = err }

    func update(_ p: TransferProgress) {
        lock.lock(); defer { lock.unlock() }
        let now = Date()
        guard now.timeIntervalSince(lastDraw) >= 0.1 else { return }
        lastDraw = now
        let verb = p.direction == .receiving ? "receiving" : "sending"
        err.write("\r\(verb): \(p.objects.formatted()) objects, \(GCCommand.bytes(p.bytes))\u{1B}[K")
        err.flush()
        drawn = true
    }

    /// Clears the line (once).
    func finish() {
        lock.lock(); defer { lock.unlock() }
        guard drawn else { return }
        err.write("\r\u{1B}[K")
        err.flush()
        drawn = false
    }
}
