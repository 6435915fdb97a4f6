import Foundation
import RockyBase
import RockyStore
import RockyTable

/// Something `fsck` found wrong, naming the object or ref.
public struct FsckProblem: Equatable, Sendable, CustomStringConvertible {
    public var object: ObjectID?
    public var ref: String?
    public var message: String

    public var description: String {
        if let object { return "object \(object.hex): \(message)" }
        if let ref { return "ref \(ref): \(message)" }
        return message
    }
}

public struct FsckReport: Sendable {
    public var objectsChecked = 0
    public var refsChecked = 0
    public var problems: [FsckProblem] = []
    /// Not damage, but worth knowing: stale lock files, leftover temporary files.
    public var warnings: [String] = []
    public var isClean: Bool { problems.isEmpty }
}

extension Repository {
    /// Verifies every object against its id, that every ref and HEAD point at
    /// an existing commit, that every object reachable from them exists, and
    /// the audit trail: its chain, and every branch move against it
    /// (`verifyAudit`); names every tree entry that breaks the rules for
    /// paths (`TreePath`) or table names, and every symbolic link inside `.rocky`.
    public func fsck() throws -> FsckReport {
        let context = try gate(.fsck); defer { context.end() }
        var report = FsckReport()
        var corrupt = Set<ObjectID>()
        for id in try objects.allIDs() {
            report.objectsChecked += 1
            do {
                if try objects.stream(id, { _ in }) == .tree {
                    report.problems += try treeProblems(id)
                }
            } catch let error as StoreError {
                corrupt.insert(id)
                if case let .corruptObject(_, reason) = error {
                    report.problems.append(FsckProblem(object: id, message: "corrupt: \(reason)"))
                } else {
                    report.problems.append(FsckProblem(object: id, message: error.description))
                }
            }
        }
        var roots: [(String, ObjectID)] = []
        for (name, id) in try refs.list(prefix: "refs/") {
            report.refsChecked += 1
            roots.append((name.path, id))
        }
        do {
            switch try refs.head() {
            case let .detached(id): roots.append(("HEAD", id))
            case let .branch(ref):
                if try refs.read(ref) == nil {
                    report.problems.append(FsckProblem(ref: "HEAD", message: "points at \(ref.path), which does not exist"))
                }
            }
        } catch {
            report.problems.append(FsckProblem(ref: "HEAD", message: "\(error)"))
        }
        var seen = Set<ObjectID>()
        for (name, id) in roots {
            guard objects.contains(id) else {
                report.problems.append(FsckProblem(ref: name, message: "points at \(id.hex), which does not exist"))
                continue
            }
            if let kind = try? objects.header(id).kind, kind != .commit, !name.hasPrefix("refs/worksets/"),
               !(kind == .tag && name.hasPrefix(Repository.tagsPrefix)), !(kind == .stash && name == Repository.stashRef.path) {
                report.problems.append(FsckProblem(ref: name, message: "points at \(id.hex), a \(kind), not a commit"))
            }
            var stack = [id]
            while let next = stack.popLast() {
                guard seen.insert(next).inserted, !corrupt.contains(next) else { continue }
                let object: StoredObject
                do { object = try objects.read(next) } catch { continue }
                for child in (try? objectLinks(object, id: next)) ?? [] {
                    if objects.contains(child) {
                        stack.append(child)
                    } else {
                        report.problems.append(FsckProblem(object: next, message: "references \(child.hex), which does not exist"))
                    }
                }
            }
        }
        let audit = try verifyAudit()
        if let bad = audit.firstBad {
            report.problems.append(FsckProblem(message: "audit.log line \(bad.line): \(bad.reason)"))
        }
        report.problems += audit.anchorProblems.map { FsckProblem(ref: $0.ref, message: $0.message) }
        report.warnings += staleFiles() + audit.notes.map { "audit.log: " + $0 }
        report.problems += symbolicLinks(under: rockyDirectory).map {
            FsckProblem(message: "\($0) is a symbolic link: rocky refuses to write through it; remove it")
        }
        return report
    }

    /// The entries of a tree that break the rules for project file paths or table names.
    private func treeProblems(_ id: ObjectID) throws -> [FsckProblem] {
        let tree = try Tree(payload: try objects.read(id, as: .tree), id: id, checkingPaths: false)
        return tree.pathProblems.map { FsckProblem(object: id, message: "tree entry '\($0.path)' is unsafe: \($0.reason)") }
            + tree.tables.keys.sorted().compactMap { name in
                Repository.tableNameProblem(name).map { FsckProblem(object: id, message: "tree table: \($0)") }
            }
    }

