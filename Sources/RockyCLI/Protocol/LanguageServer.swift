import Foundation
import Glibc
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
                    JSON.Member("signatureHelpProvider", .object(["triggerCharacters": .array([.string("("), .string(",")])])),
                    JSON.Member("definitionProvider", .bool(true)),
                    JSON.Member("referencesProvider", .bool(true)),
                    JSON.Member("documentSymbolProvider", .bool(true)),
                    JSON.Member("codeLensProvider", .object(["resolveProvider": .bool(false)])),
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
        case "textDocument/signatureHelp":
            let (uri, position) = try location(params)
            return signatureHelp(uri: uri, position: position)
        case "textDocument/definition":
            let (uri, position) = try location(params)
            return try definition(uri: uri, position: position)
        case "textDocument/references":
            let (uri, position) = try location(params)
            let declaration = params?["context"]?["includeDeclaration"]?.boolValue ?? false
            return try references(uri: uri, position: position, includeDeclaration: declaration)
        case "textDocument/codeLens":
            guard let uri = params?["textDocument"]?["uri"]?.stringValue else { throw RPC.Failure(RPC.invalidParams, "textDocument.uri is required") }
            return codeLens(uri: uri)
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
            analyses[uri] = nil
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

    /// What the documents of one repository are compiled against, kept
    /// while the repository's state stays the same (`RepositoryState.stamp`):
    /// the committed and working-set tables, the environment's options, the
    /// models in build order, and the catalog each model sees.
    final class RepositoryState {
        let repository: Repository
        let stamp: String
        let environment: String
        var options: CompileOptions
        var base: CatalogOverlay
        var models: [Model] = []
        var modelsFolder: String
        /// Why the repository cannot be checked (a refused environment...): every document's diagnostic.
        var failure: Error?
        /// The catalog a document sees: every model but the one named (lowercased; "" for none) built.
        var contexts: [String: CatalogOverlay] = [:]
        /// Last runs by model (lowercased), for code lenses.
        var lastRuns: [String: ModelRun?] = [:]

        init(repository: Repository, stamp: String, environment: String) {
            self.repository = repository
            self.stamp = stamp
            self.environment = environment
            options = CompileOptions(environment: environment)
            base = CatalogOverlay(InMemoryCatalog())
            modelsFolder = repository.workDirectory + "/models"
            do {
                // As `rocky check`: the actor must be allowed to use the environment on the branch.
                try repository.authorize(.use, branch: try repository.currentBranch(), environment: environment)
                options = try repository.compileOptions()
                base = CatalogOverlay(try repository.catalog(at: nil))
                // The models in the order `rocky run` builds them (on a cycle, by name).
                models = try (try? repository.modelOrder()) ?? repository.models()
            } catch {
                failure = error
            }
        }

        var modelNames: [String] { models.map(\.name) }

        /// The catalog with every model but `excluded` built, each seeing the ones before it.
        func context(excluding excluded: String?) -> CatalogOverlay {
            let key = excluded?.lowercased() ?? ""
            if let known = contexts[key] { return known }
            var catalog = base
            for model in models where model.name.lowercased() != key {
                if let statement = Repository.compileModel(model, catalog: catalog, options: options).statement {
                    catalog.apply(statement)
                }
            }
            contexts[key] = catalog
            return catalog
        }

        func lastRun(_ model: String) -> ModelRun? {
            if let known = lastRuns[model.lowercased()] { return known }
            let run = try? repository.lastRun(ofModel: model)
            lastRuns[model.lowercased()] = .some(run)
            return run
        }
    }

    /// A document compiled against its repository.
    struct Analysis {
        var text: String
        var lines: [Substring]
        var state: RepositoryState?
        var repository: Repository? { state?.repository }
        var catalog: CatalogOverlay
        var options: CompileOptions
        /// The model the document is, when it is models/<name>.sql.
        var model: String?
        var modelNames: [String]
        var modelsFolder: String?
        var diagnostics: [JSON]
        /// The document's statements as compiled on their own (positions in
        /// the text): compiled at the first request that needs them, not
        /// for diagnostics (a model's come from compiling it as its table).
        let compiledStatements = Lazy<[CompiledStatement]>()
        var statements: [CompiledStatement] {
            compiledStatements.value { SQLCompiler.compile(text, catalog: catalog, options: options).statements }
        }
    }

    /// A value computed once, on first use, and shared by the copies of an `Analysis`.
    final class Lazy<Value> {
        private var stored: Value?
        @discardableResult func value(_ make: () -> Value) -> Value {
            if let stored { return stored }
            let made = make()
            stored = made
            return made
        }
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

    /// The work directory of each folder a document was in.
    private var roots: [String: String] = [:]
    private var states: [String: RepositoryState] = [:]
    /// The last analysis of each document, reused while its text, the
    /// environment and its repository's stamp are the same.
    private var analyses: [String: Analysis] = [:]

    /// What changes when the repository does, read without a lock: HEAD,
    /// the checked-out branch's ref and working set, the project file and
    /// the models folder (names, sizes, times). A commit, a working-set
    /// change, a config change or an edited model changes it.
    static func stamp(of workDirectory: String) -> String {
        var parts: [String] = []
        func note(_ path: String) {
            var info = stat()
            if stat(path, &info) == 0 {
                parts.append("\(path):\(info.st_ino):\(info.st_size):\(info.st_mtim.tv_sec).\(info.st_mtim.tv_nsec)")
            } else {
                parts.append(path + ":-")
            }
        }
        func contents(_ path: String) -> String {
            let text = (FileManager.default.contents(atPath: path)).map { String(decoding: $0, as: UTF8.self) } ?? "-"
            parts.append(path + "=" + text)
            return text
        }
        let dot = workDirectory + "/.rocky"
        let head = contents(dot + "/HEAD").trimmingCharacters(in: .whitespacesAndNewlines)
        if head.hasPrefix("ref: ") {
            let ref = String(head.dropFirst(5))
            _ = contents(dot + "/" + ref)
            if ref.hasPrefix("refs/heads/") { _ = contents(dot + "/refs/worksets/" + ref.dropFirst("refs/heads/".count)) }
        } else {
            _ = contents(dot + "/refs/worksets/HEAD")
        }
        note(dot + "/config")
        note(workDirectory + "/rocky.toml")
        let models = workDirectory + "/models"
        note(models)
        for name in ((try? FileManager.default.contentsOfDirectory(atPath: models)) ?? []).sorted() where name.hasSuffix(".sql") {
            note(models + "/" + name)
        }
        return parts.joined(separator: "\n")
    }

    /// The repository state for a document's folder: kept while its stamp
    /// and the environment stay the same, else read again.
    func state(forFolder folder: String) -> RepositoryState? {
        let root: String
        if let known = roots[folder] {
            root = known
        } else {
            guard let repo = try? Repository.open(discoveringFrom: folder, settings: settings) else { return nil }
            root = repo.workDirectory
            roots[folder] = root
        }
        let stamp = LanguageServer.stamp(of: root)
        if let state = states[root], state.stamp == stamp, state.environment == settings.environment { return state }
        guard let repo = try? Repository.open(discoveringFrom: root, settings: settings) else {
            roots[folder] = nil
            states[root] = nil
            return nil
        }
        let state = RepositoryState(repository: repo, stamp: stamp, environment: settings.environment)
        states[root] = state
        return state
    }

    func analyze(_ uri: String) -> Analysis {
        let text = self.text(of: uri) ?? ""
        let path = LanguageServer.path(of: uri)
        let current = path.flatMap { self.state(forFolder: ($0 as NSString).deletingLastPathComponent) }
        if let known = analyses[uri], known.text == text, known.state === current, known.options.environment == settings.environment {
            return known
        }
        let analysis = compile(text, path: path, state: current)
        analyses[uri] = analysis
        return analysis
    }

    func compile(_ text: String, path: String?, state: RepositoryState?) -> Analysis {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        var analysis = Analysis(text: text, lines: lines, state: state, catalog: CatalogOverlay(InMemoryCatalog()),
                                options: CompileOptions(environment: settings.environment), model: nil, modelNames: [],
                                modelsFolder: nil, diagnostics: [])
        guard let path, let state else { return analysis } // not in a repository: nothing to check against
        if let error = state.failure {
            analysis.diagnostics = [LanguageServer.diagnostic(message: String(describing: error), code: ExitCode.code(of: error), lines: lines)]
            return analysis
        }
        analysis.options = state.options
        analysis.modelsFolder = state.modelsFolder
        analysis.modelNames = state.modelNames
        if (path as NSString).deletingLastPathComponent == state.modelsFolder, path.hasSuffix(".sql") {
            analysis.model = String((path as NSString).lastPathComponent.dropLast(4))
        }
        let catalog = state.context(excluding: analysis.model)
        analysis.catalog = catalog
        if let name = analysis.model {
            let compiled = Repository.compileModel(Model(name: name, sql: text), catalog: catalog, options: analysis.options)
            analysis.diagnostics = compiled.diagnostics.map { diagnostic(for: $0, lines: lines) }
            if let shape = compiled.shapeError {
                analysis.diagnostics.append(LanguageServer.diagnostic(message: shape, code: "model_shape", lines: lines))
            }
        } else {
            let script = SQLCompiler.compile(text, catalog: catalog, options: analysis.options)
            analysis.compiledStatements.value { script.statements }
            analysis.diagnostics = script.diagnostics.map { diagnostic(for: $0, lines: lines) }
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
    /// The functions the compiler binds (RockySQL's FunctionSignatures.swift).
    static let functions = SQLCompiler.functions.map(\.name)

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
        for function in SQLCompiler.functions { item(function.name, kind: 3, detail: function.label) }
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

    /// Go to definition: a model's name opens models/<name>.sql; a column
    /// of a model, its output column there; a plain table (or its column)
    /// opens its schema, written as a read-only `CREATE TABLE` file in the
    /// server's temporary folder (`schemaFolder`), which every client can
    /// open as any file.
    func definition(uri: String, position: (line: Int, character: Int)) throws -> JSON {
        let analysis = analyze(uri)
        guard let word = LanguageServer.word(at: position, lines: analysis.lines, text: analysis.text), !word.text.isEmpty else { return .null }
        let key = word.text.lowercased()
        if word.qualifier == nil {
            if let folder = analysis.modelsFolder, let model = analysis.modelNames.first(where: { $0.lowercased() == key }) {
                return LanguageServer.location(URL(fileURLWithPath: folder + "/" + model + ".sql").absoluteString, line: 0, start: 0, end: 0)
            }
            if let table = analysis.catalog.table(named: word.text) { return schemaLocation(table, column: nil, analysis) }
        }
        let scope = LanguageServer.tablesInScope(LanguageServer.statement(around: word.offset, in: analysis.text), catalog: analysis.catalog)
        var candidates = scope.map(\.table)
        if let qualifier = word.qualifier?.lowercased() {
            candidates = scope.filter { $0.alias == qualifier }.map(\.table)
            if candidates.isEmpty, let table = analysis.catalog.table(named: qualifier) { candidates = [table] }
        }
        for table in candidates where table.columns.contains(where: { $0.name.lowercased() == key }) {
            if let model = analysis.modelNames.first(where: { $0.lowercased() == table.name.lowercased() }),
               let location = modelColumnLocation(model: model, column: key, analysis) {
                return location
            }
            return schemaLocation(table, column: key, analysis)
        }
        return .null
    }

    static func location(_ uri: String, line: Int, start: Int, end: Int) -> JSON {
        .object([
            JSON.Member("uri", .string(uri)),
            JSON.Member("range", .object(["start": .object(["line": .int(line), "character": .int(start)]),
                                          "end": .object(["line": .int(line), "character": .int(end)])])),
        ])
    }

    /// Where go to definition writes tables' schemas; removed when the server ends.
    let schemaFolder = NSTemporaryDirectory() + "rocky-lsp-\(getpid())"

    /// A table's schema as a read-only SQL file (rewritten at each request,
    /// so it shows the table as it is now), and the location of the table's
    /// name or of one column in it.
    func schemaLocation(_ table: CatalogTable, column: String?, _ analysis: Analysis) -> JSON {
        let environment = analysis.options.environment
        var lines = ["-- \(table.name): its schema as rocky lsp read it (read-only; editing this file changes nothing)"]
        var facts = ["key: " + (table.primaryKey.isEmpty ? "none" : table.primaryKey.joined(separator: ", "))]
        if let time = table.timeColumn { facts.append("time column: \(time)") }
        if let repo = analysis.repository {
            if let (_, stored) = try? repo.table(table.name, at: nil) { facts.append("rows: \(stored.rowCount)") }
            if var log = try? repo.log(table: table.name), let last = try? log.next() {
                let message = last.commit.message.split(separator: "\n").first.map(String.init) ?? ""
                facts.append("last commit: \(last.id.short()) \(message)")
            }
        }
        lines.append("-- " + facts.joined(separator: " · "))
        let nameLine = lines.count
        lines.append("CREATE TABLE \(table.name) (")
        var target = (line: nameLine, start: 13, end: 13 + table.name.utf16.count)
        for (index, c) in table.columns.enumerated() {
            let strategy = analysis.options.masking.strategy(for: c.governance, environment: environment)
            var text = "    \(c.name) \(c.type.name)\(c.nullable ? "" : " NOT NULL")"
            if index < table.columns.count - 1 || !table.primaryKey.isEmpty { text += "," }
            var notes: [String] = []
            if let classification = c.governance.classification { notes.append("classification: \(classification.label)") }
            if strategy != .none { notes.append("masking in \(environment): \(strategy.rawValue)") }
            if let description = c.governance.description { notes.append(description.replacingOccurrences(of: "\n", with: " ")) }
            if !notes.isEmpty { text += "  -- " + notes.joined(separator: " · ") }
            if c.name.lowercased() == column { target = (lines.count, 4, 4 + c.name.utf16.count) }
            lines.append(text)
        }
        if !table.primaryKey.isEmpty { lines.append("    PRIMARY KEY (\(table.primaryKey.joined(separator: ", ")))") }
        lines.append(");")
        let safe = table.name.map { $0.isLetter || $0.isNumber || $0 == "_" ? $0 : "_" }
        let path = schemaFolder + "/" + String(safe) + ".sql"
        do {
            try FileManager.default.createDirectory(atPath: schemaFolder, withIntermediateDirectories: true)
            try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            return .null
        }
        return LanguageServer.location(URL(fileURLWithPath: path).absoluteString, line: target.line, start: target.start, end: target.end)
    }

    /// An output column of a model, in its file (its unsaved text when open).
    func modelColumnLocation(model: String, column: String, _ analysis: Analysis) -> JSON? {
        guard let folder = analysis.modelsFolder, let state = analysis.state else { return nil }
        let uri = URL(fileURLWithPath: folder + "/" + model + ".sql").absoluteString
        guard let text = text(of: uri) else { return nil }
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        let script = SQLCompiler.compile(text, catalog: state.context(excluding: model), options: state.options)
        guard let output = script.statements.first?.outputColumns.first(where: { $0.name.lowercased() == column }) else { return nil }
        return .object(["uri": .string(uri), "range": LanguageServer.lspRange(output.range, lines: lines)])
    }

    // MARK: References

    /// Find references: a table's or model's name where a statement reads or
    /// writes it (FROM, JOIN, INSERT, UPDATE...), and a column where a
    /// statement names it with the table in its FROM, in every model and in
    /// the document itself (open documents as edited). With the
    /// declaration: the model's file, or the model's output column.
    func references(uri: String, position: (line: Int, character: Int), includeDeclaration: Bool) throws -> JSON {
        let analysis = analyze(uri)
        guard let word = LanguageServer.word(at: position, lines: analysis.lines, text: analysis.text), !word.text.isEmpty else { return .array([]) }
        let key = word.text.lowercased()
        enum Target { case table(String), column(String, tables: Set<String>) }
        var target: Target?
        let here = SQLCompiler.nameReferences(in: analysis.text).first { $0.range.start.offset <= word.offset && word.offset <= $0.range.end.offset }
        if let here, here.key == key {
            target = here.kind == .table ? .table(key) : .column(key, tables: Set(here.tables))
        } else if word.qualifier == nil, analysis.catalog.table(named: key) != nil || analysis.modelNames.contains(where: { $0.lowercased() == key }) {
            target = .table(key)
        } else if let model = analysis.model?.lowercased(), analysis.statements.first?.outputColumns.contains(where: { $0.name.lowercased() == key }) == true {
            target = .column(key, tables: [model]) // an output column of this model
        }
        guard let target else { return .array([]) }
        if case let .column(_, tables) = target, tables.isEmpty { return .array([]) }

        var files: [(uri: String, text: String)] = []
        if let folder = analysis.modelsFolder {
            for name in analysis.modelNames {
                let modelURI = URL(fileURLWithPath: folder + "/" + name + ".sql").absoluteString
                if let text = text(of: modelURI) { files.append((modelURI, text)) }
            }
        }
        let ownPath = LanguageServer.path(of: uri)
        if !files.contains(where: { LanguageServer.path(of: $0.uri) == ownPath }) { files.insert((uri, analysis.text), at: 0) }

        var locations: [JSON] = []
        for file in files {
            let lines = file.text.split(separator: "\n", omittingEmptySubsequences: false)
            for reference in SQLCompiler.nameReferences(in: file.text) where reference.key == key {
                switch (target, reference.kind) {
                case (.table, .table): break
                case let (.column(_, tables), .column) where !tables.isDisjoint(with: reference.tables): break
                default: continue
                }
                locations.append(.object(["uri": .string(file.uri), "range": LanguageServer.lspRange(reference.range, lines: lines)]))
            }
        }
        if includeDeclaration, let folder = analysis.modelsFolder {
            switch target {
            case .table:
                if let model = analysis.modelNames.first(where: { $0.lowercased() == key }) {
                    locations.insert(LanguageServer.location(URL(fileURLWithPath: folder + "/" + model + ".sql").absoluteString,
                                                             line: 0, start: 0, end: 0), at: 0)
                }
            case let .column(_, tables):
                for model in analysis.modelNames where tables.contains(model.lowercased()) {
                    if let location = modelColumnLocation(model: model, column: key, analysis) { locations.insert(location, at: 0) }
                }
            }
        }
        return .array(locations)
    }

    // MARK: Signature help

    /// Signature help: the innermost function call the position is inside
    /// (read from the text before it, skipping strings and comments), its
    /// signature from the compiler's function table and the argument the
    /// position is at. Null inside a parenthesis that is no function's
    /// (`OVER (`, `IN (`, a subquery).
    func signatureHelp(uri: String, position: (line: Int, character: Int)) -> JSON {
        let text = self.text(of: uri) ?? ""
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        guard let word = LanguageServer.word(at: position, lines: lines, text: text) else { return .null }
        let bytes = Array(text.utf8)
        let end = min(word.offset, bytes.count)
        var stack: [(name: String?, commas: Int)] = []
        var lastWord: String?
        var i = 0
        func isWordByte(_ b: UInt8) -> Bool { b == 95 || (b >= 48 && b <= 57) || (b >= 65 && b <= 90) || (b >= 97 && b <= 122) || b > 127 }
        while i < end {
            let b = bytes[i]
            switch b {
            case UInt8(ascii: "'"):
                i += 1
                while i < end, bytes[i] != UInt8(ascii: "'") { i += 1 }
                lastWord = nil
            case UInt8(ascii: "\""):
                let start = i + 1
                i += 1
                while i < end, bytes[i] != UInt8(ascii: "\"") { i += 1 }
                lastWord = String(decoding: bytes[start..<min(i, end)], as: UTF8.self)
            case UInt8(ascii: "-") where i + 1 < end && bytes[i + 1] == UInt8(ascii: "-"):
                while i < end, bytes[i] != UInt8(ascii: "\n") { i += 1 }
            case UInt8(ascii: "/") where i + 1 < end && bytes[i + 1] == UInt8(ascii: "*"):
                i += 2
                while i + 1 < end, !(bytes[i] == UInt8(ascii: "*") && bytes[i + 1] == UInt8(ascii: "/")) { i += 1 }
                i += 1
            case UInt8(ascii: ";"):
                stack.removeAll()
                lastWord = nil
            case UInt8(ascii: "("):
                stack.append((lastWord, 0))
                lastWord = nil
            case UInt8(ascii: ")"):
                if !stack.isEmpty { stack.removeLast() }
                lastWord = nil
            case UInt8(ascii: ","):
                if !stack.isEmpty { stack[stack.count - 1].commas += 1 }
                lastWord = nil
            case 32, 9, 10, 13:
                break
            default:
                if isWordByte(b) {
                    let start = i
                    while i + 1 < end, isWordByte(bytes[i + 1]) { i += 1 }
                    lastWord = String(decoding: bytes[start...i], as: UTF8.self)
                } else {
                    lastWord = nil
                }
            }
            i += 1
        }
        for entry in stack.reversed() {
            guard let name = entry.name else { continue } // a parenthesized expression: look further out
            guard let function = SQLCompiler.function(named: name) else { return .null }
            let label = function.label
            var parameters: [JSON] = []
            var searchFrom = label.utf16.index(label.utf16.startIndex, offsetBy: function.name.utf16.count + 1)
            for parameter in function.parameters {
                guard let range = label[searchFrom...].range(of: parameter) else { break }
                let start = label.utf16.distance(from: label.utf16.startIndex, to: range.lowerBound)
                parameters.append(.object(["label": .array([.int(start), .int(start + parameter.utf16.count)])]))
                searchFrom = range.upperBound
            }
            let active = function.parameters.isEmpty ? 0 : min(entry.commas, function.parameters.count - 1)
            var documentation = function.summary + " (\(function.kind.rawValue) function)"
            if function.variadic { documentation += "; takes any number of arguments" }
            return .object([
                JSON.Member("signatures", .array([.object([
                    JSON.Member("label", .string(label)),
                    JSON.Member("documentation", .string(documentation)),
                    JSON.Member("parameters", .array(parameters)),
                ])])),
                JSON.Member("activeSignature", .int(0)),
                JSON.Member("activeParameter", .int(active)),
            ])
        }
        return .null
    }

    // MARK: Code lens

    /// A code lens on the first line of a model: its last run on the
    /// checked-out branch (rows written, cost, time; from the working set
    /// or the commit that recorded it), or that it has not run. The lens is
    /// information only: its command is empty.
    func codeLens(uri: String) -> JSON {
        let analysis = analyze(uri)
        guard let model = analysis.model, let state = analysis.state, state.failure == nil else { return .array([]) }
        let title: String
        if let run = state.lastRun(model) {
            let seconds = run.seconds < 1 ? "\(Int((run.seconds * 1000).rounded())) ms" : String(format: "%.1f s", run.seconds)
            let when = run.commit.map { "commit \($0.short())" + (run.time.map { " at \($0)" } ?? "") } ?? "in the working set"
            title = "last run: \(run.rowsWritten) rows · \(run.cost) \(run.currency) · \(seconds)\(run.reused ? " (reused)" : "") · \(when)"
        } else {
            title = "not run yet on this branch"
        }
        let end = analysis.lines.first?.utf16.count ?? 0
        return .array([.object([
            JSON.Member("range", .object(["start": .object(["line": .int(0), "character": .int(0)]),
                                          "end": .object(["line": .int(0), "character": .int(end)])])),
            JSON.Member("command", .object(["title": .string(title), "command": .string("")])),
        ])])
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
