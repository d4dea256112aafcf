"""Read `terraform show -json` plans into compact typed records.

Only the fields a caller needs are decoded (msgspec skips the rest without building
Python objects), so a 100 MB plan costs a fraction of `json.load`.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TypeVar

import msgspec

from .errors import InfrarepError

_PlanT = TypeVar("_PlanT", bound=msgspec.Struct)


class PlanUnreadable(InfrarepError):
    """A plan JSON file is missing, truncated or not a terraform plan."""


class Action(StrEnum):
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"
    REPLACE = "replace"
    READ = "read"
    NO_OP = "no-op"


class _Change(msgspec.Struct):
    actions: list[str]


class _ResourceChange(msgspec.Struct):
    address: str
    mode: str
    type: str
    change: _Change


class _PlanActions(msgspec.Struct):
    format_version: str
    resource_changes: list[_ResourceChange] = msgspec.field(default_factory=list)
    resource_drift: list[_ResourceChange] = msgspec.field(default_factory=list)


@dataclass(frozen=True)
class PlannedAction:
    address: str
    type: str
    action: Action


@dataclass(frozen=True)
class PlanSummary:
    """What a plan would do to managed resources: data-source reads and no-ops left out."""

    actions: tuple[PlannedAction, ...]

    def count(self, action: Action) -> int:
        return sum(1 for planned in self.actions if planned.action is action)

    @property
    def changes(self) -> bool:
        return bool(self.actions)

    def by_type(self) -> dict[str, dict[str, int]]:
        table: dict[str, Counter[str]] = {}
        for planned in self.actions:
            table.setdefault(planned.type, Counter())[planned.action.value] += 1
        return {kind: dict(sorted(counts.items())) for kind, counts in sorted(table.items())}

    def headline(self) -> str:
        add = self.count(Action.CREATE) + self.count(Action.REPLACE)
        destroy = self.count(Action.DELETE) + self.count(Action.REPLACE)
        return f"+{add} ~{self.count(Action.UPDATE)} -{destroy}"


def action_of(actions: list[str]) -> Action:
    """terraform's action list as one action: ["delete", "create"] (either order) is a replace."""
    if len(actions) == 2 and set(actions) == {"create", "delete"}:
        return Action.REPLACE
    if len(actions) != 1:
        raise ValueError(f"unexpected actions {actions}")
    return Action(actions[0])


def summarise(plan_json: Path) -> PlanSummary:
    plan = _decode(plan_json, _PlanActions)
    actions = []
    for change in plan.resource_changes:
        if change.mode != "managed":
            continue
        try:
            action = action_of(change.change.actions)
        except ValueError as err:
            raise PlanUnreadable(f"{plan_json}: {change.address}: {err}") from None
        if action is not Action.NO_OP:
            actions.append(PlannedAction(change.address, change.type, action))
    return PlanSummary(tuple(actions))


def _decode(path: Path, kind: type[_PlanT]) -> _PlanT:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise PlanUnreadable(f"{path}: no such plan file") from None
    try:
        plan = msgspec.json.decode(data, type=kind)
    except msgspec.DecodeError as err:
        raise PlanUnreadable(f"{path}: not a terraform plan JSON ({err})") from None
    if not getattr(plan, "format_version", "").startswith("1."):
        raise PlanUnreadable(f"{path}: unsupported plan format_version {plan.format_version!r}")
    return plan
