import RockySQL
import Testing

/// `SQLCompiler.referencedTables`, which orders `rocky run`'s models: the
/// tables a script reads or writes, from syntax alone.
@Suite struct ReferenceTests {
    @Test(arguments: [
        ("SELECT p.symbol FROM Prices p JOIN positions USING (symbol)", ["prices", "positions"]),
        // A CTE may read the table it shadows; inside the query the name is the CTE's.
        ("WITH prices AS (SELECT * FROM prices WHERE close > 1) SELECT * FROM prices", ["prices"]),
        ("WITH a AS (SELECT * FROM trades) SELECT * FROM a JOIN accounts ON a.account_id = accounts.account_id", ["trades", "accounts"]),
        // A CTE's name is not in scope before it is defined, nor outside its query.
        ("WITH a AS (SELECT * FROM b), b AS (SELECT 1 AS x) SELECT * FROM a", ["b"]),
        ("SELECT * FROM (WITH t AS (SELECT 1 AS x) SELECT * FROM t) s JOIN t ON true", ["t"]),
        ("SELECT symbol FROM prices WHERE symbol IN (SELECT symbol FROM positions WHERE EXISTS (SELECT 1 FROM risk_scores))",
         ["prices", "positions", "risk_scores"]),
        ("INSERT INTO audit_copy SELECT * FROM trades", ["audit_copy", "trades"]),
        ("UPDATE positions SET qty = (SELECT MAX(qty) FROM trades) WHERE symbol = 'X'", ["positions", "trades"]),
        ("DELETE FROM positions WHERE symbol NOT IN (SELECT symbol FROM prices)", ["positions", "prices"]),
        ("CREATE TABLE daily AS SELECT * FROM prices; SELECT * FROM daily", ["prices", "daily"]),
        ("SELECT * FROM; SELECT * FROM trades", ["trades"]),
    ])
    func tablesInOrderOfFirstAppearance(sql: String, expected: [String]) {
        #expect(SQLCompiler.referencedTables(in: sql) == expected, "\(sql)")
    }
}

/// `SQLCompiler.nameReferences`, what an editor's "find references" reads:
/// each table and column name with where it is and the tables a column can
/// belong to.
@Suite struct NameReferenceTests {
    func names(_ sql: String) -> [String] {
        SQLCompiler.nameReferences(in: sql).map { reference in
            let at = "@\(reference.range.start.line):\(reference.range.start.column)"
            switch reference.kind {
            case .table: return "table \(reference.key)\(at)"
            case .column: return "column \(reference.key)[\(reference.tables.joined(separator: ","))]\(at)"
            }
        }
    }

    @Test func tablesAndTheColumnsOfTheirFrom() {
        #expect(names("SELECT c.email, name FROM customers c JOIN clean ON clean.id = c.id") == [
            "table customers@1:27", "table clean@1:44",
            "column id[clean]@1:59", "column id[customers]@1:66",
            "column email[customers]@1:10", "column name[clean,customers]@1:17",
        ])
    }

    @Test func aCTEIsNoTableAndItsColumnsBelongToNone() {
        #expect(names("WITH t AS (SELECT x FROM base) SELECT t.x, y FROM t") == [
            "table base@1:26", "column x[base]@1:19", "column x[]@1:41", "column y[]@1:44",
        ])
    }

    @Test func writesAndCorrelatedSubqueries() {
        #expect(names("UPDATE positions p SET qty = 1 WHERE p.symbol IN (SELECT symbol FROM prices)") == [
            "table positions@1:8", "column qty[positions]@1:24", "column symbol[positions]@1:40",
            "table prices@1:70", "column symbol[prices]@1:58",
        ])
        // A statement that does not parse gives nothing; positions count in the whole script.
        #expect(names("SELECT * FROM; SELECT a FROM t") == ["table t@1:30", "column a[t]@1:23"])
    }
}

/// The function table editors show (signature help, completion): every
/// function in it is one the compiler binds.
@Suite struct FunctionSignatureTests {
    @Test func everyFunctionInTheTableIsKnownToTheBinder() {
        let catalog = SchemaCatalog.parse("CREATE TABLE t (i INTEGER, s TEXT, d DATE);").catalog
        for function in SQLCompiler.functions where function.name != "extract" {
            let arguments = Array(repeating: "i", count: max(function.parameters.count, 1)).joined(separator: ", ")
            let call = function.kind == .window ? "\(function.name)(\(function.parameters.isEmpty ? "" : arguments)) OVER ()"
                : "\(function.name)(\(arguments))"
            let script = SQLCompiler.compile("SELECT \(call) FROM t", catalog: catalog)
            #expect(!script.diagnostics.contains { $0.code == .unknownFunction }, "\(function.name): \(script.diagnostics)")
        }
        #expect(SQLCompiler.function(named: "SUBSTR")?.label == "SUBSTR(text TEXT, start INTEGER, [count INTEGER]) -> TEXT")
        #expect(SQLCompiler.function(named: "string_agg")?.kind == .aggregate)
        #expect(SQLCompiler.function(named: "listagg") == nil)
    }

    @Test func anUnknownNameIsUnknownToBoth() {
        let catalog = SchemaCatalog.parse("CREATE TABLE t (i INTEGER);").catalog
        let script = SQLCompiler.compile("SELECT no_such_fn(i) FROM t", catalog: catalog)
        #expect(script.diagnostics.contains { $0.code == .unknownFunction } && SQLCompiler.function(named: "no_such_fn") == nil)
    }
}
