"""`drift-policy.yaml`: differences a team has accepted, each with its reason, and how a
finding is judged against it.

An acceptance may carry `expires: YYYY-MM-DD`: it holds through that day (UTC) and lapses
when the next UTC day begins; from then on the difference is drift again, its reason saying
the acceptance lapsed. The day to judge by is the policy's `today`, given by whoever loads it.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, date, datetime
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any, Literal, NamedTuple

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from ..errors import ConfigError
from .model import DriftFinding, Kind, Verdict

DEFAULT_POLICY_NAME = "drift-policy.yaml"
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


class _Loader(yaml.SafeLoader):
    """SafeLoader that reads `2026-11-30` as text: a date is checked where its field is known
    (`accepted.0.expires`), and an impossible one (`2026-02-30`) is an error naming it."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, pattern) for tag, pattern in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


class PolicyRule(BaseModel):
    """An accepted difference: resource type and/or address pattern, attribute path, reason."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    type: str | None = Field(default=None, min_length=1)
    address: str | None = Field(default=None, min_length=1)
    attribute: str | None = Field(default=None, min_length=1)
    reason: str = Field(min_length=1)
    kinds: tuple[Kind, ...] = (Kind.PARITY,)
    expires: date | None = None
    """The last day (UTC) the acceptance holds; None: it does not lapse."""

    @field_validator("expires", mode="before")
    @classmethod
    def _a_day(cls, value: Any) -> Any:
        if value is None:
            return None
        if isinstance(value, str) and _DAY.fullmatch(value):
            try:
                return date.fromisoformat(value)
            except ValueError as err:
                raise ValueError(f"{value!r} is not a date ({err})") from None
        raise ValueError(f"{str(value)[:40]!r} is not a date: write YYYY-MM-DD, e.g. 2026-11-30")

    @model_validator(mode="after")
    def _targets_something(self) -> PolicyRule:
        if self.type is None and self.address is None:
            raise ValueError("give `type` or `address` (or both)")
        return self

    def lapsed(self, today: date) -> bool:
        return self.expires is not None and today > self.expires

    def matches(self, kind: Kind, resource_type: str, address: str, attribute: str | None) -> bool:
        if kind not in self.kinds:
            return False
        if self.type is not None and not fnmatchcase(resource_type, self.type):
            return False
        if self.address is not None and not fnmatchcase(address, self.address):
            return False
        if self.attribute is None:
            return True
        if attribute is None:
            return False
        return (
            fnmatchcase(attribute, self.attribute)
            or attribute.startswith(self.attribute + ".")
            or attribute.startswith(self.attribute + "[")
        )


class Judgement(NamedTuple):
    """What the policy says of one difference: accepted, or an acceptance that lapsed; and why."""

    accepted: bool
    reason: str


class Policy(BaseModel):
    """`drift-policy.yaml`: differences a team has accepted, each with its reason."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    version: Literal[1] = 1
    accepted: tuple[PolicyRule, ...] = ()
    source: str = Field(default=DEFAULT_POLICY_NAME, exclude=True)
    today: date = Field(exclude=True)
    """The day (UTC) the report is made: acceptances that expired before it have lapsed."""

    def judge(self, kind: Kind, resource_type: str, address: str, attribute: str | None) -> Judgement | None:
        """Accepted by the first rule in force that matches this difference; else not accepted,
        because the first matching rule lapsed; else (no rule matches) None."""
        lapsed = None
        for rule in self.accepted:
            if not rule.matches(kind, resource_type, address, attribute):
                continue
            if not rule.lapsed(self.today):
                return Judgement(True, f"accepted by {self.source}: {rule.reason}")
            if lapsed is None:
                lapsed = Judgement(
                    False, f"acceptance by {self.source} lapsed after {rule.expires}: {rule.reason}"
                )
        return lapsed

    def accepts(self, kind: Kind, resource_type: str, address: str, attribute: str | None) -> str | None:
        """The reason of the first rule in force that accepts this difference, else None."""
        judged = self.judge(kind, resource_type, address, attribute)
        return judged.reason if judged and judged.accepted else None


def utc_today() -> date:
    return datetime.now(UTC).date()


def parse_policy(text: str, source: Path, today: date | None = None) -> Policy:
    """The policy in `text` (read from `source`), judging expiry by `today`: the UTC day the
    caller gives (the drift report's use case reads its clock), else the clock's."""
    from ..config import YAML_ERRORS, yaml_problem

    try:
        document = yaml.load(text, Loader=_Loader)  # noqa: S506 - a SafeLoader subclass
    except YAML_ERRORS as err:
        raise ConfigError(f"{source}: {yaml_problem(err, text)}") from None
    if document is None:
        document = {}
    if not isinstance(document, dict):
        raise ConfigError(f"{source}: expected a mapping with `accepted:`")
    try:
        return Policy.model_validate({**document, "source": source.name, "today": today or utc_today()})
    except ValidationError as err:
        problem = err.errors(include_url=False)[0]
        where = ".".join(str(part) for part in problem["loc"])
        message = str(problem["msg"]).removeprefix("Value error, ")
        raise ConfigError(f"{source}: {where}: {message}" if where else f"{source}: {message}") from None


def load_policy(path: Path, today: date | None = None) -> Policy:
    """The policy file at `path`; expiry judged by `today`, else by the UTC clock's day."""
    from ..files import read_text

    try:
        return parse_policy(read_text(path), path, today)
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such drift policy file") from None
    except OSError as err:
        raise ConfigError(f"{path}: cannot read ({err.strerror})") from None
    except RecursionError:
        raise ConfigError(f"{path}: nested too deeply, or a value contains itself") from None


def apply_policy(finding: DriftFinding, policy: Policy | None) -> DriftFinding:
    """The finding with every drift the policy accepts made expected, with the rule's reason;
    a drift only a lapsed acceptance matches stays drift, its reason saying so."""
    if policy is None or not policy.accepted:
        return finding
    if not finding.attributes:
        if finding.verdict is not Verdict.DRIFT:
            return finding
        judged = policy.judge(finding.kind, finding.type, finding.address, None)
        if judged is None:
            return finding
        verdict = Verdict.EXPECTED if judged.accepted else Verdict.DRIFT
        return _replace(finding, verdict=verdict, reason=f"{finding.reason}; {judged.reason}")
    attributes = []
    for diff in finding.attributes:
        judged = (
            policy.judge(finding.kind, finding.type, finding.address, diff.path)
            if diff.verdict is Verdict.DRIFT
            else None
        )
        if judged is None:
            attributes.append(diff)
        elif judged.accepted:
            attributes.append(_replace(diff, verdict=Verdict.EXPECTED, reason=judged.reason))
        else:
            lapsed = f"{diff.reason}; {judged.reason}" if diff.reason else judged.reason
            attributes.append(_replace(diff, reason=lapsed))
    verdict = Verdict.DRIFT if any(diff.verdict is Verdict.DRIFT for diff in attributes) else Verdict.EXPECTED
    return _replace(finding, verdict=verdict, attributes=tuple(attributes))


def _replace(item: Any, **changes: Any) -> Any:
    return replace(item, **changes)
