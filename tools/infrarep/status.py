"""What runs where, since when, and what the last drift check found: read from ledger rows.

Pure: the rows arrive as arguments (newest first or in any order), nothing is fetched here.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from . import records

NEVER_CHECKED = "never checked"


@dataclass(frozen=True)
class EnvStatus:
    env: str
    region: str
    running: records.LedgerEntry | None
    """The row that set the version the env runs (`records.latest_successful`)."""
    last_attempt: records.LedgerEntry | None
    """The newest deploy or rollback row, whatever its status."""
    drift_check: records.LedgerEntry | None
    """The newest DRIFT_CHECK row."""

    @classmethod
    def of(cls, env: str, region: str, rows: Iterable[records.LedgerEntry]) -> EnvStatus:
        own = [row for row in rows if row.env == env]
        attempts = [row for row in own if row.event_type in records.VERSION_SETTING_EVENTS]
        checks = [row for row in own if row.event_type is records.EventType.DRIFT_CHECK]
        return cls(
            env=env,
            region=region,
            running=records.latest_successful(own),
            last_attempt=max(attempts, key=_sort_key, default=None),
            drift_check=max(checks, key=_sort_key, default=None),
        )

    @property
    def drift_found(self) -> bool | None:
        """Whether the newest drift check found drift involving this env; None if never checked."""
        return None if self.drift_check is None else records.drift_found(self.drift_check)

    def to_dict(self) -> dict[str, Any]:
        running, last, check = self.running, self.last_attempt, self.drift_check
        return {
            "env": self.env,
            "region": self.region,
            "version": running.version if running else None,
            "since": running.at.isoformat() if running else None,
            "by": running.actor if running else None,
            "last_attempt": {
                "version": last.version,
                "status": str(last.status),
                "event": str(last.event_type),
                "at": last.at.isoformat(),
            }
            if last
            else None,
            "drift": {
                "result": check.reason if check and check.reason else NEVER_CHECKED,
                "found": self.drift_found,
                "checked_at": check.at.isoformat() if check else None,
                "version": check.version if check else None,
            },
        }

    def line(self) -> str:
        """`staging    us-west-2    v3 since ... by ci  drift: none found 2026-... (last: ...)`."""
        running, last, check = self.running, self.last_attempt, self.drift_check
        deployed = f"{running.version} since {running.at.isoformat()} by {running.actor}" if running else None
        text = f"{self.env:<10} {self.region:<12} {deployed or 'never deployed'}"
        if last is not None and last is not running and last.status is not records.Status.SUCCEEDED:
            text += f"  (last: {last.event_type} {last.version} {last.status})"
        if check is None:
            return f"{text}  drift: {NEVER_CHECKED}"
        return f"{text}  drift: {check.reason or check.status} at {check.at.isoformat()}"


def _sort_key(row: records.LedgerEntry) -> str:
    return row.deployed_at
