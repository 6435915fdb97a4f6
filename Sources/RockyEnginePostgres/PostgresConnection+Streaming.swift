import CPostgres

/// Results that do not fit in memory: rows one at a time (libpq's single-row
/// mode) and COPY in both directions, in chunks.
extension PostgresConnection {
    /// Runs one statement and hands its rows to `row` one at a time, as they
    /// arrive: libpq keeps one row (plus its input buffer), never the whole
    /// result. Returns the number of rows handed.
    ///
    /// When `row` throws, the statement is canceled, the rest of its result
    /// discarded, and the error rethrown; the connection stays usable.
    @discardableResult
    public func query(_ sql: String, _ parameters: [PostgresValue] = [], row body: (PostgresRow) throws -> Void) throws -> Int {
        cancelHandle.beginStatement()
        let sent = try withParameters(parameters, sql: sql) { types, values in
            timed(command: true) { PQsendQueryParams(handle, sql, Int32(parameters.count), types, values, nil, nil, 0) }
        }
        guard sent == 1 else { throw failure(nil, sql: sql) }
        guard PQsetSingleRowMode(handle) == 1 else {
            drainResults()
            throw PostgresError(kind: .client, message: "cannot stream: single-row mode refused", sql: sql)
        }
        var columns: [PostgresColumn]?
        var count = 0
        var serverError: PostgresError?
        var stopped: (any Error)?
        while let result = timed({ PQgetResult(handle) }) {
            defer { PQclear(result) }
            let status = PQresultStatus(result)
            switch status {
            case PGRES_SINGLE_TUPLE:
                countReceived(result)
                guard stopped == nil, serverError == nil else { continue }
                let rowColumns = columns ?? self.columns(of: result)
                columns = rowColumns
                do {
                    try body(PostgresRow(columns: rowColumns, values: try row(result, 0, rowColumns)))
                    count += 1
                } catch {
                    stopped = error
                    try? cancelHandle.cancelStatement()
                }
            case PGRES_TUPLES_OK, PGRES_COMMAND_OK:
                break
            case PGRES_COPY_IN, PGRES_COPY_OUT:
                abandonCopy(status)
                throw PostgresError(kind: .client, message: "a COPY runs through copyIn or copyOut, not query", sql: sql)
            default:
                if serverError == nil { serverError = failure(result, sql: sql) }
            }
        }
        if let stopped { throw stopped }
        if let serverError { throw serverError }
        return count
    }

    /// Runs `COPY ... FROM STDIN` (text, CSV or binary, as `sql` says) and
    /// sends the chunks `next` returns until it returns nil; a chunk need not
    /// end at a row boundary. Returns the number of rows copied.
    ///
    /// When `next` throws, the COPY is aborted (the server rolls it back) and
    /// the error rethrown.
    @discardableResult
    public func copyIn(_ sql: String, chunks next: () throws -> [UInt8]?) throws -> Int {
        try startCopy(sql, expecting: PGRES_COPY_IN)
        var sendFailed = false
        do {
            while let chunk = try next() {
                guard !chunk.isEmpty else { continue }
                let sent = timed {
                    chunk.withUnsafeBufferPointer { buffer in
                        buffer.withMemoryRebound(to: CChar.self) { PQputCopyData(handle, $0.baseAddress, Int32($0.count)) }
                    }
                }
                traffic.bytesSent += chunk.count
                // -1: the server already failed the COPY; its error comes with the result.
                if sent != 1 { sendFailed = true; break }
            }
        } catch {
            PQputCopyEnd(handle, "aborted by the client: \(error)")
            drainResults()
            throw error
        }
        if !sendFailed, timed({ PQputCopyEnd(handle, nil) }) != 1 { sendFailed = true }
        let rows = try timed { try finishCommand(sql) }
        traffic.rowsSent += rows
        return rows
    }

    /// `copyIn` over a sequence of chunks.
    @discardableResult
    public func copyIn<Chunks: Sequence<[UInt8]>>(_ sql: String, chunks: Chunks) throws -> Int {
        var iterator = chunks.makeIterator()
        return try copyIn(sql) { iterator.next() }
    }

    /// Runs `COPY (query) TO STDOUT` and hands its output to `handler` in
    /// chunks of about 64 KiB, as it arrives (whole rows per chunk). Returns
    /// the number of rows copied.
    ///
    /// When `handler` throws, the COPY is canceled and the error rethrown.
    @discardableResult
    public func copyOut(_ sql: String, _ handler: ([UInt8]) throws -> Void) throws -> Int {
        try startCopy(sql, expecting: PGRES_COPY_OUT)
        let chunkSize = 64 * 1024
        var chunk: [UInt8] = []
        chunk.reserveCapacity(chunkSize + 1024)
        var stopped: (any Error)?
        func flush() {
            guard stopped == nil, !chunk.isEmpty else { chunk.removeAll(keepingCapacity: true); return }
            do { try handler(chunk) } catch {
                stopped = error
                try? cancelHandle.cancelStatement()
            }
            chunk.removeAll(keepingCapacity: true)
        }
        while true {
            var buffer: UnsafeMutablePointer<CChar>?
            let n = timed { PQgetCopyData(handle, &buffer, 0) }
            // -1: done; -2: failed, the error comes with the result.
            guard n > 0, let buffer else { break }
            traffic.bytesReceived += Int(n)
            if stopped == nil {
                buffer.withMemoryRebound(to: UInt8.self, capacity: Int(n)) {
                    chunk.append(contentsOf: UnsafeBufferPointer(start: $0, count: Int(n)))
                }
            }
            PQfreemem(buffer)
            if chunk.count >= chunkSize { flush() }
        }
        flush()
        let count: Int
        do {
            count = try timed { try finishCommand(sql) }
            traffic.rowsReceived += count
        } catch {
            if let stopped { throw stopped }
            throw error
        }
        if let stopped { throw stopped }
        return count
    }

    /// Sends a COPY statement and checks the server went into the expected COPY state.
    private func startCopy(_ sql: String, expecting: ExecStatusType) throws(PostgresError) {
        cancelHandle.beginStatement()
        guard let result = timed(command: true, { PQexec(handle, sql) }) else { throw failure(nil, sql: sql) }
        let status = PQresultStatus(result)
        if status == expecting { PQclear(result); return }
        let error: PostgresError
        switch status {
        case PGRES_COPY_IN, PGRES_COPY_OUT, PGRES_COMMAND_OK, PGRES_TUPLES_OK:
            let wanted = expecting == PGRES_COPY_IN ? "COPY ... FROM STDIN" : "COPY ... TO STDOUT"
            error = PostgresError(kind: .client, message: "not a \(wanted) statement", sql: sql)
        default:
            error = failure(result, sql: sql)
        }
        PQclear(result)
        if status == PGRES_COPY_IN || status == PGRES_COPY_OUT { abandonCopy(status) } else { drainResults() }
        throw error
    }

    /// Reads the results that end a command: its row count, or its error.
    private func finishCommand(_ sql: String) throws(PostgresError) -> Int {
        var count: Int?
        var error: PostgresError?
        while let result = PQgetResult(handle) {
            let status = PQresultStatus(result)
            if status == PGRES_COMMAND_OK {
                count = Int(String(cString: PQcmdTuples(result))) ?? 0
            } else if status == PGRES_COPY_IN || status == PGRES_COPY_OUT {
                PQclear(result)
                abandonCopy(status)
                break
            } else if error == nil {
                error = failure(result, sql: sql)
            }
            PQclear(result)
        }
        if let error { throw error }
        guard let count else { throw failure(nil, sql: sql) }
        return count
    }
}
