import Foundation

/// The Thrift binary protocol (strict messages), written from Apache
/// Thrift's protocol specification: enough to speak HiveServer2's
/// TCLIService. Values are decoded into a `ThriftValue` tree under hard
/// limits (`ThriftLimits`), so a malformed or hostile response is an error,
/// never a crash, an unbounded allocation or deep recursion.
public enum ThriftType: UInt8, Sendable {
    case stop = 0, void = 1, bool = 2, byte = 3, double = 4, i16 = 6, i32 = 8, i64 = 10, string = 11, `struct` = 12,
         map = 13, set = 14, list = 15
}

/// A decoded Thrift value.
public indirect enum ThriftValue: Sendable, Equatable {
    case bool(Bool)
    case byte(Int8)
    case i16(Int16)
    case i32(Int32)
    case i64(Int64)
    case double(Double)
    /// STRING and BINARY (the wire does not tell them apart).
    case binary([UInt8])
    case `struct`([Int16: ThriftValue])
    case list(ThriftType, [ThriftValue])
    case map(ThriftType, ThriftType, [(ThriftValue, ThriftValue)])

    public static func == (a: ThriftValue, b: ThriftValue) -> Bool {
        switch (a, b) {
        case let (.bool(x), .bool(y)): x == y
        case let (.byte(x), .byte(y)): x == y
        case let (.i16(x), .i16(y)): x == y
        case let (.i32(x), .i32(y)): x == y
        case let (.i64(x), .i64(y)): x == y
        case let (.double(x), .double(y)): x.bitPattern == y.bitPattern
        case let (.binary(x), .binary(y)): x == y
        case let (.struct(x), .struct(y)): x == y
        case let (.list(t, x), .list(u, y)): t == u && x == y
        case let (.map(k, v, x), .map(l, w, y)):
            k == l && v == w && x.count == y.count && zip(x, y).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        default: false
        }
    }

    var type: ThriftType {
        switch self {
        case .bool: .bool
        case .byte: .byte
        case .i16: .i16
        case .i32: .i32
        case .i64: .i64
        case .double: .double
        case .binary: .string
        case .struct: .struct
        case .list: .list
        case .map: .map
        }
    }

    // Typed access to a struct's fields; nil when absent or of another type.
    public subscript(field: Int16) -> ThriftValue? {
        if case let .struct(fields) = self { return fields[field] }
        return nil
    }

    public var int: Int64? {
        switch self {
        case let .byte(v): Int64(v)
        case let .i16(v): Int64(v)
        case let .i32(v): Int64(v)
        case let .i64(v): v
        default: nil
        }
    }

    public var bytes: [UInt8]? {
        if case let .binary(b) = self { return b }
        return nil
    }

    public var string: String? { bytes.map { String(decoding: $0, as: UTF8.self) } }

    public var boolValue: Bool? {
        if case let .bool(b) = self { return b }
        return nil
    }

    public var elements: [ThriftValue]? {
        if case let .list(_, e) = self { return e }
        return nil
    }
}

/// A struct being built for sending: fields in id order.
public struct ThriftStruct: Sendable {
    public var fields: [(Int16, ThriftValue)] = []
    public init() {}
    public init(_ fields: [(Int16, ThriftValue?)]) {
        self.fields = fields.compactMap { id, value in value.map { (id, $0) } }
    }
    public var value: ThriftValue { .struct(Dictionary(fields, uniquingKeysWith: { $1 })) }
}

/// What a decoder accepts: anything beyond is `ThriftError.limit`.
public struct ThriftLimits: Sendable {
    /// Bytes of one message.
    public var messageBytes: Int
    /// Nesting of structs, lists and maps.
    public var depth: Int
    public init(messageBytes: Int = 256 << 20, depth: Int = 64) {
        self.messageBytes = messageBytes
        self.depth = depth
    }
}

public enum ThriftError: Error, Equatable, CustomStringConvertible {
    /// The bytes are not a valid message of the protocol.
    case malformed(String)
    /// The message is larger or deeper than the limits allow.
    case limit(String)

    public var description: String {
        switch self {
        case let .malformed(m): "malformed Thrift data: \(m)"
        case let .limit(m): "Thrift data over the limit: \(m)"
        }
    }
}

