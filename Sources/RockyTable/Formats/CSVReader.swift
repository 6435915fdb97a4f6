/// Reads CSV (RFC 4180) a record at a time, never holding the whole file.
///
/// - The first record is the header; it is required, and its names must be
///   non-empty and distinct (ignoring case).
/// - Fields are separated by commas, or by another `delimiter` (a tab for
///   TSV, `;`, `|`: any ASCII character but a quote or a line break). A
///   field in double quotes may hold delimiters, line breaks and doubled
///   quotes (`""` for one `"`); characters after its closing quote other
///   than the delimiter or a line break are an error, as is a quote inside
///   an unquoted field.
/// - Records end with LF or CRLF; the last one may end without. A CR
///   outside quotes that is not followed by LF is an error. Inside quotes
///   every byte is kept as written, CR included.
/// - A UTF-8 byte order mark at the start is skipped; anything that is not
///   UTF-8 is an error.
/// - An unquoted empty field is NULL; a quoted empty field is the empty string.
/// - Every record must have as many fields as the header. An empty line is
///   skipped when the header has several columns (it cannot be a record);
///   with a single column it is a record whose field is NULL, as written
///   by `CSVWriter`.
///
/// Errors name `file:line:column` (columns count Unicode scalars from 1):
/// an unterminated quote at its opening quote, a stray character or an
/// invalid byte where it is, a record with too many fields at the first
/// extra field, one with too few at its end.
public final class CSVReader: RecordSource {
    public let file: String
    public private(set) var header: [String] = []
    public var quotedFieldsAreStrings: Bool { false }
    public var bytesConsumed: Int64 { input.bufferOffset + Int64(position) }
    /// The byte between fields: `,` unless given.
    public let delimiter: UInt8

    /// Whether `byte` can separate fields: a tab or a printable ASCII
    /// character other than the quote.
    public static func isValidDelimiter(_ byte: UInt8) -> Bool {
        (byte == 0x09 || (byte >= 0x20 && byte < 0x7F)) && byte != quote
    }

    private let input: ByteInput
    private let limits: InputLimits
    /// Index in `input.buffer` of the next record's first byte.
    private var position = 0
    /// Line number of the next record.
    private var line = 1
    private var bytes: [UInt8] = []
    private var slots: [FieldSlot] = []
    private var headerSlots: [FieldSlot] = []
    /// Where the last record scanned ended (for a "too few fields" error).
    private var endLine = 0, endColumn = 0

    /// Reads the file at `path`; `file` is how messages name it (default: `path`).
    public convenience init(path: String, file: String? = nil, delimiter: UInt8 = UInt8(ascii: ","), blockSize: Int = 1 << 20,
                            limits: InputLimits = InputLimits()) throws(ImportError) {
        try self.init(input: ByteInput(path: path, file: file ?? path, blockSize: blockSize), delimiter: delimiter, limits: limits)
    }

    /// Reads an open descriptor (standard input, say) to its end; does not close it.
    public convenience init(fileDescriptor: Int32, file: String, delimiter: UInt8 = UInt8(ascii: ","), blockSize: Int = 1 << 20,
                            limits: InputLimits = InputLimits()) throws(ImportError) {
        try self.init(input: ByteInput(source: .descriptor(fileDescriptor, close: false), file: file, blockSize: blockSize),
                      delimiter: delimiter, limits: limits)
    }

    /// Reads bytes in memory, `blockSize` at a time as if from a file.
    public convenience init(bytes: [UInt8], file: String = "<memory>", delimiter: UInt8 = UInt8(ascii: ","), blockSize: Int = 1 << 20,
                            limits: InputLimits = InputLimits()) throws(ImportError) {
        try self.init(input: ByteInput(source: .memory(bytes, position: 0), file: file, blockSize: blockSize),
                      delimiter: delimiter, limits: limits)
    }

    /// Reads `text` (for tests and small inputs).
    public convenience init(text: String, file: String = "<memory>", delimiter: UInt8 = UInt8(ascii: ","), blockSize: Int = 1 << 20,
                            limits: InputLimits = InputLimits()) throws(ImportError) {
        try self.init(bytes: Array(text.utf8), file: file, delimiter: delimiter, blockSize: blockSize, limits: limits)
    }

    private init(input: ByteInput, delimiter: UInt8, limits: InputLimits) throws(ImportError) {
        precondition(CSVReader.isValidDelimiter(delimiter), "a delimiter is an ASCII character other than a quote, CR or LF")
        self.delimiter = delimiter
        self.input = input
        self.limits = limits
        self.file = input.file
        try skipByteOrderMark()
        guard try scanNextRecord() else {
            throw ImportError(.header, file: file, line: 1, column: 1, message: "the file is empty: a header row is required")
        }
        headerSlots = slots
        var seen: [String: Int] = [:]
        for (index, slot) in slots.enumerated() {
            let name = String(decoding: bytes[slot.start..<(slot.start + slot.count)], as: UTF8.self)
            guard !name.isEmpty else {
                throw ImportError(.header, file: file, line: slot.line, column: slot.column,
                                  message: "column \(index + 1) of the header has an empty name")
            }
            if let first = seen[name.lowercased()] {
                throw ImportError(.header, file: file, line: slot.line, column: slot.column,
                                  message: "column \(index + 1) of the header repeats the name '\(header[first])' of column \(first + 1)")
            }
            seen[name.lowercased()] = index
            header.append(name)
        }
    }

