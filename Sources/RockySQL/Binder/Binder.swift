import RockyBase

/// The error that stops binding a statement: its first error.
struct BindFailure: Error {
    var diagnostic: Diagnostic
}

/// A CTE visible to the query being bound.
struct CTEBinding {
    var id: RelationID
    var name: String
    var columns: [OutputColumn]
}

/// Resolves names and types of one statement against a catalog, producing IR.
///
/// The binder stops at a statement's first error (errors rarely come alone,
/// and the first is the one worth reading). Warnings come from the
/// governance pass that follows, not from here.
struct Binder {
    let catalog: any Catalog
    let options: CompileOptions
    var nextRelation = 0
    var cteFrames: [[String: CTEBinding]] = []
    private(set) var inputTables: [String] = []
    private var inputKeys: Set<String> = []
    /// Aggregate calls bound in the current SELECT's own clauses.
    var aggregateCount = 0

    init(catalog: any Catalog, options: CompileOptions) {
        self.catalog = catalog
        self.options = options
    }

    mutating func newRelation() -> RelationID {
        nextRelation += 1
        return RelationID(value: nextRelation)
    }

    mutating func noteInput(_ table: String) {
        if inputKeys.insert(table.lowercased()).inserted { inputTables.append(table) }
    }

    func failure(_ code: DiagnosticCode, _ message: String, at range: SourceRange, help: String? = nil) -> BindFailure {
        BindFailure(diagnostic: Diagnostic(code, message, at: range, help: help))
    }

    /// The catalog table `name`, failing with a suggestion when it is unknown.
    func catalogTable(_ name: Identifier) throws(BindFailure) -> CatalogTable {
        if let table = catalog.table(named: name.text) { return table }
        var candidates = catalog.tableNames
        for frame in cteFrames { candidates += frame.values.map(\.name) }
        throw failure(.unknownTable, "unknown table '\(name.text)'", at: name.range,
                      help: Suggestion.nearest(to: name.text, among: candidates).map { "did you mean '\($0)'?" })
    }

    func lookupCTE(_ key: String) -> CTEBinding? {
        for frame in cteFrames.reversed() {
            if let binding = frame[key] { return binding }
        }
        return nil
    }
}

/// Picks the candidate nearest to a misspelled name.
enum Suggestion {
    /// The candidate with the smallest edit distance (case-insensitive) to
    /// `name`, if it is close enough to be a plausible typo.
    static func nearest(to name: String, among candidates: [String]) -> String? {
        let target = Array(name.lowercased().unicodeScalars)
        let limit = max(2, target.count / 3)
        var best: (String, Int)?
        for candidate in candidates {
            let other = Array(candidate.lowercased().unicodeScalars)
            if abs(other.count - target.count) > limit { continue }
            let distance = editDistance(target, other)
            if distance <= limit, best == nil || distance < best!.1 { best = (candidate, distance) }
        }
        return best?.0
    }

    /// Levenshtein distance with adjacent transpositions counted as one edit.
    static func editDistance(_ a: [Unicode.Scalar], _ b: [Unicode.Scalar]) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous2 = [Int](repeating: 0, count: b.count + 1)
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                var value = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    value = min(value, previous2[j - 2] + 1)
                }
                current[j] = value
            }
            (previous2, previous, current) = (previous, current, previous2)
        }
        return previous[b.count]
    }
}
