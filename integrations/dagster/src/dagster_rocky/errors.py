"""Typed errors for Rocky's exit codes (Docs/json.md, Docs/commands.md "Exit codes")."""

from __future__ import annotations

from typing import Any, Mapping, Sequence


class RockyError(Exception):
    """A `rocky` command that failed: exit code 1, or the base of the others.

    `command` is the command's arguments after the global options.

    `document` is the command's whole `--json` document, which on a failure
    starts with `error` (`code`, `message`, `exit_code`) and may carry the
    command's own members (merge conflicts, replay gaps, fsck problems).
    """

    exit_code: int

    def __init__(self, command: Sequence[str], exit_code: int, document: Mapping[str, Any], stderr: str = "") -> None:
        self.command = list(command)
        self.exit_code = exit_code
        self.document: dict[str, Any] = dict(document)
        error = self.document.get("error") or {}
        self.code: str = str(error.get("code", "error"))
        self.message: str = str(error.get("message", "") or stderr.strip() or f"rocky exited {exit_code}")
        self.stderr = stderr
        super().__init__(f"rocky {' '.join(self.command)} failed ({self.code}, exit {exit_code}): {self.message}")


class RockyUsageError(RockyError):
    """Exit 2: a malformed command line, an unknown name or value."""


class RockyConflictError(RockyError):
    """Exit 3: a merge conflict or a branch another process moved first.
    Nothing was written."""

    @property
    def conflicts(self) -> list[dict[str, Any]]:
        return list(self.document.get("conflicts") or [])

    @property
    def file_conflicts(self) -> list[Any]:
        return list(self.document.get("file_conflicts") or [])


class RockyReplayGapsError(RockyError):
    """Exit 4: a replay found rows that arrived, changed or were removed after
    the replay time; `gaps` is the row diff, per input table."""

    @property
    def gaps(self) -> list[dict[str, Any]]:
        return list(self.document.get("gaps") or [])

    @property
    def at(self) -> str | None:
        value = self.document.get("at")
        return str(value) if value is not None else None


class RockyPolicyRefusal(RockyError):
    """Exit 5: refused by the access policy or by governance (masking)."""

    @property
    def permission(self) -> str | None:
        """The permission the actor lacks (`merge`, `write`, ...); None for a
        governance refusal, whose message names the column's lineage path."""
        value = (self.document.get("error") or {}).get("permission")
        return str(value) if value is not None else None

    @property
    def branch(self) -> str | None:
        value = (self.document.get("error") or {}).get("branch")
        return str(value) if value is not None else None


_BY_EXIT_CODE: dict[int, type[RockyError]] = {
    2: RockyUsageError,
    3: RockyConflictError,
    4: RockyReplayGapsError,
    5: RockyPolicyRefusal,
}


def error_for(command: Sequence[str], exit_code: int, document: Mapping[str, Any], stderr: str = "") -> RockyError:
    """The typed error for a failed command's exit code."""
    return _BY_EXIT_CODE.get(exit_code, RockyError)(command, exit_code, document, stderr)
