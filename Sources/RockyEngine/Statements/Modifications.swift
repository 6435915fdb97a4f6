import RockyBase
import RockySQL
import RockyStore
import RockyTable

extension StatementRun {
    /// INSERT, UPDATE and DELETE, at a cost that follows the rows changed:
    ///
    /// 1. In one write transaction, the cached copy of the target's version
    ///    is renamed to the name the SQL uses, and TEMP triggers record the
    ///    old and new image of every row the statement touches.
    /// 2. The compiled statement runs; SQLite enforces the key (unique, not
    ///    NULL) and NOT NULL.
    /// 3. The recorded rows become key-ordered changes (keyed: delete the old
    ///    key, upsert the new row; keyless: multiplicity deltas) that
    ///    `TreeEditor` applies to the old tree, rewriting only the chunks
    ///    and index nodes on their paths.
    /// 4. The modified SQLite table is renamed to the new version's cache
    ///    name and the old version leaves the catalog, atomically with the
    ///    commit. On any error the transaction rolls back: the cache still
    ///    holds the old version, untouched.
    func modify(_ target: String) throws -> StatementEffect {
        guard let (callerName, oldID) = lookup(target) else { throw EngineError.unknownTable(target) }
        let inputs = try inputs()
        let old = try store.readTable(oldID)
        let schema = old.schema
        let others = inputs.filter { $0.name.lowercased() != target.lowercased() }
        let statements = statement.sql(for: .sqlite)

        let (id, table, changed) = try writeTransaction(inputs) { () throws -> (ObjectID, Table, Int) in
            let oldEntry = try cache.entry(oldID)
            let working = quote(target)
            try connection.execute("ALTER TABLE main.\(quote(TableCache.tableName(oldID))) RENAME TO \(working)")
            let views = try createViews(others, sourceTable: [oldID: target])
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
                    throw EngineError.from(error, table: target, keyColumns: schema.keyColumnNames)
                }
                changed += connection.changes
            }
            let (changes, sorted, byteDelta, rowDelta) = try collectChanges(schema: schema, label: target)
            // The digest follows the touched rows: minus the old images, plus the new ones.
            let digest = (oldEntry?.digest ?? 0) &- (try cache.digest(of: "__rocky_old", schema: schema, in: "temp"))
                &+ (try cache.digest(of: "__rocky_new", schema: schema, in: "temp"))
            try connection.execute("""
                DROP TRIGGER temp.__rocky_on_insert; DROP TRIGGER temp.__rocky_on_update; DROP TRIGGER temp.__rocky_on_delete;
                DROP TABLE temp.__rocky_old; DROP TABLE temp.__rocky_new;
                """)
            dropViews(views)

