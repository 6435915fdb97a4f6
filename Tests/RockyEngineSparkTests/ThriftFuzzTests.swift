import Foundation
import RockyEngineSpark
import RockyTestSupport
import Testing

/// Malformed, truncated, oversized and hostile protocol data: always an
/// error (never a crash, an unbounded allocation, or a hang).
@Suite struct ThriftFuzzTests {
    /// A well-formed FetchResults reply with a columnar row set of every
    /// column kind (NULL bitmaps included).
    static func fetchReply() -> [UInt8] {
        func column(_ kind: Int16, _ values: ThriftValue, nulls: [UInt8]) -> ThriftValue {
            .struct([kind: .struct([1: values, 2: .binary(nulls)])])
        }
        let columns: [ThriftValue] = [
            column(1, .list(.bool, [.bool(true), .bool(false), .bool(true)]), nulls: [0b100]),
            column(2, .list(.byte, [.byte(-1), .byte(0), .byte(7)]), nulls: [0]),
            column(3, .list(.i16, [.i16(1), .i16(2), .i16(3)]), nulls: [0b010]),
            column(4, .list(.i32, [.i32(1), .i32(2), .i32(3)]), nulls: [0]),
            column(5, .list(.i64, [.i64(.max), .i64(.min), .i64(0)]), nulls: [0b001]),
            column(6, .list(.double, [.double(0.5), .double(-1), .double(.infinity)]), nulls: [0]),
            column(7, .list(.string, [.binary(Array("a".utf8)), .binary([]), .binary(Array("naïve".utf8))]), nulls: [0b010]),
            column(8, .list(.string, [.binary([0, 255]), .binary([]), .binary([1])]), nulls: [0]),
        ]
        let rowSet = ThriftValue.struct([1: .i64(0), 2: .list(.struct, []), 3: .list(.struct, columns)])
        let response = ThriftValue.struct([1: .struct([1: .i32(0)]), 2: .bool(false), 3: rowSet])
        var writer = ThriftWriter()
        writer.reply("FetchResults", sequence: 1, result: .struct([0: response]))
        return writer.bytes
    }

    @Test func aWellFormedReplyDecodesToItsRows() throws {
        let rows = try HiveConnection.decodeFetchReply(ThriftFuzzTests.fetchReply())
        #expect(rows == [
            [.bool(true), .int(-1), .int(1), .int(1), .null, .double(0.5), .string("a"), .binary([0, 255])],
            [.bool(false), .int(0), .null, .int(2), .int(.min), .double(-1), .null, .binary([])],
            [.null, .int(7), .int(3), .int(3), .int(0), .double(.infinity), .string("naïve"), .binary([1])],
        ])
    }

    @Test func everyTruncationIsAnError() {
        let reply = ThriftFuzzTests.fetchReply()
        for length in 0..<reply.count {
            #expect(throws: (any Error).self) { try HiveConnection.decodeFetchReply(Array(reply[0..<length])) }
        }
    }

    @Test func randomMutationsNeverCrash() {
        var generator = SplitMix(seed: 19)
        let reply = ThriftFuzzTests.fetchReply()
        var errors = 0
        for _ in 0..<20_000 {
            var bytes = reply
            for _ in 0..<Int.random(in: 1...4, using: &generator) {
                let i = Int.random(in: 0..<bytes.count, using: &generator)
                bytes[i] = UInt8.random(in: 0...255, using: &generator)
            }
            do { _ = try HiveConnection.decodeFetchReply(bytes) } catch { errors += 1 }
        }
        // Most mutations break the message (some only change a value).
        #expect(errors > 0)
        for _ in 0..<5_000 {
            let bytes = (0..<Int.random(in: 0...200, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) }
            _ = try? HiveConnection.decodeFetchReply(bytes)
        }
    }

    @Test func hugeDeclaredSizesAreRefusedBeforeAllocating() {
        // A string of 2 GiB - 1, a list of 2^31 - 1 elements, a map likewise: after a valid header.
        var header = ThriftWriter()
        header.reply("FetchResults", sequence: 1, result: .struct([:]))
        let prefix = Array(header.bytes.dropLast())  // without the STOP: a field follows
        let hostile: [[UInt8]] = [
            [11, 0, 0, 0x7f, 0xff, 0xff, 0xff],
            [15, 0, 0, 10, 0x7f, 0xff, 0xff, 0xff],
            [13, 0, 0, 8, 8, 0x7f, 0xff, 0xff, 0xff],
            [15, 0, 0, 12, 0xff, 0xff, 0xff, 0xff],
        ]
        for field in hostile {
            #expect(throws: ThriftError.self) { try HiveConnection.decodeFetchReply(prefix + field) }
        }
        // A string longer than the message limit.
        let reader = ThriftReader(source: MemoryByteSource([0, 0, 0x10, 0] + [UInt8](repeating: 65, count: 4096)),
                                  limits: ThriftLimits(messageBytes: 1000))
        #expect(throws: ThriftError.limit("message larger than 1000 bytes")) { try reader.read(.string, depth: 0) }
    }

    @Test func deepNestingIsRefused() {
        // 10,000 nested structs (field 1 of type struct, over and over).
        let bytes = Array(repeating: [UInt8]([12, 0, 1]), count: 10_000).flatMap { $0 }
        let reader = ThriftReader(source: MemoryByteSource(bytes))
        #expect(throws: ThriftError.limit("nesting deeper than 64")) { try reader.readStruct() }
    }

    @Test func aServerThatSendsGarbageIsAnErrorNotACrash() throws {
        let server = try FakeServer(reply: Array("HTTP/1.1 400 Bad Request\r\n\r\n".utf8), hold: false)
        #expect(throws: ThriftError.self) {
            try HiveConnection(host: "127.0.0.1", port: server.port, timeout: .seconds(30))
        }
    }

    @Test func aServerThatStallsMidReplyTimesOut() throws {
        // Half of a valid reply, then silence with the connection held open.
        let reply = ThriftFuzzTests.fetchReply()
        let server = try FakeServer(reply: Array(reply[0..<reply.count / 2]), hold: true)
        #expect(throws: HiveTransportError.timeout("waiting for the server's answer")) {
            try HiveConnection(host: "127.0.0.1", port: server.port, timeout: .milliseconds(500))
        }
    }

    @Test func aServerThatHangsUpIsALostConnection() throws {
        let server = try FakeServer(reply: [], hold: false)
        #expect(throws: HiveTransportError.closed("the server closed the connection")) {
            try HiveConnection(host: "127.0.0.1", port: server.port, timeout: .seconds(30))
        }
    }

    @Test func anOversizedSASLFrameIsRefused() throws {
        // After the 19 bytes of START "PLAIN" and OK "\0u\0p": SASL COMPLETE, then a frame announcing 1 GiB.
        let server = try FakeServer(reply: [5, 0, 0, 0, 0] + [0x40, 0, 0, 0], replyAfter: 19, hold: true)
        #expect(throws: ThriftError.malformed("frame length 1073741824")) {
            try HiveConnection(host: "127.0.0.1", port: server.port, authentication: .plain(user: "u", password: "p"),
                               timeout: .seconds(30), limits: ThriftLimits(messageBytes: 1 << 20))
        }
    }

    @Test func aRefusedConnectionSaysSo() throws {
        let port = try SparkServer.freePort()  // bound and released: nothing listens there
        #expect(throws: HiveTransportError.self) {
            try HiveConnection(host: "127.0.0.1", port: port, timeout: .seconds(5))
        }
    }
}

/// A seeded generator: the fuzz cases are the same on every run.
struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
