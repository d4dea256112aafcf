"""Read `terraform show -json` plans into compact typed records.

Only the fields a caller needs are decoded (msgspec skips the rest without building
Python objects): a plan's size is mostly values no comparison reads.

`summarise` reads just the actions (for `plan`/`deploy`). `load` reads what the drift
engine needs in one pass over the whole file: root variables, `resource_drift` and
`resource_changes` (values kept as raw JSON), and `configuration` (the module tree with each
resource's expressions). `Plan.rows` then decodes each `after` object into a struct that
holds, as raw JSON, only the attributes some resource's configuration sets (the union over
the plan, plus `tags_all`) and the nested blocks the masks show. Computed attributes - ids,
timestamps, ARNs nobody configured - are skipped by the decoder and never become Python
objects.

Values stay raw JSON (`msgspec.Raw`, a view into the file's bytes) until a comparison
needs them; `decode_json` turns one into Python values.
"""

from __future__ import annotations

import dataclasses
import gc
import hashlib
import re
import weakref
from collections import Counter
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cache, cached_property
from operator import attrgetter
from pathlib import Path
from typing import Any, TypeVar

import msgspec

from .errors import InfrarepError, cut, shown

_PlanT = TypeVar("_PlanT", bound=msgspec.Struct)

NULL = msgspec.Raw(b"null")
"""The raw JSON `null`: the default of every raw value a plan leaves out."""

DATA_SOURCES = "(data sources)"
"""Stands for a module's list of data sources among resource block addresses."""
DERIVED_TAGS = "tags_all"
"""AWS provider: `tags` merged with the provider's `default_tags`; never set in configuration."""


class PlanUnreadable(InfrarepError):
    """A plan JSON file is missing, truncated or not a terraform plan."""


class Action(StrEnum):
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"
    REPLACE = "replace"
    READ = "read"
    NO_OP = "no-op"


class Mode(StrEnum):
    MANAGED = "managed"
    DATA = "data"


# --- the summary `plan` and `deploy` print ---


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


def action_of(actions: list[str] | tuple[str, ...]) -> Action:
    """terraform's action list as one action: ["delete", "create"] (either order) is a replace."""
    if len(actions) == 2 and set(actions) == {"create", "delete"}:
        return Action.REPLACE
    if len(actions) != 1:
        raise ValueError(f"unexpected actions {shown(list(actions))}")
    return Action(actions[0])


_ACTION_LISTS = frozenset(
    {(action.value,) for action in Action} | {("create", "delete"), ("delete", "create")}
)
"""Every `actions` list `action_of` accepts (checked by membership first: a plan has one per resource)."""


def summarise(plan_json: Path) -> PlanSummary:
    plan = _decode(plan_json, _PlanActions)
    actions = []
    for change in plan.resource_changes:
        if change.mode != "managed":
            continue
        try:
            action = action_of(change.change.actions)
        except ValueError as err:
            raise PlanUnreadable(f"{plan_json}: {cut(change.address)}: {err}") from None
        if action is not Action.NO_OP:
            actions.append(PlannedAction(change.address, change.type, action))
    return PlanSummary(tuple(actions))


# --- addresses ---

_MODULE_STEP = re.compile(r'module\.([^.\[]+)(?:\[(?:"(?:[^"\\]|\\.)*"|[0-9]+)\])?(?:\.|$)')


@cache
def module_path(module_address: str) -> tuple[str, ...]:
    """`module.app["a"].module.store` -> ("app", "store"): the module calls, instance keys dropped."""
    steps: list[str] = []
    position = 0
    while position < len(module_address):
        match = _MODULE_STEP.match(module_address, position)
        if match is None:
            raise ValueError(f"not a module address: {shown(module_address)}")
        steps.append(match.group(1))
        position = match.end()
    return tuple(steps)


@cache
def module_prefix(path: tuple[str, ...]) -> str:
    """("app", "store") -> "module.app.module.store." (empty for the root module)."""
    return "".join(f"module.{name}." for name in path)


# --- the records `load` returns ---


