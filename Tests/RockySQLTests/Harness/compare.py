"""Runs Rocky's emitted SQL on SQLite and on DuckDB and compares the results.

Usage: python compare.py <input.json>

The input holds the fixture directory, the tables (name and Rocky column
types) and the statements (name, SQLite SQL, DuckDB SQL, result columns with
Rocky types, whether row order matters). SQLite is loaded following Rocky's
SQLite representation contract (Docs/sql.md): BOOLEAN 0/1, DECIMAL(p,s) as the
INTEGER value*10^s, DATE as days since 1970-01-01, TIMESTAMP as microseconds
since 1970-01-01T00:00:00Z, with reference implementations of the rocky_*
helper functions registered. DuckDB uses native types. SQLite results are
converted back by the Rocky types and must keep the representation (a DECIMAL
that comes back as REAL is an error), then both sides are compared: exactly,
except DOUBLE within a relative 1e-9.

Prints one JSON document: {"results": [{"name", "ok", "message"}]}. Exits 0
when it ran (whatever the comparisons say), 2 when it could not run.
"""
import csv
import datetime as dt
import decimal
import functools
import hashlib
import json
import math
import re
import sqlite3
import sys

try:
    import duckdb
except ImportError:
    print(json.dumps({"error": "the duckdb Python module is not installed for " + sys.executable +
                      "; create the venv with `python3 -m venv build/venv && build/venv/bin/pip install duckdb` "
                      "and set ROCKY_PYTHON=build/venv/bin/python (make test does this)"}))
    sys.exit(2)

decimal.getcontext().prec = 80
EPOCH_DATE = dt.date(1970, 1, 1)
EPOCH = dt.datetime(1970, 1, 1)
INT64 = (-(2 ** 63), 2 ** 63 - 1)


def decimal_scale(rocky_type):
    m = re.fullmatch(r"DECIMAL\((\d+),(\d+)\)", rocky_type)
    return int(m.group(2)) if m else None


def is_wide(rocky_type):
    """DECIMAL(p,s) with p > 18: a 16-byte BLOB in SQLite (big-endian units, sign bit flipped)."""
    m = re.fullmatch(r"DECIMAL\((\d+),(\d+)\)", rocky_type)
    return bool(m) and int(m.group(1)) > 18


def wide_bytes(units):
    return ((units + 2 ** 127) % 2 ** 128).to_bytes(16, "big")


def dec_units(x):
    """A DECIMAL's units from either SQLite form (INTEGER or the 16-byte BLOB)."""
    if x is None or isinstance(x, int):
        return x
    if isinstance(x, bytes) and len(x) == 16:
        return int.from_bytes(x, "big") - 2 ** 127
    raise ValueError(f"a rocky_dec helper got {x!r}: not a DECIMAL's units")


def dec_result(units, form, position, what="the result"):
    if form:
        if abs(units) > 10 ** 38 - 1:
            raise OverflowError(f"DECIMAL overflow: {what} has more than 38 digits (at {position})")
        return wide_bytes(units)
    if not INT64[0] <= units <= INT64[1]:
        raise OverflowError(f"DECIMAL overflow: {what} does not fit 64 bits (at {position})")
    return units


def _round_div(n, d, mode=0):
    """n / d rounded half away from zero (0), toward zero (1), down (2) or up (3)."""
    q, r = divmod(abs(n), abs(d))
    negative = (n < 0) != (d < 0)
    if mode == 0 and 2 * r >= abs(d) or mode == 2 and negative and r or mode == 3 and not negative and r:
        q += 1
    return -q if negative else q


def rocky_dec_add(a, b, form, position):
    a, b = dec_units(a), dec_units(b)
    return None if a is None or b is None else dec_result(a + b, form, position)


def rocky_dec_sub(a, b, form, position):
    a, b = dec_units(a), dec_units(b)
    return None if a is None or b is None else dec_result(a - b, form, position)


def rocky_dec_muldiv(a, b, e, c, form, position):
    a, b, c = dec_units(a), dec_units(b), dec_units(c)
    if None in (a, b, c) or c == 0:
        return None
    n, d = (a * b * 10 ** e, c) if e >= 0 else (a * b, c * 10 ** -e)
    return dec_result(_round_div(n, d), form, position)


def rocky_dec_rescale(x, e, mode, form, position):
    x = dec_units(x)
    if x is None:
        return None
    return dec_result(x * 10 ** e if e >= 0 else _round_div(x, 10 ** -e, mode), form, position)


