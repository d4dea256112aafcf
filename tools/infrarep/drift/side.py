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
        """By record key: the names compared (the configured attributes, then the `unshown` blocks)
        and their raw values joined by \x1f, loosely normalised (`EnvIdentity.raw`)."""
        self.values: dict[str, tuple[msgspec.Raw, ...]] = {}
        """By record key: the raw values of the names in its fingerprint."""
        self.unshown: dict[str, tuple[str, ...]] = {}
        """By record key: the nested blocks it holds that plan JSON does not show how are set
        (`unshown_blocks`); only keys that have some."""
        normalise_address = self.identity.text
        join = b"\x1f".join
        keys: list[str] = []
        compared: list[tuple[str, ...]] = []
        prints: list[bytes] = []
        self.runs: list[tuple[list[str], list[ResourceChange], list[plans.Row]]] = []
        """Instances of one block, one after the other: their keys, records and `Plan.rows`."""
        changes, all_rows, all_blocks = self.plan.changes, self.plan.rows, self.plan.block_names
        start = 0
        for (_, mode, _, _), group in groupby(changes, _BLOCK_OF):
            offset = start
            start += sum(1 for _ in group)
            if mode != plans.Mode.MANAGED:
                continue  # data sources are not compared
            planned = [(at, row) for at in range(offset, start) if (row := all_rows[at]) is not None]
            if not planned:
                continue  # deleted resources are not planned
            records = [changes[at] for at, _ in planned]
            rows = [row for _, row in planned]
            names, pick = self.sets.of(records[0])
            unshown = self.unshown_blocks(records, names, {all_blocks[at] for at, _ in planned})
            if unshown:
                names = (*names, *unshown)
                pick = _picker([self.plan.attribute_index[name] for name in names])
            addresses = [record.address for record in records]
            run_keys = [normalise_address(address) if '"' in address else address for address in addresses]
            self.runs.append((run_keys, records, rows))
            self.records.update(zip(run_keys, records, strict=True))
            picked = list(map(pick, rows))
            self.values.update(zip(run_keys, picked, strict=True))
            if unshown:
                self.unshown.update(dict.fromkeys(run_keys, unshown))
            keys.extend(run_keys)
            compared.extend([names] * len(records))
            prints.extend(map(join, picked))
        # EnvIdentity.raw over all resources at once (\x1e and \x1f never occur in JSON text).
        normalised = self.identity.raw(b"\x1e".join(prints)).split(b"\x1e") if prints else []
        self.fingerprints = dict(zip(keys, zip(compared, normalised, strict=True), strict=True))

    def unshown_blocks(
        self, records: list[ResourceChange], configured: tuple[str, ...], masked: set[tuple[str, ...]]
    ) -> tuple[str, ...]:
        """The nested blocks the instances of one resource block hold (`masked`: per
        `after_sensitive`, `Plan.block_names`) that its configuration does not show: set in
        `dynamic` blocks, which plan JSON leaves out, or filled in by the provider; only the
        module's source tells which. Empty when the source was read, and for attributes another
        resource owns (`noise.OWNED_ATTRIBUTES`)."""
        found = {name for names in masked for name in names}
        if not found:
            return ()
        if self.sources is not None and self.sources.module(records[0].module) is not None:
            return ()
        found.difference_update(configured, self.owned.owners(records[0]))
        return tuple(sorted(found))

    def config_resource(self, record: plans.Record) -> ConfigResource | None:
        return self.plan.config.resource(record.module, record.config_address)

    def raw_values(self, key: str) -> dict[str, msgspec.Raw]:
        """By its record key, the raw JSON of each attribute the resource's configuration sets
        and of the blocks it holds that the configuration does not show (`unshown`)."""
        return dict(zip(self.fingerprints[key][0], self.values[key], strict=True))

    def variable(self, source: Source) -> Any:
        return value_at(self.plan.variable_value(source.name.removeprefix("var.")), source.path)

    def variable_sensitive(self, source: Source) -> bool:
        return self.plan.variable_sensitive(source.name.removeprefix("var."))


def _picker(positions: list[int]) -> Callable[[tuple[Any, ...]], tuple[Any, ...]]:
    """A getter of the values at `positions` of a row, always as a tuple."""
    if len(positions) == 1:
        only = positions[0]
        return lambda row: (row[only],)
    return itemgetter(*positions)
