import Rocky
import RockyBase

/// `rocky fsck`.
struct FsckCommand: Command {
    static let name = "fsck"
    static let abstract = "Verify every object and ref"
    static let usage = ["fsck [--caches]"]
    static let help = """
    Reads every object and checks it against its id, checks that every ref
    points at an existing commit and that everything reachable exists, and
    checks the audit trail as `rocky audit --verify` does (its hash chain, and
    every branch's reflog against it). Exits 1 with the list of problems, each naming an object id or a ref.

    options:
      --caches   also check the table cache (.rocky/cache/tables.sqlite) against
                 the digests taken when tables were loaded, and repair it: a
                 cached table that fails is dropped, an unusable file rebuilt.
                 Each repair is listed as a problem.
    """

    let caches: Bool

    init(parsing arguments: inout Arguments) throws {
        caches = arguments.flag("--caches")
        _ = try arguments.positionals(max: 0, names: "no arguments")
    }

    func run(_ context: CommandContext) throws {
        let repository = try context.repository()
        var report = try repository.fsck()
        if caches { report.problems += try repository.fsckCaches() }
        if context.json {
            context.emit(.object([
                "clean": .bool(report.isClean),
                "objects_checked": .int(report.objectsChecked),
                "refs_checked": .int(report.refsChecked),
                "problems": .array(report.problems.map { p in
                    .object(["object": p.object.map { .string($0.hex) }, "ref": p.ref.map(JSON.string),
                             "message": .string(p.message)])
                }),
                "warnings": .array(report.warnings.map(JSON.string)),
            ]))
        } else {
            for problem in report.problems { context.out.line(problem.description) }
            for warning in report.warnings { context.note("warning: " + warning) }
            if report.isClean {
                context.out.line("ok: \(report.objectsChecked) objects and \(report.refsChecked) refs verified")
            }
        }
        if !report.isClean { throw ExitStatus(code: .failure, message: "fsck found \(report.problems.count) problem(s)", error: "fsck_problems") }
    }
}
