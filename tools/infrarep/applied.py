"""An applied env as a plan document: what `plans.load` reads, built without terraform.

After an apply, the env's config manifest needs three things: the configuration (the same
for every plan of the same code: `planfile.SavedPlan.code_digest`), the root variables
(in the saved plan) and the resources as they are now (in the state, which the backend
holds and which needs no provider to read). `plan_document` puts them together as a
`terraform show -json` plan in which every resource is a no-op: `before` and `after` its
state, `after_sensitive` the paths the state marks sensitive (terraform records there the
provider schema's sensitive attributes as well as values derived from sensitive
variables). So the manifest of a deploy is computed by the same code, from the same
shape, as the manifests `drift-report` computes from fresh plans.

`refresh_document` does the same for a saved refresh-only plan: its `resource_drift` from
terraform's verdicts in the plan file and the values of the two states it holds.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import msgspec

from .errors import InfrarepError
from .planfile import SavedPlan

PLAN_FORMAT = "1.2"


class StateUnreadable(InfrarepError):
    """A state document is not terraform's state format 4."""


class _Instance(msgspec.Struct, frozen=True):
    attributes: msgspec.Raw = msgspec.Raw(b"null")
    index_key: int | str | None = None
    sensitive_attributes: list[list[dict[str, Any]]] = msgspec.field(default_factory=list)
    deposed: str | None = None


class _Resource(msgspec.Struct, frozen=True):
    mode: str
    type: str
    name: str
    module: str = ""
    instances: list[_Instance] = msgspec.field(default_factory=list)


class _State(msgspec.Struct, frozen=True):
    version: int
    resources: list[_Resource] = msgspec.field(default_factory=list)
    outputs: dict[str, Any] = msgspec.field(default_factory=dict)


class _ConfigurationOf(msgspec.Struct, frozen=True):
    configuration: msgspec.Raw = msgspec.Raw(b"{}")


class _ShownVariable(msgspec.Struct, frozen=True):
    value: Any = None


class _ShownInputs(msgspec.Struct, frozen=True):
    terraform_version: str
    variables: dict[str, _ShownVariable] = msgspec.field(default_factory=dict)
    configuration: msgspec.Raw = msgspec.Raw(b"{}")


class _Declared(msgspec.Struct, frozen=True):
    default: Any = msgspec.UNSET  # UNSET: the variable has no default


class _RootModule(msgspec.Struct, frozen=True):
    variables: dict[str, _Declared] = msgspec.field(default_factory=dict)


class _Configuration(msgspec.Struct, frozen=True):
    root_module: _RootModule = msgspec.field(default_factory=_RootModule)


def configuration_of(plan_json: bytes) -> bytes:
    """The raw `configuration` section of a `terraform show -json` plan."""
    return bytes(msgspec.json.decode(plan_json, type=_ConfigurationOf).configuration)


def shown_inputs(plan_json: bytes) -> tuple[bytes, dict[str, Any], str]:
    """What `plan_document` takes of a plan, from its `terraform show -json` form: the raw
    `configuration` section, the root variables (name -> value) and terraform's version."""
    shown = msgspec.json.decode(plan_json, type=_ShownInputs)
    variables = {name: variable.value for name, variable in shown.variables.items()}
    return bytes(shown.configuration), variables, shown.terraform_version


def read_state(data: bytes, where: str) -> _State:
    try:
        state = msgspec.json.decode(data, type=_State)
    except msgspec.DecodeError as err:
        raise StateUnreadable(f"{where}: not a terraform state ({err})") from None
    if state.version != 4:
        raise StateUnreadable(f"{where}: unsupported state version {state.version} (expected 4)")
    return state


def outputs(data: bytes, where: str) -> dict[str, Any]:
    """The state's root outputs as `terraform output -json` shows them (name -> {value, ...})."""
    return read_state(data, where).outputs


@dataclass(frozen=True)
class _Object:
    """One resource instance's current object in a state."""

    address: str
    head: bytes  # the JSON object of address, mode, type, name, module_address, index (no "}")
    attributes: bytes
    sensitive_paths: list[list[dict[str, Any]]]

    def sensitive(self) -> bytes:
        return msgspec.json.encode(sensitive_mask(self.sensitive_paths))


def _objects(state: bytes, where: str) -> Iterator[_Object]:
    """The current object of every managed resource instance (deposed objects left out)."""
    for resource in read_state(state, where).resources:
        if resource.mode != "managed":
            continue
        prefix = f"{resource.module}." if resource.module else ""
        for instance in resource.instances:
            if instance.deposed is not None:
                continue  # an object create_before_destroy is about to delete
            address = f"{prefix}{resource.type}.{resource.name}{_index(instance.index_key)}"
            entry = {
                "address": address,
                "mode": "managed",
                "type": resource.type,
                "name": resource.name,
                "module_address": resource.module,
                "index": instance.index_key,
            }
            set_fields = {key: value for key, value in entry.items() if value not in ("", None)}
            head = msgspec.json.encode(set_fields)
            yield _Object(address, head[:-1], bytes(instance.attributes), instance.sensitive_attributes)


