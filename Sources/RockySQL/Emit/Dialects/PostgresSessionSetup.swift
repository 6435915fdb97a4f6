/// What every new connection of the PostgreSQL backend runs before the first
/// statement: the session settings the emitted SQL and the value decoders
/// rely on, and the `pg_temp.rocky_*` helper functions the PostgreSQL
/// emitter calls (Docs/sql.md, "PostgreSQL"). The functions live in the
/// session's temporary schema, so they need no extension, no privilege
/// beyond a temporary table's, and vanish with the connection; the emitted
/// SQL names them `pg_temp.rocky_...` (PostgreSQL looks up functions in
/// `pg_temp` only when qualified).
///
/// Each helper gives exactly what Rocky's SQLite helper of the same purpose
/// gives (Sources/RockyEngineSQLite/SQLite), errors included: the checked
/// casts raise the same messages with the cast's position.
public enum PostgresSessionSetup {
    /// The statements to run, in order, on each new connection. `maskingKey`
    /// is the repository's masking key (`rocky_mask_hash` is HMAC-SHA-256
    /// under it, as on SQLite); nil gives plain SHA-256, as SQLite does for
    /// an engine opened without a key.
    public static func statements(maskingKey: [UInt8]?) -> [String] {
        settings + [maskHash(key: maskingKey)] + functions
    }

    /// The settings the SQL and the decoders assume (also made by
    /// `PostgresConnection` itself; repeated so the setup stands alone).
    static let settings = [
        "SET DateStyle = 'ISO, YMD'", "SET TimeZone = 'UTC'", "SET IntervalStyle = 'iso_8601'",
        "SET extra_float_digits = 3",
    ]

    // MARK: Keyed hash

    /// `pg_temp.rocky_mask_hash(v text) -> text`: 64 lowercase hex digits of
    /// HMAC-SHA-256 over the UTF-8 of v. HMAC(K, m) = H((K' ⊕ opad) ‖ H((K' ⊕
    /// ipad) ‖ m)) with K' the key zero-padded to 64 bytes (hashed first when
    /// longer, RFC 2104); built on the server's own `sha256(bytea)`, so no
    /// pgcrypto. The two padded keys are computed here for keys of up to 64
    /// bytes (the repository key is 64); a longer key is hashed on the server
    /// by a DO block that then creates the same function.
    static func maskHash(key: [UInt8]?) -> String {
        let head = "CREATE OR REPLACE FUNCTION pg_temp.rocky_mask_hash(v text) RETURNS text "
            + "LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS "
        guard let key else {
            return head + "$f$ SELECT encode(sha256(convert_to(v, 'UTF8')), 'hex') $f$"
        }
        if key.count > 64 {
            return """
                DO $do$
                DECLARE k bytea := sha256('\\x\(hex(key))'::bytea);
                        i bytea := decode(repeat('36', 64), 'hex');
                        o bytea := decode(repeat('5c', 64), 'hex');
                BEGIN
                  FOR n IN 0..31 LOOP
                    i := set_byte(i, n, get_byte(k, n) # 54);
                    o := set_byte(o, n, get_byte(k, n) # 92);
                  END LOOP;
                  EXECUTE format('\(head.replacingQuotes())$f$ SELECT encode(sha256(%L::bytea || sha256(%L::bytea || convert_to(v, ''UTF8''))), ''hex'') $f$', o, i);
                END
                $do$
                """
        }
        let padded = key + [UInt8](repeating: 0, count: 64 - key.count)
        let inner = padded.map { $0 ^ 0x36 }, outer = padded.map { $0 ^ 0x5c }
        return head + "$f$ SELECT encode(sha256('\\x\(hex(outer))'::bytea || sha256('\\x\(hex(inner))'::bytea "
            + "|| convert_to(v, 'UTF8'))), 'hex') $f$"
    }