def rocky_dec_mod(a, b, form):
    a, b = dec_units(a), dec_units(b)
    if a is None or b is None or b == 0:
        return None
    r = abs(a) % abs(b)
    return dec_result(-r if a < 0 else r, form, "")


def rocky_dec_neg(x):
    u = dec_units(x)
    return None if u is None else (wide_bytes(-u) if isinstance(x, bytes) else -u)


def rocky_dec_abs(x):
    u = dec_units(x)
    return None if u is None else (wide_bytes(abs(u)) if isinstance(x, bytes) else abs(u))


def rocky_dec_sign(x):
    u = dec_units(x)
    return None if u is None else (u > 0) - (u < 0)


def rocky_dec_double(x, scale):
    u = dec_units(x)
    return None if u is None else float(f"{u}e-{scale}")


class DecimalSum:
    """rocky_dec_sum(x[, line, column]): the exact SUM of DECIMAL units, a wide DECIMAL(38,s)."""

    def __init__(self):
        self.n, self.total, self.position = 0, 0, ""

    def step(self, x, line=None, column=None):
        if x is None:
            return
        self.n, self.total = self.n + 1, self.total + dec_units(x)
        if line is not None:
            self.position = f"line {line}, column {column}"

    def inverse(self, x, line=None, column=None):
        if x is None:
            return
        self.n, self.total = self.n - 1, self.total - dec_units(x)

    def value(self):
        return None if self.n == 0 else dec_result(self.total, 1, self.position, "SUM")

    def finalize(self):
        return self.value()


class DecimalProductSum(DecimalSum):
    """rocky_dec_sum(x, y, line, column): the exact SUM of x·y, a wide DECIMAL(38,s)."""

    def step(self, x, y, line, column):
        if y is not None:
            super().step(x if x is None else dec_units(x) * dec_units(y), line, column)

    def inverse(self, x, y, line, column):
        if y is not None:
            super().inverse(x if x is None else dec_units(x) * dec_units(y), line, column)


def duck_type(rocky_type):
    return {"BOOLEAN": "BOOLEAN", "INTEGER": "BIGINT", "DOUBLE": "DOUBLE", "TEXT": "VARCHAR",
            "DATE": "DATE", "TIMESTAMP": "TIMESTAMP"}.get(rocky_type, rocky_type)


def sqlite_type(rocky_type):
    return {"DOUBLE": "REAL", "TEXT": "TEXT"}.get(rocky_type, "INTEGER")


def parse_timestamp(text):
    """Rocky's TIMESTAMP text: ISO 8601 with T or space, optional fraction, Z or offset or none."""
    t = text.strip().replace(" ", "T", 1)
    if t.endswith("Z") or t.endswith("z"):
        t = t[:-1] + "+00:00"
    value = dt.datetime.fromisoformat(t)
    if value.tzinfo is not None:
        value = value.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return value


def micros(value):
    delta = value - EPOCH
    return (delta.days * 86400 + delta.seconds) * 1_000_000 + delta.microseconds


def from_micros(n):
    return EPOCH + dt.timedelta(microseconds=n)


def parse_value(text, rocky_type):
    """CSV text to a Python value (Decimal, date, naive UTC datetime, ...)."""
    if text == "":
        return None
    if rocky_type == "INTEGER":
        return int(text)
    if rocky_type == "DOUBLE":
        return float(text)
    if rocky_type == "BOOLEAN":
        return {"true": True, "false": False, "t": True, "f": False, "1": True, "0": False}[text.lower()]
    if rocky_type == "DATE":
        return dt.date.fromisoformat(text)
    if rocky_type == "TIMESTAMP":
        return parse_timestamp(text)
    if decimal_scale(rocky_type) is not None:
        return decimal.Decimal(text)
    return text


def to_sqlite(value, rocky_type):
    """A Python value in Rocky's SQLite representation."""
    if value is None:
        return None
    if rocky_type == "BOOLEAN":
        return 1 if value else 0
    if rocky_type == "DATE":
        return (value - EPOCH_DATE).days
    if rocky_type == "TIMESTAMP":
        return micros(value)
    scale = decimal_scale(rocky_type)
    if scale is not None:
        units = value.scaleb(scale)
        if units != units.to_integral_value():
            raise ValueError(f"{value} has more than {scale} decimals")
        return wide_bytes(int(units)) if is_wide(rocky_type) else int(units)
    return value


