import CSQLite
import RockyEngine

/// The digest of a cached table's rows, which the table cache records when it
/// fills a table and checks before it believes one (`TableCache.verify`).
///
/// `rocky_digest(c1, ..., cn)` is an aggregate: the wrapping 64-bit sum, over
/// the rows, of a hash of each row's values as SQLite stores them (type and
/// bytes, in column order). A sum does not depend on row order, and it can
/// follow a change: removing rows subtracts their hashes, adding rows adds
/// theirs, so a DML statement updates the digest from the rows it touched.
/// Trailing NULLs do not enter a row's hash, so ADD COLUMN (a NULL column at
/// the end) and RENAME COLUMN keep the digest. Tables wider than
/// `groupWidth` columns hash their columns in groups (`rocky_row_hash`, NULL
/// when the whole group is NULL) whose hashes the aggregate then combines.
///
/// It detects accidental or careless change (a row edited, added or removed
/// in the cache file with `sqlite3`, a damaged page); it is not a MAC.
enum RowDigest {
    static let aggregate = "rocky_digest"
    static let rowHash = "rocky_row_hash"
    /// Arguments per call: under SQLite's default limit of 127 function arguments.
    static let groupWidth = 100

    /// The aggregate over the quoted columns, as a SELECT expression.
    static func expression(_ columns: [String]) -> String {
        if columns.count <= groupWidth { return "\(aggregate)(\(columns.joined(separator: ", ")))" }
        let groups = stride(from: 0, to: columns.count, by: groupWidth).map { start in
            "\(rowHash)(\(columns[start..<min(start + groupWidth, columns.count)].joined(separator: ", ")))"
        }
        return "\(aggregate)(\(groups.joined(separator: ", ")))"
    }

    static func register(on connection: Connection) throws {
        let flags = SQLITE_UTF8 | SQLITE_DETERMINISTIC
        var code = sqlite3_create_function_v2(connection.handle, aggregate, -1, flags, nil, nil, { context, count, arguments in
            guard let state = sqlite3_aggregate_context(context, Int32(MemoryLayout<UInt64>.size)) else {
                return sqlite3_result_error_nomem(context)
            }
            let sum = state.assumingMemoryBound(to: UInt64.self)
            sum.pointee &+= RowDigest.finish(RowDigest.hash(count, arguments))
        }, { context in
            // No context allocated: no rows; the digest of nothing is 0.
            let state = sqlite3_aggregate_context(context, 0)
            sqlite3_result_int64(context, Int64(bitPattern: state?.assumingMemoryBound(to: UInt64.self).pointee ?? 0))
        }, nil)
        guard code == SQLITE_OK else { throw connection.error(code, sql: "register \(aggregate)") }
        code = sqlite3_create_function_v2(connection.handle, rowHash, -1, flags, nil, { context, count, arguments in
            guard let hash = RowDigest.hashOrNil(count, arguments) else { return sqlite3_result_null(context) }
            sqlite3_result_int64(context, Int64(bitPattern: hash))
        }, nil, nil, nil)
        guard code == SQLITE_OK else { throw connection.error(code, sql: "register \(rowHash)") }
    }

    /// The hash of the values up to the last non-NULL one; nil when all are NULL.
    static func hashOrNil(_ count: Int32, _ arguments: UnsafeMutablePointer<OpaquePointer?>?) -> UInt64? {
        guard let arguments else { return nil }
        var last = Int(count) - 1
        while last >= 0, sqlite3_value_type(arguments[last]) == SQLITE_NULL { last -= 1 }
        if last < 0 { return nil }
        return hash(arguments, through: last)
    }

    static func hash(_ count: Int32, _ arguments: UnsafeMutablePointer<OpaquePointer?>?) -> UInt64 {
        hashOrNil(count, arguments) ?? 0x5bd1_e995
    }

    @inline(__always)
    private static func mix(_ h: inout UInt64, _ x: UInt64) {
        h = (h ^ x) &* 0x9E37_79B9_7F4A_7C15
        h ^= h >> 29
    }

    private static func hash(_ arguments: UnsafeMutablePointer<OpaquePointer?>, through last: Int) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for i in 0...last {
            let value = arguments[i]
            let type = sqlite3_value_type(value)
            mix(&h, UInt64(type))
            switch type {
            case SQLITE_INTEGER: mix(&h, UInt64(bitPattern: sqlite3_value_int64(value)))
            case SQLITE_FLOAT: mix(&h, sqlite3_value_double(value).bitPattern)
            case SQLITE_TEXT, SQLITE_BLOB:
                let start = type == SQLITE_TEXT ? UnsafeRawPointer(sqlite3_value_text(value)) : sqlite3_value_blob(value)
                let length = Int(sqlite3_value_bytes(value))
                mix(&h, UInt64(length))
                guard let start else { continue }
                var offset = 0
                while offset + 8 <= length {
                    mix(&h, start.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
                    offset += 8
                }
                var tail: UInt64 = 0
                while offset < length {
                    tail = tail << 8 | UInt64(start.load(fromByteOffset: offset, as: UInt8.self))
                    offset += 1
                }
                mix(&h, tail)
            default: break
            }
        }
        return h
    }

    /// Avalanche (MurmurHash3's finalizer), so that sums of row hashes do not cancel by structure.
    @inline(__always)
    static func finish(_ h: UInt64) -> UInt64 {
        var h = h
        h ^= h >> 33
        h &*= 0xff51_afd7_ed55_8ccd
        h ^= h >> 33
        h &*= 0xc4ce_b9fe_1a85_ec53
        h ^= h >> 33
        return h
    }
}
