import Foundation
import RockyStore
import Testing

@Suite struct RefStoreTests {
    @Test(arguments: [
        "agent/rebalance-2026-05-21", "main", "feature/a-b_c.d", "risk/2026/q2",
    ])
    func validBranchNames(name: String) throws {
        #expect(try RefName.branch(name).path == "refs/heads/" + name)
    }

    @Test(arguments: [
        "", "..", "../evil", "a/../../b", "-rf", "/abs", "a//b", "a/", "x.lock", "a/b.lock/c", "with space",
        "tab\there", "new\nline", "a~1", "a^", "a:b", "a?", "a*", "a[b", "back\\slash", "a@{1}", ".hidden",
        "a/.b", "ends.", "HEAD", "@",
    ])
    func invalidBranchNamesAreRefusedBeforeTouchingTheDisk(name: String) throws {
        let dir = TemporaryDirectory()
        let refs = FileRefStore(root: dir.path)
        #expect(throws: StoreError.self) {
            try refs.update(try RefName.branch(name), from: nil, to: objectID(.blob, []), note: note)
        }
        #expect(dir.snapshot().isEmpty, "nothing created for \(name.debugDescription)")
    }

    @Test func reflogExpiryKeepsWhatItIsToldAndSeesBranchesNamedLikeTemporaryFiles() throws {
        let dir = TemporaryDirectory()
        let refs = FileRefStore(root: dir.path)
        let a = objectID(.blob, bytes("a")), b = objectID(.blob, bytes("b"))
        let branch = try RefName.branch("feature.tmp-1")
        try refs.update(branch, from: nil, to: a, note: note)
        try refs.update(branch, from: a, to: b, note: note)
        #expect(try refs.reflogNames().contains("refs/heads/feature.tmp-1"), "a valid branch name is a reflog, not a temporary file")
        #expect(try refs.expireReflog("refs/heads/feature.tmp-1") { $0.new == b } == 1)
        #expect(try refs.reflog("refs/heads/feature.tmp-1").map(\.new) == [b])
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path + "/logs/refs/heads") == ["feature.tmp-1"],
                "no temporary file is left beside the log")
    }

    @Test func refsMustLiveUnderRefs() {
        #expect(throws: StoreError.self) { try RefName(validating: "HEAD") }
        #expect(throws: StoreError.self) { try RefName(validating: "objects/ab") }
        #expect(throws: StoreError.self) { try RefName(validating: "refs/../HEAD") }
    }

    @Test func compareAndSwapRefusesAStaleExpectationNamingBothIDs() throws {
        let dir = TemporaryDirectory()
        let a = objectID(.blob, bytes("a")), b = objectID(.blob, bytes("b")), c = objectID(.blob, bytes("c"))
        for refs in refStores(dir) {
            let main = try RefName.branch("main")
            try refs.update(main, from: nil, to: a, note: note)
            #expect(throws: StoreError.refMoved(ref: "refs/heads/main", expected: nil, actual: a)) {
                try refs.update(main, from: nil, to: b, note: note)
            }
            try refs.update(main, from: a, to: b, note: note)
            #expect(throws: StoreError.refMoved(ref: "refs/heads/main", expected: a, actual: b)) {
                try refs.update(main, from: a, to: c, note: note)
            }
            #expect(try refs.read(main) == b)
            #expect(StoreError.refMoved(ref: "refs/heads/main", expected: a, actual: b).description.contains(a.hex))
            try refs.update(main, from: b, to: nil, note: note)
            #expect(try refs.read(main) == nil)
            let log = try refs.reflog("refs/heads/main")
            #expect(log.map(\.new) == [a, b, nil])
            #expect(log.map(\.old) == [nil, a, b])
        }
    }

    @Test func listingAndHead() throws {
        let dir = TemporaryDirectory()
        let a = objectID(.blob, bytes("a"))
        for refs in refStores(dir) {
            for name in ["main", "agent/x", "agent/y"] {
                try refs.update(try RefName.branch(name), from: nil, to: a, note: note)
            }
            #expect(try refs.list(prefix: "refs/heads/agent/").map(\.name.path) == ["refs/heads/agent/x", "refs/heads/agent/y"])
            try refs.setHead(.branch(try RefName.branch("agent/x")), note: note)
            #expect(try refs.head() == .branch(try RefName.branch("agent/x")))
            try refs.setHead(.detached(a), note: note)
            #expect(try refs.head() == .detached(a))
        }
    }

    @Test func aBranchCannotShadowAFolderOfBranches() throws {
        let dir = TemporaryDirectory()
        let refs = FileRefStore(root: dir.path)
        let a = objectID(.blob, bytes("a"))
        try refs.update(try RefName.branch("agent"), from: nil, to: a, note: note)
        #expect(throws: StoreError.self) { try refs.update(try RefName.branch("agent/x"), from: nil, to: a, note: note) }
        try refs.update(try RefName.branch("risk/x"), from: nil, to: a, note: note)
        #expect(throws: StoreError.self) { try refs.update(try RefName.branch("risk"), from: nil, to: a, note: note) }
    }

    @Test func aStaleLockIsAClearError() throws {
        let dir = TemporaryDirectory()
        let refs = FileRefStore(root: dir.path, staleLockSeconds: 5, lockWaitSeconds: 0.1)
        let main = try RefName.branch("main")
        let a = objectID(.blob, bytes("a"))
        try refs.update(main, from: nil, to: a, note: note)
        let lock = dir.path + "/refs/heads/main.lock"
        #expect(FileManager.default.createFile(atPath: lock, contents: Data()))
        try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSinceNow: -3600)], ofItemAtPath: lock)
        do {
            try refs.update(main, from: a, to: objectID(.blob, bytes("b")), note: note)
            Issue.record("updated through a lock")
        } catch let StoreError.refLocked(ref, path, age, owner) {
            #expect(ref == "refs/heads/main")
            #expect(path == lock)
            #expect(age >= 3600)
            #expect(owner == nil)
        }
        #expect(try refs.read(main) == a)
        #expect(FileManager.default.fileExists(atPath: lock), "a lock without an owner is never removed")
    }

    @Test func aLockNamesItsOwnerWhileHeld() throws {
        let dir = TemporaryDirectory()
        var broken: [BrokenLock] = []
        let path = dir.path + "/x.lock"
        let fd = try LockFile.acquire(path, name: "x", wait: 0.1, staleSeconds: 5, broken: &broken)
        defer { close(fd) }
        #expect((try? String(contentsOfFile: path, encoding: .utf8)).flatMap(LockOwner.init(text:)) == LockOwner.current)
        #expect(LockOwner.current.started != nil, "the start time guards against a reused pid")
        #expect(!LockOwner.current.isDeadProcessOnThisHost)
        #expect(throws: StoreError.self) { try LockFile.acquire(path, name: "x", wait: 0.1, staleSeconds: 5, broken: &broken) }
        #expect(broken.isEmpty)
    }

    @Test func aLockOfADeadProcessIsBrokenAndReported() throws {
        let dir = TemporaryDirectory()
        let refs = FileRefStore(root: dir.path, staleLockSeconds: 5, lockWaitSeconds: 0.1)
        let broken = BrokenLocks()
        refs.observeBrokenLocks { broken.add($0) }
        let main = try RefName.branch("main")
        let a = objectID(.blob, bytes("a")), b = objectID(.blob, bytes("b"))
        try refs.update(main, from: nil, to: a, note: note)
        let child = Process()
        child.executableURL = URL(fileURLWithPath: "/bin/sleep")
        child.arguments = ["60"]
        try child.run()
        let dead = LockOwner(pid: child.processIdentifier, host: LockOwner.current.host, started: nil)
        kill(child.processIdentifier, SIGKILL)
        child.waitUntilExit()
        let lock = dir.path + "/refs/heads/main.lock"
        #expect(FileManager.default.createFile(atPath: lock, contents: Data(dead.text.utf8)))
        try refs.update(main, from: a, to: b, note: note)
        #expect(try refs.read(main) == b)
        #expect(!FileManager.default.fileExists(atPath: lock))
        #expect(broken.all.map(\.owner) == [dead])
        #expect(broken.all.map(\.path) == [lock])
    }

    @Test func aLockOfALiveProcessOrAnotherHostIsNeverBroken() throws {
        let dir = TemporaryDirectory()
        let refs = FileRefStore(root: dir.path, staleLockSeconds: 5, lockWaitSeconds: 0.1)
        let main = try RefName.branch("main")
        let a = objectID(.blob, bytes("a"))
        try refs.update(main, from: nil, to: a, note: note)
        let lock = dir.path + "/refs/heads/main.lock"
        let owners = [LockOwner(pid: getppid(), host: LockOwner.current.host, started: nil),
                      LockOwner(pid: 999_999_999, host: "elsewhere.example", started: nil)]
        for owner in owners {
            #expect(FileManager.default.createFile(atPath: lock, contents: Data(owner.text.utf8)))
            do {
                try refs.update(main, from: a, to: objectID(.blob, bytes("b")), note: note)
                Issue.record("updated through \(owner)'s lock")
            } catch let StoreError.refLocked(_, _, _, holder) {
                #expect(holder == owner)
                #expect(StoreError.refLocked(ref: "refs/heads/main", lockPath: lock, ageSeconds: 0, owner: holder).description
                    .contains("process \(owner.pid) on \(owner.host)"))
            }
            #expect(try refs.read(main) == a)
            #expect(FileManager.default.fileExists(atPath: lock))
        }
    }
}

private final class BrokenLocks: @unchecked Sendable {
    private let lock = NSLock()
    private var list: [BrokenLock] = []
    func add(_ broken: BrokenLock) { lock.withLock { list.append(broken) } }
    var all: [BrokenLock] { lock.withLock { list } }
}
