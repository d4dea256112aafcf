"""Read a saved plan file (`terraform plan -out=FILE`) without terraform.

A saved plan is a zip: `tfplan` (protobuf), the prior state (`tfstate`: for a
refresh-only plan, the refreshed state), the previous run's state (`tfstate-prev`) and a
snapshot of the configuration it was planned from (`tfconfig/`, plus the dependency lock
file). Read here, none of it needing a provider: the two states as they are, and

- the root variables' values: `tfplan` field 2, each value cty's msgpack encoding of a
  dynamically typed value (`[type as JSON, value]`);
- `code_digest`: a digest of the configuration snapshot, the lock file and terraform's
  version. Plans with equal digests have equal `configuration` sections in their JSON form
  (the configuration is static: it holds expressions, never values).

terraform calls this format internal: it may change in any release, and OpenTofu's may
differ. So it is read only for plans of the terraform (or tofu) versions a test verified
(`format_verified`); plans of any other version are read through `show -json`.
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec

from . import pins
from .errors import InfrarepError

_PLAN_ENTRY = "tfplan"
_STATE_ENTRIES = frozenset({"tfstate", "tfstate-prev"})
_VARIABLES_FIELD = 2  # map<string, DynamicValue> variables = 2;
_TERRAFORM_VERSION_FIELD = 14  # string terraform_version = 14;
_RESOURCE_DRIFT_FIELD = 18  # repeated ResourceInstanceChange resource_drift = 18;
# ResourceInstanceChange: string addr = 13; string prev_run_addr = 14; string deposed_key = 7;
# Change change = 9 (Change: Action action = 1).
_DRIFT_ACTIONS = {0: "no-op", 3: "update", 5: "delete"}  # planproto.Action: NOOP, UPDATE, DELETE


class PlanFileUnreadable(InfrarepError):
    """A saved plan file is missing or not one terraform wrote."""


@dataclass(frozen=True)
class Drifted:
    """One entry of the plan's `resource_drift`: terraform's verdict on one object."""

    address: str
    previous_address: str  # where the previous run tracked it (differs after a `moved` block)
    action: str  # no-op (moved only), update, delete


@dataclass(frozen=True)
class SavedPlan:
    path: Path
    terraform_version: str
    variables: dict[str, Any]
    code_digest: str
    prior_state: bytes = b""
    """The state the plan was made against (for a refresh-only plan: the refreshed state)."""
    previous_state: bytes = b""
    """The state as the previous apply left it (before this plan refreshed it), with the
    configuration's `moved` blocks applied: every object at its new address."""
    drift: tuple[Drifted, ...] = ()
    """What changed between `previous_state` and `prior_state`, as terraform found it."""


def format_verified(flavour: str, version: str) -> bool:
    """Whether this module reads the saved plans `flavour` ("terraform" or "tofu") `version`
    writes: only versions tests/e2e/test_saved_plan.py passed with (pins)."""
    return (flavour, version) in pins.VERIFIED_PLANFILE_FORMATS


def read(path: Path) -> SavedPlan:
    """The root variables, terraform version and code digest of the saved plan at `path`.
    Only for plans of a version `format_verified` names."""
    try:
        with zipfile.ZipFile(path) as archive:
            entries = {info.filename: archive.read(info) for info in archive.infolist()}
    except FileNotFoundError:
        raise PlanFileUnreadable(f"{path}: no such plan file") from None
    except (OSError, zipfile.BadZipFile) as err:
        raise PlanFileUnreadable(f"{path}: not a saved terraform plan ({err})") from None
    if _PLAN_ENTRY not in entries:
        raise PlanFileUnreadable(f"{path}: not a saved terraform plan (no {_PLAN_ENTRY} entry)")
    try:
        variables, version, drift = _plan_fields(entries[_PLAN_ENTRY])
    except (ValueError, IndexError, KeyError, msgspec.DecodeError) as err:
        raise PlanFileUnreadable(f"{path}: {_PLAN_ENTRY}: cannot decode ({err})") from None
    digest = hashlib.sha256(f"terraform {version}\0".encode())
    for name in sorted(entries.keys() - _STATE_ENTRIES - {_PLAN_ENTRY}):
        digest.update(name.encode() + b"\0" + entries[name] + b"\0")
    return SavedPlan(
        path,
        version,
        variables,
        digest.hexdigest(),
        prior_state=entries.get("tfstate", b""),
        previous_state=entries.get("tfstate-prev", b""),
        drift=drift,
    )


