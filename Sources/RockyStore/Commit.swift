import RockyBase

/// A recorded state of a branch.
///
/// Encoded as canonical JSON (keys sorted, no whitespace). Besides what the
/// user sees (tree, parents, actor, time, message, transformations, run id,
/// free-form `meta` such as a merge strategy or replay source), a commit
/// carries a small first-parent index so that "branch B at time T" and
/// `<rev>~N` take O(log n) reads however long the history is:
/// - `depth`: the number of first-parent ancestors (a root has 0);
/// - `skip`: a first-parent ancestor chosen as in a skew-binary list (Myers,
///   1983): if the parent's skip spans as many commits as the parent's skip's
///   skip, jump over both, else skip to the parent;
/// - `skip_depth`: the depth of `skip`;
/// - `skip_min_time`: the earliest committer time strictly between this commit
///   and `skip` (absent when nothing is in between).
/// These are functions of the history, so the same history gives the same ids.
public struct Commit: Equatable, Sendable {
    public var tree: ObjectID
    public var parents: [ObjectID]
    public var actor: String
    public var time: Timestamp
    public var message: String
    public var transforms: [ObjectID]
    public var runID: String?
    public var meta: JSON?
    public private(set) var depth: Int
    public private(set) var skip: ObjectID?
    public private(set) var skipDepth: Int?
    public private(set) var skipMinTime: Timestamp?

    public static let formatVersion = 1

    /// A new commit; its first-parent index is filled in by `ObjectStore.write(commit:)`.
    public init(tree: ObjectID, parents: [ObjectID], actor: String, time: Timestamp, message: String,
                transforms: [ObjectID] = [], runID: String? = nil, meta: JSON? = nil) {
        self.tree = tree
        self.parents = parents
        self.actor = actor
        self.time = time
        self.message = message
        self.transforms = transforms
        self.runID = runID
        self.meta = meta
        depth = 0
    }

    public var firstParent: ObjectID? { parents.first }

    public var json: JSON {
        .object([
            "actor": .string(actor),
            "depth": .int(depth),
            "message": .string(message),
            "meta": meta,
            "parents": .array(parents.map { .string($0.hex) }),
            "run_id": runID.map(JSON.string),
            "skip": skip.map { .string($0.hex) },
            "skip_depth": skipDepth.map { .int($0) },
            "skip_min_time": skipMinTime.map { .string($0.description) },
            "time": .string(time.description),
            "transforms": .array(transforms.map { .string($0.hex) }),
            "tree": .string(tree.hex),
            "version": .int(Commit.formatVersion),
        ])
    }

    public var payload: [UInt8] { Array(json.canonicalText.utf8) }

    public init(payload: [UInt8], id: ObjectID) throws {
        let json = try decodeObjectJSON(payload, id: id)
        func fail(_ field: String) -> StoreError { .corruptObject(id, reason: "commit field '\(field)' is missing or malformed") }
        func objectID(_ value: JSON?) -> ObjectID? { value?.stringValue.flatMap { ObjectID(hex: $0) } }
        func ids(_ key: String) throws -> [ObjectID] {
            guard let items = json[key]?.arrayValue else { throw fail(key) }
            return try items.map { item in
                guard let id = objectID(item) else { throw fail(key) }
                return id
            }
        }
        guard json["version"]?.intValue == Commit.formatVersion else { throw fail("version") }
        guard let tree = objectID(json["tree"]) else { throw fail("tree") }
        guard let actor = json["actor"]?.stringValue else { throw fail("actor") }
        guard let timeText = json["time"]?.stringValue, let time = Timestamp(parsing: timeText) else { throw fail("time") }
        guard let message = json["message"]?.stringValue else { throw fail("message") }
        guard let depth = json["depth"]?.intValue, depth >= 0 else { throw fail("depth") }
        self.init(tree: tree, parents: try ids("parents"), actor: actor, time: time, message: message,
                  transforms: try ids("transforms"), runID: json["run_id"]?.stringValue, meta: json["meta"])
        self.depth = depth
        if let skipJSON = json["skip"] {
            guard let skip = objectID(skipJSON) else { throw fail("skip") }
            self.skip = skip
            guard let d = json["skip_depth"]?.intValue, d >= 0, d < depth else { throw fail("skip_depth") }
            skipDepth = d
        }
        if let minJSON = json["skip_min_time"] {
            guard let text = minJSON.stringValue, let t = Timestamp(parsing: text) else { throw fail("skip_min_time") }
            skipMinTime = t
        }
    }

    /// Fills in the first-parent index from the first parent and its skip target.
    mutating func index(parent: (id: ObjectID, commit: Commit)?, parentSkip: Commit?) {
        guard let (parentID, p) = parent else {
            depth = 0; skip = nil; skipDepth = nil; skipMinTime = nil
            return
        }
        depth = p.depth + 1
        if let j = parentSkip, let jDepth = p.skipDepth, let jj = j.skip, let jjDepth = j.skipDepth,
           p.depth - jDepth == jDepth - jjDepth {
            skip = jj
            skipDepth = jjDepth
            skipMinTime = [p.time, p.skipMinTime, j.time, j.skipMinTime].compactMap { $0 }.min()
        } else {
            skip = parentID
            skipDepth = p.depth
            skipMinTime = nil
        }
    }
}
