import RockyBase
import RockyStore
@testable import RockyTable
import Testing

/// Rows as (key, value) for tree tests: keys are big-endian integers, so
/// their order is numeric.
func key(_ n: Int) -> [UInt8] {
    var out: [UInt8] = []
    KeyCodec.append(.integer(Int64(n)), type: .integer, to: &out)
    return out
}

func value(_ n: Int, version: Int = 0) -> [UInt8] { Array("row \(n) v\(version)".utf8) }

func build(_ store: any ObjectStore, _ rows: [(Int, Int)]) throws -> TreeRoot? {
    let builder = TreeBuilder(store: store)
    for (k, v) in rows.sorted(by: { $0.0 < $1.0 }) { try builder.append(key: key(k), value: value(k, version: v)) }
    return try builder.finish()
}

func contents(_ store: any ObjectStore, _ root: TreeRoot?) throws -> [([UInt8], [UInt8])] {
    var cursor = TreeReader(store: store).rows(root)
    var out: [([UInt8], [UInt8])] = []
    while let row = try cursor.nextRow() { out.append((Array(row.key), Array(row.value))) }
    return out
}

@Suite struct TreeTests {
    @Test func rowsComeBackInOrderAtEverySize() throws {
        let store = MemoryObjectStore()
        for n in [0, 1, 31, 32, 300, 5_000, 40_000] {
            let rows = (0..<n).map { ($0 * 3, 0) }.shuffled()
            let root = try build(store, rows)
            #expect(root?.rows ?? 0 == n)
            let back = try contents(store, root)
            #expect(back.map(\.0) == (0..<n).map { key($0 * 3) })
            if n >= 40_000 { #expect(root!.level >= 2, "a large table has index levels") }
        }
    }

    @Test func seekingStartsAtTheFirstKeyNotBelow() throws {
        let store = MemoryObjectStore()
        let root = try build(store, (0..<20_000).map { ($0 * 2, 0) })
        for probe in [0, 1, 2, 777, 15_001, 39_998, 39_999] {
            var cursor = TreeReader(store: store).rows(root, from: key(probe))
            let first = try cursor.nextRow()
            let expected = probe % 2 == 0 ? probe : probe + 1
            #expect(first.map { Array($0.key) } == (expected < 40_000 ? key(expected) : nil), "probe \(probe)")
        }
    }

    @Test func keysOutOfOrderAreRefused() throws {
        let builder = TreeBuilder(store: MemoryObjectStore())
        try builder.append(key: key(2), value: value(2))
        #expect(throws: TreeError.keysOutOfOrder) { try builder.append(key: key(1), value: value(1)) }
        #expect(throws: TreeError.keysOutOfOrder) { try builder.append(key: key(2), value: value(2)) }
    }

    /// The central invariant: whatever edits produced a set of rows, the
    /// tree is the one a fresh build gives, id for id.
    @Test func editsGiveTheSameTreeAsAFreshBuild() throws {
        var generator = SeededRandom(seed: 7)
        for round in 0..<30 {
            let store = MemoryObjectStore()
            var rows: [Int: Int] = [:]
            let size = [0, 10, 500, 3_000, 25_000][round % 5]
            while rows.count < size { rows[Int(generator.next() % 100_000)] = 0 }
            var root = try build(store, rows.map { ($0.key, $0.value) })
            for _ in 0..<3 {
                var changes: [Int: RowChange] = [:]
                let count = [1, 5, 50, 2_000][Int(generator.next() % 4)]
                for _ in 0..<count {
                    let k = Int(generator.next() % 110_000)
                    switch generator.next() % 3 {
                    case 0: changes[k] = .delete; rows[k] = nil
                    default:
                        let v = Int(generator.next() % 1000) + 1
                        changes[k] = .upsert(value(k, version: v)); rows[k] = v
                    }
                }
                let sorted = changes.sorted { $0.key < $1.key }.map { KeyedChange(key: key($0.key), change: $0.value) }
                root = try TreeEditor(store: store).apply(sorted.makeIterator(), to: root)
                let fresh = try build(MemoryObjectStore(), rows.map { ($0.key, $0.value) })
                #expect(root == fresh, "round \(round): edited tree differs from a fresh build")
            }
        }
    }

    /// The editor's shortcut for chunks whose keys stay (only values change,
    /// as in most merges) writes the old payload with the values replaced:
    /// values growing and shrinking, in the first, a middle and the last
    /// chunk, and next to inserts and deletes, it still gives the tree a
    /// fresh build gives.
    @Test func replacingValuesGivesTheSameTreeAsAFreshBuild() throws {
        let store = MemoryObjectStore()
        var rows = Dictionary(uniqueKeysWithValues: (0..<20_000).map { ($0 * 2, 0) })
        var root = try build(store, rows.map { ($0.key, $0.value) })
        for (round, step) in [97, 13, 1_001].enumerated() {
            var changes: [Int: RowChange] = [:]
            for k in stride(from: 0, to: 40_000, by: step * 2) {
                let version = round == 1 ? 0 : 10_000 * (round + 1) + k   // shorter, then longer values
                changes[k] = .upsert(value(k, version: version))
                rows[k] = version
            }
            changes[39_998] = .upsert(value(39_998, version: round + 1))
            rows[39_998] = round + 1
            if round == 2 {
                changes[4_001] = .upsert(value(4_001, version: 1))    // an insert
                rows[4_001] = 1
                changes[30_000] = .delete
                rows[30_000] = nil
            }
            let sorted = changes.sorted { $0.key < $1.key }.map { KeyedChange(key: key($0.key), change: $0.value) }
            root = try TreeEditor(store: store).apply(sorted.makeIterator(), to: root)
            #expect(root == (try build(MemoryObjectStore(), rows.map { ($0.key, $0.value) })), "round \(round)")
        }
    }

    @Test func changingOneRowRewritesOnlyItsPath() throws {
        let store = MemoryObjectStore()
        let root = try build(store, (0..<200_000).map { ($0, 0) })!
        let builder = TreeBuilder(store: store)
        let edited = try TreeEditor(store: store).apply(
            [KeyedChange(key: key(123_456), change: .upsert(value(123_456, version: 9)))].makeIterator(), to: root, builder: builder)!
        #expect(edited.rows == 200_000)
        #expect(edited.id != root.id)
        #expect(builder.objectsWritten <= root.level + 2, "wrote \(builder.objectsWritten) objects for one changed row")
    }

    @Test func insertOfAnExistingKeyNamesIt() throws {
        let store = MemoryObjectStore()
        let root = try build(store, (0..<1000).map { ($0, 0) })
        #expect(throws: TreeError.duplicateKey(key: key(500), origin: 42)) {
            _ = try TreeEditor(store: store).apply([KeyedChange(key: key(500), change: .insert(value(500)), origin: 42)].makeIterator(), to: root)
        }
    }

