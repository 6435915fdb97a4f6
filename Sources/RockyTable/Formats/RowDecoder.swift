import RockyBase

/// Turns the records of a source into rows of a schema.
///
/// The source's header is matched to the schema's columns by name (exactly,
/// or else ignoring case): every header name must be a schema column and
/// every schema column must be in the header (for JSON Lines, give the
/// reader the schema's column names, so a missing key is simply NULL). Each
/// field is parsed as its column's type (`ValueParser`); NULL in a NOT NULL
/// column (the key columns) is an error at that field.
public struct RowDecoder: Sendable {
    public let schema: Schema
    public let file: String
    /// For each schema column, the index of its field in a record.
    public let fieldIndex: [Int]
    private let types: [ColumnType]
    private let nullable: [Bool]
    private let keyColumns: Set<Int>

    public init(schema: Schema, source: some RecordSource) throws(ImportError) {
        self.schema = schema
        file = source.file
        let header = source.header
        var index = [Int](repeating: -1, count: schema.columns.count)
        for (h, name) in header.enumerated() {
            guard let column = schema.column(named: name), let c = schema.index(ofColumn: column.id) else {
                let (line, column) = source.headerPosition(ofColumn: h)
                throw ImportError(.header, file: source.file, line: line, column: column,
                                  message: "unknown column '\(name)' (the table's columns: \(schema.columns.map(\.name).joined(separator: ", ")))"
                                      + Suggestion.didYouMean(name, among: schema.columns.map(\.name)))
            }
            if index[c] < 0 { index[c] = h }
        }
        if let missing = index.firstIndex(of: -1) {
            let (line, _) = header.isEmpty ? (0, 0) : source.headerPosition(ofColumn: 0)
            throw ImportError(.header, file: source.file, line: line, column: line > 0 ? 1 : 0,
                              message: "the file has no column '\(schema.columns[missing].name)' (its columns: \(header.joined(separator: ", ")))")
        }
        fieldIndex = index
        types = schema.columns.map(\.type)
        nullable = schema.columns.map(\.nullable)
        keyColumns = Set(schema.keyIndices)
    }

    /// The row of `record`, in the schema's column order.
    public func decode(_ record: Record) throws(ImportError) -> [Value] {
        var row: [Value] = []
        row.reserveCapacity(types.count)
        try decode(record, into: &row)
        return row
    }

    /// Appends the row of `record` to `row` (empty it first to reuse its storage).
    public func decode(_ record: Record, into row: inout [Value]) throws(ImportError) {
        try record.bytes.withUnsafeBufferPointer { (storage) throws(ImportError) in
            for c in 0..<types.count {
                let f = fieldIndex[c]
                guard f < record.slots.count else {
                    // A JSON Lines record read before its source's header grew: the key is absent.
                    if !nullable[c] { throw nullError(c, line: record.line, column: 1) }
                    row.append(.null)
                    continue
                }
                let slot = record.slots[f]
                if slot.isNull {
                    if !nullable[c] { throw nullError(c, line: slot.line, column: slot.column) }
                    row.append(.null)
                    continue
                }
                row.append(try ValueParser.parse(storage, slot, as: types[c], file: file))
            }
        }
    }

    private func nullError(_ c: Int, line: Int, column: Int) -> ImportError {
        .nullValue(column: schema.columns[c].name, isKey: keyColumns.contains(c), file: file, line: line, column: column)
    }
}