    /// Every symbolic link below `folder`, not following any.
    private func symbolicLinks(under folder: String) -> [String] {
        var found: [String] = []
        let fm = FileManager.default
        for name in ((try? fm.contentsOfDirectory(atPath: folder)) ?? []).sorted() {
            let path = folder + "/" + name
            switch (try? fm.attributesOfItem(atPath: path))?[.type] as? FileAttributeType {
            case .typeSymbolicLink?: found.append(path)
            case .typeDirectory?: found += symbolicLinks(under: path)
            default: break
            }
        }
        return found
    }

    /// The ids an object refers to, by kind: what fsck checks exists, and
    /// what fetch, push and gc follow. `chunk`, `schema` and `blob` refer to
    /// nothing; an unknown kind is treated as referring to nothing.
    func objectLinks(_ object: StoredObject, id: ObjectID) throws -> [ObjectID] {
        func json() throws -> JSON {
            do { return try JSON(parsing: String(decoding: object.payload, as: UTF8.self)) } catch {
                throw StoreError.corruptObject(id, reason: "\(object.kind) does not decode: \(error)")
            }
        }
        func ids(_ value: JSON?) -> [ObjectID] {
            if let text = value?.stringValue { return ObjectID(hex: text).map { [$0] } ?? [] }
            if let items = value?.arrayValue { return items.flatMap { ids($0) } }
            if let members = value?.members { return members.flatMap { ids($0.value) } }
            return []
        }
        switch object.kind {
        case .commit:
            let commit = try Commit(payload: object.payload, id: id)
            return [commit.tree] + commit.parents + commit.transforms
        case .tree:
            let tree = try Tree(payload: object.payload, id: id, checkingPaths: false)
            return Array(tree.tables.values) + Array(tree.files.values)
        case .table:
            let value = try json()
            return ids(value["schema"]) + ids(value["root"])
        case .index:
            do { return try IndexNode(payload: object.payload).entries.map(\.child) } catch {
                throw StoreError.corruptObject(id, reason: "index node does not decode: \(error)")
            }
        case .workset:
            let value = try json()
            return ids(value["tree"]) + ids(value["transforms"]) + ids(value["merge"])
        case .mergeState:
            let value = try json()
            return ids(value["bases"]) + ids(value["other_parent"]) + ids(value["previous_working_set"]) + ids(value["tables"])
        case .tag:
            return [try Repository.decodeTag(object.payload, id: id).commit]
        case .stash:
            let value = try json()
            return ids(value["tree"]) + ids(value["base"]) + ids(value["transforms"]) + ids(value["previous"])
        case ObjectKind("transform"):
            let value = try json()
            return ids(value["input_tables"]) + ids(value["output_tables"])
        default:
            return []
        }
    }

    /// Lock files and temporary files left behind by interrupted processes.
    private func staleFiles() -> [String] {
        var found: [String] = []
        let fm = FileManagerShim()
        let locks = fm.files(under: rockyDirectory + "/refs")
            + [rockyDirectory + "/HEAD.lock", auditLogPath + ".lock", remotesFile + ".lock"]
        let staged = (fm.files(under: rockyDirectory + "/refs") + fm.files(under: rockyDirectory, depth: 1))
            .filter { ($0 as NSString).lastPathComponent.hasPrefix(FileRefStore.newValuePrefix) }
        for path in staged {
            found.append("\(path) is a ref value written by an update that was interrupted before its rename: safe to remove")
        }
        for path in locks where path.hasSuffix(".lock") && fm.exists(path) {
            let owner = (try? String(contentsOfFile: path, encoding: .utf8)).flatMap(LockOwner.init(text:))
            if let owner, owner.isDeadProcessOnThisHost {
                found.append("lock file \(path) was left by \(owner), which has exited: the next command that needs it removes it")
            } else if let owner {
                found.append("lock file \(path) is held by \(owner)")
            } else {
                found.append("lock file \(path) exists: if no rocky process is running, a crashed one left it; remove it")
            }
        }
        let temps = (try? diskObjects.temporaryFiles(scratch: rockyDirectory + "/tmp")) ?? []
        if !temps.isEmpty {
            found.append("\(temps.count) temporary file(s) from interrupted writes or sorts (objects/tmp-*, a pack without its "
                + "index, .rocky/tmp): if no rocky process is running they are safe to remove; gc removes them after its grace period")
        }
        return found
    }
}
