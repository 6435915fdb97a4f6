"""`RockyResource`: the `rocky` command line, driven with `--json`."""

from __future__ import annotations

import fcntl
import json
import os
import subprocess
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Iterator, Mapping, Optional, Sequence

import dagster as dg
from pydantic import Field, PrivateAttr

from .errors import RockyError, error_for


@dataclass(frozen=True)
class RockyModel:
    """A model (`models/<name>.sql`) as `rocky --json check --emit` compiles it."""

    name: str
    file: str
    ok: bool
    refused: bool
    #: The SQL `rocky run` executes, as emitted for SQLite; its hash is the code version.
    sql: tuple[str, ...]
    input_tables: tuple[str, ...]
    columns: tuple[dict[str, Any], ...]
    lineage: dict[str, Any]
    diagnostics: tuple[dict[str, Any], ...]
    source: str = ""

    @property
    def description(self) -> str | None:
        for line in self.source.splitlines():
            stripped = line.strip()
            if not stripped:
                continue
            if not stripped.startswith("--"):
                break
            body = stripped[2:].strip()
            if body.lower().startswith("description:"):
                return body.split(":", 1)[1].strip()
        return None


@dataclass
class CommandResult:
    """A command that succeeded: its document and what it printed on stderr."""

    document: dict[str, Any]
    stderr: list[str] = field(default_factory=list)


