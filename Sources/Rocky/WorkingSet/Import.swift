import Foundation
import RockyBase
import RockyStore
import RockyTable

/// The file formats `import` reads and `export` writes: CSV, TSV (CSV's
/// rules with a tab between fields) and JSON Lines.
public enum TableFormat: String, Sendable, CaseIterable {
    case csv, tsv, jsonl

    /// The extensions each format is known by.
    public static let extensions: [(String, TableFormat)] = [
        ("csv", .csv), ("txt", .csv), ("tsv", .tsv), ("tab", .tsv), ("jsonl", .jsonl), ("ndjson", .jsonl), ("json", .jsonl),
    ]

    /// `CSV (.csv), TSV (.tsv) and JSON Lines (.jsonl, .ndjson)`, for messages.
    public static let readable = "CSV (.csv), TSV (.tsv) and JSON Lines (.jsonl, .ndjson)"

    /// The format a file's extension names (`.csv`, `.txt`: CSV; `.tsv`,
    /// `.tab`: TSV; `.jsonl`, `.ndjson`, `.json`: JSON Lines); nil when the
    /// name has no extension (`-` for standard input included: an
    /// extension has a letter, so `prices.2026-05-20` has none). Another
    /// extension (`.parquet`, `.xlsx`, `.gz`) is a format Rocky does not
    /// read or write: an `invalidArgument` naming the ones it does.
    public static func of(path: String, writing: Bool = false) throws -> TableFormat? {
        let name = path.split(separator: "/").last.map(String.init) ?? path
        guard let dot = name.lastIndex(of: "."), dot != name.startIndex else { return nil }
        let ext = name[name.index(after: dot)...].lowercased()
        guard !ext.isEmpty, ext.allSatisfy({ $0.isLetter || $0.isNumber }), ext.contains(where: \.isLetter) else { return nil }
        if let (_, format) = extensions.first(where: { $0.0 == ext }) { return format }
        throw RepositoryError.invalidArgument(
            "\(path): rocky \(writing ? "export writes" : "import reads") \(readable), not .\(ext)"
                + (writing ? "; name the file so, or give --format" : "; convert the file to one of these, or give --format if it is one"))
    }

    /// The byte between fields (nil for JSON Lines).
    var defaultDelimiter: UInt8? {
        switch self {
        case .csv: UInt8(ascii: ",")
        case .tsv: 0x09
        case .jsonl: nil
        }
    }
}

/// What `rocky import` asks for.
public struct ImportRequest: Sendable {
    public var table: String
    /// A file path, or `-` for standard input.
    public var path: String
    /// Nil: from the file's extension, or (without one) from its first bytes.
    public var format: TableFormat?
    /// The byte between CSV fields (default: `,` for CSV, a tab for TSV).
    public var delimiter: UInt8?
    /// `--mode replace` of an existing table infers every column's type
    /// afresh; without it, the columns the table has keep their types.
    public var infer: Bool
    /// Key column names; nil keeps the table's key (a new table without one is keyless).
    public var key: [String]?
    /// A schema file (JSON, Docs/import.md) whose declared types are enforced.
    public var schemaFile: String?
    public var timeColumn: String?
    public var mode: ImportMode
    /// Commit at once with this message.
    public var commitMessage: String?
    /// When another process changed the branch or its working set
    /// meanwhile, import again on the new state up to this many times.
    public var retries: Int
    /// How large a record and a field of the file may be.
    public var limits: InputLimits

    public init(table: String, path: String, format: TableFormat? = nil, key: [String]? = nil, schemaFile: String? = nil,
                timeColumn: String? = nil, mode: ImportMode = .replace, commitMessage: String? = nil, retries: Int = 0,
                limits: InputLimits = InputLimits(), delimiter: UInt8? = nil, infer: Bool = false) {
        self.limits = limits
        self.delimiter = delimiter
        self.infer = infer
        self.commitMessage = commitMessage
        self.retries = retries
        self.table = table
        self.path = path
        self.format = format
        self.key = key
        self.schemaFile = schemaFile
        self.timeColumn = timeColumn
        self.mode = mode
    }
}

