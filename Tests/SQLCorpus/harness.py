"""The differential SQL harness: every corpus query run by Rocky, DuckDB and PostgreSQL.

Usage: python harness.py --rocky <rocky binary> [--only NAME]... [--keep]

Rocky runs the real CLI (`rocky --json sql -f <file>`, many queries per
process) on a repository holding the fixture tables (Fixtures/, imported as
the CLI tests import them). DuckDB (the `duckdb` module) and PostgreSQL (a
throw-away cluster this script starts itself: initdb into a temporary folder,
a Unix socket in that folder only, no TCP port; as the `postgres` OS user when
run as root) get the same tables with the types Rocky inferred.

Results are compared by Rocky's column types (the rules are in
differences.toml's header and Docs/sql.md, "The differential harness").
Every known, deliberate difference is listed in differences.toml with its
reason; a listed difference that no longer occurs is reported too, so the
list stays true.

Prints a report, one line per mismatch, and a summary line; exits 0 when
every comparison agrees, 1 on mismatches, 2 when it could not run.
"""
import argparse
import atexit
import csv
import datetime as dt
import decimal
import glob
import json
import math
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import tomllib

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
FIXTURES = os.path.join(ROOT, "Fixtures")

INSTALL = ("run `make test` (as root it installs everything), or: "
           "`apt-get install -y postgresql` and `build/venv/bin/pip install -r requirements-test.txt`")

try:
    import duckdb
    import psycopg
except ImportError as e:
    print(f"harness: cannot import {e.name} in {sys.executable}: {INSTALL}")
    sys.exit(2)

decimal.getcontext().prec = 80

# The fixture tables, imported as the CLI tests import them (key, time column).
TABLES = [
    ("prices", "symbol,ts", "ts"),
    ("positions", "account_id,symbol", None),
    ("risk_scores", "symbol", None),
    ("customers", "customer_id", None),
    ("accounts", "account_id", None),
    ("trades", "trade_id", "executed_at"),
]

ENGINES = ("duckdb", "postgres")


class HarnessError(Exception):
    pass


# ---------------------------------------------------------------- the corpus

class Query:
    def __init__(self, name, file, line, sql, ordered):
        self.name, self.file, self.line, self.sql, self.ordered = name, file, line, sql, ordered
        self.empty = self.error = False


def read_corpus():
    """Entries of queries/*.sql: `-- @name n`, optional `-- @ordered` (the ORDER BY is total: rows are
    compared in order), `-- @empty` (no rows is the right answer) and `-- @error` (every engine must
    refuse it: a cast that cannot hold its value, ...), then the SQL up to its `;`."""
    queries, names = [], set()
    for path in sorted(glob.glob(os.path.join(HERE, "queries", "*.sql"))):
        file = os.path.relpath(path, ROOT)
        current, lines = None, []

        def finish():
            if current is None:
                return
            sql = "\n".join(lines).strip()
            if sql.endswith(";"):
                sql = sql[:-1].rstrip()
            if not sql or ";" in sql.replace("';'", ""):
                raise HarnessError(f"{file}:{current.line}: entry {current.name} must hold one statement")
            current.sql = sql
            queries.append(current)

        with open(path, encoding="utf-8") as f:
            for number, line in enumerate(f.read().split("\n"), 1):
                if line.startswith("-- @name "):
                    finish()
                    name = line[9:].strip()
                    if name in names:
                        raise HarnessError(f"{file}:{number}: query name {name} is used twice")
                    names.add(name)
                    current, lines = Query(name, file, number, "", False), []
                elif line.strip() == "-- @ordered" and current is not None:
                    current.ordered = True
                elif line.strip() == "-- @empty" and current is not None:
                    current.empty = True
                elif line.strip() == "-- @error" and current is not None:
                    current.error = True
                elif current is not None:
                    lines.append(line)
        finish()
    return queries


