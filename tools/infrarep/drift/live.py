"""Live drift: the cloud changed behind terraform - the `resource_drift` of a refresh-only
plan, never terraform's exit code."""

from __future__ import annotations

from typing import Any

from .. import plans
from ..plans import Action, Plan, ResourceDrift
from .model import AttributeDiff, Change, DriftFinding, Kind, ScopeSummary, ValuePath, Verdict, summarise
from .noise import Ownership, prune, unset_zero
from .policy import Policy, apply_policy
from .values import masked, path_text, value_diffs


def live_findings(
    env: str, plan: Plan, policy: Policy | None = None
) -> tuple[list[DriftFinding], ScopeSummary]:
    """What changed outside terraform, from the plan's `resource_drift`."""
    owned = Ownership(plan)
    findings: list[DriftFinding] = []
    normalised = 0
    drifted = [record for record in plan.drift if record.managed]
    for record in drifted:
        action = record.change.action
        if action is Action.DELETE:
            finding = DriftFinding(
                Kind.LIVE,
                env,
                record.address,
                record.type,
                Change.MISSING,
                Verdict.DRIFT,
                "deleted outside terraform",
            )
        else:
            attributes = _full_diffs(record, owned.attributes(record))
            if not attributes:
                normalised += 1
                continue
            finding = DriftFinding(
                Kind.LIVE,
                env,
                record.address,
                record.type,
                Change.CHANGED,
                Verdict.DRIFT,
                "changed outside terraform",
                attributes,
            )
        findings.append(apply_policy(finding, policy))
    return findings, summarise(Kind.LIVE, env, len(drifted), findings, normalised=normalised)


def _full_diffs(record: ResourceDrift, ignored: frozenset[str]) -> tuple[AttributeDiff, ...]:
    change = record.change
    before, after = plans.decode_json(change.before), plans.decode_json(change.after)
    before_sensitive = plans.decode_json(change.before_sensitive)
    after_sensitive = plans.decode_json(change.after_sensitive)
    before = {k: v for k, v in (before or {}).items() if k not in ignored}
    after = {k: v for k, v in (after or {}).items() if k not in ignored}
    found: list[tuple[ValuePath, Any, Any]] = list(value_diffs(prune(before), prune(after)))
    tag_changes = {path[1:] for path, _, _ in found if path[:1] == ("tags",)}
    diffs = []
    for path, old, new in found:
        if path[:1] == (plans.DERIVED_TAGS,) and path[1:] in tag_changes:
            continue  # tags_all repeats what tags already shows
        if unset_zero(old, new):
            continue
        diffs.append(
            AttributeDiff(
                path_text(path),
                masked(old, before_sensitive, path),
                masked(new, after_sensitive, path),
            )
        )
    return tuple(diffs)
