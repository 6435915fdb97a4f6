import Rocky
import RockyBase
import RockyStore

/// `rocky hash-object [-w] <file>`.
struct HashObjectCommand: Command {
    static let name = "hash-object"
    static let abstract = "Compute a file's blob id, and optionally store it"
    static let usage = ["hash-object [-w] <file>"]
    static let help = """
    Prints the id of <file> as a blob: the SHA-256 of "blob <size>\\0" + content.
    The file is streamed; it is never held whole in memory.

    options:
      -w   also write the blob into the repository's object store
    """

    let write: Bool
    let file: String

    init(parsing arguments: inout Arguments) throws {
        write = arguments.flag("-w")
        guard let file = try arguments.positionals(max: 1, names: "<file>").first else {
            throw arguments.usage("hash-object needs a file")
        }
        self.file = file
    }

    func run(_ context: CommandContext) throws {
        let path = context.path(file)
        let id = write
            ? try context.repository().writeBlob(fromFile: path)
            : try Repository.blobID(ofFile: path, into: nil)
        if context.json {
            context.emit(.object(["id": .string(id.hex), "written": .bool(write)]))
        } else {
            context.out.line(id.hex)
        }
    }
}

/// `rocky cat-object [-t|-s|-p] <id>`.
struct CatObjectCommand: Command {
    static let name = "cat-object"
    static let abstract = "Show an object's kind, size or content"
    static let usage = ["cat-object (-t | -s | -p) <id>"]
    static let help = """
    <id> is a full object id or an unambiguous prefix of 4 or more hex digits.

    options:
      -t   print the object's kind
      -s   print the payload size in bytes
      -p   print the payload: metadata objects as indented JSON, blobs as they are.
           A chunk or index node holds stored values: in an environment that
           masks anything, printing one needs the 'admin' permission
    """

    enum Mode { case kind, size, pretty }
    let mode: Mode
    let name: String

    init(parsing arguments: inout Arguments) throws {
        let t = arguments.flag("-t"), s = arguments.flag("-s"), p = arguments.flag("-p")
        guard [t, s, p].filter({ $0 }).count == 1 else { throw arguments.usage("give exactly one of -t, -s, -p") }
        mode = t ? .kind : s ? .size : .pretty
        guard let name = try arguments.positionals(max: 1, names: "<id>").first else {
            throw arguments.usage("cat-object needs an object id")
        }
        self.name = name
    }

    func run(_ context: CommandContext) throws {
        let repo = try context.repository()
        // Any object: a revision names a commit, an id or prefix names whatever it is.
        let id: ObjectID
        do {
            id = try repo.resolve(name)
        } catch RepositoryError.unknownRevision(_, _) where ObjectID.isHexPrefix(name) {
            id = try repo.resolveObject(prefix: name)
        }
        switch mode {
        case .kind, .size:
            let (kind, size) = try repo.objectHeader(id)
            if context.json {
                context.emit(.object(["id": .string(id.hex), "kind": .string(kind.rawValue), "size": .int(size)]))
            } else {
                context.out.line(mode == .kind ? kind.rawValue : String(size))
            }
        case .pretty:
            let (kind, _) = try repo.objectHeader(id)
            try repo.authorizePrintingStoredValues(of: kind)
            if let document = try repo.describeObject(id) {
                context.json
                    ? context.emit(.object(["id": .string(id.hex), "kind": .string(kind.rawValue), "content": document]))
                    : context.out.line(document.prettyText)
            } else if context.json {
                throw UsageError("cat-object --json -p shows metadata objects only; \(id.short()) is a \(kind)")
            } else {
                // Verify before printing: a corrupt blob must not reach stdout.
                try repo.streamObject(id) { context.out.write(bytes: $0) }
            }
        }
    }
}
