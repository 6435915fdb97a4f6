import Foundation
import RockyStore
import Testing

@Suite struct ObjectStoreTests {
    @Test func idIsSHA256OfHeaderAndPayload() {
        #expect(objectID(.blob, bytes("hello\n")).hex == "2cf8d83d9ee29543b34a87727421fdecb7e3f3a183d337639025de576db9ebb4")
        #expect(objectID(.blob, []).hex == "473a0f4c3be8a93681a267e3b1e9a7dcda1185436fe141f7749120a303721813")
    }

    @Test func hexRoundTripsAndRejectsGarbage() {
        let id = objectID(.blob, bytes("x"))
        #expect(ObjectID(hex: id.hex) == id)
        #expect(ObjectID(hex: id.hex.uppercased()) == id)
        #expect(ObjectID(bytes: id.bytes) == id)
        #expect(ObjectID(hex: String(id.hex.dropLast())) == nil)
        #expect(ObjectID(hex: String(id.hex.dropLast()) + "g") == nil)
    }

    @Test func writeAndReadRoundTripInEveryStore() throws {
        let dir = TemporaryDirectory()
        for store in stores(dir) {
            let payloads: [[UInt8]] = [[], bytes("hello"), (0..<100_000).map { UInt8($0 % 251) }]
            for payload in payloads {
                let id = try store.write(.blob, payload)
                #expect(id == objectID(.blob, payload))
                let object = try store.read(id)
                #expect(object.kind == .blob)
                #expect(object.payload == payload)
                #expect(try store.header(id).size == payload.count)
                #expect(try store.write(.blob, payload) == id, "writing an existing object succeeds")
            }
        }
    }

    @Test func aWriteUnderAKnownIDSaysWhetherTheObjectWasNew() throws {
        let dir = TemporaryDirectory()
        for store in stores(dir) {
            let payload = bytes("a chunk named before it is stored")
            let id = objectID(.blob, payload)
            #expect(try store.write(.blob, payload, id: id))
            #expect(try !store.write(.blob, payload, id: id), "the second write finds it")
            #expect(try store.read(id).payload == payload)
            let inBatch = bytes("written in a batch")
            try store.batch { () throws -> Void in
                #expect(try store.write(.blob, inBatch, id: objectID(.blob, inBatch)))
                #expect(try !store.write(.blob, inBatch, id: objectID(.blob, inBatch)))
            }
            #expect(try store.read(objectID(.blob, inBatch)).payload == inBatch)
        }
    }

    @Test func largeObjectsStreamAndAreValidZlib() throws {
        let dir = TemporaryDirectory()
        let store = DiskObjectStore(directory: dir.path + "/objects")
        try FileManager.default.createDirectory(atPath: store.directory, withIntermediateDirectories: true)
        var generator = SystemRandomNumberGenerator()
        // 5 MiB: half random, half repetitive, so the parallel blocks and the dictionary both matter.
        let payload: [UInt8] = (0..<(5 << 20)).map { $0 < (5 << 19) ? UInt8.random(in: 0...255, using: &generator) : UInt8($0 % 7) }
        var offset = 0
        let id = try store.write(.blob, size: payload.count) {
            guard offset < payload.count else { return [] }
            defer { offset += 300_000 }
            return Array(payload[offset..<min(offset + 300_000, payload.count)])
        }
        #expect(id == objectID(.blob, payload))
        var streamed: [UInt8] = []
        try store.stream(id) { streamed.append(contentsOf: $0) }
        #expect(streamed == payload)
        // A second implementation must be able to read it: inflate with Python's zlib.
        let python = Process()
        python.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        python.arguments = ["python3", "-c", """
            import sys, zlib, hashlib
            data = zlib.decompress(open(sys.argv[1], 'rb').read())
            print(hashlib.sha256(data).hexdigest())
            """, store.path(of: id)]
        let pipe = Pipe()
        python.standardOutput = pipe
        try python.run()
        python.waitUntilExit()
        let printed = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(printed.trimmingCharacters(in: .whitespacesAndNewlines) == id.hex)
    }

