import RockyBase

extension Diagnostic {
    /// Renders the diagnostic the way rustc and swiftc do: a header, the
    /// location, the source line and a caret (`^~~~`) under the range, with
    /// the help text after the caret.
    ///
    /// ```
    /// error[E0202]: unknown column 'symbl'
    ///  --> statement 1, line 1, column 8
    ///   |
    /// 1 | SELECT symbl FROM prices
    ///   |        ^~~~~ did you mean 'symbol'?
    /// ```
    /// `sourceName` (a file name) replaces "statement N," when given.
    public func rendered(in source: String, sourceName: String? = nil) -> String {
        var out = "\(severity.rawValue)[\(code.rawValue)]: \(message)\n"
        var location = ""
        if let sourceName { location = "\(sourceName):\(range.start.line):\(range.start.column)" } else {
            if let statementIndex { location = "statement \(statementIndex + 1), " }
            location += "line \(range.start.line), column \(range.start.column)"
        }
        let lineNumber = String(range.start.line)
        let gutter = String(repeating: " ", count: lineNumber.count)
        out += "\(gutter)--> \(location)\n"
        guard let line = Self.line(range.start.line, of: source) else {
            if let help { out += "\(gutter) = help: \(help)\n" }
            return out
        }
        let text = String(line)
        out += "\(gutter) |\n"
        out += "\(lineNumber) | \(text.replacingTabs())\n"
        let lineLength = text.unicodeScalars.count
        let startColumn = min(range.start.column, lineLength + 1)
        let endColumn = range.end.line == range.start.line ? max(range.end.column, startColumn + 1) : lineLength + 1
        let width = max(1, min(endColumn, lineLength + 1) - startColumn)
        var marker = String(repeating: " ", count: startColumn - 1) + "^"
        if width > 1 { marker += String(repeating: "~", count: width - 1) }
        if let help { marker += " " + help }
        out += "\(gutter) | \(marker)\n"
        return out
    }

    /// The text of 1-based `number`th line, without its line break.
    static func line(_ number: Int, of source: String) -> Substring? {
        var current = 1
        var start = source.startIndex
        var index = source.startIndex
        while index < source.endIndex {
            if source[index] == "\n" || source[index] == "\r\n" {
                if current == number { return source[start..<index] }
                current += 1
                start = source.index(after: index)
            }
            index = source.index(after: index)
        }
        return current == number ? source[start..<source.endIndex] : nil
    }
}

extension String {
    fileprivate func replacingTabs() -> String {
        String(unicodeScalars.map { $0 == "\t" ? " " : Character($0) })
    }
}
