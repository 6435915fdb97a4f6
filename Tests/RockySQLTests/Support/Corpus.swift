import Foundation
import Testing
import RockyBase
@testable import RockySQL

/// One statement of the corpus with its expectations (format in Corpus/README.md).
struct CorpusEntry: CustomTestStringConvertible, Sendable {
    var file: String
    var name: String
    var sql: String
    var columns: String?
    var target: String?
    var lineage: [String]
    var dataset: String?
    var compare: String
    var testDescription: String { "\(file):\(name)" }
}

enum Corpus {
    static let files: [URL] = {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: Fixtures.corpusDirectory.path)) ?? []
        return names.filter { $0.hasSuffix(".sql") && $0 != "schema.sql" }.sorted().map { Fixtures.corpusDirectory.appendingPathComponent($0) }
    }()

    static let entries: [CorpusEntry] = files.flatMap { parse(try! String(contentsOf: $0, encoding: .utf8), file: $0.lastPathComponent) }

    static func parse(_ text: String, file: String) -> [CorpusEntry] {
        var entries: [CorpusEntry] = []
        var current: CorpusEntry?
        var sqlLines: [String] = []
        func finish() {
            guard var entry = current else { return }
            var sql = sqlLines.joined(separator: "\n").trimmingCharacters(in: .whitespacesAndNewlines)
            if sql.hasSuffix(";") { sql.removeLast() }
            entry.sql = sql
            entries.append(entry)
            current = nil
            sqlLines = []
        }
        for line in text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
            if line.hasPrefix("-- @name ") {
                finish()
                current = CorpusEntry(file: file, name: String(line.dropFirst(9)), sql: "", columns: nil, target: nil,
                                      lineage: [], dataset: nil, compare: "unordered")
            } else if line.hasPrefix("-- @"), current != nil {
                let body = line.dropFirst(4)
                let key = body.prefix { $0 != " " }
                let value = String(body.dropFirst(key.count).drop { $0 == " " })
                switch key {
                case "columns": current!.columns = value
                case "target": current!.target = value
                case "lineage": current!.lineage.append(value)
                case "dataset": current!.dataset = value
                case "compare": current!.compare = value
                default: break
                }
            } else if current != nil {
                sqlLines.append(line)
            }
        }
        finish()
        return entries
    }

    /// What the compiler says about `statement`, in the corpus's notation.
    static func describe(_ statement: CompiledStatement) -> (columns: String?, lineage: [String], dataset: String?) {
        let columns = statement.outputColumns.isEmpty ? nil
            : statement.outputColumns.map { "\($0.name) \($0.type)\($0.nullable ? "" : " NOT NULL")" }.joined(separator: ", ")
        let lineage = statement.lineage.columns.map { column in
            "\(column.name) = " + (column.inputs.isEmpty ? "(none)" : column.inputs.map(edge).joined(separator: ", "))
        }
        let dataset = statement.lineage.datasetInputs.isEmpty ? nil : statement.lineage.datasetInputs.map(edge).joined(separator: ", ")
        return (columns, lineage, dataset)
    }

    static func edge(_ edge: LineageEdge) -> String {
        var text = "\(edge.source) \(edge.transform.rawValue)"
        if edge.isMasked, let masking = edge.masking { text += " masked(\(masking.rawValue))" }
        if !edge.path.isEmpty { text += " via " + edge.path.joined(separator: " ") }
        return text
    }

    /// Rewrites the expectation lines of every corpus file from the compiler's
    /// output (`ROCKY_CORPUS_RECORD=1`); review the diff before committing.
    static func record() throws {
        for url in files {
            let text = try String(contentsOf: url, encoding: .utf8)
            var out: [String] = []
            var pendingName: String?
            var block: [String] = []
            func flush() {
                guard let name = pendingName else { out += block; block = []; return }
                let annotations = block.filter { $0.hasPrefix("-- @") }
                let sql = block.filter { !$0.hasPrefix("-- @") }
                let compare = annotations.first { $0.hasPrefix("-- @compare ") }
                out.append("-- @name \(name)")
                let script = Fixtures.compile(sql.joined(separator: "\n"))
                if let statement = script.statements.first, !script.hasErrors {
                    let (columns, lineage, dataset) = describe(statement)
                    if let target = statement.targetTable, statement.kind != .query { out.append("-- @target \(target)") }
                    if let columns { out.append("-- @columns \(columns)") }
                    out += lineage.map { "-- @lineage \($0)" }
                    if let dataset { out.append("-- @dataset \(dataset)") }
                } else {
                    out.append("-- @error \(script.diagnostics.first?.description ?? "no statement")")
                }
                if let compare { out.append(compare) }
                out += sql
                block = []
                pendingName = nil
            }
            for line in text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
                if line.hasPrefix("-- @name ") {
                    flush()
                    pendingName = String(line.dropFirst(9))
                } else {
                    block.append(line)
                }
            }
            flush()
            try out.joined(separator: "\n").write(to: url, atomically: true, encoding: .utf8)
        }
    }
}