# Reference implementations of the rocky_* helpers (Docs/sql.md).

def rocky_muldiv(a, b, c):
    for x in (a, b, c):
        if x is not None and not isinstance(x, int):
            raise ValueError(f"rocky_muldiv got a non-integer {x!r}: a DECIMAL passed through REAL")
    if a is None or b is None or c is None or c == 0:
        return None
    n = a * b
    q, r = divmod(abs(n), abs(c))
    if 2 * r >= abs(c):
        q += 1
    result = -q if (n < 0) != (c < 0) else q
    if not INT64[0] <= result <= INT64[1]:
        raise OverflowError("rocky_muldiv result does not fit 64 bits")
    return result


def rocky_muldiv4(a, b, e, c):
    """rocky_muldiv(a, b, e, c): a*b*10^e / c rounded half away from zero."""
    if None in (a, b, e, c) or c == 0:
        return None
    if e >= 0:
        return rocky_muldiv(a * b * 10 ** e, 1, c) if abs(a * b * 10 ** e) <= INT64[1] else _muldiv_big(a * b * 10 ** e, c)
    return _muldiv_big(a * b, c * 10 ** -e)


def _muldiv_big(n, c):
    q, r = divmod(abs(n), abs(c))
    if 2 * r >= abs(c):
        q += 1
    result = -q if (n < 0) != (c < 0) else q
    if not INT64[0] <= result <= INT64[1]:
        raise OverflowError("rocky_muldiv result does not fit 64 bits")
    return result


BOOLEAN_TEXT = {"true": 1, "t": 1, "yes": 1, "y": 1, "on": 1, "1": 1,
                "false": 0, "f": 0, "no": 0, "n": 0, "off": 0, "0": 0}


def rocky_cast(value, rocky_type, position):
    """Checked CAST of TEXT or REAL to INTEGER, DOUBLE, BOOLEAN or DECIMAL(p,s) (Docs/sql.md)."""
    if value is None:
        return None
    where = f" (cast at {position})"
    if isinstance(value, str):
        text = value.strip(" \t\n\r")
        if rocky_type == "INTEGER":
            if not re.fullmatch(r"[+-]?[0-9]+", text):
                raise ValueError(f"rocky_cast: invalid input for INTEGER: '{value}'" + where)
            if not INT64[0] <= int(text) <= INT64[1]:
                raise ValueError(f"rocky_cast: '{value}' is out of range for INTEGER" + where)
            return int(text)
        if rocky_type == "BOOLEAN":
            if text.lower() not in BOOLEAN_TEXT:
                raise ValueError(f"rocky_cast: invalid input for BOOLEAN: '{value}'" + where)
            return BOOLEAN_TEXT[text.lower()]
        if rocky_type == "DOUBLE":
            if not re.fullmatch(r"[+-]?(([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?|inf|infinity|nan)", text, re.I):
                raise ValueError(f"rocky_cast: invalid input for DOUBLE: '{value}'" + where)
            d = float(text)
            return None if math.isnan(d) else d
        raise ValueError("rocky_cast: unsupported " + rocky_type)
    if rocky_type == "INTEGER" and isinstance(value, int):
        return value
    d = float(value)
    if rocky_type == "DOUBLE":
        return d
    if rocky_type == "BOOLEAN":
        return int(d != 0)
    scale = 0 if rocky_type == "INTEGER" else decimal_scale(rocky_type)
    if not math.isfinite(d):
        raise ValueError(f"rocky_cast: '{d}' does not fit {rocky_type}" + where)
    scaled = d * 10.0 ** scale
    if is_wide(rocky_type):
        units = int(math.copysign(math.floor(abs(scaled) + 0.5), scaled))
        if abs(units) >= 10 ** int(re.match(r"DECIMAL\((\d+)", rocky_type).group(1)):
            raise ValueError(f"rocky_cast: '{d}' does not fit {rocky_type}" + where)
        return wide_bytes(units)
    units = int(math.copysign(math.floor(abs(scaled) + 0.5), scaled)) if abs(scaled) < 2.0 ** 63 else 2 ** 63
    precision = 19 if rocky_type == "INTEGER" else int(re.match(r"DECIMAL\((\d+)", rocky_type).group(1))
    if not INT64[0] <= units <= INT64[1] or (rocky_type != "INTEGER" and abs(units) >= 10 ** precision):
        raise ValueError(f"rocky_cast: '{d}' does not fit {rocky_type}" + where)
    return units


