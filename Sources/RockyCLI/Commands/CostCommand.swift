import Foundation
import Rocky
import RockyBase

/// `rocky cost`.
struct CostCommand: Command {
    static let name = "cost"
    static let abstract = "Sum the cost of transformations for a commit or a branch"
    static let usage = ["cost [<rev> | <branch> | <A>..<B>] [--by model]"]
    static let help = """
    Every transformation records its duration, rows read and written, bytes
    scanned and written, the adapter, and a cost estimated from the rates of
    [cost.<adapter>] in rocky.toml; on a server engine also the time spent
    waiting on the server and the bytes uploaded to and downloaded from it. A branch (default: the current one) sums
    its commits since it forked from main, plus uncommitted transformations;
    another revision sums that commit; A..B sums the commits reachable from
    B but not from A.

    options:
      --by model   one line per model ("(sql)" for rocky sql statements)
    """

    let revision: String?
    let byModel: Bool

    init(parsing arguments: inout Arguments) throws {
        let by = try arguments.option("--by")
        guard by == nil || by == "model" else { throw arguments.usage("--by takes 'model'") }
        byModel = by != nil
        revision = try arguments.positionals(max: 1, names: "[<rev>]").first
    }

    func run(_ context: CommandContext) throws {
        let report = try context.repository().cost(revision)
        func json(_ l: CostReport.Line) -> JSON {
            .object([
                "name": .string(l.name), "transformations": .int(l.transformations),
                "seconds": .number(String(format: "%.6f", l.seconds)), "rows_read": .int(l.rowsRead),
                "rows_written": .int(l.rowsWritten), "bytes_scanned": .int(l.bytesScanned),
                "bytes_written": .int(l.bytesWritten), "cost": .number(l.cost.description),
                "server_seconds": .number(String(format: "%.6f", l.serverSeconds)), "bytes_uploaded": .int(l.bytesUploaded),
                "bytes_downloaded": .int(l.bytesDownloaded),
            ])
        }
        if context.json {
            context.emit(.object([
                "scope": .string(report.scope), "commits": .int(report.commits), "currency": .string(report.currency),
                "total": json(report.total), "by_model": byModel ? .array(report.byModel.map(json)) : nil,
            ]))
            return
        }
        // Server engines' columns only when a server ran something.
        let remote = report.total.serverSeconds > 0 || report.total.bytesUploaded > 0 || report.total.bytesDownloaded > 0
        func mib(_ bytes: Int) -> String { String(format: "%.1f", Double(bytes) / 1_048_576) }
        func row(_ l: CostReport.Line) -> [String] {
            [l.name, String(l.transformations), String(format: "%.3f", l.seconds), String(l.rowsRead), String(l.rowsWritten),
             mib(l.bytesScanned)]
                + (remote ? [String(format: "%.3f", l.serverSeconds), mib(l.bytesUploaded), mib(l.bytesDownloaded)] : [])
                + ["\(l.cost) \(report.currency)"]
        }
        context.out.line("\(report.scope): \(report.commits) commit(s)")
        let header = ["", "transformations", "seconds", "rows read", "rows written", "MiB scanned"]
            + (remote ? ["server seconds", "MiB uploaded", "MiB downloaded"] : []) + ["cost"]
        context.out.write(Render.table(header, (byModel ? report.byModel.map(row) : []) + [row(report.total)]))
    }
}
