import RockyBase

/// A TOML reader for rocky.toml: the subset a project file needs, parsed
/// into `JSON` values (tables are objects in the order written).
///
/// Supported: comments, bare and quoted keys, dotted keys, `[table]` and
/// `[[array of tables]]` headers, basic and literal strings (single line),
/// integers and floats (kept as their exact text), booleans, arrays (over
/// several lines) and inline tables. Dates and multi-line strings are not.
/// Errors name the line and column.
public enum TOML {
    public struct SyntaxError: Error, Equatable, Sendable, CustomStringConvertible {
        public var line: Int
        public var column: Int
        public var message: String
        public var description: String { "\(line):\(column): \(message)" }
    }

    public static func parse(_ text: String) throws(SyntaxError) -> JSON {
        var parser = Parser(Array(text.unicodeScalars))
        return try parser.document()
    }

    private struct Parser {
        let s: [Unicode.Scalar]
        var i = 0
        var root = Node.table([])
        /// The path of the current `[table]`.
        var current: [String] = []
        /// Tables defined by a header or dotted keys, to refuse redefinition.
        var defined: Set<[String]> = []

        init(_ s: [Unicode.Scalar]) { self.s = s }

        indirect enum Node {
            case value(JSON)
            case table([(String, Node)])
            case array([Node])

            var json: JSON {
                switch self {
                case let .value(v): v
                case let .table(members): .object(members.map { JSON.Member($0.0, $0.1.json) })
                case let .array(items): .array(items.map(\.json))
                }
            }
        }

        func error(_ message: String) -> SyntaxError {
            var line = 1, column = 1
            for c in s[0..<min(i, s.count)] { if c == "\n" { line += 1; column = 1 } else { column += 1 } }
            return SyntaxError(line: line, column: column, message: message)
        }

        var peek: Unicode.Scalar? { i < s.count ? s[i] : nil }

        mutating func skipSpaces() { while let c = peek, c == " " || c == "\t" { i += 1 } }

        mutating func skipComment() {
            skipSpaces()
            if peek == "#" { while let c = peek, c != "\n" { i += 1 } }
        }

        mutating func endOfLine() throws(SyntaxError) {
            skipComment()
            if peek == "\r" { i += 1 }
            guard peek == nil || peek == "\n" else { throw error("expected the end of the line") }
            if peek == "\n" { i += 1 }
        }

        mutating func document() throws(SyntaxError) -> JSON {
            while true {
                skipComment()
                guard let c = peek else { break }
                if c == "\n" || c == "\r" { i += 1; continue }
                if c == "[" {
                    try header()
                } else {
                    let key = try keyPath()
                    skipSpaces()
                    guard peek == "=" else { throw error("expected '=' after the key") }
                    i += 1
                    skipSpaces()
                    let v = try value()
                    try insert(current + key, .value(v), dotted: key.count > 1)
                    try endOfLine()
                }
            }
            return root.json
        }

        mutating func header() throws(SyntaxError) {
            i += 1
            let isArray = peek == "["
            if isArray { i += 1 }
            skipSpaces()
            let path = try keyPath()
            skipSpaces()
            guard peek == "]" else { throw error("expected ']' to end the table header") }
            i += 1
            if isArray {
                guard peek == "]" else { throw error("expected ']]'") }
                i += 1
                try appendTable(path)
            } else {
                guard defined.insert(path).inserted else { throw error("table [\(path.joined(separator: "."))] is defined twice") }
                try insert(path, .table([]), dotted: false, allowExistingTable: true)
            }
            current = path
            try endOfLine()
        }

        mutating func keyPath() throws(SyntaxError) -> [String] {
            var parts: [String] = []
            while true {
                skipSpaces()
                parts.append(try key())
                skipSpaces()
                if peek == "." { i += 1 } else { break }
            }
            return parts
        }

        mutating func key() throws(SyntaxError) -> String {
            if peek == "\"" || peek == "'" {
                guard case let .string(k) = try value() else { throw error("expected a key") }
                return k
            }
            var k = ""
            while let c = peek, c.properties.isAlphabetic || ("0"..."9").contains(c) || c == "_" || c == "-" {
                k.unicodeScalars.append(c)
                i += 1
            }
            guard !k.isEmpty else { throw error("expected a key") }
            return k
        }

