import Foundation
import RockyBase
@testable import RockySQL

/// The fixture catalog of Fixtures/README.md, with governance for masking tests.
enum Fixtures {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    static let corpusDirectory = directory.appendingPathComponent("Corpus")
    static let repositoryRoot = directory.deletingLastPathComponent().deletingLastPathComponent()

    static let schemaText: String = try! String(contentsOf: corpusDirectory.appendingPathComponent("schema.sql"), encoding: .utf8)

    /// Classifications: customers.name, email, ssn, birth_date are pii;
    /// prices.close and positions.quantity are financial; trades.fee internal.
    static let catalog: InMemoryCatalog = {
        let (parsed, diagnostics) = SchemaCatalog.parse(schemaText)
        precondition(diagnostics.isEmpty, "schema.sql: \(diagnostics)")
        var catalog = parsed
        let classified: [(String, String, Classification)] = [
            ("customers", "name", .pii), ("customers", "email", .pii), ("customers", "ssn", .pii),
            ("customers", "birth_date", .pii), ("prices", "close", .financial), ("positions", "quantity", .financial),
            ("trades", "fee", .internal),
        ]
        for (tableName, column, classification) in classified {
            var table = catalog.table(named: tableName)!
            let index = table.column(named: column)!.index
            table.columns[index].governance.classification = classification
            catalog.add(table)
        }
        return catalog
    }()

    static func compile(_ sql: String, options: CompileOptions = CompileOptions()) -> CompiledScript {
        SQLCompiler.compile(sql, catalog: catalog, options: options)
    }
}
