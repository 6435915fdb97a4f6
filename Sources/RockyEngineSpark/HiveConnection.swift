import Foundation

/// A value of a result column as HiveServer2 sends it. DECIMAL, DATE,
/// TIMESTAMP and the complex types come as strings (the protocol's own
/// representation); the column's `HiveColumn.typeName` says which.
public enum HiveValue: Sendable, Equatable {
    case null
    case bool(Bool)
    case int(Int64)
    case double(Double)
    case string(String)
    case binary([UInt8])
}

/// A result column: its name and type (`TTypeId` name without `_TYPE`:
/// "BIGINT", "DECIMAL", ...), with DECIMAL's precision and scale.
public struct HiveColumn: Sendable, Equatable {
    public var name: String
    public var typeName: String
    public var precision: Int?
    public var scale: Int?
}

/// An error the server reported (a `TStatus` in error, or an operation in
/// ERROR_STATE), or a protocol-level exception.
public struct HiveServerError: Error, Equatable, CustomStringConvertible {
    public var sqlState: String?
    public var errorCode: Int32?
    public var message: String
    /// The statement it was about, when there was one.
    public var statement: String?
    /// The operation ended as CANCELED (by `cancel` or the server).
    public var canceled = false

    public var description: String {
        (sqlState.map { "[\($0)] " } ?? "") + message
    }
}

/// The state of a running operation (`TOperationState`).
public enum HiveOperationState: Int32, Sendable {
    case initialized = 0, running, finished, canceled, closed, error, unknown, pending, timedOut
}

/// An operation on the server: its handle, as the server gave it.
public struct HiveOperation: Sendable {
    let handle: ThriftValue
    public let statement: String
    /// The operation yields a result set (a query).
    public var hasResultSet: Bool { handle[3]?.boolValue ?? false }
    /// The server's id of the operation (hex of its guid), for records.
    public var id: String { (handle[1]?[1]?.bytes ?? []).map { String(format: "%02x", $0) }.joined() }
}

/// A HiveServer2 (TCLIService) client over the Thrift binary protocol: one
/// session on one connection, as Spark's Thrift server and Databricks SQL
/// speak it. Written from the public IDL (TCLIService.thrift).
///
/// Every response is read under the transport's timeout and size cap, and
/// decoded under `ThriftLimits`: a malformed response is a `ThriftError`, a
/// silent server a `HiveTransportError.timeout`; after either the
/// connection is closed (its stream position is unknown).
public final class HiveConnection {
    let transport: HiveTransport
    let limits: ThriftLimits
    private var sequence: Int32 = 0
    private var session: ThriftValue?
    /// The protocol version the server chose (`TProtocolVersion`, 0-based: 5 is V6).
    public private(set) var protocolVersion: Int32 = 0
    /// The server's DBMS version (GetInfo CLI_DBMS_VER), e.g. "4.0.1" for Spark.
    public private(set) var serverVersion = ""
    /// Bytes of the last reply read (sizes the next FetchResults).
    public private(set) var lastReplyBytes = 0
    /// Poll intervals of GetOperationStatus grow from the first to the last.
    /// Spark's Thrift server long-polls (GetOperationStatus waits up to
    /// `hive.server2.long.polling.timeout`, 5 s, for the operation to end),
    /// so these sleeps come only between such waits.
    public var pollInterval: (first: Duration, last: Duration) = (.milliseconds(5), .milliseconds(200))

    /// Connects and opens a session. `configuration` is the session's
    /// overlay (`use:database` selects the database; `set:hiveconf:K` sets K).
    public init(host: String, port: Int, authentication: HiveAuthentication = .noSASL, user: String? = nil,
                configuration: [String: String] = [:], timeout: Duration = .seconds(60), limits: ThriftLimits = ThriftLimits()) throws {
        self.limits = limits
        transport = try HiveTransport(host: host, port: port, authentication: authentication, timeout: timeout,
                                      maximumFrame: limits.messageBytes)
        var user = user
        if user == nil, case let .plain(u, _) = authentication { user = u }
        let pairs = configuration.sorted { $0.key < $1.key }.map { (ThriftValue.binary(Array($0.key.utf8)), ThriftValue.binary(Array($0.value.utf8))) }
        // HIVE_CLI_SERVICE_PROTOCOL_V6 (index 5): the first with columnar result sets.
        let request = ThriftStruct([
            (1, .i32(5)),
            (2, user.map { .binary(Array($0.utf8)) }),
            (4, pairs.isEmpty ? nil : .map(.string, .string, pairs)),
        ])
        let response = try call("OpenSession", request, statement: nil)
        protocolVersion = Int32(response[2]?.int ?? 0)
        guard let handle = response[3] else {
            transport.close()
            throw HiveServerError(message: "OpenSession returned no session handle")
        }
        session = handle
        // CLI_DBMS_VER = 18; TGetInfoValue.stringValue = 1.
        if let info = try? call("GetInfo", ThriftStruct([(1, handle), (2, .i32(18))]), statement: nil) {
            serverVersion = info[2]?[1]?.string ?? ""
        }
    }

