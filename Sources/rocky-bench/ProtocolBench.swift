import Foundation
import Glibc
import Rocky
import RockyCLI
import RockySQL

/// `rocky-bench protocol`: the goals of `rocky lsp` and `rocky mcp` (issue 23),
/// each server run in this process on a thread, talking over pipes as an
/// editor or an agent host would, without a process in between.
///
/// 1. Diagnostics for a 200-line, 15-CTE model published within 10 ms of
///    a change; beside it, the same when another model changed too, so the
///    server reads the repository and compiles every model again (what every
///    request cost before the per-repository cache).
/// 2. Completion answered within 5 ms.
/// 3. An MCP `sql` tool call on a small table: at most 10 ms over the same
///    `rocky sql --json` run in process.
enum ProtocolBench {
    static func run(_ arguments: [String]) throws {
        let repo = Bench.temporaryDirectory("protocol")
        defer { try? FileManager.default.removeItem(atPath: repo) }
        var environment = ProcessInfo.processInfo.environment
        environment["ROCKY_ACTOR"] = "bench"
        environment["NO_COLOR"] = "1"
        func rocky(_ args: [String]) throws {
            let run = RockyCLI.runCapturing(args, environment: environment, directory: repo)
            guard run.code == 0 else { throw BenchError("rocky \(args.joined(separator: " ")) failed (\(run.code)): \(run.err)\(run.out)") }
        }
        try rocky(["init"])
        try rocky(["sql", "--", SQLBench.fallbackSchema])
        var inserts: [String] = []
        for i in 1...40 {
            inserts.append("INSERT INTO customers VALUES (\(i), 'name \(i)', 'user\(i)@example.com', '000-00-\(1000 + i)', DATE '1990-01-01', 'NL', 'retail')")
            inserts.append("INSERT INTO prices VALUES ('S\(i % 8)', TIMESTAMP '2026-05-\(10 + i % 15) 00:00:00', 10, 12, 9, 11, \(5000 + i))")
        }
        try rocky(["sql", "--", inserts.joined(separator: ";\n")])
        try FileManager.default.createDirectory(atPath: repo + "/models", withIntermediateDirectories: true)
        // Ten other models the edited one sits among, and the big one.
        for k in 1...10 {
            try "SELECT symbol, ts, close * \(k) AS scaled, volume FROM prices WHERE volume > \(k)\n"
                .write(toFile: repo + "/models/m\(k).sql", atomically: true, encoding: .utf8)
        }
        let model = SQLBench.bigQuery()
        try (model + "\n").write(toFile: repo + "/models/big.sql", atomically: true, encoding: .utf8)
        try rocky(["commit", "-m", "bench data"])
        let lines = model.split(separator: "\n", omittingEmptySubsequences: false).count

        // What the server's diagnostics cost at least: compiling the model as
        // the table `rocky run` builds (Repository.compileModel: the SELECT on
        // its own, then as CREATE TABLE AS), against the same catalog.
        let repository = try Repository.open(discoveringFrom: repo, settings: Settings(actor: "bench"))
        var catalog = CatalogOverlay(try repository.catalog(at: nil))
        let options = try repository.compileOptions()
        for other in try repository.models() where other.name != "big" {
            if let statement = Repository.compileModel(other, catalog: catalog, options: options).statement { catalog.apply(statement) }
        }
        var compileTimes: [Double] = []
        for _ in 0..<60 {
            let start = DispatchTime.now().uptimeNanoseconds
            let compiled = Repository.compileModel(Model(name: "big", sql: model), catalog: catalog, options: options)
            compileTimes.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
            guard compiled.statement != nil else { throw BenchError("the benchmark model does not compile: \(compiled.rendered)") }
        }

        // MARK: rocky lsp
        let lsp = try Server(["lsp"], environment: environment, directory: repo, framing: .contentLength)
        let uri = URL(fileURLWithPath: repo + "/models/big.sql").absoluteString
        _ = try lsp.call("initialize", ["capabilities": [String: Any](), "initializationOptions": ["environment": "dev"]])
        lsp.notify("initialized", [:])
        lsp.notify("textDocument/didOpen", ["textDocument": ["uri": uri, "languageId": "sql", "version": 1, "text": model]])
        let first = try lsp.diagnostics(version: 1)
        guard first.isEmpty else { throw BenchError("the benchmark model has diagnostics: \(first)") }
        var version = 1
        func change() throws -> Double {
            version += 1
            // A different threshold each time: a real edit, compiled anew.
            let text = model.replacingOccurrences(of: "b.volume > 1000 ", with: "b.volume > \(1000 + version) ")
            let start = DispatchTime.now().uptimeNanoseconds
            lsp.notify("textDocument/didChange", ["textDocument": ["uri": uri, "version": version], "contentChanges": [["text": text]]])
            let diagnostics = try lsp.diagnostics(version: version)
            let ms = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6
            guard diagnostics.isEmpty else { throw BenchError("diagnostics after a change: \(diagnostics)") }
            return ms
        }
        var warm: [Double] = []
        for _ in 0..<60 { warm.append(try change()) }
        var cold: [Double] = []
        for k in 0..<15 {
            // Another model saved: the repository's stamp changes, every model is compiled again.
            try "SELECT symbol, ts, close * \(k) AS scaled, volume FROM prices WHERE volume > \(k)\n"
                .write(toFile: repo + "/models/m1.sql", atomically: true, encoding: .utf8)
            cold.append(try change())
        }
        // Completion after `s.` in the final SELECT.
        let selectLine = model.split(separator: "\n", omittingEmptySubsequences: false).firstIndex { $0.contains("SUM(s.close * s.volume)") }!
        let character = model.split(separator: "\n", omittingEmptySubsequences: false)[selectLine].utf16.count
        var completion: [Double] = []
        var items = 0
        for _ in 0..<60 {
            let start = DispatchTime.now().uptimeNanoseconds
            let result = try lsp.call("textDocument/completion", ["textDocument": ["uri": uri],
                                                                   "position": ["line": selectLine, "character": character]])
            completion.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
            items = ((result as? [String: Any])?["items"] as? [Any])?.count ?? 0
        }
        var changedThenCompleted: [Double] = []
        for _ in 0..<30 {
            _ = try change()
            let start = DispatchTime.now().uptimeNanoseconds
            _ = try lsp.call("textDocument/completion", ["textDocument": ["uri": uri], "position": ["line": selectLine, "character": character]])
            changedThenCompleted.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
        }
        _ = try lsp.call("shutdown", nil)
        lsp.notify("exit", nil)
        try lsp.finish()

        // MARK: rocky mcp
        let mcp = try Server(["--as", "bench", "--env", "dev", "mcp"], environment: environment, directory: repo, framing: .newline)
        _ = try mcp.call("initialize", ["protocolVersion": "2025-06-18", "capabilities": [String: Any](),
                                        "clientInfo": ["name": "rocky-bench", "version": "1"]])
        mcp.notify("notifications/initialized", nil)
        let query = "SELECT customer_id, name, segment FROM customers ORDER BY customer_id LIMIT 10"
        // Taken in turn, so both see the same load on a shared machine.
        var viaMCP: [Double] = []
        var direct: [Double] = []
        for _ in 0..<60 {
            var start = DispatchTime.now().uptimeNanoseconds
            let result = try mcp.call("tools/call", ["name": "sql", "arguments": ["statements": query]]) as? [String: Any]
            viaMCP.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
            guard result?["isError"] as? Bool == false else { throw BenchError("the sql tool failed: \(String(describing: result))") }
            start = DispatchTime.now().uptimeNanoseconds
            let run = RockyCLI.runCapturing(["--json", "--as", "bench", "--env", "dev", "sql", "--", query],
                                            environment: environment, directory: repo)
            direct.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
            guard run.code == 0 else { throw BenchError("rocky sql failed: \(run.err)") }
        }
        try mcp.finish()

        let warmMedian = Bench.median(warm), coldMedian = Bench.median(cold)
        let completionMedian = Bench.median(completion), afterChange = Bench.median(changedThenCompleted)
        let mcpMedian = Bench.median(viaMCP), directMedian = Bench.median(direct)
        Bench.header("Editors and agents (rocky lsp, rocky mcp; in process, over pipes; \(lines)-line model with 15 CTEs among 11 models)")
        Bench.row("diagnostics published after a change (median of 60)", rocky: "\(Bench.format(warmMedian, 3)) ms",
                  other: "\(Bench.format(coldMedian, 3)) ms (another model changed too: every model compiled again; median of 15)",
                  ratio: Bench.format(coldMedian / warmMedian) + "x", goal: "< 10 ms")
        Bench.row("of which: compiling the model as its table (Repository.compileModel, median of 60)",
                  rocky: "\(Bench.format(Bench.median(compileTimes), 3)) ms", other: "", ratio: "", goal: "")
        Bench.row("completion after `s.` (\(items) items; median of 60)", rocky: "\(Bench.format(completionMedian, 3)) ms",
                  other: "\(Bench.format(afterChange, 3)) ms (right after a change's diagnostics; median of 30)", ratio: "", goal: "< 5 ms")
        Bench.row("MCP sql tool call, 10 rows (median of 60)", rocky: "\(Bench.format(mcpMedian, 3)) ms",
                  other: "\(Bench.format(directMedian, 3)) ms (rocky sql --json in process)",
                  ratio: "+\(Bench.format(mcpMedian - directMedian, 3)) ms", goal: "<= +10 ms")
    }

