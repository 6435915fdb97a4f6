import Foundation
import RockyBase
import RockyStore

/// Remembers what each execution produced, by its execution key (the SHA-256
/// of the executed SQL, the environment and the input table versions; see
/// `Transformation.executionKey`): `.rocky/cache/executions/<key>` holds
/// `{"dropped":[...],"outputs":{name:id}}`. Replay reuses an entry instead of
/// running the statement again. It is a cache: losing it costs time, never
/// results, and an entry whose outputs are gone from the store is ignored.
extension Repository {
    private var executionIndexFolder: String { rockyDirectory + "/cache/executions" }

    func rememberExecution(_ record: Transformation) {
        let folder = executionIndexFolder
        try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let json: JSON = .object([
            "dropped": .array(record.dropped.map(JSON.string)),
            "outputs": .object(record.outputs.sorted { $0.key < $1.key }.map { JSON.Member($0.key, .string($0.value.hex)) }),
            "rows_written": .int(record.rowsWritten),
        ])
        try? Data(json.canonicalText.utf8).write(to: URL(fileURLWithPath: folder + "/" + record.executionKey.hex), options: .atomic)
    }

    /// A previous execution with this key whose outputs all still exist.
    func rememberedExecution(_ key: ObjectID) -> (outputs: [String: ObjectID], dropped: [String], rowsWritten: Int)? {
        guard let data = FileManager.default.contents(atPath: executionIndexFolder + "/" + key.hex),
              let json = try? JSON(parsing: String(decoding: data, as: UTF8.self)) else { return nil }
        var outputs: [String: ObjectID] = [:]
        for m in json["outputs"]?.members ?? [] {
            guard let hex = m.value.stringValue, let id = ObjectID(hex: hex), objects.contains(id) else { return nil }
            outputs[m.key] = id
        }
        return (outputs, json["dropped"]?.arrayValue?.compactMap(\.stringValue) ?? [], json["rows_written"]?.intValue ?? 0)
    }
}
