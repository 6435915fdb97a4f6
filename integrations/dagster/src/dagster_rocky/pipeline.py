"""Branch-per-step pipelines: each step of a Dagster run works on its own
Rocky branch, and a run that fails rolls back what it did to branches."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Iterator, Optional, Union

import dagster as dg

from .errors import RockyConflictError, RockyError, RockyPolicyRefusal, RockyReplayGapsError
from .resource import RockyResource


def failure_for(exc: RockyError) -> dg.Failure:
    """A Dagster failure carrying what Rocky reported: the conflicts of a
    merge (exit 3), the gap diff of a replay (exit 4), the permission an
    actor lacks (exit 5), else the error document."""
    metadata: dict[str, Any] = {"rocky/error_code": exc.code, "rocky/exit_code": exc.exit_code}
    if isinstance(exc, RockyConflictError):
        metadata["rocky/conflicts"] = dg.MetadataValue.json(exc.conflicts)
        if exc.file_conflicts:
            metadata["rocky/file_conflicts"] = dg.MetadataValue.json(exc.file_conflicts)
    elif isinstance(exc, RockyReplayGapsError):
        metadata["rocky/gaps"] = dg.MetadataValue.json(exc.gaps)
        metadata["rocky/gap_rows"] = sum(len(g.get(kind) or []) for g in exc.gaps
                                         for kind in ("arrived_later", "corrected", "removed_later"))
    elif isinstance(exc, RockyPolicyRefusal):
        metadata["rocky/permission"] = exc.permission or ""
    else:
        metadata["rocky/error"] = dg.MetadataValue.json(exc.document.get("error") or {})
    return dg.Failure(description=str(exc), metadata=metadata)


StepContext = Union[dg.AssetExecutionContext, dg.OpExecutionContext]


def _final_attempt(context: StepContext) -> bool:
    op = context.op_execution_context if isinstance(context, dg.AssetExecutionContext) else context
    policy = getattr(op.op_def, "retry_policy", None)
    return policy is None or op.retry_number >= policy.max_retries


class BranchStep:
    """One step of a run on its branch (see `branch_step`)."""

    def __init__(self, context: StepContext, rocky: RockyResource) -> None:
        self.context = context
        self.rocky = rocky
        self.branch: Optional[str] = None

    def on_branch(self, name: str, *, start: str) -> str:
        """Checks out `name`, creating it at `start` unless it exists (a retried
        step, or a partition run again, works on the branch it left)."""
        if name in self.rocky.branches(log=self.context.log):
            self.rocky.checkout(name, log=self.context.log)
        else:
            self.rocky.checkout(name, create_from=start, log=self.context.log)
        self.branch = name
        return name

    def commit_if_changed(self, message: str) -> Optional[str]:
        """Commits what the working set holds; None when it holds nothing new."""
        try:
            doc = self.rocky.cli(["commit", "-m", message], log=self.context.log)
        except RockyError as exc:
            if exc.code == "nothing_to_commit":
                return None
            raise
        commit = doc.get("commit") or {}
        return str(commit.get("id")) if isinstance(commit, dict) else str(commit)


@contextmanager
def branch_step(context: StepContext, rocky: RockyResource, *, home: str = "main") -> Iterator[BranchStep]:
    """Runs a step on Rocky branches. When the step fails on its last
    attempt (a step Dagster will retry keeps its branch, so the retry picks
    it up), every branch the run created is deleted and every branch it
    moved is reset to where the run found it, from the audit entries of the
    run id; the rollback is itself audited under that run id. A Rocky error
    becomes a `dagster.Failure` with its details as metadata. The working
    directory is left on `home`."""
    step = BranchStep(context, rocky)
    with rocky.working_directory():
        try:
            yield step
        except BaseException as exc:
            _fail(context, rocky, home, exc)
            raise
        else:
            if rocky.current_branch(log=context.log) != home:
                rocky.checkout(home, log=context.log)


def _fail(context: StepContext, rocky: RockyResource, home: str, exc: BaseException) -> None:
    if _final_attempt(context):
        try:
            if rocky.current_branch(log=context.log) != home:
                rocky.cli(["checkout", "--force", home], log=context.log)
            for line in rocky.rollback(context.run_id, log=context.log):
                context.log.info(f"rollback: {line}")
        except RockyError as rollback_error:
            context.log.error(f"rollback failed: {rollback_error}")
    if isinstance(exc, RockyError):
        raise failure_for(exc) from exc
