import Foundation
import Testing
import RockyBase
@testable import RockySQL

/// The corpus: every statement compiles, with the result columns and the
/// lineage written next to it (format in Corpus/README.md).
@Suite struct CorpusTests {
    @Test func corpusHasAtLeast150Statements() {
        #expect(Corpus.entries.count >= 150)
        #expect(Set(Corpus.entries.map(\.name)).count == Corpus.entries.count, "corpus names must be unique")
    }

    @Test(arguments: Corpus.entries)
    func statementMatchesExpectations(_ entry: CorpusEntry) throws {
        let script = Fixtures.compile(entry.sql)
        #expect(!script.hasErrors, "\(script.renderedDiagnostics())")
        let statement = try #require(script.statements.first)
        #expect(script.statements.count == 1)
        let (columns, lineage, dataset) = Corpus.describe(statement)
        #expect(columns == entry.columns)
        #expect(lineage == entry.lineage)
        #expect(dataset == entry.dataset)
        if statement.kind != .query { #expect(statement.targetTable == entry.target) }
        for dialect in Dialect.allCases {
            #expect(!statement.sql(for: dialect).isEmpty)
        }
    }

    @Test func recordWhenAsked() throws {
        guard ProcessInfo.processInfo.environment["ROCKY_CORPUS_RECORD"] == "1" else { return }
        try Corpus.record()
    }
}