def rocky_from_text_at(text, rocky_type, position):
    try:
        return rocky_from_text(text, rocky_type)
    except Exception as e:
        raise ValueError(f"rocky_from_text: {text!r} is not a {rocky_type} (cast at {position})") from e


def rocky_scalar(rows, value, position):
    if rows > 1:
        raise ValueError(f"more than one row returned by a subquery used as an expression (subquery at {position})")
    return value


def rocky_recursion_limit(rows, limit, cte):
    if rows > limit:
        raise ValueError(f"WITH RECURSIVE '{cte}' produced more than {limit} rows (a recursion that does not end?)")
    return 1


def rocky_log10(x):
    return None if x is None or x <= 0 else math.log10(x)


def rocky_upper(text):
    return None if text is None else text.upper()


def rocky_lower(text):
    return None if text is None else text.lower()


class ExactVariance:
    """rocky_exact_var_samp(units, scale) and friends: exact sums n, sum(u), sum(u*u);
    float(n*sum(u*u) - sum(u)**2, correctly rounded, at 10^-2*scale) over n(n-1) or n*n."""
    kind = "var_samp"

    def __init__(self):
        self.n, self.s, self.q, self.scale = 0, 0, 0, 0

    def step(self, u, scale):
        if u is None:
            return
        u = dec_units(u)
        self.n, self.s, self.q, self.scale = self.n + 1, self.s + u, self.q + u * u, scale

    def inverse(self, u, scale):
        if u is None:
            return
        u = dec_units(u)
        self.n, self.s, self.q = self.n - 1, self.s - u, self.q - u * u

    def value(self):
        sample = self.kind.endswith("samp")
        if self.n <= (1 if sample else 0):
            return None
        numerator = float(f"{self.n * self.q - self.s * self.s}e-{2 * self.scale}")
        variance = numerator / (float(self.n) * float(self.n - 1 if sample else self.n))
        return math.sqrt(variance) if self.kind.startswith("stddev") else variance

    def finalize(self):
        return self.value()


def exact_variance(kind):
    return type("ExactVariance_" + kind, (ExactVariance,), {"kind": kind})


class Welford:
    """rocky_var_samp and friends: Welford's sums, recomputed in two passes after a window frame drops a value."""
    kind = "var_samp"

    def __init__(self):
        self.values, self.stale = [], False
        self.n, self.mean, self.m2 = 0, 0.0, 0.0

    def step(self, x):
        if x is None:
            return
        self.values.append(x)
        if self.stale:
            return
        self.n += 1
        delta = x - self.mean
        self.mean += delta / self.n
        self.m2 += delta * (x - self.mean)

    def inverse(self, x):
        if x is None:
            return
        self.values.remove(x)
        self.stale = True

    def value(self):
        if self.stale:
            self.n = len(self.values)
            self.mean = sum(self.values) / self.n if self.n else 0.0
            self.m2 = sum((v - self.mean) * (v - self.mean) for v in self.values)
            self.stale = False
        sample = self.kind.endswith("samp")
        if self.n <= (1 if sample else 0):
            return None
        variance = max(self.m2, 0.0) / (self.n - 1 if sample else self.n)
        return math.sqrt(variance) if self.kind.startswith("stddev") else variance

    def finalize(self):
        return self.value()


def welford(kind):
    return type("Welford_" + kind, (Welford,), {"kind": kind})


def rocky_mask_hash(value):
    if value is None:
        return None
    return hashlib.sha256(str(value).encode("utf-8")).hexdigest()


def timestamp_text(value):
    text = value.strftime("%Y-%m-%d %H:%M:%S")
    if value.microsecond:
        text += ("." + f"{value.microsecond:06d}").rstrip("0")
    return text


def rocky_to_text(value, rocky_type):
    if value is None:
        return None
    if rocky_type == "DATE":
        return (EPOCH_DATE + dt.timedelta(days=value)).isoformat()
    if rocky_type == "TIMESTAMP":
        return timestamp_text(from_micros(value))
    scale = decimal_scale(rocky_type)
    if scale is None:
        raise ValueError("rocky_to_text: unsupported type " + rocky_type)
    value = dec_units(value)
    return str(decimal.Decimal(value).scaleb(-scale).quantize(decimal.Decimal(1).scaleb(-scale)))


