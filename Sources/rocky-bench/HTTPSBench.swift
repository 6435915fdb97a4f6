import Foundation
import RockyTestSupport

/// Issue 24's goal: a clone of the repository holding the 1M-row table over
/// loopback HTTPS takes at most 1.5x the time of `git clone` of a git
/// repository holding the same CSV through `git http-backend`, under the
/// same web server (nginx + fcgiwrap, TLS, basic authentication: the test
/// harness's WebServer); and a fetch after a 10-row change transfers under
/// 1% of the table's stored size.
enum HTTPSBench {
    static func run(_ arguments: [String]) throws {
        let rocky = ProcessInfo.processInfo.environment["ROCKY"] ?? ".build/release/rocky"
        let rockyPath = rocky.hasPrefix("/") ? rocky : FileManager.default.currentDirectoryPath + "/" + rocky
        let rows = Int(arguments.first ?? "") ?? 1_000_000
        let dir = Bench.temporaryDirectory("https")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let env = "ROCKY_ACTOR=bench ROCKY_COMMIT_TIME=2026-05-20T16:00:00Z"
        guard let backend = ["/usr/lib/git-core/git-http-backend", "/usr/libexec/git-core/git-http-backend"]
            .first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw BenchError("git http-backend is missing: apt-get install -y git")
        }

        // The served repositories: rocky's in served/data, git's (bare) in git/prices.git.
        let csv = try Bench.pricesCSV(rows: rows)
        let served = dir + "/served", repo = served + "/data"
        _ = try Bench.measure("\(rocky) init '\(repo)' > /dev/null")
        _ = try Bench.measure("\(env) \(rocky) import prices '\(csv)' --key symbol,ts --time-column ts > /dev/null && "
            + "\(env) \(rocky) commit -m load > /dev/null", in: repo)
        let gitRoot = dir + "/git", work = dir + "/git-work"
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        _ = try Bench.measure("git init -q . && git config user.email b@example.com && git config user.name bench && "
            + "cp '\(csv)' prices.csv && git add prices.csv && git commit -q -m load && "
            + "git clone -q --bare . '\(gitRoot)/prices.git' && git -C '\(gitRoot)/prices.git' config http.receivepack true && "
            // Packed, as a served repository is after its first gc: upload-pack then reuses the compressed blob.
            + "git -C '\(gitRoot)/prices.git' repack -adq && "
            + "git remote add origin '\(gitRoot)/prices.git'", in: work)
        let storedSize = try CloneBench.du([repo + "/.rocky/objects"])[0]

        let user = "bench", password = "bench-pw-1"
        let server = try WebServer(backend: rockyPath, projectRoot: served, users: [user: password], maxBody: "2g") { socket in
            """
            location ~ ^/git(/.*)$ {
                      include /etc/nginx/fastcgi_params;
                      fastcgi_param SCRIPT_FILENAME \(backend);
                      fastcgi_param PATH_INFO $1;
                      fastcgi_param GIT_PROJECT_ROOT \(gitRoot);
                      fastcgi_param GIT_HTTP_EXPORT_ALL "";
                      fastcgi_read_timeout 300s;
                      fastcgi_pass unix:\(socket);
                    }
            """
        }
        defer { server.stop() }
        let rockyEnv = "ROCKY_CA_BUNDLE='\(server.caFile)' ROCKY_HTTP_USER=\(user) ROCKY_HTTP_PASSWORD=\(password) \(env)"
        let gitURL = "https://\(user):\(password)@localhost:\(server.port)/git/prices.git"
        let gitEnv = "GIT_SSL_CAINFO='\(server.caFile)'"

        /// Best of three runs of `command`, each into a fresh destination (the last one kept).
        func clone(_ command: (String) -> String, tag: String) throws -> (seconds: Double, dest: String) {
            var best = Double.infinity
            var dest = ""
            for i in 0..<3 {
                dest = dir + "/\(tag)-\(i)"
                best = min(best, try Bench.measure(command(dest), in: dir).seconds)
                if i < 2 { try FileManager.default.removeItem(atPath: dest) }
            }
            return (best, dest)
        }
        let rockyClone = try clone({ "\(rockyEnv) \(rocky) clone '\(server.url("data"))' '\($0)' > /dev/null" }, tag: "rocky")
        let gitClone = try clone({ "\(gitEnv) git clone -q '\(gitURL)' '\($0)'" }, tag: "git")

