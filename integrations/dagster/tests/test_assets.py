"""Assets from a repository: dependencies from Rocky's lineage, data versions
that are table ids, code versions that hash the compiled SQL, metadata,
checks, and branch isolation per run."""

from __future__ import annotations

import hashlib
import os

import dagster as dg
import pytest

from conftest import FIXTURES
from dagster_rocky import RockyResource, build_rocky_assets

MODELS = ["daily_close", "last_close", "latest", "returns", "volatility", "exposure", "account_value", "weights",
          "rebalance", "client_report"]


def key(name: str) -> dg.AssetKey:
    return dg.AssetKey([name])


def latest(instance: dg.DagsterInstance, name: str) -> dg.AssetMaterialization:
    event = instance.get_latest_materialization_event(key(name))
    assert event is not None and event.asset_materialization is not None, name
    return event.asset_materialization


def data_version(m: dg.AssetMaterialization) -> str:
    return m.tags["dagster/data_version"]


def graph(assets) -> dict[dg.AssetKey, set[dg.AssetKey]]:
    out = {}
    for a in assets:
        if isinstance(a, dg.AssetsDefinition):
            for spec in a.specs:
                out[spec.key] = {d.asset_key for d in spec.deps}
    return out


def test_models_become_assets_with_lineage_dependencies_and_exact_versions(binary, repo, cli):
    rocky = RockyResource(repository=repo, rocky_bin=binary)
    assets = build_rocky_assets(rocky)
    deps = graph(assets)
    assert set(deps) >= {key(m) for m in MODELS}
    assert deps[key("latest")] == {key("daily_close"), key("last_close")}
    assert deps[key("client_report")] == {key("rebalance"), key("accounts"), key("customers")}
    assert deps[key("daily_close")] == {key("prices")}
    sources = {a.key for a in assets if not isinstance(a, dg.AssetsDefinition) or not a.specs or a.is_observable}
    assert {key("prices"), key("positions"), key("customers")} <= sources

    instance = dg.DagsterInstance.ephemeral()
    result = dg.materialize(assets, resources={"rocky": rocky}, instance=instance)
    assert result.success
    tables = cli.tables()
    check = {f["model"]: f for f in cli("check", "--emit")["files"]}
    for name in MODELS:
        m = latest(instance, name)
        # The data version is the table id Rocky stores; the code version hashes the compiled SQL.
        assert data_version(m) == tables[name]["id"]
        sql = "\n".join(check[name]["statements"][0]["sql"])
        assert m.tags["dagster/code_version"] == hashlib.sha256(sql.encode()).hexdigest()[:16]
        assert m.metadata["dagster/row_count"].value == tables[name]["rows"]
    report = latest(instance, "client_report").metadata
    schema = report["dagster/column_schema"].value
    assert [c.name for c in schema.columns] == ["client", "email", "account_id", "symbol", "weight"]
    assert {c.name: c.tags.get("classification") for c in schema.columns}["client"] == "pii"
    lineage = report["dagster/column_lineage"].value
    assert [(d.asset_key, d.column_name) for d in lineage.deps_by_column["client"]] == [(key("customers"), "name")]
    assert [(d.asset_key, d.column_name) for d in lineage.deps_by_column["weight"]] == [(key("rebalance"), "weight")]
    assert report["rocky/commit"].value == cli.head() and report["rocky/branch"].value == "main"
    assert report["rocky/engine"].value.startswith("sqlite")
    assert report["rocky/cost"].value >= 0 and report["rocky/duration_ms"].value >= 0
    assert "reads: rebalance" in report["rocky/transformation"].value or "rebalance (" in report["rocky/transformation"].value
    assert "client [pii] <- customers.name" in report["rocky/transformation"].value

    # The checks of models/rebalance.checks.toml and the prod governance check ran and passed.
    checks = {(e.asset_key, e.check_name): e.passed for e in result.get_asset_check_evaluations()}
    assert checks[(key("rebalance"), "row_count")] and checks[(key("rebalance"), "weights_and_volatility_known")]
    assert checks[(key("client_report"), "no_denied_columns_prod")]

    # Nothing changed: a second materialization runs no model, and every
    # data version stays the table id it was.
    head = cli.head()
    again = dg.materialize(assets, resources={"rocky": rocky}, instance=instance)
    assert again.success
    assert again.get_asset_materialization_events() == []
    assert cli.head() == head
    for name in MODELS:
        assert data_version(latest(instance, name)) == tables[name]["id"]

    # A new delivery changes prices: the observed source's data version moves,
    # and exactly the models downstream of prices run again.
    cli("import", "prices", os.path.join(FIXTURES, "deliveries", "prices-2026-05-18.csv"), "--mode", "append",
        "-m", "prices 2026-05-18")
    third = dg.materialize(assets, resources={"rocky": rocky}, instance=instance)
    assert third.success
    ran = {e.asset_key for e in third.get_asset_materialization_events()}
    assert ran == {key(m) for m in MODELS}, ran
    assert data_version(latest(instance, "daily_close")) == cli.tables()["daily_close"]["id"] != tables["daily_close"]["id"]
    # Observing the source reports the new prices table id as its data version.
    assert dg.materialize(assets, resources={"rocky": rocky}, instance=instance, selection=[key("prices")]).success
    [observed] = instance.fetch_observations(key("prices"), limit=1).records
    assert observed.asset_observation.tags["dagster/data_version"] == cli.tables()["prices"]["id"] != tables["prices"]["id"]


def test_a_run_works_on_its_own_branch_and_merges_only_when_checks_pass(binary, repo, cli):
    rocky = RockyResource(repository=repo, rocky_bin=binary)
    assets = build_rocky_assets(rocky, isolate_runs=True)
    main_before = cli.head("main")
    result = dg.materialize(assets, resources={"rocky": rocky})
    assert result.success
    run_branch = f"dagster/{result.run_id}"
    # The run's branch was merged into main and removed; main holds the models' tables.
    assert run_branch not in cli.branches()
    assert cli.head("main") != main_before
    assert set(MODELS) <= set(cli.tables("main"))
    merges = [e for e in cli("audit", "--run-id", result.run_id)["entries"] if e["operation"] == "merge"]
    assert [(e["branch"], e["details"]["source"]) for e in merges] == [("main", run_branch)]

    # A model that lets the SSN (denied in prod) reach the report: the blocking
    # governance check fails, nothing is merged, and the run's branch is deleted.
    with open(os.path.join(repo, "models", "client_report.sql"), "w", encoding="utf-8") as handle:
        handle.write("SELECT c.name AS client, c.ssn, r.account_id, r.weight FROM rebalance r "
                     "JOIN accounts a ON r.account_id = a.account_id JOIN customers c ON a.customer_id = c.customer_id\n")
    cli("commit", "-m", "report with the ssn")
    main_before = cli.head("main")
    assets = build_rocky_assets(rocky, isolate_runs=True)
    failed = dg.materialize(assets, resources={"rocky": rocky}, raise_on_error=False)
    assert not failed.success
    checks = {(e.asset_key, e.check_name): e for e in failed.get_asset_check_evaluations()}
    leak = checks[(key("client_report"), "no_denied_columns_prod")]
    assert not leak.passed and "client_report.ssn <- customers.ssn (restricted)" in (leak.description or "")
    assert cli.head("main") == main_before
    assert f"dagster/{failed.run_id}" not in cli.branches()
    deleted = [e for e in cli("audit", "--run-id", failed.run_id)["entries"] if e["operation"] == "delete"]
    assert [e["branch"] for e in deleted] == [f"dagster/{failed.run_id}"]
    assert cli("status")["branch"] == "main"