def _plan_fields(data: bytes) -> tuple[dict[str, Any], str, tuple[Drifted, ...]]:
    variables: dict[str, Any] = {}
    version = ""
    drift: list[Drifted] = []
    for number, value in _fields(data):
        if number == _VARIABLES_FIELD and isinstance(value, bytes):
            entry = dict(_fields(value))  # key = 1, value = 2 (DynamicValue: msgpack = 1)
            name = _bytes(entry.get(1)).decode()
            variables[name] = dynamic_value(_bytes(dict(_fields(_bytes(entry.get(2)))).get(1)))
        elif number == _TERRAFORM_VERSION_FIELD and isinstance(value, bytes):
            version = value.decode()
        elif number == _RESOURCE_DRIFT_FIELD and isinstance(value, bytes):
            drift.append(_drifted(value))
    return variables, version, tuple(drift)


def _drifted(data: bytes) -> Drifted:
    change = dict(_fields(data))
    address = _bytes(change.get(13)).decode()
    previous = change.get(14)
    action = dict(_fields(_bytes(change.get(9, b"")))).get(1, 0)  # proto3: NOOP is left out
    if action not in _DRIFT_ACTIONS or change.get(7):
        raise ValueError(f"{address}: unexpected drift (action {action}, deposed {change.get(7)!r})")
    return Drifted(address, _bytes(previous).decode() if previous else address, _DRIFT_ACTIONS[action])


def _bytes(value: int | bytes | None) -> bytes:
    if not isinstance(value, bytes):
        raise ValueError("expected a length-delimited field")
    return value


def _fields(data: bytes) -> Iterator[tuple[int, int | bytes]]:
    """(field number, value) of each field of one protobuf message, in order."""
    position = 0
    while position < len(data):
        key, position = _varint(data, position)
        number, wire_type = key >> 3, key & 7
        if wire_type == 0:
            value, position = _varint(data, position)
            yield number, value
        elif wire_type == 2:
            length, position = _varint(data, position)
            if position + length > len(data):
                raise ValueError("truncated field")
            yield number, data[position : position + length]
            position += length
        elif wire_type in (1, 5):  # fixed 64 / 32 bit: not among the fields read here
            position += 8 if wire_type == 1 else 4
        else:
            raise ValueError(f"unsupported wire type {wire_type}")


def _varint(data: bytes, position: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        byte = data[position]
        position += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, position
        shift += 7


def dynamic_value(data: bytes) -> Any:
    """A cty value encoded as msgpack with a dynamic type (`[type as JSON, value]`, or nil),
    as the Python value of its JSON form (`terraform show -json` shows the same)."""
    decoded = msgspec.msgpack.decode(data)
    return None if decoded is None else _typed(decoded)


def _typed(pair: Any) -> Any:
    kind, value = pair
    return _value(json.loads(kind), value)


def _value(kind: Any, value: Any) -> Any:
    """`value` as decoded from msgpack, read as cty type `kind` (cty's JSON type notation)."""
    if value is None:
        return None
    if isinstance(value, msgspec.msgpack.Ext):
        raise ValueError("unknown value in a root variable")
    if kind == "number":
        # Numbers msgpack cannot hold exactly are written as their decimal text.
        return json.loads(value) if isinstance(value, str) else value
    if kind == "dynamic":
        return _typed(value)
    if isinstance(kind, str):  # string, bool
        return value
    collection, element = kind[0], kind[1]
    if collection in ("list", "set"):
        return [_value(element, item) for item in value]
    if collection == "tuple":
        return [_value(item_kind, item) for item_kind, item in zip(element, value, strict=True)]
    if collection == "map":
        return {key: _value(element, item) for key, item in value.items()}
    if collection == "object":
        return {key: _value(element[key], item) for key, item in value.items()}
    raise ValueError(f"unknown cty type {kind!r}")