def read_differences():
    """differences.toml: the harness settings and every known difference, by (query, engine)."""
    with open(os.path.join(HERE, "differences.toml"), "rb") as f:
        spec = tomllib.load(f)
    known = {}
    for entry in spec.get("difference", []):
        for field in ("queries", "engines", "reason"):
            if field not in entry:
                raise HarnessError(f"differences.toml: an entry lacks `{field}`: {entry}")
        for engine in entry["engines"]:
            if engine not in ENGINES + ("rocky", "emitted-duckdb", "emitted-postgres"):
                raise HarnessError(f"differences.toml: unknown engine {engine!r}")
            for name in entry["queries"]:
                known[(name, engine)] = entry["reason"]
    return spec, known


# ------------------------------------------------------------------- values

def decimal_scale(rocky_type):
    m = re.fullmatch(r"DECIMAL\((\d+),(\d+)\)", rocky_type)
    return int(m.group(2)) if m else None


def parse_timestamp(text):
    t = text.strip().replace(" ", "T", 1)
    if t[-1:] in ("Z", "z"):
        t = t[:-1] + "+00:00"
    value = dt.datetime.fromisoformat(t)
    if value.tzinfo is not None:
        value = value.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return value


def parse_csv_value(text, rocky_type):
    if text == "":
        return None
    if rocky_type == "INTEGER":
        return int(text)
    if rocky_type == "DOUBLE":
        return float(text)
    if rocky_type == "BOOLEAN":
        return text.lower() in ("true", "t", "1")
    if rocky_type == "DATE":
        return dt.date.fromisoformat(text)
    if rocky_type == "TIMESTAMP":
        return parse_timestamp(text)
    if decimal_scale(rocky_type) is not None:
        return decimal.Decimal(text)
    return text


def rocky_value(value, rocky_type):
    """A value of Rocky's JSON output (numbers parsed as Decimal) as a Python value."""
    if value is None:
        return None
    if rocky_type == "DOUBLE":
        return float(value) if not isinstance(value, str) else float(value.replace("inf", "Infinity"))
    if rocky_type == "INTEGER":
        return int(value)
    if rocky_type == "DATE":
        return dt.date.fromisoformat(value)
    if rocky_type == "TIMESTAMP":
        return parse_timestamp(value)
    if decimal_scale(rocky_type) is not None:
        return decimal.Decimal(value)
    return value


def half_away(value, scale):
    return value.quantize(decimal.Decimal(1).scaleb(-scale), rounding=decimal.ROUND_HALF_UP)


FLOAT_REL, FLOAT_ABS = 1e-9, 1e-9


def normalize_reference(value, rocky_type):
    """A reference engine's value in the form Rocky's type gives, or raises ValueError when it cannot be one.

    Exact numbers stay exact (a reference DECIMAL with more places than
    Rocky's result scale is rounded half away from zero to that scale, since
    Rocky's contract is the exact value rounded once at its scale); an
    approximate reference value (float) stays a float and is compared with the
    float tolerance; a reference TIMESTAMP at midnight stands for a DATE (the
    engines give TIMESTAMP for DATE_TRUNC and DATE + INTERVAL, Rocky DATE).
    """
    if value is None:
        return None
    scale = decimal_scale(rocky_type)
    if rocky_type == "BOOLEAN":
        if not isinstance(value, bool):
            raise ValueError(f"{value!r} is not a BOOLEAN")
        return value
    if rocky_type in ("INTEGER", "DOUBLE") or scale is not None:
        if isinstance(value, bool) or not isinstance(value, (int, float, decimal.Decimal)):
            raise ValueError(f"{value!r} is not a number")
        if isinstance(value, float) or rocky_type == "DOUBLE":
            return float(value)
        if scale is not None and isinstance(value, decimal.Decimal) and value.is_finite() and -value.as_tuple().exponent > scale:
            return half_away(value, scale)
        return decimal.Decimal(value)
    if rocky_type == "DATE":
        if isinstance(value, dt.datetime):
            if value.tzinfo is not None:
                value = value.astimezone(dt.timezone.utc).replace(tzinfo=None)
            if value.time() != dt.time(0):
                raise ValueError(f"{value!r} is not a DATE")
            return value.date()
        if isinstance(value, dt.date):
            return value
        raise ValueError(f"{value!r} is not a DATE")
    if rocky_type == "TIMESTAMP":
        if isinstance(value, dt.datetime):
            return value.astimezone(dt.timezone.utc).replace(tzinfo=None) if value.tzinfo else value
        if isinstance(value, dt.date):
            return dt.datetime(value.year, value.month, value.day)
        raise ValueError(f"{value!r} is not a TIMESTAMP")
    if not isinstance(value, str):
        raise ValueError(f"{value!r} is not TEXT")
    return value


