import RockyStore

/// A line-based three-way merge of text files, diff3 style: how `rocky merge`
/// combines the project files (`rocky.toml`, `models/*.sql`).
///
/// Each side is diffed against the base line by line (Myers' O(ND) diff).
/// Base lines that both sides keep are the stable lines; between two runs of
/// stable lines lies a hunk: the base's lines there and each side's. A hunk
/// changed on one side only takes that side; changed identically on both,
/// either; changed differently on both, it is a conflict. As in git, two
/// changes that touch the same lines, or adjacent lines, or insert at the same
/// place, are one hunk: "non-overlapping" means separated by at least one
/// unchanged line. Before a hunk is declared a conflict, lines that both
/// sides added at its start or end are set aside as agreed and the rest is
/// merged again, so an edit next to a block both sides appended still merges.
///
/// Lines keep their terminators, so a missing final newline and CRLF endings
/// survive the merge, and a change to either is a change.
public enum TextMerge {
    /// Merges `ours` and `theirs`, two edits of `base`.
    public static func merge(base: String, ours: String, theirs: String) -> TextMergeResult {
        if ours == theirs || theirs == base { return TextMergeResult(hunks: [.resolved(lines(ours))]) }
        if ours == base { return TextMergeResult(hunks: [.resolved(lines(theirs))]) }
        var merger = HunkMerger()
        merger.merge(lines(base)[...], lines(ours)[...], lines(theirs)[...])
        merger.flushStable()
        return TextMergeResult(hunks: merger.hunks)
    }

    /// Collects the hunks of a merge.
    private struct HunkMerger {
        var hunks: [TextMergeResult.Hunk] = []
        var stable: [Substring] = []
        var numbering: [Substring: Int] = [:]

        mutating func flushStable() {
            if !stable.isEmpty { hunks.append(.resolved(stable)); stable = [] }
        }

        mutating func numbers(_ text: ArraySlice<Substring>) -> [Int] {
            text.map { line in
                if let n = numbering[line] { return n }
                numbering[line] = numbering.count
                return numbering.count - 1
            }
        }

        /// Merges three versions of a stretch; their slices' indices are the
        /// line numbers conflicts report.
        mutating func merge(_ b: ArraySlice<Substring>, _ o: ArraySlice<Substring>, _ t: ArraySlice<Substring>) {
            let bn = numbers(b), on = numbers(o), tn = numbers(t)
            let matchO = LineDiff.matches(bn, on), matchT = LineDiff.matches(bn, tn)
            var i = 0, io = 0, it = 0
            while true {
                while i < b.count, matchO[i] == io, matchT[i] == it {
                    stable.append(b[b.startIndex + i])
                    i += 1; io += 1; it += 1
                }
                if i == b.count && io == o.count && it == t.count { break }
                // The next base line both sides keep ends the hunk.
                var j = i
                while j < b.count, matchO[j] == nil || matchT[j] == nil { j += 1 }
                let oEnd = j < b.count ? matchO[j]! : o.count
                let tEnd = j < b.count ? matchT[j]! : t.count
                hunk(b[(b.startIndex + i)..<(b.startIndex + j)], o[(o.startIndex + io)..<(o.startIndex + oEnd)],
                     t[(t.startIndex + it)..<(t.startIndex + tEnd)])
                i = j; io = oEnd; it = tEnd
            }
        }

        mutating func hunk(_ b: ArraySlice<Substring>, _ o: ArraySlice<Substring>, _ t: ArraySlice<Substring>) {
            if o.elementsEqual(b) { stable.append(contentsOf: t); return }
            if t.elementsEqual(b) || o.elementsEqual(t) { stable.append(contentsOf: o); return }
            // Lines both sides added at the start or end of the hunk are
            // agreed on; what is left between them may still merge (ours
            // edited a line and appended a block theirs appended too).
            var prefix = 0
            while prefix < o.count, prefix < t.count, o[o.startIndex + prefix] == t[t.startIndex + prefix] { prefix += 1 }
            var suffix = 0
            while suffix < o.count - prefix, suffix < t.count - prefix, o[o.endIndex - 1 - suffix] == t[t.endIndex - 1 - suffix] {
                suffix += 1
            }
            if prefix + suffix > 0 {
                stable.append(contentsOf: o.prefix(prefix))
                merge(b, o[(o.startIndex + prefix)..<(o.endIndex - suffix)], t[(t.startIndex + prefix)..<(t.endIndex - suffix)])
                stable.append(contentsOf: o.suffix(suffix))
                return
            }
            flushStable()
            hunks.append(.conflict(TextConflict(
                base: b.startIndex..<b.endIndex, ours: o.startIndex..<o.endIndex, theirs: t.startIndex..<t.endIndex,
                baseText: b.joined(), oursText: o.joined(), theirsText: t.joined())))
        }
    }

