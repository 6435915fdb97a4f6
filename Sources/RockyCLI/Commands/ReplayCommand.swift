import Rocky
import RockyBase
import RockyTable

/// `rocky replay`.
struct ReplayCommand: Command {
    static let name = "replay"
    static let abstract = "Re-run a branch's transformations on its base as it was at a past time"
    static let usage = ["replay <branch> --at <ISO time> [--onto <base>] [--name <new-branch>] [--allow-gaps | --corrected] [--verify]"]
    static let help = """
    Takes the transformations <branch> recorded after its fork point from
    <base> (default main), and re-runs them in order on <base>'s state at
    the time given; data imported on the branch itself is carried over as
    stored. The result is a new branch (default replay/<branch>/<time>) whose
    commits name the source branch, the time and each step's original commit.

    Before running, every input table with a time column is checked: rows
    with event time at or before the time that arrived later, changed later
    or were removed later are listed as a row diff, and the replay stops
    (exit 4, nothing written) unless --allow-gaps (proceed on the data known
    then; the gaps are recorded in the commits) or --corrected (use the
    latest known rows for times up to then). A step whose compiled SQL,
    environment and input tables match an earlier execution reuses its output.

    options:
      --at <time>       the ISO 8601 time to replay at (required unless --verify)
      --onto <base>     the base branch (default main)
      --name <branch>   the name of the new branch
      --allow-gaps      proceed on the data known at the time
      --corrected       use the latest rows for event times up to the time
      --verify          replay at the fork point, running every step, and report for each
                        output table bit_exact or diverged (exit 1 if any diverged); writes nothing
    """

    let source: String
    let at: Timestamp?
    let options: ReplayOptions

    init(parsing arguments: inout Arguments) throws {
        var options = ReplayOptions()
        if let onto = try arguments.option("--onto") { options.onto = onto }
        options.name = try arguments.option("--name")
        let allow = arguments.flag("--allow-gaps"), corrected = arguments.flag("--corrected")
        if allow && corrected { throw arguments.usage("--allow-gaps and --corrected exclude each other") }
        options.policy = allow ? .allowGaps : (corrected ? .corrected : .strict)
        options.verify = arguments.flag("--verify")
        if let text = try arguments.option("--at") {
            guard let t = Timestamp(parsing: text) else { throw arguments.usage("--at needs an ISO 8601 time, not '\(text)'") }
            at = t
        } else {
            at = nil
        }
        if at == nil && !options.verify { throw arguments.usage("replay needs --at <ISO time>") }
        guard let source = try arguments.positionals(max: 1, names: "<branch>").first else {
            throw arguments.usage("replay needs the branch to replay")
        }
        self.source = source
        self.options = options
    }

