import Foundation
import RockyEngineSpark
import RockyTestSupport

/// The suite's Spark Thrift server (started once, stopped at process exit).
func sparkServer() throws -> SparkServer {
    try SparkServer.shared.get()
}

func connectToSpark(timeout: Duration = .seconds(120)) throws -> HiveConnection {
    let server = try sparkServer()
    return try HiveConnection(host: server.host, port: server.port, authentication: .noSASL, user: "rocky", timeout: timeout)
}

/// A fake HiveServer2 on a loopback port chosen by the OS: accepts one
/// connection, reads what the client sends until `replyAfter` bytes came
/// (or any bytes, when nil), answers `reply`, then holds the connection
/// open (`hold`) or closes it.
final class FakeServer: Sendable {
    let port: Int
    private let listener: Int32

    init(reply: [UInt8], replyAfter: Int? = nil, hold: Bool) throws {
        let (fd, boundPort) = try Loopback.listen(backlog: 4)
        listener = fd
        port = boundPort
        let thread = Thread {
            let client = accept(fd, nil, nil)
            guard client >= 0 else { return }
            var received = 0
            var buffer = [UInt8](repeating: 0, count: 65536)
            repeat {
                let n = buffer.withUnsafeMutableBytes { recv(client, $0.baseAddress!, $0.count, 0) }
                if n <= 0 { break }
                received += n
            } while received < (replyAfter ?? 1)
            var sent = 0
            while sent < reply.count {
                let n = reply.withUnsafeBytes { send(client, $0.baseAddress! + sent, reply.count - sent, Int32(MSG_NOSIGNAL)) }
                if n <= 0 { break }
                sent += n
            }
            if hold {
                // Until the client gives up and closes its end.
                while buffer.withUnsafeMutableBytes({ recv(client, $0.baseAddress!, $0.count, 0) }) > 0 {}
            }
            close(client)
        }
        thread.start()
    }

    deinit { close(listener) }
}