class Record(msgspec.Struct, frozen=True, gc=False):
    """Fields every entry of `resource_changes` and `resource_drift` has."""

    address: str
    mode: str
    type: str
    name: str
    module_address: str = ""
    index: int | str | None = None

    @property
    def managed(self) -> bool:
        return self.mode == Mode.MANAGED

    @property
    def module(self) -> tuple[str, ...]:
        """The module path in the configuration: ("app", "store")."""
        return module_path(self.module_address)

    @property
    def config_address(self) -> str:
        """The resource's address inside its module's configuration: `aws_s3_bucket.this`."""
        return f"data.{self.type}.{self.name}" if self.mode == Mode.DATA else f"{self.type}.{self.name}"


class DriftChange(msgspec.Struct, frozen=True, gc=False):
    """A change with whole values as raw JSON (`resource_drift`: what changed outside terraform)."""

    actions: tuple[str, ...]
    before: msgspec.Raw = NULL
    after: msgspec.Raw = NULL
    after_unknown: msgspec.Raw = NULL
    before_sensitive: msgspec.Raw = NULL
    after_sensitive: msgspec.Raw = NULL

    @property
    def action(self) -> Action:
        return action_of(self.actions)


class ResourceDrift(Record, frozen=True, gc=False, kw_only=True):
    """One entry of `resource_drift`."""

    change: DriftChange


class PlannedChange(msgspec.Struct, frozen=True, gc=False):
    """A change of `resource_changes` with whole values as raw JSON (`Plan.rows` picks the
    attributes the comparisons read out of `after`)."""

    actions: tuple[str, ...]
    before: msgspec.Raw = NULL
    after: msgspec.Raw = NULL
    after_unknown: msgspec.Raw = NULL
    before_sensitive: msgspec.Raw = NULL
    after_sensitive: msgspec.Raw = NULL
    replace_paths: msgspec.Raw = NULL

    @property
    def action(self) -> Action:
        return action_of(self.actions)


class ResourceChange(Record, frozen=True, gc=False, kw_only=True):
    """One entry of `resource_changes`."""

    change: PlannedChange
    action_reason: str | None = None

    @property
    def planned(self) -> bool:
        """Does the resource exist after the change (it has an `after`: it is not deleted)?"""
        return self.change.after != NULL


# --- configuration: the module tree with expressions ---


class ConfigResource(msgspec.Struct, frozen=True, gc=False):
    address: str
    mode: str
    type: str
    name: str
    provider_config_key: str = ""
    expressions: msgspec.Raw = msgspec.Raw(b"{}")
    count_expression: msgspec.Raw = NULL
    for_each_expression: msgspec.Raw = NULL


class ConfigOutput(msgspec.Struct, frozen=True):
    expression: msgspec.Raw = NULL
    sensitive: bool = False


class ConfigVariable(msgspec.Struct, frozen=True):
    default: msgspec.Raw | msgspec.UnsetType = msgspec.UNSET
    sensitive: bool = False


class ModuleConfig(msgspec.Struct, frozen=True):
    resources: list[ConfigResource] = msgspec.field(default_factory=list)
    module_calls: dict[str, ModuleCall] = msgspec.field(default_factory=dict)
    variables: dict[str, ConfigVariable] = msgspec.field(default_factory=dict)
    outputs: dict[str, ConfigOutput] = msgspec.field(default_factory=dict)


class ModuleCall(msgspec.Struct, frozen=True):
    source: str = ""
    version_constraint: str | None = None
    expressions: msgspec.Raw = msgspec.Raw(b"{}")
    count_expression: msgspec.Raw = NULL
    for_each_expression: msgspec.Raw = NULL
    module: ModuleConfig = msgspec.field(default_factory=ModuleConfig)


class ProviderConfig(msgspec.Struct, frozen=True):
    name: str = ""
    module_address: str = ""
    version_constraint: str | None = None
    expressions: msgspec.Raw = msgspec.Raw(b"{}")


class _Configuration(msgspec.Struct, frozen=True):
    provider_config: dict[str, ProviderConfig] = msgspec.field(default_factory=dict)
    root_module: ModuleConfig = msgspec.field(default_factory=ModuleConfig)


class RootVariable(msgspec.Struct, frozen=True):
    value: Any = None