    @Test func streamedSizeMustMatchTheAnnouncedSize() throws {
        let dir = TemporaryDirectory()
        for store in stores(dir) {
            var sent = false
            #expect(throws: StoreError.self) {
                try store.write(.blob, size: 10) { defer { sent = true }; return sent ? [] : bytes("short") }
            }
        }
    }

    @Test func prefixesResolveAndAmbiguityListsCandidates() throws {
        let dir = TemporaryDirectory()
        for store in stores(dir) {
            var byPrefix: [String: ObjectID] = [:]
            var pair: (ObjectID, ObjectID)?
            var n = 0
            while pair == nil {
                let id = try store.write(.blob, bytes("object \(n)"))
                let prefix = String(id.hex.prefix(4))
                if let other = byPrefix[prefix] { pair = (other, id) } else { byPrefix[prefix] = id }
                n += 1
            }
            let (a, b) = pair!
            #expect(try store.resolve(prefix: String(a.hex.prefix(12))) == a)
            #expect(try store.resolve(prefix: a.hex.uppercased()) == a)
            do {
                _ = try store.resolve(prefix: String(a.hex.prefix(4)))
                Issue.record("an ambiguous prefix resolved")
            } catch let StoreError.ambiguousPrefix(_, candidates) {
                #expect(Set(candidates).isSuperset(of: [a, b]))
                #expect(StoreError.ambiguousPrefix("x", candidates: candidates).description.contains(a.hex))
            }
            #expect(throws: StoreError.objectNotFound("abc")) { try store.resolve(prefix: "abc") }
            #expect(throws: StoreError.self) { try store.resolve(prefix: "zzzz") }
        }
    }

    @Test func aFlippedByteIsReportedNamingTheObject() throws {
        let dir = TemporaryDirectory()
        let store = DiskObjectStore(directory: dir.path + "/objects")
        try FileManager.default.createDirectory(atPath: store.directory, withIntermediateDirectories: true)
        for (index, payload) in [bytes("important ledger row"), (0..<50_000).map { UInt8($0 % 13) }].enumerated() {
            let id = try store.write(.blob, payload)
            var file = [UInt8](try Data(contentsOf: URL(fileURLWithPath: store.path(of: id))))
            file[index == 0 ? file.count / 2 : 5] ^= 0x40
            try expectCorruptRead(store, id, stored: file, "with a flipped byte")
        }
        let memory = MemoryObjectStore()
        let id = try memory.write(.blob, bytes("abc"))
        memory.corrupt(id, payload: bytes("abd"))
        #expect(throws: StoreError.self) { try memory.read(id) }
    }

    /// Reading inflates a whole object at once and skips zlib's own
    /// checksum (the SHA-256 check covers it), so every other way a stored
    /// stream can be wrong must still be caught, naming the object.
    @Test func everyMalformedStreamIsReportedNamingTheObject() throws {
        let dir = TemporaryDirectory()
        let store = DiskObjectStore(directory: dir.path + "/objects")
        try FileManager.default.createDirectory(atPath: store.directory, withIntermediateDirectories: true)
        let empty = try store.write(.blob, [])
        #expect(try store.read(empty).payload == [], "an empty payload reads back")
        let payload = (0..<20_000).map { UInt8($0 % 251) }
        let id = try store.write(.blob, payload)
        #expect(try store.read(id).payload == payload)
        let path = store.path(of: id)
        let original = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        func zlib(_ text: [UInt8]) throws -> [UInt8] {
            var out: [UInt8] = []
            let deflater = Deflater { out.append(contentsOf: $0) }
            try text.withUnsafeBytes { try deflater.feed($0) }
            try deflater.finish()
            return out
        }
        var badHeader = original
        badHeader[1] ^= 0x01
        let cases: [(String, [UInt8], String)] = [
            ("cut short", Array(original.dropLast(40)), "truncated"),
            ("without its trailer", Array(original.dropLast(4)), "truncated"),
            ("with bytes after its end", original + [0, 1, 2], "after the end"),
            ("with a broken zlib header", badHeader, "header check"),
            ("shorter than its header says", try zlib(Array("blob 9\0abc".utf8)), "header says 9"),
            ("longer than its header says", try zlib(Array("blob 2\0abc".utf8)), "longer than its header says"),
            ("with a malformed header", try zlib(Array("blob x\0abc".utf8)), "malformed header"),
            ("with an impossible size", try zlib(Array("blob 999999999999999\0abc".utf8)), "compressed bytes can hold"),
        ]
        for (what, stored, expected) in cases {
            try expectCorruptRead(store, id, stored: stored, what, reasonContains: expected)
        }
    }

    /// Index nodes (mostly ids) are stored without compression, loose or
    /// packed; every other kind is compressed. Both read back the same.
    @Test func indexNodesAreStoredUncompressed() throws {
        let dir = TemporaryDirectory()
        let store = DiskObjectStore(directory: dir.path + "/objects")
        try FileManager.default.createDirectory(atPath: store.directory, withIntermediateDirectories: true)
        let zeros = [UInt8](repeating: 0, count: 10_000)
        let loose = (index: try store.write(ObjectKind("index"), zeros), blob: try store.write(.blob, zeros))
        let packed = try store.batch {
            (index: try store.write(ObjectKind("index"), zeros + [1]), blob: try store.write(.blob, zeros + [1]))
        }
        for pair in [loose, packed] {
            #expect(try store.verifiedStoredBytes(pair.index).stored.count > zeros.count)
            #expect(try store.verifiedStoredBytes(pair.blob).stored.count < 1_000)
            #expect(try store.read(pair.index).payload.prefix(zeros.count) == zeros[...])
        }
    }

    /// Pack indexes are searched in place (mapped, never decoded whole), so
    /// their order is what lookups rely on: a pack adopted from elsewhere
    /// whose index is out of order is refused, and the adopting store is
    /// left as it was.
    @Test func aPackWhoseIndexIsOutOfOrderIsRefused() throws {
        let dir = TemporaryDirectory()
        let source = DiskObjectStore(directory: dir.path + "/source/objects")
        let target = DiskObjectStore(directory: dir.path + "/target/objects")
        for store in [source, target] {
            try FileManager.default.createDirectory(atPath: store.directory, withIntermediateDirectories: true)
        }
        let ids = try source.batch { try (0..<20).map { try source.write(.blob, bytes("object \($0)")) } }
        for id in ids { #expect(try source.read(id).payload.count > 0, "every packed object is found") }
        let pack = try #require(try source.packFiles().first)
        var index = [UInt8](try Data(contentsOf: URL(fileURLWithPath: pack.indexPath)))
        let first = Array(index[12..<56])
        index.replaceSubrange(12..<56, with: index[56..<100])
        index.replaceSubrange(56..<100, with: first)
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: pack.indexPath)
        try Data(index).write(to: URL(fileURLWithPath: pack.indexPath))
        let swapped = try #require(try source.packFiles().first)
        let before = try target.allIDs()
        do {
            _ = try target.adoptPack(swapped, allowLink: false)
            Issue.record("a pack with an unsorted index was adopted")
        } catch let StoreError.malformed(_, reason) {
            #expect(reason.contains("not sorted"))
        }
        #expect(try target.allIDs() == before)
    }

    /// A batch keeps the small objects it wrote readable at once (without
    /// waiting for their compression); once it is thrown away they are gone
    /// for reads too, and once it is published they read from the pack.
    @Test func smallObjectsOfABatchReadBackUntilTheBatchEnds() throws {
        struct Boom: Error {}
        let dir = TemporaryDirectory()
        let store = DiskObjectStore(directory: dir.path + "/objects")
        try FileManager.default.createDirectory(atPath: store.directory, withIntermediateDirectories: true)
        var dropped: ObjectID?
        #expect(throws: Boom.self) {
            try store.batch { () throws -> Void in
                _ = try store.write(.blob, [UInt8](repeating: 7, count: 300_000))
                dropped = try store.write(.blob, bytes("a dry run's table"))
                #expect(try store.read(dropped!).payload == bytes("a dry run's table"))
                throw Boom()
            }
        }
        #expect(throws: StoreError.self) { try store.read(dropped!) }
        let kept = try store.batch { try store.write(.blob, bytes("a merge's table")) }
        #expect(try store.read(kept).payload == bytes("a merge's table"))
    }

    /// Prefixes resolve in packs by a search of the sorted index: every
    /// packed id whose hex starts with the prefix, and no other.
    @Test func prefixesResolveInPacks() throws {
        let dir = TemporaryDirectory()
        let store = DiskObjectStore(directory: dir.path + "/objects")
        try FileManager.default.createDirectory(atPath: store.directory, withIntermediateDirectories: true)
        let ids = try store.batch { try (0..<600).map { try store.write(.blob, bytes("packed \($0)")) } }
        for prefix in ["", "0", "7f", "a3c", "ff"] + ids.prefix(5).map({ String($0.hex.prefix(5)) }) {
            #expect(try store.ids(withPrefix: prefix) == ids.filter { $0.hex.hasPrefix(prefix) }.sorted(), "prefix '\(prefix)'")
        }
        for id in ids.prefix(20) { #expect(try store.resolve(prefix: String(id.hex.prefix(10))) == id) }
    }

    @Test func aBatchThatThrowsLeavesNoObject() throws {
        struct Boom: Error {}
        let dir = TemporaryDirectory()
        for store in stores(dir) {
            let before = try store.allIDs()
            var written: ObjectID?
            #expect(throws: Boom.self) {
                try store.batch { () throws -> Void in
                    written = try store.write(.blob, bytes("half an import"))
                    #expect(store.contains(written!), "visible inside its own batch")
                    throw Boom()
                }
            }
            #expect(try store.allIDs() == before)
            #expect(!store.contains(written!))
        }
        #expect(!dir.snapshot().contains { $0.contains("tmp-") }, "no temporary file is left")
    }

    @Test func aBatchPublishesEverythingItWrote() throws {
        let dir = TemporaryDirectory()
        for store in stores(dir) {
            let ids = try store.batch { try (0..<50).map { try store.write(.blob, bytes("row \($0)")) } }
            for (n, id) in ids.enumerated() { #expect(try store.read(id).payload == bytes("row \(n)")) }
        }
    }
}

/// Replaces an object's loose file with `stored` and checks that reading it
/// fails naming the object (with a reason containing `reasonContains`).
func expectCorruptRead(_ store: DiskObjectStore, _ id: ObjectID, stored: [UInt8], _ what: String, reasonContains: String = "",
                       sourceLocation: SourceLocation = #_sourceLocation) throws {
    let path = store.path(of: id)
    try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: path)
    try Data(stored).write(to: URL(fileURLWithPath: path))
    do {
        _ = try store.read(id)
        Issue.record("an object \(what) was read", sourceLocation: sourceLocation)
    } catch let StoreError.corruptObject(bad, reason) {
        #expect(bad == id, "\(what)", sourceLocation: sourceLocation)
        #expect(!reason.isEmpty && (reasonContains.isEmpty || reason.contains(reasonContains)), "\(what): \(reason)", sourceLocation: sourceLocation)
    }
}
