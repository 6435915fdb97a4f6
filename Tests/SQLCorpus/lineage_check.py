"""Column lineage cases: Rocky against hand-written expectations, and sqlglot as a second opinion.

Usage: python lineage_check.py --rocky <rocky binary> [--only NAME]...

Each case of lineage.toml (a query over the fixture tables, imported as the
differential harness imports them) is compiled by `rocky lineage --sql <query>
--json`. For every result column:

- Rocky's column-level inputs (`TYPE SUBTYPE table.column`, Docs/sql.md,
  "Lineage") must be exactly the hand-written `columns` of the case, and the
  query's dataset-level inputs its `dataset`, when the case gives one;
- the source columns of sqlglot's `sqlglot.lineage.lineage` (the leaves of its
  graph for that column) must be the tables and columns of Rocky's
  column-level inputs, unless lineage-differences.toml lists the case and
  column with the reason (sqlglot is wrong, or differs by design). A listed
  difference that no longer occurs is reported too, so the list stays true.

Prints one line per problem and a summary line with the agreement figures;
exits 0 when there are no problems, 1 when there are, 2 when it could not run.
"""
import argparse
import json
import os
import shutil
import sys
import tempfile
import tomllib

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

INSTALL = "run `make test`, or: `build/venv/bin/pip install -r requirements-test.txt`"

try:
    import sqlglot
    from sqlglot import exp
    from sqlglot.lineage import lineage as sqlglot_lineage
except ImportError as e:
    print(f"lineage_check: cannot import {e.name} in {sys.executable}: {INSTALL}")
    sys.exit(2)

import harness  # noqa: E402  (the fixture import and the Rocky runner)


def rocky_lineage(rocky, sql):
    """{column: set of 'TYPE SUBTYPE table.column'}, set of dataset edges, or an error text."""
    p = rocky.run("lineage", "--sql", sql, "--json", check=False)
    if p.returncode != 0:
        return None, None, (p.stdout + p.stderr).strip()
    doc = json.loads(p.stdout)
    columns = {}
    for column in doc["columns"]:
        columns[column["name"]] = {f"{i['type']} {i['subtype']} {i['table']}.{i['column']}" for i in column["inputs"]}
    dataset = {f"{i['type']} {i['subtype']} {i['table']}.{i['column']}" for i in doc.get("dataset", [])}
    return columns, dataset, None


def sqlglot_sources(sql, column, schema):
    """The source columns (`table.column`) sqlglot's lineage finds for `column`, or an error text."""
    try:
        node = sqlglot_lineage(column, sql, schema=schema, dialect="postgres")
    except Exception as e:  # sqlglot raises many kinds; the text is what matters
        return None, f"{type(e).__name__}: {e}"
    sources = set()
    for n in node.walk():
        if n.downstream:
            continue
        if isinstance(n.source, exp.Table) and n.source.name in schema:
            name = n.name.split(".")[-1]
            if name != "*":
                sources.add(f"{n.source.name}.{name}")
    return sources, None


def show(values):
    return "{" + ", ".join(sorted(values)) + "}" if values else "{}"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rocky", required=True)
    parser.add_argument("--only", action="append")
    args = parser.parse_args()
    with open(os.path.join(HERE, "lineage.toml"), "rb") as f:
        cases = tomllib.load(f)["case"]
    with open(os.path.join(HERE, "lineage-differences.toml"), "rb") as f:
        listed = {}
        for entry in tomllib.load(f).get("difference", []):
            for column in entry["columns"]:
                listed[(entry["case"], column)] = entry["reason"]
    names = [c["name"] for c in cases]
    problems = [f"lineage.toml: case {n} is named twice" for n in set(names) if names.count(n) > 1]
    for (name, column) in listed:
        if name not in names:
            problems.append(f"lineage-differences.toml lists case {name}, which lineage.toml lacks")
    if args.only:
        cases = [c for c in cases if c["name"] in args.only]

    work = tempfile.mkdtemp(prefix="rocky-lineage-")
    try:
        rocky = harness.Rocky(os.path.abspath(args.rocky), work)
        schemas = rocky.load_fixtures()
        schema = {table: {name: "TEXT" for name, _ in columns} for table, columns in schemas.items()}
        columns_total = agree = differ_listed = expectations = 0
        for case in cases:
            name, sql = case["name"], case["sql"]
            mine, dataset, error = rocky_lineage(rocky, sql)
            if error:
                problems.append(f"{name}: rocky lineage --sql failed: {error}")
                continue
            expected = {c: set(v) for c, v in case["columns"].items()}
            if set(expected) != set(mine):
                problems.append(f"{name}: result columns {sorted(mine)}, expected {sorted(expected)}")
            if "dataset" in case and set(case["dataset"]) != dataset:
                problems.append(f"{name}: dataset inputs: Rocky {show(dataset)}, expected {show(set(case['dataset']))}")
            for column, edges in mine.items():
                columns_total += 1
                if column in expected:
                    expectations += 1
                    if edges != expected[column]:
                        problems.append(f"{name}.{column}: Rocky {show(edges)}, expected {show(expected[column])}")
                rocky_sources = {e.split(" ")[-1] for e in edges}
                theirs, glot_error = sqlglot_sources(sql, column, schema)
                reason = listed.get((name, column))
                same = glot_error is None and theirs == rocky_sources
                if same:
                    agree += 1
                    if reason is not None:
                        problems.append(f"{name}.{column}: sqlglot agrees with Rocky now; "
                                        "remove it from lineage-differences.toml")
                elif reason is None:
                    answer = glot_error or show(theirs)
                    problems.append(f"{name}.{column}: Rocky {show(rocky_sources)} ({show(edges)}), sqlglot {answer}")
                else:
                    differ_listed += 1
    finally:
        shutil.rmtree(work, True)
    for p in problems:
        print(p)
    print(f"{len(cases)} cases, {columns_total} columns: {expectations} checked against expectations; "
          f"sqlglot {sqlglot.__version__} agrees on {agree}, differs as listed on {differ_listed}; {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except harness.HarnessError as e:
        print(f"lineage_check: {e}")
        sys.exit(2)