    @Test func keylessMultiplicityAddsAndRemoves() throws {
        let store = MemoryObjectStore()
        var root = try TreeEditor(store: store).apply(
            [KeyedChange(key: key(1), change: .addCount(2)), KeyedChange(key: key(2), change: .addCount(1))].makeIterator(), to: nil)
        root = try TreeEditor(store: store).apply(
            [KeyedChange(key: key(1), change: .addCount(3)), KeyedChange(key: key(2), change: .addCount(-1))].makeIterator(), to: root)
        let rows = try contents(store, root)
        #expect(rows.count == 1)
        #expect(rows.first?.1 == RowCodec.multiplicity(5))
    }
}

@Suite struct TreeDiffTests {
    func differences(_ store: any ObjectStore, _ a: TreeRoot?, _ b: TreeRoot?) throws -> (rows: [(Int, Int?, Int?)], nodesRead: Int) {
        var diff = TreeDiff(store: store, old: a, new: b)
        var out: [(Int, Int?, Int?)] = []
        while let d = try diff.nextDifference() {
            var p = 0
            let k = try d.key.withUnsafeBytes { try KeyCodec.decode($0, &p, type: .integer) }
            guard case let .integer(n) = k else { continue }
            func version(_ v: ArraySlice<UInt8>?) -> Int? { v.map { Int(String(decoding: $0, as: UTF8.self).split(separator: "v").last!)! } }
            out.append((Int(n), version(d.old), version(d.new)))
        }
        return (out, diff.nodesRead)
    }

    @Test func diffMatchesANaiveComparison() throws {
        var generator = SeededRandom(seed: 11)
        for round in 0..<20 {
            let store = MemoryObjectStore()
            var left: [Int: Int] = [:]
            for _ in 0..<[0, 50, 3_000, 20_000][round % 4] { left[Int(generator.next() % 50_000)] = 0 }
            var right = left
            for _ in 0..<[0, 1, 10, 500, 5_000][round % 5] {
                let k = Int(generator.next() % 55_000)
                if generator.next() % 3 == 0 { right[k] = nil } else { right[k] = Int(generator.next() % 9) + 1 }
            }
            let a = try build(store, left.map { ($0.key, $0.value) }), b = try build(store, right.map { ($0.key, $0.value) })
            let (found, _) = try differences(store, a, b)
            let expected = Set(left.keys).union(right.keys).sorted().compactMap { k -> (Int, Int?, Int?)? in
                left[k] == right[k] ? nil : (k, left[k], right[k])
            }
            #expect(found.map(\.0) == expected.map(\.0), "round \(round)")
            #expect(found.map(\.1) == expected.map(\.1))
            #expect(found.map(\.2) == expected.map(\.2))
        }
    }

    @Test func diffCostFollowsTheDifference() throws {
        let store = MemoryObjectStore()
        let rows = (0..<200_000).map { ($0, 0) }
        let a = try build(store, rows)
        var changed = rows
        for k in stride(from: 7, to: 200_000, by: 20_000) { changed[k].1 = 1 }
        let b = try build(store, changed)
        let (found, nodesRead) = try differences(store, a, b)
        #expect(found.count == 10)
        #expect(nodesRead < 120, "read \(nodesRead) nodes for 10 changed rows of 200,000")
        #expect(try differences(store, a, a).nodesRead == 0, "identical trees are not read at all")
    }
}
