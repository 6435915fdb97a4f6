/// What every new session of a Spark (or Databricks SQL) engine runs before
/// the first statement: the settings the emitted SQL relies on, and the
/// temporary SQL functions `rocky_*` the Spark emitter calls (Docs/sql.md,
/// "Spark SQL and Databricks"). Temporary functions need no privilege and
/// vanish with the session; Spark finds them by their bare name.
///
/// Each helper gives exactly what Rocky's SQLite helper of the same purpose
/// gives (Sources/RockyEngineSQLite/SQLite), errors included: the checked
/// casts raise (`raise_error`) the same messages with the cast's position.
/// The SQL is Spark's: string literals escape with a backslash, which also
/// makes `\t`, `\n` and `\r` the control characters.
public enum DatabricksSessionSetup {
    /// The statements to run, in order, on each new session. `maskingKey`
    /// is the repository's masking key (`rocky_mask_hash` is HMAC-SHA-256
    /// under it, as on SQLite); nil gives plain SHA-256.
    public static func statements(maskingKey: [UInt8]?) -> [String] {
        settings + [maskHash(key: maskingKey)] + functions
    }

    /// UTC, as Rocky's TIMESTAMP is (Spark's TIMESTAMP is an instant shown
    /// in the session's zone); ANSI mode, Spark 4's and Databricks SQL's
    /// default, said explicitly: integer overflow and bad casts are errors.
    static let settings = ["SET spark.sql.session.timeZone = UTC", "SET spark.sql.ansi.enabled = true"]

    // MARK: Keyed hash

    /// `rocky_mask_hash(v STRING) -> STRING`: 64 lowercase hex digits of
    /// HMAC-SHA-256 over the UTF-8 of v, built on Spark's `sha2`:
    /// H((K' ⊕ opad) ‖ H((K' ⊕ ipad) ‖ m)), K' the key zero-padded to 64
    /// bytes, or its SHA-256 when longer (RFC 2104), computed by Spark from
    /// the key's hex digits.
    static func maskHash(key: [UInt8]?) -> String {
        let head = "CREATE OR REPLACE TEMPORARY FUNCTION rocky_mask_hash(v STRING) RETURNS STRING RETURN "
        guard let key else { return head + "sha2(CAST(v AS BINARY), 256)" }
        let inner: String, outer: String
        if key.count > 64 {
            // 128 hex digits of K' (the key's SHA-256, zero-padded), each byte xor-ed by Spark.
            let padded = "rpad(sha2(unhex('\(PostgresSessionSetup.hex(key))'), 256), 128, '0')"
            func xor(_ pad: Int) -> String {
                "unhex(array_join(transform(sequence(0, 63), i -> lpad(hex(CAST(conv(substr(\(padded), 2 * i + 1, 2), 16, 10) AS INT) "
                    + "^ \(pad)), 2, '0')), ''))"
            }
            (inner, outer) = (xor(0x36), xor(0x5c))
        } else {
            let padded = key + [UInt8](repeating: 0, count: 64 - key.count)
            inner = "unhex('\(PostgresSessionSetup.hex(padded.map { $0 ^ 0x36 }))')"
            outer = "unhex('\(PostgresSessionSetup.hex(padded.map { $0 ^ 0x5c }))')"
        }
        return head + "sha2(concat(\(outer), unhex(sha2(concat(\(inner), CAST(v AS BINARY)), 256))), 256)"
    }

    // MARK: The other helpers