    deinit {
        if transport.isOpen { try? close() }
    }

    public var isOpen: Bool { transport.isOpen && session != nil }

    /// Closes the session (CloseSession) and the connection.
    public func close() throws {
        defer { transport.close() }
        guard let session, transport.isOpen else { return }
        self.session = nil
        _ = try call("CloseSession", ThriftStruct([(1, session)]), statement: nil)
    }

    // MARK: Calls

    /// One request and its reply: `name`'s args struct holds `request` as
    /// field 1; returns the reply's success struct after checking its
    /// `TStatus` (field 1).
    func call(_ name: String, _ request: ThriftStruct, statement: String?) throws -> ThriftValue {
        guard transport.isOpen else { throw HiveTransportError.closed("the connection is closed") }
        sequence &+= 1
        var writer = ThriftWriter()
        writer.call(name, sequence: sequence, arguments: ThriftStruct([(1, request.value)]))
        try transport.send(message: writer.bytes)
        let result: ThriftValue
        let header: ThriftMessageHeader
        do {
            transport.beginResponse()
            let reader = ThriftReader(source: transport, limits: limits)
            header = try reader.readMessageHeader()
            result = try reader.readStruct()
            lastReplyBytes = reader.consumed
            try transport.endResponse()
        } catch {
            transport.close()
            throw error
        }
        if header.type == 3 {
            transport.close()
            throw HiveServerError(message: "\(name): \(result[1]?.string ?? "exception") (type \(result[2]?.int ?? 0))", statement: statement)
        }
        guard header.type == 2, header.name == name, header.sequence == sequence else {
            transport.close()
            throw ThriftError.malformed("reply \(header.name)#\(header.sequence) (type \(header.type)) to \(name)#\(sequence)")
        }
        guard let success = result[0], case .struct = success else {
            transport.close()
            throw ThriftError.malformed("\(name) reply without a result")
        }
        try HiveConnection.check(success[1], statement: statement)
        return success
    }

    /// Throws the error of a `TStatus` that is not SUCCESS(_WITH_INFO).
    static func check(_ status: ThriftValue?, statement: String?) throws {
        guard let status, let code = status[1]?.int else { throw ThriftError.malformed("a reply without a status") }
        guard code > 1 else { return }
        let message = status[5]?.string ?? (code == 4 ? "invalid handle" : "error status \(code)")
        throw HiveServerError(sqlState: status[3]?.string, errorCode: status[4]?.int.map { Int32(truncatingIfNeeded: $0) },
                              message: message, statement: statement)
    }

    private func sessionHandle() throws -> ThriftValue {
        guard let session else { throw HiveTransportError.closed("the session is closed") }
        return session
    }

    // MARK: Operations

    /// Starts `sql` asynchronously (runAsync); returns at once with its handle.
    public func start(_ sql: String, configuration: [String: String] = [:]) throws -> HiveOperation {
        let overlay = configuration.sorted { $0.key < $1.key }.map { (ThriftValue.binary(Array($0.key.utf8)), ThriftValue.binary(Array($0.value.utf8))) }
        let response = try call("ExecuteStatement", ThriftStruct([
            (1, try sessionHandle()), (2, .binary(Array(sql.utf8))),
            (3, overlay.isEmpty ? nil : .map(.string, .string, overlay)), (4, .bool(true)),
        ]), statement: sql)
        guard let handle = response[2] else { throw HiveServerError(message: "ExecuteStatement returned no operation handle", statement: sql) }
        return HiveOperation(handle: handle, statement: sql)
    }

