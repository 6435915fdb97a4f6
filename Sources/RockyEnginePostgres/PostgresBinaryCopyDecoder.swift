import RockyBase
import RockyEngine
import RockyTable

/// Reads the rows of `COPY (query) TO STDOUT (FORMAT binary)` straight from
/// the bytes into values of a schema's column types: the server sends each
/// value in its binary form (a big-endian integer, a float's bits, a
/// timestamp as microseconds, a numeric as base-10000 digits), which is
/// cheaper for it to write and for Rocky to read than text.
///
/// The query's columns must have exactly the PostgreSQL types
/// `PostgresBackend.columnType` gives the schema's columns (a version's or
/// staging table's columns): a binary value carries no type, so a value of
/// another type is refused only when its length is wrong.
///
/// Values Rocky cannot hold are refused as the text decoder refuses them:
/// a numeric beyond 38 digits, NaN or infinite is a decimal overflow, a date
/// or timestamp outside the years 1-9999 a representation error.
struct PostgresBinaryCopyDecoder {
    let types: [ColumnType]
    let names: [String]
    let table: String
    private var row: [Value] = []
    /// Bytes of a row that did not end in the previous chunk.
    private var pending: [UInt8] = []
    private var headerRead = false
    private var ended = false

    /// `PGCOPY\n\377\r\n\0`: the signature that opens binary COPY data.
    static let signature: [UInt8] = [80, 71, 67, 79, 80, 89, 10, 255, 13, 10, 0]
    /// 2000-01-01, PostgreSQL's epoch, in days and microseconds since 1970-01-01.
    static let epochDays: Int64 = 10_957
    static let epochMicroseconds: Int64 = 10_957 * 86_400_000_000
    /// The days Rocky's dates span when read from PostgreSQL: years 1 to 9999.
    static let firstDay = CivilDate(year: 1, month: 1, day: 1)!.daysSinceEpoch
    static let lastDay = CivilDate(year: 9999, month: 12, day: 31)!.daysSinceEpoch

    init(schema: Schema, table: String) {
        types = schema.columns.map(\.type)
        names = schema.columns.map(\.name)
        self.table = table
        row.reserveCapacity(types.count)
    }

    /// Decodes the rows of `chunk` (a row may continue in the next chunk), each to `body`.
    mutating func decode(_ chunk: [UInt8], _ body: ([Value]) throws -> Void) throws {
        if pending.isEmpty {
            let used = try chunk.withUnsafeBufferPointer { try decodeRows($0, body) }
            if used < chunk.count { pending = Array(chunk[used...]) }
        } else {
            pending.append(contentsOf: chunk)
            let bytes = pending
            let used = try bytes.withUnsafeBufferPointer { try decodeRows($0, body) }
            pending = Array(bytes[used...])
        }
    }

    /// Checks the data ended with the trailer and left nothing undecoded.
    func finish() throws {
        guard ended, pending.isEmpty else { throw malformed("the data ended inside a row") }
    }

    /// Decodes the whole rows at the start of `bytes`; returns the bytes used.
    private mutating func decodeRows(_ bytes: UnsafeBufferPointer<UInt8>, _ body: ([Value]) throws -> Void) throws -> Int {
        var at = 0
        if !headerRead {
            // Signature, flags (int32), header extension length (int32) and extension.
            guard bytes.count >= 19 else { return 0 }
            guard Array(bytes[0..<11]) == PostgresBinaryCopyDecoder.signature else { throw malformed("no binary COPY signature") }
            let extensionLength = Int(PostgresBinaryCopyDecoder.int32(bytes, 15))
            guard extensionLength >= 0 else { throw malformed("a negative header extension length") }
            guard bytes.count >= 19 + extensionLength else { return 0 }
            at = 19 + extensionLength
            headerRead = true
        }
        let end = bytes.count
        rows: while at + 2 <= end {
            let fields = Int(Int16(bitPattern: UInt16(bytes[at]) << 8 | UInt16(bytes[at + 1])))
            if fields == -1 {
                ended = true
                at += 2
                guard at == end else { throw malformed("data after the trailer") }
                break
            }
            guard !ended else { throw malformed("data after the trailer") }
            guard fields == types.count else { throw malformed("\(fields) fields for \(types.count) columns") }
            row.removeAll(keepingCapacity: true)
            var i = at + 2
            for column in 0..<fields {
                guard i + 4 <= end else { break rows }
                let length = Int(PostgresBinaryCopyDecoder.int32(bytes, i))
                i += 4
                if length == -1 {
                    row.append(.null)
                    continue
                }
                guard length >= 0 else { throw malformed("a negative field length") }
                guard i + length <= end else { break rows }
                row.append(try field(UnsafeBufferPointer(rebasing: bytes[i..<(i + length)]), column))
                i += length
            }
            try body(row)
            at = i
        }
        return at
    }

    private func malformed(_ detail: String) -> EngineError {
        .representation(table: table, column: "?", detail: "unreadable binary COPY data from PostgreSQL: \(detail)")
    }

    @inline(__always)
    static func int32(_ b: UnsafeBufferPointer<UInt8>, _ at: Int) -> Int32 {
        Int32(bitPattern: UInt32(b[at]) << 24 | UInt32(b[at + 1]) << 16 | UInt32(b[at + 2]) << 8 | UInt32(b[at + 3]))
    }

