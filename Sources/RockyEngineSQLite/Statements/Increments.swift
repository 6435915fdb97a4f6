import RockyBase
import RockyEngine
import RockyStore
import RockyTable

extension SQLiteBackend {
    /// An incremental run changed `old` into version `id` by a few rows: the
    /// cached copy of `old`, when there is one, is changed the same way and
    /// re-registered under `id` in one transaction (as DML does), so the
    /// next statement over `id` loads nothing. The digest follows the
    /// changed rows: minus those the copy held under the removed keys, plus
    /// the added ones. Keyless tables are left alone (loaded when next used).
    public func derive(_ id: ObjectID, from old: BackendTable, table: Table, removed: [StoredRow], added: [StoredRow]) throws {
        let schema = table.schema
        guard id != old.id, !schema.isKeyless, schema == old.table.schema else { return }
        try operation(table: old.name) {
            guard try cache.entry(old.id) != nil, try cache.entry(id) == nil else { return }
            if try !cache.verify(old.id, schema: schema) {
                try cache.discard(old.id)
                return
            }
            try writeTransaction([]) {
                guard let entry = try cache.entry(old.id), try cache.entry(id) == nil else { return }
                let copy = "main." + quote(TableCache.tableName(old.id))
                let columns = schema.columns
                let keys = schema.keyColumnNames.map(quote).joined(separator: ", ")
                try connection.execute(TableCache.createSQL("__rocky_removed", schema: schema, temporary: true))
                try connection.execute(TableCache.createSQL("__rocky_added", schema: schema, temporary: true))
                defer { try? connection.execute("DROP TABLE IF EXISTS temp.__rocky_removed; DROP TABLE IF EXISTS temp.__rocky_added; DROP TABLE IF EXISTS temp.__rocky_old") }
                var bytes = entry.bytes
                for (name, rows, sign) in [("__rocky_removed", removed, -1), ("__rocky_added", added, 1)] {
                    let insert = try connection.statement(
                        "INSERT INTO temp.\(quote(name)) VALUES (\(columns.indices.map { "?\($0 + 1)" }.joined(separator: ", ")))")
                    var binder = RowBinder(schema: schema, label: old.name)
                    for row in rows {
                        _ = try row.key.withUnsafeBytes { k in try row.value.withUnsafeBytes { v in try binder.bind(key: k, value: v, to: insert) } }
                        try insert.run()
                        bytes += sign * (row.key.count + row.value.count)
                    }
                }
                // The rows the copy holds under the removed keys (their digest
                // is taken from the copy itself, not from what the caller says).
                try connection.execute("""
                    CREATE TEMP TABLE __rocky_old AS SELECT * FROM \(copy) WHERE (\(keys)) IN (SELECT \(keys) FROM temp.__rocky_removed)
                    """)
                guard try connection.integer("SELECT count(*) FROM temp.__rocky_old") == Int64(removed.count) else { return }
                let digest = entry.digest &- (try cache.digest(of: "__rocky_old", schema: schema, in: "temp"))
                    &+ (try cache.digest(of: "__rocky_added", schema: schema, in: "temp"))
                try connection.execute("DELETE FROM \(copy) WHERE (\(keys)) IN (SELECT \(keys) FROM temp.__rocky_removed)")
                try connection.execute("INSERT INTO \(copy) SELECT * FROM temp.__rocky_added")
                try cache.forget(old.id)
                try cache.adopt(TableCache.tableName(old.id), as: id, rows: entry.rows - removed.count + added.count,
                                bytes: max(0, bytes), digest: digest, protecting: [id])
            }
        }
    }
}
