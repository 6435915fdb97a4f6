/// What can go wrong in the object store and the ref store. Each case says
/// what the caller can do about it in its description.
public enum StoreError: Error, Equatable, Sendable, CustomStringConvertible {
    /// No object has this id, or no object's id starts with this prefix.
    case objectNotFound(String)
    /// The prefix names more than one object; use more digits.
    case ambiguousPrefix(String, candidates: [ObjectID])
    /// The stored object does not hash to its id, does not inflate, or has a
    /// malformed header. The repository is damaged: restore the object from a clone.
    case corruptObject(ObjectID, reason: String)
    /// An object of another kind was found where `expected` was needed.
    case wrongKind(ObjectID, expected: ObjectKind, actual: ObjectKind)
    case invalidRefName(String, reason: String)
    case refNotFound(String)
    /// A compare-and-swap lost: the ref no longer holds what the caller read.
    case refMoved(ref: String, expected: ObjectID?, actual: ObjectID?)
    /// Another process holds the ref's lock file (`owner`, as the lock
    /// records it; nil for a lock without a readable owner).
    case refLocked(ref: String, lockPath: String, ageSeconds: Int, owner: LockOwner?)
    /// Another process holds a lock that lives as long as it runs (a flock
    /// on a permanent file such as `objects/gc.run`), past the wait allowed.
    case busy(activity: String, lockPath: String)
    case refExists(String)
    /// A system call failed.
    case io(path: String, operation: String, errno: Int32)
    case notARepository(String)
    case alreadyARepository(String)
    /// A stored file that is not an object (a ref, HEAD, a log line) is malformed.
    case malformed(path: String, reason: String)
    /// A path Rocky refuses to write through: a tree entry that would land
    /// outside the working directory or in `.rocky` (see `TreePath`), or a
    /// symbolic link where Rocky writes (nothing is written through one).
    case unsafePath(String, reason: String)

    public var description: String {
        switch self {
        case let .objectNotFound(name):
            return "no object named \(name)"
        case let .ambiguousPrefix(prefix, candidates):
            return "object prefix \(prefix) is ambiguous; it matches:\n"
                + candidates.map { "  \($0.hex)" }.joined(separator: "\n")
                + "\nuse more digits"
        case let .corruptObject(id, reason):
            return "object \(id.hex) is corrupt: \(reason). The repository is damaged: 'rocky fsck' lists every "
                + "damaged object; copy each from a clone that has it intact (objects are immutable, any copy will do)"
        case let .wrongKind(id, expected, actual):
            return "object \(id.hex) is a \(actual.rawValue), not a \(expected.rawValue)"
        case let .invalidRefName(name, reason):
            return "invalid ref name '\(name)': \(reason)"
        case let .refNotFound(name):
            return "no such ref: \(name)"
        case let .refMoved(ref, expected, actual):
            return "\(ref) moved: expected \(expected?.hex ?? "(none)"), found \(actual?.hex ?? "(none)")"
        case let .refLocked(ref, lockPath, age, owner?):
            return "cannot update \(ref): \(owner) holds its lock \(lockPath) (for \(age) s). "
                + "Wait for that process to finish and run the command again; if it is stuck, stop it (kill \(owner.pid) on \(owner.host)): "
                + "the next command then removes the lock and records that in the audit log"
        case let .refLocked(ref, lockPath, age, nil):
            return "cannot update \(ref): its lock \(lockPath) exists (for \(age) s) and names no owner. "
                + "Another rocky process may be updating it; if none is running, a crashed one left the lock: remove the file and retry"
        case let .busy(activity, lockPath):
            return "\(activity) is using this repository (it holds \(lockPath)); wait for it to finish and retry. "
                + "Do not remove the file: the lock is released when that process exits"
        case let .refExists(name):
            return "\(name) already exists"
        case let .io(path, operation, code):
            return "\(operation) \(path): \(systemErrorMessage(code))"
        case let .notARepository(path):
            return "not a rocky repository (or any parent up to /): \(path)\nrun 'rocky init' to create one"
        case let .alreadyARepository(path):
            return "\(path) is already a rocky repository"
        case let .malformed(path, reason):
            return "\(path) is malformed: \(reason)"
        case let .unsafePath(path, reason):
            return "refusing unsafe path '\(path)': \(reason)"
        }
    }
}
