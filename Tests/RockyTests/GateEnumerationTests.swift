import Foundation
@testable import Rocky
import Testing

/// Every public operation of `Repository` goes through the gate: the scan of
/// Sources/Rocky finds each `public func`/`public var` declared on
/// `Repository` (in the class or an extension of it), and each must be an
/// operation the gate knows (`Operation`) and open with `gate(.<its name>)`.
/// A new public operation without the gate fails here.
@Suite struct GateEnumerationTests {
    /// Static functions that touch no repository's revisions: opening and
    /// creating one, hashing a file, compiling a model over a given catalog,
    /// and clone (which copies a whole repository and is gated by the file
    /// system, not a policy: Docs/governance.md).
    static let ungated: Set<String> = ["open", "initialize", "blobID", "compileModel", "clone"]

    struct Declaration { var file: String; var line: Int; var name: String; var isStatic: Bool; var body: [String] }

    static func scan() throws -> [Declaration] {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let sources = root.appendingPathComponent("Sources/Rocky").path
        var found: [Declaration] = []
        for case let relative as String in FileManager.default.enumerator(atPath: sources)?.allObjects ?? [] where relative.hasSuffix(".swift") {
            let lines = try String(contentsOfFile: sources + "/" + relative, encoding: .utf8).components(separatedBy: "\n")
            var inRepository = false
            for (n, line) in lines.enumerated() {
                if line.hasPrefix("extension Repository") || line.hasPrefix("public final class Repository") {
                    inRepository = !line.hasPrefix("extension Repository.")
                    continue
                }
                if line.hasPrefix("}") { inRepository = false; continue }
                if line.hasPrefix("extension ") || line.hasPrefix("public ") || line.hasPrefix("struct ") || line.hasPrefix("enum ") { inRepository = false }
                guard inRepository, line.hasPrefix("    "), !line.hasPrefix("     ") else { continue }
                let text = line.trimmingCharacters(in: .whitespaces).replacingOccurrences(of: "@discardableResult ", with: "")
                for prefix in ["public func ", "public static func ", "public var ", "public static var "] where text.hasPrefix(prefix) {
                    let name = String(text.dropFirst(prefix.count).prefix { $0.isLetter || $0.isNumber || $0 == "_" })
                    var start = n
                    while !lines[start].hasSuffix("{") { start += 1 }
                    let body = Array(lines[(start + 1)..<min(lines.count, start + 4)])
                    found.append(Declaration(file: relative, line: n + 1, name: name, isStatic: prefix.contains("static"), body: body))
                }
            }
        }
        return found
    }

    @Test func everyPublicOperationIsGated() throws {
        let declarations = try Self.scan()
        #expect(declarations.count > 60, "the scan found the public API")
        let known = Set(Operation.allCases.map(\.rawValue))
        for d in declarations {
            if d.isStatic {
                #expect(Self.ungated.contains(d.name), "\(d.file):\(d.line): public static \(d.name) is neither gated nor listed as ungated")
                continue
            }
            #expect(known.contains(d.name), "\(d.file):\(d.line): \(d.name) is not an operation the gate knows")
            let opening = d.body.first { !$0.trimmingCharacters(in: .whitespaces).isEmpty } ?? ""
            #expect(opening.contains("try gate(.\(d.name))") && opening.contains("defer { context.end() }"),
                    "\(d.file):\(d.line): \(d.name) does not open with its gate: \(opening)")
        }
        let scanned = Set(declarations.filter { !$0.isStatic }.map(\.name))
        #expect(known.subtracting(scanned).isEmpty, "operations with no public function: \(known.subtracting(scanned).sorted())")
    }

    @Test func objectsAndRefsAreNotPublic() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let text = try String(contentsOfFile: root.appendingPathComponent("Sources/Rocky/Core/Repository.swift").path, encoding: .utf8)
        #expect(!text.contains("public let objects") && !text.contains("public let refs"))
        #expect(!text.contains("public var objects") && !text.contains("public var refs"))
    }
}
