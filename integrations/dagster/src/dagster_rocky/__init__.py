"""Dagster integration of Rocky, the versioned table store.

- `RockyResource`: the `rocky` CLI driven with `--json`, typed errors per exit code;
- `build_rocky_assets` / `RockyComponent`: a repository's tables and models as assets
  (data version = table id, code version = hash of the compiled SQL, column
  schema and lineage as metadata, checks from models' `.checks.toml` and governance);
- `branch_step`: a step working on its own branch, rolled back when the run fails.
"""

from .assets import build_rocky_assets, code_version, column_lineage, column_schema, transformation_summary
from .component import RockyComponent
from .errors import (RockyConflictError, RockyError, RockyPolicyRefusal, RockyReplayGapsError,
                     RockyUsageError)
from .pipeline import BranchStep, branch_step, failure_for
from .resource import CommandResult, RockyModel, RockyResource

__all__ = [
    "BranchStep", "CommandResult", "RockyComponent", "RockyConflictError", "RockyError", "RockyModel",
    "RockyPolicyRefusal", "RockyReplayGapsError", "RockyResource", "RockyUsageError", "branch_step",
    "build_rocky_assets", "code_version", "column_lineage", "column_schema", "failure_for",
    "transformation_summary",
]
