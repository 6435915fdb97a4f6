import Foundation
import Rocky
import RockyBase
import RockySQL

/// The Language Server of `rocky lsp` (Docs/editors.md).
///
/// Every request reopens the repository the document lives in and reads
/// its working set and committed tables as any reader does, without a lock,
/// so a new commit or an agent writing the same branch is seen at the next
/// request and never waits for the editor. Documents are compiled from
/// their unsaved text; a models/<name>.sql file is compiled as `rocky run`
/// builds it, seeing the tables of the other models.
final class LanguageServer {
    let rpc: RPCServer
    private var settings: Settings
    private let directory: String
    private var documents: [String: (text: String, version: JSON)] = [:]
    private(set) var shutdownRequested = false
    private(set) var exitRequested = false

    init(rpc: RPCServer, settings: Settings, directory: String) {
        self.rpc = rpc
        self.settings = settings
        self.directory = directory
    }

    // MARK: Messages

    func request(_ method: String, _ params: JSON?) throws -> JSON {
        if shutdownRequested { throw RPC.Failure(RPC.invalidRequest, "the server is shutting down") }
        switch method {
        case "initialize":
            if let env = params?["initializationOptions"]?["environment"]?.stringValue, !env.isEmpty {
                settings.environment = env
            }
            return .object([
                JSON.Member("capabilities", .object([
                    JSON.Member("textDocumentSync", .object(["openClose": .bool(true), "change": .int(1)])),
                    JSON.Member("hoverProvider", .bool(true)),
                    JSON.Member("completionProvider", .object(["triggerCharacters": .array([.string(".")])])),
                    JSON.Member("definitionProvider", .bool(true)),
                    JSON.Member("documentSymbolProvider", .bool(true)),
                ])),
                JSON.Member("serverInfo", .object(["name": .string("rocky"), "version": .string(RockyCLI.version)])),
            ])
        case "shutdown":
            shutdownRequested = true
            return .null
        case "textDocument/hover":
            let (uri, position) = try location(params)
            return try hover(uri: uri, position: position)
        case "textDocument/completion":
            let (uri, position) = try location(params)
            return try completion(uri: uri, position: position)
        case "textDocument/definition":
            let (uri, position) = try location(params)
            return try definition(uri: uri, position: position)
        case "rocky/lineage":
            let (uri, position) = try location(params)
            return try lineage(uri: uri, position: position)
        case "textDocument/documentSymbol":
            guard let uri = params?["textDocument"]?["uri"]?.stringValue else { throw RPC.Failure(RPC.invalidParams, "textDocument.uri is required") }
            return try symbols(uri: uri)
        default:
            throw RPC.Failure(RPC.methodNotFound, "method not found: \(method)")
        }
    }

    func notification(_ method: String, _ params: JSON?) {
        switch method {
        case "exit":
            exitRequested = true
            rpc.stop()
        case "textDocument/didOpen":
            guard let document = params?["textDocument"], let uri = document["uri"]?.stringValue,
                  let text = document["text"]?.stringValue else { return }
            documents[uri] = (text, document["version"] ?? .null)
            publish(uri)
        case "textDocument/didChange":
            guard let uri = params?["textDocument"]?["uri"]?.stringValue,
                  let text = params?["contentChanges"]?.arrayValue?.last?["text"]?.stringValue else { return }
            documents[uri] = (text, params?["textDocument"]?["version"] ?? .null)
            publish(uri)
        case "textDocument/didSave":
            if let uri = params?["textDocument"]?["uri"]?.stringValue, documents[uri] != nil { publish(uri) }
        case "textDocument/didClose":
            guard let uri = params?["textDocument"]?["uri"]?.stringValue else { return }
            documents[uri] = nil
            rpc.notify("textDocument/publishDiagnostics", .object(["uri": .string(uri), "diagnostics": .array([])]))
        case "workspace/didChangeConfiguration":
            if let env = params?["settings"]?["rocky"]?["environment"]?.stringValue, !env.isEmpty {
                settings.environment = env
                for uri in documents.keys { publish(uri) }
            }
        default:
            break
        }
    }

