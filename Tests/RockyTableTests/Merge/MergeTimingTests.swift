import Foundation
import RockyBase
import RockyStore
@testable import RockyTable
import Testing

/// The performance goal of the merge issue, measured by hand (no timing is
/// asserted): merging two branches that each changed 100 rows of a 1M-row
/// table against importing that table. Run in release mode with a prices
/// CSV (`python3 Fixtures/generate.py prices --rows 1000000 -o FILE`):
///
///     ROCKY_MERGE_CSV=FILE swift test -c release --filter MergeTimingTests
@Suite(.enabled(if: ProcessInfo.processInfo.environment["ROCKY_MERGE_CSV"] != nil))
struct MergeTimingTests {
    @Test func mergingHundredRowChangesCostsAFractionOfAnImport() throws {
        let csv = ProcessInfo.processInfo.environment["ROCKY_MERGE_CSV"]!
        let decimal = ColumnType.decimal(precision: 12, scale: 4)
        let schema = try Schema(named: [("symbol", .text), ("ts", .timestamp), ("open", decimal), ("high", decimal),
                                        ("low", decimal), ("close", decimal), ("volume", .integer)], key: ["symbol", "ts"])
        let lines = try String(contentsOfFile: csv, encoding: .utf8).split(separator: "\n")
        let rows = lines.count - 1
        // Ours changes `close` of 100 rows, theirs `volume` of 100 others and
        // `open` of 20 of ours' rows (combined cell by cell).
        func edit(_ indices: [Int], field: Int) -> String {
            var out = String(lines[0]) + "\n"
            for i in indices {
                var fields = lines[1 + i].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
                fields[field] = field == 6 ? "777" : "1234.5678"
                out += fields.joined(separator: ",") + "\n"
            }
            return out
        }
        let oursRows = (0..<100).map { $0 * (rows / 100) + 3 }
        // Theirs' rows lie between ours' (other chunks): the costlier case.
        let theirsRows = (0..<100).map { $0 * (rows / 100) + rows / 200 }
        let oursCSV = edit(oursRows, field: 5)
        let theirsCSV = edit(theirsRows, field: 6)
        let theirsOpenCSV = edit(Array(oursRows.prefix(20)), field: 2)

        for kind in (ProcessInfo.processInfo.environment["ROCKY_MERGE_STORES"] ?? "memory,disk").split(separator: ",").map(String.init) {
            let tmp = NSTemporaryDirectory() + "rocky-merge-timing-\(UUID().uuidString)"
            try FileManager.default.createDirectory(atPath: tmp + "/objects", withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: tmp) }
            let store: any ObjectStore = kind == "memory" ? MemoryObjectStore() : DiskObjectStore(directory: tmp + "/objects")
            let importer = TableImporter(store: store, temporaryDirectory: tmp)

            let start = DispatchTime.now()
            let base = try store.batch {
                let table = try importer.load(try CSVReader(path: csv), schema: schema, into: nil, mode: .replace).table
                _ = try store.write(table: table)
                return table
            }
            let importSeconds = Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9

            let (ours, theirs) = try store.batch {
                let o = try importer.load(try CSVReader(text: oursCSV), schema: schema, into: base, mode: .upsert).table
                var t = try importer.load(try CSVReader(text: theirsCSV), schema: schema, into: base, mode: .upsert).table
                t = try importer.load(try CSVReader(text: theirsOpenCSV), schema: schema, into: t, mode: .upsert).table
                return (o, t)
            }

            let merger = TableMerger(store: store, temporaryDirectory: tmp)
            var times: [Double] = []
            var result: TableMergeResult?
            let repeats = Int(ProcessInfo.processInfo.environment["ROCKY_MERGE_REPEATS"] ?? "") ?? 7
            for _ in 0..<repeats {
                let t0 = DispatchTime.now()
                result = try store.batch {
                    let r = try merger.merge(base: base, ours: ours, theirs: theirs, name: "prices")
                    _ = try r.table.map { try store.write(table: $0) }
                    return r
                }
                times.append(Double(DispatchTime.now().uptimeNanoseconds - t0.uptimeNanoseconds) / 1e9)
            }
            let r = try #require(result)
            #expect(r.isClean)
            #expect(r.table?.rowCount == rows)
            #expect(r.stats.oursChangedRows == 100)
            #expect(r.stats.theirsChangedRows == 120)
            #expect(r.stats.rowsCombined == 20)
            times.sort()
            let median = times[times.count / 2]
            print("merge timing (\(kind) store, \(rows) rows, 100 + 120 changed rows): import \(String(format: "%.3f", importSeconds)) s, "
                + "merge median \(String(format: "%.2f", median * 1000)) ms (min \(String(format: "%.2f", times[0] * 1000)) ms), "
                + "\(String(format: "%.2f", median / importSeconds * 100))% of the import; nodes read \(r.stats.nodesRead)")
        }
    }
}
