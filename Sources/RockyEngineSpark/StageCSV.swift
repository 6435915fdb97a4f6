import RockyBase
import RockyTable

/// The CSV of a stage upload: rows written here, read by Spark's own CSV
/// reader (`USING csv` with an explicit schema, `StageCSV.options`) so that
/// it parses them as it parses a CSV it loads itself, and every value comes
/// back exactly.
///
/// - BOOLEAN (`true`/`false`), BIGINT and DECIMAL (plain digits at the
///   column's scale: Spark's `BigDecimal`, exact) and DOUBLE (the shortest
///   text that reads back as the same double; `NaN`, `Infinity`,
///   `-Infinity` named by the options) are read by Spark as those types;
/// - TEXT is always quoted (`"` doubled inside, RFC 4180), so commas,
///   quotes, newlines, leading and trailing spaces and the empty string are
///   data;
/// - DATE and TIMESTAMP are read as STRING and cast in the SELECT, as
///   `CAST(text AS DATE)` reads Rocky's text form (years -9999 to 9999 and
///   the `Z` of a timestamp included), where a CSV date format would not;
/// - NULL is `nullMarker`, unquoted: a random token (Spark compares the
///   field's text with it, quoted or not), so a text value equal to it
///   would read as NULL: the writer refuses such a value (`markerSeen`) and
///   the upload is written again under another token.
///
/// A file is read line by line (and split among Spark's tasks) unless a
/// text value holds a line break (`multiLine`): then Spark reads it whole.
/// The line separator is LF, named (`lineSep`): else a multi-line read
/// guesses it from the file's first line break, which may be a CR LF inside
/// a quoted value, and then turns such pairs within quotes into LF.
struct StageCSV {
    let nullMarker: [UInt8]
    /// A text value held CR or LF: the file must be read with `multiLine`.
    private(set) var multiLine = false
    /// A text value equal to `nullMarker` was met: the file is unusable.
    private(set) var markerSeen = false

    init() {
        var marker = Array("rocky-null-".utf8)
        for _ in 0..<4 { StageCSV.appendHex(UInt32.random(in: 0...UInt32.max), to: &marker) }
        nullMarker = marker
    }

    /// The CSV column type Spark reads a column of `type` as.
    static func readType(_ type: ColumnType) -> String {
        switch type {
        case .date, .timestamp, .text: "STRING"
        default: SparkBackend.columnType(type)
        }
    }

    /// Whether a column read as `readType` needs a CAST to its own type.
    static func needsCast(_ type: ColumnType) -> Bool {
        switch type {
        case .date, .timestamp: true
        default: false
        }
    }

    /// The options of the `USING csv` view reading such a file.
    func options(path: String) -> [(String, String)] {
        [("path", path), ("header", "false"), ("mode", "FAILFAST"), ("encoding", "UTF-8"), ("sep", ","), ("lineSep", "\n"),
         ("quote", "\""), ("escape", "\""), ("nullValue", String(decoding: nullMarker, as: UTF8.self)), ("emptyValue", ""),
         ("nanValue", "NaN"), ("positiveInf", "Infinity"), ("negativeInf", "-Infinity"),
         ("ignoreLeadingWhiteSpace", "false"), ("ignoreTrailingWhiteSpace", "false"),
         ("multiLine", multiLine ? "true" : "false")]
    }

    /// One row, newline-terminated.
    mutating func append(_ row: [Value], to out: inout [UInt8]) {
        for (i, value) in row.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            switch value {
            case .null: out.append(contentsOf: nullMarker)
            case let .boolean(b): out.append(contentsOf: b ? StageCSV.trueBytes : StageCSV.falseBytes)
            case let .integer(n): CanonicalText.appendInteger(n, to: &out)
            case let .double(d):
                if d.isNaN {
                    out.append(contentsOf: "NaN".utf8)
                } else if d.isInfinite {
                    out.append(contentsOf: (d < 0 ? "-Infinity" : "Infinity").utf8)
                } else {
                    out.append(contentsOf: d.description.utf8)
                }
            case let .decimal(d): CanonicalText.appendDecimal(d, to: &out)
            case var .text(t): t.withUTF8 { appendText($0, to: &out) }
            case let .date(d): CanonicalText.appendDate(d, to: &out)
            case let .timestamp(t): CanonicalText.appendTimestamp(t, to: &out)
            }
        }
        out.append(UInt8(ascii: "\n"))
    }

    private static let trueBytes = Array("true".utf8), falseBytes = Array("false".utf8)

    /// A text value, quoted, `"` doubled.
    private mutating func appendText(_ bytes: UnsafeBufferPointer<UInt8>, to out: inout [UInt8]) {
        if bytes.count == nullMarker.count, bytes.elementsEqual(nullMarker) { markerSeen = true }
        out.append(UInt8(ascii: "\""))
        var quotes = false
        for byte in bytes where byte == UInt8(ascii: "\"") || byte == 10 || byte == 13 {
            if byte == UInt8(ascii: "\"") { quotes = true } else { multiLine = true }
        }
        if quotes {
            for byte in bytes {
                out.append(byte)
                if byte == UInt8(ascii: "\"") { out.append(byte) }
            }
        } else {
            out.append(contentsOf: bytes)
        }
        out.append(UInt8(ascii: "\""))
    }

    private static func appendHex(_ value: UInt32, to out: inout [UInt8]) {
        for shift in stride(from: 28, through: 0, by: -4) {
            let nibble = UInt8((value >> UInt32(shift)) & 0xF)
            out.append(nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") + nibble - 10)
        }
    }
}