/// Where a decoder's bytes come from: a socket (with its deadline) or memory.
public protocol ThriftByteSource: AnyObject {
    /// Exactly `count` bytes appended to `into`, or throws.
    func read(_ count: Int, into: inout [UInt8]) throws
}

public final class MemoryByteSource: ThriftByteSource {
    let bytes: [UInt8]
    var offset = 0
    public init(_ bytes: [UInt8]) { self.bytes = bytes }
    public func read(_ count: Int, into: inout [UInt8]) throws {
        guard count <= bytes.count - offset else { throw ThriftError.malformed("unexpected end of data") }
        into.append(contentsOf: bytes[offset..<offset + count])
        offset += count
    }
    public var remaining: Int { bytes.count - offset }
}

/// Writes the binary protocol.
public struct ThriftWriter {
    public private(set) var bytes: [UInt8] = []
    public init() {}

    mutating func byte(_ v: UInt8) { bytes.append(v) }
    mutating func i16(_ v: Int16) { withUnsafeBytes(of: v.bigEndian) { bytes.append(contentsOf: $0) } }
    mutating func i32(_ v: Int32) { withUnsafeBytes(of: v.bigEndian) { bytes.append(contentsOf: $0) } }
    mutating func i64(_ v: Int64) { withUnsafeBytes(of: v.bigEndian) { bytes.append(contentsOf: $0) } }
    mutating func binary(_ v: [UInt8]) {
        i32(Int32(v.count))
        bytes.append(contentsOf: v)
    }

    /// A CALL message: header, then `arguments` as the args struct.
    public mutating func call(_ name: String, sequence: Int32, arguments: ThriftStruct) {
        i32(Int32(bitPattern: 0x8001_0001))
        binary(Array(name.utf8))
        i32(sequence)
        writeStruct(arguments.fields)
    }

    /// A REPLY message (what a server sends; fakes and tests use it).
    public mutating func reply(_ name: String, sequence: Int32, result: ThriftValue) {
        i32(Int32(bitPattern: 0x8001_0002))
        binary(Array(name.utf8))
        i32(sequence)
        write(result)
    }

    mutating func writeStruct(_ fields: [(Int16, ThriftValue)]) {
        for (id, value) in fields.sorted(by: { $0.0 < $1.0 }) {
            byte(value.type.rawValue)
            i16(id)
            write(value)
        }
        byte(ThriftType.stop.rawValue)
    }

    public mutating func write(_ value: ThriftValue) {
        switch value {
        case let .bool(b): byte(b ? 1 : 0)
        case let .byte(v): byte(UInt8(bitPattern: v))
        case let .i16(v): i16(v)
        case let .i32(v): i32(v)
        case let .i64(v): i64(v)
        case let .double(v): i64(Int64(bitPattern: v.bitPattern))
        case let .binary(v): binary(v)
        case let .struct(fields): writeStruct(fields.map { ($0.key, $0.value) })
        case let .list(type, elements):
            byte(type.rawValue)
            i32(Int32(elements.count))
            for e in elements { write(e) }
        case let .map(k, v, pairs):
            byte(k.rawValue)
            byte(v.rawValue)
            i32(Int32(pairs.count))
            for (key, value) in pairs {
                write(key)
                write(value)
            }
        }
    }
}

/// A message's header.
public struct ThriftMessageHeader: Sendable, Equatable {
    public var name: String
    /// 1 call, 2 reply, 3 exception, 4 oneway.
    public var type: UInt8
    public var sequence: Int32
}

/// Reads the binary protocol from a byte source, under `limits`.
public final class ThriftReader {
    let source: ThriftByteSource
    let limits: ThriftLimits
    private(set) var consumed = 0
    private var scratch: [UInt8] = []

    public init(source: ThriftByteSource, limits: ThriftLimits = ThriftLimits()) {
        self.source = source
        self.limits = limits
    }

    /// Counts `count` bytes against the message limit.
    private func admit(_ count: Int) throws {
        guard count >= 0 else { throw ThriftError.malformed("negative length \(count)") }
        guard count <= limits.messageBytes - consumed else {
            throw ThriftError.limit("message larger than \(limits.messageBytes) bytes")
        }
        consumed += count
    }

