import RockyBase
import RockyEngine
import RockySQL
import RockyStore
import RockyTable

/// What running a statement does for governance beyond what the compiler
/// injected: classification carried into the columns INSERT and UPDATE
/// write, and raw values kept out of error messages.
extension Repository {
    /// INSERT and UPDATE store values in columns of an existing table. A
    /// column that receives values from a classified, unmasked source takes
    /// the stricter classification (masked values carry none), as a CREATE
    /// TABLE AS column would: a copy of PII made in dev stays PII, so prod
    /// masks it when it is read. Returns the table's (possibly new) id.
    func carryingClassification(of statement: CompiledStatement, into id: ObjectID) throws -> ObjectID {
        guard statement.kind == .insert || statement.kind == .update else { return id }
        var table = try objects.readTable(id)
        var changed = false
        for output in statement.lineage.columns {
            guard let classification = output.classification,
                  let i = table.schema.columns.firstIndex(where: { $0.name.lowercased() == output.name.lowercased() }) else { continue }
            if let old = table.schema.columns[i].governance.classification, old >= classification { continue }
            table.schema.columns[i].governance.classification = classification
            changed = true
        }
        return changed ? try objects.write(table: table) : id
    }

    /// An engine error as text. The engine quotes the values it failed on
    /// (`'998-82-4131' is not a date`), and those are raw even where the
    /// environment masks or denies the column: when the statement reads such
    /// a column, quoted values are withheld (the SQL that ran is kept).
    static func engineErrorText(_ error: any Error, statement: CompiledStatement) -> String {
        let lineage = statement.lineage
        let readsProtected = (lineage.columns.flatMap(\.inputs) + lineage.datasetInputs)
            .contains { ($0.masking ?? .none) != .none }
        guard readsProtected else { return "\(error)" }
        let note = " [values withheld: the statement reads masked or denied columns]"
        if case let EngineError.decimalPrecision(table, column, _, type) = error {
            return "a value does not fit \(table).\(column) \(type)" + note
        }
        var lines = "\(error)".split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        for i in lines.indices where !lines[i].hasPrefix("  while running:") {
            let withheld = withholdingQuotedText(lines[i])
            if withheld != lines[i] { lines[i] = withheld + note }
        }
        return lines.joined(separator: "\n")
    }

    /// Every single-quoted run (`'it''s'` included) replaced by `'…'`.
    static func withholdingQuotedText(_ line: String) -> String {
        var out = ""
        var inQuote = false
        var chars = Array(line)[...]
        while let c = chars.popFirst() {
            if c == "'" {
                if inQuote, chars.first == "'" { chars.removeFirst(); continue }
                inQuote.toggle()
                out += inQuote ? "'…" : "'"
            } else if !inQuote {
                out.append(c)
            }
        }
        if inQuote { out += "'" }
        return out
    }
}