        mutating func value() throws(SyntaxError) -> JSON {
            guard let c = peek else { throw error("expected a value") }
            switch c {
            case "\"": return .string(try basicString())
            case "'":
                i += 1
                var out = ""
                while let d = peek, d != "'" {
                    guard d != "\n" else { throw error("unterminated string") }
                    out.unicodeScalars.append(d)
                    i += 1
                }
                guard peek == "'" else { throw error("unterminated string") }
                i += 1
                return .string(out)
            case "[":
                i += 1
                var items: [JSON] = []
                while true {
                    skipArraySpace()
                    if peek == "]" { i += 1; return .array(items) }
                    items.append(try value())
                    skipArraySpace()
                    if peek == "," { i += 1; continue }
                    guard peek == "]" else { throw error("expected ',' or ']' in an array") }
                }
            case "{":
                i += 1
                var node = Node.table([])
                skipSpaces()
                if peek == "}" { i += 1; return node.json }
                while true {
                    skipSpaces()
                    let path = try keyPath()
                    skipSpaces()
                    guard peek == "=" else { throw error("expected '=' in an inline table") }
                    i += 1
                    skipSpaces()
                    let v = try value()
                    try Parser.set(&node, path[...], .value(v), error: error("duplicate key \(path.joined(separator: "."))"))
                    skipSpaces()
                    if peek == "," { i += 1; continue }
                    guard peek == "}" else { throw error("expected ',' or '}' in an inline table") }
                    i += 1
                    return node.json
                }
            case "t", "f":
                for (word, v) in [("true", true), ("false", false)] where match(word) {
                    i += word.unicodeScalars.count
                    return .bool(v)
                }
                throw error("expected a value")
            default:
                var text = ""
                while let d = peek, "0123456789+-._eE".unicodeScalars.contains(d) {
                    if d != "_" { text.unicodeScalars.append(d) }
                    i += 1
                }
                guard !text.isEmpty, (try? JSON(parsing: text.hasPrefix("+") ? String(text.dropFirst()) : text)) != nil else {
                    throw error("expected a value (a string in quotes, a number, true/false, an array or a table)")
                }
                return .number(text.hasPrefix("+") ? String(text.dropFirst()) : text)
            }
        }

        func match(_ word: String) -> Bool {
            let w = Array(word.unicodeScalars)
            return i + w.count <= s.count && Array(s[i..<(i + w.count)]) == w
        }

        mutating func skipArraySpace() {
            while true {
                skipComment()
                if let c = peek, c == "\n" || c == "\r" { i += 1 } else { return }
            }
        }

        mutating func basicString() throws(SyntaxError) -> String {
            i += 1
            var out = ""
            while let c = peek, c != "\"" {
                guard c != "\n" else { throw error("unterminated string") }
                i += 1
                guard c == "\\" else { out.unicodeScalars.append(c); continue }
                guard let e = peek else { throw error("unterminated string") }
                i += 1
                switch e {
                case "n": out += "\n"
                case "t": out += "\t"
                case "r": out += "\r"
                case "\\": out += "\\"
                case "\"": out += "\""
                case "u", "U":
                    let n = e == "u" ? 4 : 8
                    guard i + n <= s.count, let v = UInt32(String(String.UnicodeScalarView(s[i..<(i + n)])), radix: 16),
                          let scalar = Unicode.Scalar(v) else { throw error("bad \\u escape") }
                    out.unicodeScalars.append(scalar)
                    i += n
                default: throw error("unknown escape \\\(e)")
                }
            }
            guard peek == "\"" else { throw error("unterminated string") }
            i += 1
            return out
        }

        mutating func insert(_ path: [String], _ node: Node, dotted: Bool, allowExistingTable: Bool = false) throws(SyntaxError) {
            if allowExistingTable, Parser.exists(root, path[...]) { return }
            try Parser.set(&root, path[...], node, error: error("key \(path.joined(separator: ".")) is defined twice"))
        }

        mutating func appendTable(_ path: [String]) throws(SyntaxError) {
            try Parser.appendArrayTable(&root, path[...], error: error("\(path.joined(separator: ".")) is not an array of tables"))
        }

        static func exists(_ node: Node, _ path: ArraySlice<String>) -> Bool {
            guard let first = path.first else { return true }
            switch node {
            case let .table(members):
                guard let child = members.first(where: { $0.0 == first })?.1 else { return false }
                return exists(child, path.dropFirst())
            case let .array(items):
                guard let last = items.last else { return false }
                return exists(last, path)
            case .value: return false
            }
        }

        static func set(_ node: inout Node, _ path: ArraySlice<String>, _ value: Node, error: SyntaxError) throws(SyntaxError) {
            guard let first = path.first else { throw error }
            switch node {
            case var .table(members):
                if let at = members.firstIndex(where: { $0.0 == first }) {
                    guard path.count > 1 else { throw error }
                    var child = members[at].1
                    try set(&child, path.dropFirst(), value, error: error)
                    members[at].1 = child
                } else if path.count == 1 {
                    members.append((first, value))
                } else {
                    var child = Node.table([])
                    try set(&child, path.dropFirst(), value, error: error)
                    members.append((first, child))
                }
                node = .table(members)
            case var .array(items):
                guard var last = items.popLast() else { throw error }
                try set(&last, path, value, error: error)
                items.append(last)
                node = .array(items)
            case .value:
                throw error
            }
        }

        static func appendArrayTable(_ node: inout Node, _ path: ArraySlice<String>, error: SyntaxError) throws(SyntaxError) {
            guard let first = path.first, case var .table(members) = node else {
                if case var .array(items) = node, var last = items.popLast() {
                    try appendArrayTable(&last, path, error: error)
                    items.append(last)
                    node = .array(items)
                    return
                }
                throw error
            }
            let at = members.firstIndex { $0.0 == first }
            if path.count == 1 {
                if let at {
                    guard case var .array(items) = members[at].1 else { throw error }
                    items.append(.table([]))
                    members[at].1 = .array(items)
                } else {
                    members.append((first, .array([.table([])])))
                }
            } else {
                var child = at.map { members[$0].1 } ?? .table([])
                try appendArrayTable(&child, path.dropFirst(), error: error)
                if let at { members[at].1 = child } else { members.append((first, child)) }
            }
            node = .table(members)
        }
    }
}