def _change(entry: _Object, action: str, before: _Object | None, after: _Object | None) -> bytes:
    return entry.head + (
        b',"change":{"actions":["%s"],"before":%s,"after":%s,"after_unknown":{},'
        b'"before_sensitive":%s,"after_sensitive":%s}}'
        % (
            action.encode(),
            before.attributes if before else b"null",
            after.attributes if after else b"null",
            before.sensitive() if before else b"false",
            after.sensitive() if after else b"false",
        )
    )


def _document(
    configuration: bytes,
    variables: Mapping[str, Any],
    terraform_version: str,
    sections: dict[str, list[bytes]],
) -> bytes:
    head = msgspec.json.encode(
        {
            "format_version": PLAN_FORMAT,
            "terraform_version": terraform_version,
            "variables": root_variables(variables, configuration),
            "planned_values": {},
        }
    )
    parts = b"".join(b',"%s":[%s]' % (name.encode(), b",".join(items)) for name, items in sections.items())
    return head[:-1] + parts + b',"configuration":%s}' % configuration


def plan_document(
    state: bytes,
    configuration: bytes,
    variables: Mapping[str, Any],
    terraform_version: str,
    where: str = "state",
) -> bytes:
    """A plan JSON (format 1.2) of the env as applied: its managed resources' current objects
    as no-op changes, the given root variables and configuration."""
    changes = [_change(entry, "no-op", entry, entry) for entry in _objects(state, where)]
    return _document(configuration, variables, terraform_version, {"resource_changes": changes})


def refresh_document(saved: SavedPlan, configuration: bytes) -> bytes:
    """The JSON form of a saved refresh-only plan: its `resource_drift` (which objects drifted
    and how: terraform's own verdicts, kept in the plan file) with each object's values from
    the previous run's state (`before`) and the refreshed state (`after`). A refresh-only
    plan has no `resource_changes`."""
    where = str(saved.path)
    previous = {entry.address: entry for entry in _objects(saved.previous_state, f"{where}: tfstate-prev")}
    refreshed = {entry.address: entry for entry in _objects(saved.prior_state, f"{where}: tfstate")}
    drift: list[tuple[str, bytes]] = []
    for drifted in saved.drift:
        before = previous.get(drifted.address)  # terraform moved it there before the refresh
        after = refreshed.get(drifted.address) if drifted.action != "delete" else None
        if before is None or (after is None and drifted.action != "delete"):
            raise StateUnreadable(f"{where}: {drifted.address} drifted but is not in both states")
        entry = after or before
        change = _change(entry, drifted.action, before, after)
        if drifted.previous_address != drifted.address:
            change = change[:-1] + b',"previous_address":%s}' % msgspec.json.encode(drifted.previous_address)
        drift.append((drifted.address, change))
    return _document(
        configuration,
        saved.variables,
        saved.terraform_version,
        {"resource_drift": [change for _, change in sorted(drift)]},
    )


def root_variables(given: Mapping[str, Any], configuration: bytes) -> dict[str, Any]:
    """The plan JSON's `variables`: the values the plan was given, and the declared default of
    every root variable it was not given (a saved plan records only the former; `terraform
    show -json` adds the latter from the configuration, as here)."""
    declared = msgspec.json.decode(configuration, type=_Configuration).root_module.variables
    shown: dict[str, Any] = {name: {"value": value} for name, value in given.items()}
    for name, variable in declared.items():
        if name not in shown and variable.default is not msgspec.UNSET:
            shown[name] = {"value": variable.default}
    return dict(sorted(shown.items()))


def _index(key: int | str | None) -> str:
    if key is None:
        return ""
    return f"[{key}]" if isinstance(key, int) else f"[{json.dumps(key, ensure_ascii=False)}]"


def sensitive_mask(paths: list[list[dict[str, Any]]]) -> Any:
    """terraform's `after_sensitive` shape (`true` at each marked path, objects and arrays
    leading to it) from the state's `sensitive_attributes` (lists of cty path steps)."""
    mask: Any = {}
    for path in paths:
        mask = _mark(mask, path)
    return mask


def _mark(node: Any, path: list[dict[str, Any]]) -> Any:
    if not path or node is True:
        return True
    step, rest = path[0], path[1:]
    key = step.get("value")
    if step.get("type") == "index" and isinstance(key, dict):
        key = key.get("value")  # {"value": 0, "type": "number"}
    if isinstance(key, int) and not isinstance(key, bool):
        items = list(node) if isinstance(node, list) else []
        items += [None] * (key + 1 - len(items))
        items[key] = _mark(items[key] if items[key] is not None else {}, rest)
        return items
    if isinstance(key, str):
        mapping = dict(node) if isinstance(node, dict) else {}
        mapping[key] = _mark(mapping.get(key, {}), rest)
        return mapping
    return True  # a step this reader does not know: mark everything below the path so far
