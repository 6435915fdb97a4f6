"""The seed's pipeline as Dagster assets, one daily partition per delivery date:

    ingest    prices of the day imported on  ingest/<date>     (from main)
    transform the models run on              transform/<date>  (from ingest/<date>)
    validate  compliance checks on           validate/<date>   (from transform/<date>)
    merge     validate/<date> merged into main, only when validation passed

A step that fails on its last attempt rolls back every branch the run
created or moved (audited under the Dagster run id); a retried step works
on the branch it left. `replay` re-runs a branch at a time and fails with
the gap diff when Rocky finds data that arrived later.

Configuration from the environment: ROCKY_REPOSITORY (the repository of
setup_repository.py), ROCKY_BIN (default `rocky`), ROCKY_DELIVERIES (the
folder of prices-<date>.csv files; default Fixtures/deliveries).
"""


import hashlib
import os
from typing import Any, Iterator

import dagster as dg

from dagster_rocky import RockyError, RockyResource, branch_step, build_rocky_assets
from dagster_rocky.checks import read_model_checks

HERE = os.path.dirname(os.path.abspath(__file__))
DELIVERIES = os.path.normpath(os.path.join(HERE, "..", "..", "..", "..", "Fixtures", "deliveries"))
PROD = "prod"

daily = dg.DailyPartitionsDefinition(start_date="2026-05-18", end_date="2026-05-30")


def _branch(stage: str, context: dg.AssetExecutionContext) -> str:
    return f"{stage}/{context.partition_key}"


@dg.asset(partitions_def=daily, kinds={"rocky"}, retry_policy=dg.RetryPolicy(max_retries=1))
def ingest(context: dg.AssetExecutionContext, rocky: RockyResource) -> dg.MaterializeResult:
    """The day's price delivery, upserted into `prices` on ingest/<date>
    (upsert: a retried or repeated ingest writes the same table)."""
    date = context.partition_key
    path = os.path.join(os.environ.get("ROCKY_DELIVERIES", DELIVERIES), f"prices-{date}.csv")
    with branch_step(context, rocky) as step:
        branch = step.on_branch(_branch("ingest", context), start="main")
        commit = None
        if os.path.exists(path):
            rocky.import_table("prices", path, key=("symbol", "ts"), time_column="ts", mode="upsert", log=context.log)
            commit = step.commit_if_changed(f"prices {date}")
        else:
            context.log.info(f"no delivery for {date} ({path})")
        prices = rocky.tables(log=context.log)["prices"]
    return dg.MaterializeResult(data_version=dg.DataVersion(str(prices["id"])), metadata={
        "dagster/row_count": dg.MetadataValue.int(int(prices["rows"])),
        "rocky/table_id": str(prices["id"]), "rocky/branch": branch, "rocky/commit": str(commit or ""),
        "rocky/delivery": path if os.path.exists(path) else "none"})


@dg.asset(partitions_def=daily, deps=[ingest], kinds={"rocky"}, retry_policy=dg.RetryPolicy(max_retries=1))
def transform(context: dg.AssetExecutionContext, rocky: RockyResource) -> dg.MaterializeResult:
    """Every model, run on transform/<date>; the data version is the digest of
    the output table ids (equal ids, equal data)."""
    with branch_step(context, rocky) as step:
        branch = step.on_branch(_branch("transform", context), start=_branch("ingest", context))
        doc = rocky.run_models(message=f"models for {context.partition_key}", log=context.log)
        outputs: dict[str, str] = {}
        duration_us, cost = 0, 0.0
        for t in doc.get("transformations", []):
            outputs.update(t.get("output_tables") or {})
            duration_us += int(t.get("duration_us") or 0)
            cost += float(t.get("cost") or 0)
        commit = doc.get("commit") or {}
    digest = hashlib.sha256("\n".join(f"{k}={v}" for k, v in sorted(outputs.items())).encode()).hexdigest()
    return dg.MaterializeResult(data_version=dg.DataVersion(digest), metadata={
        "rocky/tables": dg.MetadataValue.json(outputs), "rocky/branch": branch,
        "rocky/commit": str(commit.get("id", "") if isinstance(commit, dict) else commit),
        "rocky/duration_ms": duration_us / 1000, "rocky/cost": cost})


VALIDATE_CHECKS = [
    dg.AssetCheckSpec("no_denied_columns_prod", asset="validate", blocking=True,
                      description="no column environment prod denies reaches a model (compile-time leak rejection)"),
    dg.AssetCheckSpec("model_checks", asset="validate", blocking=True,
                      description="the row-count and SQL checks of models/*.checks.toml"),
]