    @inline(__always)
    static func int64(_ b: UnsafeBufferPointer<UInt8>) -> Int64 {
        var value: UInt64 = 0
        for i in 0..<8 { value = value << 8 | UInt64(b[i]) }
        return Int64(bitPattern: value)
    }

    @inline(__always)
    static func int16(_ b: UnsafeBufferPointer<UInt8>, _ at: Int) -> Int {
        Int(Int16(bitPattern: UInt16(b[at]) << 8 | UInt16(b[at + 1])))
    }

    private func field(_ b: UnsafeBufferPointer<UInt8>, _ column: Int) throws -> Value {
        let type = types[column]
        func mismatch(_ what: String? = nil) -> EngineError {
            .representation(table: table, column: names[column],
                            detail: "PostgreSQL returned \(what ?? "\(b.count) bytes") where a \(type.name) was expected")
        }
        switch type {
        case .boolean:
            guard b.count == 1, b[0] <= 1 else { throw mismatch() }
            return .boolean(b[0] == 1)
        case .integer:
            guard b.count == 8 else { throw mismatch() }
            return .integer(PostgresBinaryCopyDecoder.int64(b))
        case .double:
            guard b.count == 8 else { throw mismatch() }
            return .double(Double(bitPattern: UInt64(bitPattern: PostgresBinaryCopyDecoder.int64(b))))
        case let .decimal(p, s):
            let d = try PostgresBinaryCopyDecoder.numeric(b) { detail in
                EngineError.decimalOverflow(table: table, column: names[column], detail: "\(detail) does not fit \(type.name)")
            } malformed: { mismatch("a malformed numeric") }
            return try PostgresBackend.decimal(d, precision: p, scale: s, table: table, column: names[column], type: type)
        case .text:
            return .text(String(decoding: b, as: UTF8.self))
        case .date:
            guard b.count == 4 else { throw mismatch() }
            let days = Int64(PostgresBinaryCopyDecoder.int32(b, 0)) + PostgresBinaryCopyDecoder.epochDays
            guard (PostgresBinaryCopyDecoder.firstDay...PostgresBinaryCopyDecoder.lastDay).contains(days) else {
                throw mismatch("a date outside the years 1-9999")
            }
            return .date(CivilDate(daysSinceEpoch: days))
        case .timestamp:
            guard b.count == 8 else { throw mismatch() }
            let raw = PostgresBinaryCopyDecoder.int64(b)
            // ±infinity are Int64.max and .min; the range check refuses them.
            let (micros, overflow) = raw.addingReportingOverflow(PostgresBinaryCopyDecoder.epochMicroseconds)
            guard !overflow, (PostgresBinaryCopyDecoder.firstDay * 86_400_000_000..<(PostgresBinaryCopyDecoder.lastDay + 1) * 86_400_000_000)
                .contains(micros) else { throw mismatch("a timestamp outside the years 1-9999") }
            return .timestamp(Timestamp(microseconds: micros))
        }
    }

    /// A binary numeric (ndigits, weight, sign, dscale, then ndigits
    /// base-10000 digits, all int16) as an exact decimal of scale dscale.
    /// `overflow(text)`: NaN, an infinity or more than 38 digits.
    static func numeric(_ b: UnsafeBufferPointer<UInt8>, overflow: (String) -> EngineError,
                        malformed: () -> EngineError) throws -> ExactDecimal {
        guard b.count >= 8 else { throw malformed() }
        let count = int16(b, 0), weight = int16(b, 2), sign = UInt16(b[4]) << 8 | UInt16(b[5]), scale = int16(b, 6)
        guard count >= 0, b.count == 8 + 2 * count, scale >= 0 else { throw malformed() }
        switch sign {
        case 0x0000, 0x4000: break
        case 0xC000: throw overflow("NaN")
        case 0xD000: throw overflow("Infinity")
        case 0xF000: throw overflow("-Infinity")
        default: throw malformed()
        }
        guard scale <= ExactDecimal.maxScale else { throw overflow("a numeric of scale \(scale)") }
        var units: Int128 = 0
        for i in 0..<count {
            let digit = int16(b, 8 + 2 * i)
            guard (0..<10_000).contains(digit) else { throw malformed() }
            let (m, o1) = units.multipliedReportingOverflow(by: 10_000)
            let (a, o2) = m.addingReportingOverflow(Int128(digit))
            guard !o1, !o2 else { throw overflow("a numeric of more than 38 digits") }
            units = a
        }
        // `units` is the value times 10^(4 * (count - 1 - weight)); bring it to 10^scale.
        var exponent = count == 0 ? scale : 4 * (count - 1 - weight)
        while exponent > scale {
            // Digits past dscale are zeros (the server rounds to dscale).
            guard units % 10 == 0 else { throw malformed() }
            units /= 10
            exponent -= 1
        }
        while exponent < scale {
            let (m, o) = units.multipliedReportingOverflow(by: 10)
            guard !o else { throw overflow("a numeric of more than 38 digits") }
            units = m
            exponent += 1
        }
        guard units <= ExactDecimal.maxUnits else { throw overflow("a numeric of more than 38 digits") }
        return ExactDecimal(units: sign == 0x4000 ? -units : units, scale: scale)
    }
}
