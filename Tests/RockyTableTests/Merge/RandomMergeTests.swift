import RockyBase
import RockyStore
@testable import RockyTable
import Testing

/// Random edits on both sides, merged by `TableMerger` and by a naive
/// in-memory three-way merge of the same rows; results and conflicts must agree.
@Suite struct RandomMergeTests {
    typealias Rows = [Int: [Value]]  // key -> non-key cells, by merged column name order

    /// A naive keyed merge: per key, then per cell. Returns the rows (with
    /// the strategy's choices) and the conflicts as (kind, key, column).
    func naiveMerge(_ b: Rows, _ o: Rows, _ t: Rows, columns: [String], strategy: MergeStrategy?, oursLacks: Set<String> = [])
        -> (rows: Rows, conflicts: Set<String>) {
        var out: Rows = [:]
        var conflicts = Set<String>()
        for key in Set(b.keys).union(o.keys).union(t.keys) {
            let bv = b[key], ov = o[key], tv = t[key]
            var merged: [Value]?
            if ov == tv { merged = ov } else if ov == bv { merged = tv } else if tv == bv { merged = ov } else if ov == nil || tv == nil {
                let changed = (ov ?? tv)!
                for (i, c) in columns.enumerated() where changed[i] != (bv?[i] ?? .null) {
                    conflicts.insert("delete-modify \(key) \(c)")
                }
                merged = strategy == .theirs ? tv : ov
            } else {
                var cells: [Value] = []
                for i in columns.indices {
                    let x = ov![i], y = tv![i]
                    if x == y { cells.append(x) } else if bv == nil && oursLacks.contains(columns[i]) { cells.append(y) } else if let bv, bv[i] == x { cells.append(y) } else if let bv, bv[i] == y {
                        cells.append(x)
                    } else {
                        conflicts.insert("cell \(key) \(columns[i])")
                        cells.append(strategy == .theirs ? y : x)
                    }
                }
                merged = cells
            }
            if let merged { out[key] = merged }
        }
        return (out, conflicts)
    }

    func randomValue(_ random: inout SeededRandom, _ column: Int) -> Value {
        let n = Int(random.next() % 5)
        if n == 0 { return .null }
        return column == 1 ? text("s\(n)") : int(n)
    }

    /// Random edits of `rows`: deletes, cell changes, inserts.
    func edit(_ rows: Rows, _ random: inout SeededRandom, keySpace: Int, width: Int, changes: Int) -> Rows {
        var out = rows
        for _ in 0..<changes {
            let key = Int(random.next() % UInt64(keySpace))
            switch random.next() % 4 {
            case 0: out[key] = nil
            case 1: out[key] = (0..<width).map { randomValue(&random, $0) }
            default:
                guard var r = out[key] else { continue }
                let i = Int(random.next() % UInt64(width))
                r[i] = randomValue(&random, i)
                out[key] = r
            }
        }
        return out
    }

    @Test(arguments: [0, 1, 2, 3, 4, 5, 6, 7])
    func keyedMergesMatchANaiveMerge(seed: UInt64) throws {
        let f = try MergeFixture()
        var random = SeededRandom(seed: 100 + seed)
        let schema = try Schema(named: [("id", .integer), ("a", .integer), ("b", .text), ("c", .integer)], key: ["id"])
        let size = [0, 40, 900, 5_000][Int(seed % 4)]
        var base: Rows = [:]
        for k in 0..<size where random.next() % 3 != 0 { base[k] = (0..<3).map { randomValue(&random, $0) } }
        let keySpace = max(size, 20) + 20
        let changes = [3, 30, 300][Int(random.next() % 3)]
        let ours = edit(base, &random, keySpace: keySpace, width: 3, changes: changes)
        var theirs = edit(base, &random, keySpace: keySpace, width: 3, changes: changes)
        // Some of ours' changes made on theirs too, to converge.
        for (k, v) in ours where random.next() % 4 == 0 { theirs[k] = v }
        for k in base.keys where ours[k] == nil && random.next() % 4 == 0 { theirs[k] = nil }

        func table(_ rows: Rows) throws -> Table { try f.table(rows.map { [int($0.key)] + $0.value }, schema: schema) }
        let tb = try table(base), to = try table(ours), tt = try table(theirs)
        for strategy in [nil, MergeStrategy.ours, .theirs] {
            let expected = naiveMerge(base, ours, theirs, columns: ["a", "b", "c"], strategy: strategy)
            let r = try f.merge(tb, to, tt, strategy: strategy)
            let found = Set(r.conflicts.map { c -> String in
                guard case let .integer(k)? = c.key?.first?.value else { return "?" }
                return "\(c.kind.rawValue) \(k) \(c.column ?? "")"
            })
            #expect(found == expected.conflicts, "seed \(seed) strategy \(String(describing: strategy))")
            #expect(r.conflicts.count == found.count, "one conflict per cell")
            if strategy != nil || expected.conflicts.isEmpty {
                var merged: Rows = [:]
                for row in try f.rows(r.table) { if case let .integer(k) = row[0] { merged[Int(k)] = Array(row.dropFirst()) } }
                #expect(merged == expected.rows, "seed \(seed)")
            } else {
                #expect(r.table == nil)
            }
        }
    }