@dg.asset(partitions_def=daily, deps=[transform], kinds={"rocky"}, check_specs=VALIDATE_CHECKS)
def validate(context: dg.AssetExecutionContext, rocky: RockyResource) -> Iterator[Any]:
    """The compliance checks, on validate/<date>: a failure stops the run
    (so nothing is merged) and rolls its branches back."""
    results: list[dg.AssetCheckResult] = []
    with branch_step(context, rocky) as step:
        branch = step.on_branch(_branch("validate", context), start=_branch("transform", context))
        try:
            rocky.cli(["check"], environment=PROD, log=context.log)
            leaks: list[str] = []
        except RockyError as exc:
            if "files" not in exc.document:
                raise
            leaks = [d["message"] for f in exc.document["files"] for d in f.get("diagnostics", [])
                     if d.get("severity") == "error"]
        results.append(dg.AssetCheckResult(check_name="no_denied_columns_prod", passed=not leaks,
                                           description="; ".join(leaks) or None,
                                           metadata={"violations": dg.MetadataValue.json(leaks)}))
        tables = rocky.tables(log=context.log)
        failures: list[str] = []
        for model in sorted(f[:-len(".checks.toml")] for f in os.listdir(os.path.join(rocky.repository, "models"))
                            if f.endswith(".checks.toml")):
            checks = read_model_checks(rocky.repository, model)
            rows = int(tables.get(model, {}).get("rows", -1))
            if checks.row_count_min is not None and rows < checks.row_count_min:
                failures.append(f"{model}: {rows} rows, fewer than {checks.row_count_min}")
            if checks.row_count_max is not None and rows > checks.row_count_max:
                failures.append(f"{model}: {rows} rows, more than {checks.row_count_max}")
            for s in checks.sql:
                found = (rocky.sql(s.query, log=context.log).get("results") or [{}])[-1].get("rows") or []
                if found:
                    failures.append(f"{model}.{s.name}: {len(found)} violating row(s)")
        results.append(dg.AssetCheckResult(check_name="model_checks", passed=not failures,
                                           description="; ".join(failures) or None,
                                           metadata={"failures": dg.MetadataValue.json(failures)}))
        failed = [r for r in results if not r.passed]
        if failed:
            for r in results:
                yield r
            raise dg.Failure(description="validation failed: " + "; ".join(str(r.description) for r in failed),
                             metadata={"violations": dg.MetadataValue.json([r.description for r in failed])})
        head = rocky.rev_parse("HEAD", log=context.log)
    yield dg.MaterializeResult(data_version=dg.DataVersion(head), metadata={"rocky/branch": branch, "rocky/commit": head})
    for r in results:
        yield r


@dg.asset(partitions_def=daily, deps=[validate], kinds={"rocky"})
def merge(context: dg.AssetExecutionContext, rocky: RockyResource) -> dg.MaterializeResult:
    """validate/<date> merged into main by compare-and-swap: a conflict fails
    the asset with the conflicts as metadata, writes nothing, and rolls back."""
    with branch_step(context, rocky):
        doc = rocky.merge(_branch("validate", context), into="main", log=context.log,
                          message=f"rebalance {context.partition_key}")
    return dg.MaterializeResult(data_version=dg.DataVersion(str(doc.get("new_head"))), metadata={
        "rocky/commit": str(doc.get("new_head")), "rocky/old_head": str(doc.get("old_head")),
        "rocky/outcome": str(doc.get("outcome")), "rocky/tables": dg.MetadataValue.json(doc.get("tables") or {})})


class ReplayConfig(dg.Config):
    branch: str
    at: str
    policy: str = ""  # "", "allow-gaps" or "corrected"


@dg.asset(kinds={"rocky"})
def replay(context: dg.AssetExecutionContext, config: ReplayConfig, rocky: RockyResource) -> dg.MaterializeResult:
    """Re-runs a branch as of a time (`rocky replay`); fails with the gap diff
    (`rocky/gaps`) when data arrived or changed after that time."""
    with branch_step(context, rocky):
        doc = rocky.replay(config.branch, at=config.at, policy=config.policy or None, log=context.log)
    return dg.MaterializeResult(data_version=dg.DataVersion(str(doc.get("head"))), metadata={
        "rocky/branch": str(doc.get("branch")), "rocky/commit": str(doc.get("head")),
        "rocky/reused_steps": dg.MetadataValue.int(int(doc.get("reused") or 0)),
        "rocky/gaps": dg.MetadataValue.json(doc.get("gaps") or [])})


rebalance_job = dg.define_asset_job("rebalance", selection=[ingest, transform, validate, merge], partitions_def=daily)

rocky = RockyResource(repository=os.environ.get("ROCKY_REPOSITORY", "warehouse"),
                      rocky_bin=os.environ.get("ROCKY_BIN", "rocky"))

# The models on main as assets too (group `models`): observed sources, one
# asset per model with column lineage, each run on its own branch merged
# into main. Read from the repository when it exists.
models = build_rocky_assets(rocky, isolate_runs=True, group_name="models") \
    if os.path.isdir(os.path.join(rocky.repository, ".rocky")) else []

defs = dg.Definitions(
    assets=[ingest, transform, validate, merge, replay, *models],
    jobs=[rebalance_job],
    resources={"rocky": rocky},
)
