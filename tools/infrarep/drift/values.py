"""JSON values: where two differ, what sits at a path, and terraform's unknown/sensitive masks.
Sensitive values are compared but never shown: `Marker.SENSITIVE` stands in for them."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

import msgspec

from .model import Marker, ValuePath


def canonical_json(value: Any) -> bytes:
    """A JSON value with sorted keys: equal values give equal bytes (to compare, sort and memoise by)."""
    return msgspec.json.encode(value, order="sorted")


def value_diffs(before: Any, after: Any, path: ValuePath = ()) -> Iterable[tuple[ValuePath, Any, Any]]:
    """Leaves that differ between two pruned JSON values. Lists with the same elements in
    another order are equal (terraform sets have no order; envs may sort them differently)."""
    if before == after:
        return
    if _containers(before, after, dict):
        left, right = before or {}, after or {}
        for key in sorted(set(left) | set(right), key=str):
            yield from value_diffs(left.get(key), right.get(key), (*path, key))
        return
    if _containers(before, after, list):
        left_items, right_items = before or [], after or []
        if len(left_items) == len(right_items) and sorted(map(canonical_json, left_items)) == sorted(
            map(canonical_json, right_items)
        ):
            return
        for position in range(max(len(left_items), len(right_items))):
            left_item = left_items[position] if position < len(left_items) else None
            right_item = right_items[position] if position < len(right_items) else None
            yield from value_diffs(left_item, right_item, (*path, position))
        return
    yield path, before, after


def _containers(before: Any, after: Any, kind: type) -> bool:
    """Both are `kind` or None (not both None: equal values never get here)."""
    return isinstance(before, kind | None) and isinstance(after, kind | None)


def _child(node: Any, step: str | int) -> Any:
    """One step down a value or a terraform mask; None where the step leads nowhere."""
    if isinstance(step, int) and isinstance(node, list) and step < len(node):
        return node[step]
    if isinstance(step, str) and isinstance(node, dict):
        return node.get(step)
    return None


def is_block_list(value: Any) -> bool:
    """A non-empty list of objects: how nested blocks read in plan JSON."""
    return isinstance(value, list) and bool(value) and all(isinstance(item, dict) for item in value)


def value_at(value: Any, path: ValuePath) -> Any:
    for step in path:
        value = _child(value, step)
        if value is None:
            return None
    return value


_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")


def path_text(path: ValuePath) -> str:
    """("environment", 0, "variables", "A") -> `environment[0].variables.A`; odd keys quoted."""
    text = ""
    for step in path:
        if isinstance(step, int):
            text += f"[{step}]"
        elif _IDENTIFIER.match(step):
            text += f".{step}" if text else step
        else:
            text += f"[{msgspec.json.encode(step).decode()}]"
    return text


def shown(value: Any, sensitive: bool, unknown: bool = False) -> Any:
    if unknown:
        return Marker.UNKNOWN
    if sensitive:
        return Marker.SENSITIVE
    return Marker.ABSENT if value is None else value


def masked(value: Any, sensitive_mask: Any, path: ValuePath, unknown: bool = False) -> Any:
    """`shown` for the value at `path`, with every sensitive part below it replaced too (a diff
    can sit on a map or list that holds a sensitive element)."""
    node = mask_node(sensitive_mask, path)
    if node is True or unknown:
        return shown(value, node is True, unknown)
    if node is not None and value is not None:
        value = redact(value, node)
    return shown(value, False)


def mask_at(mask: Any, path: ValuePath) -> bool:
    """terraform's after_unknown / *_sensitive masks: `true` at the path or above it."""
    return mask_node(mask, path) is True


def mask_node(mask: Any, path: ValuePath) -> Any:
    """The part of a terraform mask that covers `path`: True when the path or one above it is
    marked, else the nested mask (None if nothing below is marked)."""
    for step in path:
        if mask is True:
            return True
        mask = _child(mask, step)
        if mask is None:
            return None
    return mask


def redact(value: Any, mask: Any) -> Any:
    """`value` with every part `mask` marks replaced by `Marker.SENSITIVE`."""
    if mask is True:
        return Marker.SENSITIVE
    if isinstance(mask, dict) and isinstance(value, dict):
        return {key: redact(item, mask.get(key)) for key, item in value.items()}
    if isinstance(mask, list) and isinstance(value, list):
        return [
            redact(item, mask[position] if position < len(mask) else None)
            for position, item in enumerate(value)
        ]
    return value