class RockyResource(dg.ConfigurableResource):  # type: ignore[type-arg]
    """Runs `rocky --json ...` in a repository.

    Every call prints one JSON document on stdout, which is parsed; stderr
    lines (messages, warnings, progress) go to the Dagster log as they come;
    a non-zero exit raises the typed error of `dagster_rocky.errors`. Inside
    a Dagster run, the run id is Rocky's run id (`ROCKY_RUN_ID`), so commits
    and audit entries name the run: `rocky audit --run-id <dagster run id>`.
    """

    repository: str = Field(description="The Rocky repository (the folder holding .rocky/).")
    rocky_bin: str = Field(default="rocky", description="The rocky binary: a path, or a name on PATH.")
    actor: Optional[str] = Field(default=None, description="The actor recorded (--as); default ROCKY_ACTOR, then the OS user.")
    environment: Optional[str] = Field(default=None, description="The environment whose masking applies (--env).")
    engine: Optional[str] = Field(default=None, description="The engine statements run on (--engine).")
    timeout: float = Field(default=600.0, description="Seconds one command may take before it is killed.")

    _run_id: Optional[str] = PrivateAttr(default=None)
    _log: Any = PrivateAttr(default=None)

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        self._run_id = context.run.run_id if context.run is not None else None
        self._log = context.log

    # -- the working directory ----------------------------------------------

    @contextmanager
    def working_directory(self) -> Iterator[None]:
        """Holds the repository's working directory for the block: steps
        that check out a branch and write to it (`branch_step`, the models'
        multi-asset) take it, so that steps of one repository that Dagster
        runs at once in several processes of this host take turns instead
        of changing each other's checkout. An `flock` on the repository's
        folder itself (Rocky's own locks are files under .rocky/locks, so
        they do not meet it; nothing is written); re-entrant within a
        thread."""
        depth = getattr(_held, "depth", {})
        _held.depth = depth
        real = os.path.realpath(self.repository)
        if depth.get(real):
            depth[real] += 1
            try:
                yield
            finally:
                depth[real] -= 1
            return
        fd = os.open(real, os.O_RDONLY | os.O_DIRECTORY)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            depth[real] = 1
            try:
                yield
            finally:
                depth[real] = 0
                fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)

    # -- the one entry point ------------------------------------------------

    def cli(
        self,
        args: Sequence[str],
        *,
        run_id: Optional[str] = None,
        log: Any = None,
        environment: Optional[str] = None,
        input: Optional[str] = None,
        extra_env: Optional[Mapping[str, str]] = None,
    ) -> dict[str, Any]:
        """Runs `rocky --json <args>` and returns its document; raises the
        typed error of its exit code (2 usage, 3 conflict, 4 replay gaps,
        5 refused, else `RockyError`)."""
        return self.run_command(args, run_id=run_id, log=log, environment=environment, input=input,
                                extra_env=extra_env).document

    def run_command(
        self,
        args: Sequence[str],
        *,
        run_id: Optional[str] = None,
        log: Any = None,
        environment: Optional[str] = None,
        input: Optional[str] = None,
        extra_env: Optional[Mapping[str, str]] = None,
    ) -> CommandResult:
        argv = [self.rocky_bin, "-C", self.repository, "--json"]
        if self.actor:
            argv += ["--as", self.actor]
        env_name = environment or self.environment
        if env_name:
            argv += ["--env", env_name]
        if self.engine:
            argv += ["--engine", self.engine]
        argv += list(args)
        env = dict(os.environ)
        rid = run_id or self._run_id
        if rid:
            env["ROCKY_RUN_ID"] = rid
        if extra_env:
            env.update(extra_env)
        logger = log or self._log
        proc = subprocess.Popen(argv, stdin=subprocess.PIPE if input is not None else subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True)
        err_lines: list[str] = []

        def pump() -> None:
            assert proc.stderr is not None
            for line in proc.stderr:
                line = line.rstrip("\n")
                err_lines.append(line)
                if logger is not None and line:
                    logger.info(f"rocky: {line}" if not line.startswith("rocky") else line)

        chunks: list[str] = []

        def collect() -> None:
            assert proc.stdout is not None
            chunks.append(proc.stdout.read())

        # stdout and stderr each have their own reader, so that neither pipe
        # fills while the other is read, and stderr reaches the log as it comes.
        readers = [threading.Thread(target=pump, daemon=True), threading.Thread(target=collect, daemon=True)]
        for reader in readers:
            reader.start()
        if input is not None:
            assert proc.stdin is not None
            proc.stdin.write(input)
            proc.stdin.close()
        try:
            proc.wait(timeout=self.timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            for reader in readers:
                reader.join()
            raise RockyError(list(args), 1, {"error": {"code": "timeout",
                             "message": f"rocky did not finish within {self.timeout:g} s and was killed"}},
                             "\n".join(err_lines))
        for reader in readers:
            reader.join()
        out = "".join(chunks)
        try:
            document = json.loads(out) if out.strip() else {}
        except json.JSONDecodeError as exc:
            raise RockyError(list(args), proc.returncode or 1, {"error": {"code": "malformed_output",
                             "message": f"rocky printed no JSON document on stdout ({exc})"}}, "\n".join(err_lines))
        if not isinstance(document, dict):
            raise RockyError(list(args), proc.returncode or 1, {"error": {"code": "malformed_output",
                             "message": "rocky's document is not an object"}}, "\n".join(err_lines))
        if proc.returncode != 0:
            raise error_for(list(args), proc.returncode, document, "\n".join(err_lines))
        return CommandResult(document, err_lines)

    # -- reading ------------------------------------------------------------

    def tables(self, revision: Optional[str] = None, **kw: Any) -> dict[str, dict[str, Any]]:
        """The tables of a revision (default: the working set) by name: `id`, `rows`, `columns`, `key`."""
        doc = self.cli(["tables"] + ([revision] if revision else []), **kw)
        return {t["name"]: t for t in doc.get("tables", [])}

    def table_schema(self, table: str, revision: Optional[str] = None, **kw: Any) -> dict[str, Any]:
        """`rocky schema <table>`: columns with ids, types, nullability and governance."""
        return self.cli(["schema", table] + ([revision] if revision else []), **kw)

    def models(self, revision: Optional[str] = None, **kw: Any) -> list[RockyModel]:
        """Every model, compiled as `rocky run` would build it, in dependency order."""
        try:
            doc = self.cli(["check", "--emit"] + ([revision] if revision else []), **kw)
        except RockyError as exc:
            if "files" not in exc.document:
                raise
            doc = exc.document
        models = []
        for f in doc.get("files", []):
            statement = (f.get("statements") or [{}])[0]
            source_path = os.path.join(self.repository, f["file"])
            try:
                with open(source_path, encoding="utf-8") as handle:
                    source = handle.read()
            except OSError:
                source = ""
            models.append(RockyModel(
                name=f["model"], file=f["file"], ok=bool(f.get("ok")), refused=bool(f.get("refused")),
                sql=tuple(statement.get("sql") or ()), input_tables=tuple(statement.get("input_tables") or ()),
                columns=tuple(statement.get("columns") or ()), lineage=dict(statement.get("lineage") or {}),
                diagnostics=tuple(f.get("diagnostics") or ()), source=source))
        return models

    def current_branch(self, **kw: Any) -> Optional[str]:
        return self.cli(["status"], **kw).get("branch")

    def branches(self, **kw: Any) -> dict[str, str]:
        """Branch name -> head commit id."""
        doc = self.cli(["branch"], **kw)
        return {b["name"]: b.get("commit") or b.get("head") or "" for b in doc.get("branches", [])}

    def rev_parse(self, revision: str, **kw: Any) -> str:
        return str(self.cli(["rev-parse", revision], **kw)["ids"][0])

    def audit(self, run_id: Optional[str] = None, **kw: Any) -> list[dict[str, Any]]:
        """The audit entries, oldest first; with `run_id`, those of that run only."""
        args = ["audit"] + (["--run-id", run_id] if run_id else [])
        return list(self.cli(args, **kw).get("entries", []))

    # -- writing ------------------------------------------------------------

    def checkout(self, branch: str, *, create_from: Optional[str] = None, **kw: Any) -> dict[str, Any]:
        args = ["checkout", "-b", branch, create_from] if create_from else ["checkout", branch]
        return self.cli([a for a in args if a is not None], **kw)

    def run_models(self, models: Iterable[str] = (), *, message: Optional[str] = None, **kw: Any) -> dict[str, Any]:
        """`rocky run [models] [-m message]`: the transformations and the commit."""
        args = ["run", *models] + (["-m", message] if message else [])
        return self.cli(args, **kw)

    def sql(self, statements: str, *, message: Optional[str] = None, **kw: Any) -> dict[str, Any]:
        return self.cli(["sql", statements] + (["-m", message] if message else []), **kw)

    def import_table(self, table: str, path: str, *, key: Sequence[str] = (), mode: Optional[str] = None,
                     time_column: Optional[str] = None, message: Optional[str] = None, **kw: Any) -> dict[str, Any]:
        args = ["import", table, path]
        if key:
            args += ["--key", ",".join(key)]
        if time_column:
            args += ["--time-column", time_column]
        if mode:
            args += ["--mode", mode]
        if message:
            args += ["-m", message]
        return self.cli(args, **kw)

    def merge(self, source: str, *, into: str, message: Optional[str] = None, **kw: Any) -> dict[str, Any]:
        """Merges by compare-and-swap: a target that moved, or a conflict,
        raises `RockyConflictError` and writes nothing."""
        return self.cli(["merge", source, "--into", into] + (["-m", message] if message else []), **kw)

    def replay(self, branch: str, *, at: str, name: Optional[str] = None, policy: Optional[str] = None,
               **kw: Any) -> dict[str, Any]:
        """`rocky replay`; gaps raise `RockyReplayGapsError` (its `gaps` the row diff)
        unless `policy` is `allow-gaps` or `corrected`."""
        args = ["replay", branch, "--at", at] + (["--name", name] if name else [])
        if policy:
            args.append("--" + policy)
        return self.cli(args, **kw)

    def rollback(self, run_id: str, *, keep: Sequence[str] = (), log: Any = None) -> list[str]:
        """Undoes what run `run_id` did to branches, from the audit log: each
        branch it created is deleted, each other branch it moved is reset
        to where the run found it (by compare-and-swap, `update-ref`).
        Returns what it did, one line each; every step is itself audited
        under the same run id. Branches in `keep` are left alone."""
        entries = self.audit(run_id, log=log)
        created: list[str] = []
        found: dict[str, Optional[str]] = {}
        for e in entries:
            branch = e.get("branch")
            # Only entries that moved the branch's ref count (a checkout's
            # `old` is the commit HEAD left, not the branch's).
            if not branch or branch in keep or branch in found or e.get("ref") != f"refs/heads/{branch}":
                continue
            if e.get("operation") == "create" and e.get("old") is None:
                created.append(branch)
                found[branch] = None
            elif e.get("old"):
                found[branch] = e.get("old")
        live = self.branches(log=log)
        current = self.current_branch(log=log)
        done: list[str] = []
        for branch, old in found.items():
            if branch not in live:
                continue
            if old is None:
                if current == branch:
                    fallback = next((b for b in ("main",) if b in live and b != branch), None)
                    if fallback:
                        self.cli(["checkout", "--force", fallback], run_id=run_id, log=log)
                        current = fallback
                self.cli(["branch", "-D", branch], run_id=run_id, log=log)
                done.append(f"deleted {branch}")
            elif live[branch] != old:
                self.cli(["update-ref", f"refs/heads/{branch}", old, live[branch]], run_id=run_id, log=log)
                done.append(f"reset {branch} to {old}")
        return done


LogFn = Callable[[str], None]

_held = threading.local()
