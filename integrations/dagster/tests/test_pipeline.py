"""The example pipeline (examples/rebalance): ingest -> transform -> validate
-> merge on branches per partition, rollback, conflicts, replay."""

from __future__ import annotations

import os

import dagster as dg
import pytest

from conftest import FIXTURES
from dagster_rocky import RockyResource

import definitions as rebalance

PIPELINE = [rebalance.ingest, rebalance.transform, rebalance.validate, rebalance.merge]
DAY = "2026-05-18"


def failure_metadata(result: dg.ExecuteInProcessResult) -> dict:
    failures = result.get_step_failure_events()
    assert failures, "no step failed"
    data = failures[0].step_failure_data.user_failure_data
    assert data is not None, failures[0].step_failure_data.error
    return {k: v.value for k, v in data.metadata.items()}


def run(repo: str, binary: str, partition: str, assets=PIPELINE, instance=None, **kw) -> dg.ExecuteInProcessResult:
    return dg.materialize(assets, partition_key=partition, instance=instance, raise_on_error=False,
                          resources={"rocky": RockyResource(repository=repo, rocky_bin=binary)}, **kw)


def test_the_pipeline_merges_a_validated_day_and_the_run_is_in_the_audit(binary, repo, cli):
    main_before = cli.head("main")
    instance = dg.DagsterInstance.ephemeral()
    result = run(repo, binary, DAY, instance=instance)
    assert result.success, result.get_step_failure_events()
    # Each step on its own branch, from the one before; main got the day merged in.
    assert {f"ingest/{DAY}", f"transform/{DAY}", f"validate/{DAY}"} <= set(cli.branches())
    assert cli.tables(f"ingest/{DAY}")["prices"]["rows"] == 110
    assert "client_report" in cli.tables(f"transform/{DAY}") and "client_report" not in cli.tables(f"ingest/{DAY}")
    main = cli.tables("main")
    assert main["prices"]["rows"] == 110 and main["client_report"]["id"] == cli.tables(f"validate/{DAY}")["client_report"]["id"]
    assert cli("log", "main", "-n", "1")["commits"][0]["parents"][0] == main_before
    checks = {e.check_name: e.passed for e in result.get_asset_check_evaluations()}
    assert checks == {"no_denied_columns_prod": True, "model_checks": True}

    # `rocky audit --run-id <dagster run id>` shows everything the run did.
    entries = cli("audit", "--run-id", result.run_id)["entries"]
    ops = [(e["operation"], e.get("branch")) for e in entries]
    assert [b for op, b in ops if op == "create"] == [f"ingest/{DAY}", f"transform/{DAY}", f"validate/{DAY}"]
    assert ("import", f"ingest/{DAY}") in ops and ("run", f"transform/{DAY}") in ops and ("merge", "main") in ops
    assert all(e["run_id"] == result.run_id for e in entries)

    # The same partition again, inputs unchanged: every data version stays.
    versions = {k: instance.get_latest_materialization_event(dg.AssetKey(k)).asset_materialization.tags["dagster/data_version"]
                for k in ["ingest", "transform"]}
    again = run(repo, binary, DAY, instance=instance)
    assert again.success, again.get_step_failure_events()
    for k, v in versions.items():
        assert instance.get_latest_materialization_event(dg.AssetKey(k)).asset_materialization.tags["dagster/data_version"] == v
    assert cli.tables("main")["client_report"]["id"] == main["client_report"]["id"]


