#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import RockyBase

/// Reads JSON Lines: one JSON object per line, a line at a time.
///
/// - Blank lines are skipped; a line may end with LF or CRLF; a UTF-8 byte
///   order mark at the start is skipped.
/// - Keys name columns: exactly, or else ignoring case. A key that is
///   missing or `null` is NULL. A key given twice in one object is an error.
/// - Values keep their JSON text: numbers exactly as written (never through
///   binary floating point), strings unescaped (marked `isQuoted`),
///   `true`/`false` as those words. An array or object as a value is an
///   error naming the key: Rocky's columns hold scalars.
/// - With `columns`, the header is that list and a key outside it is an
///   error. Without, the header is the union of the keys in order of first
///   appearance, growing as lines are read: a type-inference pass over the
///   whole file ends with the complete header.
///
/// Errors name `file:line:column` of the offending key or value (columns
/// count Unicode scalars from 1); JSON syntax is checked by RockyBase's parser.
public final class JSONLinesReader: RecordSource {
    public let file: String
    public private(set) var header: [String]
    public var quotedFieldsAreStrings: Bool { true }
    public var bytesConsumed: Int64 { input.bufferOffset + Int64(position) }

    private let input: ByteInput
    private let limits: InputLimits
    private let fixedColumns: Bool
    private var exactIndex: [String: Int] = [:]
    private var foldedIndex: [String: Int] = [:]
    private var position = 0
    private var line = 1
    private var bytes: [UInt8] = []
    private var slots: [FieldSlot] = []
    private var seen: [Bool] = []
    private var checkedByteOrderMark = false

    /// Reads the file at `path`; `file` is how messages name it (default: `path`).
    /// `columns` fixes the header (the schema's columns); nil collects the keys.
    public convenience init(path: String, file: String? = nil, columns: [String]? = nil, blockSize: Int = 1 << 20,
                            limits: InputLimits = InputLimits()) throws(ImportError) {
        try self.init(input: ByteInput(path: path, file: file ?? path, blockSize: blockSize), columns: columns, limits: limits)
    }

    /// Reads an open descriptor to its end; does not close it.
    public convenience init(fileDescriptor: Int32, file: String, columns: [String]? = nil, blockSize: Int = 1 << 20) {
        self.init(input: ByteInput(source: .descriptor(fileDescriptor, close: false), file: file, blockSize: blockSize), columns: columns)
    }

    /// Reads bytes in memory, `blockSize` at a time as if from a file.
    public convenience init(bytes: [UInt8], file: String = "<memory>", columns: [String]? = nil, blockSize: Int = 1 << 20,
                            limits: InputLimits = InputLimits()) {
        self.init(input: ByteInput(source: .memory(bytes, position: 0), file: file, blockSize: blockSize), columns: columns,
                  limits: limits)
    }

    public convenience init(text: String, file: String = "<memory>", columns: [String]? = nil, blockSize: Int = 1 << 20,
                            limits: InputLimits = InputLimits()) {
        self.init(bytes: Array(text.utf8), file: file, columns: columns, blockSize: blockSize, limits: limits)
    }

    private init(input: ByteInput, columns: [String]?, limits: InputLimits = InputLimits()) {
        self.input = input
        self.limits = limits
        file = input.file
        fixedColumns = columns != nil
        header = []
        for name in columns ?? [] { addColumn(name) }
    }

    public func headerPosition(ofColumn index: Int) -> (line: Int, column: Int) { (0, 0) }

    public func next() throws(ImportError) -> Record? {
        if !checkedByteOrderMark {
            checkedByteOrderMark = true
            while input.end < 3, try input.refill(keepingFrom: 0) {}
            let p = input.buffer
            if input.end >= 3, p[0] == 0xEF, p[1] == 0xBB, p[2] == 0xBF { position = 3 }
        }
        while true {
            let p = input.buffer, n = input.end
            let found = memchr(p + position, 10, n - position)
            let lineEnd: Int
            if let found {
                lineEnd = p.distance(to: found.assumingMemoryBound(to: UInt8.self))
            } else if !input.atEOF {
                if n - position > limits.maxRecordBytes { throw limits.recordTooLarge(file: file, line: line) }
                _ = try input.refill(keepingFrom: position)
                position = 0
                continue
            } else if position == n {
                return nil
            } else {
                lineEnd = n
            }
            let start = position, number = line
            if lineEnd - start > limits.maxRecordBytes { throw limits.recordTooLarge(file: file, line: number) }
            position = min(lineEnd + 1, n)
            line += 1
            var i = start
            while i < lineEnd, p[i] == 32 || p[i] == 9 || p[i] == 13 { i += 1 }
            if i == lineEnd { continue }
            try parseObject(p, start, lineEnd, line: number)
            if bytes.count > limits.maxFieldBytes { try limits.checkFields(slots, file: file) }
            return Record(file: file, line: number, bytes: bytes, slots: slots)
        }
    }

    private func addColumn(_ name: String) {
        exactIndex[name] = header.count
        if foldedIndex[name.lowercased()] == nil { foldedIndex[name.lowercased()] = header.count }
        header.append(name)
    }