    private func location(_ params: JSON?) throws -> (String, (line: Int, character: Int)) {
        guard let uri = params?["textDocument"]?["uri"]?.stringValue,
              let line = params?["position"]?["line"]?.intValue, let character = params?["position"]?["character"]?.intValue,
              line >= 0, character >= 0 else {
            throw RPC.Failure(RPC.invalidParams, "textDocument.uri and position {line, character} are required")
        }
        return (uri, (line, character))
    }

    // MARK: Analysis

    /// A document compiled against its repository.
    struct Analysis {
        var text: String
        var lines: [Substring]
        var repository: Repository?
        var catalog: CatalogOverlay
        var options: CompileOptions
        /// The model the document is, when it is models/<name>.sql.
        var model: String?
        var modelNames: [String]
        var modelsFolder: String?
        var diagnostics: [JSON]
        /// The document's statements as compiled on their own (positions in the text).
        var statements: [CompiledStatement]
    }

    static func path(of uri: String) -> String? {
        guard let url = URL(string: uri), url.isFileURL else { return nil }
        return url.standardizedFileURL.path
    }

    func text(of uri: String) -> String? {
        if let open = documents[uri] { return open.text }
        guard let path = LanguageServer.path(of: uri), let data = FileManager.default.contents(atPath: path) else { return nil }
        return String(decoding: data, as: UTF8.self)
    }

    func analyze(_ uri: String) -> Analysis {
        let text = self.text(of: uri) ?? ""
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        var analysis = Analysis(text: text, lines: lines, repository: nil, catalog: CatalogOverlay(InMemoryCatalog()),
                                options: CompileOptions(environment: settings.environment), model: nil, modelNames: [],
                                modelsFolder: nil, diagnostics: [], statements: [])
        guard let path = LanguageServer.path(of: uri) else { return analysis }
        let folder = (path as NSString).deletingLastPathComponent
        let repo: Repository
        do {
            repo = try Repository.open(discoveringFrom: folder, settings: settings)
        } catch {
            return analysis // not in a repository: nothing to check against
        }
        analysis.repository = repo
        do {
            // As `rocky check`: the actor must be allowed to use the environment on the branch.
            try repo.authorize(.use, branch: try repo.currentBranch(), environment: settings.environment)
            analysis.options = try repo.compileOptions()
            var catalog = CatalogOverlay(try repo.catalog(at: nil))
            let modelsFolder = repo.workDirectory + "/models"
            analysis.modelsFolder = modelsFolder
            if folder == modelsFolder, path.hasSuffix(".sql") {
                analysis.model = String((path as NSString).lastPathComponent.dropLast(4))
            }
            // The other models, in the order `rocky run` builds them (on a
            // cycle, by name), each seeing the ones before it.
            let models = try (try? repo.modelOrder()) ?? repo.models()
            analysis.modelNames = models.map(\.name)
            for model in models where model.name.lowercased() != analysis.model?.lowercased() {
                if let statement = Repository.compileModel(model, catalog: catalog, options: analysis.options).statement {
                    catalog.apply(statement)
                }
            }
            analysis.catalog = catalog
            let script = SQLCompiler.compile(text, catalog: catalog, options: analysis.options)
            analysis.statements = script.statements
            if let name = analysis.model {
                let compiled = Repository.compileModel(Model(name: name, sql: text), catalog: catalog, options: analysis.options)
                analysis.diagnostics = compiled.diagnostics.map { diagnostic(for: $0, lines: lines) }
                if let shape = compiled.shapeError {
                    analysis.diagnostics.append(LanguageServer.diagnostic(message: shape, code: "model_shape", lines: lines))
                }
            } else {
                analysis.diagnostics = script.diagnostics.map { diagnostic(for: $0, lines: lines) }
            }
        } catch {
            analysis.diagnostics = [LanguageServer.diagnostic(message: String(describing: error), code: ExitCode.code(of: error), lines: lines)]
        }
        return analysis
    }

    func publish(_ uri: String) {
        let analysis = analyze(uri)
        var params: [JSON.Member] = [JSON.Member("uri", .string(uri))]
        if let version = documents[uri]?.version, !version.isNull { params.append(JSON.Member("version", version)) }
        params.append(JSON.Member("diagnostics", .array(analysis.diagnostics)))
        rpc.notify("textDocument/publishDiagnostics", .object(params))
    }

    // MARK: Positions

