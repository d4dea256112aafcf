"""Rollback decisions from plain data: which recorded deployment to restore, and whether the
code in this checkout is the code that deployment ran.

`app.rollback.roll_back` does the I/O (ledger, config store, terraform) around these.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from . import records
from .errors import InfrarepError

DEFAULT_REASON = "rolled back with `infrarep rollback`"


class RollbackRefused(InfrarepError):
    """The rollback cannot go ahead as asked; nothing was applied."""


def recorded_deploy(
    rows: Sequence[records.LedgerEntry],
    env: str,
    version: str,
    recent: Callable[[], Sequence[records.LedgerEntry]] | None = None,
) -> records.LedgerEntry:
    """The newest applied DEPLOY of `version` to `env` (`records.applied`). Raises naming the env
    and version; `recent` (the env's newest rows) feeds the hint."""
    deploys = [
        row
        for row in rows
        if row.env == env
        and row.version == version
        and row.event_type is records.EventType.DEPLOY
        and records.applied(row)
    ]
    if deploys:
        return max(deploys, key=lambda row: row.deployed_at)
    tried = [row for row in rows if row.env == env and row.version == version]
    if tried:
        seen = ", ".join(sorted({f"{row.event_type} {row.status}" for row in tried}))
        message = f"{env}: version {version!r} was never deployed successfully (the ledger has: {seen})"
    else:
        message = f"{env}: no deployment of version {version!r} in the ledger"
    known = deployable_versions(recent()) if recent is not None else []
    hint = f"versions deployed to {env}, newest first: {', '.join(known)}" if known else None
    raise RollbackRefused(message, hint=hint)


def deployable_versions(rows: Sequence[records.LedgerEntry], limit: int = 10) -> list[str]:
    """Versions with an applied DEPLOY, newest first, each once."""
    ordered = sorted(rows, key=lambda row: row.deployed_at, reverse=True)
    versions: list[str] = []
    for row in ordered:
        if (
            row.event_type is records.EventType.DEPLOY
            and records.applied(row)
            and row.version not in versions
        ):
            versions.append(row.version)
    return versions[:limit]


def check_code(restored: records.LedgerEntry, current_commit: str, force: bool) -> str | None:
    """None when this checkout is the code `restored` was deployed from. Otherwise refuse,
    or with `force` return a note saying which code is applied instead (recorded in the row)."""
    if restored.source_commit == current_commit:
        return None
    note = f"code {current_commit} applied, {restored.version} was deployed from {restored.source_commit}"
    if force:
        return note
    if restored.source_commit == records.UNKNOWN or restored.source_commit.endswith("-dirty"):
        how = "that code was never committed, so it cannot be checked out"
    else:
        commit = restored.source_commit
        how = f"check out {commit} (e.g. `git worktree add ../rollback-{commit} {commit}`)"
    raise RollbackRefused(
        f"{restored.env}: {restored.version} was deployed from {restored.source_commit}, "
        f"this checkout is {current_commit}",
        hint=f"{how} and run the rollback there, or pass --force to re-apply the snapshot with this code",
    )
