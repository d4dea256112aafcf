"""New, persisting, resolved: a report's drift compared with an earlier report's.

Drift is tracked by key - scope (the env, or the pair for parity), kind, resource address and
attribute path (empty for a finding without attributes: a resource missing, created or only in
one env) - so a finding keeps its identity however the report around it changes. Only drift
verdicts have keys: expected and unknown differences are not drift to be told about.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from .model import DriftFinding, DriftReport, Kind, Verdict, pair_scope


class Status(StrEnum):
    NEW = "new"
    PERSISTING = "persisting"
    RESOLVED = "resolved"


@dataclass(frozen=True, order=True)
class FindingKey:
    scope: str
    """The env (live, pending) or the env pair `dev~staging` (parity)."""
    kind: Kind
    address: str
    attribute: str = ""
    """The drifted attribute's path; empty for a finding without attributes."""

    def __str__(self) -> str:
        where = f"{self.address} {self.attribute}" if self.attribute else self.address
        return f"{self.kind.value} · {self.scope}: {where}"


def finding_keys(finding: DriftFinding) -> tuple[FindingKey, ...]:
    """The keys of a finding's drift: one per drifted attribute, else one for the finding."""
    if finding.verdict is not Verdict.DRIFT:
        return ()
    drifted = [diff.path for diff in finding.attributes if diff.verdict is Verdict.DRIFT]
    key = FindingKey(finding.scope, finding.kind, finding.address)
    if not drifted:
        return (key,)
    return tuple(FindingKey(key.scope, key.kind, key.address, path) for path in drifted)


def report_keys(findings: Iterable[DriftFinding]) -> frozenset[FindingKey]:
    return frozenset(key for finding in findings for key in finding_keys(finding))


def covered_scopes(report: DriftReport) -> frozenset[tuple[Kind, str]]:
    """The (kind, scope) pairs a report looked at, drift or not."""
    scopes = set()
    for kind in report.kinds:
        if kind is Kind.PARITY:
            scopes.update((kind, pair_scope(*pair)) for pair in report.pairs)
        else:
            scopes.update((kind, env) for env in report.envs)
    return frozenset(scopes)


@dataclass(frozen=True)
class History:
    """How a report's drift compares with a baseline's."""

    baseline: str
    """What the report was compared with, for the reader: a file, the previous stored report."""
    new: frozenset[FindingKey] = frozenset()
    persisting: frozenset[FindingKey] = frozenset()
    resolved: tuple[FindingKey, ...] = ()
    """Drift in the baseline that is gone, sorted."""

    def status(self, finding: DriftFinding) -> Status | None:
        """New if any of the finding's drift is new, persisting if all of it was there before;
        None for a finding that is not drift, or that was not compared (`compare`'s `scopes`)."""
        keys = finding_keys(finding)
        if any(key in self.new for key in keys):
            return Status.NEW
        if keys and all(key in self.persisting for key in keys):
            return Status.PERSISTING
        return None

    def counts(self) -> dict[Status, int]:
        return {
            Status.NEW: len(self.new),
            Status.PERSISTING: len(self.persisting),
            Status.RESOLVED: len(self.resolved),
        }

    def summary(self) -> str:
        """`compared with <baseline>: 1 new, 2 persisting, 0 resolved`."""
        counts = ", ".join(f"{count} {status.value}" for status, count in self.counts().items())
        return f"compared with {self.baseline}: {counts}"


def compare(
    current: Sequence[DriftFinding],
    previous: Iterable[FindingKey],
    scopes: Collection[tuple[Kind, str]],
    baseline: str,
) -> History:
    """Classify the drift of `current` against the `previous` report's drift keys, within
    `scopes` (the (kind, scope) pairs to compare: drift elsewhere gets no status and nothing
    elsewhere is resolved). Drift the baseline did not have is new, even where the baseline did
    not look: it has not been told about."""
    earlier = frozenset(previous)
    now = frozenset(key for key in report_keys(current) if (key.kind, key.scope) in scopes)
    resolved = sorted(key for key in earlier - now if (key.kind, key.scope) in scopes)
    return History(baseline, now - earlier, now & earlier, tuple(resolved))


def merge(histories: Iterable[History], baseline: str) -> History:
    """Histories of disjoint scopes (one per env) as one."""
    found = list(histories)
    return History(
        baseline,
        frozenset().union(*(history.new for history in found)),
        frozenset().union(*(history.persisting for history in found)),
        tuple(sorted(key for history in found for key in history.resolved)),
    )


def within(history: History, scopes: Collection[tuple[Kind, str]]) -> History:
    """The part of a history in `scopes` ((kind, scope) pairs)."""

    def kept(keys: Iterable[FindingKey]) -> list[FindingKey]:
        return [key for key in keys if (key.kind, key.scope) in scopes]

    return History(
        history.baseline,
        frozenset(kept(history.new)),
        frozenset(kept(history.persisting)),
        tuple(kept(history.resolved)),
    )


def new_drift(report: DriftReport, history: History | None) -> tuple[DriftFinding, ...]:
    """The drift findings with something new (without a history, every drift finding)."""
    drifted = tuple(finding for finding in report.findings if finding.verdict is Verdict.DRIFT)
    if history is None:
        return drifted
    return tuple(finding for finding in drifted if history.status(finding) is Status.NEW)