    /// A compiler position (1-based line, column in Unicode scalars) as an
    /// LSP position (0-based line, character in UTF-16 code units).
    static func lspPosition(_ p: SourcePosition, lines: [Substring]) -> JSON {
        let line = max(p.line - 1, 0)
        guard line < lines.count else { return .object(["line": .int(line), "character": .int(0)]) }
        let scalars = lines[line].unicodeScalars
        var utf16 = 0
        var index = scalars.startIndex
        var column = 1
        while column < p.column, index != scalars.endIndex {
            utf16 += scalars[index].utf16.count
            index = scalars.index(after: index)
            column += 1
        }
        return .object(["line": .int(line), "character": .int(utf16)])
    }

    static func lspRange(_ r: SourceRange, lines: [Substring]) -> JSON {
        .object(["start": lspPosition(r.start, lines: lines), "end": lspPosition(r.end, lines: lines)])
    }

    func diagnostic(for d: Diagnostic, lines: [Substring]) -> JSON {
        var message = d.message
        if let help = d.help { message += "\n" + help }
        return .object([
            JSON.Member("range", LanguageServer.lspRange(d.range, lines: lines)),
            JSON.Member("severity", .int(d.isError ? 1 : 2)),
            JSON.Member("code", .string(d.code.rawValue)),
            JSON.Member("source", .string("rocky")),
            JSON.Member("message", .string(message)),
        ])
    }

    static func diagnostic(message: String, code: String, lines: [Substring]) -> JSON {
        .object([
            JSON.Member("range", .object(["start": .object(["line": .int(0), "character": .int(0)]),
                                          "end": .object(["line": .int(0), "character": .int(lines.first?.utf16.count ?? 0)])])),
            JSON.Member("severity", .int(1)),
            JSON.Member("code", .string(code)),
            JSON.Member("source", .string("rocky")),
            JSON.Member("message", .string(message)),
        ])
    }

    /// The word under an LSP position, and the word before a `.` in front of
    /// it (`c.email`: qualifier `c`), with the word's start.
    struct Word {
        var text: String
        var qualifier: String?
        /// The byte offset of the position in the document.
        var offset: Int
    }

    static func word(at position: (line: Int, character: Int), lines: [Substring], text: String) -> Word? {
        guard position.line < lines.count else { return nil }
        let line = Array(lines[position.line].utf16)
        let cursor = min(position.character, line.count)
        func isWordUnit(_ u: UInt16) -> Bool {
            (u >= 48 && u <= 57) || (u >= 65 && u <= 90) || (u >= 97 && u <= 122) || u == 95 || u > 127
        }
        var start = cursor, end = cursor
        while start > 0, isWordUnit(line[start - 1]) { start -= 1 }
        while end < line.count, isWordUnit(line[end]) { end += 1 }
        let word = String(decoding: line[start..<end], as: UTF16.self)
        var qualifier: String?
        if start > 0, line[start - 1] == 46 {
            var q = start - 1
            while q > 0, isWordUnit(line[q - 1]) { q -= 1 }
            if q < start - 1 { qualifier = String(decoding: line[q..<(start - 1)], as: UTF16.self) }
        }
        let before = lines[..<position.line].reduce(0) { $0 + $1.utf8.count + 1 }
        let offset = before + String(decoding: line[..<cursor], as: UTF16.self).utf8.count
        return Word(text: word, qualifier: qualifier, offset: offset)
    }

    /// The statement around a byte offset: the text between the semicolons
    /// before and after it.
    static func statement(around offset: Int, in text: String) -> String {
        let bytes = Array(text.utf8)
        let at = min(offset, bytes.count)
        let start = bytes[..<at].lastIndex(of: UInt8(ascii: ";")).map { $0 + 1 } ?? 0
        let end = bytes[at...].firstIndex(of: UInt8(ascii: ";")) ?? bytes.count
        return String(decoding: bytes[start..<end], as: UTF8.self)
    }