    /// A server command run in this process on a thread, with pipes for its
    /// standard input and output.
    final class Server: @unchecked Sendable {
        enum Framing { case contentLength, newline }
        let framing: Framing
        private let toServer: Int32
        private let fromServer: Int32
        private let serverInput: Int32
        private let serverOutput: Int32
        private let done = DispatchSemaphore(value: 0)
        private var code: Int32 = 0
        private var errors = ""
        private var buffer: [UInt8] = []
        private var nextID = 1

        init(_ arguments: [String], environment: [String: String], directory: String, framing: Framing) throws {
            self.framing = framing
            var input: [Int32] = [0, 0], output: [Int32] = [0, 0]
            guard pipe(&input) == 0, pipe(&output) == 0 else { throw BenchError("pipe: \(errno)") }
            (serverInput, toServer, fromServer, serverOutput) = (input[0], input[1], output[0], output[1])
            let thread = Thread { [self] in
                let result = RockyCLI.serve(arguments, environment: environment, directory: directory, input: serverInput, output: serverOutput)
                code = result.code
                errors = result.err
                done.signal()
            }
            thread.stackSize = 8 << 20
            thread.start()
        }

        func send(_ message: [String: Any]) {
            let body = try! JSONSerialization.data(withJSONObject: message)
            var bytes: [UInt8]
            switch framing {
            case .contentLength: bytes = Array("Content-Length: \(body.count)\r\n\r\n".utf8) + body
            case .newline: bytes = Array(body) + [10]
            }
            var offset = 0
            while offset < bytes.count {
                let n = bytes[offset...].withUnsafeBytes { write(toServer, $0.baseAddress, $0.count) }
                if n <= 0 { return }
                offset += n
            }
        }

