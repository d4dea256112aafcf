"""Ledger rows as the workflow writes them, for tests that read the ledger back."""

from __future__ import annotations

from datetime import datetime

from infrarep import records


def row(
    event_type: records.EventType,
    status: records.Status,
    at: datetime,
    version: str = "v1",
    reason: str | None = None,
    env: str = "prod",
) -> records.LedgerEntry:
    return records.LedgerEntry.create(
        env=env,
        at=at,
        event_id=f"{event_type}-{status}-{at.timestamp()}",
        version=version,
        source_commit="abc123",
        event_type=event_type,
        status=status,
        actor="ci",
        reason=reason,
        plan_digest=None if event_type is records.EventType.DRIFT_CHECK else "sha256-of-the-applied-plan",
    )