    /// Text without the spaces, tabs and line breaks around it (Rocky's casts trim exactly those).
    private static func trimmed(_ x: String) -> String { #"trim(BOTH ' \t\n\r' FROM \#(x))"# }

    /// ISO 8601: the date (group 1), then T, t or a space, the time with up to six fraction digits (2) and a zone (3).
    private static let timestampPattern =
        #"^([0-9]{4}-[0-9]{2}-[0-9]{2})(?:[Tt ]([0-9]{2}:[0-9]{2}:[0-9]{2}(?:[.][0-9]{1,6})?)([Zz]|[+-][0-9]{2}:[0-9]{2})?)?$"#

    /// A checked cast's error: `message` (SQL of a STRING) and the cast's position.
    private static func raise(_ message: String) -> String { "raise_error(concat(\(message), ' (cast at ', at, ')'))" }

    /// The helpers other than the hash, one CREATE statement each, callees first.
    static let functions: [String] = [
        // TEXT -> INTEGER: spaces, tabs and line breaks around an optional sign
        // and digits; nothing else (Spark alone would take '1.5' as 1 in some modes).
        #"""
        CREATE OR REPLACE TEMPORARY FUNCTION rocky_cast_integer(t STRING, at STRING) RETURNS BIGINT RETURN
        CASE WHEN t IS NULL THEN NULL
          WHEN NOT t RLIKE '^[ \t\n\r]*[+-]?[0-9]+[ \t\n\r]*$' THEN \#(raise(#"'rocky_cast: invalid input for INTEGER: \'', t, '\''"#))
          ELSE coalesce(try_cast(t AS BIGINT), \#(raise(#"'rocky_cast: \'', t, '\' is out of range for INTEGER'"#))) END
        """#,
        // TEXT -> DOUBLE: a decimal number with an optional exponent, inf,
        // infinity or nan (NULL, as SQLite has no NaN); beyond the range of a
        // double: infinity, below it: zero (Java's parseDouble, as strtod).
        #"""
        CREATE OR REPLACE TEMPORARY FUNCTION rocky_cast_double(t STRING, at STRING) RETURNS DOUBLE RETURN
        CASE WHEN t IS NULL THEN NULL
          WHEN lower(\#(trimmed("t"))) RLIKE '^[+-]?(inf|infinity)$'
            THEN CASE WHEN \#(trimmed("t")) LIKE '-%' THEN CAST('-Infinity' AS DOUBLE) ELSE CAST('Infinity' AS DOUBLE) END
          WHEN lower(\#(trimmed("t"))) RLIKE '^[+-]?nan$' THEN NULL
          WHEN lower(\#(trimmed("t"))) RLIKE '^[+-]?([0-9]+[.]?[0-9]*|[.][0-9]+)(e[+-]?[0-9]+)?$' THEN CAST(\#(trimmed("t")) AS DOUBLE)
          ELSE \#(raise(#"'rocky_cast: invalid input for DOUBLE: \'', t, '\''"#)) END
        """#,
        // TEXT -> BOOLEAN: the twelve spellings in any case.
        #"""
        CREATE OR REPLACE TEMPORARY FUNCTION rocky_cast_boolean(t STRING, at STRING) RETURNS BOOLEAN RETURN
        CASE WHEN t IS NULL THEN NULL
          WHEN lower(\#(trimmed("t"))) IN ('true', 't', 'yes', 'y', 'on', '1') THEN TRUE
          WHEN lower(\#(trimmed("t"))) IN ('false', 'f', 'no', 'n', 'off', '0') THEN FALSE
          ELSE \#(raise(#"'rocky_cast: invalid input for BOOLEAN: \'', t, '\''"#)) END
        """#,
        // Whether trimmed text is rocky_from_text's decimal number: sign, digits,
        // one optional point, an optional exponent up to 76; at most 38
        // significant digits and 38 decimals.
        #"""
        CREATE OR REPLACE TEMPORARY FUNCTION rocky_decimal_syntax(s STRING, digits STRING, ex INT, decimals INT) RETURNS BOOLEAN RETURN
        s RLIKE '^[+-]?[0-9]*([.][0-9]*)?([eE][+-]?[0-9]{1,6})?$' AND regexp_replace(regexp_replace(s, '[eE].*$', ''), '[^0-9]', '') <> ''
          AND abs(ex) <= 76 AND length(digits) <= 38 AND decimals - ex <= 38 AND (decimals - ex >= 0 OR length(digits) - decimals + ex <= 38)
        """#,
        // TEXT -> DECIMAL, at scale 19: the caller rounds it half away from zero
        // to its scale (where the scale is a literal, as Spark's round needs)
        // and checks that it fits 64 bits there. More than 19 integer digits
        // never fit: the same error.
        #"""
        CREATE OR REPLACE TEMPORARY FUNCTION rocky_from_text_decimal(t STRING, scale INT, at STRING) RETURNS DECIMAL(38,19) RETURN
        CASE WHEN t IS NULL THEN NULL
          WHEN NOT coalesce(rocky_decimal_syntax(\#(trimmed("t")),
                   trim(LEADING '0' FROM regexp_replace(regexp_replace(\#(trimmed("t")), '[eE].*$', ''), '[^0-9]', '')),
                   CAST(coalesce(nullif(regexp_extract(\#(trimmed("t")), '[eE]([+-]?[0-9]{1,6})$', 1), ''), '0') AS INT),
                   length(regexp_extract(\#(trimmed("t")), '[.]([0-9]*)', 1))), FALSE)
            THEN \#(raise(#"'rocky_from_text: \'', t, '\' is not a decimal number'"#))
          ELSE coalesce(try_cast(\#(trimmed("t")) AS DECIMAL(38,19)),
            \#(raise(#"'rocky_from_text: \'', t, '\' does not fit 64 bits at scale ', CAST(scale AS STRING), ' (DECIMAL overflow)'"#))) END
        """#,
        // TEXT -> DATE: exactly YYYY-MM-DD, a day that exists.
        #"""
        CREATE OR REPLACE TEMPORARY FUNCTION rocky_from_text_date(t STRING, at STRING) RETURNS DATE RETURN
        CASE WHEN t IS NULL THEN NULL
          ELSE coalesce(CASE WHEN \#(trimmed("t")) RLIKE '^[0-9]{4}-[0-9]{2}-[0-9]{2}$' THEN try_cast(\#(trimmed("t")) AS DATE) END,
            \#(raise(#"'rocky_from_text: \'', t, '\' is not a date (YYYY-MM-DD)'"#))) END
        """#,
        // The minutes east of UTC of an ISO 8601 zone ('', Z, ±HH:MM), NULL when not a zone.
        #"""
        CREATE OR REPLACE TEMPORARY FUNCTION rocky_zone_minutes(z STRING) RETURNS INT RETURN
        CASE WHEN z IN ('', 'Z', 'z') THEN 0
          WHEN CAST(substr(z, 2, 2) AS INT) < 24 AND CAST(substr(z, 5, 2) AS INT) < 60
            THEN (CASE WHEN z LIKE '-%' THEN -1 ELSE 1 END) * (CAST(substr(z, 2, 2) AS INT) * 60 + CAST(substr(z, 5, 2) AS INT)) END
        """#,
        // TEXT -> TIMESTAMP: ISO 8601 with T or a space, 1-6 fraction digits,
        // Z, ±HH:MM or no zone meaning UTC; the UTC instant.
        #"""
        CREATE OR REPLACE TEMPORARY FUNCTION rocky_from_text_timestamp(t STRING, at STRING) RETURNS TIMESTAMP RETURN
        CASE WHEN t IS NULL THEN NULL
          ELSE coalesce(CASE WHEN \#(trimmed("t")) RLIKE '\#(timestampPattern)' THEN
              timestampadd(MINUTE, - rocky_zone_minutes(regexp_extract(\#(trimmed("t")), '\#(timestampPattern)', 3)),
                try_cast(concat(regexp_extract(\#(trimmed("t")), '\#(timestampPattern)', 1), ' ',
                  coalesce(nullif(regexp_extract(\#(trimmed("t")), '\#(timestampPattern)', 2), ''), '00:00:00')) AS TIMESTAMP)) END,
            \#(raise(#"'rocky_from_text: \'', t, '\' is not a timestamp (ISO 8601)'"#))) END
        """#,
        // The text of a finite non-zero |x| as `%!.15g` prints it, from its 15
        // significant digits `m` and decimal exponent `e`: exponent form below
        // 1e-4 and from 1e15, always a digit after the point.
        #"""
        CREATE OR REPLACE TEMPORARY FUNCTION rocky_double_text_of(m STRING, e INT) RETURNS STRING RETURN
        CASE WHEN e < -4 OR e >= 15
            THEN concat(substr(m, 1, 1), '.', coalesce(nullif(regexp_replace(substr(m, 2), '0+$', ''), ''), '0'), 'e',
                        CASE WHEN e < 0 THEN '-' ELSE '+' END, lpad(CAST(abs(e) AS STRING), 2, '0'))
          WHEN e < 0 THEN concat('0.', repeat('0', - e - 1), regexp_replace(m, '0+$', ''))
          ELSE concat(substr(m, 1, e + 1), '.', coalesce(nullif(regexp_replace(substr(m, e + 2), '0+$', ''), ''), '0')) END
        """#,
        // DOUBLE -> TEXT as SQLite prints it (`%!.15g`), Inf and -Inf; NaN is NULL.
        #"""
        CREATE OR REPLACE TEMPORARY FUNCTION rocky_double_text(x DOUBLE) RETURNS STRING RETURN
        CASE WHEN x IS NULL OR isnan(x) THEN NULL
          WHEN x = CAST('Infinity' AS DOUBLE) THEN 'Inf' WHEN x = CAST('-Infinity' AS DOUBLE) THEN '-Inf'
          WHEN x = 0 THEN '0.0'
          ELSE concat(CASE WHEN x < 0 THEN '-' ELSE '' END,
                      rocky_double_text_of(regexp_replace(regexp_extract(format_string('%.14e', abs(x)), '^([0-9.]+)e', 1), '[.]', ''),
                                           try_cast(regexp_extract(format_string('%.14e', abs(x)), 'e([+-][0-9]+)$', 1) AS INT))) END
        """#,
        // ROUND(DOUBLE) as SQLite's: adds 0.5 to |x| and truncates, in double
        // arithmetic. (ROUND to n > 0 places is Spark's round of the value's 15
        // significant digits, `rocky_double_digits`.)
        #"""
        CREATE OR REPLACE TEMPORARY FUNCTION rocky_round(x DOUBLE) RETURNS DOUBLE RETURN
        CASE WHEN x IS NULL OR isnan(x) OR NOT abs(x) < 9223372036854775806.0D THEN x
          ELSE sign(x) * CAST(floor(abs(x) + 0.5D) AS DOUBLE) END
        """#,
        // The double nearest to x's 15 significant digits.
        #"""
        CREATE OR REPLACE TEMPORARY FUNCTION rocky_double_digits(x DOUBLE) RETURNS DOUBLE RETURN
        CASE WHEN x IS NULL OR isnan(x) OR abs(x) = CAST('Infinity' AS DOUBLE) THEN x
          ELSE CAST(format_string('%.14e', x) AS DOUBLE) END
        """#,
        // SUBSTR as SQLite's: a negative start counts from the end, position 0
        // is before the first character, a negative length takes the
        // characters before the start. `p1` is 0-based, `p2` a count.
        #"""
        CREATE OR REPLACE TEMPORARY FUNCTION rocky_substr_cut(s STRING, p1 BIGINT, p2 BIGINT) RETURNS STRING RETURN
        CASE WHEN p1 >= char_length(s) OR p2 <= 0 THEN '' ELSE substr(s, CAST(p1 + 1 AS INT), CAST(least(p2, char_length(s)) AS INT)) END
        """#,
        #"""
        CREATE OR REPLACE TEMPORARY FUNCTION rocky_substr_back(s STRING, p1 BIGINT, p2 BIGINT, back BOOLEAN) RETURNS STRING RETURN
        CASE WHEN NOT back THEN rocky_substr_cut(s, p1, p2) WHEN p1 < p2 THEN rocky_substr_cut(s, 0, p1)
          ELSE rocky_substr_cut(s, p1 - p2, p2) END
        """#,
        #"""
        CREATE OR REPLACE TEMPORARY FUNCTION rocky_substr(s STRING, start BIGINT, count BIGINT) RETURNS STRING RETURN
        CASE WHEN s IS NULL OR start IS NULL OR count IS NULL THEN NULL
          WHEN start < 0 AND start + char_length(s) < 0
            THEN rocky_substr_back(s, 0, greatest(abs(count) + start + char_length(s), 0), count < 0)
          WHEN start < 0 THEN rocky_substr_back(s, start + char_length(s), abs(count), count < 0)
          WHEN start > 0 THEN rocky_substr_back(s, start - 1, abs(count), count < 0)
          ELSE rocky_substr_back(s, 0, greatest(abs(count) - 1, 0), count < 0) END
        """#,
    ]
}
