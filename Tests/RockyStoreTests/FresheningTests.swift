import Foundation
import Glibc
import RockyStore
import Testing

/// The store side of gc's safety: writing an object that is stored freshens
/// its file, and gc's removal puts back a file that was freshened meanwhile.
@Suite struct FresheningTests {
    func modified(_ path: String) -> Date {
        ((try? FileManager.default.attributesOfItem(atPath: path))?[.modificationDate] as? Date) ?? .distantPast
    }

    func age(_ path: String, days: Double) throws {
        try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSinceNow: -days * 86_400)], ofItemAtPath: path)
    }

    func makeStore(_ dir: TemporaryDirectory) -> DiskObjectStore {
        try! FileManager.default.createDirectory(atPath: dir.path + "/objects", withIntermediateDirectories: true)
        return DiskObjectStore(directory: dir.path + "/objects")
    }

    @Test func writingAStoredLooseObjectFreshensIt() throws {
        let dir = TemporaryDirectory()
        let store = makeStore(dir)
        let id = try store.write(.blob, bytes("reused"))
        try age(store.path(of: id), days: 30)
        #expect(modified(store.path(of: id)) < Date(timeIntervalSinceNow: -86_400))
        #expect(try store.write(.blob, bytes("reused")) == id)
        #expect(modified(store.path(of: id)) > Date(timeIntervalSinceNow: -60))
    }

    @Test func writingAPackedObjectFreshensItsPack() throws {
        let dir = TemporaryDirectory()
        let store = makeStore(dir)
        let ids = try store.batch { try (0..<20).map { try store.write(.blob, bytes("object \($0)")) } }
        let pack = try #require(try store.packFiles().first)
        #expect(Set(pack.ids) == Set(ids))
        try age(pack.packPath, days: 30)
        try store.batch { for i in 0..<20 { _ = try store.write(.blob, bytes("object \(i)")) } }
        #expect(try store.packFiles().count == 1, "nothing new was written")
        #expect(modified(pack.packPath) > Date(timeIntervalSinceNow: -60))
    }

    @Test func anObjectRemovedByGCIsWrittenAgain() throws {
        let dir = TemporaryDirectory()
        let store = makeStore(dir)
        let id = try store.write(.blob, bytes("gone"))
        let file = try #require(try store.looseObjects().first { $0.id == id })
        #expect(try store.removeLooseObject(file, unlessFreshenedSince: DiskObjectStore.fileClockNow() + 1_000_000_000))
        #expect(!store.contains(id))
        try store.write(.blob, bytes("gone"))
        #expect(try store.read(id).payload == bytes("gone"))
    }

    @Test func removalKeepsAFileFreshenedAfterItWasListed() throws {
        let dir = TemporaryDirectory()
        let store = makeStore(dir)
        let id = try store.write(.blob, bytes("in use"))
        try age(store.path(of: id), days: 30)
        let listed = try #require(try store.looseObjects().first { $0.id == id })
        let start = DiskObjectStore.fileClockNow()
        try store.write(.blob, bytes("in use"))
        #expect(try !store.removeLooseObject(listed, unlessFreshenedSince: start))
        #expect(store.contains(id))

        let packed = try store.batch { try store.write(.blob, bytes("packed")) }
        let pack = try #require(try store.packFiles().first)
        try age(pack.packPath, days: 30)
        let listedPack = try #require(try store.packFiles().first)
        try store.write(.blob, bytes("packed"))
        #expect(try !store.removePack(listedPack, unlessFreshenedSince: start))
        #expect(try store.read(packed).payload == bytes("packed"))
        #expect(try store.removePack(try #require(try store.packFiles().first), unlessFreshenedSince: DiskObjectStore.fileClockNow() + 1_000_000_000))
        #expect(!store.contains(packed))
    }

    @Test func quarantinedFilesOfACrashedGCAreRecovered() throws {
        let dir = TemporaryDirectory()
        let store = makeStore(dir)
        let id = try store.write(.blob, bytes("halfway"))
        try FileManager.default.moveItem(atPath: store.path(of: id), toPath: store.path(of: id) + ".gc")
        #expect(!store.contains(id))
        #expect(try store.recoverQuarantined() == 1)
        #expect(try store.read(id).payload == bytes("halfway"))
    }

    @Test func aCopiedPackIsVerifiedBeforeItIsAdopted() throws {
        let source = TemporaryDirectory(), target = TemporaryDirectory()
        let from = makeStore(source), into = makeStore(target)
        let ids = try from.batch { try (0..<50).map { try from.write(.blob, bytes(String(repeating: "row \($0) ", count: 40))) } }
        let pack = try #require(try from.packFiles().first)
        let adopted = try into.adoptPack(pack, allowLink: false)
        #expect(!adopted.linked && adopted.objects == 50)
        #expect(try ids.allSatisfy { try into.read($0).payload == from.read($0).payload })

        // Damage one object of another pack: adoption refuses it, naming the object, and adds nothing.
        let other = try from.batch { try (0..<10).map { try from.write(.blob, bytes("other \($0)")) } }
        let second = try #require(try from.packFiles().first { $0.contains(other[0]) })
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: second.packPath)
        var data = try Data(contentsOf: URL(fileURLWithPath: second.packPath))
        data[data.count - 3] ^= 0xFF
        try data.write(to: URL(fileURLWithPath: second.packPath))
        let before = target.snapshot()
        #expect {
            _ = try into.adoptPack(second, allowLink: true)
        } throws: { error in
            guard case let StoreError.corruptObject(id, _)? = error as? StoreError else { return false }
            return other.contains(id)
        }
        #expect(target.snapshot().filter { !$0.hasPrefix("objects/gc.") } == before.filter { !$0.hasPrefix("objects/gc.") })
    }
}

@Suite struct CollectorLockTests {
    @Test func aSecondCollectorWaitsThenSaysWhoIsBusyAndNotToRemoveTheFile() throws {
        let dir = TemporaryDirectory()
        try {
            let first = try CollectorLock(objectsDirectory: dir.path, timeout: 1)
            do {
                _ = try CollectorLock(objectsDirectory: dir.path, timeout: 0.2)
                Issue.record("two collectors held gc.run at once")
            } catch let StoreError.busy(activity, lockPath) {
                #expect(activity.contains("gc"))
                #expect(lockPath.hasSuffix("gc.run"))
                #expect(StoreError.busy(activity: activity, lockPath: lockPath).description.contains("Do not remove the file"))
            }
            withExtendedLifetime(first) {}
        }()
        _ = try CollectorLock(objectsDirectory: dir.path, timeout: 1)
    }
}