def rocky_from_text(text, rocky_type):
    if text is None:
        return None
    if rocky_type == "DATE":
        return (dt.date.fromisoformat(text.strip()) - EPOCH_DATE).days
    if rocky_type == "TIMESTAMP":
        return micros(parse_timestamp(text))
    scale = decimal_scale(rocky_type)
    value = decimal.Decimal(text.strip()).quantize(decimal.Decimal(1).scaleb(-scale), rounding=decimal.ROUND_HALF_UP)
    units = int(value.scaleb(scale))
    if is_wide(rocky_type):
        if abs(units) > 10 ** 38 - 1:
            raise OverflowError(f"rocky_from_text: '{text}' has more than 38 digits at scale {scale} (DECIMAL overflow)")
        return wide_bytes(units)
    return units


def from_sqlite(value, rocky_type):
    """A SQLite result value read back by its Rocky type; checks the representation."""
    if value is None:
        return None
    if rocky_type == "DOUBLE":
        if not isinstance(value, (int, float)):
            raise ValueError(f"DOUBLE came back as {value!r}")
        return float(value)
    if rocky_type == "TEXT":
        if not isinstance(value, str):
            raise ValueError(f"TEXT came back as {value!r}")
        return value
    if is_wide(rocky_type):
        if not isinstance(value, bytes) or len(value) != 16:
            raise ValueError(f"{rocky_type} came back as {type(value).__name__} {value!r}, not a 16-byte BLOB")
        return decimal.Decimal(dec_units(value)).scaleb(-decimal_scale(rocky_type))
    if not isinstance(value, int):
        raise ValueError(f"{rocky_type} came back as {type(value).__name__} {value!r}, not INTEGER")
    if rocky_type == "BOOLEAN":
        if value not in (0, 1):
            raise ValueError(f"BOOLEAN came back as {value}")
        return bool(value)
    if rocky_type == "DATE":
        return EPOCH_DATE + dt.timedelta(days=value)
    if rocky_type == "TIMESTAMP":
        return from_micros(value)
    scale = decimal_scale(rocky_type)
    if scale is not None:
        return decimal.Decimal(value).scaleb(-scale)
    return value


def from_duckdb(value, rocky_type):
    if value is None:
        return None
    if rocky_type == "DOUBLE":
        return float(value)
    if decimal_scale(rocky_type) is not None:
        return decimal.Decimal(value)
    if rocky_type == "TIMESTAMP" and getattr(value, "tzinfo", None) is not None:
        return value.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return value


def same(a, b, rocky_type):
    if a is None or b is None:
        return a is None and b is None
    if rocky_type == "DOUBLE":
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)
    return a == b


def sort_key(row):
    return tuple((v is None, round(v, 6) if isinstance(v, float) else v if v is not None else 0) for v in row)


class StringAgg:
    """rocky_string_agg(value, separator, flags, key...): the values sorted by the keys (per key `a`/`d`, then `f`/`l`
    for NULLs first or last), ties by the value's UTF-8 bytes; a leading `u` keeps each value once; NULL for none."""

    def __init__(self):
        self.entries, self.separator, self.flags = [], "", ""

    def step(self, value, separator, flags, *keys):
        if value is None:
            return
        self.separator, self.flags = separator, flags
        self.entries.append((list(keys), value))

    def finalize(self):
        if not self.entries:
            return None
        flags = self.flags[1:] if self.flags.startswith("u") else self.flags

        def compare(a, b):
            for i, (x, y) in enumerate(zip(a[0], b[0])):
                descending, nulls_first = flags[2 * i] == "d", flags[2 * i + 1] == "f"
                if x is None or y is None:
                    if x is None and y is None:
                        continue
                    return -1 if (x is None) == nulls_first else 1
                if isinstance(x, str) != isinstance(y, str):
                    c = 1 if isinstance(x, str) else -1
                else:
                    xs, ys = (x.encode(), y.encode()) if isinstance(x, str) else (x, y)
                    c = (xs > ys) - (xs < ys)
                if c:
                    return -c if descending else c
            av, bv = a[1].encode(), b[1].encode()
            return (av > bv) - (av < bv)

        values, previous = [], None
        for _, value in sorted(self.entries, key=functools.cmp_to_key(compare)):
            if self.flags.startswith("u") and value == previous:
                continue
            values.append(value)
            previous = value
        return self.separator.join(values)