def same(a, b, rocky_type):
    if a is None or b is None:
        return a is None and b is None
    scale = decimal_scale(rocky_type)
    if scale is not None and isinstance(b, float) and math.isfinite(b):
        # Rocky's exact value rounded once at its scale against the float of
        # the exact value: at most half a unit of the last place apart.
        return abs(float(a) - b) <= 0.5 * 10.0 ** -scale + FLOAT_REL * abs(b) + 1e-12
    if rocky_type == "INTEGER" and isinstance(b, float):
        return abs(a - b) <= FLOAT_ABS  # an engine's float of a whole number is exact
    if isinstance(a, float) or isinstance(b, float):
        a, b = float(a), float(b)
        if math.isnan(a) or math.isnan(b):
            return math.isnan(a) and math.isnan(b)
        return a == b or math.isclose(a, b, rel_tol=FLOAT_REL, abs_tol=FLOAT_ABS)
    return a == b


def sort_key(row):
    key = []
    for v in row:
        if v is None:
            key.append((1, 0, ""))
        elif isinstance(v, (int, float, decimal.Decimal)) and not isinstance(v, bool):
            f = float(v)
            key.append((0, float(f"{f:.9g}") if math.isfinite(f) else f, ""))
        else:
            key.append((0, 0, str(v)))
    return tuple(key)


def show(v):
    if isinstance(v, decimal.Decimal):
        return str(v)
    if isinstance(v, (dt.date, dt.datetime)):
        return v.isoformat()
    return repr(v)


def compare_rows(query, rocky, reference):
    """None when the rows agree, else what differs."""
    types = rocky["types"]
    rows = reference["rows"]
    if reference["width"] != len(types):
        return f"{reference['width']} columns, Rocky {len(types)}"
    try:
        ref = [[normalize_reference(v, t) for v, t in zip(row, types)] for row in rows]
    except ValueError as e:
        return f"value of another type than Rocky's: {e}"
    mine = rocky["rows"]
    if len(ref) != len(mine):
        return f"{len(ref)} rows, Rocky {len(mine)}"
    if not query.ordered:
        ref, mine = sorted(ref, key=sort_key), sorted(mine, key=sort_key)
    for i, (a, b) in enumerate(zip(mine, ref)):
        for j, t in enumerate(types):
            if not same(a[j], b[j], t):
                where = f"row {i + 1}" if query.ordered else f"sorted row {i + 1}"
                return f"{where}, column {rocky['names'][j]} ({t}): Rocky {show(a[j])}, engine {show(b[j])}"
    return None


# -------------------------------------------------------------------- Rocky

