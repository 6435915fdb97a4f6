/// "Did you mean ...?": the one place that picks the name a user probably
/// meant, for the SQL compiler (tables, columns, functions), the library's
/// errors (branches, tables, columns, environments) and the command line
/// (verbs, options).
public enum Suggestion {
    /// The candidate nearest to `name`, when it is close enough to be a
    /// plausible typo; nil when none is.
    ///
    /// Distance is Damerau-Levenshtein (optimal string alignment: an
    /// insertion, deletion, substitution or swap of two neighbours is one
    /// edit), ignoring case. A candidate is close enough within
    /// `max(2, length / 3)` edits, and fewer edits than the shorter of the
    /// two has characters (so `ab` never suggests `cd`). A candidate that
    /// begins with `name`, or that `name` begins with, counts as distance 0
    /// when the shorter has at least 3 characters (`production` -> `prod`,
    /// `--dry` -> `--dry-run`). Ties go to the first candidate.
    public static func nearest(to name: String, among candidates: some Sequence<String>) -> String? {
        let target = Array(name.lowercased().unicodeScalars)
        let limit = max(2, target.count / 3)
        var best: (String, Int)?
        for candidate in candidates {
            let other = Array(candidate.lowercased().unicodeScalars)
            let shorter = min(other.count, target.count)
            let distance: Int
            if shorter >= 3, other.starts(with: target) || target.starts(with: other) {
                distance = 0
            } else {
                if abs(other.count - target.count) > limit { continue }
                distance = editDistance(target, other)
                guard distance <= limit, distance < shorter else { continue }
            }
            if best.map({ distance < $0.1 }) ?? true { best = (candidate, distance) }
        }
        return best?.0
    }

    /// `; did you mean 'x'?` for the nearest candidate, or the empty string.
    public static func didYouMean(_ name: String, among candidates: some Sequence<String>) -> String {
        nearest(to: name, among: candidates).map { "; did you mean '\($0)'?" } ?? ""
    }

    /// Levenshtein distance with adjacent transpositions counted as one edit.
    public static func editDistance(_ a: [Unicode.Scalar], _ b: [Unicode.Scalar]) -> Int {
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
