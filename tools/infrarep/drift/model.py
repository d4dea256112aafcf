"""What the drift engine reports: findings, their verdicts, per-scope summaries, the report.

The bottom of the package: every other drift module may import it; it imports none of them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from itertools import pairwise
from typing import Any

from ..records import Manifest

PathStep = str | int
ValuePath = tuple[PathStep, ...]


class Kind(StrEnum):
    LIVE = "live"
    PENDING = "pending"
    PARITY = "parity"


class Verdict(StrEnum):
    DRIFT = "drift"
    EXPECTED = "expected"
    UNKNOWN = "unknown"  # differs, and where it comes from could not be traced (the reason says why)


class Change(StrEnum):
    CHANGED = "changed"  # live: attributes changed outside terraform
    MISSING = "missing"  # live: deleted outside terraform
    CREATE = "create"  # pending
    UPDATE = "update"
    REPLACE = "replace"
    DELETE = "delete"
    DIFFERS = "differs"  # parity: attributes differ
    ONLY_IN = "only_in"  # parity: the resource exists in one env of the pair
    MODULE = "module"  # parity: a module call's source or version differs


class Marker(StrEnum):
    """Stand-ins for values a finding must not or cannot show."""

    SENSITIVE = "(sensitive)"
    UNKNOWN = "(known after apply)"
    ABSENT = "(absent)"


# --- findings and the report ---


@dataclass(frozen=True)
class AttributeDiff:
    """One attribute that differs. For parity, `before` is the pair's first env, `after` the second."""

    path: str
    before: Any
    after: Any
    verdict: Verdict = Verdict.DRIFT
    reason: str = ""


@dataclass(frozen=True)
class DriftFinding:
    kind: Kind
    scope: str
    """The env (`dev`) for live and pending; the pair (`dev~staging`) for parity."""
    address: str
    type: str
    change: Change
    verdict: Verdict
    reason: str = ""
    attributes: tuple[AttributeDiff, ...] = ()


@dataclass(frozen=True)
class ScopeSummary:
    kind: Kind
    scope: str
    resources: int
    """Resources looked at: drifted ones (live), planned changes (pending), compared pairs (parity)."""
    drift: int = 0
    expected: int = 0
    unknown: int = 0
    """Values not compared because the plan knows them only after apply."""
    normalised: int = 0
    """Resources whose differences were all provider noise (see `noise.py`)."""


@dataclass(frozen=True)
class DriftReport:
    envs: tuple[str, ...]
    kinds: tuple[Kind, ...]
    pairs: tuple[tuple[str, str], ...]
    findings: tuple[DriftFinding, ...]
    summaries: tuple[ScopeSummary, ...]
    manifests: Mapping[str, Manifest] = field(default_factory=dict)
    inventory: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """Per env, the normalised addresses of its managed resources (for the html matrix)."""

    @property
    def drift(self) -> bool:
        return any(finding.verdict is Verdict.DRIFT for finding in self.findings)

    def drift_count(self, kind: Kind | None = None, scope: str | None = None) -> int:
        return sum(
            1
            for finding in self.findings
            if finding.verdict is Verdict.DRIFT
            and (kind is None or finding.kind is kind)
            and (scope is None or finding.scope == scope)
        )


def pair_scope(left: str, right: str) -> str:
    return f"{left}~{right}"


def scope_envs(scope: str) -> tuple[str, ...]:
    """`dev~staging` -> ("dev", "staging"); `dev` -> ("dev",)."""
    return tuple(scope.split("~"))


def default_pairs(envs: Sequence[str]) -> tuple[tuple[str, str], ...]:
    """Neighbours in promotion order: dev~staging, staging~prod."""
    return tuple(pairwise(envs))


def summarise(
    kind: Kind,
    scope: str,
    resources: int,
    findings: list[DriftFinding],
    unknown: int = 0,
    normalised: int = 0,
) -> ScopeSummary:
    drift = sum(1 for finding in findings if finding.verdict is Verdict.DRIFT)
    untraced = sum(1 for finding in findings if finding.verdict is Verdict.UNKNOWN)
    expected = len(findings) - drift - untraced
    return ScopeSummary(kind, scope, resources, drift, expected, unknown + untraced, normalised)