class Rocky:
    def __init__(self, binary, workdir):
        self.binary, self.repo = binary, os.path.join(workdir, "repo")
        os.makedirs(self.repo)
        self.env = dict(os.environ, ROCKY_ACTOR="corpus", ROCKY_COMMIT_TIME="2026-05-20T16:00:00Z", NO_COLOR="1")

    def run(self, *arguments, check=True):
        p = subprocess.run([self.binary, *arguments], cwd=self.repo, env=self.env, capture_output=True, text=True)
        if check and p.returncode != 0:
            raise HarnessError(f"rocky {' '.join(arguments)} exited {p.returncode}:\n{p.stdout}{p.stderr}")
        return p

    def load_fixtures(self):
        self.run("init")
        for name, key, time_column in TABLES:
            args = ["import", name, os.path.join(FIXTURES, name + ".csv"), "--key", key]
            if time_column:
                args += ["--time-column", time_column]
            self.run(*args)
        self.run("commit", "-m", "fixtures")
        schemas = {}
        for name, _, _ in TABLES:
            doc = json.loads(self.run("--json", "schema", name).stdout)
            columns = doc.get("columns") or doc.get("schema", {}).get("columns")
            schemas[name] = [(c["name"], c["type"]) for c in columns]
        return schemas

    def emitted(self, queries, dialect, scratch):
        """Rocky's own SQL for `dialect` of each query (`rocky check --emit`), by
        name, and the session set-up that SQL needs (run once per connection)."""
        path = os.path.join(scratch, f"emit-{dialect}.sql")
        with open(path, "w", encoding="utf-8") as f:
            f.write("".join(q.sql + ";\n" for q in queries))
        p = self.run("--json", "check", path, "--dialect", dialect, "--emit", check=False)
        doc = json.loads(p.stdout)
        statements = doc.get("statements", [])
        if len(statements) != len(queries):
            raise HarnessError(f"rocky check --emit --dialect {dialect} compiled {len(statements)} of {len(queries)} queries")
        return doc.get("session_setup") or [], {q.name: s["sql"] for q, s in zip(queries, statements)}

    def run_queries(self, queries, scratch):
        """Rocky's answer to each query: {"names", "types", "rows"} or {"error"}.

        All queries run in one process; when the script fails, the queries its
        errors point at (file:line:column) are taken out with their message
        and the rest runs again.
        """
        answers, pending = {}, list(queries)
        for _ in range(len(queries) + 1):
            if not pending:
                break
            path = os.path.join(scratch, "batch.sql")
            starts, text, line = [], [], 1
            for q in pending:
                starts.append(line)
                text.append(q.sql + ";\n")
                line += q.sql.count("\n") + 1
            with open(path, "w", encoding="utf-8") as f:
                f.write("".join(text))
            p = self.run("--json", "sql", "-f", path, check=False)
            if p.returncode == 0:
                doc = json.loads(p.stdout, parse_float=decimal.Decimal)
                results = doc["results"]
                if len(results) != len(pending):
                    raise HarnessError(f"rocky sql returned {len(results)} results for {len(pending)} queries")
                for q, result in zip(pending, results):
                    types = [c["type"] for c in result["columns"]]
                    names = [c["name"] for c in result["columns"]]
                    rows = [[rocky_value(row[n], t) for n, t in zip(names, types)] for row in result["rows"]]
                    answers[q.name] = {"names": names, "types": types, "rows": rows}
                break
            try:
                message = json.loads(p.stdout)["error"]["message"]
            except (ValueError, KeyError, TypeError):
                message = (p.stderr + p.stdout).strip()
            failed = {}
            for block in message.split("\n\n"):
                m = re.search(re.escape(path) + r":(\d+):(\d+)", block)
                if m:
                    index = max(i for i, s in enumerate(starts) if s <= int(m.group(1)))
                    text = " ".join(l.strip() for l in block.split("\n") if l.strip() and not l.strip().startswith(("|", "-->")))
                    text = re.sub(r"^statement \d+: ", "", text.replace(m.group(0) + ": ", "")).replace(path, "<batch>")
                    failed.setdefault(index, []).append(text)
            if not failed:
                if len(pending) == 1:
                    failed = {0: [message]}
                else:  # no position: split the batch
                    half = len(pending) // 2
                    answers.update(self.run_queries(pending[:half], scratch))
                    answers.update(self.run_queries(pending[half:], scratch))
                    break
            for index, texts in failed.items():
                answers[pending[index].name] = {"error": " / ".join(texts)}
            pending = [q for i, q in enumerate(pending) if i not in failed]
        return answers


