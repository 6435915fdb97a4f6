"""Checks declared beside models: `models/<model>.checks.toml`.

```toml
[row_count]          # the model's table holds between min and max rows
min = 1
max = 100000

[[sql]]              # a query whose rows are the violations: passes when it returns none
name = "weights_sum_to_one"
description = "every account's weights add up to 1"
query = "SELECT account_id FROM weights GROUP BY account_id HAVING abs(sum(weight) - 1) > 0.000001"
blocking = true      # a failure stops the merge (default true)
```

Besides these, every model gets a governance check per environment that
rocky.toml declares besides `dev`: the model compiled in that environment
(`rocky --env <env> check`) must not let a column the environment denies
reach its output; a failure names the column's lineage path.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from typing import Any, Optional


@dataclass(frozen=True)
class SQLCheck:
    name: str
    query: str
    description: Optional[str] = None
    blocking: bool = True


@dataclass(frozen=True)
class ModelChecks:
    row_count_min: Optional[int] = None
    row_count_max: Optional[int] = None
    sql: tuple[SQLCheck, ...] = ()

    @property
    def has_row_count(self) -> bool:
        return self.row_count_min is not None or self.row_count_max is not None


def read_model_checks(repository: str, model: str) -> ModelChecks:
    path = os.path.join(repository, "models", f"{model}.checks.toml")
    if not os.path.exists(path):
        return ModelChecks()
    with open(path, "rb") as handle:
        try:
            data: dict[str, Any] = tomllib.load(handle)
        except tomllib.TOMLDecodeError as exc:
            raise ValueError(f"{path}: {exc}") from exc
    row_count = data.get("row_count") or {}
    sql_checks = []
    for i, item in enumerate(data.get("sql") or []):
        if "query" not in item:
            raise ValueError(f"{path}: [[sql]] number {i + 1} has no query")
        sql_checks.append(SQLCheck(name=str(item.get("name") or f"sql_{i + 1}"), query=str(item["query"]),
                                   description=item.get("description"), blocking=bool(item.get("blocking", True))))
    return ModelChecks(row_count_min=row_count.get("min"), row_count_max=row_count.get("max"), sql=tuple(sql_checks))


def governed_environments(repository: str) -> list[str]:
    """The environments rocky.toml declares, besides `dev`."""
    path = os.path.join(repository, "rocky.toml")
    if not os.path.exists(path):
        return []
    with open(path, "rb") as handle:
        data = tomllib.load(handle)
    return [name for name in (data.get("environments") or {}) if name != "dev"]
