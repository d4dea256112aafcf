"""Pending changes: what applying the code would change - `resource_changes` that are not
no-ops or data source reads."""

from __future__ import annotations

import dataclasses

from .. import plans
from ..plans import Action, Plan, ResourceChange
from .identity import Releases
from .model import AttributeDiff, Change, DriftFinding, Kind, Marker, ScopeSummary, Verdict, summarise
from .noise import Ownership, prune
from .policy import Policy, apply_policy
from .tracing import AttributeSets
from .values import mask_at, masked, path_text, value_diffs


def pending_findings(
    env: str, plan: Plan, policy: Policy | None = None, releases: Releases | None = None
) -> tuple[list[DriftFinding], ScopeSummary]:
    """What applying the code would change: `resource_changes` other than no-op and data reads.
    When the env runs another release than the one planned (`releases`), they are what
    promoting that release will do: expected, not drift."""
    attributes = AttributeSets(plan)
    owned = Ownership(plan)
    findings: list[DriftFinding] = []
    for record in plan.changes:
        if not record.managed:
            continue
        action = record.change.action
        if action in (Action.NO_OP, Action.READ):
            continue
        change = Change(action.value)
        details: tuple[AttributeDiff, ...] = ()
        reason = f"terraform will {action.value} it"
        if action in (Action.UPDATE, Action.REPLACE):
            details = _planned_diffs(record, attributes, owned.attributes(record))
            if action is Action.REPLACE:
                reason = _replace_reason(record)
            elif not details:
                reason = "terraform will update attributes the configuration does not set"
        finding = DriftFinding(
            Kind.PENDING, env, record.address, record.type, change, Verdict.DRIFT, reason, details
        )
        findings.append(_awaiting_promotion(env, apply_policy(finding, policy), releases))
    return findings, summarise(Kind.PENDING, env, len(findings), findings)


def _awaiting_promotion(env: str, finding: DriftFinding, releases: Releases | None) -> DriftFinding:
    if releases is None or not releases.differ or finding.verdict is not Verdict.DRIFT:
        return finding
    awaits = (
        f"{env} runs {releases.runs}, planned with {releases.planned}: "
        f"expected until {releases.planned} is deployed there"
    )
    attributes = tuple(
        dataclasses.replace(diff, verdict=Verdict.EXPECTED, reason=awaits)
        if diff.verdict is Verdict.DRIFT
        else diff
        for diff in finding.attributes
    )
    return dataclasses.replace(
        finding, verdict=Verdict.EXPECTED, reason=f"{finding.reason}; {awaits}", attributes=attributes
    )


def _replace_reason(record: ResourceChange) -> str:
    paths = plans.decode_json(record.change.replace_paths) or []
    shown = ", ".join(path_text(tuple(path)) for path in paths if isinstance(path, list))
    because = f" ({record.action_reason})" if record.action_reason else ""
    return f"terraform will replace it{because}" + (f": {shown} forces it" if shown else "")


def _planned_diffs(
    record: ResourceChange, sets: AttributeSets, ignored: frozenset[str]
) -> tuple[AttributeDiff, ...]:
    change = record.change
    before = plans.decode_json(change.before) or {}
    unknown = plans.decode_json(change.after_unknown)
    before_sensitive = plans.decode_json(change.before_sensitive)
    after_sensitive = plans.decode_json(change.after_sensitive)
    planned = plans.decode_json(change.after)
    names, _ = sets.of(record)
    after = {name: planned.get(name) if isinstance(planned, dict) else None for name in names}
    diffs: list[AttributeDiff] = []
    for name in names:
        if name in ignored:
            continue
        for path, old, new in value_diffs(prune(before.get(name)), prune(after[name]), (name,)):
            is_unknown = mask_at(unknown, path)
            diffs.append(
                AttributeDiff(
                    path_text(path),
                    masked(old, before_sensitive, path),
                    masked(new, after_sensitive, path, unknown=is_unknown),
                )
            )
    if isinstance(unknown, dict):
        for name, flag in sorted(unknown.items()):
            if (
                flag is True
                and name not in after
                and name not in ignored
                and prune(before.get(name)) is not None
            ):
                diffs.append(
                    AttributeDiff(name, masked(before.get(name), before_sensitive, (name,)), Marker.UNKNOWN)
                )
    return tuple(diffs)