def test_a_validation_failure_stops_the_merge_and_rolls_the_run_back(binary, repo, cli):
    # The report now carries the SSN, which prod denies.
    with open(os.path.join(repo, "models", "client_report.sql"), "w", encoding="utf-8") as handle:
        handle.write("SELECT c.name AS client, c.ssn, r.account_id, r.weight FROM rebalance r "
                     "JOIN accounts a ON r.account_id = a.account_id JOIN customers c ON a.customer_id = c.customer_id\n")
    cli("commit", "-m", "report with the ssn")
    main_before, branches_before = cli.head("main"), cli.branches()
    result = run(repo, binary, DAY)
    assert not result.success
    checks = {e.check_name: e for e in result.get_asset_check_evaluations()}
    assert not checks["no_denied_columns_prod"].passed
    assert "client_report.ssn <- customers.ssn (restricted)" in checks["no_denied_columns_prod"].description
    assert "merge" not in {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}
    # Rolled back: main as it was, the run's branches gone, the deletions audited under the run id.
    assert cli.head("main") == main_before and cli.branches() == branches_before
    deleted = [e["branch"] for e in cli("audit", "--run-id", result.run_id)["entries"] if e["operation"] == "delete"]
    assert sorted(deleted) == sorted([f"ingest/{DAY}", f"transform/{DAY}", f"validate/{DAY}"])
    assert cli("status")["branch"] == "main"


def test_a_conflict_fails_the_merge_asset_with_the_conflicts(binary, repo, cli):
    day = "2026-05-22"  # upserts the corrected JPM close of 2026-05-14
    first = run(repo, binary, day, assets=PIPELINE[:3])
    assert first.success, first.get_step_failure_events()
    cli("sql", "UPDATE prices SET close = 1 WHERE symbol = 'JPM' AND ts = '2026-05-14T20:00:00Z'", "-m", "a hand edit on main")
    main_before = cli.head("main")
    result = run(repo, binary, day, assets=PIPELINE)
    assert not result.success
    assert [e.step_key for e in result.get_step_failure_events()] == ["merge"]
    meta = failure_metadata(result)
    assert meta["rocky/exit_code"] == 3 and meta["rocky/error_code"] == "merge_conflict"
    [conflict] = meta["rocky/conflicts"]
    assert (conflict["table"], conflict["column"], conflict["key"]) == ("prices", "close", {"symbol": "JPM", "ts": "2026-05-14T20:00:00Z"})
    assert cli.head("main") == main_before


def test_replay_with_gaps_fails_with_the_diff_and_allow_gaps_materializes(binary, repo, cli):
    for time, name in [("2026-05-18T22:00:00Z", "2026-05-18"), ("2026-05-20T22:00:00Z", "2026-05-20"),
                       ("2026-05-21T22:00:00Z", "2026-05-21")]:
        cli("import", "prices", os.path.join(FIXTURES, "deliveries", f"prices-{name}.csv"), "--mode", "append",
            "-m", f"prices {name}", time=time)
    cli("checkout", "-b", "analysis", time="2026-05-22T10:00:00Z")
    cli("run", "daily_close", "volatility", "returns", "-m", "volatility", time="2026-05-22T10:00:00Z")
    cli("checkout", "main")
    branches = cli.branches()
    config = {"ops": {"replay": {"config": {"branch": "analysis", "at": "2026-05-20T16:00:00Z"}}}}
    result = dg.materialize([rebalance.replay], run_config=config, raise_on_error=False,
                            resources={"rocky": RockyResource(repository=repo, rocky_bin=binary)})
    assert not result.success
    meta = failure_metadata(result)
    assert meta["rocky/exit_code"] == 4 and meta["rocky/gap_rows"] == 10
    gaps = meta["rocky/gaps"]
    assert {g["table"] for g in gaps} == {"prices"}
    assert [(g["table"], len(g["arrived_later"]), len(g["corrected"]), len(g["removed_later"])) for g in gaps] == \
        [("prices", 10, 0, 0)]
    assert {r["ts"] for r in gaps[0]["arrived_later"]} == {"2026-05-19T20:00:00Z"}
    assert cli.branches() == branches

    config["ops"]["replay"]["config"]["policy"] = "allow-gaps"
    allowed = dg.materialize([rebalance.replay], run_config=config,
                             resources={"rocky": RockyResource(repository=repo, rocky_bin=binary)})
    [m] = allowed.get_asset_materialization_events()
    branch = m.materialization.metadata["rocky/branch"].value
    assert branch == "replay/analysis/20260520T160000Z" and branch in cli.branches()