    /// The operation's state; an operation in ERROR_STATE throws its error.
    public func state(of operation: HiveOperation) throws -> HiveOperationState {
        let response = try call("GetOperationStatus", ThriftStruct([(1, operation.handle)]), statement: operation.statement)
        let raw = Int32(response[2]?.int ?? 6)
        let state = HiveOperationState(rawValue: raw) ?? .unknown
        if state == .error {
            throw HiveServerError(sqlState: response[3]?.string, errorCode: response[4]?.int.map { Int32(truncatingIfNeeded: $0) },
                                  message: response[5]?.string ?? "the operation failed", statement: operation.statement)
        }
        return state
    }

    /// Polls until the operation is finished; throws its error, or a
    /// canceled error. With `timeout`, an operation still running then is
    /// cancelled and a `HiveTransportError.timeout` thrown.
    public func wait(for operation: HiveOperation, timeout: Duration? = nil) throws {
        let deadline = timeout.map { ContinuousClock.now + $0 }
        var interval = pollInterval.first
        while true {
            switch try state(of: operation) {
            case .finished: return
            case .canceled, .closed, .timedOut:
                throw HiveServerError(message: "the operation was canceled", statement: operation.statement, canceled: true)
            case .unknown: throw HiveServerError(message: "the operation is in an unknown state", statement: operation.statement)
            case .initialized, .running, .pending, .error: break
            }
            if let deadline, ContinuousClock.now >= deadline {
                try? cancel(operation)
                try? closeOperation(operation)
                throw HiveTransportError.timeout("running the statement (over \(timeout!))")
            }
            Thread.sleep(forTimeInterval: Double(interval.components.attoseconds) / 1e18 + Double(interval.components.seconds))
            interval = min(interval * 2, pollInterval.last)
        }
    }

    /// Starts `sql`, waits for it to finish; the caller fetches and closes.
    public func execute(_ sql: String, timeout: Duration? = nil) throws -> HiveOperation {
        let operation = try start(sql)
        do {
            try wait(for: operation, timeout: timeout)
        } catch let error as HiveServerError {
            try? closeOperation(operation)
            throw error
        }
        return operation
    }

    /// Runs a statement to its end and closes it (DDL, INSERT, SET ...).
    public func run(_ sql: String, timeout: Duration? = nil) throws {
        let operation = try execute(sql, timeout: timeout)
        try closeOperation(operation)
    }

    public func cancel(_ operation: HiveOperation) throws {
        _ = try call("CancelOperation", ThriftStruct([(1, operation.handle)]), statement: operation.statement)
    }

    public func closeOperation(_ operation: HiveOperation) throws {
        _ = try call("CloseOperation", ThriftStruct([(1, operation.handle)]), statement: operation.statement)
    }

    /// The result's columns (GetResultSetMetadata).
    public func columns(of operation: HiveOperation) throws -> [HiveColumn] {
        let response = try call("GetResultSetMetadata", ThriftStruct([(1, operation.handle)]), statement: operation.statement)
        guard let columns = response[2]?[1]?.elements else { throw ThriftError.malformed("result metadata without columns") }
        return try columns.map { column in
            guard let name = column[1]?.string, let entry = column[2]?[1]?.elements?.first else {
                throw ThriftError.malformed("a column description without a name or type")
            }
            guard let primitive = entry[1] else {
                // Arrays, maps, structs: their values come as strings.
                return HiveColumn(name: name, typeName: "COMPLEX", precision: nil, scale: nil)
            }
            let id = Int(primitive[1]?.int ?? -1)
            var precision: Int?, scale: Int?
            if case let .map(_, _, pairs)? = primitive[2]?[1] {
                for (key, value) in pairs {
                    if key.string == "precision" { precision = value[1]?.int.map(Int.init) }
                    if key.string == "scale" { scale = value[1]?.int.map(Int.init) }
                }
            }
            let typeName = id >= 0 && id < HiveConnection.typeNames.count ? HiveConnection.typeNames[id] : "TYPE_\(id)"
            return HiveColumn(name: name, typeName: typeName, precision: precision, scale: scale)
        }
    }

    /// `TTypeId` names in order.
    static let typeNames = [
        "BOOLEAN", "TINYINT", "SMALLINT", "INT", "BIGINT", "FLOAT", "DOUBLE", "STRING", "TIMESTAMP", "BINARY", "ARRAY", "MAP",
        "STRUCT", "UNION", "USER_DEFINED", "DECIMAL", "NULL", "DATE", "VARCHAR", "CHAR", "INTERVAL_YEAR_MONTH",
        "INTERVAL_DAY_TIME", "TIMESTAMP_LOCAL_TZ",
    ]