class _PlanHead(msgspec.Struct):
    format_version: str
    terraform_version: str = ""
    variables: dict[str, RootVariable] = msgspec.field(default_factory=dict)
    planned_values: msgspec.Raw | msgspec.UnsetType = msgspec.UNSET
    resource_drift: list[ResourceDrift] = msgspec.field(default_factory=list)
    configuration: _Configuration = msgspec.field(default_factory=_Configuration)
    resource_changes: list[ResourceChange] | msgspec.UnsetType = msgspec.UNSET


@dataclass(frozen=True)
class ModuleCallInfo:
    """One module call, for source/version parity."""

    path: tuple[str, ...]
    source: str
    version: str | None


Hidden = Mapping[tuple[tuple[str, ...], str], tuple[str, ...]]
"""Per resource block, by (module path, address): the block types its source sets in `dynamic`
blocks, which plan JSON leaves out of `configuration.expressions`."""


class Configuration:
    """Lookups into the plan's `configuration`; expressions decoded on first use and kept."""

    def __init__(self, decoded: _Configuration, hidden: Hidden | None = None) -> None:
        self._decoded = decoded
        self.hidden: Hidden = hidden or {}
        self.providers = decoded.provider_config
        self._modules: dict[tuple[str, ...], ModuleConfig] = {}
        self._calls: dict[tuple[str, ...], ModuleCall] = {}
        self._resources: dict[tuple[tuple[str, ...], str], ConfigResource] = {}
        self._expressions: dict[int, Any] = {}
        self._keys: dict[int, tuple[msgspec.Raw, tuple[str, ...]]] = {}
        self._walk((), decoded.root_module)
        self._hidden_by_block = {
            id(self._resources[key]): names for key, names in self.hidden.items() if key in self._resources
        }

    def _walk(self, path: tuple[str, ...], module: ModuleConfig) -> None:
        self._modules[path] = module
        for resource in module.resources:
            self._resources[(path, resource.address)] = resource
        for name, call in module.module_calls.items():
            self._calls[(*path, name)] = call
            self._walk((*path, name), call.module)

    @cached_property
    def digest(self) -> bytes:
        """SHA-256 of everything read from the configuration: equal digests, equal code."""
        return hashlib.sha256(msgspec.json.encode(self._decoded)).digest()

    @cached_property
    def skeleton_digest(self) -> bytes:
        """SHA-256 of the configuration without its resource blocks (module calls, variables,
        outputs, providers): configurations with equal skeletons differ in resource blocks only."""
        skeleton = (self.providers, _without_resources(self._decoded.root_module))
        return hashlib.sha256(msgspec.json.encode(skeleton)).digest()

    @cached_property
    def block_texts(self) -> dict[tuple[tuple[str, ...], str], bytes]:
        """Each resource block as JSON text by (module path, address), and each module's list of
        data sources by (module path, `DATA_SOURCES`)."""
        texts: dict[tuple[tuple[str, ...], str], bytes] = {}
        data: dict[tuple[str, ...], list[str]] = {path: [] for path in self._modules}
        for path, resource in self.resources():
            texts[(path, resource.address)] = msgspec.json.encode(resource)
            if resource.mode == Mode.DATA:
                data[path].append(resource.address)
        for path, addresses in data.items():
            texts[(path, DATA_SOURCES)] = msgspec.json.encode(sorted(addresses))
        return texts

    def module(self, path: tuple[str, ...]) -> ModuleConfig | None:
        return self._modules.get(path)

    def call(self, path: tuple[str, ...]) -> ModuleCall | None:
        """The call of the module at `path` (`("app",)` -> `module "app"` in the root)."""
        return self._calls.get(path)

    def calls(self) -> Iterator[ModuleCallInfo]:
        for path, call in sorted(self._calls.items()):
            yield ModuleCallInfo(path, call.source, call.version_constraint)

    def resource(self, path: tuple[str, ...], config_address: str) -> ConfigResource | None:
        return self._resources.get((path, config_address))

    def resources(self) -> Iterator[tuple[tuple[str, ...], ConfigResource]]:
        for (path, _), resource in self._resources.items():
            yield path, resource

    def decoded(self, raw: msgspec.Raw) -> Any:
        """A raw expression (or expressions object) as Python values, decoded once."""
        key = id(raw)
        if key not in self._expressions:
            self._expressions[key] = (raw, decode_json(raw))  # keep raw alive: ids stay unique
        return self._expressions[key][1]

    def expressions(self, resource: ConfigResource) -> dict[str, Any]:
        decoded = self.decoded(resource.expressions)
        return decoded if isinstance(decoded, dict) else {}

    def provider(self, key: str) -> ProviderConfig | None:
        return self.providers.get(key)

    def attribute_names(self) -> tuple[str, ...]:
        """Every top-level attribute some managed resource sets, plus `tags_all`, sorted."""
        names: set[str] = {DERIVED_TAGS}
        for _, resource in self.resources():
            if resource.mode == Mode.MANAGED:
                names.update(self.configured(resource))
        return tuple(sorted(names))

    def configured(self, resource: ConfigResource) -> tuple[str, ...]:
        """The top-level names a resource's configuration sets: those in its expressions (read
        without decoding them), then the `hidden` ones its source sets in `dynamic` blocks."""
        key = id(resource.expressions)
        found = self._keys.get(key)
        if found is None:
            names = tuple(_top_level_keys(resource.expressions))
            if self.hidden:
                hidden = self._hidden_by_block.get(id(resource), ())
                names += tuple(name for name in hidden if name not in names)
            found = self._keys[key] = (resource.expressions, names)
        return found[1]

    def with_hidden(self, hidden: Hidden) -> Configuration:
        """The same configuration, its resources also setting the `hidden` block types."""
        return Configuration(self._decoded, hidden)