/// What an import did.
public struct ImportSummary: Sendable {
    public var table: String
    public var id: ObjectID
    public var created: Bool
    public var rowsRead: Int
    public var rowsInTable: Int
    /// The inferred types, when no schema was given or kept.
    public var inferred: [InferredColumn]?
    public var schema: Schema
    public var schemaChanges: [SchemaChange]
    /// The commit, when the import was committed at once.
    public var commit: ObjectID? = nil
}

extension Repository {
    /// Imports a CSV, TSV or JSON Lines file into a table of the working set.
    ///
    /// A file that is not UTF-8 text (Parquet, a spreadsheet, compressed or
    /// binary: `ContentSniff`), or whose extension names another format, is
    /// refused before anything is read. Without a schema file, a new table's
    /// types are inferred in a first pass over the file (and reported); an
    /// existing table keeps its types (in every mode; `infer` re-infers them
    /// for `--mode replace`) and its column ids for columns of the same
    /// name, and only columns new to it are inferred. A bad row stops the
    /// import with file:line:column, and nothing is written: no object, no ref.
    @discardableResult
    public func importTable(_ request: ImportRequest, progress: ((ImportProgress) -> Void)? = nil) throws -> ImportSummary {
        let context = try gate(.importTable); defer { context.end() }
        try Repository.validateTableName(request.table)
        if request.infer && (request.mode != .replace || request.schemaFile != nil) {
            throw RepositoryError.invalidArgument(request.schemaFile != nil
                ? "--infer and --schema exclude each other: the schema file declares the types"
                : "--infer applies to --mode replace; --mode \(request.mode.rawValue) keeps the table's types")
        }
        let named = request.path == "-" || request.format != nil ? nil : try TableFormat.of(path: request.path)
        let (path, display, cleanup) = try spoolIfStandardInput(request.path, limits: request.limits)
        defer { cleanup() }
        let prefix = ContentSniff.prefix(ofFile: path)
        if let prefix, let kind = ContentSniff.binaryKind(of: prefix) {
            throw RepositoryError.invalidArgument("\(display) looks like \(kind), not text: rocky import reads \(TableFormat.readable), "
                                                  + "as UTF-8 text; convert it to one of these first")
        }
        let format = request.format ?? named ?? prefix.map {
            switch ContentSniff.textFormat(of: $0) {
            case .csv: .csv
            case .tsv: .tsv
            case .jsonl: .jsonl
            }
        } ?? .csv
        if request.delimiter != nil && format == .jsonl {
            throw RepositoryError.invalidArgument("--delimiter applies to CSV and TSV, not to JSON Lines (\(display))")
        }
        let delimiter = request.delimiter ?? format.defaultDelimiter ?? UInt8(ascii: ",")
        let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int64) ?? nil
        let target = try currentTarget()
        try context.authorize(.write, branch: target.branch)
        let masking = try maskingInForce()
        return try retrying(request.retries, branch: target.branch) {
            let target = try currentTarget()
            // The tables before and after, as the compare-and-swap saved them (for the audit entry).
            let entry = { (imported: (ImportSummary, [String: ObjectID], [String: ObjectID])) in
                let (summary, before, after) = imported
                return AuditEntry(operation: "import", branch: target.branch, oldID: before[request.table],
                                  newID: summary.id, inputState: objectID(.tree, Tree(tables: before).payload),
                                  outputState: objectID(.tree, Tree(tables: after).payload), rows: summary.rowsInTable,
                                  details: .object(["table": .string(request.table), "file": .string(request.path),
                                                    "mode": .string(request.mode.rawValue), "rows_read": .int(summary.rowsRead)]))
            }
            let ((summary, _, _), commit) = try updateWorkingSet(target, message: "import \(request.table)",
                                                                 commit: request.commitMessage, entry: entry) { set in
                let before = set.tables
                let existing = try set.tables[request.table].map { try objects.readTable($0) }
                var inferred: [InferredColumn]?
                var schema: Schema
                func inferredSchema(_ columns: [InferredColumn]) throws -> Schema {
                    var schema = Repository.carryColumnIDs(
                        into: Schema(columns: columns.enumerated().map { Column(id: $0.offset + 1, name: $0.element.name, type: $0.element.type) }),
                        from: existing?.schema)
                    try complete(&schema, inferred: true)
                    return schema
                }
                func complete(_ schema: inout Schema, inferred: Bool) throws {
                    if let existing, request.mode != .replace, schema.key != existing.schema.key && request.schemaFile != nil {
                        throw RepositoryError.invalidArgument("--mode \(request.mode.rawValue) keeps the table's key (\(existing.schema.keyColumnNames.joined(separator: ", "))); the schema file declares another")
                    }
                    do {
                        if let key = request.key {
                            if let existing, request.mode != .replace, key != existing.schema.keyColumnNames {
                                throw RepositoryError.invalidArgument("--mode \(request.mode.rawValue) keeps the table's key (\(existing.schema.keyColumnNames.joined(separator: ", "))); --key \(key.joined(separator: ",")) differs")
                            }
                            try schema.setKey(key)
                        } else if inferred, let existing {
                            try schema.setKey(existing.schema.keyColumnNames.filter { schema.column(named: $0) != nil })
                        }
                        if let time = request.timeColumn {
                            try schema.setTimeColumn(time)
                        } else if inferred, let name = existing?.schema.timeColumnName, schema.column(named: name) != nil {
                            try schema.setTimeColumn(name)
                        }
                        try schema.validate()
                    } catch let error as SchemaError {
                        throw RepositoryError.invalidArgument("\(request.table): \(error)")
                    }
                }
                var importer = TableImporter(store: objects, temporaryDirectory: temporaryDirectory())
                importer.progress = progress
                func source(_ schema: Schema?) throws -> any RecordSource {
                    try openSource(path, display, format, delimiter: delimiter,
                                   columns: format == .jsonl ? schema?.columns.map(\.name) : nil, limits: request.limits)
                }
                var loaded: (table: Table, rowsRead: Int)?
                /// Whether the table's types were kept for a replace (errors then mention --infer).
                var keptTypes = false
                if let file = request.schemaFile {
                    schema = Repository.carryColumnIDs(into: try Repository.readSchemaFile(file), from: existing?.schema)
                    try complete(&schema, inferred: false)
                } else if request.mode != .replace, let existing {
                    schema = existing.schema
                    try complete(&schema, inferred: false)
                } else if let existing, !request.infer {
                    // A replace keeps the types of the columns the table has
                    // (a subset of the rows must not turn DOUBLE into DECIMAL,
                    // or an all-NULL INTEGER into TEXT); columns the table
                    // lacks are inferred, and those the file lacks are dropped.
                    var fresh: [InferredColumn]?
                    let header: [String]
                    if format == .jsonl {
                        // A JSON Lines header is known once every line is read.
                        fresh = try TypeInference.infer(try source(nil), progress: progress)
                        header = fresh!.map(\.name)
                    } else {
                        header = try source(nil).header
                    }
                    let present = Set(header.compactMap { existing.schema.column(named: $0)?.id })
                    let added = header.filter { existing.schema.column(named: $0) == nil }
                    if !added.isEmpty && fresh == nil { fresh = try TypeInference.infer(try source(nil), progress: progress) }
                    let addedColumns = (fresh ?? []).filter { added.contains($0.name) }
                    var columns = existing.schema.columns.filter { present.contains($0.id) }
                    for i in columns.indices where existing.schema.key.contains(columns[i].id) {
                        columns[i].nullable = true   // NOT NULL as a key; the key is set again below
                    }
                    var next = existing.schema.nextColumnID
                    for column in addedColumns {
                        columns.append(Column(id: next, name: column.name, type: column.type))
                        next += 1
                    }
                    schema = Schema(columns: columns, nextColumnID: next)
                    // Constraints over columns the file still has stay.
                    schema.constraints = existing.schema.constraints.filter { $0.columns.allSatisfy(present.contains) }
                    try complete(&schema, inferred: true)
                    inferred = addedColumns.isEmpty ? nil : addedColumns
                    keptTypes = true
                } else {
                    // One pass when the file is consistent: infer from a sample, load
                    // with those types while inferring from every row, and keep the
                    // result when the full inference agrees (DECIMAL precision may
                    // grow: stored values depend on the scale only). Otherwise (or
                    // when a row does not fit the sample's types) infer fully and
                    // load again.
                    let sample = try TypeInference.infer(try source(nil), limit: 10_000)
                    schema = try inferredSchema(sample)
                    var header: [String] = []
                    var full = TypeInference(quotedFieldsAreStrings: format == .jsonl)
                    do {
                        let attempt = try importer.load(makeSource: {
                            // A restarted pass (rows out of order) infers afresh.
                            let s = try source(schema)
                            full = TypeInference(quotedFieldsAreStrings: s.quotedFieldsAreStrings)
                            header = s.header
                            return s
                        }, schema: schema, into: existing, mode: request.mode, totalBytes: size) { full.add($0) }
                        let final = full.result(header: header)
                        if Repository.sameEncoding(final, sample) {
                            inferred = final
                            for (i, column) in final.enumerated() { schema.columns[i].type = column.type }
                            loaded = (Table(schema: schema, root: attempt.table.root), attempt.rowsRead)
                        } else {
                            inferred = final
                            schema = try inferredSchema(final)
                        }
                    } catch let error as ImportError where error.kind == .invalidValue {
                        inferred = try TypeInference.infer(try source(nil), progress: progress)
                        schema = try inferredSchema(inferred!)
                    }
                }
                let table: Table, rowsRead: Int
                do {
                    (table, rowsRead) = try loaded
                        ?? importer.load(makeSource: { try source(schema) }, schema: schema, into: existing, mode: request.mode, totalBytes: size)
                } catch var error as ImportError where keptTypes && (error.kind == .invalidValue || error.kind == .nullValue) {
                    error.message += " (--mode replace keeps the table's column types; --infer infers them afresh)"
                    throw error
                }
                let id = try objects.write(table: table)
                if !table.schema.constraints.isEmpty {
                    // The table's UNIQUE and CHECK constraints hold for the rows imported too.
                    do {
                        try engine().checkConstraints(of: request.table, id: id, table: table)
                    } catch {
                        throw try maskedViolation(error, tables: [request.table: id])
                    }
                }
                set.tables[request.table] = id
                let summary = ImportSummary(table: request.table, id: id, created: existing == nil, rowsRead: rowsRead,
                                            rowsInTable: table.rowCount, inferred: inferred, schema: schema,
                                            schemaChanges: existing.map { SchemaChange.between($0.schema, schema) } ?? [])
                return (summary, before, set.tables)
            }
            var result = summary
            result.commit = commit?.id
            if let inferred = summary.inferred {
                let mask = try tableMask(request.table, versions: [try objects.readTable(summary.id)], masking: masking)
                result.inferred = inferred.map { column in
                    var column = column
                    column.reason = mask.maskQuotedValues(column.reason, column: column.name)
                    return column
                }
            }
            return result
        }
    }

    private func openSource(_ path: String, _ display: String, _ format: TableFormat, delimiter: UInt8, columns: [String]?,
                            limits: InputLimits) throws -> any RecordSource {
        switch format {
        case .csv, .tsv: try CSVReader(path: path, file: display, delimiter: delimiter, limits: limits)
        case .jsonl: try JSONLinesReader(path: path, file: display, columns: columns, limits: limits)
        }
    }

    /// Standard input is copied to a temporary file: type inference reads the input twice.
    /// Standard input is copied to a scratch file first (import reads its
    /// file more than once). A line longer than the record limit stops the
    /// copy there, so `yes | rocky import t -` fails as a file would instead
    /// of filling the disk.
    private func spoolIfStandardInput(_ path: String, limits: InputLimits) throws -> (String, String, () -> Void) {
        guard path == "-" else { return (path, path, {}) }
        let spool = temporaryDirectory() + "/stdin-\(getpid())"
        guard FileManager.default.createFile(atPath: spool, contents: nil) else {
            throw RepositoryError.fileFailure(path: spool, reason: "cannot spool standard input there")
        }
        let remove: () -> Void = { try? FileManager.default.removeItem(atPath: spool) }
        do {
            let out = try FileHandle(forWritingTo: URL(fileURLWithPath: spool))
            defer { try? out.close() }
            var line = 1, run = 0  // the line being read, and its bytes so far
            while let data = try FileHandle.standardInput.read(upToCount: 1 << 20), !data.isEmpty {
                try data.withUnsafeBytes { (bytes: UnsafeRawBufferPointer) in
                    for byte in bytes {
                        if byte == 10 {
                            line += 1
                            run = 0
                        } else {
                            run += 1
                            if run > limits.maxRecordBytes { throw limits.recordTooLarge(file: "<stdin>", line: line) }
                        }
                    }
                }
                out.write(data)
            }
        } catch {
            remove()
            throw error
        }
        return (spool, "<stdin>", remove)
    }

    /// Whether two inferences store values the same way: the same types,
    /// except that DECIMAL precisions may differ (values are stored at the scale).
    static func sameEncoding(_ a: [InferredColumn], _ b: [InferredColumn]) -> Bool {
        a.count == b.count && zip(a, b).allSatisfy { x, y in
            if case let .decimal(_, s1) = x.type, case let .decimal(_, s2) = y.type { return s1 == s2 && x.name == y.name }
            return x.type == y.type && x.name == y.name
        }
    }

    /// Gives columns that exist in `old` (by name) their old ids, and new
    /// columns fresh ids above every id `old` ever used.
    static func carryColumnIDs(into schema: Schema, from old: Schema?) -> Schema {
        guard let old else { return Schema(columns: schema.columns, key: schema.key, timeColumn: schema.timeColumn) }
        var next = old.nextColumnID
        var mapping: [Int: Int] = [:]
        var sameType = Set<Int>()
        let columns = schema.columns.map { column -> Column in
            var c = column
            if let match = old.column(named: column.name) {
                c.id = match.id
                c.governance = match.governance
                if match.type == column.type {
                    sameType.insert(match.id)
                    c.defaultValue = match.defaultValue
                }
            } else {
                c.id = next
                next += 1
            }
            mapping[column.id] = c.id
            return c
        }
        // A file describes rows and types, not the table's rules: its UNIQUE
        // and CHECK constraints stay while every column they read stays with
        // its type (as a column's default and governance do); the import's
        // schema changes list any that go.
        return Schema(columns: columns, key: schema.key.compactMap { mapping[$0] },
                      timeColumn: schema.timeColumn.flatMap { mapping[$0] }, nextColumnID: next,
                      constraints: old.constraints.filter { $0.columns.allSatisfy(sameType.contains) })
    }

    /// A schema file: `{"columns":[{"name":"symbol","type":"TEXT","nullable":false},...],
    /// "key":["symbol","ts"],"time_column":"ts"}` (Docs/import.md).
    static func readSchemaFile(_ path: String) throws -> Schema {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw RepositoryError.fileFailure(path: path, reason: "cannot read the schema file")
        }
        let json: JSON
        do { json = try JSON(parsing: String(decoding: data, as: UTF8.self)) } catch {
            throw RepositoryError.malformedFile(path: path, reason: "\(error)")
        }
        guard let items = json["columns"]?.arrayValue, !items.isEmpty else {
            throw RepositoryError.malformedFile(path: path, reason: "expected {\"columns\": [{\"name\": ..., \"type\": ...}, ...]}")
        }
        var columns: [Column] = []
        for (i, item) in items.enumerated() {
            guard let name = item["name"]?.stringValue, let typeName = item["type"]?.stringValue else {
                throw RepositoryError.malformedFile(path: path, reason: "column \(i + 1) needs a \"name\" and a \"type\"")
            }
            guard let type = ColumnType(parsing: typeName) else {
                throw RepositoryError.malformedFile(path: path, reason: "column \(name): unknown type '\(typeName)'")
            }
            columns.append(Column(id: i + 1, name: name, type: type, nullable: item["nullable"]?.boolValue ?? true))
        }
        var schema = Schema(columns: columns)
        do {
            try schema.setKey(json["key"]?.arrayValue?.compactMap(\.stringValue) ?? [])
            try schema.setTimeColumn(json["time_column"]?.stringValue)
            try schema.validate()
        } catch {
            throw RepositoryError.malformedFile(path: path, reason: "\(error)")
        }
        return schema
    }
}
