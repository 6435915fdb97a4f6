import Foundation
import Testing

/// The checkout this test target was built from.
let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()

/// A built executable of this package, beside `rocky`.
func builtExecutable(_ name: String) -> String {
    URL(fileURLWithPath: rockyBinary).deletingLastPathComponent().appendingPathComponent(name).path
}

/// The environment a new user has: no Rocky variables, `rocky` on PATH.
func newUserEnvironment(temporary: String) -> [String: String] {
    var env = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("ROCKY_") }
    env["PATH"] = URL(fileURLWithPath: rockyBinary).deletingLastPathComponent().path + ":" + (env["PATH"] ?? "/usr/bin:/bin")
    env["TMPDIR"] = temporary
    env["NO_COLOR"] = "1"
    return env
}

/// A scratch folder removed when the value goes.
final class ScratchFolder: @unchecked Sendable {
    let path = NSTemporaryDirectory() + "rocky-first-hour-" + UUID().uuidString
    init() { try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true) }
    deinit { try? FileManager.default.removeItem(atPath: path) }
}

func readRepositoryFile(_ relative: String) -> String {
    String(decoding: FileManager.default.contents(atPath: repositoryRoot.appendingPathComponent(relative).path) ?? Data(),
           as: UTF8.self)
}

/// A README section: from its `## title` line to the next `## `.
func readmeSection(_ title: String) -> String {
    let readme = readRepositoryFile("README.md")
    guard let start = readme.range(of: "\n## \(title)\n") else { return "" }
    let rest = readme[start.upperBound...]
    return String(rest[..<(rest.range(of: "\n## ")?.lowerBound ?? rest.endIndex)])
}

/// The fenced blocks of one language in a Markdown text, in order.
func fencedBlocks(_ language: String, in text: String) -> [[String]] {
    var blocks: [[String]] = [], current: [String]? = nil
    for line in text.components(separatedBy: "\n") {
        if current == nil, line.trimmingCharacters(in: .whitespaces) == "```" + language {
            current = []
        } else if current != nil, line.trimmingCharacters(in: .whitespaces) == "```" {
            blocks.append(current!)
            current = nil
        } else if current != nil {
            current!.append(line)
        }
    }
    return blocks
}

/// One command of a README shell block and the exit code its comment
/// promises (`# exit N`; 0 without one).
struct ReadmeCommand {
    var text: String
    var expectedExit: Int32
}

func readmeCommands(_ blocks: [[String]]) -> [ReadmeCommand] {
    var commands: [ReadmeCommand] = []
    var pending = ""
    for line in blocks.joined() {
        if line.hasSuffix("\\") { pending += line.dropLast() + " "; continue }
        let text = pending + line
        pending = ""
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
        var expected: Int32 = 0
        if let mark = text.range(of: #"#\s*exit (\d+)"#, options: .regularExpression) {
            expected = Int32(text[mark].split(separator: " ").last!) ?? 0
        }
        commands.append(ReadmeCommand(text: text, expectedExit: expected))
    }
    return commands
}

/// What a new user meets first: the README's commands, `make demo`, the
/// library example. Each runs as written and does what the text says.
@Suite struct FirstHourTests {
    /// Every command of the README's "Using it" runs as written, in order,
    /// in one shell, from a folder holding a copy of the clone's Fixtures,
    /// with `rocky` on PATH and no Rocky variables set; each exits as its
    /// `# exit N` comment says (0 without one).
    @Test func theReadmeRunsAsWritten() throws {
        let scratch = ScratchFolder()
        let clone = scratch.path + "/clone", temporary = scratch.path + "/tmp"
        try FileManager.default.createDirectory(atPath: clone, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: temporary, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: fixtures, toPath: clone + "/Fixtures")

        let commands = readmeCommands(fencedBlocks("sh", in: readmeSection("Using it")))
        #expect(commands.count > 20, "the README's Using it lost its commands")
        #expect(commands.contains { $0.expectedExit == 4 && $0.text.contains("rocky replay") }, "a replay refused for gaps")
        #expect(commands.contains { $0.expectedExit == 3 && $0.text.contains("rocky merge") }, "a merge with a conflict")
        var script = "set -u\n"
        for (index, command) in commands.enumerated() {
            script += command.text + "\n"
            script += "rc=$?; echo \"@@ \(index) $rc\"\n"
            script += "if [ $rc != \(command.expectedExit) ]; then exit 99; fi\n"
        }
        try script.write(toFile: scratch.path + "/readme.sh", atomically: true, encoding: .utf8)
        let run = try runProgram("/bin/bash", [scratch.path + "/readme.sh"], in: clone,
                                 environment: newUserEnvironment(temporary: temporary))
        let finished = run.out.components(separatedBy: "\n").filter { $0.hasPrefix("@@ ") }.map { $0.split(separator: " ") }
        for step in finished where step.count == 3 {
            let command = commands[Int(step[1])!]
            #expect(Int32(step[2]) == command.expectedExit,
                    "README: `\(command.text)` exited \(step[2]), the README says \(command.expectedExit)\n\(run)")
        }
        #expect(finished.count == commands.count && run.code == 0, "the README's commands stopped early\n\(run)")

