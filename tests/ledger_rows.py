"""Ledger rows as the workflow writes them, for tests that read the ledger back."""

from __future__ import annotations

from datetime import datetime

from infrarep import records


def row(
    env: str,
    version: str,
    at: datetime,
    status: records.Status = records.Status.SUCCEEDED,
    event_type: records.EventType = records.EventType.DEPLOY,
    commit: str = "abc123",
    reason: str | None = None,
) -> records.LedgerEntry:
    """A row of `env` at `at`; a drift check names no plan, an apply names its plan's digest."""
    return records.LedgerEntry.create(
        env=env,
        at=at,
        event_id=f"{env}-{version}-{at.timestamp()}-{status}-{event_type}",
        version=version,
        source_commit=commit,
        event_type=event_type,
        status=status,
        actor="ci",
        reason=reason,
        plan_digest=None if event_type is records.EventType.DRIFT_CHECK else "sha256:plan",
    )