    /// The tables a statement's FROM and JOIN clauses name, by alias and by
    /// name (read from the text, so a statement still being written counts).
    static func tablesInScope(_ statement: String, catalog: any Catalog) -> [(alias: String, table: CatalogTable)] {
        let pattern = #"(?i)\b(?:from|join)\s+("[^"]+"|[A-Za-z_][A-Za-z0-9_]*)(?:\s+(?:as\s+)?([A-Za-z_][A-Za-z0-9_]*))?"#
        guard let regex = try? NSRegularExpression(pattern: pattern) else { return [] }
        let keywords: Set<String> = ["where", "join", "on", "left", "right", "inner", "outer", "full", "cross", "group", "order",
                                     "limit", "union", "except", "intersect", "using", "having", "window", "offset", "natural"]
        var found: [(String, CatalogTable)] = []
        let ns = statement as NSString
        for match in regex.matches(in: statement, range: NSRange(location: 0, length: ns.length)) {
            var name = ns.substring(with: match.range(at: 1))
            if name.hasPrefix("\"") { name = String(name.dropFirst().dropLast()) }
            guard let table = catalog.table(named: name) else { continue }
            found.append((name.lowercased(), table))
            if match.range(at: 2).location != NSNotFound {
                let alias = ns.substring(with: match.range(at: 2)).lowercased()
                if !keywords.contains(alias) { found.append((alias, table)) }
            }
        }
        return found
    }

    // MARK: Hover

    func hover(uri: String, position: (line: Int, character: Int)) throws -> JSON {
        let analysis = analyze(uri)
        guard let word = LanguageServer.word(at: position, lines: analysis.lines, text: analysis.text), !word.text.isEmpty else { return .null }
        let environment = analysis.options.environment
        let scope = LanguageServer.tablesInScope(LanguageServer.statement(around: word.offset, in: analysis.text), catalog: analysis.catalog)
        if word.qualifier == nil, let table = analysis.catalog.table(named: word.text) {
            return markdown(tableHover(table, analysis))
        }
        // A column of a table in scope (or of the qualifier's table).
        var candidates = scope
        if let qualifier = word.qualifier?.lowercased() { candidates = scope.filter { $0.alias == qualifier } }
        var seen: Set<String> = []
        var parts: [String] = []
        for (_, table) in candidates where seen.insert(table.name.lowercased()).inserted {
            guard let column = table.columns.first(where: { $0.name.lowercased() == word.text.lowercased() }) else { continue }
            let strategy = analysis.options.masking.strategy(for: column.governance, environment: environment)
            var text = "**\(table.name).\(column.name)** `\(column.type.name)` \(column.nullable ? "nullable" : "NOT NULL")"
            text += "\n\nclassification: \(column.governance.classification?.label ?? "none")"
            text += " · masking in \(environment): \(strategy.rawValue)"
            if let description = column.governance.description { text += "\n\n" + description }
            parts.append(text)
        }
        // An output column of the document's statements: its type and lineage.
        for statement in analysis.statements {
            for column in statement.outputColumns where column.name.lowercased() == word.text.lowercased()
                && column.range.start.offset <= word.offset && word.offset <= column.range.end.offset + word.text.utf8.count {
                var text = "**output \(column.name)** `\(column.type.name)` \(column.nullable ? "nullable" : "NOT NULL")"
                if let lineage = statement.lineage.columns.first(where: { $0.name == column.name }) {
                    text += "\n\n" + LanguageServer.lineageSummary(lineage)
                }
                parts.append(text)
            }
        }
        if parts.isEmpty, analysis.modelNames.contains(where: { $0.lowercased() == word.text.lowercased() }) {
            parts.append("**model \(word.text)** (models/\(word.text).sql), not built in the working set")
        }
        return parts.isEmpty ? .null : markdown(parts.joined(separator: "\n\n---\n\n"))
    }

    static func lineageSummary(_ column: OutputColumnLineage) -> String {
        let sources = column.inputs.filter { $0.transform.isDirect }.map { edge in
            "\(edge.source) (\(edge.transform.rawValue)\(edge.isMasked ? ", masked \(edge.masking!.rawValue)" : ""))"
        }
        var text = "lineage: " + (sources.isEmpty ? "no source column" : "<- " + sources.joined(separator: ", "))
        if let c = column.classification { text += " · classification: \(c.label)" }
        if column.masked { text += " · masked" }
        return text
    }