    /// Theirs adds a column and fills it on some rows, or ours drops one;
    /// the naive merge works on the rows projected onto the merged columns.
    @Test(arguments: [0, 1, 2, 3, 4, 5])
    func mergesAcrossSchemaChangesMatchANaiveMerge(seed: UInt64) throws {
        let f = try MergeFixture()
        var random = SeededRandom(seed: 500 + seed)
        let schema = try Schema(named: [("id", .integer), ("a", .integer), ("b", .text)], key: ["id"])
        var base: Rows = [:]
        for k in 0..<2_000 where random.next() % 2 == 0 { base[k] = [randomValue(&random, 0), randomValue(&random, 1)] }
        let ours = edit(base, &random, keySpace: 2_100, width: 2, changes: 60)
        let theirs = edit(base, &random, keySpace: 2_100, width: 2, changes: 60)
        let theirsAdds = seed % 2 == 0, oursDrops = seed % 3 != 2

        // Theirs: column v (id 4) added, set on some rows.
        var theirsSchema = schema
        var theirsRows = theirs.mapValues { $0 + [Value.null] }
        if theirsAdds {
            theirsSchema.columns.append(Column(id: 4, name: "v", type: .integer))
            theirsSchema.nextColumnID = 5
            for k in theirsRows.keys where random.next() % 3 == 0 { theirsRows[k]![2] = int(Int(random.next() % 3)) }
        }
        // Ours: column b dropped.
        var oursSchema = schema
        if oursDrops { oursSchema.columns.removeLast() }

        let tb = try f.table(base.map { [int($0.key)] + $0.value }, schema: schema)
        let to = try f.table(ours.map { [int($0.key)] + (oursDrops ? [$0.value[0]] : $0.value) }, schema: oursSchema)
        let tt = try f.table(theirsRows.map { [int($0.key)] + (theirsAdds ? $0.value : Array($0.value.prefix(2))) }, schema: theirsSchema)

        // Projections onto the merged columns: a, (b), (v).
        func project(_ rows: Rows, hasV: Bool) -> Rows {
            rows.mapValues { r in [r[0]] + (oursDrops ? [] : [r[1]]) + (theirsAdds ? [hasV ? r[2] : .null] : []) }
        }
        let columns = ["a"] + (oursDrops ? [] : ["b"]) + (theirsAdds ? ["v"] : [])
        let pb = project(base.mapValues { $0 + [.null] }, hasV: false)
        let po = project(ours.mapValues { $0 + [.null] }, hasV: false)
        let pt = project(theirsRows, hasV: true)
        for strategy in [nil, MergeStrategy.theirs] {
            let expected = naiveMerge(pb, po, pt, columns: columns, strategy: strategy, oursLacks: theirsAdds ? ["v"] : [])
            let r = try f.merge(tb, to, tt, strategy: strategy)
            #expect(r.table?.schema.columns.map(\.name) ?? (r.isClean ? [] : ["id"] + columns) == ["id"] + columns)
            let found = Set(r.conflicts.map { c -> String in
                guard case let .integer(k)? = c.key?.first?.value else { return "?" }
                return "\(c.kind.rawValue) \(k) \(c.column ?? "")"
            })
            #expect(found == expected.conflicts, "seed \(seed)")
            if strategy != nil || expected.conflicts.isEmpty {
                var merged: Rows = [:]
                for row in try f.rows(r.table) { if case let .integer(k) = row[0] { merged[Int(k)] = Array(row.dropFirst()) } }
                #expect(merged == expected.rows, "seed \(seed)")
            }
        }
    }

    @Test(arguments: [0, 1, 2, 3])
    func keylessMergesMatchANaiveCounter(seed: UInt64) throws {
        let f = try MergeFixture()
        var random = SeededRandom(seed: 900 + seed)
        let schema = try Schema(named: [("a", .integer), ("b", .text)])
        let distinct = [10, 300, 3_000, 3_000][Int(seed)]
        func randomCounts(_ from: [Int: Int]) -> [Int: Int] {
            var out = from
            for _ in 0..<(distinct / 5 + 3) {
                let k = Int(random.next() % UInt64(distinct + 10))
                out[k] = Int(random.next() % 4)
                if out[k] == 0 { out[k] = nil }
            }
            return out
        }
        var base: [Int: Int] = [:]
        for k in 0..<distinct where random.next() % 2 == 0 { base[k] = 1 + Int(random.next() % 3) }
        let ours = randomCounts(base), theirs = randomCounts(base)
        func table(_ counts: [Int: Int]) throws -> Table {
            try f.table(counts.flatMap { k, n in Array(repeating: [int(k), text("r\(k % 7)")], count: n) }, schema: schema)
        }
        let r = try f.merge(try table(base), try table(ours), try table(theirs))
        var expected: [Int: Int] = [:]
        var conflicts = 0
        for k in Set(base.keys).union(ours.keys).union(theirs.keys) {
            let b = base[k] ?? 0, o = ours[k] ?? 0, t = theirs[k] ?? 0
            let n: Int
            if o == t { n = o } else if o == b { n = t } else if t == b { n = o } else if (o == 0 && t > b) || (t == 0 && o > b) {
                conflicts += 1
                n = o
            } else {
                n = max(0, o + t - b)
            }
            if n > 0 { expected[k] = n }
        }
        #expect(r.conflicts.count == conflicts)
        #expect(r.conflicts.allSatisfy { $0.kind == .multiplicity })
        if conflicts == 0 {
            var merged: [Int: Int] = [:]
            for row in try f.rows(r.table) { if case let .integer(k) = row[0] { merged[Int(k), default: 0] += 1 } }
            #expect(merged == expected)
        }
    }
}
