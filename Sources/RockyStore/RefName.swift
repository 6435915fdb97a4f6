/// The full name of a ref, such as `refs/heads/agent/rebalance-2026-05-21`.
///
/// A valid name is a path of components below `refs/` that can never leave
/// `.rocky/`: no `..`, no empty component (`//`), no component starting with
/// `.` or ending with `.lock`, no leading `-` or `/`, no trailing `/` or `.`,
/// no control characters, spaces or any of `~ ^ : ? * [ \`, no `@{`.
/// Validation happens before anything touches the disk.
public struct RefName: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let path: String

    public static let headsPrefix = "refs/heads/"

    public init(validating path: String) throws {
        guard path.hasPrefix("refs/") else {
            throw StoreError.invalidRefName(path, reason: "a ref lives under refs/")
        }
        try RefName.validate(path, whole: path)
        self.path = path
    }

    /// `refs/heads/<name>` for a branch name, validated.
    public static func branch(_ name: String) throws -> RefName {
        try RefName.validate(name, whole: name)
        if name == "HEAD" { throw StoreError.invalidRefName(name, reason: "HEAD is reserved") }
        return try RefName(validating: headsPrefix + name)
    }

    /// The branch name when this is `refs/heads/<name>`.
    public var branchName: String? {
        path.hasPrefix(RefName.headsPrefix) ? String(path.dropFirst(RefName.headsPrefix.count)) : nil
    }

    public var description: String { path }

    public static func < (a: RefName, b: RefName) -> Bool { a.path < b.path }

    private static func validate(_ name: String, whole: String) throws {
        func refuse(_ reason: String) -> StoreError { .invalidRefName(whole, reason: reason) }
        if name.isEmpty { throw refuse("it is empty") }
        if name.utf8.count > 200 { throw refuse("it is longer than 200 bytes") }
        if name.hasPrefix("-") { throw refuse("it starts with '-'") }
        if name.hasPrefix("/") { throw refuse("it starts with '/'") }
        if name.hasSuffix("/") { throw refuse("it ends with '/'") }
        if name.hasSuffix(".") { throw refuse("it ends with '.'") }
        if name.contains("..") { throw refuse("it contains '..'") }
        if name.contains("//") { throw refuse("it contains '//'") }
        if name.contains("@{") { throw refuse("it contains '@{'") }
        if name == "@" { throw refuse("'@' alone is reserved") }
        for scalar in name.unicodeScalars {
            if scalar.value < 0x20 || scalar.value == 0x7F { throw refuse("it contains a control character") }
            if " ~^:?*[\\".unicodeScalars.contains(scalar) { throw refuse("it contains '\(scalar)'") }
        }
        for component in name.split(separator: "/", omittingEmptySubsequences: false) {
            if component.hasPrefix(".") { throw refuse("a component starts with '.'") }
            if component.hasSuffix(".lock") { throw refuse("a component ends with '.lock'") }
        }
    }
}

/// Where HEAD points: a branch, or a commit (detached, as auditors use it).
public enum Head: Equatable, Sendable {
    case branch(RefName)
    case detached(ObjectID)
}

/// Who moves a ref, when and why; the store adds the old and new ids.
public struct RefNote: Equatable, Sendable {
    public var actor: String
    public var time: String
    public var message: String
    /// The audit entry that records this move, as `<sequence> <sha256 of its
    /// line>` (DESIGN.md "Audit"); nil for refs the audit trail does not anchor.
    public var anchor: String?

    public init(actor: String, time: String, message: String, anchor: String? = nil) {
        self.actor = actor
        self.time = time
        self.message = message
        self.anchor = anchor
    }
}

/// One line of a reflog: a ref moved from `old` to `new`.
public struct ReflogEntry: Equatable, Sendable {
    public var old: ObjectID?
    public var new: ObjectID?
    public var time: String
    public var actor: String
    public var message: String
    /// The audit entry recording the move (`RefNote.anchor`), if any.
    public var anchor: String?

    public init(old: ObjectID?, new: ObjectID?, note: RefNote) {
        self.init(old: old, new: new, time: note.time, actor: note.actor, message: note.message, anchor: note.anchor)
    }

    public init(old: ObjectID?, new: ObjectID?, time: String, actor: String, message: String, anchor: String? = nil) {
        self.old = old
        self.new = new
        self.time = time
        self.actor = actor
        self.message = message
        self.anchor = anchor
    }

    static let zeros = String(repeating: "0", count: 64)

    /// `<old>\t<new>\t<time>\t<actor>\t<message>[\t<anchor>]\n`, absent ids
    /// as 64 zeros, tabs and newlines inside fields replaced by spaces (so a
    /// sixth field can only be the anchor).
    var line: String {
        func clean(_ s: String) -> String {
            String(s.map { $0 == "\t" || $0 == "\n" || $0 == "\r" ? " " : $0 })
        }
        return ([old?.hex ?? ReflogEntry.zeros, new?.hex ?? ReflogEntry.zeros, clean(time), clean(actor), clean(message)]
            + (anchor.map { [clean($0)] } ?? [])).joined(separator: "\t") + "\n"
    }

    init?(line: Substring) {
        let fields = line.split(separator: "\t", maxSplits: 5, omittingEmptySubsequences: false)
        guard fields.count == 5 || fields.count == 6 else { return nil }
        func id(_ s: Substring) -> ObjectID?? {
            s == ReflogEntry.zeros ? .some(nil) : ObjectID(hex: s).map { .some($0) }
        }
        guard let old = id(fields[0]), let new = id(fields[1]) else { return nil }
        self.init(old: old, new: new, time: String(fields[2]), actor: String(fields[3]), message: String(fields[4]),
                  anchor: fields.count == 6 ? String(fields[5]) : nil)
    }
}

/// One ref's part of `RefStore.update(_:note:)`.
public struct RefChange: Sendable {
    public var ref: RefName
    public var expected: ObjectID?
    public var new: ObjectID?

    public init(_ ref: RefName, from expected: ObjectID?, to new: ObjectID?) {
        self.ref = ref
        self.expected = expected
        self.new = new
    }

    /// Checks that `ref` holds `expected` without changing it.
    public static func check(_ ref: RefName, is expected: ObjectID?) -> RefChange { RefChange(ref, from: expected, to: expected) }
}

/// Named pointers to objects, moved only by compare-and-swap.
///
/// Contract: `update` succeeds only when the ref holds `expected` (nil: the
/// ref must not exist) at the moment of the swap; otherwise it throws
/// `StoreError.refMoved` naming both ids and changes nothing. Every successful
/// update appends one reflog entry before it returns. `new == nil` deletes.
public protocol RefStore: AnyObject, Sendable {
    func read(_ ref: RefName) throws -> ObjectID?
    func update(_ ref: RefName, from expected: ObjectID?, to new: ObjectID?, note: RefNote) throws
    /// Moves several refs together: each must hold its `expected` value (a
    /// change whose `new` equals `expected` only checks it), else nothing
    /// changes and `refMoved` names the first that differs. The changes are
    /// applied in the order given; a crash between two of them leaves the
    /// earlier ones done, so callers order them to make that recoverable.
    func update(_ changes: [RefChange], note: RefNote) throws
    /// Refs whose path starts with `prefix`, sorted by name.
    func list(prefix: String) throws -> [(name: RefName, id: ObjectID)]
    func head() throws -> Head
    func setHead(_ head: Head, note: RefNote) throws
    /// The entries of a ref's reflog, oldest first (`HEAD` for HEAD's own).
    func reflog(_ ref: String) throws -> [ReflogEntry]
}