    /// The lines of `text`, each with its terminator (`\n`, or `\r\n` as part
    /// of the line); the last line may have none.
    static func lines(_ text: String) -> [Substring] {
        var result: [Substring] = []
        var start = text.startIndex
        var index = text.startIndex
        while index < text.endIndex {
            let next = text.index(after: index)
            if text[index] == "\n" || text[index] == "\r\n" {
                result.append(text[start..<next])
                start = next
            }
            index = next
        }
        if start < text.endIndex { result.append(text[start...]) }
        return result
    }
}

/// Overlapping changes to one stretch of a file. Ranges are 0-based line
/// indices into each version (`base.lowerBound + 1` is the 1-based line
/// number); an empty range is an insertion point. The texts keep their line
/// terminators.
public struct TextConflict: Equatable, Sendable {
    public var base: Range<Int>
    public var ours: Range<Int>
    public var theirs: Range<Int>
    public var baseText: String
    public var oursText: String
    public var theirsText: String
}

/// The outcome of a text merge: the merged text when no hunk conflicts,
/// otherwise every conflict, and the text with git-style markers.
public struct TextMergeResult: Equatable, Sendable {
    enum Hunk: Equatable, Sendable {
        case resolved([Substring])
        case conflict(TextConflict)
    }

    let hunks: [Hunk]

    /// The merged text, or nil when some hunk conflicts.
    public var merged: String? {
        guard conflicts.isEmpty else { return nil }
        return hunks.map { hunk in
            if case let .resolved(lines) = hunk { lines.joined() } else { "" }
        }.joined()
    }

    /// The conflicting hunks in file order.
    public var conflicts: [TextConflict] {
        hunks.compactMap { if case let .conflict(c) = $0 { c } else { nil } }
    }

    public var isClean: Bool { conflicts.isEmpty }

    /// The merged text with each conflict written between markers, diff3
    /// style (`<<<<<<< ours`, `||||||| base`, `=======`, `>>>>>>> theirs`).
    /// Also what a virtual merge base of criss-crossed bases holds, as in git.
    public func textWithMarkers(ours: String = "ours", base: String = "base", theirs: String = "theirs") -> String {
        var out = ""
        func section(_ text: String) {
            out += text
            if !text.isEmpty && !text.hasSuffix("\n") { out += "\n" }
        }
        for hunk in hunks {
            switch hunk {
            case let .resolved(lines):
                out += lines.joined()
            case let .conflict(c):
                if !out.isEmpty && !out.hasSuffix("\n") { out += "\n" }
                out += "<<<<<<< \(ours)\n"
                section(c.oursText)
                out += "||||||| \(base)\n"
                section(c.baseText)
                out += "=======\n"
                section(c.theirsText)
                out += ">>>>>>> \(theirs)\n"
            }
        }
        return out
    }
}

/// Myers' diff (1986) over line numbers, reduced to what a three-way merge
/// needs: for each line of `a`, the line of `b` it is matched to, if any.
enum LineDiff {
    static func matches(_ a: [Int], _ b: [Int]) -> [Int?] {
        var result = [Int?](repeating: nil, count: a.count)
        // Common prefix and suffix first: most edits are small.
        var prefix = 0
        while prefix < a.count, prefix < b.count, a[prefix] == b[prefix] { result[prefix] = prefix; prefix += 1 }
        var suffix = 0
        while suffix < a.count - prefix, suffix < b.count - prefix, a[a.count - 1 - suffix] == b[b.count - 1 - suffix] {
            result[a.count - 1 - suffix] = b.count - 1 - suffix
            suffix += 1
        }
        let x = Array(a[prefix..<(a.count - suffix)]), y = Array(b[prefix..<(b.count - suffix)])
        for (i, j) in snakes(x, y) { result[prefix + i] = prefix + j }
        return result
    }

