"""`drift-policy.yaml`: differences a team has accepted, each with its reason, and how a
finding is judged against it."""

from __future__ import annotations

from dataclasses import replace
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from ..errors import ConfigError
from .model import DriftFinding, Kind, Verdict

DEFAULT_POLICY_NAME = "drift-policy.yaml"


class PolicyRule(BaseModel):
    """An accepted difference: resource type and/or address pattern, attribute path, reason."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    type: str | None = Field(default=None, min_length=1)
    address: str | None = Field(default=None, min_length=1)
    attribute: str | None = Field(default=None, min_length=1)
    reason: str = Field(min_length=1)
    kinds: tuple[Kind, ...] = (Kind.PARITY,)

    @model_validator(mode="after")
    def _targets_something(self) -> PolicyRule:
        if self.type is None and self.address is None:
            raise ValueError("give `type` or `address` (or both)")
        return self

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


class Policy(BaseModel):
    """`drift-policy.yaml`: differences a team has accepted, each with its reason."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    version: Literal[1] = 1
    accepted: tuple[PolicyRule, ...] = ()
    source: str = Field(default=DEFAULT_POLICY_NAME, exclude=True)

    def accepts(self, kind: Kind, resource_type: str, address: str, attribute: str | None) -> str | None:
        """The reason of the first rule that accepts this difference, else None."""
        for rule in self.accepted:
            if rule.matches(kind, resource_type, address, attribute):
                return f"accepted by {self.source}: {rule.reason}"
        return None


def parse_policy(text: str, source: Path) -> Policy:
    from ..config import YAML_ERRORS, yaml_problem

    try:
        document = yaml.safe_load(text)
    except YAML_ERRORS as err:
        raise ConfigError(f"{source}: {yaml_problem(err, text)}") from None
    if document is None:
        document = {}
    if not isinstance(document, dict):
        raise ConfigError(f"{source}: expected a mapping with `accepted:`")
    try:
        return Policy.model_validate({**document, "source": source.name})
    except ValidationError as err:
        problem = err.errors(include_url=False)[0]
        where = ".".join(str(part) for part in problem["loc"])
        message = str(problem["msg"]).removeprefix("Value error, ")
        raise ConfigError(f"{source}: {where}: {message}" if where else f"{source}: {message}") from None


def load_policy(path: Path) -> Policy:
    from ..files import read_text

    try:
        return parse_policy(read_text(path), path)
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such drift policy file") from None
    except OSError as err:
        raise ConfigError(f"{path}: cannot read ({err.strerror})") from None
    except RecursionError:
        raise ConfigError(f"{path}: nested too deeply, or a value contains itself") from None


def apply_policy(finding: DriftFinding, policy: Policy | None) -> DriftFinding:
    """The finding with every drift the policy accepts made expected, with the rule's reason."""
    if policy is None or not policy.accepted:
        return finding
    if not finding.attributes:
        if finding.verdict is Verdict.DRIFT:
            accepted = policy.accepts(finding.kind, finding.type, finding.address, None)
            if accepted:
                return _replace(finding, verdict=Verdict.EXPECTED, reason=f"{finding.reason}; {accepted}")
        return finding
    attributes = []
    for diff in finding.attributes:
        accepted = (
            policy.accepts(finding.kind, finding.type, finding.address, diff.path)
            if diff.verdict is Verdict.DRIFT
            else None
        )
        attributes.append(_replace(diff, verdict=Verdict.EXPECTED, reason=accepted) if accepted else diff)
    verdict = Verdict.DRIFT if any(diff.verdict is Verdict.DRIFT for diff in attributes) else Verdict.EXPECTED
    return _replace(finding, verdict=verdict, attributes=tuple(attributes))


def _replace(item: Any, **changes: Any) -> Any:
    return replace(item, **changes)
