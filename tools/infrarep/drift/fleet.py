"""The fleet's drift from what is stored, without terraform: each env's newest stored report
(its live drift and pending changes) and parity from the config manifests every deploy stores.

Two envs whose manifests' resources hash the same run the same stack; where the hashes differ,
the manifests are compared entry by entry (`records.manifest_differences`) and each differing
entry names the attributes that differ."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

from ..records import Manifest, manifest_differences
from .history import History, merge, within
from .model import (
    AttributeDiff,
    Change,
    DriftFinding,
    DriftReport,
    Kind,
    Marker,
    ScopeSummary,
    Verdict,
    pair_scope,
    scope_envs,
    summarise,
)

MODULE_TYPE = "module"
"""The `type` of a module call's manifest entry (its `source` and `version` are compared)."""


@dataclass(frozen=True)
class StoredEnv:
    """One env's newest stored report and how it compared with the one before it."""

    report: DriftReport
    history: History | None = None


def fleet_report(
    order: Sequence[str],
    stored: Mapping[str, StoredEnv],
    manifests: Mapping[str, Manifest],
    kinds: frozenset[Kind],
) -> tuple[DriftReport, History | None]:
    """One report over the envs of `order` (promotion order): live drift and pending changes from
    each env's stored report (envs without one are left out: never checked), parity between
    neighbours among the envs with a manifest. The history: the stored reports' own, for the
    scopes kept."""
    envs = tuple(env for env in order if env in stored)
    own = [kind for kind in (Kind.LIVE, Kind.PENDING) if kind in kinds]
    findings: list[DriftFinding] = []
    summaries: list[ScopeSummary] = []
    for env in envs:
        report = stored[env].report
        findings += [f for f in report.findings if f.scope == env and f.kind in own]
        summaries += [s for s in report.summaries if s.scope == env and s.kind in own]
    deployed = [env for env in order if env in manifests]
    pairs = tuple(pairwise(deployed)) if Kind.PARITY in kinds else ()
    for left, right in pairs:
        parity, summary = manifest_parity(manifests[left], manifests[right])
        findings += parity
        summaries.append(summary)
    stored_kinds = {kind for env in envs for kind in stored[env].report.kinds}
    reported = tuple(
        kind for kind in Kind if kind in kinds and (kind in stored_kinds or (kind is Kind.PARITY and pairs))
    )
    report = DriftReport(
        envs=envs,
        kinds=reported,
        pairs=pairs,
        findings=tuple(findings),
        summaries=tuple(summaries),
        manifests={env: manifests[env] for env in deployed},
    )
    histories = [stored[env].history for env in envs]
    if not any(histories):
        return report, None
    kept = {(kind, env) for env in envs for kind in own}
    restricted = [within(history, kept) for history in histories if history is not None]
    return report, merge(restricted, "each env's previous stored report")


def env_part(report: DriftReport, env: str) -> DriftReport:
    """What a report says about one env: its live drift and pending changes, and parity of the
    pairs it is in (what `drift-report --store` keeps per env)."""
    pairs = tuple(pair for pair in report.pairs if env in pair)
    return DriftReport(
        envs=(env,),
        kinds=report.kinds,
        pairs=pairs,
        findings=tuple(finding for finding in report.findings if env in scope_envs(finding.scope)),
        summaries=tuple(summary for summary in report.summaries if env in scope_envs(summary.scope)),
        manifests={name: built for name, built in report.manifests.items() if name == env},
    )


MANIFESTS_DIFFER = (
    "the stored config manifests differ: a declared variation or drift; "
    "`drift-report --kind parity` on plans tells which"
)
"""A manifest keeps no expressions, so it cannot tell a difference a declared variation makes
(prod alone subscribing an on-call address) from drift: it names it, and leaves the verdict open."""


def manifest_parity(left: Manifest, right: Manifest) -> tuple[list[DriftFinding], ScopeSummary]:
    """Parity between two envs' manifests: nothing when their resources hash the same, else one
    finding per entry that differs or is in one manifest only, each unknown (`MANIFESTS_DIFFER`)."""
    scope = pair_scope(left.env, right.env)
    if left.resources_sha256() == right.resources_sha256():
        return [], summarise(Kind.PARITY, scope, left.entries, [])
    found = manifest_differences(left.resources, right.resources)
    findings = []
    for address in found.differing:
        before, after = left.resources[address], right.resources[address]
        module = before.get("type") == MODULE_TYPE
        findings.append(
            DriftFinding(
                Kind.PARITY,
                scope,
                address,
                str(after.get("type", "")),
                Change.MODULE if module else Change.DIFFERS,
                Verdict.UNKNOWN,
                reason=MANIFESTS_DIFFER,
                attributes=entry_differences(before, after),
            )
        )
    for address, (env, entry) in [
        *((address, (left.env, left.resources[address])) for address in found.only_in_source),
        *((address, (right.env, right.resources[address])) for address in found.only_in_target),
    ]:
        findings.append(
            DriftFinding(
                Kind.PARITY,
                scope,
                address,
                str(entry.get("type", "")),
                Change.ONLY_IN,
                Verdict.UNKNOWN,
                reason=f"only in {env}'s config manifest; {MANIFESTS_DIFFER}",
            )
        )
    findings.sort(key=lambda finding: finding.address)
    compared = len(left.resources.keys() | right.resources.keys())
    return findings, summarise(Kind.PARITY, scope, compared, findings)


def entry_differences(before: Mapping[str, Any], after: Mapping[str, Any]) -> tuple[AttributeDiff, ...]:
    """What differs between two manifest entries of one address: each configured attribute, and
    the entry's own fields (a resource's type, a module call's source and version)."""
    diffs = [
        AttributeDiff(name, before.get(name, Marker.ABSENT), after.get(name, Marker.ABSENT))
        for name in sorted((before.keys() | after.keys()) - {"attributes"})
        if before.get(name, Marker.ABSENT) != after.get(name, Marker.ABSENT)
    ]
    attributes = before.get("attributes") or {}, after.get("attributes") or {}
    for name in sorted(attributes[0].keys() | attributes[1].keys()):
        values = attributes[0].get(name, Marker.ABSENT), attributes[1].get(name, Marker.ABSENT)
        if values[0] != values[1]:
            diffs.append(AttributeDiff(name, *values))
    return tuple(diffs)
