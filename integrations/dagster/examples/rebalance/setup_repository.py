"""Creates the example's Rocky repository from the repository's Fixtures/:
reference data on main (positions, risk scores, customers, accounts), the
environments dev and prod (prod hashes PII and denies restricted columns),
the models, and the price backfill up to 2026-05-15.

    python setup_repository.py <new repository folder> [--rocky <binary>] [--fixtures <Fixtures folder>]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
from typing import Optional

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.normpath(os.path.join(HERE, "..", "..", "..", "..", "Fixtures"))

ROCKY_TOML = """\
[environments.dev]

[environments.prod.masking]
pii = "hash"
restricted = "deny"

[cost.sqlite]
per_second = 0.05
per_million_rows = 2.0
"""


def _rocky(rocky: str, repo: str, *args: str, time: Optional[str] = None) -> None:
    env = dict(os.environ)
    env.pop("ROCKY_RUN_ID", None)
    if time:
        env["ROCKY_COMMIT_TIME"] = time
    subprocess.run([rocky, "-C", repo, *args], check=True, env=env, stdout=subprocess.DEVNULL)


def create_repository(path: str, rocky: str = "rocky", fixtures: str = FIXTURES) -> str:
    os.makedirs(path, exist_ok=True)
    _rocky(rocky, path, "init")
    reference = "2026-05-15T21:00:00Z"
    for table, key in [("positions", "account_id,symbol"), ("risk_scores", "symbol"),
                       ("customers", "customer_id"), ("accounts", "account_id")]:
        _rocky(rocky, path, "import", table, os.path.join(fixtures, f"{table}.csv"), "--key", key, time=reference)
    with open(os.path.join(path, "rocky.toml"), "w", encoding="utf-8") as handle:
        handle.write(ROCKY_TOML)
    shutil.copytree(os.path.join(HERE, "models"), os.path.join(path, "models"))
    _rocky(rocky, path, "classify", "customers.name", "pii", "--owner", "crm")
    _rocky(rocky, path, "classify", "customers.email", "pii", "--owner", "crm", "--mask", "prod=email")
    _rocky(rocky, path, "classify", "customers.ssn", "restricted", "--owner", "compliance")
    _rocky(rocky, path, "commit", "-m", "Reference data, environments, models", time=reference)
    _rocky(rocky, path, "import", "prices", os.path.join(fixtures, "deliveries", "prices-2026-05-15-backfill.csv"),
           "--key", "symbol,ts", "--time-column", "ts", "-m", "backfill prices 2026-05-04..2026-05-15",
           time="2026-05-15T22:00:00Z")
    return path


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("path")
    parser.add_argument("--rocky", default=os.environ.get("ROCKY_BIN", "rocky"))
    parser.add_argument("--fixtures", default=FIXTURES)
    args = parser.parse_args()
    print(create_repository(args.path, args.rocky, args.fixtures))
