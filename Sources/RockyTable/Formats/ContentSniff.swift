#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A look at the first bytes of a file before it is imported, so that a
/// file that is not text (Parquet, a spreadsheet, a compressed or binary
/// file) is refused by name instead of parsed as CSV into nonsense, and a
/// file without an extension is read in the format its text is in.
public enum ContentSniff {
    /// How many bytes are looked at.
    public static let prefixLength = 64 * 1024

    /// The first `prefixLength` bytes of the file at `path` (fewer when it is
    /// shorter); nil when it cannot be read (the reader reports that) or is
    /// not a regular file: bytes read from a pipe (`<(zcat x.gz)`) or a
    /// device would be gone for the reader.
    public static func prefix(ofFile path: String) -> [UInt8]? {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0, info.st_mode & S_IFMT == S_IFREG else { return nil }
        var bytes = [UInt8](repeating: 0, count: prefixLength)
        var filled = 0
        while filled < prefixLength {
            let n = bytes.withUnsafeMutableBytes { read(fd, $0.baseAddress! + filled, prefixLength - filled) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { break }
            filled += n
        }
        return Array(bytes[..<filled])
    }

    /// What the bytes are when they are not text Rocky reads, for a message
    /// (`Parquet (it begins with PAR1)`, `binary (a NUL byte at offset 12)`);
    /// nil when they may be UTF-8 text.
    public static func binaryKind(of bytes: [UInt8]) -> String? {
        func starts(_ magic: [UInt8]) -> Bool { bytes.starts(with: magic) }
        let signatures: [([UInt8], String)] = [
            (Array("PAR1".utf8), "Parquet (it begins with PAR1)"),
            ([0x50, 0x4B, 0x03, 0x04], "a ZIP archive (an .xlsx spreadsheet is one)"),
            ([0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1], "an Office document (an .xls spreadsheet, say)"),
            ([0x1F, 0x8B], "gzip-compressed"),
            ([0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00], "xz-compressed"),
            ([0x28, 0xB5, 0x2F, 0xFD], "zstd-compressed"),
            (Array("SQLite format 3".utf8) + [0], "an SQLite database"),
            (Array("Obj".utf8) + [0x01], "Avro"),
            (Array("ARROW1".utf8), "Arrow"),
            (Array("%PDF".utf8), "a PDF document"),
            ([0xFF, 0xFE], "UTF-16 text (Rocky reads UTF-8)"),
            ([0xFE, 0xFF], "UTF-16 text (Rocky reads UTF-8)"),
        ]
        if let (_, kind) = signatures.first(where: { starts($0.0) }) { return kind }
        // bzip2: "BZh", the block size digit, then the block magic (pi's digits in BCD).
        if bytes.count >= 10, starts(Array("BZh".utf8)), bytes[4..<10].elementsEqual([0x31, 0x41, 0x59, 0x26, 0x53, 0x59]) {
            return "bzip2-compressed"
        }
        if let nul = bytes.firstIndex(of: 0) { return "binary (a NUL byte at offset \(nul))" }
        return nil
    }

    /// The delimited-text format the bytes look like when the name does not
    /// say: JSON Lines when the first non-blank byte is `{`, TSV when the
    /// first line has a tab and no comma, else CSV.
    public enum TextFormat: Sendable { case csv, tsv, jsonl }

    public static func textFormat(of bytes: [UInt8]) -> TextFormat {
        var i = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
        while i < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[i]) { i += 1 }
        if i < bytes.count, bytes[i] == UInt8(ascii: "{") { return .jsonl }
        let line = bytes[i...].prefix { $0 != 0x0A }
        return line.contains(0x09) && !line.contains(UInt8(ascii: ",")) ? .tsv : .csv
    }
}
