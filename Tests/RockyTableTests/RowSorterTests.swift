import Foundation
import RockyBase
@testable import RockyTable
import Testing

/// The external sort behind import, diff re-keying, projection and the
/// engine's keyless writes: rows come back in key order, equal keys in
/// arrival order, whether they fit in memory or spill to many run files.
@Suite struct RowSorterTests {
    /// Random keys (many repeated) with values naming their arrival.
    private func rows(_ n: Int, seed: UInt64) -> [(key: [UInt8], value: [UInt8])] {
        var random = SeededRandom(seed: seed)
        return (0..<n).map { i in
            (key(random.below(n / 3 + 1)), Array("arrival \(i) ".utf8) + [UInt8](repeating: 0x61, count: random.below(40)))
        }
    }

    private func sorted(_ rows: [(key: [UInt8], value: [UInt8])], budget: Int, fanIn: Int, directory: String) throws -> [([UInt8], [UInt8], Int)] {
        let sorter = RowSorter(memoryBudget: budget, fanIn: fanIn, temporaryDirectory: directory)
        for (i, row) in rows.enumerated() { try sorter.add(key: row.key, value: row.value, origin: i) }
        let out = try sorter.finish()
        let records = out.map { (Array($0.key), Array($0.value), $0.origin) }
        try out.checkComplete()
        return records
    }

    @Test(arguments: [(1 << 26, 64), (4096, 64), (4096, 3), (512, 2)])
    func rowsComeBackInKeyOrderWithEqualKeysInArrivalOrder(budget: Int, fanIn: Int) throws {
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let input = rows(3_000, seed: UInt64(budget + fanIn))
        let expected = input.enumerated()
            .sorted { a, b in a.element.key.lexicographicallyPrecedes(b.element.key) || (a.element.key == b.element.key && a.offset < b.offset) }
            .map { ($0.element.key, $0.element.value, $0.offset) }
        let got = try sorted(input, budget: budget, fanIn: fanIn, directory: directory)
        #expect(got.count == expected.count)
        #expect(got.elementsEqual(expected) { $0.0 == $1.0 && $0.1 == $1.1 && $0.2 == $1.2 })
    }

    @Test func runFilesAreFoldedToTheFanInAndRemovedAfterwards() throws {
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let sorter = RowSorter(memoryBudget: 1024, fanIn: 4, temporaryDirectory: directory)
        for (i, row) in rows(2_000, seed: 7).enumerated() { try sorter.add(key: row.key, value: row.value, origin: i) }
        let spilled = try FileManager.default.contentsOfDirectory(atPath: directory).count
        #expect(spilled > 4, "a 1 KiB budget spills many runs")
        let out = try sorter.finish()
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory).count <= 4, "runs folded until one merge reads them all")
        #expect(out.reduce(0) { n, _ in n + 1 } == 2_000)
        try out.checkComplete()
        _ = consume sorter
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory).isEmpty, "no run file outlives the sorter")
    }

    @Test func twoSortersShareATemporaryFolderWithoutMixingRows() throws {
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let a = RowSorter(memoryBudget: 1024, temporaryDirectory: directory)
        let b = RowSorter(memoryBudget: 1024, temporaryDirectory: directory)
        for i in 0..<500 {
            try a.add(key: key(500 - i), value: Array("a".utf8), origin: i)
            try b.add(key: key(i), value: Array("b".utf8), origin: i)
        }
        let fromA = try a.finish(), fromB = try b.finish()
        #expect(fromA.allSatisfy { $0.value == Array("a".utf8)[...] })
        #expect(fromB.allSatisfy { $0.value == Array("b".utf8)[...] })
        try fromA.checkComplete()
        try fromB.checkComplete()
    }

    @Test func aRunCutShortFailsInsteadOfEndingTheStream() throws {
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        // Runs of about 2 MiB: the merge reads them 1 MiB at a time.
        let sorter = RowSorter(memoryBudget: 2 << 20, temporaryDirectory: directory)
        let filler = [UInt8](repeating: 0x62, count: 100)
        for i in 0..<60_000 { try sorter.add(key: key((i * 7919) % 60_000), value: filler, origin: i) }
        let out = try sorter.finish()
        // Cut the full runs after the merge read their first megabyte.
        var cut = 0
        for name in try FileManager.default.contentsOfDirectory(atPath: directory) {
            let path = directory + "/" + name
            let size = try FileManager.default.attributesOfItem(atPath: path)[.size] as! Int
            if size > 3 << 19 {
                #expect(truncate(path, off_t(3 << 19)) == 0)
                cut += 1
            }
        }
        #expect(cut >= 2)
        let seen = out.reduce(0) { n, _ in n + 1 }
        #expect(seen < 60_000)
        #expect(throws: (any Error).self) { try out.checkComplete() }
    }
}