    /// `count` bytes in an array of their own (one allocation).
    private func take(_ count: Int) throws -> [UInt8] {
        try admit(count)
        var out: [UInt8] = []
        out.reserveCapacity(count)
        try source.read(count, into: &out)
        return out
    }

    /// A big-endian integer, read through `scratch`, which stays this
    /// reader's alone (no allocation per value: a result of a million rows
    /// holds millions of them).
    private func fixed<T: FixedWidthInteger>(_: T.Type) throws -> T {
        try admit(MemoryLayout<T>.size)
        scratch.removeAll(keepingCapacity: true)
        try source.read(MemoryLayout<T>.size, into: &scratch)
        var v: T = 0
        for b in scratch { v = (v << 8) | T(truncatingIfNeeded: b) }
        return v
    }

    func readByte() throws -> UInt8 { try fixed(UInt8.self) }
    func readI16() throws -> Int16 { try fixed(Int16.self) }
    func readI32() throws -> Int32 { try fixed(Int32.self) }
    func readI64() throws -> Int64 { try fixed(Int64.self) }

    /// A length-prefixed byte string; its length is checked before reading.
    func readBinary() throws -> [UInt8] {
        let count = Int(try readI32())
        return try take(count)
    }

    /// A message header (strict form only).
    public func readMessageHeader() throws -> ThriftMessageHeader {
        consumed = 0
        let word = UInt32(bitPattern: try readI32())
        guard word & 0xFFFF_0000 == 0x8001_0000 else {
            throw ThriftError.malformed(String(format: "not a strict binary-protocol message (0x%08x)", word))
        }
        let type = UInt8(word & 0xFF)
        guard (1...4).contains(type) else { throw ThriftError.malformed("message type \(type)") }
        let name = String(decoding: try readBinary(), as: UTF8.self)
        let sequence = try readI32()
        return ThriftMessageHeader(name: name, type: type, sequence: sequence)
    }

    public func readStruct(depth: Int = 0) throws -> ThriftValue {
        guard depth < limits.depth else { throw ThriftError.limit("nesting deeper than \(limits.depth)") }
        var fields: [Int16: ThriftValue] = [:]
        while true {
            let raw = try readByte()
            guard let type = ThriftType(rawValue: raw) else { throw ThriftError.malformed("field type \(raw)") }
            if type == .stop { return .struct(fields) }
            let id = try readI16()
            fields[id] = try read(type, depth: depth + 1)
        }
    }

    private func elementType() throws -> ThriftType {
        let raw = try readByte()
        guard let type = ThriftType(rawValue: raw), type != .stop, type != .void else {
            throw ThriftError.malformed("element type \(raw)")
        }
        return type
    }

    /// A count of elements, each at least one byte: never more than the bytes left.
    private func count() throws -> Int {
        let n = Int(try readI32())
        guard n >= 0 else { throw ThriftError.malformed("negative count \(n)") }
        guard n <= limits.messageBytes - consumed else { throw ThriftError.limit("\(n) elements") }
        return n
    }

    public func read(_ type: ThriftType, depth: Int) throws -> ThriftValue {
        guard depth < limits.depth else { throw ThriftError.limit("nesting deeper than \(limits.depth)") }
        switch type {
        case .bool: return .bool(try readByte() != 0)
        case .byte: return .byte(Int8(bitPattern: try readByte()))
        case .i16: return .i16(try readI16())
        case .i32: return .i32(try readI32())
        case .i64: return .i64(try readI64())
        case .double: return .double(Double(bitPattern: UInt64(bitPattern: try readI64())))
        case .string: return .binary(try readBinary())
        case .struct: return try readStruct(depth: depth)
        case .list, .set:
            let element = try elementType()
            let n = try count()
            var elements: [ThriftValue] = []
            elements.reserveCapacity(min(n, 1 << 16))
            for _ in 0..<n { elements.append(try read(element, depth: depth + 1)) }
            return .list(element, elements)
        case .map:
            let key = try elementType(), value = try elementType()
            let n = try count()
            var pairs: [(ThriftValue, ThriftValue)] = []
            pairs.reserveCapacity(min(n, 1 << 16))
            for _ in 0..<n { pairs.append((try read(key, depth: depth + 1), try read(value, depth: depth + 1))) }
            return .map(key, value, pairs)
        case .stop, .void: throw ThriftError.malformed("value of type \(type)")
        }
    }
}