    static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef")
        return String(bytes.flatMap { [digits[Int($0 >> 4)], digits[Int($0 & 15)]] })
    }

    // MARK: The other helpers

    /// The helpers other than the hash, one CREATE statement each. Their
    /// names and signatures are the ones `Dialect.postgres` emits (the
    /// `HelperFunction` cases of RockySQL whose dialect is PostgreSQL).
    static let functions: [String] = [
        // rocky_cast: TEXT -> INTEGER, as rocky_cast on SQLite: spaces, tabs and
        // line breaks around an optional sign and digits; nothing else (no
        // underscores or hex, which PostgreSQL 16 would take).
        """
        CREATE OR REPLACE FUNCTION pg_temp.rocky_cast_integer(t text, at text) RETURNS bigint
        LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $f$
        DECLARE n numeric;
        BEGIN
          IF t IS NULL THEN RETURN NULL; END IF;
          IF t !~ '^[ \\t\\n\\r]*[+-]?[0-9]+[ \\t\\n\\r]*$' THEN
            RAISE EXCEPTION 'rocky_cast: invalid input for INTEGER: ''%'' (cast at %)', t, at USING ERRCODE = '22P02';
          END IF;
          n := CAST(btrim(t, E' \\t\\n\\r') AS numeric);
          IF n < -9223372036854775808 OR n > 9223372036854775807 THEN
            RAISE EXCEPTION 'rocky_cast: ''%'' is out of range for INTEGER (cast at %)', t, at USING ERRCODE = '22003';
          END IF;
          RETURN CAST(n AS bigint);
        END $f$
        """,
        // TEXT -> DOUBLE: a decimal number with an optional exponent, inf,
        // infinity or nan (NULL, as SQLite has no NaN); beyond the range of a
        // double: infinity, below it: zero (as strtod, where PostgreSQL errs).
        """
        CREATE OR REPLACE FUNCTION pg_temp.rocky_cast_double(t text, at text) RETURNS double precision
        LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $f$
        DECLARE s text; n numeric;
        BEGIN
          IF t IS NULL THEN RETURN NULL; END IF;
          s := lower(btrim(t, E' \\t\\n\\r'));
          IF s ~ '^[+-]?(inf|infinity)$' THEN
            RETURN CASE WHEN left(s, 1) = '-' THEN '-Infinity'::float8 ELSE 'Infinity'::float8 END;
          ELSIF s ~ '^[+-]?nan$' THEN
            RETURN NULL;
          ELSIF s !~ '^[+-]?([0-9]+[.]?[0-9]*|[.][0-9]+)(e[+-]?[0-9]+)?$' THEN
            RAISE EXCEPTION 'rocky_cast: invalid input for DOUBLE: ''%'' (cast at %)', t, at USING ERRCODE = '22P02';
          END IF;
          n := CAST(s AS numeric);
          IF abs(n) >= 1.797693134862315807937289714053e308 THEN
            RETURN CASE WHEN n < 0 THEN '-Infinity'::float8 ELSE 'Infinity'::float8 END;
          ELSIF n <> 0 AND abs(n) <= 2.4703282292062327208828439643411e-324 THEN
            RETURN CASE WHEN n < 0 THEN '-0'::float8 ELSE 0::float8 END;
          END IF;
          RETURN CAST(s AS float8);
        END $f$
        """,
        // TEXT -> BOOLEAN: the twelve spellings in any case (PostgreSQL alone
        // would also take prefixes such as 'tr').
        """
        CREATE OR REPLACE FUNCTION pg_temp.rocky_cast_boolean(t text, at text) RETURNS boolean
        LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $f$
        DECLARE s text;
        BEGIN
          IF t IS NULL THEN RETURN NULL; END IF;
          s := lower(btrim(t, E' \\t\\n\\r'));
          IF s IN ('true', 't', 'yes', 'y', 'on', '1') THEN RETURN TRUE; END IF;
          IF s IN ('false', 'f', 'no', 'n', 'off', '0') THEN RETURN FALSE; END IF;
          RAISE EXCEPTION 'rocky_cast: invalid input for BOOLEAN: ''%'' (cast at %)', t, at USING ERRCODE = '22P02';
        END $f$
        """,
        // TEXT -> DECIMAL(p,s): rocky_from_text's decimal number (sign, digits,
        // one optional point, an optional exponent up to 76; at most 38
        // significant digits and 38 decimals), rounded half away from zero to
        // s places, and fitting 64 bits at that scale, as the SQLite
        // representation must; the caller's CAST checks the precision.
        """
        CREATE OR REPLACE FUNCTION pg_temp.rocky_from_text_decimal(t text, scale integer, at text, wide boolean DEFAULT FALSE) RETURNS numeric
        LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $f$
        DECLARE s text; m text[]; digits text; ex int; sc int; v numeric;
        BEGIN
          IF t IS NULL THEN RETURN NULL; END IF;
          s := btrim(t, E' \\t\\n\\r');
          m := regexp_match(s, '^[+-]?([0-9]*)(?:[.]([0-9]*))?(?:[eE]([+-]?[0-9]{1,6}))?$');
          IF m IS NULL OR coalesce(m[1], '') || coalesce(m[2], '') = '' THEN
            RAISE EXCEPTION 'rocky_from_text: ''%'' is not a decimal number (cast at %)', t, at USING ERRCODE = '22P02';
          END IF;
          digits := ltrim(coalesce(m[1], '') || coalesce(m[2], ''), '0');
          ex := CAST(coalesce(m[3], '0') AS int);
          sc := length(coalesce(m[2], '')) - ex;
          IF abs(ex) > 76 OR length(digits) > 38 OR sc > 38 OR (sc < 0 AND length(digits) - sc > 38) THEN
            RAISE EXCEPTION 'rocky_from_text: ''%'' is not a decimal number (cast at %)', t, at USING ERRCODE = '22P02';
          END IF;
          v := round(CAST(s AS numeric), scale);
          IF wide AND abs(v) * CAST('1e' || scale AS numeric) > CAST('1e38' AS numeric) - 1 THEN
            RAISE EXCEPTION 'rocky_from_text: ''%'' has more than 38 digits at scale % (DECIMAL overflow) (cast at %)', t, scale, at
              USING ERRCODE = '22003';
          END IF;
          IF NOT wide AND abs(v) * CAST('1e' || scale AS numeric) > 9223372036854775807 THEN
            RAISE EXCEPTION 'rocky_from_text: ''%'' does not fit 64 bits at scale % (DECIMAL overflow) (cast at %)', t, scale, at
              USING ERRCODE = '22003';
          END IF;
          RETURN v;
        END $f$
        """,
        // The date of exactly YYYY-MM-DD, NULL for other text or no such day.
        """
        CREATE OR REPLACE FUNCTION pg_temp.rocky_valid_date(s text) RETURNS date
        LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $f$
        DECLARE y int; m int; d int; first date;
        BEGIN
          IF s !~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$' THEN RETURN NULL; END IF;
          y := CAST(substr(s, 1, 4) AS int); m := CAST(substr(s, 6, 2) AS int); d := CAST(substr(s, 9, 2) AS int);
          IF m < 1 OR m > 12 OR d < 1 THEN RETURN NULL; END IF;
          first := make_date(y, m, 1);
          IF d > CAST(extract(day FROM first + interval '1 month' - interval '1 day') AS int) THEN RETURN NULL; END IF;
          RETURN first + (d - 1);
        END $f$
        """,
        // TEXT -> DATE: exactly YYYY-MM-DD (PostgreSQL alone would also take
        // 'today', 'Jan 5 2024', ...).
        """
        CREATE OR REPLACE FUNCTION pg_temp.rocky_from_text_date(t text, at text) RETURNS date
        LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $f$
        DECLARE d date;
        BEGIN
          IF t IS NULL THEN RETURN NULL; END IF;
          d := pg_temp.rocky_valid_date(btrim(t, E' \\t\\n\\r'));
          IF d IS NULL THEN
            RAISE EXCEPTION 'rocky_from_text: ''%'' is not a date (YYYY-MM-DD) (cast at %)', t, at USING ERRCODE = '22007';
          END IF;
          RETURN d;
        END $f$
        """,
        // TEXT -> TIMESTAMP: ISO 8601 with T or a space, 1-6 fraction digits,
        // Z, ±HH:MM or no zone meaning UTC; the UTC instant.
        """
        CREATE OR REPLACE FUNCTION pg_temp.rocky_from_text_timestamp(t text, at text) RETURNS timestamp
        LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $f$
        DECLARE s text; m text[]; d date; ts timestamp; off int;
        BEGIN
          IF t IS NULL THEN RETURN NULL; END IF;
          s := btrim(t, E' \\t\\n\\r');
          m := regexp_match(s, '^([0-9]{4}-[0-9]{2}-[0-9]{2})(?:[Tt ]([0-9]{2}):([0-9]{2}):([0-9]{2})(?:[.]([0-9]{1,6}))?(?:([Zz])|([+-])([0-9]{2}):([0-9]{2}))?)?$');
          d := pg_temp.rocky_valid_date(m[1]);
          IF d IS NOT NULL AND m[2] IS NULL THEN RETURN CAST(d AS timestamp); END IF;
          IF d IS NOT NULL AND CAST(m[2] AS int) < 24 AND CAST(m[3] AS int) < 60 AND CAST(m[4] AS int) < 60
             AND (m[8] IS NULL OR (CAST(m[8] AS int) < 24 AND CAST(m[9] AS int) < 60)) THEN
            ts := CAST(d AS timestamp) + make_interval(hours => CAST(m[2] AS int), mins => CAST(m[3] AS int))
                  + CAST(m[4] AS int) * interval '1 second'
                  + CAST(rpad(coalesce(m[5], '0'), 6, '0') AS int) * interval '1 microsecond';
            IF m[7] IS NOT NULL THEN
              off := CAST(m[8] AS int) * 60 + CAST(m[9] AS int);
              ts := ts - (CASE WHEN m[7] = '-' THEN -off ELSE off END) * interval '1 minute';
            END IF;
            RETURN ts;
          END IF;
          RAISE EXCEPTION 'rocky_from_text: ''%'' is not a timestamp (ISO 8601) (cast at %)', t, at USING ERRCODE = '22007';
        END $f$
        """,
        // DOUBLE -> TEXT as SQLite prints it (`%!.15g`): 15 significant
        // digits (PostgreSQL's float8 -> numeric is %.15g), exponent form
        // below 1e-4 and from 1e15, always a digit after the point, Inf.
        """
        CREATE OR REPLACE FUNCTION pg_temp.rocky_double_text(x double precision) RETURNS text
        LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $f$
        DECLARE n numeric; e int; d text; r text;
        BEGIN
          IF x = 'Infinity'::float8 THEN RETURN 'Inf'; END IF;
          IF x = '-Infinity'::float8 THEN RETURN '-Inf'; END IF;
          IF x = 'NaN'::float8 THEN RETURN NULL; END IF;
          n := CAST(x AS numeric);
          IF n = 0 THEN RETURN '0.0'; END IF;
          e := CAST(floor(log(abs(n))) AS int);
          -- log is rounded: make 10^e <= |n| < 10^(e+1) exact.
          IF abs(n) < CAST('1e' || e AS numeric) THEN e := e - 1; END IF;
          IF abs(n) >= CAST('1e' || (e + 1) AS numeric) THEN e := e + 1; END IF;
          d := rtrim(CAST(trunc(abs(n) * CAST('1e' || (14 - e) AS numeric)) AS text), '0');
          IF e < -4 OR e >= 15 THEN
            r := left(d, 1) || '.' || coalesce(nullif(substr(d, 2), ''), '0') || 'e'
                 || CASE WHEN e < 0 THEN '-' ELSE '+' END || CASE WHEN abs(e) < 10 THEN '0' ELSE '' END || abs(e);
          ELSIF e < 0 THEN
            r := '0.' || repeat('0', -e - 1) || d;
          ELSE
            IF length(d) < e + 1 THEN d := rpad(d, e + 1, '0'); END IF;
            r := left(d, e + 1) || '.' || coalesce(nullif(substr(d, e + 2), ''), '0');
          END IF;
          RETURN CASE WHEN n < 0 THEN '-' || r ELSE r END;
        END $f$
        """,
        // ROUND(DOUBLE, n) as SQLite's round: n = 0 adds 0.5 and truncates
        // (in double arithmetic); otherwise the 15 significant digits
        // rounded half away from zero (SQLite's printf rounding, which adds a
        // relative 3e-16, agrees with them).
        """
        CREATE OR REPLACE FUNCTION pg_temp.rocky_round(x double precision, places integer) RETURNS double precision
        LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $f$
        SELECT CASE
          WHEN x = 'NaN'::float8 OR abs(x) = 'Infinity'::float8 THEN x
          WHEN places = 0 THEN CASE WHEN abs(x) < 9223372036854775806 THEN sign(x) * trunc(abs(x) + 0.5) ELSE x END
          ELSE CAST(round(CAST(x AS numeric), places) AS double precision) END
        $f$
        """,
        // A DOUBLE rounded half away from zero, exactly (x - trunc(x) is exact).
        """
        CREATE OR REPLACE FUNCTION pg_temp.rocky_round_away(x double precision) RETURNS double precision
        LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $f$
        SELECT trunc(x) + CASE WHEN abs(x - trunc(x)) >= 0.5 THEN sign(x) ELSE 0 END
        $f$
        """,
        // SUBSTR as SQLite's: a negative start counts from the end, a
        // negative length takes the characters before the start.
        """
        CREATE OR REPLACE FUNCTION pg_temp.rocky_substr(s text, start bigint, count bigint) RETURNS text
        LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $f$
        DECLARE p1 bigint := start; p2 bigint := count; len bigint := length(s); neg boolean := false;
        BEGIN
          IF p2 < 0 THEN p2 := -p2; neg := true; END IF;
          IF p1 < 0 THEN
            p1 := p1 + len;
            IF p1 < 0 THEN p2 := p2 + p1; IF p2 < 0 THEN p2 := 0; END IF; p1 := 0; END IF;
          ELSIF p1 > 0 THEN
            p1 := p1 - 1;
          ELSIF p2 > 0 THEN
            p2 := p2 - 1;
          END IF;
          IF neg THEN
            p1 := p1 - p2;
            IF p1 < 0 THEN p2 := p2 + p1; p1 := 0; END IF;
          END IF;
          IF p1 >= len OR p2 <= 0 THEN RETURN ''; END IF;
          RETURN substr(s, CAST(p1 + 1 AS int), CAST(least(p2, len) AS int));
        END $f$
        """,
        """
        CREATE OR REPLACE FUNCTION pg_temp.rocky_substr(s text, start bigint) RETURNS text
        LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $f$
        SELECT pg_temp.rocky_substr(s, start, 2147483647)
        $f$
        """,
        // The math functions as SQLite's (C's): NULL where the result is not a
        // number, infinity on overflow and zero on underflow, where
        // PostgreSQL raises errors.
        """
        CREATE OR REPLACE FUNCTION pg_temp.rocky_sqrt(x double precision) RETURNS double precision
        LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $f$
        SELECT CASE WHEN x < 0 THEN NULL ELSE sqrt(x) END
        $f$
        """,
        """
        CREATE OR REPLACE FUNCTION pg_temp.rocky_ln(x double precision) RETURNS double precision
        LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $f$
        SELECT CASE WHEN x <= 0 THEN NULL ELSE ln(x) END
        $f$
        """,
        """
        CREATE OR REPLACE FUNCTION pg_temp.rocky_exp(x double precision) RETURNS double precision
        LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $f$
        SELECT CASE WHEN x > 709.782712893384 THEN 'Infinity'::float8 WHEN x < -745.1332191019411 THEN 0::float8
                    ELSE exp(x) END
        $f$
        """,
        """
        CREATE OR REPLACE FUNCTION pg_temp.rocky_power(x double precision, y double precision) RETURNS double precision
        LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $f$
        DECLARE odd boolean; l double precision;
        BEGIN
          IF x = 'NaN'::float8 OR y = 'NaN'::float8 THEN RETURN power(x, y); END IF;
          odd := y = trunc(y) AND abs(y) < 9007199254740992 AND CAST(y AS numeric) % 2 <> 0;
          IF x = 0 AND y < 0 THEN
            RETURN CASE WHEN odd AND CAST(x AS text) LIKE '-%' THEN '-Infinity'::float8 ELSE 'Infinity'::float8 END;
          END IF;
          IF x < 0 AND y <> trunc(y) AND abs(y) <> 'Infinity'::float8 THEN RETURN NULL; END IF;
          IF x <> 0 AND abs(x) <> 'Infinity'::float8 AND abs(y) <> 'Infinity'::float8 THEN
            l := y * ln(abs(x));
            IF l > 709.79 THEN
              RETURN CASE WHEN x < 0 AND odd THEN '-Infinity'::float8 ELSE 'Infinity'::float8 END;
            ELSIF l < -745.14 THEN
              RETURN CASE WHEN x < 0 AND odd THEN '-0'::float8 ELSE 0::float8 END;
            END IF;
          END IF;
          RETURN power(x, y);
        END $f$
        """,
    ]
}

private extension String {
    /// The text with each single quote doubled, for a literal inside a literal.
    func replacingQuotes() -> String {
        var out = ""
        for ch in self { out.append(ch); if ch == "'" { out.append("'") } }
        return out
    }
}
