"""`RockyComponent`: the assets of a Rocky repository from a `defs.yaml`.

```yaml
type: dagster_rocky.RockyComponent
attributes:
  repository: ../../warehouse     # relative to the folder of defs.yaml
  rocky_bin: rocky
  environment: dev
  isolate_runs: true
  base_branch: main
```
"""

from __future__ import annotations

import os
from typing import Optional

import dagster as dg

from .assets import build_rocky_assets
from .resource import RockyResource


class RockyComponent(dg.Component, dg.Model, dg.Resolvable):
    """A Rocky repository's tables and models as assets, with the
    `RockyResource` they run on (under `resource_key`)."""

    repository: str
    rocky_bin: str = "rocky"
    actor: Optional[str] = None
    environment: Optional[str] = None
    engine: Optional[str] = None
    timeout: float = 600.0
    resource_key: str = "rocky"
    key_prefix: list[str] = []
    group_name: Optional[str] = "rocky"
    isolate_runs: bool = False
    base_branch: str = "main"
    branch_prefix: str = "dagster/"

    def resource(self, base: str = "") -> RockyResource:
        repository = self.repository if os.path.isabs(self.repository) or not base \
            else os.path.normpath(os.path.join(base, self.repository))
        rocky_bin = os.path.expandvars(self.rocky_bin)
        return RockyResource(repository=repository, rocky_bin=rocky_bin, actor=self.actor,
                             environment=self.environment, engine=self.engine, timeout=self.timeout)

    def build_defs(self, context: dg.ComponentLoadContext) -> dg.Definitions:
        rocky = self.resource(str(context.path))
        assets = build_rocky_assets(rocky, resource_key=self.resource_key, key_prefix=self.key_prefix,
                                    group_name=self.group_name, isolate_runs=self.isolate_runs,
                                    base_branch=self.base_branch, branch_prefix=self.branch_prefix)
        return dg.Definitions(assets=assets, resources={self.resource_key: rocky})
