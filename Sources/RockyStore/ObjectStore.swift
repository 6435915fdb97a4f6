/// The kind of an object, written in its header (`"<kind> <size>\0"`).
/// RockyStore defines `blob` and the typed objects it reads itself (`tree`,
/// `commit`); upper layers add their own kinds as extensions.
public struct ObjectKind: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: String

    /// A kind is 1 to 16 lowercase ASCII letters.
    public init?(rawValue: String) {
        guard (1...16).contains(rawValue.utf8.count), rawValue.utf8.allSatisfy({ $0 >= 97 && $0 <= 122 }) else { return nil }
        self.rawValue = rawValue
    }

    public init(_ name: StaticString) {
        self.init(rawValue: name.description)!
    }

    public var description: String { rawValue }

    /// Kinds stored without compression (zlib level 0: still one zlib
    /// stream, any reader inflates it): the index nodes of table trees, which
    /// are mostly SHA-256 ids and shrink by only about 15% at level 1, while
    /// a small edit rewrites as many of them as it rewrites chunks.
    public static let incompressible: Set<ObjectKind> = [ObjectKind("index")]

    public static let blob = ObjectKind("blob")
    public static let tree = ObjectKind("tree")
    public static let commit = ObjectKind("commit")
}

/// An object read back from a store, already verified against its id.
public struct StoredObject: Sendable {
    public let kind: ObjectKind
    public let payload: [UInt8]
}

/// A content-addressed object database.
///
/// Contract, for every implementation:
/// - `write` returns the id of `"<kind> <size>\0" + payload`; writing an object
///   that exists already succeeds and changes nothing. When `write` returns,
///   the object is durable, unless it was written inside `batch`, in which
///   case it is durable when `batch` returns.
/// - Every read verifies the content against the id and throws
///   `StoreError.corruptObject` naming the object when it does not match.
/// - Objects are immutable: nothing here removes one (that is `gc`'s job).
public protocol ObjectStore: AnyObject, Sendable {
    @discardableResult
    func write(_ kind: ObjectKind, _ payload: [UInt8]) throws -> ObjectID

    /// `write` for a caller that has just computed `id` as
    /// `objectID(kind, payload)` (a tree builder names each chunk before
    /// storing it): the store does not hash the bytes a second time. Returns
    /// whether the object was new to the store. An id that does not match
    /// would store a corrupt object, which every read then reports.
    @discardableResult
    func write(_ kind: ObjectKind, _ payload: [UInt8], id: ObjectID) throws -> Bool

    /// Writes an object whose payload arrives in pieces, without holding it
    /// whole: `produce` is called until it returns an empty array, and the
    /// pieces must add up to exactly `size` bytes. Such an object is durable
    /// when this returns, even inside `batch` (which does not take it back
    /// if it fails): it is for objects too large to pack, like a blob that
    /// `hash-object -w` stores.
    @discardableResult
    func write(_ kind: ObjectKind, size: Int, produce: () throws -> [UInt8]) throws -> ObjectID

    func read(_ id: ObjectID) throws -> StoredObject

    /// Streams the payload to `consume` in pieces and returns the kind. The
    /// hash is checked at the end: when it throws `corruptObject`, the pieces
    /// already delivered must be discarded.
    @discardableResult
    func stream(_ id: ObjectID, _ consume: (UnsafeRawBufferPointer) throws -> Void) throws -> ObjectKind

    /// The kind and payload size, without reading the payload.
    func header(_ id: ObjectID) throws -> (kind: ObjectKind, size: Int)

    func contains(_ id: ObjectID) -> Bool

    /// Every object id whose hex form starts with `prefix` (lowercase hex).
    func ids(withPrefix prefix: String) throws -> [ObjectID]

    /// Runs `body`; objects it writes become durable together when it returns,
    /// which is much cheaper than making each durable on its own. Nested calls
    /// join the outer batch. Nothing may point a ref at them before it returns.
    func batch<R>(_ body: () throws -> R) throws -> R
}

extension ObjectStore {
    /// For stores with nothing to gain from a known id: asks, then writes.
    @discardableResult
    public func write(_ kind: ObjectKind, _ payload: [UInt8], id: ObjectID) throws -> Bool {
        let existed = contains(id)
        try write(kind, payload)
        return !existed
    }

    /// Resolves a full id or an abbreviation of 4 or more hex digits.
    public func resolve(prefix text: String) throws -> ObjectID {
        let lower = text.lowercased()
        guard ObjectID.isHexPrefix(lower) else { throw StoreError.objectNotFound(text) }
        if let id = ObjectID(hex: lower) {
            guard contains(id) else { throw StoreError.objectNotFound(text) }
            return id
        }
        let matches = try ids(withPrefix: lower)
        switch matches.count {
        case 0: throw StoreError.objectNotFound(text)
        case 1: return matches[0]
        default: throw StoreError.ambiguousPrefix(text, candidates: matches)
        }
    }

    /// Every object in the store.
    public func allIDs() throws -> [ObjectID] { try ids(withPrefix: "") }

    /// Reads an object and checks its kind.
    public func read(_ id: ObjectID, as kind: ObjectKind) throws -> [UInt8] {
        let object = try read(id)
        guard object.kind == kind else { throw StoreError.wrongKind(id, expected: kind, actual: object.kind) }
        return object.payload
    }
}

/// The object header, `"<kind> <size>\0"`, hashed and stored before the payload.
func objectHeader(_ kind: ObjectKind, _ size: Int) -> [UInt8] {
    Array("\(kind.rawValue) \(size)".utf8) + [0]
}

/// The id of an object, computed without storing it.
public func objectID(_ kind: ObjectKind, _ payload: [UInt8]) -> ObjectID {
    let hasher = SHA256()
    hasher.update(objectHeader(kind, payload.count))
    hasher.update(payload)
    return ObjectID(bytes: hasher.finish())
}

enum ParsedHeader {
    case incomplete
    case malformed(String)
    case complete(kind: ObjectKind, size: Int, length: Int)
}

/// Parses `"<kind> <size>\0"` at the start of `bytes`.
func parseObjectHeader(_ bytes: [UInt8]) -> ParsedHeader {
    guard let nul = bytes.firstIndex(of: 0) else {
        return bytes.count > 40 ? .malformed("header has no terminating NUL") : .incomplete
    }
    let text = String(decoding: bytes[..<nul], as: UTF8.self)
    let parts = text.split(separator: " ", omittingEmptySubsequences: false)
    guard parts.count == 2, let kind = ObjectKind(rawValue: String(parts[0])),
          let size = Int(parts[1]), size >= 0, String(size) == parts[1] else {
        return .malformed("malformed header '\(text)'")
    }
    return .complete(kind: kind, size: size, length: nul + 1)
}
