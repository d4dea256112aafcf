"""The drift report: every kind over every env and pair, and the manifests, at once."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from .. import plans
from ..errors import ConfigError
from ..records import UNKNOWN, Manifest
from .identity import EnvPlans
from .live import live_findings
from .manifests import Classifications, manifest_for
from .model import DriftFinding, DriftReport, Kind, ScopeSummary, pair_scope, scope_envs
from .parity import parity_between
from .pending import pending_findings
from .policy import Policy
from .side import Side
from .sources import Sources


def analyse(
    envs: Iterable[EnvPlans],
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
    leaves things out; an env without them is judged on plan JSON alone.

    `envs` is read once, in order; each env is analysed as it comes and let go of once every
    pair it is in has been compared. Given an iterator that loads each env's plans when it is
    reached, memory holds only the envs whose pairs wait for a later env: with default pairs,
    the previous env while the next one is read."""
    with plans.cycle_collection_paused():
        return _analyse(envs, kinds, pairs, policy, version, manifests, sources or {})


def _analyse(
    envs: Iterable[EnvPlans],
    kinds: Iterable[Kind],
    pairs: Sequence[tuple[str, str]] | None,
    policy: Policy | None,
    version: str,
    manifests: bool,
    sources: Mapping[str, Sources],
) -> DriftReport:
    wanted = tuple(kind for kind in Kind if kind in set(kinds))
    names: list[str] = []
    chosen_pairs: list[tuple[str, str]] = list(pairs) if pairs is not None else []
    found: dict[Kind, list[DriftFinding]] = {kind: [] for kind in Kind}
    summaries: dict[Kind, list[ScopeSummary]] = {kind: [] for kind in Kind}
    compared: dict[int, tuple[list[DriftFinding], ScopeSummary]] = {}  # by position in chosen_pairs
    sides: dict[str, Side] = {}
    inventory: dict[str, tuple[str, ...]] = {}
    built: dict[str, Manifest] = {}
    classifications = Classifications()
    for env in envs:
        names.append(env.env)
        if Kind.LIVE in wanted:
            plan = env.refresh or env.plan
            if plan is None:
                raise ConfigError(f"{env.env}: live drift needs a refresh-only plan (or a normal plan)")
            _add(found, summaries, Kind.LIVE, live_findings(env.env, plan, policy))
        if Kind.PENDING in wanted:
            if env.plan is None:
                raise ConfigError(f"{env.env}: pending changes need a normal plan")
            _add(found, summaries, Kind.PENDING, pending_findings(env.env, env.plan, policy, env.releases))
        if Kind.PARITY not in wanted:
            continue
        if env.plan is None:
            raise ConfigError(f"{env.env}: parity needs a normal plan")
        side = sides[env.env] = Side(env, sources.get(env.env))
        inventory[env.env] = tuple(side.records)
        if manifests:
            # A manifest is of the plan alone, as a deploy stores it (no module sources there):
            # the drift validator compares stored manifests with each other.
            plain = side if side.sources is None else Side(env)
            built[env.env] = manifest_for(plain, version, classifications)
        if pairs is None and len(names) > 1:
            chosen_pairs.append((names[-2], names[-1]))
        for position, (left, right) in enumerate(chosen_pairs):
            if position not in compared and left in sides and right in sides:
                compared[position] = parity_between(sides[left], sides[right], policy)
        waiting = {
            name for position, pair in enumerate(chosen_pairs) if position not in compared for name in pair
        }
        if pairs is None:
            waiting.add(env.env)  # the next env's pair
        for name in sides.keys() - waiting:
            del sides[name]
    for left, right in chosen_pairs:
        for name in (left, right):
            if name not in names:
                raise ConfigError(f"pair {pair_scope(left, right)}: no plan for env {name!r}")
    for position in range(len(chosen_pairs)):
        _add(found, summaries, Kind.PARITY, compared[position])
    order = {name: position for position, name in enumerate(names)}
    kind_order = {kind: position for position, kind in enumerate(Kind)}

    def sort_key(finding: DriftFinding) -> tuple[int, tuple[int, ...], str]:
        scope = tuple(order.get(name, len(order)) for name in scope_envs(finding.scope))
        return (kind_order[finding.kind], scope, finding.address)

    return DriftReport(
        envs=tuple(names),
        kinds=wanted,
        pairs=tuple(chosen_pairs) if Kind.PARITY in wanted else (),
        findings=tuple(sorted((finding for kind in Kind for finding in found[kind]), key=sort_key)),
        summaries=tuple(summary for kind in Kind for summary in summaries[kind]),
        manifests=built,
        inventory=inventory,
    )


def _add(
    found: dict[Kind, list[DriftFinding]],
    summaries: dict[Kind, list[ScopeSummary]],
    kind: Kind,
    result: tuple[list[DriftFinding], ScopeSummary],
) -> None:
    found[kind].extend(result[0])
    summaries[kind].append(result[1])
