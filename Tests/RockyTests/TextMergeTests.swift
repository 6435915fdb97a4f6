@testable import Rocky
import RockyStore
import Testing
import RockyBase

@Suite struct TextMergeTests {
    let base = """
        [env.dev]
        masking = "none"

        [env.prod]
        masking = "hash"

        [cost]
        rate = 5

        """

    @Test func changesOnDifferentLinesCombine() {
        let ours = base.replacingOccurrences(of: "masking = \"none\"", with: "masking = \"redact\"")
        let theirs = base.replacingOccurrences(of: "rate = 5", with: "rate = 7")
        let result = TextMerge.merge(base: base, ours: ours, theirs: theirs)
        #expect(result.isClean)
        #expect(result.merged == base.replacingOccurrences(of: "masking = \"none\"", with: "masking = \"redact\"")
            .replacingOccurrences(of: "rate = 5", with: "rate = 7"))
    }

    @Test func oneSidedAndIdenticalChanges() {
        let changed = base + "[access]\nadmin = [\"alice\"]\n"
        #expect(TextMerge.merge(base: base, ours: base, theirs: changed).merged == changed)
        #expect(TextMerge.merge(base: base, ours: changed, theirs: base).merged == changed)
        #expect(TextMerge.merge(base: base, ours: changed, theirs: changed).merged == changed)
        // The same edit among other edits converges too.
        let ours = changed.replacingOccurrences(of: "rate = 5", with: "rate = 6")
        let theirs = changed.replacingOccurrences(of: "[env.dev]", with: "[env.development]")
        #expect(TextMerge.merge(base: base, ours: ours, theirs: theirs).merged
            == changed.replacingOccurrences(of: "rate = 5", with: "rate = 6").replacingOccurrences(of: "[env.dev]", with: "[env.development]"))
    }

    @Test func theSameLineChangedTwoWaysConflicts() {
        let ours = base.replacingOccurrences(of: "rate = 5", with: "rate = 6")
        let theirs = base.replacingOccurrences(of: "rate = 5", with: "rate = 8")
        let result = TextMerge.merge(base: base, ours: ours, theirs: theirs)
        #expect(result.merged == nil)
        #expect(result.conflicts == [TextConflict(base: 7..<8, ours: 7..<8, theirs: 7..<8,
                                                  baseText: "rate = 5\n", oursText: "rate = 6\n", theirsText: "rate = 8\n")])
        #expect(result.textWithMarkers() == """
            [env.dev]
            masking = "none"

            [env.prod]
            masking = "hash"

            [cost]
            <<<<<<< ours
            rate = 6
            ||||||| base
            rate = 5
            =======
            rate = 8
            >>>>>>> theirs

            """)
    }

    @Test func insertionsAtTheSamePlaceConflictUnlessEqual() {
        let ours = base + "a = 1\n"
        let theirs = base + "b = 2\n"
        let result = TextMerge.merge(base: base, ours: ours, theirs: theirs)
        #expect(result.conflicts.map(\.base) == [8..<8])
        #expect(result.conflicts.first?.oursText == "a = 1\n")
        #expect(result.conflicts.first?.theirsText == "b = 2\n")
        let ours2 = base.replacingOccurrences(of: "[env.dev]", with: "[env.test]") + "a = 1\n"
        #expect(TextMerge.merge(base: base, ours: ours2, theirs: base + "a = 1\n").merged == ours2)
    }

    /// Lines both sides added around a conflict are not part of it.
    @Test func aConflictIsNarrowedToWhatDiffers() {
        let result = TextMerge.merge(base: "a\nb\n", ours: "a\nX\nc\n", theirs: "a\nY\nc\n")
        #expect(result.conflicts == [TextConflict(base: 1..<2, ours: 1..<2, theirs: 1..<2,
                                                  baseText: "b\n", oursText: "X\n", theirsText: "Y\n")])
        #expect(result.textWithMarkers() == "a\n<<<<<<< ours\nX\n||||||| base\nb\n=======\nY\n>>>>>>> theirs\nc\n")
    }

    @Test func deletionAgainstAnEditElsewhereCombines() {
        let ours = base.replacingOccurrences(of: "[env.prod]\nmasking = \"hash\"\n\n", with: "")
        let theirs = base.replacingOccurrences(of: "rate = 5", with: "rate = 9")
        #expect(TextMerge.merge(base: base, ours: ours, theirs: theirs).merged
            == "[env.dev]\nmasking = \"none\"\n\n[cost]\nrate = 9\n")
    }

    @Test func deletionAgainstAnEditOfTheDeletedLinesConflicts() {
        let ours = base.replacingOccurrences(of: "[cost]\nrate = 5\n", with: "")
        let theirs = base.replacingOccurrences(of: "rate = 5", with: "rate = 9")
        let result = TextMerge.merge(base: base, ours: ours, theirs: theirs)
        #expect(result.conflicts.count == 1)
        #expect(result.conflicts[0].oursText == "")
        #expect(result.conflicts[0].baseText.contains("rate = 5"))
        #expect(result.conflicts[0].theirsText.contains("rate = 9"))
    }

    /// As in git, edits of adjacent lines are one hunk.
    @Test func adjacentEditsConflict() {
        let b = "a\nb\nc\nd\n"
        let result = TextMerge.merge(base: b, ours: "a\nB\nc\nd\n", theirs: "a\nb\nC\nd\n")
        #expect(result.conflicts.map(\.base) == [1..<3])
        #expect(TextMerge.merge(base: b, ours: "A\nb\nc\nd\n", theirs: "a\nb\nc\nD\n").merged == "A\nb\nc\nD\n")
    }

    @Test func lineEndingsAndAMissingFinalNewlineSurvive() {
        let b = "x\r\ny\r\nz"
        #expect(TextMerge.merge(base: b, ours: "X\r\ny\r\nz", theirs: "x\r\ny\r\nz!").merged == "X\r\ny\r\nz!")
        let conflict = TextMerge.merge(base: "a\nb", ours: "a\nb\n", theirs: "a\nc")
        #expect(conflict.conflicts.count == 1)
        #expect(conflict.textWithMarkers() == "a\n<<<<<<< ours\nb\n||||||| base\nb\n=======\nc\n>>>>>>> theirs\n")
        #expect(TextMerge.merge(base: "", ours: "", theirs: "new\n").merged == "new\n")
    }

    /// The diff matches as many lines as a longest common subsequence.
    @Test func lineDiffFindsALongestCommonSubsequence() {
        var random = SeededRandom(seed: 3)
        for _ in 0..<300 {
            let a = (0..<Int(random.next() % 30)).map { _ in Int(random.next() % 4) }
            let b = (0..<Int(random.next() % 30)).map { _ in Int(random.next() % 4) }
            let m = LineDiff.matches(a, b)
            let pairs = m.enumerated().compactMap { i, j in j.map { (i, $0) } }
            #expect(pairs.allSatisfy { a[$0.0] == b[$0.1] })
            #expect(zip(pairs, pairs.dropFirst()).allSatisfy { $0.1 < $1.1 }, "matches are increasing")
            #expect(pairs.count == lcs(a, b))
        }
    }

    /// Random edits of separate blocks, each followed by an unchanged line,
    /// always combine into the edit of both.
    @Test func randomEditsOfSeparateBlocksCombine() {
        var random = SeededRandom(seed: 9)
        for round in 0..<200 {
            // Blocks of 3 lines; every block's third line is never edited.
            let blocks = 2 + Int(random.next() % 6)
            let original = (0..<blocks).map { b in ["l\(b).0\n", "l\(b).1\n", "keep \(b)\n"] }
            var ours = original, theirs = original, expected = original
            for b in 0..<blocks {
                let edit: [String]
                switch random.next() % 3 {
                case 0: edit = []
                case 1: edit = ["new \(round) \(b)\n"]
                default: edit = ["x\(b)\n", "y\(b)\n", "z\(b)\n"]
                }
                let replacement = edit + ["keep \(b)\n"]
                switch random.next() % 4 {
                case 0: ours[b] = replacement; expected[b] = replacement
                case 1: theirs[b] = replacement; expected[b] = replacement
                case 2: ours[b] = replacement; theirs[b] = replacement; expected[b] = replacement
                default: break
                }
            }
            let join = { (x: [[String]]) in x.flatMap { $0 }.joined() }
            let result = TextMerge.merge(base: join(original), ours: join(ours), theirs: join(theirs))
            #expect(result.merged == join(expected), "round \(round)")
        }
    }

    private func lcs(_ a: [Int], _ b: [Int]) -> Int {
        var table = [[Int]](repeating: [Int](repeating: 0, count: b.count + 1), count: a.count + 1)
        for i in 0..<a.count {
            for j in 0..<b.count {
                table[i + 1][j + 1] = a[i] == b[j] ? table[i][j] + 1 : max(table[i][j + 1], table[i + 1][j])
            }
        }
        return table[a.count][b.count]
    }
}

extension String {
    func replacingOccurrences(of target: String, with replacement: String) -> String {
        split(separator: target, omittingEmptySubsequences: false).joined(separator: replacement)
    }
}

@Suite struct FileMergeTests {
    @Test func filesMergeLikeTables() throws {
        let store = MemoryObjectStore()
        func blob(_ s: String) throws -> ObjectID { try store.write(.blob, Array(s.utf8)) }
        let toml = try blob("a = 1\nb = 2\nc = 3\n")
        let oursToml = try blob("a = 10\nb = 2\nc = 3\n"), theirsToml = try blob("a = 1\nb = 2\nc = 30\n")
        let model = try blob("select 1\n"), changedModel = try blob("select 2\n"), otherModel = try blob("select 3\n")
        let r = try TextMerge.mergeFiles(
            store: store,
            base: ["rocky.toml": toml, "models/a.sql": model, "models/gone.sql": model, "models/clash.sql": model],
            ours: ["rocky.toml": oursToml, "models/a.sql": model, "models/new.sql": model, "models/clash.sql": changedModel],
            theirs: ["rocky.toml": theirsToml, "models/a.sql": changedModel, "models/gone.sql": model, "models/clash.sql": otherModel,
                     "models/both.sql": otherModel])
        #expect(try String(decoding: store.read(r.files["rocky.toml"]!, as: .blob), as: UTF8.self) == "a = 10\nb = 2\nc = 30\n")
        #expect(r.files["models/a.sql"] == changedModel)
        #expect(r.files["models/gone.sql"] == nil)
        #expect(r.files["models/new.sql"] == model)
        #expect(r.files["models/both.sql"] == otherModel)
        #expect(r.conflicts.map(\.path) == ["models/clash.sql"])
        #expect(r.conflicts.first?.kind == .content)
        #expect(r.conflicts.first?.textWithMarkers?.contains("<<<<<<< ours\nselect 2\n") == true)
        let dm = try TextMerge.mergeFiles(store: store, base: ["m": model], ours: [:], theirs: ["m": changedModel])
        #expect(dm.conflicts.map(\.kind) == [.deleteModify])
        let binary = try store.write(.blob, [0xff, 0xfe, 0x00])
        let bin = try TextMerge.mergeFiles(store: store, base: ["m": model], ours: ["m": binary], theirs: ["m": changedModel])
        #expect(bin.conflicts.map(\.kind) == [.binary])
    }
}
