"""The drift report: every kind over every env and pair, and the manifests, at once."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from .. import plans
from ..errors import ConfigError
from ..records import UNKNOWN, Manifest
from .identity import EnvPlans
from .live import live_findings
from .manifests import Classifications, manifest_for
from .model import DriftFinding, DriftReport, Kind, ScopeSummary, default_pairs, pair_scope, scope_envs
from .parity import parity_between
from .pending import pending_findings
from .policy import Policy
from .side import Side
from .sources import Sources


def analyse(
    envs: Sequence[EnvPlans],
    kinds: Iterable[Kind] = tuple(Kind),
    pairs: Sequence[tuple[str, str]] | None = None,
    policy: Policy | None = None,
    version: str = UNKNOWN,
    manifests: bool = True,
    sources: Mapping[str, Sources] | None = None,
) -> DriftReport:
    """The drift report over `envs` (in promotion order): live drift and pending changes per
    env, parity drift per pair (default: neighbours), a config manifest per env. `sources`:
    per env, its module sources as read from disk (`read_sources`), traced where plan JSON
    leaves things out; an env without them is judged on plan JSON alone."""
    with plans.cycle_collection_paused():
        return _analyse(envs, kinds, pairs, policy, version, manifests, sources or {})


def _analyse(
    envs: Sequence[EnvPlans],
    kinds: Iterable[Kind],
    pairs: Sequence[tuple[str, str]] | None,
    policy: Policy | None,
    version: str,
    manifests: bool,
    sources: Mapping[str, Sources],
) -> DriftReport:
    wanted = tuple(kind for kind in Kind if kind in set(kinds))
    by_env = {env.env: env for env in envs}
    chosen_pairs = tuple(pairs) if pairs is not None else default_pairs([env.env for env in envs])
    for left, right in chosen_pairs:
        for name in (left, right):
            if name not in by_env:
                raise ConfigError(f"pair {pair_scope(left, right)}: no plan for env {name!r}")
    findings: list[DriftFinding] = []
    summaries: list[ScopeSummary] = []
    if Kind.LIVE in wanted:
        for env in envs:
            plan = env.refresh or env.plan
            if plan is None:
                raise ConfigError(f"{env.env}: live drift needs a refresh-only plan (or a normal plan)")
            found, summary = live_findings(env.env, plan, policy)
            findings.extend(found)
            summaries.append(summary)
    if Kind.PENDING in wanted:
        for env in envs:
            if env.plan is None:
                raise ConfigError(f"{env.env}: pending changes need a normal plan")
            found, summary = pending_findings(env.env, env.plan, policy)
            findings.extend(found)
            summaries.append(summary)
    sides: dict[str, Side] = {}
    inventory: dict[str, tuple[str, ...]] = {}
    built: dict[str, Manifest] = {}
    if Kind.PARITY in wanted:
        for env in envs:
            if env.plan is None:
                raise ConfigError(f"{env.env}: parity needs a normal plan")
            sides[env.env] = Side(env, sources.get(env.env))
            inventory[env.env] = tuple(sides[env.env].records)
        for left, right in chosen_pairs:
            found, summary = parity_between(sides[left], sides[right], policy)
            findings.extend(found)
            summaries.append(summary)
        if manifests:
            classifications = Classifications()
            # A manifest is of the plan alone, as a deploy stores it (no module sources there):
            # the drift validator compares stored manifests with each other.
            plain = {env.env: sides[env.env] if sides[env.env].sources is None else Side(env) for env in envs}
            built = {name: manifest_for(side, version, classifications) for name, side in plain.items()}
    order = {env.env: position for position, env in enumerate(envs)}
    kind_order = {kind: position for position, kind in enumerate(Kind)}

    def sort_key(finding: DriftFinding) -> tuple[int, tuple[int, ...], str]:
        scope = tuple(order.get(name, len(order)) for name in scope_envs(finding.scope))
        return (kind_order[finding.kind], scope, finding.address)

    return DriftReport(
        envs=tuple(env.env for env in envs),
        kinds=wanted,
        pairs=chosen_pairs if Kind.PARITY in wanted else (),
        findings=tuple(sorted(findings, key=sort_key)),
        summaries=tuple(summaries),
        manifests=built,
        inventory=inventory,
    )
