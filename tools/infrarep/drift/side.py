"""One env of a parity comparison (or a manifest), prepared once: its records by normalised
address, a fingerprint of their configured values, and a tracer over its configuration."""

from __future__ import annotations

from collections.abc import Callable
from itertools import groupby
from operator import attrgetter, itemgetter
from typing import Any

import msgspec

from .. import plans
from ..plans import ConfigResource, ResourceChange
from .identity import EnvPlans
from .noise import Ownership
from .sources import Sources
from .tracing import AttributeSets, Source, Tracer
from .values import value_at

_BLOCK_OF = attrgetter("module_address", "mode", "type", "name")
_AFTER_SENSITIVE = attrgetter("change.after_sensitive")
"""The resource block of a record (instances of one block come one after the other)."""


class Side:
    """One env of a parity comparison, prepared once and shared by the pairs it is in."""

    def __init__(self, env: EnvPlans, sources: Sources | None = None) -> None:
        assert env.plan is not None
        self.env = env.env
        self.identity = env.identity
        self.sources = sources
        # What the sources set in `dynamic` blocks is compared too (plan JSON leaves it out).
        self.plan = plans.with_hidden(env.plan, sources.hidden()) if sources is not None else env.plan
        self.tracer = Tracer(self.plan, self.identity, sources)
        self.sets = AttributeSets(self.plan, self.tracer)
        self.owned = Ownership(self.plan)
        self.records: dict[str, ResourceChange] = {}
        self.fingerprints: dict[str, tuple[tuple[str, ...], bytes]] = {}
        self.unshown: dict[str, tuple[tuple[str, ...], tuple[msgspec.Raw, ...]]] = {}
        """By record key: the blocks set where plan JSON does not show how (`unshown_blocks`),
        with their raw values."""
        self.unshown_prints: dict[str, bytes] = {}
        """By record key: the unshown blocks' values joined by \\x1f, normalised (`fingerprints`)."""
        self._mask_blocks: dict[bytes, tuple[str, ...]] = {}
        normalise_address = self.identity.text
        join = b"\x1f".join
        astuple = msgspec.structs.astuple
        keys: list[str] = []
        attribute_names: list[tuple[str, ...]] = []
        values: list[bytes] = []
        self.runs: list[tuple[list[str], list[ResourceChange], list[tuple[Any, ...]]]] = []
        """Instances of one block, one after the other: their keys, records and `after` views."""
        unshown_runs: list[tuple[list[str], list[int], tuple[str, ...]]] = []
        start = 0
        for (_, mode, _, _), group in groupby(self.plan.changes, _BLOCK_OF):
            instances = list(group)
            offset, start = start, start + len(instances)
            if mode != plans.Mode.MANAGED:
                continue  # data sources are not compared
            records = [record for record in instances if getattr(record.change, "after", None) is not None]
            if not records:
                continue  # deleted resources are not planned
            names, pick = self.sets.of(records[0])
            addresses = [record.address for record in records]
            run_keys = [normalise_address(address) if '"' in address else address for address in addresses]
            rows = [astuple(record.change.after) for record in records]  # type: ignore[attr-defined]
            self.runs.append((run_keys, records, rows))
            self.records.update(zip(run_keys, records, strict=True))
            keys.extend(run_keys)
            attribute_names.extend([names] * len(records))
            values.extend(map(join, map(pick, rows)))
            unshown = self.unshown_blocks(records, names)
            if unshown:
                planned = (getattr(record.change, "after", None) is not None for record in instances)
                positions = [offset + position for position, kept in enumerate(planned) if kept]
                unshown_runs.append((run_keys, positions, unshown))
        # EnvIdentity.raw over all resources at once (\x1e and \x1f never occur in JSON text).
        normalised = self.identity.raw(b"\x1e".join(values)).split(b"\x1e") if values else []
        self.fingerprints = dict(zip(keys, zip(attribute_names, normalised, strict=True), strict=True))
        if unshown_runs:
            self._add_unshown(unshown_runs)

    def unshown_blocks(self, records: list[ResourceChange], configured: tuple[str, ...]) -> tuple[str, ...]:
        """The nested blocks the instances of one resource block hold (per `after_sensitive`) that
        its configuration does not show: set in `dynamic` blocks, which plan JSON leaves out, or
        filled in by the provider; only the module's source tells which. Empty when the source
        was read, and for attributes another resource owns (`noise.OWNED_ATTRIBUTES`)."""
        if self.sources is not None and self.sources.module(records[0].module) is not None:
            return ()
        found: set[str] = set()
        for mask in set(map(bytes, map(_AFTER_SENSITIVE, records))):
            blocks = self._mask_blocks.get(mask)
            if blocks is None:
                blocks = self._mask_blocks[mask] = plans.block_lists(plans.decode_json(mask))
            found.update(blocks)
        if not found:
            return ()
        found.difference_update(configured, self.owned.owners(records[0]))
        return tuple(sorted(found))

    def _add_unshown(self, runs: list[tuple[list[str], list[int], tuple[str, ...]]]) -> None:
        """Decode the unshown blocks' values and print them like `fingerprints` (each distinct
        value normalised once: instances often hold the same blocks)."""
        union = tuple(sorted({name for _, _, names in runs for name in names}))
        column = {name: position for position, name in enumerate(union)}
        decoded = plans.after_values(self.plan, union)
        join = b"\x1f".join
        keys: list[str] = []
        prints: list[bytes] = []
        for run_keys, positions, names in runs:
            columns = [column[name] for name in names]
            pick = itemgetter(*columns) if len(columns) > 1 else _single(columns[0])
            picked = list(map(pick, map(decoded.__getitem__, positions)))
            self.unshown.update(zip(run_keys, zip([names] * len(run_keys), picked, strict=True), strict=True))
            keys.extend(run_keys)
            prints.extend(map(join, picked))
        distinct = list(dict.fromkeys(prints))
        normalised = dict(
            zip(distinct, self.identity.raw(b"\x1e".join(distinct)).split(b"\x1e"), strict=True)
        )
        self.unshown_prints.update(zip(keys, map(normalised.__getitem__, prints), strict=True))

    def config_resource(self, record: plans.Record) -> ConfigResource | None:
        return self.plan.config.resource(record.module, record.config_address)

    def raw_values(self, record: ResourceChange, key: str | None = None) -> dict[str, msgspec.Raw]:
        """The raw JSON of each attribute the resource's configuration sets, and (by its record
        `key`) of the blocks it holds that the configuration does not show."""
        names, pick = self.sets.of(record)
        view = record.after
        found = dict(zip(names, pick(view.raw_values()), strict=True)) if view is not None else {}
        unshown = self.unshown.get(key) if key is not None else None
        if unshown is not None:
            found.update(zip(*unshown, strict=True))
        return found

    def variable(self, source: Source) -> Any:
        return value_at(self.plan.variable_value(source.name.removeprefix("var.")), source.path)

    def variable_sensitive(self, source: Source) -> bool:
        return self.plan.variable_sensitive(source.name.removeprefix("var."))


def _single(position: int) -> Callable[[tuple[Any, ...]], tuple[Any, ...]]:
    return lambda row: (row[position],)