# ----------------------------------------------------------------- engines

def pg_type(rocky_type):
    return {"DOUBLE": "DOUBLE PRECISION", "INTEGER": "BIGINT"}.get(rocky_type, rocky_type)


def duck_type(rocky_type):
    return {"INTEGER": "BIGINT", "TEXT": "VARCHAR"}.get(rocky_type, rocky_type)


def fixture_rows(name, columns):
    with open(os.path.join(FIXTURES, name + ".csv"), newline="", encoding="utf-8") as f:
        reader = csv.reader(f)
        header = next(reader)
        if header != [c for c, _ in columns]:
            raise HarnessError(f"{name}.csv header {header} does not match Rocky's schema")
        return [[parse_csv_value(v, t) for v, (_, t) in zip(row, columns)] for row in reader]


class DuckDB:
    def __init__(self, schemas, settings):
        self.db = duckdb.connect(":memory:")
        for statement in settings:
            self.db.execute(statement)
        for name, columns in schemas.items():
            self.db.execute(f'CREATE TABLE "{name}" (' + ", ".join(f'"{c}" {duck_type(t)}' for c, t in columns) + ")")
            self.db.executemany(f'INSERT INTO "{name}" VALUES (' + ", ".join("?" for _ in columns) + ")", fixture_rows(name, columns))

    def run(self, sql):
        try:
            result = self.db.execute(sql)
            return {"width": len(result.description), "rows": [list(r) for r in result.fetchall()]}
        except Exception as e:
            return {"error": str(e).split("\n")[0]}


