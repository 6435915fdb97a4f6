import RockyTable

extension Repository {
    /// A row key as a user writes it on the command line: the values of the
    /// key columns in key order, separated by commas (`AAPL,2026-05-20`);
    /// a one-column key takes the text whole, commas and all. Each value is
    /// read as its column's type, as import reads it.
    static func parseKey(_ text: String, table: String, schema: Schema) throws -> [Value] {
        let keyColumns = schema.keyIndices.map { schema.columns[$0] }
        guard !keyColumns.isEmpty else {
            throw RepositoryError.invalidArgument("\(table) has no primary key: its rows cannot be named by key")
        }
        let parts = keyColumns.count == 1 ? [text] : text.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == keyColumns.count else {
            throw RepositoryError.invalidArgument("the key of \(table) is (\(keyColumns.map(\.name).joined(separator: ", "))): "
                + "give \(keyColumns.count) comma-separated values, not '\(text)'")
        }
        return try zip(keyColumns, parts).map { column, part in
            guard let value = ValueParser.value(part, as: column.type) else {
                throw RepositoryError.invalidArgument("'\(part)' is not a \(column.type) value for key column \(column.name) of \(table)")
            }
            return value
        }
    }

    /// The encoded key of the row whose key columns hold `values`.
    static func encodeKey(_ values: [Value], schema: Schema) -> [UInt8] {
        var row = [Value](repeating: .null, count: schema.columns.count)
        for (index, value) in zip(schema.keyIndices, values) { row[index] = value }
        return RowCodec(schema: schema).key(of: row)
    }

    /// Whether two stored values are the same cell (NaN equals NaN).
    static func sameCell(_ a: Value?, _ b: Value?) -> Bool {
        if case let .double(x)? = a, case let .double(y)? = b, x.isNaN && y.isNaN { return true }
        return a == b
    }
}