    private func parseObject(_ p: UnsafeMutablePointer<UInt8>, _ start: Int, _ end: Int, line: Int) throws(ImportError) {
        var columns = ColumnCounter(lineStart: start)
        func error(_ at: Int, _ message: String) -> ImportError {
            ImportError(.malformed, file: file, line: line, column: columns.column(of: at, in: p), message: message)
        }
        func skipSpace(_ i: inout Int) {
            while i < end, p[i] == 32 || p[i] == 9 || p[i] == 13 { i += 1 }
        }
        /// The index just past the string that opens at `i`.
        func endOfString(_ i: Int) throws(ImportError) -> Int {
            var k = i + 1
            while k < end {
                if p[k] == UInt8(ascii: "\"") { return k + 1 }
                k += p[k] == UInt8(ascii: "\\") ? 2 : 1
            }
            throw error(i, "unterminated string")
        }
        func decode(_ a: Int, _ b: Int) throws(ImportError) -> JSON {
            do {
                return try JSON(parsing: UnsafeBufferPointer(start: p + a, count: b - a))
            } catch {
                let at = columns.column(of: a, in: p) + error.column - 1
                throw ImportError(.malformed, file: file, line: line, column: at, message: "invalid JSON: \(error.message)")
            }
        }

        var i = start
        skipSpace(&i)
        let objectColumn = columns.column(of: i, in: p)
        guard i < end, p[i] == UInt8(ascii: "{") else { throw error(i, "expected a JSON object ('{') on each line") }
        i += 1
        bytes.removeAll(keepingCapacity: true)
        slots.removeAll(keepingCapacity: true)
        seen.removeAll(keepingCapacity: true)
        skipSpace(&i)
        if i < end, p[i] == UInt8(ascii: "}") {
            i += 1
        } else {
            while true {
                skipSpace(&i)
                guard i < end, p[i] == UInt8(ascii: "\"") else { throw error(i, "expected a key in double quotes") }
                let keyStart = i
                i = try endOfString(i)
                guard let key = try decode(keyStart, i).stringValue else { throw error(keyStart, "expected a key in double quotes") }
                skipSpace(&i)
                guard i < end, p[i] == UInt8(ascii: ":") else { throw error(i, "expected ':' after the key '\(key)'") }
                i += 1
                skipSpace(&i)
                guard i < end else { throw error(i, "expected a value for the key '\(key)'") }
                let valueStart = i
                if p[i] == UInt8(ascii: "[") || p[i] == UInt8(ascii: "{") {
                    let what = p[i] == UInt8(ascii: "[") ? "an array" : "an object"
                    throw error(i, "the value of '\(key)' is \(what); only strings, numbers, booleans and null can be imported")
                }
                if p[i] == UInt8(ascii: "\"") {
                    i = try endOfString(i)
                } else {
                    while i < end, p[i] != UInt8(ascii: ","), p[i] != UInt8(ascii: "}"), p[i] != 32, p[i] != 9, p[i] != 13 { i += 1 }
                }
                let value = try decode(valueStart, i)
                let index = try columnIndex(for: key, line: line, column: columns.column(of: keyStart, in: p))
                while slots.count < header.count {
                    slots.append(FieldSlot(start: 0, count: 0, column: objectColumn, flags: FieldSlot.null, line: line))
                    seen.append(false)
                }
                guard !seen[index] else {
                    throw ImportError(.malformed, file: file, line: line, column: columns.column(of: keyStart, in: p),
                                      message: "the key '\(key)' appears twice in the object")
                }
                seen[index] = true
                store(value, in: index, column: columns.column(of: valueStart, in: p), line: line)
                skipSpace(&i)
                if i < end, p[i] == UInt8(ascii: ",") { i += 1; continue }
                if i < end, p[i] == UInt8(ascii: "}") { i += 1; break }
                throw error(i, "expected ',' or '}' after the value of '\(key)'")
            }
        }
        skipSpace(&i)
        guard i == end else { throw error(i, "unexpected text after the JSON object; each line holds one object") }
        while slots.count < header.count {
            slots.append(FieldSlot(start: 0, count: 0, column: objectColumn, flags: FieldSlot.null, line: line))
        }
    }

    private func columnIndex(for key: String, line: Int, column: Int) throws(ImportError) -> Int {
        if let index = exactIndex[key] ?? foldedIndex[key.lowercased()] { return index }
        guard !fixedColumns else {
            throw ImportError(.header, file: file, line: line, column: column,
                              message: "unknown column '\(key)' (columns: \(header.joined(separator: ", ")))")
        }
        addColumn(key)
        return header.count - 1
    }

    private func store(_ value: JSON, in index: Int, column: Int, line: Int) {
        let start = bytes.count
        var flags: UInt8 = 0
        switch value {
        case .null: flags = FieldSlot.null
        case let .bool(b): bytes.append(contentsOf: (b ? "true" : "false").utf8)
        case let .number(text): bytes.append(contentsOf: text.utf8)
        case let .string(s): bytes.append(contentsOf: s.utf8); flags = FieldSlot.quoted
        case .array, .object: preconditionFailure("nested values are rejected before they are stored")
        }
        slots[index] = FieldSlot(start: start, count: bytes.count - start, column: column, flags: flags, line: line)
    }
}

/// Turns byte offsets in a line into 1-based columns counted in Unicode
/// scalars, walking forward from the last offset asked about.
struct ColumnCounter {
    private let lineStart: Int
    private var offset: Int
    private var column = 1

    init(lineStart: Int) {
        self.lineStart = lineStart
        offset = lineStart
    }

    mutating func column(of target: Int, in p: UnsafePointer<UInt8>) -> Int {
        if target < offset { offset = lineStart; column = 1 }
        while offset < target {
            if p[offset] & 0xC0 != 0x80 { column += 1 }
            offset += 1
        }
        return column
    }
}