    /// The matched pairs (i, j) of a shortest edit script from `a` to `b`.
    private static func snakes(_ a: [Int], _ b: [Int]) -> [(Int, Int)] {
        let n = a.count, m = b.count
        guard n > 0, m > 0 else { return [] }
        let max = n + m
        let offset = max
        var v = [Int](repeating: 0, count: 2 * max + 2)
        var trace: [[Int]] = []
        var found = false
        for d in 0...max {
            trace.append(v)
            for k in stride(from: -d, through: d, by: 2) {
                var x = (k == -d || (k != d && v[offset + k - 1] < v[offset + k + 1])) ? v[offset + k + 1] : v[offset + k - 1] + 1
                var y = x - k
                while x < n, y < m, a[x] == b[y] { x += 1; y += 1 }
                v[offset + k] = x
                if x >= n && y >= m { found = true; break }
            }
            if found { break }
        }
        // Walk the trace back from (n, m), collecting the diagonal moves.
        var pairs: [(Int, Int)] = []
        var x = n, y = m
        for d in stride(from: trace.count - 1, through: 0, by: -1) {
            let v = trace[d]
            let k = x - y
            let previousK: Int
            if d == 0 {
                previousK = 0
            } else {
                previousK = (k == -d || (k != d && v[offset + k - 1] < v[offset + k + 1])) ? k + 1 : k - 1
            }
            let previousX = d == 0 ? 0 : v[offset + previousK]
            let previousY = previousX - previousK
            while x > previousX && y > previousY {
                x -= 1; y -= 1
                pairs.append((x, y))
            }
            if d > 0 { x = previousX; y = previousY }
        }
        return pairs.reversed()
    }
}

/// A project file the two sides changed in ways that do not merge.
public struct FileConflict: Equatable, Sendable {
    public enum Kind: String, Sendable {
        /// Both sides edited the file; `hunks` lists the overlapping edits.
        case content
        /// Deleted on one side, changed on the other.
        case deleteModify = "delete-modify"
        /// A version is not UTF-8 text, so it cannot merge line by line.
        case binary
    }

    public var path: String
    public var kind: Kind
    public var hunks: [TextConflict]
    /// The text with conflict markers, for `content` conflicts.
    public var textWithMarkers: String?
}

/// The project files of a merged state.
public struct FileMergeResult: Sendable {
    /// Path -> blob id: complete when there is no conflict.
    public var files: [String: ObjectID]
    public var conflicts: [FileConflict]
}

extension TextMerge {
    /// Merges the project files of two states (path -> blob id) against their
    /// base, as tables merge: a file unchanged on one side takes the other
    /// side's version (added, changed or deleted); deleted on one side and
    /// changed on the other conflicts; changed on both merges as text (added on
    /// both, against an empty base). Merged blobs are written to `store`.
    public static func mergeFiles(store: any ObjectStore, base: [String: ObjectID], ours: [String: ObjectID],
                                  theirs: [String: ObjectID]) throws -> FileMergeResult {
        var result = FileMergeResult(files: [:], conflicts: [])
        for path in Set(base.keys).union(ours.keys).union(theirs.keys).sorted() {
            let b = base[path], o = ours[path], t = theirs[path]
            if o == t || b == t { if let o { result.files[path] = o }; continue }
            if b == o { if let t { result.files[path] = t }; continue }
            guard let o, let t else {
                result.conflicts.append(FileConflict(path: path, kind: .deleteModify, hunks: [], textWithMarkers: nil))
                continue
            }
            func text(_ id: ObjectID?) throws -> String? {
                guard let id else { return "" }
                return String(validating: try store.read(id, as: .blob), as: UTF8.self)
            }
            guard let bt = try text(b), let ot = try text(o), let tt = try text(t) else {
                result.conflicts.append(FileConflict(path: path, kind: .binary, hunks: [], textWithMarkers: nil))
                continue
            }
            let merged = merge(base: bt, ours: ot, theirs: tt)
            if let clean = merged.merged {
                result.files[path] = try store.write(.blob, Array(clean.utf8))
            } else {
                result.conflicts.append(FileConflict(path: path, kind: .content, hunks: merged.conflicts,
                                                     textWithMarkers: merged.textWithMarkers()))
            }
        }
        return result
    }
}