def _top_level_keys(raw: msgspec.Raw) -> list[str]:
    keys: dict[str, msgspec.Raw] = msgspec.json.decode(raw, type=dict[str, msgspec.Raw])
    return list(keys)


def _without_resources(module: ModuleConfig) -> ModuleConfig:
    calls = {
        name: msgspec.structs.replace(call, module=_without_resources(call.module))
        for name, call in module.module_calls.items()
    }
    return msgspec.structs.replace(module, resources=[], module_calls=calls)


def changed_blocks(
    before: Mapping[tuple[tuple[str, ...], str], bytes], after: Mapping[tuple[tuple[str, ...], str], bytes]
) -> frozenset[tuple[tuple[str, ...], str]]:
    """The resource blocks (and modules' data source lists) that differ between two configurations'
    `Configuration.block_texts`, or are in one only."""
    return frozenset(key for key in before.keys() | after.keys() if before.get(key) != after.get(key))


Row = tuple[msgspec.Raw, ...]
"""A resource's `after` as `Plan.rows` decodes it: the raw JSON of each name in `Plan.view_names`
(`null` where the plan leaves the attribute out, e.g. because it is unknown)."""


@dataclass(frozen=True)
class Plan:
    """One plan JSON file, read for the drift engine."""

    path: Path
    format_version: str
    terraform_version: str
    variables: Mapping[str, RootVariable]
    config: Configuration
    drift: tuple[ResourceDrift, ...]
    changes: tuple[ResourceChange, ...]
    attribute_names: tuple[str, ...]
    """Every top-level attribute some managed resource's configuration sets, plus `tags_all`."""
    has_changes: bool = field(default=False)
    """Whether the file has `resource_changes` (a refresh-only plan has none)."""

    @cached_property
    def block_names(self) -> tuple[tuple[str, ...], ...]:
        """Per change (in `changes` order), the nested blocks its `after_sensitive` mask shows
        (`block_lists`); none for data sources and deleted resources."""
        by_mask: dict[bytes, tuple[str, ...]] = {}
        found: list[tuple[str, ...]] = []
        for record in self.changes:
            if not record.planned or record.mode != Mode.MANAGED:
                found.append(())
                continue
            mask = bytes(record.change.after_sensitive)
            blocks = by_mask.get(mask)
            if blocks is None:
                blocks = by_mask[mask] = block_lists(decode_json(mask))
            found.append(blocks)
        return tuple(found)

    @cached_property
    def view_names(self) -> tuple[str, ...]:
        """The names `rows` holds: `attribute_names`, then the other nested blocks of
        `block_names`, sorted."""
        blocks = {name for names in set(self.block_names) for name in names}
        return self.attribute_names + tuple(sorted(blocks.difference(self.attribute_names)))

    @cached_property
    def attribute_index(self) -> dict[str, int]:
        """The position of each of `view_names` in a row."""
        return {name: position for position, name in enumerate(self.view_names)}

    @cached_property
    def rows(self) -> tuple[Row | None, ...]:
        """Each change's `after` (in `changes` order) as a `Row`; None where it is deleted."""
        decoder = msgspec.json.Decoder(_view_type(self.view_names) | None)
        astuple = msgspec.structs.astuple
        rows: list[Row | None] = []
        with cycle_collection_paused():
            for record in self.changes:
                try:
                    view = decoder.decode(record.change.after)
                except msgspec.DecodeError as err:
                    raise PlanUnreadable(
                        f"{self.path}: not a terraform plan JSON ({cut(record.address)}: {err})"
                    ) from None
                rows.append(None if view is None else astuple(view))
        return tuple(rows)

    def variable_value(self, name: str) -> Any:
        variable = self.variables.get(name)
        return None if variable is None else variable.value

    def variable_sensitive(self, name: str) -> bool:
        module = self.config.module(())
        declared = module.variables.get(name) if module else None
        return bool(declared and declared.sensitive)


