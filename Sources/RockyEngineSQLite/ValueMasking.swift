import CSQLite
import Foundation
import RockyBase
import RockyEngine
import RockyStore
import RockyTable

/// The masking strategies applied to one stored value, outside SQL: what
/// `SQLEmitter.mask` computes on SQLite for the same value, byte for byte,
/// so a masked value in a diff, a merge conflict or a replay gap equals the
/// value a masked SELECT of that cell prints.
public enum ValueMasking {
    /// `value` masked by `strategy`; `key` is the HMAC key of `hash`. nil
    /// when the strategy does not apply to the value's type (`year` on
    /// anything but a DATE or TIMESTAMP, which the compiler refuses as E0502)
    /// or withholds the value entirely (`deny`). NULL stays NULL.
    public static func apply(_ strategy: MaskingStrategy, to value: Value, key: [UInt8]?) -> Value? {
        if value.isNull { return strategy == .deny ? nil : .null }
        switch strategy {
        case .none: return value
        case .deny: return nil
        case .nullify: return .null
        case .redact: return .text("[REDACTED]")
        case .hash: return .text(hashHex(sqlText(value), key: key))
        case .partial:
            let scalars = Array(sqlText(value).unicodeScalars)
            guard scalars.count >= 3 else { return .text("****") }
            return .text(String(scalars[0]) + "****" + String(scalars[scalars.count - 1]))
        case .email:
            let text = sqlText(value)
            guard let at = text.firstIndex(of: "@") else { return .text("***") }
            return .text("***" + text[at...])
        case .year:
            switch value {
            case let .date(d): return .date(startOfYear(d))
            case let .timestamp(t): return .timestamp(Timestamp(microseconds: startOfYear(t.date).daysSinceEpoch * 86_400_000_000))
            default: return nil
            }
        }
    }

    /// Lowercase hex of HMAC-SHA-256 under `key` (plain SHA-256 without
    /// one) over the UTF-8 of `text`: the `rocky_mask_hash` function.
    public static func hashHex(_ text: String, key: [UInt8]?) -> String {
        let bytes = Array(text.utf8)
        let digest = key.map { SHA256.hmac(key: $0, message: bytes) } ?? SHA256.digest(bytes)
        let hex = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(64)
        for b in digest {
            out.append(hex[Int(b >> 4)])
            out.append(hex[Int(b & 15)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// A value's text as the compiled SQL casts it to TEXT on SQLite
    /// (`SQLEmitter.cast`): `true`/`false`, SQLite's `%!.15g` for a DOUBLE,
    /// `rocky_to_text` for DECIMAL, DATE and TIMESTAMP (a space, no `Z`).
    static func sqlText(_ value: Value) -> String {
        switch value {
        case .null: return ""
        case let .boolean(b): return b ? "true" : "false"
        case let .integer(i): return String(i)
        case let .double(d): return sqliteText(d)
        case let .decimal(d): return d.description
        case let .text(s): return s
        case let .date(d): return HelperFunctions.formatText(d.daysSinceEpoch, .date)
        case let .timestamp(t): return HelperFunctions.formatText(t.microseconds, .timestamp)
        }
    }

    /// `CAST(d AS TEXT)` in SQLite: `%!.15g` (an integral value keeps `.0`).
    static func sqliteText(_ d: Double) -> String {
        var buffer = [CChar](repeating: 0, count: 64)
        let count = Int32(buffer.count)
        buffer.withUnsafeMutableBufferPointer { b in
            _ = withVaList([d]) { sqlite3_vsnprintf(count, b.baseAddress, "%!.15g", $0) }
        }
        return String(cString: buffer)
    }

    private static func startOfYear(_ d: CivilDate) -> CivilDate {
        CivilDate(year: d.components.year, month: 1, day: 1)!
    }
}
