import Foundation
import Testing
import RockyBase
@testable import RockySQL

/// Runs the SQLite and DuckDB SQL of every corpus query on the fixture data
/// (Harness/compare.py) and compares the results value by value.
@Suite struct DialectExecutionTests {
    static let python = ProcessInfo.processInfo.environment["ROCKY_PYTHON"] ?? "python3"

    /// The fixture CSVs of Fixtures/ (from main).
    static var fixtureDirectory: URL { Fixtures.repositoryRoot.appendingPathComponent("Fixtures") }

    @Test func sqliteAndDuckDBAgreeOnTheCorpus() throws {
        let tables: [JSON] = Fixtures.catalog.tableNames.map { name in
            let table = Fixtures.catalog.table(named: name)!
            return .object([
                JSON.Member("name", .string(table.name)),
                JSON.Member("columns", .array(table.columns.map { .object(["name": .string($0.name), "type": .string($0.type.name)]) })),
            ])
        }
        var statements: [JSON] = []
        for entry in Corpus.entries where entry.compare != "skip" {
            let script = Fixtures.compile(entry.sql)
            guard let statement = script.statements.first, let lite = statement.querySQL(for: .sqlite),
                  let duck = statement.querySQL(for: .duckdb) else { continue }
            var output = statement.outputColumns
            if case let .insert(insert) = statement.ir { output = insert.source.columns }
            statements.append(.object([
                JSON.Member("name", .string(entry.name)),
                JSON.Member("sqlite", .string(lite)),
                JSON.Member("duckdb", .string(duck)),
                JSON.Member("ordered", .bool(entry.compare == "ordered")),
                JSON.Member("columns", .array(output.map { .object(["name": .string($0.name), "type": .string($0.type.name)]) })),
            ]))
        }
        #expect(statements.count >= 150)
        let spec = JSON.object([
            JSON.Member("fixtures", .string(Self.fixtureDirectory.path)),
            JSON.Member("tables", .array(tables)),
            JSON.Member("statements", .array(statements)),
        ])
        let results = try runHarness(spec)
        var failures = 0
        for result in results {
            let ok = result["ok"]?.boolValue == true
            if !ok { failures += 1 }
            #expect(ok, "\(result["name"]?.stringValue ?? "?"): \(result["message"]?.stringValue ?? "")")
        }
        #expect(results.count == statements.count)
    }

    /// Runs compare.py on `spec`; fails the test (never skips) when Python or DuckDB is missing.
    func runHarness(_ spec: JSON) throws -> [JSON] {
        let input = FileManager.default.temporaryDirectory.appendingPathComponent("rocky-sql-\(UUID().uuidString).json")
        try spec.compactText.write(to: input, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: input) }
        let harness = Fixtures.directory.appendingPathComponent("Harness/compare.py")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [Self.python, harness.path, input.path]
        let stdout = Pipe(), stderr = Pipe()
        process.standardOutput = stdout
        process.standardError = stderr
        try process.run()
        let output = stdout.fileHandleForReading.readDataToEndOfFile()
        let errors = stderr.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let text = String(decoding: output, as: UTF8.self)
        guard let document = try? JSON(parsing: text) else {
            Issue.record("the harness (\(Self.python)) printed no JSON; exit \(process.terminationStatus): \(String(decoding: errors, as: UTF8.self))")
            return []
        }
        if let error = document["error"]?.stringValue {
            Issue.record("the SQLite/DuckDB harness could not run: \(error)")
            return []
        }
        return document["results"]?.arrayValue ?? []
    }
}
