"""RockyResource: one document per call, stderr to the log, exit codes as
typed errors, the Dagster run id as Rocky's run id."""

from __future__ import annotations

import logging
import threading
import time

import dagster as dg
import pytest

from dagster_rocky import (RockyConflictError, RockyError, RockyPolicyRefusal, RockyResource, RockyUsageError)


class Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


def test_a_call_returns_the_document_and_streams_stderr_to_the_log(binary, repo, cli):
    rocky = RockyResource(repository=repo, rocky_bin=binary)
    log = logging.getLogger("rocky-test")
    handler = Lines()
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    assert set(rocky.tables()) == {"accounts", "customers", "positions", "prices", "risk_scores"}
    result = rocky.run_command(["run", "daily_close"], log=log)
    assert [list(t["output_tables"]) for t in result.document["transformations"]] == [["daily_close"]]
    # Messages go to stderr, and from there to the log, line by line.
    with pytest.raises(RockyError) as failed:
        rocky.cli(["schema", "nosuch"], log=log)
    assert failed.value.stderr.startswith("rocky: error: no table")
    assert failed.value.stderr.splitlines()[0] in handler.lines, handler.lines


def test_exit_codes_become_typed_errors(binary, repo, cli):
    rocky = RockyResource(repository=repo, rocky_bin=binary)
    with pytest.raises(RockyUsageError) as usage:
        rocky.cli(["log", "--no-such-option"])
    assert usage.value.exit_code == 2 and usage.value.code == "usage"

    with pytest.raises(RockyError) as missing:
        rocky.cli(["schema", "nosuch"])
    assert type(missing.value) is RockyError and missing.value.exit_code == 1 and missing.value.code == "no_such_table"

    # Both branches change the same cell: the merge conflicts (exit 3) and
    # the error carries Rocky's conflict list.
    cli("branch", "other")
    cli("sql", "UPDATE risk_scores SET beta = 1.5 WHERE symbol = 'AAPL'", "-m", "main's beta")
    cli("checkout", "other")
    cli("sql", "UPDATE risk_scores SET beta = 0.5 WHERE symbol = 'AAPL'", "-m", "other's beta")
    cli("checkout", "main")
    before = cli.head("main")
    with pytest.raises(RockyConflictError) as conflict:
        rocky.merge("other", into="main")
    assert conflict.value.exit_code == 3 and conflict.value.code == "merge_conflict"
    assert [(c["table"], c["key"], c["column"], c["ours"], c["theirs"]) for c in conflict.value.conflicts] == \
        [("risk_scores", {"symbol": "AAPL"}, "beta", 1.5, 0.5)]
    assert cli.head("main") == before


def test_a_policy_refusal_names_the_missing_permission(binary, repo, cli):
    with open(f"{repo}/rocky.toml", "a", encoding="utf-8") as handle:
        handle.write('\n[access]\nprotected = ["main"]\n[access.roles.admin]\nallow = ["*"]\n'
                     '[access.roles.reader]\nallow = ["read", "use"]\n'
                     '[access.roles.agent]\nallow = ["read", "create", "write", "use"]\nbranches = ["agent/*"]\n'
                     '[access.principals]\nadmin = ["admin"]\n"agent:x" = ["reader", "agent"]\n')
    cli("commit", "-m", "policy", env={"ROCKY_ACTOR": "admin"})
    cli("branch", "agent/work", env={"ROCKY_ACTOR": "agent:x"})
    agent = RockyResource(repository=repo, rocky_bin=binary, actor="agent:x")
    with pytest.raises(RockyPolicyRefusal) as refused:
        agent.merge("agent/work", into="main")
    assert refused.value.exit_code == 5 and refused.value.permission == "merge"
    assert refused.value.branch == "main"


def test_the_dagster_run_id_is_rockys_run_id(binary, repo, cli):
    @dg.asset
    def scored(rocky: RockyResource) -> None:
        rocky.sql("UPDATE positions SET risk_score = 0.85 WHERE risk_score IS NULL", message="score the unscored")

    result = dg.materialize([scored], resources={"rocky": RockyResource(repository=repo, rocky_bin=binary)})
    assert result.success
    entries = cli("audit", "--run-id", result.run_id)["entries"]
    assert [e["operation"] for e in entries] == ["sql", "commit"] or \
        {"sql", "commit"} <= {e["operation"] for e in entries}, entries
    assert all(e["run_id"] == result.run_id for e in entries)
    log = cli("log", "-n", "1")["commits"][0]
    assert log["run_id"] == result.run_id and log["message"] == "score the unscored"


def test_steps_of_one_repository_take_turns_on_its_working_directory(binary, repo):
    # Two holders of the same repository (as two step processes would be):
    # the second waits until the first lets go.
    first, second = RockyResource(repository=repo, rocky_bin=binary), RockyResource(repository=repo + "/.", rocky_bin=binary)
    order: list[str] = []
    holding = threading.Event()

    def hold() -> None:
        with first.working_directory():
            holding.set()
            time.sleep(0.5)
            order.append("first done")

    thread = threading.Thread(target=hold)
    thread.start()
    holding.wait()
    with second.working_directory():
        order.append("second in")
    thread.join()
    assert order == ["first done", "second in"]
    # Re-entrant within a thread: a step that holds it may call helpers that take it.
    with first.working_directory(), first.working_directory():
        order.append("nested")
    assert order[-1] == "nested"
