@testable import RockySQL

/// SQL with the expected diagnostic range marked inline: `SELECT ⟦symbl⟧ FROM prices`.
struct MarkedSQL {
    var text: String
    var start: (line: Int, column: Int)
    var end: (line: Int, column: Int)

    init(_ marked: String) {
        var text = ""
        var line = 1, column = 1
        var start = (1, 1), end = (1, 1)
        for scalar in marked.unicodeScalars {
            switch scalar {
            case "⟦": start = (line, column)
            case "⟧": end = (line, column)
            default:
                text.unicodeScalars.append(scalar)
                if scalar == "\n" { line += 1; column = 1 } else { column += 1 }
            }
        }
        self.text = text
        self.start = start
        self.end = end
    }

    func matches(_ range: SourceRange) -> Bool {
        range.start.line == start.line && range.start.column == start.column
            && range.end.line == end.line && range.end.column == end.column
    }
}
