import Foundation
import RockyStore

/// Writing 1 MiB objects (hash + compress + store, durable) against
/// `openssl dgst -sha256` and `gzip -1` on the same bytes.
enum ObjectBench {
    static func run(_ arguments: [String]) throws {
        let megabytes = Int(arguments.first ?? "") ?? 64
        let dir = Bench.temporaryDirectory("objects")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let data = tableLikeBytes(megabytes << 20)
        let file = dir + "/data.csv"
        try Data(data).write(to: URL(fileURLWithPath: file))
        let objects = (0..<megabytes).map { Array(data[($0 << 20)..<(($0 + 1) << 20)]) }

        var round = 0
        func freshStore() throws -> LooseObjectStore {
            round += 1
            let path = dir + "/objects\(round)"
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
            return LooseObjectStore(directory: path)
        }
        let durable = try Bench.seconds {
            let store = try freshStore()
            for object in objects { try store.write(.blob, object) }
        }
        let batched = try Bench.seconds {
            let store = try freshStore()
            try store.batch { for object in objects { try store.write(.blob, object) } }
        }
        let hashOnly = Bench.seconds { for object in objects { _ = objectID(.blob, object) } }
        let openssl = try Bench.shell("openssl dgst -sha256 \(file) > /dev/null")
        let gzip = try Bench.shell("gzip -1 -c \(file) > /dev/null")
        let mb = Double(megabytes) * 1.048576
        func rate(_ s: Double) -> String { Bench.format(mb / s, 0) + " MB/s" }

        Bench.header("Writing objects: \(megabytes) objects of 1 MiB of CSV-like rows")
        Bench.row("hash + compress + store, each object fsynced", rocky: rate(durable), other: "gzip -1: " + rate(gzip),
                  ratio: Bench.format(gzip / durable) + "x gzip's speed", goal: ">= 1x")
        Bench.row("same, in one batch (two syncfs)", rocky: rate(batched), other: "gzip -1: " + rate(gzip),
                  ratio: Bench.format(gzip / batched) + "x gzip's speed", goal: ">= 1x")
        Bench.row("SHA-256 of object bytes", rocky: rate(hashOnly), other: "openssl dgst: " + rate(openssl),
                  ratio: Bench.format(openssl / hashOnly) + "x openssl's speed", goal: "")
    }

    /// Deterministic bytes that compress like a prices CSV.
    static func tableLikeBytes(_ count: Int) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(count + 100)
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        var price = 10_000.0
        var day = 0
        while out.count < count {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            price = max(1, price + Double(Int64(bitPattern: state >> 11) % 200 - 100) / 100)
            day += 1
            let symbol = "S" + String(state >> 58, radix: 10)
            let line = "\(symbol),2026-\(String(format: "%02d-%02d", day / 28 % 12 + 1, day % 28 + 1))T20:00:00Z,"
                + String(format: "%.4f", price) + ",\(state >> 40 & 0xFFFFF)\n"
            out.append(contentsOf: line.utf8)
        }
        return Array(out.prefix(count))
    }
}