        // What the story says happened.
        #expect(run.out.contains("rocky \(try versionLine())"), "rocky --version")
        #expect(run.err.contains("10 row(s) arrived later, 1 corrected later") || run.out.contains("10 row(s) arrived later"),
                "the replay at yesterday's close names the late rows and the correction\n\(run)")
        #expect(run.out.contains("ACC-1001") || run.err.contains("ACC-1001"), "the conflict names its key\n\(run)")
    }

    private func versionLine() throws -> String {
        let scratch = ScratchFolder()
        let run = try runProgram(rockyBinary, ["--version"], in: scratch.path)
        return String(run.out.dropFirst("rocky ".count).prefix { $0 != "\n" })
    }

    /// `rocky --version` names the version and the build.
    @Test func versionNamesTheBuild() throws {
        let scratch = ScratchFolder()
        let run = try runProgram(rockyBinary, ["--version"], in: scratch.path)
        #expect(run.code == 0)
        #expect(run.out.range(of: #"^rocky \d+\.\d+\.\d+ \(build .+\)\n$"#, options: .regularExpression) != nil, "\(run)")
    }

    /// The README links only files of the repository that exist; the design
    /// contract is one of them.
    @Test func theReadmeLinksStayInTheRepository() throws {
        let readme = readRepositoryFile("README.md")
        let links = readme.matches(of: /\]\(([^)\s]+)\)/).map { String($0.1) }
        #expect(links.contains("Docs/design.md"))
        for link in links where !link.hasPrefix("https://") && !link.hasPrefix("#") {
            let path = String(link.prefix { $0 != "#" })
            let resolved = repositoryRoot.appendingPathComponent(path).standardizedFileURL.path
            #expect(resolved.hasPrefix(repositoryRoot.standardizedFileURL.path + "/") && !path.hasPrefix("/"),
                    "README links \(link), outside the repository")
            #expect(FileManager.default.fileExists(atPath: resolved), "README links \(link), which does not exist")
        }
        #expect(readRepositoryFile("Docs/design.md").hasPrefix("# Rocky: the design"))
    }

    /// `make demo` tells the whole story: each refusal exits with its code
    /// (the script checks and stops otherwise) and the key lines appear.
    @Test func theDemoTellsTheWholeStory() throws {
        let scratch = ScratchFolder()
        var env = newUserEnvironment(temporary: scratch.path)
        env["ROCKY"] = rockyBinary
        let run = try runProgram("/bin/bash", [fixtures + "/demo.sh"], in: scratch.path, environment: env)
        #expect(run.code == 0, "\(run)")
        let out = run.out + run.err
        let expectations: [(String, String)] = [
            ("(2026-05-18T22:00:00Z) prices 2026-05-18", "main at 2026-05-20 16:00 is the 05-18 delivery"),
            ("daily_close", "the chain of transformations"),
            ("customers.name", "the report's lineage reaches the source column"),
            ("pii", "with its classification"),
            ("ssn <- client_report.ssn (restricted): environment prod masks restricted as deny", "prod refuses the SSN"),
            ("customers.ssn [restricted]", "and its lineage leads to the source column"),
            ("10 row(s) arrived later, 1 corrected later", "replay lists the gaps"),
            ("lacks the 'merge' permission on branch main", "the agent may not merge into main"),
            ("ACC-1002", "the conflict names its key"),
            ("ok: ", "audit --verify"),
        ]
        for (line, why) in expectations {
            #expect(out.contains(line), "demo output lacks \(line): \(why)\n\(out)")
        }
        // The report's top client: raw in dev, masked in prod.
        let dev = out.components(separatedBy: "$ rocky sql SELECT client, email").dropFirst().first ?? ""
        let prod = out.components(separatedBy: "$ rocky --env prod sql SELECT client, email").dropFirst().first ?? ""
        #expect(dev.prefix(400).contains("Michael Green"), "dev shows raw values\n\(out)")
        #expect(!prod.isEmpty && !prod.prefix(800).contains("Michael Green") && !prod.prefix(800).contains("@example.com"),
                "prod masks them\n\(out)")
        #expect(out.components(separatedBy: "(exit 5, as expected)").count - 1 == 2, "two refusals by policy")
        #expect(out.contains("(exit 4, as expected)") && out.contains("(exit 3, as expected)"))
        #expect(!(try FileManager.default.contentsOfDirectory(atPath: scratch.path)).contains { $0.hasPrefix("rocky-demo.") },
                "the demo removes its folders")
    }

    /// The library example of the README is a target that runs the flow it
    /// shows, and the README's Swift lines are its lines.
    @Test func theLibraryExampleRuns() throws {
        let source = readRepositoryFile("Sources/rocky-example/main.swift")
        let swift = fencedBlocks("swift", in: readmeSection("Using it")).joined()
            .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        #expect(swift.count >= 8)
        for line in swift {
            #expect(source.contains(line), "README's Swift line is not in Sources/rocky-example/main.swift: \(line)")
        }
        let scratch = ScratchFolder()
        let run = try runProgram(builtExecutable("rocky-example"), [fixtures], in: scratch.path,
                                 environment: newUserEnvironment(temporary: scratch.path))
        #expect(run.code == 0, "\(run)")
        #expect(run.out.contains("replay refused: the data at 2026-05-20T16:00:00Z was incomplete"), "\(run)")
        #expect(run.out.contains("10 rows arrived later, 1 corrected"), "\(run)")
        #expect(run.out.contains("merged agent/rebalance-2026-05-21 into main"), "\(run)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch.path).isEmpty, "the example removes its repository")
    }
}