    public func headerPosition(ofColumn index: Int) -> (line: Int, column: Int) {
        (headerSlots[index].line, headerSlots[index].column)
    }

    public func next() throws(ImportError) -> Record? {
        while true {
            guard try scanNextRecord() else { return nil }
            let recordLine = slots[0].line
            if slots.count == header.count {
                return Record(file: file, line: recordLine, bytes: bytes, slots: slots)
            }
            if slots.count == 1, slots[0].isNull, header.count > 1, endLine == recordLine { continue }
            let expected = header.count, found = slots.count
            let (errorLine, errorColumn) = found > expected
                ? (slots[expected].line, slots[expected].column)
                : (endLine, endColumn)
            throw ImportError(.fieldCount, file: file, line: errorLine, column: errorColumn,
                              message: "found \(found) field\(found == 1 ? "" : "s"), expected \(expected) as in the header")
        }
    }

    private func skipByteOrderMark() throws(ImportError) {
        while input.end < 3, try input.refill(keepingFrom: 0) {}
        let p = input.buffer
        if input.end >= 3, p[0] == 0xEF, p[1] == 0xBB, p[2] == 0xBF { position = 3 }
    }

    /// Scans one record into `bytes` and `slots`, reading more input as
    /// needed. Returns false at the end of the input.
    private func scanNextRecord() throws(ImportError) -> Bool {
        // Work on local arrays: mutating a class's stored arrays field by
        // field would pay a dynamic exclusivity check on every access.
        var bytes: [UInt8] = [], slots: [FieldSlot] = []
        swap(&bytes, &self.bytes)
        swap(&slots, &self.slots)
        defer {
            swap(&bytes, &self.bytes)
            swap(&slots, &self.slots)
        }
        // Bounded input (`InputLimits`): checked once per record, and when
        // the buffer is refilled, so a record without end never grows past it.
        var recordStart = position
        while true {
            switch try scanRecord(&bytes, &slots) {
            case .complete:
                let length = position - recordStart
                if length > limits.maxRecordBytes { throw limits.recordTooLarge(file: file, line: slots[0].line) }
                if length > limits.maxFieldBytes { try limits.checkFields(slots, file: file) }
                return true
            case .end: return false
            case .needMore:
                if input.end - position > limits.maxRecordBytes { throw limits.recordTooLarge(file: file, line: line) }
                _ = try input.refill(keepingFrom: position)
                position = 0
                recordStart = 0
            }
        }
    }

    private enum ScanOutcome { case complete, end, needMore }

    private static let quote = UInt8(ascii: "\""), lf = UInt8(ascii: "\n"), cr = UInt8(ascii: "\r")