    /// The next rows of a result (FetchResults, FETCH_NEXT), at most
    /// `maxRows`; an empty batch is the end of the result.
    public func fetch(_ operation: HiveOperation, maxRows: Int = 10_000) throws -> [[HiveValue]] {
        let response = try call("FetchResults", ThriftStruct([(1, operation.handle), (2, .i32(0)), (3, .i64(Int64(maxRows)))]),
                                statement: operation.statement)
        guard let rowSet = response[3] else { return [] }
        return try HiveConnection.rows(of: rowSet)
    }

    /// The rows of a whole FetchResults reply message (the decoding path of
    /// `fetch`, from memory: fuzzed by the tests).
    public static func decodeFetchReply(_ bytes: [UInt8], limits: ThriftLimits = ThriftLimits()) throws -> [[HiveValue]] {
        let reader = ThriftReader(source: MemoryByteSource(bytes), limits: limits)
        let header = try reader.readMessageHeader()
        guard header.type == 2 else { throw ThriftError.malformed("message type \(header.type)") }
        guard let success = try reader.readStruct()[0], case .struct = success else {
            throw ThriftError.malformed("FetchResults reply without a result")
        }
        try check(success[1], statement: nil)
        guard let rowSet = success[3] else { return [] }
        return try rows(of: rowSet)
    }

    /// The rows of a `TRowSet`: columnar (V6+: one `TColumn` per column,
    /// with a NULL bitmap, bit i of byte i/8 for row i) or row-based.
    static func rows(of rowSet: ThriftValue) throws -> [[HiveValue]] {
        if let columns = rowSet[3]?.elements, !columns.isEmpty {
            let decoded = try columns.map(column)
            let count = decoded[0].count
            guard decoded.allSatisfy({ $0.count == count }) else { throw ThriftError.malformed("columns of different lengths") }
            return (0..<count).map { i in decoded.map { $0[i] } }
        }
        guard let rows = rowSet[2]?.elements else { return [] }
        return try rows.map { row in
            guard let values = row[1]?.elements else { throw ThriftError.malformed("a row without values") }
            return try values.map { cell in
                guard case let .struct(fields) = cell, let (kind, wrapper) = fields.first, fields.count == 1 else {
                    throw ThriftError.malformed("a column value that is not a union")
                }
                guard let value = wrapper[1] else { return .null }
                return try scalar(value, kind: kind)
            }
        }
    }

    private static func column(_ union: ThriftValue) throws -> [HiveValue] {
        guard case let .struct(fields) = union, fields.count == 1, let (kind, body) = fields.first else {
            throw ThriftError.malformed("a column that is not a union of one field")
        }
        guard let values = body[1]?.elements else { throw ThriftError.malformed("a column without values") }
        let nulls = body[2]?.bytes ?? []
        var out: [HiveValue] = []
        out.reserveCapacity(values.count)
        for (i, value) in values.enumerated() {
            let byte = i / 8
            if byte < nulls.count, nulls[byte] & (1 << UInt8(i % 8)) != 0 {
                out.append(.null)
            } else {
                out.append(try scalar(value, kind: kind))
            }
        }
        return out
    }

    /// A value of union member `kind` (1 bool, 2 byte, 3 i16, 4 i32, 5 i64, 6 double, 7 string, 8 binary).
    private static func scalar(_ value: ThriftValue, kind: Int16) throws -> HiveValue {
        switch (kind, value) {
        case let (1, .bool(b)): return .bool(b)
        case (2...5, _):
            guard let i = value.int else { break }
            return .int(i)
        case let (6, .double(d)): return .double(d)
        case let (7, .binary(b)): return .string(String(decoding: b, as: UTF8.self))
        case let (8, .binary(b)): return .binary(b)
        default: break
        }
        throw ThriftError.malformed("a value of type \(value.type) in column kind \(kind)")
    }

    /// Runs a query to its end and returns its columns and every row (small results).
    public func query(_ sql: String, timeout: Duration? = nil) throws -> (columns: [HiveColumn], rows: [[HiveValue]]) {
        let operation = try execute(sql, timeout: timeout)
        defer { try? closeOperation(operation) }
        let columns = try self.columns(of: operation)
        var rows: [[HiveValue]] = []
        while true {
            let batch = try fetch(operation)
            if batch.isEmpty { break }
            rows += batch
        }
        return (columns, rows)
    }
}
