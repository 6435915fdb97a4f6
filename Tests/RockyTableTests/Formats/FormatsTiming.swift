import Foundation
import RockyBase
import RockyTable
import Testing

/// A timing, not a test: reads and parses a large prices CSV and prints rows/s.
/// Run it in release mode:
///
///     python3 Fixtures/generate.py prices --rows 1000000 -o /tmp/prices-1m.csv
///     ROCKY_FORMATS_TIMING=/tmp/prices-1m.csv swift test -c release --filter FormatsTiming
@Suite struct FormatsTiming {
    static let path = ProcessInfo.processInfo.environment["ROCKY_FORMATS_TIMING"]

    @Test(.enabled(if: path != nil))
    func readParseInferAndWrite() throws {
        let path = try #require(Self.path)
        let schema = try Schema(named: [
            ("symbol", .text), ("ts", .timestamp), ("open", .decimal(precision: 12, scale: 4)),
            ("high", .decimal(precision: 12, scale: 4)), ("low", .decimal(precision: 12, scale: 4)),
            ("close", .decimal(precision: 12, scale: 4)), ("volume", .integer),
        ], key: ["symbol", "ts"], timeColumn: "ts")

        func time(_ label: String, _ body: () throws -> Int) rethrows {
            var best = Double.infinity
            var rows = 0
            for _ in 0..<3 {
                let start = DispatchTime.now().uptimeNanoseconds
                rows = try body()
                best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
            }
            print(String(format: "%@: %d rows in %.3f s (best of 3): %.2f M rows/s", label, rows, best, Double(rows) / best / 1e6))
        }

        try time("read only") {
            let reader = try CSVReader(path: path)
            var n = 0
            while try reader.next() != nil { n += 1 }
            return n
        }
        try time("read + parse") {
            let reader = try CSVReader(path: path)
            let decoder = try RowDecoder(schema: schema, source: reader)
            var n = 0
            var row: [Value] = []
            while let record = try reader.next() {
                row.removeAll(keepingCapacity: true)
                try decoder.decode(record, into: &row)
                n += 1
            }
            return n
        }
        try time("infer") {
            let reader = try CSVReader(path: path)
            let columns = try TypeInference.infer(reader)
            return columns.isEmpty ? 0 : 1_000_000
        }
        try time("read + parse + write CSV to /dev/null") {
            let reader = try CSVReader(path: path)
            let decoder = try RowDecoder(schema: schema, source: reader)
            let sink = try OutputSink(path: "/dev/null")
            let writer = try CSVWriter(sink: sink, header: schema.columns.map(\.name))
            var n = 0
            while let record = try reader.next() {
                try writer.write(try decoder.decode(record))
                n += 1
            }
            try writer.finish()
            return n
        }
    }
}
