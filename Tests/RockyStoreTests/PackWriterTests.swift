import Foundation
@testable import RockyStore
import Synchronization
import Testing

@Suite struct PackWriterTests {
    /// With its queue full, a writer compresses queued objects on the
    /// caller's thread; an object larger than the whole queue still goes
    /// through; and every object reads back as it was given, from two
    /// threads adding at once.
    @Test func aFullQueueStillStoresEveryObjectAsGiven() throws {
        let dir = TemporaryDirectory()
        let writer = try PackWriter(folder: dir.path, inFlightLimit: 192 << 10)
        // Sizes from empty to past the threshold for block-parallel deflate.
        let sizes = (0..<400).map { i in i == 1 ? 0 : i % 97 == 0 ? 600_000 : 1_000 + (i * 7_919) % 40_000 }
        let objects = sizes.enumerated().map { i, size -> (ObjectID, [UInt8], [UInt8]) in
            let payload = (0..<size).map { UInt8(truncatingIfNeeded: ($0 / 3) ^ i) }
            return (objectID(.blob, payload), objectHeader(.blob, payload.count), payload)
        }
        let failures = Mutex(0)
        DispatchQueue.concurrentPerform(iterations: 2) { half in
            for (i, (id, header, payload)) in objects.enumerated() where i / 200 == half {
                // Both levels the store writes: stored blocks (index nodes) and level 1.
                do { try writer.add(id, header: header, payload: payload, level: i % 5 == 0 ? 0 : 1) } catch { failures.withLock { $0 += 1 } }
            }
        }
        #expect(failures.withLock { $0 } == 0)
        let entries = try writer.drain()
        #expect(entries.count == objects.count)
        for (id, header, payload) in objects {
            let stored = try #require(try writer.compressed(id))
            let object = try stored.withUnsafeBytes { try WholeInflation.inflate($0) }
            #expect(object.header == header && object.payload == payload)
            // A plain zlib reader, which checks the Adler-32 trailer, reads the same.
            var plain: [UInt8] = []
            let inflater = Inflater()
            try stored.withUnsafeBytes { try inflater.feed($0) { plain.append(contentsOf: $0) } }
            #expect(inflater.isFinished && plain == header + payload)
        }
    }
}