    func run(_ context: CommandContext) throws {
        let repo = try context.repository()
        let time = try at ?? repo.commit(source).commit.time
        let result: ReplayResult
        do {
            result = try repo.replay(source, at: time, options: options)
        } catch let found as ReplayGapsFound {
            if context.json {
                context.emit(.object(["at": .string(found.at.description), "outcome": .string("gaps"),
                                      "gaps": .array(found.gaps.map(gapJSON))]))
            } else {
                printGaps(found.gaps, at: found.at, context)
            }
            throw ExitStatus(code: .replayGaps, message: found.description)
        }
        if let verification = result.verification {
            let diverged = verification.filter { !$0.bitExact }
            if context.json {
                context.emit(.object([
                    "source": .string(result.source), "fork_point": .string(result.forkPoint.hex),
                    "outcome": .string(diverged.isEmpty ? "bit_exact" : "diverged"),
                    "outputs": .array(verification.map { v in
                        .object(["table": .string(v.table), "result": .string(v.bitExact ? "bit_exact" : "diverged"),
                                 "original": v.original.map { .string($0.hex) } ?? .null, "replayed": v.replayed.map { .string($0.hex) } ?? .null,
                                 "rows_added": v.stats.map { .int($0.added) }, "rows_removed": v.stats.map { .int($0.removed) },
                                 "rows_modified": v.stats.map { .int($0.modified) }])
                    }),
                ]))
            } else {
                context.out.line("Replayed \(result.source) at its fork point \(result.forkPoint.short()), running all \(result.transformations) step(s):")
                for v in verification {
                    let detail = v.stats.map { " (+\($0.added) -\($0.removed) ~\($0.modified) rows)" } ?? ""
                    context.out.line("  \(v.table): " + (v.bitExact ? context.paint("bit_exact", "32") : context.paint("diverged", "31") + detail))
                }
            }
            if !diverged.isEmpty {
                throw ExitStatus(code: .failure, message: "\(diverged.count) output table(s) diverged from the original run", error: "replay_diverged")
            }
            return
        }
        if context.json {
            context.emit(.object([
                "source": .string(result.source), "at": .string(result.at.description), "branch": result.branch.map(JSON.string),
                "head": result.head.map { .string($0.hex) }, "start": .string(result.start.hex), "fork_point": .string(result.forkPoint.hex),
                "steps": .int(result.transformations), "reused": .int(result.reused), "policy": .string(result.policy.rawValue),
                "commits": .array(result.steps.map { s in
                    .object(["original": .string(s.original.hex), "replayed": .string(s.replayed.hex),
                             "transformations": .int(s.transformations), "reused": .int(s.reused)])
                }),
                "gaps": .array(result.gaps.map(gapJSON)),
            ]))
            return
        }
        if !result.gaps.isEmpty {
            printGaps(result.gaps, at: result.at, context)
            context.out.line(result.policy == .corrected ? "(the latest rows for those times were used)" : "(proceeding on the data known then; the gaps are recorded)")
        }
        context.out.line("Replayed \(result.source) at \(result.at) onto \(options.onto)@\(result.start.short()) as \(result.branch ?? "")")
        context.out.line("reused \(result.reused) of \(result.transformations) steps in \(result.steps.count) commit(s)")
    }

    private func printGaps(_ gaps: [DataGap], at: Timestamp, _ context: CommandContext) {
        for gap in gaps {
            context.out.line(context.paint("\(gap.table): \(gap.arrivedLater.count) row(s) with \(gap.timeColumn) <= \(at) arrived later, "
                + "\(gap.corrected.count) corrected later, \(gap.removedLater.count) removed later", "1"))
            let keys = gap.schema.keyIndices
            func key(_ row: [Value]) -> String { keys.isEmpty ? row.map(\.description).joined(separator: " ") : keys.map { row[$0].description }.joined(separator: " ") }
            for row in gap.arrivedLater { context.out.line(context.paint("  + " + row.map { Render.truncate($0.description, 24) }.joined(separator: "  "), "32")) }
            for (_, new, cells) in gap.corrected {
                context.out.line(context.paint("  ~ " + key(new) + "  " + cells.map { "\($0.column): \($0.old) -> \($0.new)" }.joined(separator: ", "), "33"))
            }
            for row in gap.removedLater { context.out.line(context.paint("  - " + row.map { Render.truncate($0.description, 24) }.joined(separator: "  "), "31")) }
        }
    }

    private func gapJSON(_ gap: DataGap) -> JSON {
        let keyIDs = gap.schema.key
        return .object([
            "table": .string(gap.table), "time_column": .string(gap.timeColumn),
            "arrived_later": .array(gap.arrivedLater.map { ValueRendering.json($0, schema: gap.schema) }),
            "corrected": .array(gap.corrected.map { c in
                .object(["key": keyIDs.isEmpty ? .null : ValueRendering.json(c.new, schema: gap.schema, only: keyIDs),
                         "cells": .array(c.cells.map { .object(["column": .string($0.column), "old": ValueRendering.json($0.old),
                                                                 "new": ValueRendering.json($0.new)]) })])
            }),
            "removed_later": .array(gap.removedLater.map { ValueRendering.json($0, schema: gap.schema) }),
        ])
    }
}