def load(tables, fixtures):
    lite = sqlite3.connect(":memory:")
    lite.create_function("rocky_muldiv", 3, rocky_muldiv, deterministic=True)
    lite.create_function("rocky_mask_hash", 1, rocky_mask_hash, deterministic=True)
    lite.create_function("rocky_to_text", 2, rocky_to_text, deterministic=True)
    lite.create_function("rocky_from_text", 2, rocky_from_text, deterministic=True)
    lite.create_function("rocky_from_text", 3, rocky_from_text_at, deterministic=True)
    lite.create_function("rocky_muldiv", 4, rocky_muldiv4, deterministic=True)
    lite.create_function("rocky_cast", 3, rocky_cast, deterministic=True)
    lite.create_function("rocky_scalar", 3, rocky_scalar, deterministic=True)
    lite.create_function("rocky_recursion_limit", 3, rocky_recursion_limit, deterministic=True)
    lite.create_function("rocky_upper", 1, rocky_upper, deterministic=True)
    lite.create_function("rocky_log10", 1, rocky_log10, deterministic=True)
    lite.create_function("rocky_lower", 1, rocky_lower, deterministic=True)
    for kind in ("var_samp", "var_pop", "stddev_samp", "stddev_pop"):
        lite.create_window_function("rocky_" + kind, 1, welford(kind))
        lite.create_window_function("rocky_exact_" + kind, 2, exact_variance(kind))
    lite.create_aggregate("rocky_string_agg", -1, StringAgg)
    for name, count, function in (("rocky_dec_add", 4, rocky_dec_add), ("rocky_dec_sub", 4, rocky_dec_sub),
                                  ("rocky_dec_muldiv", 6, rocky_dec_muldiv), ("rocky_dec_rescale", 5, rocky_dec_rescale),
                                  ("rocky_dec_mod", 3, rocky_dec_mod), ("rocky_dec_neg", 1, rocky_dec_neg),
                                  ("rocky_dec_abs", 1, rocky_dec_abs), ("rocky_dec_sign", 1, rocky_dec_sign),
                                  ("rocky_dec_double", 2, rocky_dec_double)):
        lite.create_function(name, count, function, deterministic=True)
    lite.create_function("rocky_dec_int", 1, dec_units, deterministic=True)
    lite.create_function("rocky_dec_blob", 1, lambda n: None if n is None else wide_bytes(n), deterministic=True)
    lite.create_window_function("rocky_dec_sum", 1, DecimalSum)
    lite.create_window_function("rocky_dec_sum", 3, DecimalSum)
    lite.create_window_function("rocky_dec_sum", 4, DecimalProductSum)
    duck = duckdb.connect(":memory:")
    duck.execute("SET TimeZone = 'UTC'")
    for table in tables:
        name, columns = table["name"], table["columns"]
        with open(f"{fixtures}/{name}.csv", newline="", encoding="utf-8") as f:
            reader = csv.reader(f)
            header = next(reader)
            if header != [c["name"] for c in columns]:
                raise ValueError(f"{name}.csv header {header} does not match the schema")
            rows = [[parse_value(text, c["type"]) for text, c in zip(row, columns)] for row in reader]
        lite.execute(f'CREATE TABLE "{name}" (' + ", ".join(f'"{c["name"]}" {sqlite_type(c["type"])}' for c in columns) + ")")
        lite.executemany(f'INSERT INTO "{name}" VALUES (' + ", ".join("?" for _ in columns) + ")",
                         [[to_sqlite(v, c["type"]) for v, c in zip(row, columns)] for row in rows])
        duck.execute(f'CREATE TABLE "{name}" (' + ", ".join(f'"{c["name"]}" {duck_type(c["type"])}' for c in columns) + ")")
        if rows:
            duck.executemany(f'INSERT INTO "{name}" VALUES (' + ", ".join("?" for _ in columns) + ")", rows)
    return lite, duck


def _closing(sql, i):
    """The index of the parenthesis closing the one at sql[i] (quotes skipped)."""
    depth, quote = 0, None
    for j in range(i, len(sql)):
        c = sql[j]
        if quote:
            quote = None if c == quote else quote
        elif c in "'\"":
            quote = c
        elif c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
            if depth == 0:
                return j
    raise ValueError("unbalanced parentheses")