/// Rocky as a dependency of another Swift package.
@Suite struct LibraryDependencyTests {
    /// SwiftPM refuses `unsafeFlags` in a package required by version, so no
    /// target of the manifest carries any (the release flags are the
    /// Makefile's command line).
    @Test func theManifestHasNoUnsafeFlags() throws {
        let scratch = ScratchFolder()
        let run = try runProgram("/usr/bin/env", ["swift", "package", "--scratch-path", scratch.path + "/build", "dump-package"],
                                 in: repositoryRoot.path)
        #expect(run.code == 0, "\(run)")
        let manifest = try #require(try JSONSerialization.jsonObject(with: Data(run.out.utf8)) as? [String: Any])
        let targets = try #require(manifest["targets"] as? [[String: Any]])
        #expect(targets.contains { $0["name"] as? String == "Rocky" })
        for target in targets {
            let settings = target["settings"] as? [[String: Any]] ?? []
            let unsafe = settings.filter { "\($0["kind"] ?? "")".contains("unsafeFlags") }
            #expect(unsafe.isEmpty, "target \(target["name"] ?? "?") carries unsafe flags: \(unsafe)")
        }
    }

    /// A package outside the repository that depends on Rocky by path builds
    /// and runs the product's flow (the README's example, as a program).
    @Test func aPackageOutsideDependsOnRocky() throws {
        let scratch = ScratchFolder()
        let package = scratch.path + "/uses-rocky"
        try FileManager.default.createDirectory(atPath: package + "/Sources/uses-rocky", withIntermediateDirectories: true)
        let identity = repositoryRoot.lastPathComponent.lowercased()
        try """
        // swift-tools-version:6.0
        import PackageDescription

        let package = Package(
            name: "uses-rocky",
            dependencies: [.package(path: "\(repositoryRoot.path)")],
            targets: [.executableTarget(name: "uses-rocky", dependencies: [.product(name: "Rocky", package: "\(identity)")])]
        )
        """.write(toFile: package + "/Package.swift", atomically: true, encoding: .utf8)
        try FileManager.default.copyItem(atPath: repositoryRoot.path + "/Sources/rocky-example/main.swift",
                                         toPath: package + "/Sources/uses-rocky/main.swift")
        let build = try runProgram("/usr/bin/env", ["swift", "build", "-j", "2",
                                                    "--scratch-path", scratch.path + "/build"], in: package)
        #expect(build.code == 0, "\(build)")
        guard build.code == 0 else { return }
        let run = try runProgram(scratch.path + "/build/debug/uses-rocky", [fixtures], in: scratch.path,
                                 environment: newUserEnvironment(temporary: scratch.path))
        #expect(run.code == 0, "\(run)")
        #expect(run.out.contains("merged agent/rebalance-2026-05-21 into main"), "\(run)")
    }
}
