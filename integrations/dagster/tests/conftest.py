"""Fixtures: the real `rocky` binary (ROCKY_BIN, default the worktree's
.build/debug/rocky) and repositories it makes in temporary folders."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any, Iterator, Optional

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
PACKAGE = os.path.dirname(HERE)
ROOT = os.path.normpath(os.path.join(PACKAGE, "..", ".."))
EXAMPLE = os.path.join(PACKAGE, "examples", "rebalance")
FIXTURES = os.path.join(ROOT, "Fixtures")

# The package and the example as they are in this checkout, ahead of an
# installed copy.
sys.path[:0] = [os.path.join(PACKAGE, "src"), EXAMPLE]


def rocky_bin() -> str:
    path = os.environ.get("ROCKY_BIN") or os.path.join(ROOT, ".build", "debug", "rocky")
    if not os.access(path, os.X_OK):
        pytest.fail(f"no rocky binary at {path}: run `swift build` (or set ROCKY_BIN)", pytrace=False)
    return os.path.abspath(path)


class Rocky:
    """The CLI of one repository, for tests to set up and inspect state."""

    def __init__(self, binary: str, repo: str) -> None:
        self.binary = binary
        self.repo = repo

    def __call__(self, *args: str, time: Optional[str] = None, env: Optional[dict[str, str]] = None,
                 code: int = 0) -> dict[str, Any]:
        e = dict(os.environ)
        e.pop("ROCKY_RUN_ID", None)
        if time:
            e["ROCKY_COMMIT_TIME"] = time
        e.update(env or {})
        done = subprocess.run([self.binary, "-C", self.repo, "--json", *args], capture_output=True, text=True, env=e)
        assert done.returncode == code, f"rocky {' '.join(args)} exited {done.returncode}\n{done.stdout}\n{done.stderr}"
        return json.loads(done.stdout) if done.stdout.strip() else {}

    def tables(self, revision: Optional[str] = None) -> dict[str, dict[str, Any]]:
        return {t["name"]: t for t in self("tables", *([revision] if revision else []))["tables"]}

    def branches(self) -> list[str]:
        return [b["name"] for b in self("branch")["branches"]]

    def head(self, revision: str = "HEAD") -> str:
        return str(self("rev-parse", revision)["ids"][0])


@pytest.fixture(scope="session")
def binary() -> str:
    return rocky_bin()


@pytest.fixture(scope="session")
def template(binary: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    """The example repository, made once; tests work on copies."""
    from setup_repository import create_repository
    return create_repository(str(tmp_path_factory.mktemp("template") / "warehouse"), binary, FIXTURES)


@pytest.fixture
def repo(template: str, tmp_path: Any) -> str:
    import shutil
    path = str(tmp_path / "warehouse")
    shutil.copytree(template, path, symlinks=True)
    return path


@pytest.fixture
def cli(binary: str, repo: str) -> Rocky:
    return Rocky(binary, repo)


@pytest.fixture
def dagster_home(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    home = tmp_path / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    yield str(home)
