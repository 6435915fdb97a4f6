import RockyBase
import RockyEngine
import RockySQL
import RockyStore
import RockyTable

extension SQLiteBackend {
    /// INSERT, UPDATE and DELETE on the cached copy of the target:
    ///
    /// 1. In one write transaction, the cached copy of the target's version
    ///    is renamed to the name the SQL uses, and TEMP triggers record the
    ///    old and new image of every row the statement touches.
    /// 2. The statements run; SQLite enforces the key (unique, not NULL) and
    ///    NOT NULL.
    /// 3. The recorded rows go to `changes` (old images first), and `commit`
    ///    builds the new version from them.
    /// 4. The modified SQLite table is renamed to the new version's cache
    ///    name and the old version leaves the catalog, atomically with the
    ///    commit. On any error the transaction rolls back: the cache still
    ///    holds the old version, untouched.
    public func modify(_ statements: [String], target: BackendTable, tables: [BackendTable], changes: ChangeCollector,
                       commit: () throws -> ObjectID) throws -> Int {
        let schema = target.table.schema
        let oldID = target.id
        return try operation(table: target.name) {
            let others = tables.filter { $0.name.lowercased() != target.name.lowercased() }
            return try writeTransaction(tables) { () throws -> Int in
                let oldEntry = try cache.entry(oldID)
                let working = quote(target.name)
                try connection.execute("ALTER TABLE main.\(quote(TableCache.tableName(oldID))) RENAME TO \(working)")
                let views = try createViews(others, sourceTable: [oldID: target.name])
                let columns = schema.columns.map { quote($0.name) }
                let newValues = columns.map { "NEW.\($0)" }.joined(separator: ", ")
                let oldValues = columns.map { "OLD.\($0)" }.joined(separator: ", ")
                try connection.execute("""
                    CREATE TEMP TABLE __rocky_old AS SELECT * FROM main.\(working) WHERE 0;
                    CREATE TEMP TABLE __rocky_new AS SELECT * FROM main.\(working) WHERE 0;
                    CREATE TEMP TRIGGER __rocky_on_insert AFTER INSERT ON main.\(working) BEGIN
                      INSERT INTO __rocky_new VALUES (\(newValues)); END;
                    CREATE TEMP TRIGGER __rocky_on_update AFTER UPDATE ON main.\(working) BEGIN
                      INSERT INTO __rocky_old VALUES (\(oldValues)); INSERT INTO __rocky_new VALUES (\(newValues)); END;
                    CREATE TEMP TRIGGER __rocky_on_delete AFTER DELETE ON main.\(working) BEGIN
                      INSERT INTO __rocky_old VALUES (\(oldValues)); END;
                    """)
                var changed = 0
                for sql in statements {
                    do {
                        try connection.execute(sql)
                    } catch let error as SQLiteError {
                        throw EngineError.from(error, table: target.name, keyColumns: schema.keyColumnNames)
                    }
                    changed += connection.changes
                }
                let encoder = RowEncoder(schema: schema, table: target.name)
                for (source, new) in [("__rocky_old", false), ("__rocky_new", true)] {
                    let select = try connection.statement("SELECT * FROM temp.\(source)")
                    while try select.step() {
                        try changes.add(new: new) { key, value in try encoder.encode(select, key: &key, value: &value) }
                    }
                }
                // The digest follows the touched rows: minus the old images, plus the new ones.
                let digest = (oldEntry?.digest ?? 0) &- (try cache.digest(of: "__rocky_old", schema: schema, in: "temp"))
                    &+ (try cache.digest(of: "__rocky_new", schema: schema, in: "temp"))
                try connection.execute("""
                    DROP TRIGGER temp.__rocky_on_insert; DROP TRIGGER temp.__rocky_on_update; DROP TRIGGER temp.__rocky_on_delete;
                    DROP TABLE temp.__rocky_old; DROP TABLE temp.__rocky_new;
                    """)
                dropViews(views)

                let id = try commit()
                if id == oldID {
                    try connection.execute("ALTER TABLE main.\(working) RENAME TO \(quote(TableCache.tableName(oldID)))")
                    try cache.setDigest(oldID, digest)
                } else {
                    try cache.forget(oldID)
                    try cache.adopt(target.name, as: id, rows: max(0, (oldEntry?.rows ?? 0) + changes.rowDelta),
                                    bytes: max(0, (oldEntry?.bytes ?? 0) + changes.byteDelta), digest: digest,
                                    protecting: Set(tables.map(\.id)))
                }
                return changed
            }
        }
    }
}