    func tableHover(_ table: CatalogTable, _ analysis: Analysis) -> String {
        var text = "**table \(table.name)**"
        if analysis.modelNames.contains(where: { $0.lowercased() == table.name.lowercased() }) { text += " (model)" }
        text += "\n\nkey: " + (table.primaryKey.isEmpty ? "none" : table.primaryKey.joined(separator: ", "))
        if let time = table.timeColumn { text += " · time column: \(time)" }
        if let repo = analysis.repository {
            if let (_, stored) = try? repo.table(table.name, at: nil) {
                text += " · rows: \(stored.rowCount)"
            } else {
                text += " · not in the working set"
            }
            if var log = try? repo.log(table: table.name), let last = try? log.next() {
                let message = last.commit.message.split(separator: "\n").first.map(String.init) ?? ""
                text += "\n\nlast commit: \(last.id.short()) \(message) (\(last.commit.actor), \(last.commit.time))"
            }
        }
        text += "\n\n" + table.columns.map { "- `\($0.name)` \($0.type.name)\($0.nullable ? "" : " NOT NULL")" }.joined(separator: "\n")
        return text
    }

    func markdown(_ text: String) -> JSON {
        .object(["contents": .object(["kind": .string("markdown"), "value": .string(text)])])
    }

    // MARK: Completion

    static let keywords = ["SELECT", "FROM", "WHERE", "GROUP BY", "ORDER BY", "HAVING", "LIMIT", "OFFSET", "JOIN", "LEFT JOIN",
                           "INNER JOIN", "CROSS JOIN", "ON", "USING", "AS", "WITH", "UNION", "UNION ALL", "EXCEPT", "INTERSECT",
                           "DISTINCT", "CASE", "WHEN", "THEN", "ELSE", "END", "AND", "OR", "NOT", "IN", "IS", "NULL", "LIKE",
                           "BETWEEN", "EXISTS", "CAST", "EXTRACT", "OVER", "PARTITION BY", "ASC", "DESC", "TRUE", "FALSE",
                           "INSERT INTO", "VALUES", "UPDATE", "SET", "DELETE FROM", "CREATE TABLE", "DROP TABLE", "ALTER TABLE"]
    /// The functions the compiler binds (Binder+Functions.swift).
    static let functions = ["count", "sum", "avg", "min", "max", "stddev", "stddev_samp", "stddev_pop", "variance", "var_samp",
                            "var_pop", "abs", "ceil", "ceiling", "coalesce", "concat", "date_part", "date_trunc", "dense_rank",
                            "exp", "first_value", "floor", "lag", "last_value", "lead", "length", "ln", "lower", "nullif",
                            "pow", "power", "rank", "round", "row_number", "sqrt", "substr", "substring", "trim", "upper"]

    func completion(uri: String, position: (line: Int, character: Int)) throws -> JSON {
        let analysis = analyze(uri)
        let word = LanguageServer.word(at: position, lines: analysis.lines, text: analysis.text)
        let scope = LanguageServer.tablesInScope(LanguageServer.statement(around: word?.offset ?? 0, in: analysis.text),
                                                 catalog: analysis.catalog)
        var items: [JSON] = []
        func item(_ label: String, kind: Int, detail: String) {
            items.append(.object(["label": .string(label), "kind": .int(kind), "detail": .string(detail)]))
        }
        func columns(of table: CatalogTable) {
            for column in table.columns {
                let strategy = analysis.options.masking.strategy(for: column.governance, environment: analysis.options.environment)
                item(column.name, kind: 5, detail: "\(table.name).\(column.name) \(column.type.name)"
                     + (strategy == .none ? "" : " (masked: \(strategy.rawValue))"))
            }
        }
        if let qualifier = word?.qualifier?.lowercased() {
            var seen: Set<String> = []
            for (alias, table) in scope where alias == qualifier && seen.insert(table.name.lowercased()).inserted { columns(of: table) }
            if items.isEmpty, let table = analysis.catalog.table(named: qualifier) { columns(of: table) }
            return .object(["isIncomplete": .bool(false), "items": .array(items)])
        }
        var seen: Set<String> = []
        for (_, table) in scope where seen.insert(table.name.lowercased()).inserted { columns(of: table) }
        for name in analysis.catalog.tableNames {
            let isModel = analysis.modelNames.contains { $0.lowercased() == name.lowercased() }
            item(name, kind: 7, detail: isModel ? "model" : "table")
        }
        for name in analysis.modelNames where analysis.catalog.table(named: name) == nil { item(name, kind: 7, detail: "model") }
        for name in LanguageServer.functions { item(name, kind: 3, detail: "function") }
        for keyword in LanguageServer.keywords { item(keyword, kind: 14, detail: "keyword") }
        return .object(["isIncomplete": .bool(false), "items": .array(items)])
    }