def native_window_sums(sql):
    """`rocky_dec_sum(x, l, c) OVER (...)` as `rocky_dec_blob(SUM(rocky_dec_int(x)) OVER (...))`.

    CPython 3.11's sqlite3 crashes (a NULL instance) when SQLite asks a Python
    window function for the value of an empty frame (`ROWS BETWEEN 5 PRECEDING
    AND 1 PRECEDING` on a partition's first row), so the harness computes window
    SUMs of DECIMALs natively, in 64 bits: enough for the fixtures. Aggregate
    SUMs keep DecimalSum; the SQLCorpus harness checks sums past 64 bits."""
    name = "rocky_dec_sum("
    start = 0
    while (i := sql.find(name, start)) >= 0:
        open_at = i + len(name) - 1
        close_at = _closing(sql, open_at)
        rest = sql[close_at + 1:]
        if not rest.startswith(" OVER ("):
            start = close_at
            continue
        over_end = close_at + 1 + _closing(rest, len(" OVER "))
        depth, cuts = 0, []
        inner = sql[open_at + 1:close_at]
        for j, c in enumerate(inner):
            depth += c == "("
            depth -= c == ")"
            if c == "," and depth == 0:
                cuts.append(j)
        if len(cuts) == 3:
            # rocky_dec_sum(x, y, line, column): the SUM of x·y.
            argument = f"rocky_dec_int({inner[:cuts[0]]}) * rocky_dec_int({inner[cuts[0] + 1:cuts[1]]})"
        else:
            argument = f"rocky_dec_int({inner[:cuts[0]] if cuts else inner})"
        replacement = f"rocky_dec_blob(SUM({argument}){sql[close_at + 1:over_end + 1]})"
        sql = sql[:i] + replacement + sql[over_end + 1:]
        start = i + len(replacement)
    return sql


def compare(statement, lite, duck):
    columns = statement["columns"]
    types = [c["type"] for c in columns]
    names = [c["name"] for c in columns]
    try:
        cursor = lite.execute(native_window_sums(statement["sqlite"]))
        lite_names = [d[0] for d in cursor.description]
        lite_rows = [[from_sqlite(v, t) for v, t in zip(row, types)] for row in cursor.fetchall()]
    except Exception as e:
        return f"SQLite failed: {e}"
    try:
        result = duck.execute(statement["duckdb"])
        duck_names = [d[0] for d in result.description]
        duck_rows = [[from_duckdb(v, t) for v, t in zip(row, types)] for row in result.fetchall()]
    except Exception as e:
        return f"DuckDB failed: {e}"
    if lite_names != names:
        return f"SQLite column names {lite_names}, expected {names}"
    if duck_names != names:
        return f"DuckDB column names {duck_names}, expected {names}"
    if len(lite_rows) != len(duck_rows):
        return f"SQLite returned {len(lite_rows)} rows, DuckDB {len(duck_rows)}"
    if not statement.get("ordered"):
        lite_rows.sort(key=sort_key)
        duck_rows.sort(key=sort_key)
    for i, (a, b) in enumerate(zip(lite_rows, duck_rows)):
        for j, t in enumerate(types):
            if not same(a[j], b[j], t):
                return f"row {i + 1}, column {names[j]}: SQLite {a[j]!r}, DuckDB {b[j]!r}"
    if not lite_rows and statement.get("nonEmpty", True):
        return "no rows: the comparison proves nothing"
    expected = statement.get("expected")
    if expected is not None:
        got = [[None if v is None else str(v) for v in row] for row in lite_rows]
        if got != expected:
            return f"expected {expected}, got {got}"
    return None


def main():
    with open(sys.argv[1], encoding="utf-8") as f:
        spec = json.load(f)
    try:
        lite, duck = load(spec["tables"], spec["fixtures"])
        for sql in spec.get("setup", {}).get("sqlite", []):
            lite.execute(sql)
        for sql in spec.get("setup", {}).get("duckdb", []):
            duck.execute(sql)
    except Exception as e:
        print(json.dumps({"error": f"loading the fixtures failed: {e}"}))
        sys.exit(2)
    results = []
    for statement in spec["statements"]:
        message = compare(statement, lite, duck)
        results.append({"name": statement["name"], "ok": message is None, "message": message or ""})
    print(json.dumps({"results": results}))


if __name__ == "__main__":
    main()