def _view_type(names: tuple[str, ...]) -> Any:
    """A struct of `names`, each raw JSON (`null` by default)."""
    return msgspec.defstruct(
        "AfterView",
        [(f"a{position}", msgspec.Raw, NULL) for position in range(len(names))],
        rename={f"a{position}": name for position, name in enumerate(names)},
        frozen=True,
        gc=False,
    )


def load(path: Path) -> Plan:
    """Read a `terraform show -json` plan (format 1.x) for the drift engine.

    Raises `PlanUnreadable` naming the file when it is missing, truncated, not JSON or not
    a plan.
    """
    with cycle_collection_paused():
        try:
            plan = _load(path)
        except (msgspec.DecodeError, RecursionError) as err:  # e.g. a configuration key
            raise PlanUnreadable(f"{path}: not a terraform plan JSON ({_reason(err)})") from None
    _LOADED[id(plan)] = plan
    return plan


_LOADED: weakref.WeakValueDictionary[int, Plan] = weakref.WeakValueDictionary()
"""The plans `load` returned that are still in use. Values stay raw until compared, and raw
JSON is not checked for UTF-8: a value that fails to decode then is traced back to its file."""


@contextmanager
def cycle_collection_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector. Reading and comparing plans allocates hundreds of
    thousands of short-lived containers that hold no cycles, and every collection it triggers
    walks all the live objects of the plans, finding nothing to free. Reference counting
    still frees everything."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _load(path: Path) -> Plan:
    data = _read(path)
    head: _PlanHead = _decode_bytes(path, data, _PlanHead)
    _check_format(path, head.format_version)
    if head.planned_values is msgspec.UNSET:
        raise PlanUnreadable(
            f"{path}: not a plan (no planned_values)",
            hint="pass the output of `terraform show -json PLANFILE`, not of a state",
        )
    config = Configuration(head.configuration)
    records = () if head.resource_changes is msgspec.UNSET else tuple(head.resource_changes)
    _check_records(path, (*records, *head.resource_drift))
    return Plan(
        path=path,
        format_version=head.format_version,
        terraform_version=head.terraform_version,
        variables=head.variables,
        config=config,
        drift=tuple(head.resource_drift),
        changes=records,
        attribute_names=config.attribute_names(),
        has_changes=head.resource_changes is not msgspec.UNSET,
    )


def block_lists(mask: Any) -> tuple[str, ...]:
    """The top-level names an `after_sensitive` mask shows as a non-empty list of objects: nested
    blocks (terraform's mask mirrors every collection: `[{}]` for one block, `[false]` for one
    string, `[]` for none)."""
    if not isinstance(mask, dict):
        return ()
    return tuple(
        name
        for name, node in mask.items()
        if isinstance(node, list) and node and all(isinstance(item, dict) for item in node)
    )