    // MARK: Lineage

    /// `rocky/lineage`: the lineage of the output column under the position
    /// (its name, in the statement around it), in the shape of `rocky
    /// lineage --sql --json` (Docs/lineage.md) with only that column; null
    /// when the position is on no output column.
    func lineage(uri: String, position: (line: Int, character: Int)) throws -> JSON {
        let analysis = analyze(uri)
        guard let word = LanguageServer.word(at: position, lines: analysis.lines, text: analysis.text), !word.text.isEmpty,
              let statement = analysis.statements.first(where: { $0.range.start.offset <= word.offset && word.offset <= $0.range.end.offset }),
              let column = statement.lineage.columns.first(where: { $0.name.lowercased() == word.text.lowercased() }) else { return .null }
        var lineage = statement.lineage
        lineage.columns = [column]
        return .object([
            JSON.Member("column", .string(column.name)),
            JSON.Member("statement", .int(statement.index + 1)),
            JSON.Member("lineage", JSONContract.normalized(lineage.json)),
        ])
    }

    // MARK: Definition and symbols

    func definition(uri: String, position: (line: Int, character: Int)) throws -> JSON {
        let analysis = analyze(uri)
        guard let word = LanguageServer.word(at: position, lines: analysis.lines, text: analysis.text), word.qualifier == nil,
              let folder = analysis.modelsFolder,
              let model = analysis.modelNames.first(where: { $0.lowercased() == word.text.lowercased() }) else { return .null }
        let zero = JSON.object(["line": .int(0), "character": .int(0)])
        return .object([
            JSON.Member("uri", .string(URL(fileURLWithPath: folder + "/" + model + ".sql").absoluteString)),
            JSON.Member("range", .object(["start": zero, "end": zero])),
        ])
    }

    func symbols(uri: String) throws -> JSON {
        let analysis = analyze(uri)
        var symbols: [JSON] = []
        func symbol(_ name: String, kind: Int, range: JSON, children: [JSON] = []) -> JSON {
            .object(["name": .string(name), "kind": .int(kind), "range": range, "selectionRange": range, "children": .array(children)])
        }
        // CTEs: `WITH name AS (` and `, name AS (`.
        if let regex = try? NSRegularExpression(pattern: #"(?i)(?:\bwith\s+(?:recursive\s+)?|,\s*)([A-Za-z_][A-Za-z0-9_]*)\s+as\s*\("#) {
            let ns = analysis.text as NSString
            for match in regex.matches(in: analysis.text, range: NSRange(location: 0, length: ns.length)) {
                let r = match.range(at: 1)
                let start = LanguageServer.utf16Position(r.location, in: analysis.lines)
                let end = LanguageServer.utf16Position(r.location + r.length, in: analysis.lines)
                symbols.append(symbol(ns.substring(with: r), kind: 5, range: .object(["start": start, "end": end])))
            }
        }
        for statement in analysis.statements {
            let columns = statement.outputColumns.map { column in
                symbol(column.name, kind: 8, range: LanguageServer.lspRange(column.range, lines: analysis.lines))
            }
            let name = analysis.model ?? statement.targetTable ?? "statement \(statement.index + 1)"
            symbols.append(symbol(name, kind: 23, range: LanguageServer.lspRange(statement.range, lines: analysis.lines), children: columns))
        }
        return .array(symbols)
    }

    /// A UTF-16 offset in the whole text as an LSP position.
    static func utf16Position(_ offset: Int, in lines: [Substring]) -> JSON {
        var left = offset
        for (number, line) in lines.enumerated() {
            let count = line.utf16.count
            if left <= count { return .object(["line": .int(number), "character": .int(left)]) }
            left -= count + 1
        }
        return .object(["line": .int(max(lines.count - 1, 0)), "character": .int(0)])
    }
}
