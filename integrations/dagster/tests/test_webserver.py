"""The example through Dagster's own command line and web server: `dagster
asset materialize` runs the whole pipeline for a partition, then
`dagster-webserver` (a free loopback port) serves the asset graph, and a
model's column lineage and data version, through GraphQL."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import dagster as dg

from conftest import EXAMPLE
from dagster_rocky import RockyResource, build_rocky_assets

QUERY = """
{
  assetNodes { assetKey { path } dependencyKeys { path } }
  assetOrError(assetKey: {path: ["latest"]}) {
    ... on Asset {
      assetMaterializations(limit: 1) {
        runId
        tags { key value }
        metadataEntries {
          label
          ... on TableColumnLineageMetadataEntry {
            lineage { columnName columnDeps { assetKey { path } columnName } }
          }
        }
      }
    }
  }
}
"""

DAY = "2026-05-18"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def graphql(port: int, query: str) -> dict:
    request = urllib.request.Request(f"http://127.0.0.1:{port}/graphql", data=json.dumps({"query": query}).encode(),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        body = json.loads(response.read())
    assert "errors" not in body, body["errors"]
    return body["data"]


def test_the_cli_runs_the_pipeline_and_the_webserver_shows_graph_lineage_and_versions(binary, repo, cli, dagster_home):
    definitions = os.path.join(EXAMPLE, "definitions.py")
    env = dict(os.environ, ROCKY_REPOSITORY=repo, ROCKY_BIN=binary, DAGSTER_HOME=dagster_home,
               PYTHONPATH=os.pathsep.join(sys.path))
    bindir = os.path.dirname(sys.executable)
    done = subprocess.run([os.path.join(bindir, "dagster"), "asset", "materialize", "-f", definitions,
                           "--select", "ingest,transform,validate,merge", "--partition", DAY,
                           # the steps form a chain: one process runs them in turn
                           "--config-json", json.dumps({"execution": {"config": {"in_process": {}}}})],
                          env=env, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr[-3000:]
    instance = dg.DagsterInstance.get()
    merged = instance.get_latest_materialization_event(dg.AssetKey("merge"))
    assert merged is not None and merged.asset_materialization.tags["dagster/data_version"] == cli.head("main")
    entries = cli("audit", "--run-id", merged.run_id)["entries"]
    assert [e["branch"] for e in entries if e["operation"] == "create"][:3] == \
        [f"ingest/{DAY}", f"transform/{DAY}", f"validate/{DAY}"]

    # The models on main, materialized in process into the same instance.
    rocky = RockyResource(repository=repo, rocky_bin=binary)
    models = dg.materialize(build_rocky_assets(rocky, isolate_runs=True, group_name="models"), instance=instance,
                            resources={"rocky": rocky}, selection=["daily_close", "last_close", "latest"])
    assert models.success

    port = free_port()
    server = subprocess.Popen([os.path.join(bindir, "dagster-webserver"), "-f", definitions,
                               "-h", "127.0.0.1", "-p", str(port)], env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while True:
            assert server.poll() is None, server.stderr.read().decode()[-3000:] if server.stderr else "exited"
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/server_info", timeout=5).read()
                break
            except OSError:
                assert time.monotonic() < deadline, "dagster-webserver did not answer"
                time.sleep(0.5)
        data = graphql(port, QUERY)
        deps = {"/".join(n["assetKey"]["path"]): {"/".join(d["path"]) for d in n["dependencyKeys"]}
                for n in data["assetNodes"]}
        assert deps["transform"] == {"ingest"} and deps["merge"] == {"validate"}
        assert deps["latest"] == {"daily_close", "last_close"} and deps["daily_close"] == {"prices"}
        [m] = data["assetOrError"]["assetMaterializations"]
        tags = {t["key"]: t["value"] for t in m["tags"]}
        assert tags["dagster/data_version"] == cli.tables("main")["latest"]["id"]
        [lineage] = [e["lineage"] for e in m["metadataEntries"] if e["label"] == "dagster/column_lineage"]
        by_column = {c["columnName"]: [("/".join(d["assetKey"]["path"]), d["columnName"]) for d in c["columnDeps"]]
                     for c in lineage}
        assert by_column == {"symbol": [("daily_close", "symbol")], "close": [("daily_close", "close")]}, by_column
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
