import Foundation
import Testing

/// The differential SQL harness (Tests/SQLCorpus): every corpus query run by
/// the `rocky` binary, by DuckDB and by a throw-away PostgreSQL cluster,
/// results compared by Rocky's types; the known, deliberate differences are
/// listed in Tests/SQLCorpus/differences.toml with their reasons.
@Suite struct SQLCorpusTests {
    static let corpus = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("SQLCorpus").path

    @Test func rockyAgreesWithDuckDBAndPostgreSQLOnTheCorpus() throws {
        let python = ProcessInfo.processInfo.environment["ROCKY_PYTHON"] ?? "/usr/bin/python3"
        let run = try runProgram(python, [Self.corpus + "/harness.py", "--rocky", rockyBinary], in: Self.corpus)
        let lines = run.out.split(separator: "\n").map(String.init)
        // One failure per mismatch, each naming the query, the engine and the difference.
        for line in lines.dropLast() { Issue.record(Comment(rawValue: line)) }
        #expect(run.code == 0, "\(lines.last ?? "")\n\(run.err)")
        #expect(lines.last?.contains(" 0 problems") == true, "\(run)")
    }

    /// Column lineage of the cases in Tests/SQLCorpus/lineage.toml: Rocky's
    /// inputs of each result column are exactly the hand-written ones, and
    /// sqlglot's lineage names the same source columns except where
    /// lineage-differences.toml says why it does not.
    @Test func lineageMatchesTheHandWrittenCasesAndSqlglotWhereItIsRight() throws {
        let python = ProcessInfo.processInfo.environment["ROCKY_PYTHON"] ?? "/usr/bin/python3"
        let run = try runProgram(python, [Self.corpus + "/lineage_check.py", "--rocky", rockyBinary], in: Self.corpus)
        let lines = run.out.split(separator: "\n").map(String.init)
        for line in lines.dropLast() { Issue.record(Comment(rawValue: line)) }
        #expect(run.code == 0, "\(lines.last ?? "")\n\(run.err)")
        #expect(lines.last?.contains(" 0 problems") == true, "\(run)")
    }
}