            let builder = TreeBuilder(store: store)
            let root = try TreeEditor(store: store).apply(changes, to: old.root, builder: builder)
            try sorted.checkComplete()
            let table = Table(schema: schema, root: root)
            let (id, bytes) = try store.writeCounting(table)
            metrics.bytesWritten += builder.bytesWritten + bytes
            if id == oldID {
                try connection.execute("ALTER TABLE main.\(working) RENAME TO \(quote(TableCache.tableName(oldID)))")
                try cache.setDigest(oldID, digest)
            } else {
                try cache.forget(oldID)
                try cache.adopt(target, as: id, rows: max(0, (oldEntry?.rows ?? 0) + rowDelta),
                                bytes: max(0, (oldEntry?.bytes ?? 0) + byteDelta), digest: digest, protecting: Set(inputs.map(\.id)))
            }
            return (id, table, changed)
        }
        metrics.rowsWritten = changed
        return .tableWritten(name: callerName, id: id, table: table)
    }

    /// The recorded old and new rows as key-ordered tree changes, with the
    /// change in encoded bytes and in SQLite rows. The rows go through a
    /// `RowSorter` (memory bounded, spilling to disk), old images before
    /// new ones, so that for one key the new image wins (keyed) or the
    /// images add up to a multiplicity delta (keyless).
    private func collectChanges(schema: Schema, label: String) throws -> (AnyIterator<KeyedChange>, SortedRows, Int, Int) {
        let encoder = RowEncoder(schema: schema, table: label)
        let sorter = RowSorter(temporaryDirectory: adapter.temporaryDirectory)
        var key: [UInt8] = [], value: [UInt8] = []
        var byteDelta = 0, rowDelta = 0, origin = 0
        for (source, image) in [("__rocky_old", UInt8(0)), ("__rocky_new", UInt8(1))] {
            let select = try connection.statement("SELECT * FROM temp.\(source)")
            while try select.step() {
                key.removeAll(keepingCapacity: true)
                value.removeAll(keepingCapacity: true)
                value.append(image)
                try encoder.encode(select, key: &key, value: &value)
                let sign = image == 0 ? -1 : 1
                rowDelta += sign
                byteDelta += sign * (schema.isKeyless ? key.count + 1 : key.count + value.count - 1)
                origin += 1
                try sorter.add(key: key, value: value, origin: origin)
            }
        }
        let sorted = try sorter.finish()
        var pending = sorted.next()
        let keyless = schema.isKeyless
        let changes = AnyIterator<KeyedChange> {
            while let first = pending {
                var last = first
                var delta = first.value.first == 0 ? -1 : 1
                pending = sorted.next()
                while let next = pending, next.key == first.key {
                    last = next
                    delta += next.value.first == 0 ? -1 : 1
                    pending = sorted.next()
                }
                if keyless {
                    if delta != 0 { return KeyedChange(key: first.key, change: .addCount(delta)) }
                    continue
                }
                let change: RowChange = last.value.first == 0 ? .delete : .upsert(last.value.dropFirst())
                return KeyedChange(key: first.key, change: change)
            }
            return nil
        }
        return (changes, sorted, byteDelta, rowDelta)
    }

    /// ALTER TABLE. ADD COLUMN (id `schema.nextColumnID`) and RENAME COLUMN
    /// (same id) keep every row as it is (a NULL cell is an absent value), so
    /// the new version shares the old tree; DROP COLUMN rewrites the rows.
    /// The cached copy, when there is one, is altered the same way and
    /// re-registered under the new id in one transaction.
    func alter(_ target: String, _ action: AlterTableAction) throws -> StatementEffect {
        guard let (callerName, oldID) = lookup(target) else { throw EngineError.unknownTable(target) }
        let old = try store.readTable(oldID)
        var schema = old.schema
        let table = quote(TableCache.tableName(oldID))
        switch action {
        case let .addColumn(definition):
            schema.columns.append(Column(id: schema.nextColumnID, name: definition.name, type: definition.type,
                                         nullable: !definition.notNull))
            schema.nextColumnID += 1
            try schema.validate()
            return try reuseRows(callerName, old: oldID, schema: schema, root: old.root,
                                 alter: "ALTER TABLE main.\(table) ADD COLUMN \(quote(definition.name)) \(Representation.sqliteType(definition.type))")
        case let .renameColumn(from, to):
            guard let index = schema.columns.firstIndex(where: { $0.name.lowercased() == from.lowercased() }) else {
                throw EngineError.invalid("table \(target) has no column '\(from)'")
            }
            let oldName = schema.columns[index].name
            schema.columns[index].name = to
            try schema.validate()
            return try reuseRows(callerName, old: oldID, schema: schema, root: old.root,
                                 alter: "ALTER TABLE main.\(table) RENAME COLUMN \(quote(oldName)) TO \(quote(to))")
        case let .dropColumn(name):
            guard let index = schema.columns.firstIndex(where: { $0.name.lowercased() == name.lowercased() }) else { return .nothing }
            let dropped = schema.columns.remove(at: index)
            if schema.timeColumn == dropped.id { schema.timeColumn = nil }
            try schema.validate()
            let inputs = try inputs()
            let (id, newTable) = try writeTransaction(inputs) { () throws -> (ObjectID, Table) in
                try connection.execute("ALTER TABLE main.\(table) DROP COLUMN \(quote(dropped.name))")
                let built = try treeWriter(schema, label: target).build { ordered in
                    try connection.statement(StatementRun.selectAll(TableCache.tableName(oldID), schema: schema, ordered: ordered))
                }
                let (id, newTable) = try write(schema, built)
                try cache.forget(oldID)
                if id == oldID { throw EngineError.invalid("dropping a column left the table unchanged") }
                try cache.adopt(TableCache.tableName(oldID), as: id, rows: built.sqliteRows, bytes: built.encodedBytes,
                                digest: try cache.digest(of: TableCache.tableName(oldID), schema: schema), protecting: [id])
                return (id, newTable)
            }
            metrics.rowsWritten = newTable.rowCount
            return .tableWritten(name: callerName, id: id, table: newTable)
        }
    }

    /// A new version with the old rows under a new schema; its cached copy is
    /// the old one altered by `alter`, when the old one was cached.
    private func reuseRows(_ name: String, old oldID: ObjectID, schema: Schema, root: TreeRoot?, alter: String) throws -> StatementEffect {
        let (id, table) = try write(schema, BuiltTree(root: root))
        if try cache.entry(oldID) != nil, try !cache.verify(oldID, schema: try store.readTable(oldID).schema) {
            try cache.discard(oldID)
        }
        try writeTransaction([]) {
            guard id != oldID, let entry = try cache.entry(oldID) else { return }
            try connection.execute(alter)
            try cache.forget(oldID)
            // The rows are unchanged and trailing NULLs do not enter a row's
            // hash (`RowDigest`), so the digest carries over, but for a table
            // hashed in column groups, whose grouping a new column may change.
            let digest = schema.columns.count > RowDigest.groupWidth
                ? try cache.digest(of: TableCache.tableName(oldID), schema: schema) : entry.digest
            try cache.adopt(TableCache.tableName(oldID), as: id, rows: entry.rows, bytes: entry.bytes, digest: digest, protecting: [id])
        }
        return .tableWritten(name: name, id: id, table: table)
    }
}
