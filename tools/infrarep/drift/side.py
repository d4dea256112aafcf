"""One env of a parity comparison (or a manifest), prepared once: its records by normalised
address, a fingerprint of their configured values, and a tracer over its configuration."""

from __future__ import annotations

from itertools import groupby
from operator import attrgetter
from typing import Any

import msgspec

from .. import plans
from ..plans import ConfigResource, ResourceChange
from .identity import EnvPlans
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
        self.records: dict[str, ResourceChange] = {}
        self.fingerprints: dict[str, tuple[tuple[str, ...], bytes]] = {}
        normalise_address = self.identity.text
        join = b"\x1f".join
        astuple = msgspec.structs.astuple
        keys: list[str] = []
        attribute_names: list[tuple[str, ...]] = []
        values: list[bytes] = []
        self.runs: list[tuple[list[str], list[ResourceChange], list[tuple[Any, ...]]]] = []
        """Instances of one block, one after the other: their keys, records and `after` views."""
        for (_, mode, _, _), instances in groupby(self.plan.changes, _BLOCK_OF):
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
        # EnvIdentity.raw over all resources at once (\x1e and \x1f never occur in JSON text).
        normalised = self.identity.raw(b"\x1e".join(values)).split(b"\x1e") if values else []
        self.fingerprints = dict(zip(keys, zip(attribute_names, normalised, strict=True), strict=True))

    def config_resource(self, record: plans.Record) -> ConfigResource | None:
        return self.plan.config.resource(record.module, record.config_address)

    def raw_values(self, record: ResourceChange) -> dict[str, msgspec.Raw]:
        """The raw JSON of each attribute the resource's configuration sets."""
        names, pick = self.sets.of(record)
        view = record.after
        return dict(zip(names, pick(view.raw_values()), strict=True)) if view is not None else {}

    def variable(self, source: Source) -> Any:
        return value_at(self.plan.variable_value(source.name.removeprefix("var.")), source.path)

    def variable_sensitive(self, source: Source) -> bool:
        return self.plan.variable_sensitive(source.name.removeprefix("var."))