        // A 10-row change spread over the table (ten keys evenly apart), committed on the server.
        let keys = try spreadKeys(csv: csv, count: 10)
        let condition = keys.map { "(symbol = '\($0.symbol)' AND ts = '\($0.ts)')" }.joined(separator: " OR ")
        _ = try Bench.measure("\(env) \(rocky) sql \"UPDATE prices SET close = close + 1 WHERE \(condition)\" > /dev/null 2>&1 && "
            + "\(env) \(rocky) commit -m 'ten rows' > /dev/null", in: repo)
        let fetchReport = dir + "/fetch.json"
        let fetch = try Bench.measure("\(rockyEnv) \(rocky) --json fetch > '\(fetchReport)'", in: rockyClone.dest)
        let report = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: fetchReport))) as? [String: Any]
        guard let fetchedBytes = report?["bytes"] as? Int, let fetchedObjects = report?["objects"] as? Int else {
            throw BenchError("rocky fetch --json printed no bytes: \(String(describing: report))")
        }
        // git: the same ten lines changed in the CSV, pushed, fetched.
        try changeLines(work + "/prices.csv", keys: keys)
        _ = try Bench.measure("git commit -q -am 'ten rows' && git push -q origin HEAD:master 2>/dev/null || git push -q origin HEAD:main", in: work)
        let gitFetch = try Bench.measure("\(gitEnv) git fetch -q", in: gitClone.dest)

        Bench.header("HTTPS remotes: clone and fetch of \(rows.formatted()) price rows (\(Bench.megabytes(CloneBench.fileSize(csv))) of CSV) "
            + "through nginx + fcgiwrap over loopback TLS")
        Bench.row("clone over HTTPS: time", rocky: Bench.format(rockyClone.seconds, 2) + " s",
                  other: "git clone via git http-backend: " + Bench.format(gitClone.seconds, 2) + " s",
                  ratio: Bench.format(rockyClone.seconds / gitClone.seconds, 2) + "x git's time", goal: "<= 1.5x")
        Bench.row("fetch after a 10-row change: bytes received", rocky: "\(fetchedBytes.formatted()) B in \(fetchedObjects) objects",
                  other: "", ratio: Bench.format(Double(fetchedBytes) / Double(storedSize) * 100, 3) + "% of the table's \(Bench.megabytes(storedSize)) stored",
                  goal: "< 1%")
        Bench.row("fetch after a 10-row change: time", rocky: Bench.format(fetch.seconds * 1000, 0) + " ms",
                  other: "git fetch (10 CSV lines changed): " + Bench.format(gitFetch.seconds * 1000, 0) + " ms",
                  ratio: Bench.format(fetch.seconds / gitFetch.seconds, 2) + "x git's time", goal: "")
    }

    /// `count` keys (symbol, ts) evenly apart in the CSV.
    static func spreadKeys(csv: String, count: Int) throws -> [(symbol: String, ts: String)] {
        let lines = try String(contentsOfFile: csv, encoding: .utf8).split(separator: "\n")
        let body = lines.dropFirst()
        let step = max(1, body.count / count)
        return stride(from: body.startIndex + step / 2, to: body.endIndex, by: step).prefix(count).map { index in
            let fields = body[index].split(separator: ",")
            return (String(fields[0]), String(fields[1]))
        }
    }

    /// Adds 1 to the close column of the lines of `keys` (as the UPDATE does).
    static func changeLines(_ path: String, keys: [(symbol: String, ts: String)]) throws {
        let wanted = Set(keys.map { "\($0.symbol),\($0.ts)," })
        var lines = try String(contentsOfFile: path, encoding: .utf8).components(separatedBy: "\n")
        for i in lines.indices {
            let line = lines[i]
            guard let second = line.firstIndex(of: ",").flatMap({ line[line.index(after: $0)...].firstIndex(of: ",") }),
                  wanted.contains(String(line[...second])) else { continue }
            var fields = line.components(separatedBy: ",")
            fields[5] = String(format: "%.4f", (Double(fields[5]) ?? 0) + 1)
            lines[i] = fields.joined(separator: ",")
        }
        try lines.joined(separator: "\n").write(toFile: path, atomically: true, encoding: .utf8)
    }
}
