"""RockyComponent: the same assets from a defs.yaml."""

from __future__ import annotations

import dagster as dg
from dagster.components import build_component_defs


def test_a_defs_yaml_loads_the_repository_as_assets(binary, repo, cli, tmp_path, monkeypatch):
    # A project whose defs folder (an importable module) holds the component.
    folder = tmp_path / "project" / "rocky_defs" / "warehouse"
    folder.mkdir(parents=True)
    monkeypatch.syspath_prepend(str(tmp_path))
    relative = "../../../warehouse"  # relative to the folder of defs.yaml
    assert repo == str(tmp_path / "warehouse")
    (folder / "defs.yaml").write_text(
        "type: dagster_rocky.RockyComponent\n"
        "attributes:\n"
        f"  repository: {relative}\n"
        f"  rocky_bin: {binary}\n"
        "  key_prefix: [warehouse]\n"
        "  isolate_runs: false\n")
    defs = build_component_defs(tmp_path / "project" / "rocky_defs")
    keys = {k.to_user_string() for k in defs.resolve_all_asset_keys()}
    assert {"warehouse/prices", "warehouse/daily_close", "warehouse/client_report"} <= keys
    graph = defs.resolve_asset_graph()
    assert graph.get(dg.AssetKey(["warehouse", "latest"])).parent_keys == \
        {dg.AssetKey(["warehouse", "daily_close"]), dg.AssetKey(["warehouse", "last_close"])}
    job = defs.resolve_implicit_global_asset_job_def()
    result = job.execute_in_process(asset_selection=[dg.AssetKey(["warehouse", "daily_close"])])
    assert result.success
    [m] = result.get_asset_materialization_events()
    assert m.materialization.tags["dagster/data_version"] == cli.tables("main")["daily_close"]["id"]
