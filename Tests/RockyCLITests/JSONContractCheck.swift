import Foundation
import Testing

/// The `--json` contract of Docs/json.md, checked on every run of the CLI
/// suite (`Sandbox.rocky`): with `--json` among the options, stdout is
/// exactly one JSON object whatever the exit code; a failure carries
/// `error.code`, `error.message` and `error.exit_code` (the process's exit
/// code); keys are snake_case and no Swift case or type name appears.
enum JSONContractCheck {
    /// Members whose keys or values are the user's names (columns, tables,
    /// stored object content), which may be in any case.
    static let userData: Set<String> = ["row", "key", "rows", "meta", "content", "input_tables", "output_tables",
                                        "tables_by_name", "details", "old", "new", "base", "ours", "theirs", "masking"]

    /// Swift spellings the library uses internally; none may reach a document.
    static let internalNames = ["tookTheirs", "keptOurs", "createTableAs", "createTable", "alterTable", "dropTable",
                                "deleteModify", "upToDate", "fastForward", "allowGaps", "groupBy", "columnId",
                                "traceIndirect", "Optional(", "RockyStore.", "RockyBase.", "RockyTable.", "StoreError.",
                                "RepositoryError.", "RemoteError."]

    static func expectContract(_ run: Run, arguments: [String], sourceLocation: SourceLocation = #_sourceLocation) {
        let options = arguments.firstIndex(of: "--").map { Array(arguments[..<$0]) } ?? arguments
        guard options.contains("--json") else { return }
        let label = "rocky \(arguments.joined(separator: " "))"
        guard let document = try? JSONSerialization.jsonObject(with: Data(run.out.utf8)) as? [String: Any] else {
            Issue.record("\(label): --json printed something other than one JSON object\n\(run)", sourceLocation: sourceLocation)
            return
        }
        if run.code != 0 {
            let error = document["error"] as? [String: Any]
            #expect(error?["code"] is String && error?["message"] is String && error?["exit_code"] as? Int == Int(run.code),
                    "\(label): a failure's document needs error.code, error.message and error.exit_code \(run.code)\n\(run)",
                    sourceLocation: sourceLocation)
        }
        for problem in problems(in: document) {
            Issue.record("\(label): \(problem)\n\(run)", sourceLocation: sourceLocation)
        }
    }

    /// Every camelCase key (outside user data) and every internal name in a string value.
    static func problems(in value: Any, path: String = "") -> [String] {
        switch value {
        case let object as [String: Any]:
            return object.keys.sorted().flatMap { key -> [String] in
                let here = path + "." + key
                var found: [String] = []
                if key.contains(where: { $0.isUppercase }) || key.contains("-") { found.append("key \(here) is not snake_case") }
                if userData.contains(key) { return found }
                return found + problems(in: object[key]!, path: here)
            }
        case let array as [Any]:
            return array.enumerated().flatMap { problems(in: $1, path: path + "[\($0)]") }
        case let text as String:
            return internalNames.filter { isWord($0, in: text) }.map { "\(path) holds the internal name \($0): \(text.prefix(200))" }
        default:
            return []
        }
    }

    /// Whether `name` occurs in `text` not as part of a longer identifier
    /// (`createTable` inside `createTableAs` counts once, as the longer one).
    private static func isWord(_ name: String, in text: String) -> Bool {
        var search = text.startIndex..<text.endIndex
        while let range = text.range(of: name, range: search) {
            let after = range.upperBound < text.endIndex ? text[range.upperBound] : " "
            let before = range.lowerBound > text.startIndex ? text[text.index(before: range.lowerBound)] : " "
            let tail = name.last!.isLetter ? !(after.isLetter || after.isNumber || after == "_") : true
            if tail && !(before.isLetter || before.isNumber || before == "_") { return true }
            search = range.upperBound..<text.endIndex
        }
        return false
    }
}
