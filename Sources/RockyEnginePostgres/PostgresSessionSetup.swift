/// SQL run on every new PostgreSQL session of the backend, after its own
/// set-up (search_path, timeouts): the helper functions the PostgreSQL
/// dialect calls (in `pg_temp`) and the keyed-hash masking key.
///
/// Placeholder until the PostgreSQL dialect work lands: it needs no helper
/// yet, so it returns no statement. `PostgresBackend.setUpSession` is its one
/// call site.
public enum PostgresSessionSetup {
    public static func statements(maskingKey: [UInt8]?) -> [String] { [] }
}