class Postgres:
    """A throw-away cluster in a temporary folder, reachable on a Unix socket in that folder only."""

    def __init__(self, settings):
        self.bin = self.find_binaries()
        self.run_as = "postgres" if os.geteuid() == 0 else None
        self.root = tempfile.mkdtemp(prefix="rocky-corpus-pg-")
        self.data = os.path.join(self.root, "data")
        atexit.register(self.stop)
        if self.run_as:
            import pwd
            account = pwd.getpwnam(self.run_as)
            os.chown(self.root, account.pw_uid, account.pw_gid)
        os.chmod(self.root, 0o700)
        self.watchdog()
        self.command("initdb", "-D", self.data, "-U", "rocky", "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8",
                     "--no-sync", "--no-instructions")
        options = (f"-c listen_addresses='' -c unix_socket_directories='{self.root}' -c port=5432 "
                   "-c fsync=off -c synchronous_commit=off -c full_page_writes=off")
        self.command("pg_ctl", "start", "-D", self.data, "-l", os.path.join(self.root, "server.log"), "-w", "-t", "60",
                     "-o", options)
        self.db = psycopg.connect(host=self.root, port=5432, user="rocky", dbname="postgres", autocommit=True)
        for statement in settings:
            self.db.execute(statement)

    @staticmethod
    def find_binaries():
        if os.environ.get("ROCKY_PG_BIN"):
            return os.environ["ROCKY_PG_BIN"]
        majors = [int(m) for m in os.listdir("/usr/lib/postgresql") if m.isdigit()
                  and os.access(f"/usr/lib/postgresql/{m}/bin/initdb", os.X_OK)] if os.path.isdir("/usr/lib/postgresql") else []
        if not majors:
            raise HarnessError(f"no PostgreSQL server in /usr/lib/postgresql/*/bin: {INSTALL}")
        return f"/usr/lib/postgresql/{max(majors)}/bin"

    def command(self, program, *arguments):
        argv = [os.path.join(self.bin, program), *arguments]
        if self.run_as:
            argv = ["/usr/sbin/runuser", "-u", self.run_as, "--"] + argv
        with open(os.path.join(self.root, "command.log"), "ab") as log:
            p = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=log, stderr=log, cwd=self.root)
        if p.returncode != 0:
            with open(os.path.join(self.root, "command.log"), encoding="utf-8", errors="replace") as f:
                raise HarnessError(f"{program} failed:\n{f.read()}")

    def watchdog(self):
        """A detached shell that stops the server and removes its folder once this process is gone (even killed)."""
        pid_file = os.path.join(self.data, "postmaster.pid")
        script = (f"while kill -0 {os.getpid()} 2>/dev/null; do sleep 1; done; "
                  f"if [ -f '{pid_file}' ]; then pm=$(head -n 1 '{pid_file}'); kill -QUIT \"$pm\" 2>/dev/null; "
                  f"while kill -0 \"$pm\" 2>/dev/null; do sleep 0.2; done; fi; rm -rf '{self.root}'")
        subprocess.Popen(["/bin/sh", "-c", script], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL, start_new_session=True, close_fds=True)

    def stop(self):
        if getattr(self, "db", None) is not None:
            try:
                self.db.close()
            except Exception:
                pass
            self.db = None
        if os.path.exists(os.path.join(self.data, "postmaster.pid")):
            try:
                self.command("pg_ctl", "stop", "-D", self.data, "-m", "immediate", "-w", "-t", "60")
            except Exception:
                pass
        shutil.rmtree(self.root, ignore_errors=True)

    def load(self, schemas):
        for name, columns in schemas.items():
            self.db.execute(f'CREATE TABLE "{name}" (' + ", ".join(f'"{c}" {pg_type(t)}' for c, t in columns) + ")")
            with self.db.cursor() as cursor:
                with cursor.copy(f'COPY "{name}" FROM STDIN') as copy:
                    for row in fixture_rows(name, columns):
                        copy.write_row(row)

    def run(self, sql):
        try:
            with self.db.cursor() as cursor:
                cursor.execute(sql)
                if cursor.description is None:  # SET, CREATE FUNCTION: no rows
                    return {"width": 0, "rows": []}
                return {"width": len(cursor.description), "rows": [list(r) for r in cursor.fetchall()]}
        except Exception as e:
            return {"error": str(e).split("\n")[0]}


# --------------------------------------------------------------------- main