    /// Scans one record from `position`. Returns `.needMore` (changing
    /// nothing but `bytes` and `slots`) when the record may continue past the
    /// buffered input; the caller refills and calls again, which rescans the
    /// record from its start.
    private func scanRecord(_ bytes: inout [UInt8], _ slots: inout [FieldSlot]) throws(ImportError) -> ScanOutcome {
        let p = input.buffer, n = input.end, eof = input.atEOF
        // `comma` is the delimiter, whatever it is (a local: one load per record).
        let comma = delimiter, quote = CSVReader.quote, lf = CSVReader.lf, cr = CSVReader.cr
        var i = position
        if i == n { return eof ? .end : .needMore }
        bytes.removeAll(keepingCapacity: true)
        slots.removeAll(keepingCapacity: true)
        var line = self.line
        var lineStart = i   // buffer index of the current line's first byte
        var continuations = 0   // UTF-8 continuation bytes in the current line before `i`
        // Until a quoted field needs its quotes undone, fields are not copied
        // one by one: they are located relative to the record's start, and
        // the record's bytes are copied once when it ends.
        let recordStart = i
        var direct = true
        while true {
            let fieldLine = line
            let fieldColumn = i - lineStart - continuations + 1
            var flags: UInt8 = 0
            if i < n && p[i] == quote && direct {
                bytes.append(contentsOf: UnsafeBufferPointer(start: p + recordStart, count: i - recordStart))
                direct = false
            }
            let storageStart = direct ? i - recordStart : bytes.count
            if i < n && p[i] == quote {
                flags = FieldSlot.quoted
                i += 1
                var run = i
                while true {
                    if i == n {
                        if !eof { return .needMore }
                        throw error(.malformed, fieldLine, fieldColumn, "unterminated quoted field: the quote opened here is never closed")
                    }
                    let c = p[i]
                    if c == quote {
                        if i + 1 == n && !eof { return .needMore }
                        bytes.append(contentsOf: UnsafeBufferPointer(start: p + run, count: i - run))
                        if i + 1 < n && p[i + 1] == quote {
                            bytes.append(quote)
                            i += 2
                            run = i
                            continue
                        }
                        i += 1
                        break
                    } else if c == lf {
                        i += 1
                        line += 1
                        lineStart = i
                        continuations = 0
                    } else if c >= 0x80 {
                        let length = UTF8Scan.sequenceLength(p, i, n)
                        if length < 0 && !eof { return .needMore }
                        if length <= 0 { throw invalidUTF8(p, i, n, line, i - lineStart - continuations + 1) }
                        continuations += length - 1
                        i += length
                    } else {
                        i += 1
                    }
                }
                if i < n, p[i] != comma, p[i] != lf, p[i] != cr {
                    throw error(.malformed, line, i - lineStart - continuations + 1,
                                "unexpected \(describe(p, i, n)) after the closing quote of a field; a field must end at its closing quote")
                }
            } else {
                let start = i
                while i < n {
                    let c = p[i]
                    if c == comma || c == lf || c == cr { break }
                    if c == quote {
                        throw error(.malformed, line, i - lineStart - continuations + 1,
                                    "a quote inside an unquoted field; quote the whole field and double the quotes inside it")
                    }
                    if c >= 0x80 {
                        let length = UTF8Scan.sequenceLength(p, i, n)
                        if length < 0 && !eof { return .needMore }
                        if length <= 0 { throw invalidUTF8(p, i, n, line, i - lineStart - continuations + 1) }
                        continuations += length - 1
                        i += length
                        continue
                    }
                    i += 1
                }
                if i == n && !eof { return .needMore }
                if i == start {
                    flags = FieldSlot.null
                } else if !direct {
                    bytes.append(contentsOf: UnsafeBufferPointer(start: p + start, count: i - start))
                }
            }
            let storageEnd = direct ? i - recordStart : bytes.count
            slots.append(FieldSlot(start: storageStart, count: storageEnd - storageStart,
                                   column: fieldColumn, flags: flags, line: fieldLine))
            // After the field: a comma, a line ending, or the end of the input.
            let terminatorColumn = i - lineStart - continuations + 1
            if direct && (i == n || p[i] != comma) {
                bytes.append(contentsOf: UnsafeBufferPointer(start: p + recordStart, count: i - recordStart))
            }
            if i == n {
                finish(at: i, line: line, endLine: line, endColumn: terminatorColumn)
                return .complete
            }
            let c = p[i]
            if c == comma { i += 1; continue }
            if c == lf {
                finish(at: i + 1, line: line + 1, endLine: line, endColumn: terminatorColumn)
                return .complete
            }
            // c == cr
            if i + 1 == n && !eof { return .needMore }
            guard i + 1 < n, p[i + 1] == lf else {
                throw error(.malformed, line, terminatorColumn, "a carriage return (CR) not followed by a line feed (LF) outside quotes")
            }
            finish(at: i + 2, line: line + 1, endLine: line, endColumn: terminatorColumn)
            return .complete
        }
    }

    private func finish(at index: Int, line: Int, endLine: Int, endColumn: Int) {
        position = index
        self.line = line
        self.endLine = endLine
        self.endColumn = endColumn
    }

    private func error(_ kind: ImportError.Kind, _ line: Int, _ column: Int, _ message: String) -> ImportError {
        ImportError(kind, file: file, line: line, column: column, message: message)
    }

    private func invalidUTF8(_ p: UnsafeMutablePointer<UInt8>, _ i: Int, _ n: Int, _ line: Int, _ column: Int) -> ImportError {
        let shown = (i..<min(i + 4, n)).map { "0x" + String(p[$0], radix: 16, uppercase: true) }.joined(separator: " ")
        return error(.malformed, line, column, "invalid UTF-8 (bytes \(shown)); the file must be UTF-8")
    }

    /// The character at `p[i]`, for messages: `'x'`, or its bytes when not printable ASCII.
    private func describe(_ p: UnsafeMutablePointer<UInt8>, _ i: Int, _ n: Int) -> String {
        let c = p[i]
        if c >= 0x21 && c < 0x7F { return "'\(Character(Unicode.Scalar(c)))'" }
        if c == 0x20 { return "a space" }
        if c < 0x80 { return "byte 0x" + String(c, radix: 16, uppercase: true) }
        let length = UTF8Scan.sequenceLength(p, i, n)
        if length > 0 { return "'" + String(decoding: UnsafeBufferPointer(start: p + i, count: length), as: UTF8.self) + "'" }
        return "byte 0x" + String(c, radix: 16, uppercase: true)
    }
}
