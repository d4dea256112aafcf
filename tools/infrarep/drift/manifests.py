"""The config manifest of an env: per resource (by normalised address), the configured
attributes that are not per-env variations, normalised; module calls with their source.

Two writers give the same bytes: most resources are written straight from the plan's raw JSON
(`_built_apart` says which may be), the rest are built value by value. Which attributes go in
is classified once per code version and shared between envs (`Classifications`)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from itertools import compress, islice
from json.encoder import encode_basestring  # type: ignore[attr-defined]
from operator import attrgetter, itemgetter
from typing import Any, NamedTuple

import msgspec

from .. import plans
from ..plans import ConfigResource, Plan, ResourceChange
from ..records import UNKNOWN, Manifest, canonical
from .identity import EnvIdentity, EnvPlans, detect_identity, identity_paths
from .model import Marker
from .noise import prune
from .side import Side
from .tracing import CUT, Read, SourceKind, expressions_in, is_expression
from .values import canonical_json, mask_node, redact


def manifest(env: EnvPlans, version: str = UNKNOWN) -> Manifest:
    """The env's config manifest: per resource (by normalised address), the configured
    attributes that are not per-env variations, normalised; module calls with their source.
    Resources whose count/for_each follows a variable are listed once, as `address[*]`."""
    return manifest_for(Side(env), version)


def env_manifest(
    env: str,
    plan: Plan,
    version: str,
    region: str | None = None,
    aliases: tuple[str, ...] = (),
    others: tuple[str, ...] = (),
) -> Manifest:
    """The config manifest of one env from its normal plan: what `deploy` uploads to
    `records.manifest_key(env)` as `canonical_bytes()` and records as `manifest_sha256`
    (`sha256()`), and what the drift_validator Lambda reads back with `Manifest.from_json`.
    The same manifest drift-report computes for the env (give the same `region`: the env's
    region, `aliases` and the `others` envs' names from environments.yaml). Pure: the plan comes in
    read (`plans.load`)."""
    return manifest(EnvPlans(env, detect_identity(env, plan, region, aliases, others), plan), version)


class _Kept(NamedTuple):
    """One attribute that goes into the manifest."""

    name: str
    column: int  # in the plan's attribute view (`Plan.attribute_index`)
    literal: bool  # a literal: kept as written, not normalised
    blocks: Any  # the expressions of nested blocks (only the configured parts are kept), else None


@dataclass(frozen=True)
class _Shape:
    """How every instance of one resource block goes into the manifest."""

    kept: tuple[_Kept, ...]  # sorted by name
    variant: bool  # count/for_each differs between envs: the instances merge into `address[*]`
    type: str

    @cached_property
    def key(self) -> Any:
        """Equal for equal shapes (nested blocks' expressions by their canonical JSON: they do not hash)."""
        kept = tuple(
            item if item.blocks is None else item._replace(blocks=canonical_json(item.blocks))
            for item in self.kept
        )
        return (kept, self.variant, self.type)

    @cached_property
    def template(self) -> bytes:
        """`%s:{"attributes":{"name":%s,...},"type":"aws_x"}`: the key, then the kept values."""
        values = b",".join(b"%s:%%s" % _json_text(item.name).replace(b"%", b"%%") for item in self.kept)
        return b'%%s:{"attributes":{%s},"type":%s}' % (values, _json_text(self.type).replace(b"%", b"%%"))


def _has_empty(data: bytes) -> bool:
    """Might this raw JSON hold a value `prune` drops (null, "", [], {})? If not, it needs no pruning."""
    return b"null" in data or b'""' in data or b"[]" in data or b"{}" in data


_NUMBER_NOT_AS_WRITTEN = re.compile(rb"[\x1f\[:,](?:-?\d+[.eE]|-0(?!\d))")
"""In raw JSON values joined by \\x1f (and led by one): a number that decoding and `records.canonical`
would write otherwise (a fraction or exponent: `1.50`, `1e3`; `-0`). Matches inside strings too,
which only costs speed."""
_SPACED = re.compile(rb"[\x1f\[\]{}:,][ \t\n\r]|[ \t\n\r][\x1f\[\]{}:,]")
"""Whitespace between JSON tokens (or inside a string, which only costs speed)."""


def _json_text(text: str) -> bytes:
    """A string as `records.canonical` writes it."""
    return encode_basestring(text).encode()


_ESCAPED = re.compile(r'[\x00-\x1f"\\]')


def _json_texts(texts: list[str]) -> list[bytes]:
    """`_json_text` of each (at once when none needs an escape)."""
    if _ESCAPED.search("".join(texts)):
        return [_json_text(text) for text in texts]
    joined = '"\x1f"'.join(texts)
    return f'"{joined}"'.encode().split(b"\x1f")


@dataclass
class _Classification:
    """What classifying one code version (for one use of identity-valued variables) found.

    A `donor` is the classification of other code with the same skeleton (module calls,
    variables, outputs, providers) and the same use of identity-valued variables: its code
    differs only in the resource blocks `changed`. A block's shape is taken from the donor
    when the block is unchanged and none of the blocks its traces read is (`footprints`)."""

    skeleton: bytes  # `Configuration.skeleton_digest`
    blocks: Mapping[tuple[tuple[str, ...], str], bytes]  # `Configuration.block_texts`
    columns: Mapping[str, int]  # the plan's attribute index (`_Kept.column`)
    donor: _Classification | None = None
    changed: frozenset[Read] = frozenset()
    shapes: dict[tuple[str, str, str, str], _Shape] = field(default_factory=dict)  # per block
    footprints: dict[tuple[str, str, str, str], frozenset[Read]] = field(default_factory=dict)
    verdicts: dict[Any, tuple[bool, bool, frozenset[Read]]] = field(default_factory=dict)  # by text
    distinct: dict[Any, _Shape] = field(default_factory=dict)  # equal shapes of blocks, as one

    def shape(self, side: Side, record: ResourceChange) -> _Shape:
        block = (record.module_address, record.mode, record.type, record.name)
        found = self.shapes.get(block)
        if found is None:
            found = self._donated(block, side, record)
            if found is None:
                with side.tracer.recording() as reads:
                    found = _shape(side, record, self)
                self.footprints[block] = frozenset(reads)
            found = self.distinct.setdefault(found.key, found)
            self.shapes[block] = found
        return found

    def _donated(self, block: tuple[str, str, str, str], side: Side, record: ResourceChange) -> _Shape | None:
        donor = self.donor
        reads = donor.footprints.get(block) if donor is not None else None
        if donor is None or reads is None or CUT in reads:
            return None
        if (record.module, record.config_address) in self.changed or not reads.isdisjoint(self.changed):
            return None
        self.footprints[block] = reads
        shape = donor.shapes[block]
        if self.same_columns:
            return shape
        kept = tuple(item._replace(column=self.columns[item.name]) for item in shape.kept)
        return _Shape(kept, shape.variant, shape.type)

    @cached_property
    def same_columns(self) -> bool:
        """Do the donor's plans (whose code differs) index attributes as this code's plans do?"""
        return self.donor is not None and self.donor.columns == self.columns


class Classifications:
    """Which attributes of each resource block go into a manifest depends on the code and on
    which root variable values are the env's own name/region/account, nothing else: envs
    that agree on both (dev, staging and prod of one release) classify once. Envs whose code
    differs in some resource blocks classify those, and those that read them, again."""

    def __init__(self) -> None:
        self._shared: dict[Any, _Classification] = {}

    def of(self, plan: Plan, identity: EnvIdentity) -> _Classification:
        """The classification for envs like this one."""
        paths = identity_paths(plan, identity)
        key = (plan.config.digest, paths)
        found = self._shared.get(key)
        if found is None:
            donor = next(
                (
                    other
                    for (_, other_paths), other in self._shared.items()
                    if other_paths == paths and other.skeleton == plan.config.skeleton_digest
                ),
                None,
            )
            # Kept: the configuration's texts, not the configuration (which holds on to the whole
            # plan file's bytes: envs read one after another are let go of).
            blocks = plan.config.block_texts
            changed = plans.changed_blocks(donor.blocks, blocks) if donor is not None else frozenset()
            found = self._shared[key] = _Classification(
                plan.config.skeleton_digest, blocks, plan.attribute_index, donor, changed
            )
        return found


def manifest_for(
    side: Side, version: str, classifications: Classifications | None = None, as_written: bool = True
) -> Manifest:
    """The manifest's canonical JSON is written straight from the plan's raw JSON where decoding
    and re-encoding would give the same bytes (`_built_apart`); the other resources are built
    value by value. `as_written=False` builds them all (the tests compare the two)."""
    classification = (classifications or Classifications()).of(side.plan, side.identity)
    # The records by shape: blocks of the same shape are written as one.
    groups: dict[int, tuple[_Shape, list[str], list[ResourceChange], list[tuple[Any, ...]]]] = {}
    for names, records, rows in side.runs:
        shape = classification.shape(side, records[0])
        group = groups.get(id(shape))
        if group is None:
            group = groups[id(shape)] = (shape, [], [], [])
        group[1].extend(names)
        group[2].extend(records)
        group[3].extend(rows)
    # Per shape, the kept values column by column; those to normalise go through one pass together.
    tables: list[list[list[Any]]] = []
    stream: list[Any] = []
    for shape, _, _, rows in groups.values():
        columns = [list(map(itemgetter(item.column), rows)) for item in shape.kept]
        for item, column in zip(shape.kept, columns, strict=True):
            if not item.literal:
                stream.extend(column)
        tables.append(columns)
    normalised = iter(side.identity.raw_json(b"\x1f".join(stream)).split(b"\x1f") if stream else ())
    keys: list[str] = []
    entries: list[bytes] = []
    built: dict[str, Any] = {}  # the resources built value by value
    sorted_objects: dict[bytes, bytes] = {}
    for (shape, names, records, _), columns in zip(groups.values(), tables, strict=True):
        for position, item in enumerate(shape.kept):
            if not item.literal:
                columns[position] = list(islice(normalised, len(records)))
        apart = _built_apart(shape, records, columns, sorted_objects) if as_written else None
        if apart is None:
            apart = set(range(len(records)))
        written = [position not in apart for position in range(len(records))] if apart else None
        rows = zip(_json_texts(names), *columns, strict=True)
        keys.extend(compress(names, written) if written else names)
        entries.extend(map(shape.template.__mod__, compress(rows, written) if written else rows))
        for position in sorted(apart):
            _build(built, shape, names[position], records[position], [column[position] for column in columns])
    for call in side.plan.config.calls():
        built[plans.module_prefix(call.path).rstrip(".")] = {
            "type": "module",
            "source": call.source,
            "version": call.version,
        }
    for key, entry in built.items():
        keys.append(key)
        entries.append(b"%s:%s" % (_json_text(key), canonical(entry).encode()))
    order = sorted(range(len(keys)), key=keys.__getitem__)
    resources = b"{%s}" % b",".join(map(entries.__getitem__, order))
    return Manifest.from_canonical(side.env, version, resources, len(keys))


def _built_apart(
    shape: _Shape, records: list[ResourceChange], columns: list[list[Any]], sorted_objects: dict[bytes, bytes]
) -> set[int] | None:
    """Which records of a shape must be built value by value (None: all of them); the others are
    written from their raw values, which `records.canonical` would write the same once decoded.
    Objects among those are re-encoded with sorted keys (normalising a key may change their
    order); nested blocks are cut to what the configuration sets, pruned and encoded, once per
    distinct value (`sorted_objects`). Sensitive values, escapes, whitespace, fractions and values
    `prune` might drop are built."""
    if shape.variant:
        return None
    apart: set[int] = set()
    sensitive = list(map(_AFTER_SENSITIVE, records))
    if b"true" in b"".join(sensitive):
        apart.update(position for position, raw in enumerate(sensitive) if b"true" in bytes(raw))
    for position, column in enumerate(columns):
        blocks = shape.kept[position].blocks
        if blocks is not None:  # the sensitive records' blocks stay raw: they are built
            columns[position] = [
                raw if index in apart else _block_text(blocks, raw, sorted_objects)
                for index, raw in enumerate(column)
            ]
            continue
        joined = b"\x1f".join(column)
        values = joined.split(b"\x1f")  # bytes: `%` writes them as they are, raw views it converts first
        # Strings only? (An unescaped \x1f cannot be inside one, and `""` can only be a whole value.)
        strings = joined[:1] == b'"' and joined.count(b'\x1f"') == len(column) - 1
        if strings:
            clean = b"\\" not in joined and b'""' not in joined
        else:  # non-negative integers only, or anything else written as it is
            clean = joined.replace(b"\x1f", b"").isdigit() or _as_written(joined)
        if not clean:
            apart.update(index for index, raw in enumerate(values) if not _as_written(raw))
        if not strings and b'{"' in joined:
            for raw in set(values).difference(sorted_objects):  # the others are built apart
                written = _as_written(raw)
                sorted_objects[raw] = (
                    msgspec.json.encode(plans.decode_json(raw), order="sorted") if written else raw
                )
            values = list(map(sorted_objects.__getitem__, values))
        columns[position] = values
    return apart


_AFTER_SENSITIVE = attrgetter("change.after_sensitive")


def _block_text(blocks: Any, raw: bytes, texts: dict[bytes, bytes]) -> bytes:
    """A nested block's normalised raw value as its manifest entry writes it (as `_attributes`
    builds it): cut to what the configuration sets, pruned, canonical; once per value."""
    key = b"%d\x1f%s" % (id(blocks), raw)  # \x1f never occurs in JSON text
    text = texts.get(key)
    if text is None:
        value = prune(_configured_part(blocks, plans.decode_json(raw)))
        text = texts[key] = canonical(value).encode()
    return text


def _as_written(data: bytes) -> bool:
    """Would decoding and `records.canonical` write this raw JSON (values joined by \x1f) as it is?"""
    return not (
        b"\\" in data
        or _has_empty(data)
        or _NUMBER_NOT_AS_WRITTEN.search(b"\x1f" + data)
        or (any(space in data for space in (b" ", b"\n", b"\t", b"\r")) and _SPACED.search(data))
    )


def _build(built: dict[str, Any], shape: _Shape, key: str, record: ResourceChange, values: list[Any]) -> None:
    """One resource's manifest entry from its kept values: sensitive parts replaced, nested blocks
    cut to what the configuration sets, empty values dropped, instances merged."""
    raw_sensitive = bytes(record.change.after_sensitive)
    sensitive = plans.decode_json(raw_sensitive) if b"true" in raw_sensitive else None
    decoded = plans.decode_json(b"[%s]" % b",".join(values))
    entry = {"type": record.type, "attributes": _attributes(shape.kept, decoded, sensitive)}
    if shape.variant:
        collapsed = f"{plans.module_prefix(record.module)}{record.config_address}[*]"
        built[collapsed] = _merge_instances(built.get(collapsed), entry)
    else:
        built[key] = entry


def _attributes(kept: tuple[_Kept, ...], values: list[Any], sensitive: Any) -> dict[str, Any]:
    attributes = {}
    for item, value in zip(kept, values, strict=True):
        node = mask_node(sensitive, (item.name,)) if sensitive is not None else None
        if node is True:
            attributes[item.name] = Marker.SENSITIVE.value
            continue
        if node is not None:
            value = _plain_markers(redact(value, node))
        if item.blocks is not None:
            value = _configured_part(item.blocks, value)
        attributes[item.name] = prune(value)
    return attributes


def _shape(side: Side, record: ResourceChange, classification: _Classification) -> _Shape:
    config = side.config_resource(record)
    kept, variant = _classify(side, record, config, classification) if config is not None else ((), False)
    return _Shape(kept, variant, record.type)


def _classify(
    side: Side, record: ResourceChange, config: ConfigResource, classification: _Classification
) -> tuple[tuple[_Kept, ...], bool]:
    """Which attributes go into the manifest (their values come from literals and the env's own
    name/region/account only), and whether count/for_each varies between envs. Attributes of a
    resource with a varying count/for_each that read count.index or each.* are left out: they
    differ per instance by design. Verdicts are kept by expression text across blocks, with the
    blocks their traces read (counted as read again by every block that uses them)."""
    verdicts = classification.verdicts
    tracer = side.tracer
    existence_key = (
        "existence",
        record.module,
        bytes(config.count_expression),
        bytes(config.for_each_expression),
    )
    if existence_key not in verdicts:  # blocks with the same count/for_each text in a module agree
        with tracer.recording() as reads:
            variant = any(
                source.kind is not SourceKind.CONSTANT
                and not (
                    source.kind is SourceKind.VARIABLE and side.identity.is_identity(side.variable(source))
                )
                for source in tracer.existence(record.module, config)
            )
        verdicts[existence_key] = (variant, False, frozenset(reads))
    variant, _, reads = verdicts[existence_key]
    tracer.note(reads)
    names, _ = side.sets.of(record)
    expressions = side.plan.config.expressions(config)
    index = side.plan.attribute_index
    module = record.module
    kept = []
    for_each = canonical_json(tracer.config.decoded(config.for_each_expression))
    for name in names:
        expression = expressions.get(name)
        if expression is None:
            continue  # tags_all: default_tags carry the release version
        if variant and any(_per_instance(inner) for _, inner in expressions_in(expression, name)):
            continue
        memo = (canonical_json(expression), module, for_each)
        if memo not in verdicts:
            with tracer.recording() as reads:
                sources = tracer.attribute_sources(module, config, name)
            kinds = {source.kind for source in sources}
            literal = kinds <= {SourceKind.CONSTANT}
            included = literal or (
                kinds <= {SourceKind.CONSTANT, SourceKind.VARIABLE}
                and all(
                    side.identity.is_identity(side.variable(source))
                    for source in sources
                    if source.kind is SourceKind.VARIABLE
                )
            )
            verdicts[memo] = (included, literal, frozenset(reads))
        included, literal, reads = verdicts[memo]
        if reads:
            tracer.note(reads)
        if included:
            blocks = expression if isinstance(expression, list) else None
            kept.append(_Kept(name, index[name], literal, blocks))
    return tuple(sorted(kept, key=lambda item: item.name)), variant


def _plain_markers(value: Any) -> Any:
    if isinstance(value, Marker):
        return value.value
    if isinstance(value, dict):
        return {key: _plain_markers(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain_markers(item) for item in value]
    return value


def _per_instance(expression: dict[str, Any]) -> bool:
    return any(ref.startswith(("count.", "each.")) for ref in expression.get("references") or [])


def _configured_part(expressions: Any, value: Any) -> Any:
    """The parts of a value the configuration sets (nested blocks lose provider-filled leaves)."""
    if is_expression(expressions):
        return value
    if isinstance(expressions, list) and isinstance(value, list):
        return [
            _configured_part(expressions[position] if position < len(expressions) else expressions[0], item)
            for position, item in enumerate(value)
            if expressions
        ]
    if isinstance(expressions, dict) and isinstance(value, dict):
        return {key: _configured_part(inner, value.get(key)) for key, inner in expressions.items()}
    return value


_VARIES = "(varies by instance)"


def _merge_instances(existing: dict[str, Any] | None, entry: dict[str, Any]) -> dict[str, Any]:
    if existing is None:
        return entry
    merged = dict(existing["attributes"])
    for name, value in entry["attributes"].items():
        if merged.get(name, value) != value:
            merged[name] = _VARIES
    for name in merged.keys() - entry["attributes"].keys():
        merged[name] = _VARIES
    return {"type": entry["type"], "attributes": merged}
