import Foundation
import Testing

/// The command reference tells the truth: every command of `rocky help` has
/// a section in Docs/commands.md.
@Suite struct DocsTests {
    @Test func everyCommandIsDocumented() {
        let box = Sandbox()
        let help = box.ok("help")
        let names = help.components(separatedBy: "commands:\n")[1].components(separatedBy: "\n\n")[0]
            .split(separator: "\n").compactMap { $0.split(separator: " ").first.map(String.init) }
        #expect(names.count > 30)
        let docs = String(decoding: FileManager.default.contents(atPath: fixtures + "/../Docs/commands.md") ?? Data(), as: UTF8.self)
        for name in names where name != "help" {
            #expect(docs.contains("`rocky \(name)") || docs.contains("`rocky \(name) "), "Docs/commands.md has no section for rocky \(name)")
        }
    }
}