        func notify(_ method: String, _ params: [String: Any]?) {
            var message: [String: Any] = ["jsonrpc": "2.0", "method": method]
            if let params { message["params"] = params }
            send(message)
        }

        /// Sends a request and reads messages until its answer; returns its result.
        func call(_ method: String, _ params: [String: Any]?) throws -> Any? {
            let id = nextID
            nextID += 1
            var message: [String: Any] = ["jsonrpc": "2.0", "id": id, "method": method]
            if let params { message["params"] = params }
            send(message)
            while true {
                let answer = try read()
                guard answer["id"] as? Int == id else { continue }
                if let error = answer["error"] { throw BenchError("\(method): \(error)") }
                return answer["result"]
            }
        }

        /// Reads messages until the diagnostics of `version`.
        func diagnostics(version: Int) throws -> [Any] {
            while true {
                let message = try read()
                guard message["method"] as? String == "textDocument/publishDiagnostics",
                      let params = message["params"] as? [String: Any], params["version"] as? Int == version else { continue }
                return params["diagnostics"] as? [Any] ?? []
            }
        }

        private func fill() throws {
            var chunk = [UInt8](repeating: 0, count: 65536)
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fromServer, $0.baseAddress, 65536) }
            guard n > 0 else { throw BenchError("the server ended: \(errors)") }
            buffer += chunk[0..<n]
        }

        func read() throws -> [String: Any] {
            while true {
                switch framing {
                case .newline:
                    if let end = buffer.firstIndex(of: 10) {
                        let line = Array(buffer[..<end])
                        buffer.removeSubrange(...end)
                        if let object = try JSONSerialization.jsonObject(with: Data(line)) as? [String: Any] { return object }
                        continue
                    }
                case .contentLength:
                    if let headerEnd = findHeaderEnd() {
                        let header = String(decoding: buffer[..<headerEnd], as: UTF8.self)
                        guard let length = header.split(separator: "\r\n").compactMap({ line -> Int? in
                            let parts = line.split(separator: ":", maxSplits: 1)
                            return parts.count == 2 && parts[0].lowercased() == "content-length"
                                ? Int(parts[1].trimmingCharacters(in: .whitespaces)) : nil
                        }).first else { throw BenchError("a message without Content-Length") }
                        if buffer.count >= headerEnd + 4 + length {
                            let body = Array(buffer[(headerEnd + 4)..<(headerEnd + 4 + length)])
                            buffer.removeSubrange(..<(headerEnd + 4 + length))
                            if let object = try JSONSerialization.jsonObject(with: Data(body)) as? [String: Any] { return object }
                            continue
                        }
                    }
                }
                try fill()
            }
        }

        private func findHeaderEnd() -> Int? {
            guard buffer.count >= 4 else { return nil }
            for i in 0...(buffer.count - 4) where buffer[i] == 13 && buffer[i + 1] == 10 && buffer[i + 2] == 13 && buffer[i + 3] == 10 {
                return i
            }
            return nil
        }

        /// Ends the input and waits for the server; fails if it failed.
        func finish() throws {
            close(toServer)
            done.wait()
            close(serverOutput)
            close(fromServer)
            guard code == 0 else { throw BenchError("the server exited \(code): \(errors)") }
        }
    }
}
