import Foundation
import RockyBase
import RockyTable

/// The repository's `Fixtures/` folder.
let fixturesDirectory: String = {
    var url = URL(fileURLWithPath: #filePath)
    for _ in 0..<4 { url.deleteLastPathComponent() }
    return url.appendingPathComponent("Fixtures").path
}()

func fixturePath(_ name: String) -> String { fixturesDirectory + "/" + name }

func fixtureBytes(_ name: String) throws -> [UInt8] {
    Array(try Data(contentsOf: URL(fileURLWithPath: fixturePath(name))))
}

/// A field as tests compare it: its text (nil for NULL) and whether it was quoted.
struct SeenField: Equatable, CustomStringConvertible {
    var text: String?
    var quoted: Bool
    var line: Int
    var column: Int

    var description: String { "\(text.map { "'\($0)'" } ?? "NULL")\(quoted ? "q" : "")@\(line):\(column)" }
}

/// Every record's fields, read with the given block size.
func readAll(_ source: some RecordSource) throws -> [[SeenField]] {
    var out: [[SeenField]] = []
    while let record = try source.next() {
        out.append(record.fields.map { SeenField(text: $0.string, quoted: $0.isQuoted, line: $0.line, column: $0.column) })
    }
    return out
}

/// Just the texts of every record.
func texts(_ csv: String, blockSize: Int = 1 << 20) throws -> [[String?]] {
    try readAll(CSVReader(text: csv, blockSize: blockSize)).map { $0.map(\.text) }
}

/// The error reading all of `csv` throws, as `line:column: message`.
func csvError(_ csv: String, blockSize: Int = 1 << 20) -> ImportError? {
    csvError(bytes: Array(csv.utf8), blockSize: blockSize)
}

func csvError(bytes: [UInt8], blockSize: Int = 1 << 20) -> ImportError? {
    do {
        let reader = try CSVReader(bytes: bytes, file: "t.csv", blockSize: blockSize)
        while try reader.next() != nil {}
        return nil
    } catch {
        return error
    }
}

func jsonlError(_ text: String, columns: [String]? = nil) -> ImportError? {
    do {
        let reader = JSONLinesReader(text: text, file: "t.jsonl", columns: columns)
        while try reader.next() != nil {}
        return nil
    } catch {
        return error
    }
}

/// Reads a whole source into rows of `schema`.
func decodeAll(_ source: some RecordSource, schema: Schema) throws(ImportError) -> [[Value]] {
    let decoder = try RowDecoder(schema: schema, source: source)
    var rows: [[Value]] = []
    while let record = try source.next() { rows.append(try decoder.decode(record)) }
    return rows
}

/// The schemas of the fixture tables, as `Fixtures/README.md` lists them.
let fixtureSchemas: [String: [(String, ColumnType)]] = [
    "prices.csv": [("symbol", .text), ("ts", .timestamp), ("open", .decimal(precision: 12, scale: 4)),
                   ("high", .decimal(precision: 12, scale: 4)), ("low", .decimal(precision: 12, scale: 4)),
                   ("close", .decimal(precision: 12, scale: 4)), ("volume", .integer)],
    "positions.csv": [("account_id", .text), ("symbol", .text), ("quantity", .integer),
                      ("avg_cost", .decimal(precision: 12, scale: 4)), ("risk_score", .double)],
    "risk_scores.csv": [("symbol", .text), ("sector", .text), ("beta", .double), ("volatility", .double),
                        ("var_95", .decimal(precision: 10, scale: 4)), ("rating", .text)],
    "customers.csv": [("customer_id", .integer), ("name", .text), ("email", .text), ("ssn", .text),
                      ("birth_date", .date), ("country", .text), ("segment", .text)],
    "accounts.csv": [("account_id", .text), ("customer_id", .integer), ("opened", .date), ("strategy", .text),
                     ("base_currency", .text)],
    "trades.csv": [("trade_id", .integer), ("account_id", .text), ("symbol", .text), ("side", .text),
                   ("quantity", .integer), ("price", .decimal(precision: 12, scale: 4)),
                   ("fee", .decimal(precision: 10, scale: 2)), ("executed_at", .timestamp), ("is_algo", .boolean)],
]

func fixtureSchema(_ name: String) throws -> Schema {
    try Schema(named: fixtureSchemas[name]!)
}