def with_hidden(plan: Plan, hidden: Hidden) -> Plan:
    """`plan` whose resources also set the `hidden` block types (read from their source)."""
    if not hidden:
        return plan
    config = plan.config.with_hidden(hidden)
    return dataclasses.replace(plan, config=config, attribute_names=config.attribute_names())


_ACTIONS = attrgetter("change.actions")
_MODULE_ADDRESS = attrgetter("module_address")


def _check_records(path: Path, records: tuple[Record, ...]) -> None:
    """Every record's actions and module address are valid (each distinct one checked once)."""
    unusual = set(map(_ACTIONS, records)) - _ACTION_LISTS
    modules = set(map(_MODULE_ADDRESS, records))
    try:
        for actions in unusual:
            action_of(actions)
        for module_address in modules:
            module_path(module_address)
    except ValueError:
        for record in records:  # name the first record that has it
            try:
                action_of(record.change.actions)  # type: ignore[attr-defined]
                module_path(record.module_address)
            except ValueError as err:
                raise PlanUnreadable(f"{path}: {cut(record.address)}: {err}") from None
        raise


def decode_json(raw: msgspec.Raw | bytes) -> Any:
    """Raw JSON (as kept in the records) as Python values; PlanUnreadable, naming the plan file
    that holds it, if it is not valid UTF-8."""
    try:
        return msgspec.json.decode(raw)
    except (msgspec.DecodeError, RecursionError) as err:
        raise _undecodable(bytes(raw), err) from None


def _undecodable(value: bytes, err: Exception) -> PlanUnreadable:
    """The error for a raw value that does not decode, naming the loaded plan file that holds it
    and the offset of the bad byte there (slow, but only taken on the way to an error)."""
    try:
        value.decode("utf-8")
    except UnicodeDecodeError as bad:
        string_start = value.rfind(b'"', 0, bad.start) + 1  # the bad byte's string: inside one value
        piece = value[string_start : bad.start + 1]
        for plan in list(_LOADED.values()):
            try:
                data = plan.path.read_bytes()
            except OSError:
                continue
            at = data.find(piece)
            if at >= 0:
                offset = at + len(piece) - 1
                return PlanUnreadable(
                    f"{plan.path}: not a terraform plan JSON "
                    f"(invalid UTF-8: byte 0x{data[offset]:02x} at offset {offset})"
                )
    return PlanUnreadable(f"a plan value is not valid JSON ({_reason(err)})")


def _reason(err: Exception) -> str:
    return "nested too deeply" if isinstance(err, RecursionError) else str(err)


def _read(path: Path) -> bytes:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise PlanUnreadable(f"{path}: no such plan file") from None
    except IsADirectoryError:
        raise PlanUnreadable(f"{path}: is a directory, not a plan file") from None
    except OSError as err:
        raise PlanUnreadable(f"{path}: cannot read ({err.strerror})") from None
    if not data.strip():
        raise PlanUnreadable(f"{path}: empty file, not a terraform plan JSON")
    return data


def _decode_bytes(path: Path, data: bytes | msgspec.Raw, kind: Any, at: str = "$") -> Any:
    """`data` (read from `path`, where it lies at `at`) as `kind`; a decode error names the file
    and the place in it."""
    try:
        return msgspec.json.decode(data, type=kind)
    except msgspec.DecodeError as err:
        where = str(err).replace("`$", f"`{at}")
        raise PlanUnreadable(f"{path}: not a terraform plan JSON ({where})") from None
    except RecursionError:
        raise PlanUnreadable(f"{path}: not a terraform plan JSON (nested too deeply)") from None


def _check_format(path: Path, version: str) -> None:
    if not version.startswith("1."):
        raise PlanUnreadable(f"{path}: unsupported plan format_version {shown(version)} (expected 1.x)")


def _decode(path: Path, kind: type[_PlanT]) -> _PlanT:
    plan: _PlanT = _decode_bytes(path, _read(path), kind)
    _check_format(path, getattr(plan, "format_version", ""))
    return plan