def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rocky", required=True)
    parser.add_argument("--only", action="append", default=[])
    parser.add_argument("--verbose", action="store_true")
    parser.add_argument("--skip-emitted", action="store_true", help="do not run Rocky's own DuckDB and PostgreSQL SQL")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    try:
        queries = read_corpus()
        spec, known = read_differences()
        names = {q.name for q in queries}
        for (name, engine) in known:
            if name not in names:
                raise HarnessError(f"differences.toml lists {name}, which is no corpus query")
        if args.only:
            queries = [q for q in queries if q.name in args.only]
        work = tempfile.mkdtemp(prefix="rocky-corpus-")
        atexit.register(shutil.rmtree, work, True)
        started = time.monotonic()

        def phase(what):
            if args.verbose:
                print(f"{time.monotonic() - started:6.1f} s  {what}", file=sys.stderr)
        rocky = Rocky(os.path.abspath(args.rocky), work)
        schemas = rocky.load_fixtures()
        phase("fixtures imported into Rocky")
        duck = DuckDB(schemas, spec.get("duckdb", {}).get("settings", []))
        phase("DuckDB loaded")
        pg = Postgres(spec.get("postgres", {}).get("settings", []))
        pg.load(schemas)
        phase("PostgreSQL started and loaded")
        # Queries every engine must refuse run one per process, so that the
        # batch of the others runs once.
        answers = rocky.run_queries([q for q in queries if not q.error], work)
        for q in queries:
            if q.error:
                answers.update(rocky.run_queries([q], work))
        phase("Rocky answered")
    except HarnessError as e:
        print(f"harness: {e}")
        return 2

    problems, listed_ok, compared = [], 0, 0
    for q in queries:
        mine = answers[q.name]
        if q.error:
            if "error" not in mine:
                problems.append(f"{q.file}:{q.line}: {q.name}: Rocky answered a query every engine must refuse")
            for engine, db in (("duckdb", duck), ("postgres", pg)):
                compared += 1
                failed = "error" in db.run(q.sql)
                reason = known.get((q.name, engine))
                if not failed and reason is None:
                    problems.append(f"{q.file}:{q.line}: {q.name}: {engine} answered a query marked @error")
                elif failed and reason is not None:
                    problems.append(f"{q.file}:{q.line}: {q.name}: {engine} refuses it now; remove it from differences.toml")
                elif reason is not None:
                    listed_ok += 1
            continue
        reason = known.get((q.name, "rocky"))
        if "error" in mine:
            if reason is None:
                problems.append(f"{q.file}:{q.line}: {q.name}: Rocky failed: {mine['error']}")
            else:
                listed_ok += 1
            continue
        if reason is not None:
            problems.append(f"{q.file}:{q.line}: {q.name}: listed as refused by Rocky in differences.toml, but it ran")
            continue
        if not mine["rows"] and not q.empty:
            problems.append(f"{q.file}:{q.line}: {q.name}: no rows: the comparison proves nothing")
        for engine, db in (("duckdb", duck), ("postgres", pg)):
            theirs = db.run(q.sql)
            compared += 1
            message = ("failed: " + theirs["error"]) if "error" in theirs else compare_rows(q, mine, theirs)
            reason = known.get((q.name, engine))
            if message is None and reason is not None:
                problems.append(f"{q.file}:{q.line}: {q.name}: {engine} agrees now; remove it from differences.toml")
            elif message is not None and reason is None:
                problems.append(f"{q.file}:{q.line}: {q.name}: {engine} {message}")
            elif message is not None:
                listed_ok += 1
                if args.verbose:
                    print(f"listed {q.name} {engine}: {message}")
    phase("engines compared")

    # Rocky's own DuckDB and PostgreSQL SQL, run on those engines, must give
    # Rocky's answers (issue 21, item 5): a dialect emitter cannot drift.
    if not args.skip_emitted:
        for setting in spec.get("duckdb", {}).get("reset_for_emitted", []):
            duck.db.execute(setting)
        answered = [q for q in queries if not q.error and "error" not in answers[q.name]]
        for dialect, db in (("duckdb", duck), ("postgres", pg)):
            engine = "emitted-" + dialect
            try:
                setup, sql = rocky.emitted(answered, dialect, work)
            except HarnessError as e:
                problems.append(f"{engine}: {e}")
                continue
            for statement in setup:
                done = db.run(statement)
                if "error" in done:
                    problems.append(f"{engine}: session setup failed: {done['error']}: {statement[:80]}")
            for q in answered:
                statements = sql[q.name]
                compared += 1
                theirs = db.run(statements[-1]) if len(statements) == 1 else {"error": f"{len(statements)} statements"}
                message = ("failed: " + theirs["error"]) if "error" in theirs else compare_rows(q, answers[q.name], theirs)
                reason = known.get((q.name, engine))
                if message is None and reason is not None:
                    problems.append(f"{q.file}:{q.line}: {q.name}: Rocky's {dialect} SQL agrees now; remove it from differences.toml")
                elif message is not None and reason is None:
                    problems.append(f"{q.file}:{q.line}: {q.name}: Rocky's {dialect} SQL on {dialect}: {message}")
                elif message is not None:
                    listed_ok += 1
        phase("Rocky's emitted SQL compared")
    pg.stop()
    for p in problems:
        print(p)
    print(f"{len(queries)} queries, {compared} comparisons, {listed_ok} listed differences, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
