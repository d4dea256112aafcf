"""What every format says the same way: values as one line, the headline, sections, reasons,
which envs drifted or were never applied, what is new since the baseline and when each env
was checked."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from ..drift import (
    AttributeDiff,
    Change,
    DriftFinding,
    DriftReport,
    History,
    Kind,
    Marker,
    Verdict,
    scope_envs,
)

Checked = Mapping[str, datetime | None]
"""Per env, when its stored report was made; None: never checked."""


def value_text(value: Any, limit: int | None = None) -> str:
    """A value as one line: markers as they are, everything else as JSON, cut to `limit`."""
    text = value.value if isinstance(value, Marker) else json.dumps(value, ensure_ascii=False, sort_keys=True)
    if limit is not None and len(text) > limit:
        return f"{text[: limit - 1]}… ({len(text)} chars; full value in --format json)"
    return text


def plain(value: Any) -> Any:
    return value.value if isinstance(value, Marker) else value


def cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else f"{text[: limit - 1]}…"


def headline(report: DriftReport) -> str:
    state = "DRIFT FOUND" if report.drift else "no drift"
    return f"drift-report: {state} ({len(report.envs)} env(s): {', '.join(report.envs)})"


def sections(report: DriftReport, show_expected: bool) -> list[tuple[Kind, str, list[DriftFinding]]]:
    """(kind, scope, findings) in report order, only the findings to show."""
    found: list[tuple[Kind, str, list[DriftFinding]]] = []
    for finding in report.findings:
        if finding.verdict is Verdict.EXPECTED and not show_expected:
            continue
        if not found or found[-1][:2] != (finding.kind, finding.scope):
            found.append((finding.kind, finding.scope, []))
        found[-1][2].append(finding)
    return found


def shown_attributes(finding: DriftFinding, show_expected: bool) -> list[AttributeDiff]:
    return [diff for diff in finding.attributes if show_expected or diff.verdict is not Verdict.EXPECTED]


def hidden_count(report: DriftReport) -> int:
    """Expected differences a report without --show-expected leaves out."""
    return sum(
        1
        for finding in report.findings
        for item in (finding.attributes or (finding,))
        if item.verdict is Verdict.EXPECTED
    )


def section_title(kind: Kind, scope: str) -> str:
    if kind is Kind.PARITY:
        left, right = scope_envs(scope)
        return f"parity · {scope}  (values: {left} -> {right})"
    if kind is Kind.LIVE:
        return f"live drift · {scope}  (values: recorded in state -> found in the cloud)"
    return f"pending changes · {scope}  (values: now -> after apply)"


def finding_reason(finding: DriftFinding) -> str:
    if finding.reason:
        return finding.reason
    counts = {verdict: 0 for verdict in Verdict}
    for diff in finding.attributes:
        counts[diff.verdict] += 1
    parts = [f"{counts[verdict]} {verdict.value}" for verdict in Verdict if counts[verdict]]
    return f"attributes: {', '.join(parts)}" if parts else ""


def not_applied(report: DriftReport) -> tuple[str, ...]:
    """Envs never applied: their normal plan creates every resource they have. Known only when
    the report has each env's inventory (parity was asked for); otherwise no env is named."""
    pending: dict[str, list[DriftFinding]] = {}
    live: set[str] = set()
    for finding in report.findings:
        if finding.kind is Kind.PENDING:
            pending.setdefault(finding.scope, []).append(finding)
        elif finding.kind is Kind.LIVE:
            live.add(finding.scope)
    return tuple(
        env
        for env in report.envs
        if env in report.inventory
        and env not in live
        and pending.get(env)
        and all(finding.change is Change.CREATE for finding in pending[env])
        and len(pending[env]) == len(report.inventory[env])
    )


def counts_as_drift(finding: DriftFinding, never_applied: tuple[str, ...]) -> bool:
    """Drift a reader must act on: a drift verdict, except the creates of an env never applied."""
    if finding.verdict is not Verdict.DRIFT:
        return False
    return not (finding.kind is Kind.PENDING and finding.scope in never_applied)


def drifted_envs(report: DriftReport) -> tuple[str, ...]:
    """Envs that take part in drift (both envs of a drifted pair), in promotion order."""
    never_applied = not_applied(report)
    involved = {
        env
        for finding in report.findings
        if counts_as_drift(finding, never_applied)
        for env in scope_envs(finding.scope)
    }
    return tuple(env for env in report.envs if env in involved)


def timestamp(at: datetime) -> str:
    """`2026-11-23T12:00:00Z`: a check time, in UTC, to the second."""
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def status_of(finding: DriftFinding, history: History | None) -> str:
    """`new` or `persisting` for drift compared with a baseline; empty otherwise."""
    status = history.status(finding) if history is not None else None
    return status.value if status is not None else ""


def checked_lines(checked: Checked | None) -> list[str]:
    """`dev: checked 2026-11-23T12:00:00Z` per env, `qa: never checked`."""
    return [
        f"{env}: checked {timestamp(at)}" if at else f"{env}: never checked"
        for env, at in (checked or {}).items()
    ]
