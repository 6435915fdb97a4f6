import Testing
import RockyBase
@testable import RockySQL

/// Random inputs never crash or hang the compiler: the parser's progress
/// checks and depth limits make every input terminate, and every diagnostic
/// points inside the text. Seeded, so a failure reproduces.
@Suite struct FuzzTests {
    static let vocabulary = [
        "SELECT", "FROM", "WHERE", "GROUP", "BY", "ORDER", "HAVING", "LIMIT", "OFFSET", "WITH", "AS", "JOIN", "LEFT", "ON",
        "USING", "UNION", "ALL", "INTERSECT", "EXCEPT", "CASE", "WHEN", "THEN", "ELSE", "END", "CAST", "NOT", "AND", "OR",
        "IN", "IS", "NULL", "BETWEEN", "LIKE", "EXISTS", "OVER", "PARTITION", "ROWS", "PRECEDING", "CURRENT", "ROW",
        "INTERVAL", "DATE", "TIMESTAMP", "INSERT", "INTO", "VALUES", "UPDATE", "SET", "DELETE", "CREATE", "TABLE", "DROP",
        "ALTER", "ADD", "COLUMN", "RENAME", "TO", "PRIMARY", "KEY", "DISTINCT", "prices", "positions", "symbol", "close",
        "ts", "quantity", "p", "x", "SUM", "AVG", "LAG", "ROW_NUMBER", "DATE_TRUNC", "EXTRACT", "ROUND", "COALESCE",
        "(", ")", ",", ".", ";", "*", "+", "-", "/", "%", "||", "=", "<>", "<", ">=", "::", "'2024-01-01'", "'x''y'",
        "1", "0", "1.50", "1e3", "\"quoted\"", "`b`", "--c\n", "/* c */", "'", "\"", "/*", "@", "é", "\n",
    ]

    @Test func tokenSoupsNeverCrash() {
        var random = SeededRandom(seed: 0x5EED_0001)
        for _ in 0..<6000 {
            let count = 1 + random.below(40)
            let text = (0..<count).map { _ in Self.vocabulary[random.below(Self.vocabulary.count)] }.joined(separator: " ")
            check(text)
        }
    }

    @Test func truncatedAndMutatedCorpusStatementsNeverCrash() {
        var random = SeededRandom(seed: 0x5EED_0002)
        for entry in Corpus.entries {
            let scalars = Array(entry.sql.unicodeScalars)
            for _ in 0..<30 {
                var mutated = scalars
                switch random.below(4) {
                case 0:
                    mutated = Array(mutated.prefix(random.below(mutated.count + 1)))
                case 1:
                    for _ in 0...random.below(3) where !mutated.isEmpty { mutated.remove(at: random.below(mutated.count)) }
                case 2:
                    let insert = Array(Self.vocabulary[random.below(Self.vocabulary.count)].unicodeScalars)
                    mutated.insert(contentsOf: insert, at: random.below(mutated.count + 1))
                default:
                    if mutated.count > 2 {
                        let a = random.below(mutated.count), b = random.below(mutated.count)
                        mutated.swapAt(a, b)
                    }
                }
                var text = ""
                text.unicodeScalars.append(contentsOf: mutated)
                check(text)
            }
        }
    }

    @Test func pathologicalShapesStayBounded() {
        check(String(repeating: "(", count: 100_000))
        check("SELECT " + String(repeating: "-", count: 50_000) + "1")
        check("SELECT " + String(repeating: "NOT ", count: 50_000) + "TRUE")
        check(String(repeating: "SELECT (SELECT ", count: 10_000))
        check("SELECT " + String(repeating: "CASE WHEN 1 THEN ", count: 10_000))
        check("SELECT * FROM " + String(repeating: "(", count: 10_000) + "prices")
        check("SELECT 1 " + String(repeating: "UNION SELECT 1 ", count: 3000))
        check(String(repeating: ";", count: 10_000))
    }

    /// The deepest inputs the limits allow compile and emit without
    /// exhausting a test thread's stack (debug build, the worst case).
    @Test func deepestAllowedInputsCompile() {
        let chain = Array(repeating: "close", count: Parser.maxHeight - 1).joined(separator: " + ")
        var scalar = "SELECT \(chain) FROM prices"
        for _ in 0..<(Parser.maxDepth / 2 - 1) { scalar = "SELECT (\(scalar)) AS x FROM prices" }
        var derived = "SELECT \(chain) AS c FROM prices"
        for _ in 0..<(Parser.maxDepth / 2 - 1) { derived = "SELECT * FROM (\(derived)) AS s" }
        let shapes = [
            scalar, derived,
            "SELECT symbol FROM prices" + String(repeating: " UNION SELECT symbol FROM prices", count: Parser.maxSetOperands - 1),
            "SELECT " + String(repeating: "(", count: Parser.maxDepth - 2) + chain + String(repeating: ")", count: Parser.maxDepth - 2) + " FROM prices",
        ]
        for shape in shapes {
            let script = Fixtures.compile(shape)
            #expect(!script.hasErrors, "\(script.renderedDiagnostics())")
            check(shape)
        }
    }

    /// Compiles `text` and emits every statement; checks diagnostics stay in range.
    func check(_ text: String) {
        let script = Fixtures.compile(text)
        let length = text.utf8.count
        for diagnostic in script.diagnostics {
            #expect(diagnostic.range.start.offset >= 0 && diagnostic.range.start.offset <= diagnostic.range.end.offset
                    && diagnostic.range.end.offset <= length, "\(diagnostic) in \(text)")
            _ = diagnostic.rendered(in: text)
        }
        for statement in script.statements {
            for dialect in Dialect.allCases { _ = statement.sql(for: dialect) }
        }
    }
}
