import Foundation
import Testing

/// The built `rocky` binary: `ROCKY_BIN`, else beside the test bundle in `.build/<config>/`.
let rockyBinary: String = {
    if let path = ProcessInfo.processInfo.environment["ROCKY_BIN"] { return path }
    let candidates = [
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("rocky").path,
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent(".build/debug/rocky").path,
    ]
    return candidates.first { FileManager.default.isExecutableFile(atPath: $0) } ?? candidates[1]
}()

/// What one run of the binary printed and returned.
struct Run: CustomStringConvertible {
    var out: String
    var err: String
    var code: Int32
    var description: String { "exit \(code)\n--- stdout\n\(out)--- stderr\n\(err)" }
}

/// A scratch folder with helpers to run `rocky` in it.
final class Sandbox: @unchecked Sendable {
    let path: String
    var environment: [String: String]

    init() {
        path = NSTemporaryDirectory() + "rocky-cli-" + UUID().uuidString
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        var env = ProcessInfo.processInfo.environment
        env["ROCKY_ACTOR"] = "tester"
        env["ROCKY_COMMIT_TIME"] = "2026-05-20T16:00:00Z"
        env["NO_COLOR"] = "1"
        environment = env
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    /// Runs `rocky` with the arguments in the sandbox (or `directory` inside it).
    /// A run in environment prod is scanned for raw fixture PII (PIIScan.swift).
    @discardableResult
    func rocky(_ arguments: [String], in directory: String? = nil, stdin: String? = nil, env: [String: String] = [:]) -> Run {
        let filesBefore = PIIScan.environment(arguments: arguments, variables: environment.merging(env) { $1 }) == "prod"
            ? workingFiles() : nil
        let run = launch(arguments, in: directory, stdin: stdin, env: env)
        JSONContractCheck.expectContract(run, arguments: arguments)
        if let filesBefore {
            let written = workingFiles().filter { filesBefore[$0.key] != $0.value }.mapValues { String(decoding: $0, as: UTF8.self) }
            PIIScan.expectNoLeak(run, arguments: arguments, files: written)
        }
        return run
    }

    private func launch(_ arguments: [String], in directory: String?, stdin: String?, env: [String: String]) -> Run {
        try! runProgram(rockyBinary, arguments, in: directory.map { path + "/" + $0 } ?? path,
                        environment: environment.merging(env) { $1 }, stdin: stdin)
    }

    @discardableResult
    func rocky(_ arguments: String..., in directory: String? = nil) -> Run { rocky(arguments, in: directory) }

    /// Runs and requires success, returning stdout.
    @discardableResult
    func ok(_ arguments: String..., in directory: String? = nil, sourceLocation: SourceLocation = #_sourceLocation) -> String {
        let run = rocky(arguments, in: directory)
        #expect(run.code == 0, "rocky \(arguments.joined(separator: " "))\n\(run)", sourceLocation: sourceLocation)
        return run.out
    }

    /// The repository's masking key (`.rocky/keys/masking`), the HMAC key of `hash`.
    var maskingKey: String {
        read(".rocky/keys/masking")?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
    }

    func write(_ relative: String, _ text: String) {
        let full = path + "/" + relative
        try! FileManager.default.createDirectory(atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try! Data(text.utf8).write(to: URL(fileURLWithPath: full))
    }

    func read(_ relative: String) -> String? {
        (try? Data(contentsOf: URL(fileURLWithPath: path + "/" + relative))).map { String(decoding: $0, as: UTF8.self) }
    }

    /// Every file and its bytes below `relative`: to prove that nothing changed.
    func snapshot(_ relative: String = ".rocky") -> [String: Data] {
        let root = path + "/" + relative
        var result: [String: Data] = [:]
        for case let name as String in FileManager.default.enumerator(atPath: root)?.allObjects ?? [] {
            var isDir: ObjCBool = false
            FileManager.default.fileExists(atPath: root + "/" + name, isDirectory: &isDir)
            result[name] = isDir.boolValue ? Data() : (try? Data(contentsOf: URL(fileURLWithPath: root + "/" + name)))
        }
        return result
    }

    /// Parses stdout as JSON (through Foundation, independent of Rocky's own parser).
    func json(_ run: Run, sourceLocation: SourceLocation = #_sourceLocation) -> [String: Any] {
        let object = try? JSONSerialization.jsonObject(with: Data(run.out.utf8)) as? [String: Any]
        #expect(object != nil, "stdout is not one JSON object:\n\(run)", sourceLocation: sourceLocation)
        return object ?? [:]
    }
}

/// Runs a bash script in the sandbox with `$ROCKY` set, output discarded
/// unless piped; for crash and concurrency tests.
func runScript(_ box: Sandbox, _ script: String, arguments: [String] = [], output: Pipe? = nil) throws -> Process {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/bin/bash")
    p.arguments = [script] + arguments
    p.currentDirectoryURL = URL(fileURLWithPath: box.path)
    p.environment = box.environment.merging(["ROCKY": rockyBinary]) { $1 }
    if let output { p.standardOutput = output } else { p.standardOutput = FileHandle.nullDevice }
    p.standardError = FileHandle.nullDevice
    try p.run()
    return p
}

/// SIGKILLs a process and every descendant (found through /proc), children
/// first, so that the `rocky` a script is running dies mid-operation too.
func killTree(_ process: Process) {
    func children(of pid: Int32) -> [Int32] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { name -> Int32? in
            guard let child = Int32(name),
                  let stat = try? String(contentsOfFile: "/proc/\(name)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { return nil }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            return fields.count > 2 && Int32(fields[1]) == pid ? child : nil
        }
    }
    func killAll(_ pid: Int32) {
        kill(pid, SIGSTOP)
        for child in children(of: pid) { killAll(child) }
        kill(pid, SIGKILL)
    }
    killAll(process.processIdentifier)
    process.waitUntilExit()
}

/// Runs a program to its end, stdout and stderr read while it runs (so a
/// large output cannot block it); `stdin` is written then closed, nil gives
/// an empty standard input.
func runProgram(_ executable: String, _ arguments: [String], in directory: String,
                environment: [String: String] = ProcessInfo.processInfo.environment, stdin: String? = nil) throws -> Run {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    process.currentDirectoryURL = URL(fileURLWithPath: directory)
    process.environment = environment
    let outPipe = Pipe(), errPipe = Pipe(), inPipe = Pipe()
    process.standardOutput = outPipe
    process.standardError = errPipe
    process.standardInput = stdin == nil ? FileHandle.nullDevice : inPipe
    try process.run()
    if let stdin {
        inPipe.fileHandleForWriting.write(Data(stdin.utf8))
        try? inPipe.fileHandleForWriting.close()
    }
    let group = DispatchGroup()
    nonisolated(unsafe) var errData = Data()
    group.enter()
    DispatchQueue.global().async {
        errData = errPipe.fileHandleForReading.readDataToEndOfFile()
        group.leave()
    }
    let outData = outPipe.fileHandleForReading.readDataToEndOfFile()
    group.wait()
    process.waitUntilExit()
    return Run(out: String(decoding: outData, as: UTF8.self), err: String(decoding: errData, as: UTF8.self),
               code: process.terminationStatus)
}
